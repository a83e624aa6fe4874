// Replacing the rows of some keys, copy-on-write, in one commit: every row
// whose key is in a key set is removed and a new set of rows is added. Only the
// files that hold one of those keys are rewritten (file stats on the first key
// column prune the candidates, a semi-join finds the files that really hold
// one); the others stay. AUTO CDC writes its targets this way: a batch's keys
// recomputed from their whole history, with the stream progress in the commit.
import { randomUUID } from 'node:crypto';
import { quoteIdent, quoteLiteral, type Session } from '../engine/index.js';
import type { Action, AddAction } from './actions.js';
import { localPathStore } from './local-paths.js';
import { changeDataFeedEnabled, writeChangeData } from './change-data.js';
import type { TransactionFootprint } from './conflicts.js';
import { pruneFiles, type Predicate } from './prune.js';
import { canonicalPath } from './replay.js';
import { FILE_COLUMN, planScan } from './scan.js';
import { duckdbType } from './schema.js';
import type { Snapshot } from './snapshot.js';
import { afterCommit, commitOrClean, loadForRewrite, removeOf, writeChecked, type TableRef } from './write.js';

export interface ReplaceKeysOptions extends TableRef {
  /** The key columns (the table's names). */
  keys: string[];
  /** A relation with the key columns (same names): the keys whose rows are replaced; undefined = every row. */
  keySet?: string;
  /** `keySet` is a table of distinct keys: used as it is. */
  keySetDistinct?: boolean;
  /** The new rows of those keys (the table's columns, matched by name). */
  rows: string;
  /**
   * Count the keys that had a live row before and have none after (`numKeysGone`); a row is live
   * when this predicate holds (`true`: every row; SCD2: `"__END_AT" IS NULL`).
   */
  countKeysGone?: string;
  txns?: { appId: string; version: number }[];
  /** The version the progress in `txns` was read at: commits since are conflict-checked (see writeTable). */
  readVersion?: number;
  operation?: string;
  operationParameters?: Record<string, unknown>;
  info?: Record<string, unknown>;
  now?: () => number;
}

export interface ReplaceKeysOutcome {
  version?: number;
  /** Rows of the replaced keys before. */
  numRowsBefore: number;
  /** Rows written for them. */
  numRowsAfter: number;
  /** New rows that were not there before, identical row for row. */
  numRowsChanged: number;
  /** Old rows that are not there any more. */
  numRowsGone: number;
  /** Keys with a live row before and none after (when `countKeysGone` was given). */
  numKeysGone?: number;
  numFilesRemoved: number;
  numFilesAdded: number;
}

export async function replaceKeys(session: Session, o: ReplaceKeysOptions): Promise<ReplaceKeysOutcome> {
  const { table, snapshot } = await loadForRewrite(session, o);
  const id = randomUUID().replace(/-/g, '').slice(0, 12);
  const ownKeysT = `temp.${quoteIdent(`__strata_rk_keys_${id}`)}`;
  const oldT = `temp.${quoteIdent(`__strata_rk_old_${id}`)}`;
  const newT = `temp.${quoteIdent(`__strata_rk_new_${id}`)}`;
  const cleanup = [ownKeysT, oldT, newT].map((t) => `DROP TABLE IF EXISTS ${t}`);
  const fields = snapshot.schema.fields;
  const names = fields.map((f) => quoteIdent(f.name)).join(', ');
  try {
    await session.exec(
      `CREATE TEMP TABLE ${newT} AS SELECT ${fields.map((f) => `CAST(${quoteIdent(f.name)} AS ${duckdbType(f.type)}) AS ${quoteIdent(f.name)}`).join(', ')} FROM (${o.rows}) AS __r`,
    );
    let candidates = snapshot.files;
    // With a key set: the table of its keys, and their range (files, row groups, join condition).
    let keyed: { table: string; range: KeyRange } | undefined;
    if (o.keySet !== undefined) {
      const table = o.keySetDistinct ? o.keySet : ownKeysT;
      if (!o.keySetDistinct)
        await session.exec(
          `CREATE TEMP TABLE ${table} AS SELECT DISTINCT ${o.keys.map(quoteIdent).join(', ')} FROM (${o.keySet}) AS __k`,
        );
      keyed = { table, range: await filesForKeys(session, snapshot, o.keys, table) };
      candidates = keyed.range.files;
    }
    const scan = await planScan(snapshot, session, { id, files: candidates, withFile: true });
    cleanup.push(...scan.cleanup);
    const holding = keyed
      ? `(SELECT * FROM (${scan.sql}) AS __t SEMI JOIN ${keyed.table} AS __k ON ${keyed.range.match('__t', '__k')} WHERE ${keyed.range.filter(`__t.${quoteIdent(o.keys[0])}`)})`
      : `(${scan.sql})`;
    // The old rows of the keys: their file, and a hash of their values (for the metrics).
    const keyCols = o.keys.map(quoteIdent).join(', ');
    const live = o.countKeysGone === undefined ? '' : `, ${keyCols}, (${o.countKeysGone}) AS __live`;
    await session.exec(
      `CREATE TEMP TABLE ${oldT} AS SELECT ${FILE_COLUMN}, hash(${names}) AS __h${live} FROM ${holding} AS __h`,
    );
    // One grouping of old and new rows by their values' hash (these are metrics): rows only in
    // the new set changed (or are new), rows only in the old set are gone.
    const [c] = await session.rows<{
      before: bigint;
      after: bigint;
      changed: bigint;
      gone: bigint;
      files: number[] | null;
    }>(
      `SELECT sum(o) AS before, sum(n) AS after, sum(greatest(n - o, 0)) AS changed, sum(greatest(o - n, 0)) AS gone, (SELECT list(DISTINCT ${FILE_COLUMN}) FROM ${oldT}) AS files
       FROM (SELECT count(*) FILTER (WHERE __side = 0) AS o, count(*) FILTER (WHERE __side = 1) AS n
             FROM (SELECT __h, 0 AS __side FROM ${oldT} UNION ALL SELECT hash(${names}) AS __h, 1 AS __side FROM ${newT}) AS __b GROUP BY __h)`,
    );
    const touchedPaths = new Set((c.files ?? []).map((i) => scan.fileIds[i]));
    const touched = snapshot.files.filter((f) => touchedPaths.has(canonicalPath(snapshot.store.root, f.path)));
    const outcome: ReplaceKeysOutcome = {
      numRowsBefore: Number(c.before),
      numRowsAfter: Number(c.after),
      numRowsChanged: Number(c.changed),
      numRowsGone: Number(c.gone),
      numFilesRemoved: touched.length,
      numFilesAdded: 0,
    };
    if (o.countKeysGone !== undefined) {
      const [g] = await session.rows<{ n: bigint }>(
        `SELECT count(*) AS n FROM (SELECT ${keyCols} FROM ${oldT} WHERE __live EXCEPT SELECT ${keyCols} FROM ${newT} WHERE (${o.countKeysGone}))`,
      );
      outcome.numKeysGone = Number(g.n);
    }
    const parts = [`SELECT ${names} FROM ${newT}`];
    if (touched.length > 0) {
      // The other rows of the touched files, kept exactly.
      const rewrite = await planScan(snapshot, session, { id: `${id}r`, files: touched });
      cleanup.push(...rewrite.cleanup);
      const kept = keyed
        ? `SELECT ${names} FROM (${rewrite.sql}) AS __t ANTI JOIN ${keyed.table} AS __k ON ${keyed.range.match('__t', '__k')}`
        : undefined;
      if (kept) parts.unshift(kept);
    }
    const store = localPathStore(snapshot.store, snapshot.table);
    const now = o.now ?? Date.now;
    const projection = fields.map((f) => `src.${quoteIdent(f.name)} AS ${quoteIdent(f.name)}`).join(', ');
    // Sorted by key: a key's rows stay together, and files keep narrow key ranges (so later batches rewrite few).
    const sorted = `SELECT * FROM (${parts.join('\nUNION ALL\n')}) AS __all ORDER BY ${o.keys.map(quoteIdent).join(', ')}`;
    const written = await writeChecked(
      session,
      store,
      table,
      sorted,
      projection,
      snapshot.schema,
      snapshot.partitionColumns,
      snapshot.metadata.configuration,
      now,
    );
    outcome.numFilesAdded = written.adds.length;
    const actions: Action[] = [
      ...(o.txns ?? []).map((t) => ({ txn: { appId: t.appId, version: t.version, lastUpdated: now() } })),
      ...touched.map((f) => ({ remove: removeOf(f, now()) })),
      ...written.adds.map((add) => ({ add })),
    ];
    const extra: { path: string }[] = [];
    if (changeDataFeedEnabled(snapshot.metadata.configuration) && touched.length > 0) {
      const old = `SELECT ${names} FROM ${holding} AS __h`;
      const changes = `SELECT ${names}, 'delete' FROM (${old} EXCEPT ALL SELECT ${names} FROM ${newT})
        UNION ALL SELECT ${names}, 'insert' FROM (SELECT ${names} FROM ${newT} EXCEPT ALL ${old})`;
      const cdc = await writeChangeData(
        session,
        store,
        table,
        snapshot.schema,
        snapshot.partitionColumns,
        snapshot.metadata.configuration,
        changes,
      );
      actions.push(...cdc.actions);
      extra.push(...cdc.paths.map((p) => ({ path: p })));
    }
    const paths = (files: { path: string }[]) => new Set(files.map((f) => canonicalPath(store.root, f.path)));
    const footprint: TransactionFootprint = {
      readWholeTable: true, // rows of these keys appended meanwhile would be missed
      readFiles: paths(candidates),
      removedFiles: paths(touched),
      changesMetadata: false,
      appIds: new Set((o.txns ?? []).map((t) => t.appId)),
    };
    const result = await commitOrClean(
      store,
      table,
      snapshot.version,
      {
        operation: o.operation ?? 'MERGE',
        operationParameters: o.operationParameters,
        operationMetrics: {
          numTargetRowsInserted: outcome.numRowsChanged,
          numTargetRowsDeleted: outcome.numRowsGone,
          numTargetFilesRemoved: outcome.numFilesRemoved,
          numTargetFilesAdded: outcome.numFilesAdded,
          numOutputRows: written.numRows,
        },
        actions,
        footprint,
        info: o.info,
      },
      [...written.adds, ...extra],
      o.readVersion,
    );
    await afterCommit(session, store, table, result.version, snapshot.metadata.configuration);
    return { ...outcome, version: result.version };
  } finally {
    for (const s of cleanup) await session.exec(s).catch(() => undefined);
  }
}

/** The files of a key set's range, and a filter on that range (Parquet readers skip row groups outside it). */
export interface KeyRange {
  files: AddAction[];
  /** `column` (the first key's) within the range, as SQL; TRUE when there is no range (a NULL key). */
  filter: (column: string) => string;
  /** `a`'s key equals `b`'s, as SQL: `=` when the set has no NULL key (faster joins), else IS NOT DISTINCT FROM. */
  match: (a: string, b: string) => string;
  /** Whether some key of the set has a NULL part. */
  nullKeys: boolean;
  /** The number of keys in the set. */
  count: number;
}

/**
 * The files of `snapshot` whose stats allow a key of `keySet` (a relation with the `keys` columns):
 * those overlapping the range of the first key; none when there is no key; all when it has a NULL.
 */
export async function filesForKeys(
  session: Session,
  snapshot: Snapshot,
  keys: string[],
  keySet: string,
): Promise<KeyRange> {
  const k = quoteIdent(keys[0]);
  const anyNull = keys.map((c) => `${quoteIdent(c)} IS NULL`).join(' OR ');
  const [r] = await session.rows<{
    lo: string | null;
    hi: string | null;
    n: bigint;
    nulls: bigint;
    anyNulls: bigint;
    type: string | null;
  }>(
    `SELECT min(${k})::VARCHAR AS lo, max(${k})::VARCHAR AS hi, count(*) AS n, count(*) - count(${k}) AS nulls, count(*) FILTER (WHERE ${anyNull}) AS anyNulls, any_value(typeof(${k})) AS type FROM ${keySet}`,
  );
  const nullKeys = Number(r.anyNulls) > 0;
  const count = Number(r.n);
  const match = (a: string, b: string) =>
    keys
      .map((c) => `${a}.${quoteIdent(c)} ${nullKeys ? 'IS NOT DISTINCT FROM' : '='} ${b}.${quoteIdent(c)}`)
      .join(' AND ');
  if (count === 0) return { files: [], filter: () => 'FALSE', match, nullKeys, count };
  if (Number(r.nulls) > 0 || r.lo === null || r.hi === null || r.type === null)
    return { files: snapshot.files, filter: () => 'TRUE', match, nullKeys, count };
  const predicate: Predicate = {
    kind: 'and',
    items: [
      { kind: 'cmp', column: keys[0], op: '>=', value: r.lo },
      { kind: 'cmp', column: keys[0], op: '<=', value: r.hi },
    ],
  };
  const { lo, hi, type } = r;
  return {
    files: pruneFiles(snapshot, predicate),
    filter: (column) =>
      `${column} BETWEEN CAST(${quoteLiteral(lo)} AS ${type}) AND CAST(${quoteLiteral(hi)} AS ${type})`,
    match,
    nullKeys,
    count,
  };
}
