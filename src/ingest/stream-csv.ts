// The streamed load of CSV batches: files read by DuckDB's CSV reader straight
// into the table's Parquet files, in one statement (two at once on two
// connections for a big batch), with the ingest ledger's guarantees — rejected
// lines quarantined before the commit, each file's counts in the same commit.
// Whatever it cannot finish falls back to the careful path (read.ts).
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StrataError } from '../core/index.js';
import { writeTable, type DeltaType, type StructField } from '../delta/index.js';
import { quoteIdent, quoteLiteral, quoteStringList, type Session } from '../engine/index.js';
import type { BatchTransform, IngestRequest } from './request.js';
import { appendLedger, INGEST_APP_ID, recordedEntries, type LedgerFile } from './ledger.js';
import type { ReadOptions } from './options.js';
import { recordedFile, recordedFileSql, recordedRejects } from './paths.js';
import { appendQuarantine, dropBatchesFromQuarantine, writeQuarantine } from './quarantine.js';
import { csvHeader } from './csv-header.js';
import type { ReadPlan, SourceFile } from './read.js';
import { FILE_COLUMN, typedProjection } from './typed.js';
import { hasMetadataColumn, metadataLiteral, withMetadataJoin } from './metadata.js';
import type { Catalog } from '../catalog/index.js';
import { fixRejectedText } from './reject-text.js';
import { BATCH_TAG, type Replacing } from './reload.js';
import { csvSource, extraLinesSql, rejectedRows, unreconciled } from './csv-reconcile.js';
import { inferMissing } from './infer.js';
import { sourceSchemaProperty } from './source-schema.js';

/**
 * A batch closes when its files reach this size (a bigger file is a batch of its
 * own); STRATA_INGEST_STREAM_BYTES overrides (tests).
 */
const STREAM_BYTES = 32 * 1024 * 1024;
export const streamBytes = () => Number(process.env.STRATA_INGEST_STREAM_BYTES ?? STREAM_BYTES);

/** The streamed load cannot finish (a file unreadable, damaged, moving, or headers differ): the batch takes the careful path. */
export class StreamFallback extends Error {}

/**
 * A batch of CSV files with one header, read and written in one pass: DuckDB's
 * CSV reader into the table's Parquet files, on all threads, with no copy in
 * memory; rows that cannot be parsed are collected by the reader meanwhile and go
 * to the quarantine before the commit. Rows carry no file column: each file's
 * count is its data lines less its quarantined records, checked against the rows
 * written (a file with blank or multi-line records is counted again), and its
 * rescued rows are read from what was written (the rescued data's `_file_path`) —
 * which is why a transform must keep every row and that column.
 */
export async function streamCsv(
  session: Session,
  req: IngestRequest,
  files: SourceFile[],
  hashes: Map<string, Promise<{ hash: string; lines?: number; error?: string }>>,
  batchId: number,
  tableId: string,
  known: StructField[],
  addNewColumns: boolean,
  id: string,
  replace?: Replacing,
): Promise<{ version?: number; files: LedgerFile[]; written?: number }> {
  const o = req.options;
  const now = req.now ?? Date.now;
  let names: string[] | undefined;
  for (const f of files) {
    let header: string[] | undefined;
    try {
      header = await csvHeader(session, f, o);
    } catch {
      throw new StreamFallback();
    }
    if (!header || (names && JSON.stringify(header) !== JSON.stringify(names))) throw new StreamFallback();
    names = header;
  }
  const evolve = addNewColumns && o.schemaEvolutionMode !== 'rescue' && o.schemaEvolutionMode !== 'none';
  const plan = { known, addNewColumns: evolve };
  const rejected = `__strata_ingest_rej_${id}`;
  const ingestedAt = `make_timestamptz(${now() * 1000}::BIGINT)`;
  const metadata = Boolean(req.transform && req.metadata) && !hasMetadataColumn(textColumns(names!));
  // A file DuckDB cannot scan as it is takes the careful path, which reads it line by line.
  const inferred = await inferMissing(session, files, names!, o, plan, id).catch(() => {
    throw new StreamFallback();
  });
  const scan = { names: names!, o, plan, catalog: req.catalog, metadata, inferred };
  const typed = typedProjection(textColumns(names!, inferred), o, plan, 'NULL');
  const entries: LedgerFile[] = files.map((f) => ({
    path: f.path,
    size: f.size,
    modified: f.modified,
    hash: '',
    status: 'loaded',
    rows: 0,
    rescued: 0,
    quarantined: 0,
  }));
  // A big batch is written in two halves at once when a second connection is at hand.
  const bytes = files.reduce((n, f) => n + f.size, 0);
  const halves = req.helper && files.length >= 2 && bytes >= parallelBytes() ? splitBySize(files) : [files];
  const write = async (sessions: Session[]) => {
    const cleanup: { session: Session; sql: string }[] = [
      { session, sql: `DROP TABLE IF EXISTS temp.${quoteIdent(rejected)}` },
    ];
    const parts = halves.map((part, k) => {
      const rejTable = `__strata_rej_${id}_${k}`;
      const rejScan = `__strata_rejscan_${id}_${k}`;
      cleanup.push(
        ...[rejTable, rejScan].map((t) => ({ session: sessions[k], sql: `DROP TABLE IF EXISTS ${quoteIdent(t)}` })),
      );
      const select = scanRows(part, scan, rejTable, rejScan);
      return { session: sessions[k], select, rejects: rejectedRows(rejTable, rejScan) };
    });
    try {
      let transformed: BatchTransform | undefined;
      if (req.transform) {
        for (const part of parts) {
          const t = await req.transform({ rows: part.select, batchId, files: entries, ingestedAt, metadata });
          cleanup.push(...(t.cleanup ?? []).map((sql) => ({ session, sql })));
          part.select = t.select;
          transformed ??= t;
        }
      }
      const written = await writeTable(session, {
        location: req.location,
        name: req.name,
        mode: 'append',
        select: parts[0].select,
        parts: parts.slice(1),
        mergeSchema: addNewColumns,
        setProperties: req.transform ? sourceSchemaProperty(req, o, typed.columns) : undefined,
        txn: { appId: INGEST_APP_ID, version: batchId },
        txns: transformed?.txns,
        tags: { [BATCH_TAG]: String(batchId) },
        removeFiles: replace?.remove,
        operation: transformed ? 'STREAMING UPDATE' : 'COPY INTO',
        operationParameters: { source: recordedFile(req.catalog, req.source), batchId },
        beforeCommit: async (out) => {
          const lines = new Map<string, number>();
          for (const [i, f] of files.entries()) {
            const read = await hashes.get(f.path)!;
            const st = await fs.stat(f.path).catch(() => undefined);
            if (read.error || !st || st.size !== f.size || Math.floor(st.mtimeMs) !== f.modified)
              throw new StreamFallback();
            entries[i].hash = read.hash;
            if (read.lines !== undefined) lines.set(f.path, read.lines);
          }
          const writtenFiles = out.adds.map((a) => path.join(req.location, decodeURIComponent(a.path)));
          const rescued = typed.rescues ? await rescuedByFile(session, writtenFiles, o) : new Map<string, number>();
          // The rejected lines, gathered on this session (the other connection's go through a file).
          await session.exec(`CREATE OR REPLACE TEMP TABLE ${quoteIdent(rejected)} AS ${parts[0].rejects}`);
          for (const part of parts.slice(1)) {
            const file = path.join(os.tmpdir(), `strata-rejects-${id}-${randomUUID()}.parquet`);
            try {
              await part.session.exec(`COPY (${part.rejects}) TO ${quoteLiteral(file)} (FORMAT parquet)`);
              await session.exec(
                `INSERT INTO temp.${quoteIdent(rejected)} SELECT * FROM read_parquet(${quoteLiteral(file)})`,
              );
            } finally {
              await fs.rm(file, { force: true });
            }
          }
          // A rejected record over several lines (a stray quote) swallowed the lines after it:
          // the careful path reads them again.
          const [spans] = await session.rows<{ n: bigint }>(
            `SELECT count(*) AS n FROM temp.${quoteIdent(rejected)} WHERE regexp_matches(_raw, '[\\r\\n]')`,
          );
          if (Number(spans.n) > 0) throw new StreamFallback();
          await fixRejectedText(session, rejected, o);
          const aside = await session.rows<{ f: string; n: bigint }>(
            `SELECT _source_file AS f, count(*) AS n FROM temp.${quoteIdent(rejected)} GROUP BY 1`,
          );
          const setAside = new Map(aside.map((a) => [a.f, Number(a.n)]));
          for (const e of entries) {
            e.quarantined = setAside.get(e.path) ?? 0;
            e.rescued = rescued.get(recordedFile(req.catalog, e.path)) ?? 0;
          }
          const rows = await rowsByFile(session, entries, out.numRows, lines, scan, id);
          for (const e of entries) e.rows = rows.get(e.path) ?? 0;
          // Lines the records do not account for: the careful path finds why, and fails the file.
          if ((await linesUnaccounted(session, entries, o, rejected, names!, id, lines)).size > 0)
            throw new StreamFallback();
          await writeQuarantine(session, req, batchId, recordedRejects(req.catalog, rejected), ingestedAt);
          if (transformed?.quarantine) await appendQuarantine(session, req, transformed.quarantine);
          return {
            strataIngest: {
              batchId,
              source: recordedFile(req.catalog, req.source),
              ...(req.rawOptions ? { options: req.rawOptions } : {}),
              files: recordedEntries(req.catalog, entries),
              ...(replace ? { replaces: replace.batches } : {}),
            },
            ...(transformed?.info ?? {}),
          };
        },
      });
      if (written.version === undefined)
        throw new StrataError('CONFLICT', `${req.name}: batch ${batchId} was committed by another loader`, {
          context: { table: req.name },
        });
      if (replace) await dropBatchesFromQuarantine(session, req, replace.batches);
      await appendLedger(session, req, tableId, written.version, batchId, entries, now());
      return { version: written.version, files: entries, written: written.numRows };
    } catch (err) {
      // The reader failed on a file (its SQL_ERROR wrapped by the write, nothing committed): the
      // careful path finds which, and why.
      if (err instanceof StreamFallback || (err instanceof StrataError && err.code !== 'SQL_ERROR')) throw err;
      throw new StreamFallback();
    } finally {
      for (const c of cleanup) await c.session.exec(c.sql).catch(() => undefined);
    }
  };
  return halves.length > 1 ? req.helper!((other) => write([session, other])) : write([session]);
}

/** How a batch's files are scanned: their header, options, read plan, the project, whether rows carry `_metadata`. */
interface ScanPlan {
  names: string[];
  o: ReadOptions;
  plan: ReadPlan;
  catalog?: Pick<Catalog, 'projectDir' | 'lakeRoot'>;
  metadata: boolean;
  /** Types inferred for the columns the plan does not know (inferColumnTypes). */
  inferred?: Map<string, DeltaType>;
}

const textColumns = (names: string[], inferred?: Map<string, DeltaType>) =>
  names.map((name) => ({
    name,
    type: { kind: 'primitive', name: 'string' } as DeltaType,
    inferred: inferred?.get(name.toLowerCase()),
  }));

/**
 * SQL: the rows of some CSV files as the table's (typed, rescued, with `_metadata` if asked),
 * in the files' order. No row is numbered and no file column is written, so DuckDB reads and
 * writes on all threads. A row's file is needed only for its rescued data's `_file_path` and
 * its `_metadata`: then the files are one scan with a file column — or, one or two files, each
 * a scan of its own with its path as a constant.
 */
function scanRows(files: SourceFile[], scan: ScanPlan, rejTable: string, rejScan: string): string {
  const { names, o, plan, catalog } = scan;
  const record = (p: string) => (catalog ? recordedFile(catalog, p) : p);
  const cols = textColumns(names, scan.inferred);
  const needsFile = scan.metadata || typedProjection(cols, o, plan, 'NULL').rescues;
  // (Measured at 10M lines in 100 files: one scan with a file column 9.8 s, a scan per file 14.8 s.)
  if (!needsFile || files.length > 2) {
    const file = `r.${FILE_COLUMN}`;
    const typed = typedProjection(cols, o, plan, catalog ? recordedFileSql(catalog, file) : file);
    const source = csvSource(
      files.map((f) => f.path),
      names,
      o,
      rejTable,
      rejScan,
      needsFile,
    );
    if (!scan.metadata) return `SELECT ${typed.selectList} FROM ${source} AS r`;
    const out = [...typed.columns.map((f) => f.name), o.rescuedDataColumn];
    return withMetadataJoin(
      catalog,
      `SELECT ${typed.selectList}, ${file} FROM ${source} AS r`,
      out,
      FILE_COLUMN,
      files,
    );
  }
  return files
    .map((f) => {
      const typed = typedProjection(cols, o, plan, quoteLiteral(record(f.path)));
      const meta = scan.metadata ? `, ${metadataLiteral(catalog, f)} AS _metadata` : '';
      return `SELECT ${typed.selectList}${meta} FROM ${csvSource([f.path], names, o, rejTable, rejScan, false)} AS r`;
    })
    .join(' UNION ALL ');
}

/** Rows with rescued data per file (its `_file_path`, as recorded), read from the Parquet files written. */
async function rescuedByFile(session: Session, written: string[], o: ReadOptions): Promise<Map<string, number>> {
  if (written.length === 0) return new Map();
  const col = quoteIdent(o.rescuedDataColumn);
  const found = await session
    .rows<{ f: string; n: bigint }>(
      `SELECT json_extract_string(${col}, '$._file_path') AS f, count(*) AS n FROM read_parquet(${quoteStringList(written)}) WHERE ${col} IS NOT NULL GROUP BY 1`,
    )
    .catch(() => []); // the flow's output has no rescued data column: none counted
  return new Map(found.map((r) => [r.f, Number(r.n)]));
}

/**
 * Each file's rows: its data lines less its quarantined records, when those add up to the rows
 * written (every file's lines are at least its records, so equal sums mean equal counts);
 * otherwise (blank lines, values over several lines, lines not counted) the files are counted
 * again by a scan.
 */
async function rowsByFile(
  session: Session,
  entries: LedgerFile[],
  written: number,
  lines: Map<string, number>,
  scan: ScanPlan,
  id: string,
): Promise<Map<string, number>> {
  const header = scan.o.header ? 1 : 0;
  if (scan.o.encoding !== 'utf-16' && entries.every((e) => lines.has(e.path))) {
    const guess = new Map(entries.map((e) => [e.path, Math.max(0, lines.get(e.path)! - header) - e.quarantined]));
    if ([...guess.values()].reduce((n, v) => n + v, 0) === written && [...guess.values()].every((v) => v >= 0))
      return guess;
  }
  const [rejTable, rejScan] = [`__strata_rej_${id}_count`, `__strata_rejscan_${id}_count`];
  try {
    const source = csvSource(
      entries.map((e) => e.path),
      scan.names,
      scan.o,
      rejTable,
      rejScan,
    );
    const found = await session.rows<{ f: string; n: bigint }>(
      `SELECT ${FILE_COLUMN} AS f, count(*) AS n FROM ${source} GROUP BY 1`,
    );
    const counted = new Map(found.map((r) => [r.f, Number(r.n)]));
    if ([...counted.values()].reduce((n, v) => n + v, 0) !== written) throw new StreamFallback();
    return counted;
  } finally {
    for (const t of [rejTable, rejScan])
      await session.exec(`DROP TABLE IF EXISTS ${quoteIdent(t)}`).catch(() => undefined);
  }
}

/** The files whose lines their counts do not account for (csv-reconcile.ts), a multi-line record's lines read again. */
function linesUnaccounted(
  session: Session,
  entries: LedgerFile[],
  o: ReadOptions,
  rejected: string,
  names: string[],
  id: string,
  lines: Map<string, number>,
): Promise<Map<string, string>> {
  const counts = new Map(entries.map((e) => [e.path, e]));
  return unreconciled(session, counts, o, rejected, lines, async (paths) => {
    const [rejTable, rejScan] = [`__strata_rej_${id}_lines`, `__strata_rejscan_${id}_lines`];
    try {
      const cols = names.map((n) => quoteIdent(n)).join(', ');
      const relation = `(SELECT ${cols}, ${FILE_COLUMN} FROM ${csvSource(paths, names, o, rejTable, rejScan)})`;
      const found = await session.rows<{ f: string; n: bigint }>(extraLinesSql(relation, names));
      return new Map(found.map((r) => [r.f, Number(r.n ?? 0)]));
    } finally {
      for (const t of [rejTable, rejScan])
        await session.exec(`DROP TABLE IF EXISTS ${quoteIdent(t)}`).catch(() => undefined);
    }
  });
}

/** A batch this big is written in two halves at once (when it can be); STRATA_INGEST_PARALLEL_BYTES overrides (tests). */
const PARALLEL_BYTES = 8 * 1024 * 1024;
const parallelBytes = () => Number(process.env.STRATA_INGEST_PARALLEL_BYTES ?? PARALLEL_BYTES);

/** Two runs of files of about equal size, in order. */
function splitBySize(files: SourceFile[]): SourceFile[][] {
  const total = files.reduce((n, f) => n + f.size, 0);
  let acc = 0;
  let cut = 1;
  for (let i = 0; i < files.length - 1; i++) {
    acc += files[i].size;
    cut = i + 1;
    if (acc * 2 >= total) break;
  }
  return [files.slice(0, cut), files.slice(cut)];
}

/**
 * CSV files as one streaming relation, for `read_files` in a query: the columns a load would
 * give (every value text unless hinted, `_rescued_data`, and `_metadata` if asked), read by
 * DuckDB as the query runs — nothing held in memory. Rows that cannot be parsed are left out, as
 * in a load (there, they go to the quarantine). Undefined when the files need the careful path
 * (type inference, headers that differ or cannot be read).
 */
export async function streamedRelation(
  session: Session,
  files: SourceFile[],
  o: ReadOptions,
  id: string,
  read: { metadata: boolean; catalog?: Pick<Catalog, 'projectDir' | 'lakeRoot'>; sampleRows?: number },
): Promise<{ sql: string; cleanup: string[]; metadata: boolean } | undefined> {
  if (o.format !== 'csv' || files.length === 0) return undefined;
  let names: string[] | undefined;
  for (const f of files) {
    const header = await csvHeader(session, f, o).catch(() => undefined);
    if (!header || (names && JSON.stringify(header) !== JSON.stringify(names))) return undefined;
    names = header;
  }
  const plan = { known: [], addNewColumns: o.schemaEvolutionMode !== 'rescue' && o.schemaEvolutionMode !== 'none' };
  const [rejTable, rejScan] = [`__strata_qrej_${id}`, `__strata_qrejscan_${id}`];
  const metadata = read.metadata && !hasMetadataColumn(textColumns(names!));
  let inferred: Map<string, DeltaType> | undefined;
  try {
    inferred = await inferMissing(session, files, names!, o, plan, id, read.sampleRows);
  } catch {
    return undefined; // the careful path reads what DuckDB's scan cannot
  }
  return {
    sql: scanRows(files, { names: names!, o, plan, catalog: read.catalog, metadata, inferred }, rejTable, rejScan),
    cleanup: [rejTable, rejScan].map((t) => `DROP TABLE IF EXISTS ${quoteIdent(t)}`),
    metadata,
  };
}
