// The catalog statements of Databricks SQL over a project's tables: SHOW TABLES, SHOW SCHEMAS,
// DESCRIBE TABLE [EXTENDED], SHOW CREATE TABLE — with the columns Databricks returns.
import { loadSnapshot, type DeltaType, type Snapshot } from '../delta/index.js';
import type { QueryResult, Session } from '../engine/index.js';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_SCHEMA, SYSTEM_SCHEMA, type Catalog } from '../catalog/index.js';
import { UserSqlError } from '../core/index.js';
import type { ReadContext } from './read-context.js';
import type { Statement, TableName } from './statement.js';

const col = (name: string, type = 'VARCHAR') => ({ name, type });

/** Spark's `*`-and-`|` pattern of SHOW ... LIKE (case-insensitive) as a test. */
function likePattern(pattern: string | undefined): (name: string) => boolean {
  if (pattern === undefined) return () => true;
  const alternatives = pattern.split('|').map((p) =>
    p
      .trim()
      .replace(/[.+?^${}()[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*'),
  );
  const re = new RegExp(`^(?:${alternatives.join('|')})$`, 'i');
  return (name) => re.test(name);
}

/** SHOW TABLES [IN schema] [LIKE pattern]: database, tableName, isTemporary. */
export async function runShowTables(
  stmt: Extract<Statement, { kind: 'show-tables' }>,
  ctx: ReadContext,
): Promise<QueryResult> {
  const schema = (stmt.schema ?? DEFAULT_SCHEMA).toLowerCase();
  const like = likePattern(stmt.like);
  const rows = (await ctx.catalog.listTables())
    .filter((t) => t.schema.toLowerCase() === schema && like(t.table))
    .sort((a, b) => a.table.localeCompare(b.table))
    .map((t) => [t.schema, t.table, false]);
  return { columns: [col('database'), col('tableName'), col('isTemporary', 'BOOLEAN')], rows };
}

/** SHOW SCHEMAS [LIKE pattern]: databaseName (the default schema always, as in Spark). */
export async function runShowSchemas(
  stmt: Extract<Statement, { kind: 'show-schemas' }>,
  ctx: ReadContext,
): Promise<QueryResult> {
  const like = likePattern(stmt.like);
  const names = new Set([DEFAULT_SCHEMA, ...(await ctx.catalog.listTables()).map((t) => t.schema)]);
  return {
    columns: [col('databaseName')],
    rows: [...names]
      .filter(like)
      .sort()
      .map((n) => [n]),
  };
}

/** A type as Spark's DESCRIBE prints it (its simpleString): bigint, int, decimal(12,2), array<string>, struct<a:int>. */
export function sparkTypeName(type: DeltaType): string {
  switch (type.kind) {
    case 'primitive':
      return (
        ({ long: 'bigint', integer: 'int', short: 'smallint', byte: 'tinyint' } as Record<string, string>)[type.name] ??
        type.name
      );
    case 'decimal':
      return `decimal(${type.precision},${type.scale})`;
    case 'array':
      return `array<${sparkTypeName(type.elementType)}>`;
    case 'map':
      return `map<${sparkTypeName(type.keyType)},${sparkTypeName(type.valueType)}>`;
    case 'struct':
      return `struct<${type.fields.map((f) => `${f.name}:${sparkTypeName(f.type)}`).join(',')}>`;
  }
}

const comment = (metadata: Record<string, unknown>) => (typeof metadata.comment === 'string' ? metadata.comment : null);

/**
 * DESCRIBE [TABLE] [EXTENDED] t: col_name, data_type, comment per column, then Spark's
 * "# Partition Information" and (EXTENDED) "# Detailed Table Information" sections.
 */
export async function runDescribeTable(
  session: Session,
  stmt: Extract<Statement, { kind: 'describe-table' }>,
  ctx: ReadContext,
): Promise<QueryResult> {
  const { snap, display, location } = await snapshotOf(session, stmt.table, ctx);
  const rows: unknown[][] = snap.schema.fields.map((f) => [f.name, sparkTypeName(f.type), comment(f.metadata)]);
  if (snap.partitionColumns.length > 0) {
    rows.push(['# Partition Information', '', ''], ['# col_name', 'data_type', 'comment']);
    for (const p of snap.partitionColumns) {
      const f = snap.schema.fields.find((x) => x.name === p);
      rows.push([p, f ? sparkTypeName(f.type) : '', f ? comment(f.metadata) : null]);
    }
  }
  if (stmt.extended) rows.push(['', '', ''], ...detailRows(snap, display, location));
  return { columns: [col('col_name'), col('data_type'), col('comment')], rows };
}

function detailRows(snap: Snapshot, display: string, location: string): unknown[][] {
  const [schema, table] = display.includes('.') ? display.split('.') : [DEFAULT_SCHEMA, display];
  const properties = Object.entries(snap.metadata.configuration)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return [
    ['# Detailed Table Information', '', ''],
    ['Catalog', 'main', ''],
    ['Database', schema, ''],
    ['Table', table ?? display, ''],
    ['Created Time', snap.metadata.createdTime ? new Date(snap.metadata.createdTime).toISOString() : '', ''],
    ['Type', 'MANAGED', ''],
    ['Location', location, ''],
    ['Provider', 'delta', ''],
    ...(snap.metadata.description ? [['Comment', snap.metadata.description, '']] : []),
    ['Table Properties', `[${properties}]`, ''],
  ];
}

/** SHOW CREATE TABLE t: the statement that makes the table as it is now (createtab_stmt). */
export async function runShowCreateTable(
  session: Session,
  stmt: Extract<Statement, { kind: 'show-create-table' }>,
  ctx: ReadContext,
): Promise<QueryResult> {
  const { snap, display } = await snapshotOf(session, stmt.table, ctx);
  const q = (name: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `\`${name.replace(/`/g, '``')}\``);
  const s = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const columns = snap.schema.fields.map(
    (f) =>
      `  ${q(f.name)} ${sparkTypeName(f.type).toUpperCase()}${f.nullable ? '' : ' NOT NULL'}${comment(f.metadata) ? ` COMMENT ${s(comment(f.metadata)!)}` : ''}`,
  );
  // Strata's own state (a pipeline's, a flow's recorded source schema) is not part of what makes the table.
  const props = Object.entries(snap.metadata.configuration).filter(([k]) => !k.startsWith('strata.'));
  const lines = [
    `CREATE TABLE ${display.split('.').map(q).join('.')} (`,
    `${columns.join(',\n')})`,
    'USING delta',
    ...(snap.partitionColumns.length ? [`PARTITIONED BY (${snap.partitionColumns.map(q).join(', ')})`] : []),
    ...(snap.metadata.description ? [`COMMENT ${s(snap.metadata.description)}`] : []),
    ...(props.length ? [`TBLPROPERTIES (\n${props.map(([k, v]) => `  ${s(k)} = ${s(v)}`).join(',\n')})`] : []),
  ];
  return { columns: [col('createtab_stmt')], rows: [[`${lines.join('\n')}\n`]] };
}

/**
 * SHOW TBLPROPERTIES t [(key)]: `key`, `value` — the table's properties and, as Delta adds them,
 * its protocol versions and table features; a key the table lacks gives Spark's sentence as value.
 */
export async function runShowTblproperties(
  session: Session,
  stmt: Extract<Statement, { kind: 'show-tblproperties' }>,
  ctx: ReadContext,
): Promise<QueryResult> {
  const { snap, display } = await snapshotOf(session, stmt.table, ctx);
  const p = snap.protocol;
  const all: [string, string][] = [
    ...Object.entries(snap.metadata.configuration),
    ...[...new Set([...(p.readerFeatures ?? []), ...(p.writerFeatures ?? [])])].map((f): [string, string] => [
      `delta.feature.${f}`,
      'supported',
    ]),
    ['delta.minReaderVersion', String(p.minReaderVersion)],
    ['delta.minWriterVersion', String(p.minWriterVersion)],
  ];
  const columns = [col('key'), col('value')];
  if (stmt.key === undefined) return { columns, rows: all };
  const found = all.find(([k]) => k === stmt.key);
  return { columns, rows: [[stmt.key, found ? found[1] : `Table ${display} does not have property: ${stmt.key}`]] };
}

/** The table a statement names, as it is now, and its name to show. */
async function snapshotOf(session: Session, table: TableName, ctx: ReadContext) {
  const { location, display } = ctx.catalog.resolve(table);
  return { snap: await loadSnapshot(location, { session, name: display }), display, location };
}

/** The catalog a statement names must be the project's (it has one). */
function checkCatalog(catalog: Catalog, name: string | undefined): void {
  if (name !== undefined && name.toLowerCase() !== catalog.name.toLowerCase())
    throw new UserSqlError(
      `catalog ${name} is not this project's: its tables are in catalog ${catalog.name} (strata.yaml: catalog)`,
    );
}

/** Whether a schema exists: the default and system schemas always; others once created or holding a table. */
async function schemaExists(catalog: Catalog, schema: string): Promise<boolean> {
  const lower = schema.toLowerCase();
  if (lower === DEFAULT_SCHEMA || lower === SYSTEM_SCHEMA) return true;
  const st = await fs.stat(path.join(catalog.lakeRoot, schema)).catch(() => undefined);
  return Boolean(st?.isDirectory());
}

/**
 * USE CATALOG / USE SCHEMA: one-part names resolve in that schema for the rest of the session
 * (kept in `settings` as strata.current_schema). A schema that does not exist is an error, as on Databricks.
 */
export async function runUse(
  stmt: Extract<Statement, { kind: 'use' }>,
  ctx: ReadContext,
  settings: Map<string, string>,
): Promise<QueryResult> {
  checkCatalog(ctx.catalog, stmt.catalog);
  if (stmt.schema !== undefined) {
    if (!(await schemaExists(ctx.catalog, stmt.schema)))
      throw new UserSqlError(
        `schema ${stmt.schema} does not exist (SCHEMA_NOT_FOUND): CREATE SCHEMA ${stmt.schema} first, or see SHOW SCHEMAS`,
      );
    settings.set(CURRENT_SCHEMA, stmt.schema);
    ctx.catalog = ctx.catalog.withSchema(stmt.schema);
  }
  return { columns: [], rows: [] };
}

/** The setting that holds a session's current schema (USE SCHEMA). */
export const CURRENT_SCHEMA = 'strata.current_schema';

/** CREATE SCHEMA [IF NOT EXISTS]: the schema's folder in the lake. */
export async function runCreateSchema(
  stmt: Extract<Statement, { kind: 'create-schema' }>,
  ctx: ReadContext,
): Promise<QueryResult> {
  checkCatalog(ctx.catalog, stmt.catalog);
  if (/[/\\]|^\.\.?$/.test(stmt.schema)) throw new UserSqlError(`schema name ${stmt.schema} is not valid`);
  if (await schemaExists(ctx.catalog, stmt.schema)) {
    if (stmt.ifNotExists) return { columns: [], rows: [] };
    throw new UserSqlError(
      `schema ${stmt.schema} already exists (SCHEMA_ALREADY_EXISTS); use CREATE SCHEMA IF NOT EXISTS`,
    );
  }
  await fs.mkdir(path.join(ctx.catalog.lakeRoot, stmt.schema), { recursive: true });
  return { columns: [], rows: [] };
}
