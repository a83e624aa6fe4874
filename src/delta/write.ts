// Table writes: append and overwrite (whole table, or the part a predicate selects);
// CREATE TABLE [AS SELECT] is create-table.ts. Each write is: plan against a snapshot,
// enforce the schema, write data files, check constraints on what was written,
// then one atomic commit (commit.ts); a checkpoint follows every N commits.
import { DuckDBTypeId } from '@duckdb/node-api';
import { StrataError } from '../core/index.js';
import { quoteIdent, type Session } from '../engine/index.js';
import { sweepTempFiles, type LocalPathStore } from '../storage/index.js';
import type { Action, AddAction, RemoveAction } from './actions.js';
import { writeCheckpoint } from './checkpoint-writer.js';
import { blindAppend, commit, type CommitResult } from './commit.js';
import type { TransactionFootprint } from './conflicts.js';
import { cleanUpExpiredLogs } from './log-cleanup.js';
import { localPathStore } from './local-paths.js';
import { LOG_DIR } from './log-segment.js';
import { canonicalPath, fileObject } from './replay.js';
import type { StructType } from './schema.js';
import { enforceSchema, type Incoming } from './schema-enforcement.js';
import { deltaTypeOf, schemaToJson } from './schema-from-engine.js';
import { loadSnapshot, type Snapshot } from './snapshot.js';
import { checkWritable, mergeProtocol, minimalProtocol, protocolCovers } from './table-features.js';
import { writeDataFiles, type WrittenFiles } from './write-files.js';
import { checkConstraints, filesMatching } from './write-checks.js';

export interface TableRef {
  /** The table folder. */
  location: string;
  /** How messages name the table (default: the location). */
  name?: string;
}

/** A table about to have rows rewritten (DELETE, UPDATE, MERGE, replaced keys): one Strata can write, without column mapping. */
export async function loadForRewrite(session: Session, ref: TableRef): Promise<{ table: string; snapshot: Snapshot }> {
  const table = ref.name ?? ref.location;
  const snapshot = await loadSnapshot(ref.location, { session, name: table });
  checkWritable(table, snapshot.protocol, snapshot.schema);
  if (snapshot.columnMapping !== 'none')
    throw new StrataError('PROTOCOL_UNSUPPORTED', `table ${table} uses column mapping, which Strata cannot write yet`, {
      context: { table },
    });
  return { table, snapshot };
}

export interface WriteOutcome {
  /** The version committed, or undefined when nothing was committed (IF NOT EXISTS, a replayed txn). */
  version?: number;
  numRows: number;
  numFiles: number;
  numRemovedFiles: number;
}

export interface WriteTableOptions extends TableRef {
  select: string;
  /**
   * More rows for the same commit, each written at the same time as `select` on its own
   * session (another connection): same columns as `select`, no temporary objects of
   * the main session.
   */
  parts?: { session: Session; select: string }[];
  mode: 'append' | 'overwrite';
  /** For overwrite: replace only rows matching this SQL predicate (REPLACE WHERE / a static partition). */
  replaceWhere?: string;
  /** Schema evolution: add new columns, widen types. */
  mergeSchema?: boolean;
  /** Table properties set in the same commit (a metadata change only if one differs). */
  setProperties?: Record<string, string>;
  /** SQL INSERT rules (Spark's ANSI store assignment): numeric and datetime values are cast, overflow fails at run time. */
  storeAssignment?: boolean;
  /**
   * Live files removed in the same commit as the rows added (a reloaded file's earlier rows):
   * conflict-checked like files a DELETE rewrites.
   */
  removeFiles?: AddAction[];
  /** Tags on every file written (Delta's `add.tags`: what ingestion knows of the file's rows). */
  tags?: Record<string, string>;
  /** Idempotent writes: skipped when the table already has this app's version. */
  txn?: { appId: string; version: number };
  /** More `txn` actions in the same commit, without the idempotency check (a pipeline's stream progress). */
  txns?: { appId: string; version: number }[];
  /**
   * The version at which the caller read what it writes on (the progress in `txns`): commits
   * since then are conflict-checked too, so two writers of the same progress cannot both commit.
   */
  readVersion?: number;
  /** Spark's operation name in the history (default WRITE). */
  operation?: string;
  operationParameters?: Record<string, unknown>;
  /** Extra commitInfo fields (ingestion records the files a commit loaded). */
  info?: Record<string, unknown>;
  /**
   * Runs after the data files are written, before the commit; may add commitInfo
   * fields. If it throws, the written files are deleted and nothing is committed.
   */
  beforeCommit?: (written: { adds: AddAction[]; numRows: number }) => Promise<Record<string, unknown> | void>;
  now?: () => number;
}

/** INSERT INTO / INSERT OVERWRITE / append and overwrite writes. */
export async function writeTable(session: Session, options: WriteTableOptions): Promise<WriteOutcome> {
  const name = options.name ?? options.location;
  const snapshot = await loadSnapshot(options.location, { session, name });
  checkWritable(name, snapshot.protocol, snapshot.schema);
  const config = snapshot.metadata.configuration;
  if (options.txn) {
    const done = snapshot.txns.get(options.txn.appId);
    if (done && done.version >= options.txn.version) return { numRows: 0, numFiles: 0, numRemovedFiles: 0 };
  }
  if (options.mode === 'overwrite' && config['delta.appendOnly']?.toLowerCase() === 'true') {
    throw new StrataError(
      'CONSTRAINT_VIOLATED',
      `table ${name} is append-only (delta.appendOnly = true): overwriting it is not allowed`,
      { context: { table: name } },
    );
  }
  if (snapshot.columnMapping !== 'none') {
    throw new StrataError('PROTOCOL_UNSUPPORTED', `table ${name} uses column mapping, which Strata cannot write yet`, {
      context: { table: name },
    });
  }
  const incoming = await incomingColumns(session, options.select);
  // A table created without columns (for COPY INTO) takes its schema from the first write.
  const evolve = Boolean(options.mergeSchema) || snapshot.schema.fields.length === 0;
  const enforced = await enforceAllowingNulls(
    session,
    name,
    snapshot.schema,
    incoming,
    evolve,
    options.select,
    options.storeAssignment,
  );
  const schema = enforced.schema;
  // The first write to a table created without columns: its partition columns must be among them.
  const partitionColumns =
    snapshot.schema.fields.length === 0
      ? resolvePartitionColumns(name, schema, snapshot.partitionColumns)
      : snapshot.partitionColumns;
  const now = options.now ?? Date.now;
  const store = localPathStore(snapshot.store, snapshot.table);

  let removed: AddAction[] = options.removeFiles ?? [];
  if (options.mode === 'overwrite') {
    removed =
      options.replaceWhere === undefined
        ? snapshot.files
        : await filesMatching(session, snapshot, options.replaceWhere);
  }
  const write = (s: Session, select: string) =>
    writeChecked(
      s,
      store,
      name,
      select,
      enforced.projection,
      schema,
      partitionColumns,
      config,
      now,
      options.replaceWhere,
    );
  const settled = await Promise.allSettled([
    write(session, options.select),
    ...(options.parts ?? []).map((p) => write(p.session, p.select)),
  ]);
  const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    for (const r of settled) if (r.status === 'fulfilled') await deleteFiles(store, r.value.adds);
    throw failure.reason;
  }
  const parts = settled.map((r) => (r as PromiseFulfilledResult<WrittenFiles>).value);
  const written: WrittenFiles = {
    adds: parts.flatMap((p) => p.adds),
    numRows: parts.reduce((n, p) => n + p.numRows, 0),
    numBytes: parts.reduce((n, p) => n + p.numBytes, 0),
  };
  if (options.tags) for (const add of written.adds) add.tags = { ...(add.tags ?? {}), ...options.tags };
  let info = options.info;
  if (options.beforeCommit) {
    try {
      const extra = await options.beforeCommit({ adds: written.adds, numRows: written.numRows });
      if (extra) info = { ...(info ?? {}), ...extra };
    } catch (err) {
      await deleteFiles(store, written.adds);
      throw err;
    }
  }
  const actions: Action[] = [];
  const setting = Object.entries(options.setProperties ?? {}).filter(([k, v]) => config[k] !== v);
  const metadataChanged = enforced.schemaChanged || setting.length > 0;
  if (enforced.schemaChanged) {
    const needed = minimalProtocol(schema, config);
    if (!protocolCovers(snapshot.protocol, needed))
      actions.push({ protocol: mergeProtocol(snapshot.protocol, needed) });
  }
  if (metadataChanged) {
    const configuration = { ...config, ...Object.fromEntries(setting) };
    const schemaString = enforced.schemaChanged ? schemaToJson(schema) : snapshot.metadata.schemaString;
    actions.push({ metaData: { ...snapshot.metadata, schemaString, partitionColumns, configuration } });
  }
  if (options.txn)
    actions.push({ txn: { appId: options.txn.appId, version: options.txn.version, lastUpdated: now() } });
  for (const t of options.txns ?? []) actions.push({ txn: { appId: t.appId, version: t.version, lastUpdated: now() } });
  for (const f of removed) actions.push({ remove: removeOf(f, now()) });
  for (const add of written.adds) actions.push({ add });
  const footprint: TransactionFootprint = {
    ...blindAppend([...(options.txn ? [options.txn.appId] : []), ...(options.txns ?? []).map((t) => t.appId)]),
    readWholeTable: options.mode === 'overwrite',
    readFiles: new Set(removed.map((f) => canonicalPath(store.root, f.path))),
    removedFiles: new Set(removed.map((f) => canonicalPath(store.root, f.path))),
    changesMetadata: metadataChanged,
  };
  const mode = options.mode === 'append' ? 'Append' : 'Overwrite';
  const result = await commitOrClean(
    store,
    name,
    snapshot.version,
    {
      operation: options.operation ?? 'WRITE',
      operationParameters: {
        mode,
        partitionBy: JSON.stringify(partitionColumns),
        ...(options.replaceWhere !== undefined ? { predicate: JSON.stringify([options.replaceWhere]) } : {}),
        ...(options.operationParameters ?? {}),
      },
      operationMetrics: {
        numFiles: written.adds.length,
        numOutputRows: written.numRows,
        numOutputBytes: written.numBytes,
        ...(removed.length ? { numRemovedFiles: removed.length } : {}),
      },
      actions,
      footprint,
      info,
    },
    written.adds,
    options.readVersion,
  );
  await afterCommit(session, store, name, result.version, config);
  return {
    version: result.version,
    numRows: written.numRows,
    numFiles: written.adds.length,
    numRemovedFiles: removed.length,
  };
}

/**
 * Schema enforcement, where a column of the wrong type that holds only NULLs
 * (DuckDB types a bare NULL as INTEGER) is accepted: it is checked by running
 * the query for that column, only when its type does not fit.
 */
export async function enforceAllowingNulls(
  session: Session,
  table: string,
  schema: StructType,
  incoming: Incoming[],
  evolve: boolean,
  select: string,
  storeAssignment = false,
) {
  for (;;) {
    try {
      return enforceSchema(table, schema, incoming, evolve, storeAssignment);
    } catch (err) {
      const column = err instanceof StrataError && err.code === 'SCHEMA_MISMATCH' ? err.context.column : undefined;
      const src = incoming.find((c) => c.name.toLowerCase() === String(column).toLowerCase());
      if (!src || src.isNull || !schema.fields.some((f) => f.name.toLowerCase() === src.name.toLowerCase())) throw err;
      const rows = await session.rows(
        `SELECT 1 FROM (${select}) AS src WHERE src.${quoteIdent(src.name)} IS NOT NULL LIMIT 1`,
      );
      if (rows.length > 0) throw err;
      src.isNull = true;
    }
  }
}

/** Column names and Delta types of a query's result. */
export async function incomingColumns(session: Session, select: string): Promise<Incoming[]> {
  const columns = await session.describe(select);
  const seen = new Set<string>();
  return columns.map((c) => {
    const key = c.name.toLowerCase();
    if (seen.has(key))
      throw new StrataError(
        'SCHEMA_MISMATCH',
        `the query returns column '${c.name}' twice; give the columns distinct names`,
      );
    seen.add(key);
    return {
      name: c.name,
      type: deltaTypeOf(c.type, c.name),
      isNull: c.type.typeId === DuckDBTypeId.SQLNULL ? true : undefined,
    };
  });
}

export function resolvePartitionColumns(table: string, schema: StructType, columns: string[]): string[] {
  return columns.map((c) => {
    const field = schema.fields.find((f) => f.name.toLowerCase() === c.toLowerCase());
    if (!field)
      throw new StrataError('SCHEMA_MISMATCH', `table ${table}: partition column ${c} is not a column of the table`, {
        context: { table, column: c },
      });
    if (field.type.kind !== 'primitive' && field.type.kind !== 'decimal') {
      throw new StrataError(
        'SCHEMA_MISMATCH',
        `table ${table}: partition column ${c} must have a simple type, not ${field.type.kind}`,
        { context: { table, column: c } },
      );
    }
    return field.name;
  });
}

export function removeOf(add: AddAction, now: number): RemoveAction {
  return {
    path: add.path,
    deletionTimestamp: now,
    dataChange: true,
    extendedFileMetadata: true,
    partitionValues: add.partitionValues,
    size: add.size,
    ...(add.deletionVector ? { deletionVector: add.deletionVector } : {}),
  };
}

/**
 * Writes the files, then checks NOT NULL columns, CHECK constraints and a
 * REPLACE WHERE predicate on what was written; on a violation the files are
 * deleted and nothing is committed.
 */
export async function writeChecked(
  session: Session,
  store: LocalPathStore,
  table: string,
  select: string,
  projection: string,
  schema: StructType,
  partitionColumns: string[],
  configuration: Record<string, string>,
  now: () => number,
  replaceWhere?: string,
): Promise<WrittenFiles> {
  let written: WrittenFiles;
  try {
    written = await writeDataFiles(session, `SELECT ${projection} FROM (${select}) AS src`, {
      table,
      store,
      schema,
      partitionColumns,
      configuration,
      now,
    });
  } catch (err) {
    // e.g. a value that does not fit its column: say which table the write was for.
    if (err instanceof StrataError && err.code === 'SQL_ERROR') {
      throw new StrataError('SQL_ERROR', `cannot write to table ${table}: ${err.message}`, {
        cause: err,
        context: { table },
      });
    }
    throw err;
  }
  try {
    await checkConstraints(session, store, table, schema, partitionColumns, configuration, written.adds, replaceWhere);
  } catch (err) {
    await deleteFiles(store, written.adds);
    throw err;
  }
  return written;
}

export async function commitOrClean(
  store: LocalPathStore,
  table: string,
  readVersion: number,
  request: Parameters<typeof commit>[3],
  adds: Pick<AddAction, 'path'>[],
  since?: number,
): Promise<CommitResult> {
  // Progress read at an earlier version (`since`): every commit after it is checked for
  // conflicts, as if it had been a lost race — another writer that carried the same txn
  // app ids since then (a concurrent run of the same flow) fails this commit.
  const from = since !== undefined && since < readVersion ? since : readVersion;
  try {
    return await commit(store, table, from, request, { maxRetries: 20 + (readVersion - from) });
  } catch (err) {
    await deleteFiles(store, adds);
    throw err;
  }
}

/**
 * Deletes the files of a write that did not commit. Partition folders stay: a
 * concurrent writer may be about to write into one (Spark leaves them too).
 */
export async function deleteFiles(store: LocalPathStore, adds: Pick<AddAction, 'path'>[]): Promise<void> {
  await Promise.all(
    adds.map((a) => {
      const at = fileObject(store, a.path);
      return at.store.delete(at.key);
    }),
  );
}

/** Checkpoint every `delta.checkpointInterval` commits (default 10), then clean up old logs. */
export async function afterCommit(
  session: Session,
  store: LocalPathStore,
  table: string,
  version: number,
  configuration: Record<string, string>,
): Promise<void> {
  const interval = Number(configuration['delta.checkpointInterval'] ?? 10);
  if (!Number.isInteger(interval) || interval <= 0 || version === 0 || version % interval !== 0) return;
  try {
    const snapshot = await loadSnapshot(store.root, { session, version, name: table, store });
    await writeCheckpoint(session, store, snapshot);
    await cleanUpExpiredLogs(store, snapshot.metadata.configuration);
    await sweepTempFiles(store.localPath(LOG_DIR)); // interrupted commits'
  } catch {
    // A checkpoint only speeds reads up; the commit stands without it.
  }
}
