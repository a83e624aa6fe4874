// The statements about a table rather than its rows: RESTORE, VACUUM, OPTIMIZE, DESCRIBE
// HISTORY and DETAIL, ALTER TABLE; results in Databricks' columns.
import { UserSqlError } from '../core/index.js';
import type { QueryResult, Session } from '../engine/index.js';
import {
  alterTable,
  describeSnapshot,
  loadSnapshot,
  optimizeTable,
  restoreTable,
  tableHistory,
  vacuumTable,
} from '../delta/index.js';
import { wherePrune } from './predicates.js';
import type { Statement } from './statement.js';
import type { ReadContext } from './read-context.js';

export async function runRestore(
  session: Session,
  stmt: Extract<Statement, { kind: 'restore' }>,
  ctx: ReadContext,
): Promise<QueryResult> {
  const { location, display } = ctx.catalog.resolve(stmt.table);
  const r = await restoreTable(
    session,
    { location, name: display },
    { version: stmt.version, timestamp: stmt.timestamp },
  );
  return {
    columns: ['num_removed_files', 'num_restored_files', 'version', 'restored_version'].map((name) => ({
      name,
      type: 'BIGINT',
    })),
    rows: [[r.numRemovedFiles, r.numRestoredFiles, r.version, r.restoredVersion]],
  };
}

export async function runVacuum(
  session: Session,
  stmt: Extract<Statement, { kind: 'vacuum' }>,
  ctx: ReadContext,
  settings: Map<string, string>,
): Promise<QueryResult> {
  const { location, display } = ctx.catalog.resolve(stmt.table);
  const check = [
    'strata.vacuum.retentiondurationcheck.enabled',
    'spark.databricks.delta.retentiondurationcheck.enabled',
  ];
  const r = await vacuumTable(session, {
    location,
    name: display,
    retentionHours: stmt.retainHours,
    dryRun: stmt.dryRun,
    allowShortRetention: check.some((k) => settings.get(k)?.toLowerCase() === 'false'),
  });
  return { columns: [{ name: 'path', type: 'VARCHAR' }], rows: r.files.map((f) => [f]) };
}

export async function runOptimize(
  session: Session,
  stmt: Extract<Statement, { kind: 'optimize' }>,
  ctx: ReadContext,
): Promise<QueryResult> {
  const { location, display } = ctx.catalog.resolve(stmt.table);
  const prune = await wherePrune(session, stmt.where);
  if (stmt.where !== undefined && !prune) {
    throw new UserSqlError(
      `OPTIMIZE ${display}: the WHERE clause must be simple comparisons of partition columns with constants`,
    );
  }
  const r = await optimizeTable(session, {
    location,
    name: display,
    where: stmt.where,
    prune,
    whereColumns: stmt.whereColumns,
    zOrderBy: stmt.zOrderBy,
  });
  return {
    columns: ['version', 'num_removed_files', 'num_added_files', 'num_removed_bytes', 'num_added_bytes'].map(
      (name) => ({ name, type: 'BIGINT' }),
    ),
    rows: [[r.version ?? null, r.numRemovedFiles, r.numAddedFiles, r.numRemovedBytes, r.numAddedBytes]],
  };
}

export async function runDescribeHistory(
  session: Session,
  stmt: Extract<Statement, { kind: 'describe-history' }>,
  ctx: ReadContext,
): Promise<QueryResult> {
  const { location, display } = ctx.catalog.resolve(stmt.table);
  const entries = await tableHistory(location, stmt.limit, display);
  return {
    columns: [
      { name: 'version', type: 'BIGINT' },
      { name: 'timestamp', type: 'TIMESTAMP WITH TIME ZONE' },
      { name: 'operation', type: 'VARCHAR' },
      { name: 'operationParameters', type: 'MAP(VARCHAR, VARCHAR)' },
      { name: 'readVersion', type: 'BIGINT' },
      { name: 'isolationLevel', type: 'VARCHAR' },
      { name: 'isBlindAppend', type: 'BOOLEAN' },
      { name: 'operationMetrics', type: 'MAP(VARCHAR, VARCHAR)' },
      { name: 'engineInfo', type: 'VARCHAR' },
    ],
    rows: entries.map((e) => [
      e.version,
      e.timestamp,
      e.operation,
      e.operationParameters,
      e.readVersion,
      e.isolationLevel,
      e.isBlindAppend,
      e.operationMetrics,
      e.engineInfo,
    ]),
  };
}

export async function runDescribeDetail(
  session: Session,
  stmt: Extract<Statement, { kind: 'describe-detail' }>,
  ctx: ReadContext,
): Promise<QueryResult> {
  const { location, display } = ctx.catalog.resolve(stmt.table);
  const d = describeSnapshot(await loadSnapshot(location, { session, name: display }));
  const features = [...new Set([...d.protocol.readerFeatures, ...d.protocol.writerFeatures])];
  return {
    columns: [
      ['format', 'VARCHAR'],
      ['id', 'VARCHAR'],
      ['name', 'VARCHAR'],
      ['description', 'VARCHAR'],
      ['location', 'VARCHAR'],
      ['createdAt', 'TIMESTAMP WITH TIME ZONE'],
      ['lastModified', 'TIMESTAMP WITH TIME ZONE'],
      ['partitionColumns', 'VARCHAR[]'],
      ['numFiles', 'BIGINT'],
      ['sizeInBytes', 'BIGINT'],
      ['properties', 'MAP(VARCHAR, VARCHAR)'],
      ['minReaderVersion', 'INTEGER'],
      ['minWriterVersion', 'INTEGER'],
      ['tableFeatures', 'VARCHAR[]'],
      ['version', 'BIGINT'],
    ].map(([name, type]) => ({ name, type })),
    rows: [
      [
        'delta',
        d.id,
        display,
        d.description,
        d.location,
        d.createdAt,
        d.lastModified,
        d.partitionColumns,
        d.numFiles,
        d.sizeInBytes,
        d.properties,
        d.protocol.minReaderVersion,
        d.protocol.minWriterVersion,
        features,
        d.version,
      ],
    ],
  };
}

export async function runAlter(
  session: Session,
  stmt: Extract<Statement, { kind: `alter-${string}` }>,
  ctx: ReadContext,
): Promise<QueryResult> {
  const { location, display } = ctx.catalog.resolve(stmt.table);
  const ref = { location, name: display };
  const change =
    stmt.kind === 'alter-add-columns'
      ? { kind: 'add-columns' as const, columns: stmt.columns }
      : stmt.kind === 'alter-set-properties'
        ? { kind: 'set-properties' as const, properties: stmt.properties }
        : stmt.kind === 'alter-unset-properties'
          ? { kind: 'unset-properties' as const, keys: stmt.keys, ifExists: stmt.ifExists }
          : stmt.kind === 'alter-add-constraint'
            ? { kind: 'add-constraint' as const, name: stmt.name, expr: stmt.expr }
            : { kind: 'drop-constraint' as const, name: stmt.name, ifExists: stmt.ifExists };
  const version = await alterTable(session, ref, change);
  return { columns: [{ name: 'version', type: 'BIGINT' }], rows: version === undefined ? [] : [[version]] };
}
