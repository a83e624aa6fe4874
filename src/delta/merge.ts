// MERGE INTO, copy-on-write, with Spark SQL's semantics:
//   1. the source is materialized once, each row numbered;
//   2. a plan table records, for every target row of the candidate files and
//      every source row, which clause applies (the first whose condition holds);
//   3. a target row matched by several source rows is an error (unless the only
//      matched clause is an unconditional DELETE), as in Spark;
//   4. files holding an updated or deleted row are rewritten (other rows kept
//      exactly), inserted source rows are appended — all in one commit.
import { randomUUID } from 'node:crypto';
import { StrataError } from '../core/index.js';
import { quoteIdent, type Session } from '../engine/index.js';
import type { Action, AddAction } from './actions.js';
import { localPathStore } from './local-paths.js';
import { changeDataFeedEnabled, writeChangeData } from './change-data.js';
import type { TransactionFootprint } from './conflicts.js';
import { pruneFiles, type Predicate } from './prune.js';
import { canonicalPath } from './replay.js';
import { FILE_COLUMN, planScan, ROW_COLUMN } from './scan.js';
import { duckdbType, type StructField } from './schema.js';
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
import { writeDeletionVectors, type DeletionVectorWrite } from './deletion-vector.js';

/** The clause acting on a target row (a plan column, and a lateral column alias of the rewrite). */
const CLAUSE = '__strata_clause';
/** The plan's other bookkeeping columns: the target row's file id and row number, the source row, whether they matched. */
const P_FILE = '__strata_file';
const P_ROW = '__strata_row';
const P_SROW = '__strata_srow';
const P_MATCHED = '__strata_matched';

export type MergeClause =
  | { when: 'matched'; condition?: string; action: 'update'; set: [string, string][] | '*' }
  | { when: 'matched'; condition?: string; action: 'delete' }
  | { when: 'not-matched'; condition?: string; action: 'insert'; columns?: string[]; values?: string[] }
  | { when: 'not-matched-by-source'; condition?: string; action: 'update'; set: [string, string][] }
  | { when: 'not-matched-by-source'; condition?: string; action: 'delete' };

export interface MergeOptions extends TableRef {
  targetAlias: string;
  /** A query producing the source rows. */
  source: string;
  sourceAlias: string;
  on: string;
  clauses: MergeClause[];
  /** Equalities of the ON condition between a target column and a source column, for file skipping. */
  keyPairs?: [string, string][];
  /** Table properties to set in the same commit (a materialized view's refresh state). */
  configuration?: Record<string, string>;
  /** Extra commitInfo. */
  info?: Record<string, unknown>;
  /** Application transaction versions recorded in the same commit (a pipeline's progress). */
  txns?: { appId: string; version: number }[];
  /** The version the progress in `txns` was read at: commits since are conflict-checked (see writeTable). */
  readVersion?: number;
  now?: () => number;
}

export interface MergeOutcome {
  version?: number;
  numTargetRowsInserted: number;
  numTargetRowsUpdated: number;
  numTargetRowsDeleted: number;
  numTargetRowsCopied: number;
  numTargetFilesRemoved: number;
  numTargetFilesAdded: number;
  numSourceRows: number;
  /** With deletion vectors: files given a (new) vector, and files whose old vector was replaced. */
  numTargetDeletionVectorsAdded?: number;
  numTargetDeletionVectorsRemoved?: number;
}

export async function mergeInto(session: Session, o: MergeOptions): Promise<MergeOutcome> {
  const { table, snapshot } = await loadForRewrite(session, o);
  const changesRows = o.clauses.some((c) => c.action !== 'insert');
  if (changesRows && snapshot.metadata.configuration['delta.appendOnly']?.toLowerCase() === 'true') {
    throw new StrataError(
      'CONSTRAINT_VIOLATED',
      `table ${table} is append-only (delta.appendOnly = true): MERGE may only insert`,
      { context: { table } },
    );
  }
  const id = randomUUID().replace(/-/g, '').slice(0, 12);
  const src = `__strata_merge_src_${id}`;
  const plan = `__strata_merge_plan_${id}`;
  const cleanup = [`DROP TABLE IF EXISTS temp.${quoteIdent(src)}`, `DROP TABLE IF EXISTS temp.${quoteIdent(plan)}`];
  const t = quoteIdent(o.targetAlias);
  const s = quoteIdent(o.sourceAlias);
  const fields = snapshot.schema.fields;
  try {
    // The statement's result is the source's row count.
    const created = await session.rows<{ Count: bigint }>(
      `CREATE TEMP TABLE ${quoteIdent(src)} AS SELECT *, row_number() OVER () AS __src_row FROM (${o.source}) AS __q`,
    );
    const sourceRows = created[0]?.Count ?? 0n;
    // Source column names are needed only to expand SET * and INSERT *.
    const star = o.clauses.some(
      (c) => (c.action === 'update' && c.set === '*') || (c.action === 'insert' && !c.columns),
    );
    const sourceColumns = star
      ? (await session.describe(`SELECT * FROM temp.${quoteIdent(src)}`))
          .map((c) => c.name)
          .filter((n) => n !== '__src_row')
      : [];
    const clauses = o.clauses.map((c) => resolveClause(c, fields, sourceColumns, o.sourceAlias, table));

    const candidates = candidateFiles(snapshot, o, await sourceKeyRanges(session, snapshot, o, src));
    const scan = await planScan(snapshot, session, { id, files: candidates, withFile: true });
    cleanup.push(...scan.cleanup);
    const matched = `${t}.${FILE_COLUMN} IS NOT NULL AND ${s}.__src_row IS NOT NULL`;
    const targetOnly = `${t}.${FILE_COLUMN} IS NOT NULL AND ${s}.__src_row IS NULL`;
    const sourceOnly = `${t}.${FILE_COLUMN} IS NULL`;
    const scope = { matched, 'not-matched-by-source': targetOnly, 'not-matched': sourceOnly } as const;
    const clauseIndex = `CASE ${clauses.map((c, i) => `WHEN (${scope[c.when]}) AND coalesce((${c.condition ?? 'TRUE'}), false) THEN ${i + 1}`).join(' ')} ELSE 0 END`;
    // Only the sides some clause needs: unmatched target rows matter only to BY SOURCE clauses,
    // unmatched source rows only to inserts.
    const keepTarget = clauses.some((c) => c.when === 'not-matched-by-source');
    const keepSource = clauses.some((c) => c.when === 'not-matched');
    const dv = deletionVectorsEnabled(snapshot.metadata.configuration);
    // The plan keeps the rows that act, and the matched ones (for the ambiguity check). The
    // matched pairs come from an inner join, the unmatched rows of either side from anti joins
    // with them: DuckDB runs an outer join whose ON tests the preserved side alone (ON t.id =
    // s.id AND s.op <> 'D') as a nested loop. The missing side of an unmatched row is a join
    // with an empty relation of its columns, so that one clause expression serves every row.
    const p = `temp.${quoteIdent(plan)}`;
    await session.exec(
      `CREATE TEMP TABLE ${quoteIdent(plan)} AS
       SELECT ${t}.${FILE_COLUMN} AS ${P_FILE}, ${t}.${ROW_COLUMN} AS ${P_ROW}, ${s}.__src_row AS ${P_SROW}, TRUE AS ${P_MATCHED}, ${clauseIndex} AS ${CLAUSE}
       FROM (${scan.sql}) AS ${t} JOIN temp.${quoteIdent(src)} AS ${s} ON ${o.on}`,
    );
    if (keepSource) {
      const noTarget = await planScan(snapshot, session, { id: `${id}n`, files: [], withFile: true });
      cleanup.push(...noTarget.cleanup);
      await session.exec(
        `INSERT INTO ${p} SELECT * FROM (
           SELECT NULL::INTEGER, NULL::BIGINT, ${s}.__src_row, FALSE, ${clauseIndex} AS __c
           FROM temp.${quoteIdent(src)} AS ${s} LEFT JOIN (${noTarget.sql}) AS ${t} ON FALSE
           WHERE NOT EXISTS (SELECT 1 FROM ${p} AS __m WHERE __m.${P_SROW} = ${s}.__src_row)) WHERE __c > 0`,
      );
    }
    if (keepTarget) {
      await session.exec(
        `INSERT INTO ${p} SELECT * FROM (
           SELECT ${t}.${FILE_COLUMN}, ${t}.${ROW_COLUMN}, NULL::BIGINT, FALSE, ${clauseIndex} AS __c
           FROM (${scan.sql}) AS ${t} LEFT JOIN (SELECT * FROM temp.${quoteIdent(src)} WHERE FALSE) AS ${s} ON FALSE
           WHERE NOT EXISTS (SELECT 1 FROM ${p} AS __m WHERE __m.${P_MATCHED} AND __m.${P_FILE} = ${t}.${FILE_COLUMN} AND __m.${P_ROW} = ${t}.${ROW_COLUMN})) WHERE __c > 0`,
      );
    }

    const is = (pred: (c: ResolvedClause) => boolean) =>
      clauses.map((c, i) => (pred(c) ? i + 1 : -1)).filter((i) => i > 0);
    const updateIdx = is((c) => c.action === 'update');
    const deleteIdx = is((c) => c.action === 'delete');
    const insertIdx = is((c) => c.action === 'insert');
    const inList = (xs: number[]) => (xs.length ? `(${xs.join(', ')})` : '(-1)');
    // One pass over the plan: the counts, the files to rewrite, and the ambiguity check —
    // several source rows for one target row, unless all that can happen is a delete.
    const onlyUnconditionalDelete = clauses
      .filter((c) => c.when === 'matched')
      .every((c) => c.action === 'delete' && !c.condition);
    // With deletion vectors, also each touched file's span of acting rows: when the span is
    // full (a key range over clustered data) it is the file's one run of rows to mark.
    const acting = `${CLAUSE} IN ${inList([...updateIdx, ...deleteIdx])}`;
    const spans = dv
      ? `(SELECT list({'file': f, 'lo': lo, 'hi': hi, 'n': n}) FROM (
           SELECT ${P_FILE} AS f, min(${P_ROW}) AS lo, max(${P_ROW}) AS hi, ${onlyUnconditionalDelete ? `count(DISTINCT ${P_ROW})` : 'count(*)'} AS n
           FROM ${p} WHERE ${acting} GROUP BY ${P_FILE}))`
      : 'NULL';
    const [summary] = await session.rows<{
      updated: bigint;
      deleted: bigint;
      inserted: bigint;
      touched: number[] | null;
      dup: { file: number; n: bigint } | null;
      spans: { file: number; lo: bigint; hi: bigint; n: bigint }[] | null;
    }>(
      `SELECT count(*) FILTER (WHERE ${CLAUSE} IN ${inList(updateIdx)}) AS updated, count(*) FILTER (WHERE ${CLAUSE} IN ${inList(deleteIdx)}) AS deleted,
              count(DISTINCT ${P_SROW}) FILTER (WHERE ${CLAUSE} IN ${inList(insertIdx)}) AS inserted,
              list(DISTINCT ${P_FILE}) FILTER (WHERE ${acting}) AS touched,
              ${onlyUnconditionalDelete ? 'NULL' : `(SELECT {'file': ${P_FILE}, 'n': count(*)} FROM ${p} WHERE ${P_MATCHED} GROUP BY ${P_FILE}, ${P_ROW} HAVING count(*) > 1 LIMIT 1)`} AS dup,
              ${spans} AS spans
       FROM ${p}`,
    );
    if (summary.dup) {
      throw new StrataError(
        'USAGE',
        `MERGE into ${table}: ${Number(summary.dup.n)} source rows match the same target row (in ${scan.fileIds[summary.dup.file]?.split('/').pop()}), so it is ambiguous how to update or delete it; ` +
          'make the ON condition match at most one source row per target row (e.g. deduplicate the source)',
        { context: { table } },
      );
    }
    const counts = [summary];
    const touchedPaths = new Set((summary.touched ?? []).map((i) => scan.fileIds[i]));
    const touched = snapshot.files.filter((f) => touchedPaths.has(canonicalPath(snapshot.store.root, f.path)));
    const inserted = Number(counts[0].inserted);
    const outcome: MergeOutcome = {
      numTargetRowsInserted: inserted,
      numTargetRowsUpdated: Number(counts[0].updated),
      numTargetRowsDeleted: Number(counts[0].deleted),
      numTargetRowsCopied: 0,
      numTargetFilesRemoved: touched.length,
      numTargetFilesAdded: 0,
      numSourceRows: Number(sourceRows),
    };
    if (touched.length === 0 && inserted === 0) return outcome;

    // (a) the touched files, rewritten; (b) the inserted source rows.
    const parts: string[] = [];
    const changes: string[] = []; // change feed rows, when enabled
    const cdf = changeDataFeedEnabled(snapshot.metadata.configuration);
    const castTo = (f: StructField, expr: string) => `CAST((${expr}) AS ${duckdbType(f.type)})`;
    if (touched.length > 0) {
      const targetClauses = clauses.map((c, i) => ({ c, i: i + 1 })).filter(({ c }) => c.when !== 'not-matched');
      const cols = fields.map((f) => {
        const updates = targetClauses
          .filter(({ c }) => c.action === 'update' && (c as ResolvedUpdate).set.has(f.name))
          .map(({ c, i }) => `WHEN ${i} THEN ${castTo(f, (c as ResolvedUpdate).set.get(f.name)!)}`);
        return `${updates.length ? `CASE ${CLAUSE} ${updates.join(' ')} ELSE ${t}.${quoteIdent(f.name)} END` : `${t}.${quoteIdent(f.name)}`} AS ${quoteIdent(f.name)}`;
      });
      const names = fields.map((f) => quoteIdent(f.name)).join(', ');
      const targetCols = fields.map((f) => `${t}.${quoteIdent(f.name)}`).join(', ');
      // Each target row of the touched files with the clause acting on it (computed once, a
      // lateral alias, filtered outside), and the rows before and after it acts.
      // The clause of each row comes from the plan, joined by file and row number: an outer join
      // on the ON condition itself becomes a nested loop in DuckDB when the condition tests the
      // target alone (ON t.id = s.id AND t.current), as SCD2 merges do.
      const rewriteScan = await planScan(snapshot, session, { id: `${id}r`, files: touched, withFile: true });
      cleanup.push(...rewriteScan.cleanup);
      const planId = new Map(scan.fileIds.map((f, i) => [f, i]));
      const planIds = `[${rewriteScan.fileIds.map((f) => planId.get(f)).join(', ')}]`;
      const acts = `(SELECT ${P_FILE}, ${P_ROW}, min(${P_SROW}) AS ${P_SROW}, min(${CLAUSE}) AS ${CLAUSE} FROM temp.${quoteIdent(plan)} WHERE ${CLAUSE} > 0 GROUP BY ${P_FILE}, ${P_ROW})`;
      const localIndex = `coalesce(__pl.${CLAUSE}, 0)`;
      const join = `FROM (${rewriteScan.sql}) AS ${t}
        LEFT JOIN ${acts} AS __pl ON __pl.${P_FILE} = ${planIds}[${t}.${FILE_COLUMN} + 1] AND __pl.${P_ROW} = ${t}.${ROW_COLUMN}
        LEFT JOIN temp.${quoteIdent(src)} AS ${s} ON ${s}.__src_row = __pl.${P_SROW}`;
      const after = `(SELECT ${localIndex} AS ${CLAUSE}, ${cols.join(', ')} ${join})`;
      const before = `(SELECT ${localIndex} AS ${CLAUSE}, ${targetCols} ${join})`;
      // Copy-on-write keeps every row but the deleted; with deletion vectors only the updated
      // rows are written (their old versions, and the deleted rows, are marked in the vectors).
      if (!dv) parts.push(`SELECT ${names} FROM ${after} WHERE ${CLAUSE} NOT IN ${inList(deleteIdx)}`);
      else if (updateIdx.length > 0)
        parts.push(`SELECT ${names} FROM ${after} WHERE ${CLAUSE} IN ${inList(updateIdx)}`);
      if (cdf) {
        changes.push(
          `SELECT ${names}, 'update_preimage' FROM ${before} WHERE ${CLAUSE} IN ${inList(updateIdx)}`,
          `SELECT ${names}, 'update_postimage' FROM ${after} WHERE ${CLAUSE} IN ${inList(updateIdx)}`,
          `SELECT ${names}, 'delete' FROM ${before} WHERE ${CLAUSE} IN ${inList(deleteIdx)}`,
        );
      }
    }
    if (inserted > 0) {
      const insertClauses = clauses.map((c, i) => ({ c, i: i + 1 })).filter(({ c }) => c.action === 'insert');
      const cols = fields.map((f) => {
        const whens = insertClauses.map(
          ({ c, i }) => `WHEN ${i} THEN ${castTo(f, (c as ResolvedInsert).values.get(f.name) ?? 'NULL')}`,
        );
        return `CASE __p.${CLAUSE} ${whens.join(' ')} END AS ${quoteIdent(f.name)}`;
      });
      const insert = `SELECT ${cols.join(', ')} FROM temp.${quoteIdent(src)} AS ${s} JOIN (SELECT DISTINCT ${P_SROW}, ${CLAUSE} FROM temp.${quoteIdent(plan)} WHERE ${CLAUSE} IN ${inList(insertIdx)}) AS __p ON __p.${P_SROW} = ${s}.__src_row`;
      parts.push(insert);
      if (cdf) changes.push(`SELECT *, 'insert' FROM (${insert})`);
    }
    const store = localPathStore(snapshot.store, snapshot.table);
    const now = o.now ?? Date.now;
    const projection = fields.map((f) => `src.${quoteIdent(f.name)} AS ${quoteIdent(f.name)}`).join(', ');
    const written = parts.length
      ? await writeChecked(
          session,
          store,
          table,
          parts.join('\nUNION ALL\n'),
          projection,
          snapshot.schema,
          snapshot.partitionColumns,
          snapshot.metadata.configuration,
          now,
        )
      : { adds: [], numRows: 0, numBytes: 0 };
    let deletionVectors: DeletionVectorWrite = { adds: [], emptied: [] };
    if (dv && touched.length > 0) {
      try {
        // The rows acted on, as runs of consecutive rows: one per file when its span is full,
        // else found as gaps and islands.
        const runs = new Map<number, [number, number][]>();
        for (const sp of summary.spans ?? []) {
          if (Number(sp.n) === Number(sp.hi) - Number(sp.lo) + 1) runs.set(sp.file, [[Number(sp.lo), Number(sp.hi)]]);
        }
        const gappy = (summary.spans ?? []).map((sp) => sp.file).filter((f) => !runs.has(f));
        if (gappy.length > 0) {
          const islands = await session.rows<{ file: number; runs: { lo: bigint; hi: bigint }[] }>(
            `SELECT file, list({'lo': lo, 'hi': hi} ORDER BY lo) AS runs FROM (
               SELECT file, min(row) AS lo, max(row) AS hi FROM (
                 SELECT file, row, row - row_number() OVER (PARTITION BY file ORDER BY row) AS island FROM (
                   SELECT DISTINCT ${P_FILE} AS file, ${P_ROW} AS row FROM ${p} WHERE ${acting} AND ${P_FILE} IN (${gappy.join(', ')})))
               GROUP BY file, island) GROUP BY file`,
          );
          for (const m of islands)
            runs.set(
              m.file,
              m.runs.map((r) => [Number(r.lo), Number(r.hi)]),
            );
        }
        const byPath = new Map(touched.map((f) => [canonicalPath(store.root, f.path), f]));
        deletionVectors = await writeDeletionVectors(
          store,
          table,
          [...runs].map(([file, fileRuns]) => ({ file: byPath.get(scan.fileIds[file])!, runs: fileRuns })),
        );
      } catch (err) {
        await deleteFiles(store, written.adds);
        throw err;
      }
    }
    outcome.numTargetFilesAdded = written.adds.length;
    outcome.numTargetFilesRemoved = touched.length - deletionVectors.adds.length;
    outcome.numTargetRowsCopied = dv ? 0 : written.numRows - outcome.numTargetRowsUpdated - inserted;
    if (dv) {
      outcome.numTargetDeletionVectorsAdded = deletionVectors.adds.length;
      outcome.numTargetDeletionVectorsRemoved = touched.filter((f) => f.deletionVector).length;
    }
    const actions: Action[] = [
      ...touched.map((f) => ({ remove: removeOf(f, now()) })),
      ...deletionVectors.adds.map((add) => ({ add })),
      ...written.adds.map((add) => ({ add })),
    ];
    if (o.configuration)
      actions.push({
        metaData: { ...snapshot.metadata, configuration: { ...snapshot.metadata.configuration, ...o.configuration } },
      });
    actions.push(...(o.txns ?? []).map((x) => ({ txn: { appId: x.appId, version: x.version, lastUpdated: now() } })));
    let changeFiles: AddAction[] = [];
    if (cdf && touched.length > 0) {
      // A commit with change files must hold all its changes there, inserts included.
      const cdc = await writeChangeData(
        session,
        store,
        table,
        snapshot.schema,
        snapshot.partitionColumns,
        snapshot.metadata.configuration,
        changes.join('\nUNION ALL\n'),
      );
      actions.push(...cdc.actions);
      changeFiles = cdc.paths.map((p) => ({ path: p }) as AddAction);
    }
    const paths = (files: AddAction[]) => new Set(files.map((f) => canonicalPath(store.root, f.path)));
    const footprint: TransactionFootprint = {
      readWholeTable: true, // rows appended concurrently could have matched
      readFiles: paths(candidates),
      removedFiles: paths(touched),
      changesMetadata: o.configuration !== undefined,
      appIds: new Set((o.txns ?? []).map((x) => x.appId)),
    };
    const result = await commitOrClean(
      store,
      table,
      snapshot.version,
      {
        operation: 'MERGE',
        info: o.info,
        operationParameters: {
          predicate: JSON.stringify([o.on]),
          matchedPredicates: JSON.stringify(
            o.clauses
              .filter((c) => c.when === 'matched')
              .map((c) => ({ ...(c.condition ? { predicate: c.condition } : {}), actionType: c.action })),
          ),
          notMatchedPredicates: JSON.stringify(
            o.clauses
              .filter((c) => c.when === 'not-matched')
              .map((c) => ({ ...(c.condition ? { predicate: c.condition } : {}), actionType: c.action })),
          ),
          notMatchedBySourcePredicates: JSON.stringify(
            o.clauses
              .filter((c) => c.when === 'not-matched-by-source')
              .map((c) => ({ ...(c.condition ? { predicate: c.condition } : {}), actionType: c.action })),
          ),
        },
        operationMetrics: { ...outcome },
        actions,
        footprint,
      },
      [...written.adds, ...changeFiles, ...(deletionVectors.path ? [{ path: deletionVectors.path }] : [])],
      o.readVersion,
    );
    await afterCommit(session, store, table, result.version, snapshot.metadata.configuration);
    return { ...outcome, version: result.version };
  } finally {
    for (const statement of cleanup) await session.exec(statement).catch(() => undefined);
  }
}

/** Per ON-condition key pair, what the source holds: no non-NULL key, a range, or a range not known. */
type KeyRange = { kind: 'empty' } | { kind: 'range'; lo: string; hi: string } | { kind: 'unknown' };

/**
 * The range of the source's keys (the ON condition's equalities), compared as
 * the target column's type, in one pass. A key that does not convert to the
 * target's type leaves the range unknown (no file skipping on it).
 */
async function sourceKeyRanges(
  session: Session,
  snapshot: Snapshot,
  o: MergeOptions,
  src: string,
): Promise<KeyRange[]> {
  const pairs = o.keyPairs ?? [];
  if (pairs.length === 0) return [];
  const typeOf = (col: string) => snapshot.schema.fields.find((f) => f.name.toLowerCase() === col.toLowerCase())?.type;
  const select = pairs.map(([targetCol, sourceCol], i) => {
    const type = typeOf(targetCol);
    const raw = quoteIdent(sourceCol);
    const key = type ? `TRY_CAST(${raw} AS ${duckdbType(type)})` : raw;
    return `min(${key})::VARCHAR AS lo${i}, max(${key})::VARCHAR AS hi${i}, count(${raw}) - count(${key}) AS bad${i}`;
  });
  const [r] = await session.rows<Record<string, string | bigint | null>>(
    `SELECT ${select.join(', ')} FROM temp.${quoteIdent(src)}`,
  );
  return pairs.map((_, i): KeyRange => {
    if (BigInt(r[`bad${i}`] ?? 0) > 0n) return { kind: 'unknown' };
    const lo = r[`lo${i}`];
    const hi = r[`hi${i}`];
    return lo === null || hi === null ? { kind: 'empty' } : { kind: 'range', lo: String(lo), hi: String(hi) };
  });
}

/**
 * The target files that can hold a matching row: with an equality on keys, the
 * files whose stats or partition overlap the source's key range. Clauses for
 * unmatched target rows need every file.
 */
function candidateFiles(snapshot: Snapshot, o: MergeOptions, ranges: KeyRange[]): AddAction[] {
  if (!o.keyPairs?.length || o.clauses.some((c) => c.when === 'not-matched-by-source')) return snapshot.files;
  const items: Predicate[] = [];
  for (const [i, [targetCol]] of o.keyPairs.entries()) {
    const range = ranges[i];
    if (range.kind === 'empty') return []; // no source key: nothing can match
    if (range.kind === 'range')
      items.push(
        { kind: 'cmp', column: targetCol, op: '>=', value: range.lo },
        { kind: 'cmp', column: targetCol, op: '<=', value: range.hi },
      );
  }
  return pruneFiles(snapshot, { kind: 'and', items });
}

interface ResolvedUpdate {
  when: MergeClause['when'];
  condition?: string;
  action: 'update';
  set: Map<string, string>;
}
interface ResolvedInsert {
  when: 'not-matched';
  condition?: string;
  action: 'insert';
  values: Map<string, string>;
}
type ResolvedClause =
  ResolvedUpdate | ResolvedInsert | { when: MergeClause['when']; condition?: string; action: 'delete' };

/** Expands `*`, maps SET targets and INSERT columns to the table's fields. */
function resolveClause(
  c: MergeClause,
  fields: StructField[],
  sourceColumns: string[],
  sourceAlias: string,
  table: string,
): ResolvedClause {
  const field = (name: string) => {
    const bare = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1) : name;
    const f = fields.find((x) => x.name.toLowerCase() === bare.toLowerCase());
    if (!f)
      throw new StrataError('SCHEMA_MISMATCH', `MERGE into ${table}: the table has no column ${bare}`, {
        context: { table, column: bare },
      });
    return f.name;
  };
  const fromSource = (name: string) => {
    const col = sourceColumns.find((x) => x.toLowerCase() === name.toLowerCase());
    if (!col)
      throw new StrataError(
        'SCHEMA_MISMATCH',
        `MERGE into ${table}: * needs a source column ${name}, which the source does not have`,
        { context: { table, column: name } },
      );
    return `${quoteIdent(sourceAlias)}.${quoteIdent(col)}`;
  };
  if (c.action === 'delete') return c;
  if (c.action === 'update') {
    const set = new Map<string, string>();
    if (c.set === '*') for (const f of fields) set.set(f.name, fromSource(f.name));
    else for (const [col, expr] of c.set) set.set(field(col), expr);
    return { when: c.when, condition: c.condition, action: 'update', set };
  }
  const values = new Map<string, string>();
  if (!c.columns) {
    for (const f of fields) values.set(f.name, fromSource(f.name));
  } else {
    if (!c.values || c.values.length !== c.columns.length) {
      throw new StrataError(
        'USAGE',
        `MERGE into ${table}: INSERT lists ${c.columns.length} columns but ${c.values?.length ?? 0} values`,
        { context: { table } },
      );
    }
    c.columns.forEach((col, i) => values.set(field(col), c.values![i]));
  }
  return { when: 'not-matched', condition: c.condition, action: 'insert', values };
}
