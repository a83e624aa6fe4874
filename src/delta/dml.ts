// DELETE and UPDATE, copy-on-write: only files that can hold affected rows are
// read (partition values and stats prune them first); a file whose rows all
// match is removed without rewriting (DELETE) — a metadata-only commit when
// whole partitions go —, a file with some matching rows is rewritten with its
// other rows kept exactly; untouched files stay. One commit per statement.
import { randomUUID } from 'node:crypto';
import { StrataError } from '../core/index.js';
import { quoteIdent, type Session } from '../engine/index.js';
import type { Action, AddAction } from './actions.js';
import { localPathStore } from './local-paths.js';
import type { TransactionFootprint } from './conflicts.js';
import { changeDataFeedEnabled, writeChangeData } from './change-data.js';
import { fileMatcher, pruneFiles, type Predicate } from './prune.js';
import { canonicalPath } from './replay.js';
import { FILE_COLUMN, planScan, ROW_COLUMN } from './scan.js';
import { partitionLiteral } from './partition-values.js';
import { duckdbType } from './schema.js';
import type { Snapshot } from './snapshot.js';
import { deletionVectorsEnabled } from './table-features.js';
import {
  afterCommit,
  commitOrClean,
  deleteFiles,
  loadForRewrite,
  removeOf,
  writeChecked,
  type TableRef,
} from './write.js';
import { sortedRows, toRuns, writeDeletionVectors, type DeletionVectorWrite } from './deletion-vector.js';

export interface DmlOptions extends TableRef {
  /** SQL predicate over the table's columns; absent = every row. */
  where?: string;
  /** The same predicate in the form file skipping understands, when it could be parsed. */
  prune?: Predicate;
  now?: () => number;
  /** Runs after the data is written, before the commit (tests use it to race another writer). */
  beforeCommit?: () => Promise<void>;
}

export interface DmlOutcome {
  version?: number;
  /** Rows deleted or updated. */
  numAffectedRows: number;
  numCopiedRows: number;
  numRemovedFiles: number;
  numAddedFiles: number;
}

const NOTHING: DmlOutcome = { numAffectedRows: 0, numCopiedRows: 0, numRemovedFiles: 0, numAddedFiles: 0 };

/** DELETE FROM t [WHERE ...]. */
export async function deleteRows(session: Session, options: DmlOptions): Promise<DmlOutcome> {
  return rewrite(session, options, 'DELETE');
}

/** UPDATE t SET col = expr, ... [WHERE ...]. Expressions are SQL over the row's columns. */
export async function updateRows(
  session: Session,
  options: DmlOptions & { set: [string, string][] },
): Promise<DmlOutcome> {
  return rewrite(session, options, 'UPDATE', options.set);
}

async function rewrite(
  session: Session,
  options: DmlOptions,
  operation: 'DELETE' | 'UPDATE',
  set: [string, string][] = [],
): Promise<DmlOutcome> {
  const { table, snapshot } = await loadForRewrite(session, options);
  if (snapshot.metadata.configuration['delta.appendOnly']?.toLowerCase() === 'true') {
    throw new StrataError(
      'CONSTRAINT_VIOLATED',
      `table ${table} is append-only (delta.appendOnly = true): ${operation} is not allowed`,
      { context: { table } },
    );
  }
  const assignments = resolveAssignments(snapshot, table, set);
  const matches = options.where === undefined ? 'TRUE' : `coalesce((${options.where}), false)`;
  const candidates = pruneFiles(snapshot, options.prune);
  if (candidates.length === 0) return NOTHING;

  if (operation === 'DELETE') {
    const byPartition = await deleteByPartition(session, snapshot, candidates, options.where);
    if (byPartition) return commitDelete(session, snapshot, table, options, candidates, byPartition);
  }

  const id = randomUUID().replace(/-/g, '').slice(0, 12);
  const scan = await planScan(snapshot, session, { id, files: candidates, withFile: true });
  const byPath = new Map(candidates.map((f) => [canonicalPath(snapshot.store.root, f.path), f]));
  try {
    // How many rows of each file match — and which, when they are to be marked in deletion vectors.
    const dv = deletionVectorsEnabled(snapshot.metadata.configuration);
    const counts = await session.rows<{ file: number; matched: bigint; total: bigint; rows?: bigint[] | null }>(
      `SELECT ${FILE_COLUMN} AS file, count(*) FILTER (WHERE ${matches}) AS matched, count(*) AS total${dv ? `, list(${ROW_COLUMN} ORDER BY ${ROW_COLUMN}) FILTER (WHERE ${matches}) AS rows` : ''}
       FROM (${scan.sql}) AS t GROUP BY 1`,
    );
    const matchedRows = new Map<AddAction, bigint[]>();
    const whole: AddAction[] = [];
    const partial: AddAction[] = [];
    let affected = 0;
    for (const c of counts) {
      const matched = Number(c.matched);
      if (matched === 0) continue;
      affected += matched;
      const add = byPath.get(scan.fileIds[c.file]);
      if (!add) throw new StrataError('INTERNAL', `table ${table}: scan returned an unknown file id ${c.file}`);
      if (operation === 'DELETE' && matched === Number(c.total)) whole.push(add);
      else partial.push(add);
      if (c.rows) matchedRows.set(add, c.rows);
    }
    if (whole.length === 0 && partial.length === 0) return NOTHING;

    const store = localPathStore(snapshot.store, snapshot.table);
    const now = options.now ?? Date.now;
    const fields = snapshot.schema.fields;
    let written = { adds: [] as AddAction[], numRows: 0, numBytes: 0 };
    let copied = 0;
    const projection = fields.map((f) => `src.${quoteIdent(f.name)} AS ${quoteIdent(f.name)}`).join(', ');
    const updated = (files: AddAction[], where: string) => {
      const columns = fields.map((f) => {
        const q = quoteIdent(f.name);
        const expr = assignments.get(f.name);
        return expr === undefined
          ? `t.${q} AS ${q}`
          : `CASE WHEN ${matches} THEN CAST((${expr}) AS ${duckdbType(f.type)}) ELSE t.${q} END AS ${q}`;
      });
      return planScan(snapshot, session, { id: `${id}r`, files }).then((rewriteScan) => {
        scan.cleanup.push(...rewriteScan.cleanup);
        return `SELECT ${columns.join(', ')} FROM (${rewriteScan.sql}) AS t${where}`;
      });
    };
    let deletionVectors: DeletionVectorWrite = { adds: [], emptied: [] };
    if (dv) {
      // Merge-on-read: the matching rows are marked deleted; an UPDATE writes their new
      // versions to new files. No untouched row is copied.
      const marked = operation === 'DELETE' ? partial : [...whole, ...partial];
      if (operation === 'UPDATE') {
        written = await writeChecked(
          session,
          store,
          table,
          await updated(marked, ` WHERE ${matches}`),
          projection,
          snapshot.schema,
          snapshot.partitionColumns,
          snapshot.metadata.configuration,
          now,
        );
      }
      try {
        deletionVectors = await writeDeletionVectors(
          store,
          table,
          marked.map((file) => ({ file, runs: toRuns(sortedRows(matchedRows.get(file) ?? [])) })),
        );
      } catch (err) {
        await deleteFiles(store, written.adds);
        throw err;
      }
    } else if (partial.length > 0) {
      const select = await updated(partial, operation === 'DELETE' ? ` WHERE NOT ${matches}` : '');
      written = await writeChecked(
        session,
        store,
        table,
        select,
        projection,
        snapshot.schema,
        snapshot.partitionColumns,
        snapshot.metadata.configuration,
        now,
      );
      copied = operation === 'DELETE' ? written.numRows : written.numRows - affected;
    }
    const removed = [...whole, ...partial];
    const actions: Action[] = [
      ...removed.map((f) => ({ remove: removeOf(f, now()) })),
      ...deletionVectors.adds.map((add) => ({ add })),
      ...written.adds.map((add) => ({ add })),
    ];
    let changeFiles: AddAction[] = [];
    if (changeDataFeedEnabled(snapshot.metadata.configuration)) {
      // The change feed records the deleted rows, or each updated row before and after.
      const changed = await planScan(snapshot, session, { id: `${id}c`, files: removed });
      scan.cleanup.push(...changed.cleanup);
      const before = fields.map((f) => `t.${quoteIdent(f.name)}`).join(', ');
      const after = fields
        .map((f) => {
          const expr = assignments.get(f.name);
          return expr === undefined ? `t.${quoteIdent(f.name)}` : `CAST((${expr}) AS ${duckdbType(f.type)})`;
        })
        .join(', ');
      const from = `FROM (${changed.sql}) AS t WHERE ${matches}`;
      const select =
        operation === 'DELETE'
          ? `SELECT ${before}, 'delete' ${from}`
          : `SELECT ${before}, 'update_preimage' ${from} UNION ALL SELECT ${after}, 'update_postimage' ${from}`;
      const cdc = await writeChangeData(
        session,
        store,
        table,
        snapshot.schema,
        snapshot.partitionColumns,
        snapshot.metadata.configuration,
        select,
      );
      actions.push(...cdc.actions);
      changeFiles = cdc.paths.map((p) => ({ path: p }) as AddAction);
    }
    const paths = (files: AddAction[]) => new Set(files.map((f) => canonicalPath(store.root, f.path)));
    const footprint: TransactionFootprint = {
      // Serializable: rows appended concurrently that match the predicate would be missed.
      readWholeTable: true,
      readsFile:
        options.where === undefined ? undefined : options.prune ? fileMatcher(snapshot, options.prune) : undefined,
      readFiles: paths(candidates),
      removedFiles: paths(removed),
      changesMetadata: false,
      appIds: new Set(),
    };
    // As Spark counts them: a file kept with a (new) deletion vector is not a removed file.
    const removedFiles = removed.length - deletionVectors.adds.length;
    const files = {
      numRemovedFiles: removedFiles,
      numAddedFiles: written.adds.length,
      numAddedBytes: written.numBytes,
    };
    const dvMetrics = dv
      ? {
          numDeletionVectorsAdded: deletionVectors.adds.length,
          numDeletionVectorsRemoved: removed.filter((f) => f.deletionVector).length,
        }
      : {};
    const metrics =
      operation === 'DELETE'
        ? { numDeletedRows: affected, numCopiedRows: copied, ...files, ...dvMetrics }
        : { numUpdatedRows: affected, numCopiedRows: copied, ...files, ...dvMetrics };
    await options.beforeCommit?.();
    const result = await commitOrClean(
      store,
      table,
      snapshot.version,
      {
        operation,
        operationParameters: { predicate: JSON.stringify(options.where === undefined ? [] : [options.where]) },
        operationMetrics: metrics,
        actions,
        footprint,
      },
      [...written.adds, ...changeFiles, ...(deletionVectors.path ? [{ path: deletionVectors.path }] : [])],
    );
    await afterCommit(session, store, table, result.version, snapshot.metadata.configuration);
    return {
      version: result.version,
      numAffectedRows: affected,
      numCopiedRows: copied,
      numRemovedFiles: removedFiles,
      numAddedFiles: written.adds.length,
    };
  } finally {
    for (const statement of scan.cleanup) await session.exec(statement).catch(() => undefined);
  }
}

/**
 * A DELETE whose condition reads partition columns only (or no condition) is
 * decided per file from its partition values: matching files go whole, their
 * row counts taken from their stats — a metadata-only commit that reads no
 * data. Undefined when the condition needs the rows (or a count is missing).
 */
async function deleteByPartition(
  session: Session,
  snapshot: Snapshot,
  files: AddAction[],
  where: string | undefined,
): Promise<{ file: AddAction; rows: number }[] | undefined> {
  const live = (f: AddAction) => {
    const stats = f.stats ? (JSON.parse(f.stats) as { numRecords?: number }) : undefined;
    return stats?.numRecords === undefined ? undefined : stats.numRecords - (f.deletionVector?.cardinality ?? 0);
  };
  if (files.some((f) => live(f) === undefined)) return undefined;
  let matching: AddAction[];
  if (where === undefined) matching = files;
  else {
    const parts = snapshot.schema.fields.filter((f) => snapshot.partitionColumns.includes(f.name));
    if (parts.length === 0 || /\b(random|uuid|gen_random_uuid|setseed|nextval)\s*\(/i.test(where)) return undefined;
    const rows = files.map(
      (file, i) =>
        `(${i}, ${parts.map((f) => partitionLiteral(file.partitionValues?.[f.name] ?? null, f.type, snapshot.table, f.name)).join(', ')})`,
    );
    let decided: { i: number; m: boolean }[];
    try {
      decided = await session.rows<{ i: number; m: boolean }>(
        `SELECT __i AS i, coalesce((${where}), false) AS m FROM (VALUES ${rows.join(', ')}) AS t(__i, ${parts.map((f) => quoteIdent(f.name)).join(', ')})`,
      );
    } catch {
      return undefined; // the condition reads other columns: decide row by row
    }
    matching = decided.filter((d) => d.m).map((d) => files[d.i]);
  }
  return matching.map((file) => ({ file, rows: live(file)! }));
}

/** Commits a DELETE of whole files (decided from partition values). */
async function commitDelete(
  session: Session,
  snapshot: Snapshot,
  table: string,
  options: DmlOptions,
  candidates: AddAction[],
  whole: { file: AddAction; rows: number }[],
): Promise<DmlOutcome> {
  if (whole.length === 0) return NOTHING;
  const store = localPathStore(snapshot.store, snapshot.table);
  const now = options.now ?? Date.now;
  const affected = whole.reduce((n, w) => n + w.rows, 0);
  let changeFiles: AddAction[] = [];
  const actions: Action[] = whole.map((w) => ({ remove: removeOf(w.file, now()) }));
  if (changeDataFeedEnabled(snapshot.metadata.configuration)) {
    const id = randomUUID().replace(/-/g, '').slice(0, 12);
    const changed = await planScan(snapshot, session, { id: `${id}c`, files: whole.map((w) => w.file) });
    try {
      const cdc = await writeChangeData(
        session,
        store,
        table,
        snapshot.schema,
        snapshot.partitionColumns,
        snapshot.metadata.configuration,
        `SELECT ${snapshot.schema.fields.map((f) => `t.${quoteIdent(f.name)}`).join(', ')}, 'delete' FROM (${changed.sql}) AS t`,
      );
      actions.push(...cdc.actions);
      changeFiles = cdc.paths.map((p) => ({ path: p }) as AddAction);
    } finally {
      for (const statement of changed.cleanup) await session.exec(statement).catch(() => undefined);
    }
  }
  const paths = (files: AddAction[]) => new Set(files.map((f) => canonicalPath(store.root, f.path)));
  await options.beforeCommit?.();
  const result = await commitOrClean(
    store,
    table,
    snapshot.version,
    {
      operation: 'DELETE',
      operationParameters: { predicate: JSON.stringify(options.where === undefined ? [] : [options.where]) },
      operationMetrics: {
        numDeletedRows: affected,
        numCopiedRows: 0,
        numRemovedFiles: whole.length,
        numAddedFiles: 0,
        numAddedBytes: 0,
      },
      actions,
      footprint: {
        readWholeTable: true,
        readsFile:
          options.where === undefined ? undefined : options.prune ? fileMatcher(snapshot, options.prune) : undefined,
        readFiles: paths(candidates),
        removedFiles: paths(whole.map((w) => w.file)),
        changesMetadata: false,
        appIds: new Set(),
      },
    },
    changeFiles,
  );
  await afterCommit(session, store, table, result.version, snapshot.metadata.configuration);
  return {
    version: result.version,
    numAffectedRows: affected,
    numCopiedRows: 0,
    numRemovedFiles: whole.length,
    numAddedFiles: 0,
  };
}

function resolveAssignments(snapshot: Snapshot, table: string, set: [string, string][]): Map<string, string> {
  const out = new Map<string, string>();
  for (const [column, expr] of set) {
    const field = snapshot.schema.fields.find((f) => f.name.toLowerCase() === column.toLowerCase());
    if (!field)
      throw new StrataError('SCHEMA_MISMATCH', `UPDATE ${table}: the table has no column ${column}`, {
        context: { table, column },
      });
    if (out.has(field.name))
      throw new StrataError('USAGE', `UPDATE ${table}: column ${field.name} is set twice`, { context: { table } });
    out.set(field.name, expr);
  }
  return out;
}
