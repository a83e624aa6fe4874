// Checks on the data of a write, run against the files written before the
// commit: NOT NULL columns, CHECK constraints, and a REPLACE WHERE predicate;
// and finding the files a REPLACE WHERE replaces.
import { randomUUID } from 'node:crypto';
import { StrataError } from '../core/index.js';
import { quoteIdent, type Session } from '../engine/index.js';
import type { LocalPathStore } from '../storage/index.js';
import type { AddAction } from './actions.js';
import { planScan } from './scan.js';
import type { StructType } from './schema.js';
import type { Snapshot } from './snapshot.js';

interface Rule {
  name: string;
  /** Rows violate when this is not TRUE (Delta treats NULL as a violation). */
  expr: string;
  describe: string;
}

/** Throws CONSTRAINT_VIOLATED, naming the rule and sample rows, if written rows break a rule. */
export async function checkConstraints(
  session: Session,
  store: LocalPathStore,
  table: string,
  schema: StructType,
  partitionColumns: string[],
  configuration: Record<string, string>,
  adds: AddAction[],
  replaceWhere?: string,
): Promise<void> {
  const rules: Rule[] = [];
  for (const f of schema.fields) {
    if (!f.nullable)
      rules.push({
        name: `NOT NULL ${f.name}`,
        expr: `${quoteIdent(f.name)} IS NOT NULL`,
        describe: `column ${f.name} is NOT NULL`,
      });
  }
  for (const [key, expr] of Object.entries(configuration)) {
    const m = /^delta\.constraints\.(.+)$/.exec(key);
    if (m) rules.push({ name: m[1], expr, describe: `CHECK constraint ${m[1]} (${expr})` });
  }
  if (replaceWhere !== undefined)
    rules.push({ name: 'replaceWhere', expr: replaceWhere, describe: `the REPLACE WHERE predicate (${replaceWhere})` });
  if (rules.length === 0 || adds.length === 0) return;
  const fake = {
    table,
    store,
    version: -1,
    timestamp: undefined,
    protocol: { minReaderVersion: 1, minWriterVersion: 2 },
    metadata: { id: '', format: { provider: 'parquet' }, schemaString: '', partitionColumns, configuration },
    schema,
    partitionColumns,
    columnMapping: 'none',
    files: adds,
    tombstones: [],
    txns: new Map(),
    domains: new Map(),
  } as Snapshot;
  const scan = await planScan(fake, session, { id: randomUUID().replace(/-/g, '').slice(0, 12), files: adds });
  try {
    const counts = rules.map((r, i) => `count(*) FILTER (WHERE NOT coalesce((${r.expr}), false)) AS v${i}`).join(', ');
    const [row] = await session.rows<Record<string, bigint>>(`SELECT ${counts} FROM (${scan.sql}) AS t`);
    const broken = rules.findIndex((_, i) => Number(row[`v${i}`]) > 0);
    if (broken < 0) return;
    const rule = rules[broken];
    const sample = await session.query(
      `SELECT * FROM (${scan.sql}) AS t WHERE NOT coalesce((${rule.expr}), false) LIMIT 3`,
    );
    const shown = sample.rows
      .map(
        (r) =>
          `(${r.map((v, i) => `${sample.columns[i].name}=${v === null ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(', ')})`,
      )
      .join('; ');
    throw new StrataError(
      'CONSTRAINT_VIOLATED',
      `cannot write to table ${table}: ${Number(row[`v${broken}`])} row(s) violate ${rule.describe}, e.g. ${shown}`,
      {
        context: { table, constraint: rule.name },
      },
    );
  } finally {
    for (const statement of scan.cleanup) await session.exec(statement).catch(() => undefined);
  }
}

/** Files holding rows that match a predicate (for REPLACE WHERE): decided by reading them. */
export async function filesMatching(session: Session, snapshot: Snapshot, predicate: string): Promise<AddAction[]> {
  if (snapshot.files.length === 0) return [];
  const id = randomUUID().replace(/-/g, '').slice(0, 12);
  const matching: AddAction[] = [];
  {
    for (const add of snapshot.files) {
      const one = await planScan(snapshot, session, { id: `${id}f`, files: [add] });
      try {
        const [row] = await session.rows<{ n: bigint }>(
          `SELECT count(*) AS n FROM (${one.sql}) AS t WHERE coalesce((${predicate}), false)`,
        );
        const [all] = await session.rows<{ n: bigint }>(`SELECT count(*) AS n FROM (${one.sql}) AS t`);
        if (Number(row.n) > 0) {
          if (Number(row.n) !== Number(all.n)) {
            throw new StrataError(
              'USAGE',
              `table ${snapshot.table}: REPLACE WHERE (${predicate}) would replace part of data file ${add.path}; Strata replaces whole files, so the predicate must select whole partitions`,
              { context: { table: snapshot.table } },
            );
          }
          matching.push(add);
        }
      } finally {
        for (const statement of one.cleanup) await session.exec(statement).catch(() => undefined);
      }
    }
  }
  return matching;
}
