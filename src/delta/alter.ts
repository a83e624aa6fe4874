// Metadata-only changes: ALTER TABLE ... ADD COLUMNS, SET/UNSET TBLPROPERTIES,
// ADD/DROP CONSTRAINT. Each is one commit with a new metaData (and protocol,
// when a property needs a higher writer version).
import { randomUUID } from 'node:crypto';
import { StrataError } from '../core/index.js';
import type { Session } from '../engine/index.js';
import type { Action, MetadataAction } from './actions.js';
import { blindAppend, commit } from './commit.js';
import { planScan } from './scan.js';
import type { StructField } from './schema.js';
import { schemaToJson } from './schema-from-engine.js';
import { loadSnapshot, type Snapshot } from './snapshot.js';
import { checkWritable, mergeProtocol, minimalProtocol, protocolCovers } from './table-features.js';
import type { TableRef } from './write.js';

export type AlterChange =
  | { kind: 'add-columns'; columns: StructField[] }
  | { kind: 'set-properties'; properties: Record<string, string> }
  | { kind: 'unset-properties'; keys: string[]; ifExists: boolean }
  | { kind: 'add-constraint'; name: string; expr: string }
  | { kind: 'drop-constraint'; name: string; ifExists: boolean };

const OPERATIONS = {
  'add-columns': 'ADD COLUMNS',
  'set-properties': 'SET TBLPROPERTIES',
  'unset-properties': 'UNSET TBLPROPERTIES',
  'add-constraint': 'ADD CONSTRAINT',
  'drop-constraint': 'DROP CONSTRAINT',
} as const;

/** Applies one metadata change as a commit; returns the version (undefined when nothing changed). */
export async function alterTable(session: Session, ref: TableRef, change: AlterChange): Promise<number | undefined> {
  const table = ref.name ?? ref.location;
  const snapshot = await loadSnapshot(ref.location, { session, name: table });
  checkWritable(table, snapshot.protocol, snapshot.schema);
  const configuration = { ...snapshot.metadata.configuration };
  let schema = snapshot.schema;
  let parameters: Record<string, unknown> = {};
  switch (change.kind) {
    case 'add-columns': {
      const existing = new Set(schema.fields.map((f) => f.name.toLowerCase()));
      for (const col of change.columns) {
        if (existing.has(col.name.toLowerCase())) {
          throw new StrataError('SCHEMA_MISMATCH', `table ${table} already has a column ${col.name}`, {
            context: { table, column: col.name },
          });
        }
        if (!col.nullable) {
          throw new StrataError(
            'SCHEMA_MISMATCH',
            `table ${table}: a column added to an existing table must be nullable (${col.name} is NOT NULL)`,
            { context: { table, column: col.name } },
          );
        }
      }
      schema = { kind: 'struct', fields: [...schema.fields, ...change.columns] };
      parameters = { columns: JSON.stringify(change.columns.map((c) => ({ column: { name: c.name } }))) };
      break;
    }
    case 'set-properties':
      for (const key of Object.keys(change.properties)) {
        if (key.startsWith('delta.constraints.'))
          throw new StrataError(
            'USAGE',
            `table ${table}: use ALTER TABLE ... ADD CONSTRAINT instead of setting ${key}`,
          );
      }
      Object.assign(configuration, change.properties);
      parameters = { properties: JSON.stringify(change.properties) };
      break;
    case 'unset-properties':
      for (const key of change.keys) {
        if (!(key in configuration) && !change.ifExists) {
          throw new StrataError(
            'USAGE',
            `table ${table} has no property ${key} (use UNSET TBLPROPERTIES IF EXISTS to ignore)`,
            { context: { table } },
          );
        }
        delete configuration[key];
      }
      parameters = { properties: JSON.stringify(change.keys) };
      break;
    case 'add-constraint': {
      const key = `delta.constraints.${change.name.toLowerCase()}`;
      if (key in configuration)
        throw new StrataError('ALREADY_EXISTS', `table ${table} already has a constraint ${change.name}`, {
          context: { table },
        });
      await checkExistingRows(session, snapshot, change.name, change.expr);
      configuration[key] = change.expr;
      parameters = { name: change.name, expr: change.expr };
      break;
    }
    case 'drop-constraint': {
      const key = `delta.constraints.${change.name.toLowerCase()}`;
      if (!(key in configuration)) {
        if (change.ifExists) return undefined;
        throw new StrataError('USAGE', `table ${table} has no constraint ${change.name}`, { context: { table } });
      }
      delete configuration[key];
      parameters = { name: change.name };
      break;
    }
  }
  const metadata: MetadataAction = { ...snapshot.metadata, schemaString: schemaToJson(schema), configuration };
  const actions: Action[] = [];
  const needed = minimalProtocol(schema, configuration);
  if (!protocolCovers(snapshot.protocol, needed)) actions.push({ protocol: mergeProtocol(snapshot.protocol, needed) });
  actions.push({ metaData: metadata });
  const result = await commit(snapshot.store, table, snapshot.version, {
    operation: OPERATIONS[change.kind],
    operationParameters: parameters,
    actions,
    // A new constraint must hold for rows appended concurrently too: it read the whole table.
    footprint: { ...blindAppend(), changesMetadata: true, readWholeTable: change.kind === 'add-constraint' },
  });
  return result.version;
}

/** A new CHECK constraint must hold for the rows already in the table. */
async function checkExistingRows(session: Session, snapshot: Snapshot, name: string, expr: string): Promise<void> {
  if (snapshot.files.length === 0) return;
  const scan = await planScan(snapshot, session, { id: randomUUID().replace(/-/g, '').slice(0, 12) });
  try {
    const [row] = await session.rows<{ n: bigint }>(
      `SELECT count(*) AS n FROM (${scan.sql}) AS t WHERE NOT coalesce((${expr}), false)`,
    );
    if (Number(row.n) > 0) {
      throw new StrataError(
        'CONSTRAINT_VIOLATED',
        `cannot add constraint ${name} to table ${snapshot.table}: ${Number(row.n)} existing row(s) violate CHECK (${expr})`,
        {
          context: { table: snapshot.table, constraint: name },
        },
      );
    }
  } finally {
    for (const statement of scan.cleanup) await session.exec(statement).catch(() => undefined);
  }
}
