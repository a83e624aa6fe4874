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
import { writeTable, type StructField } from '../delta/index.js';
import { quoteIdent, quoteLiteral, quoteStringList, type Session } from '../engine/index.js';
import type { BatchTransform, IngestRequest } from './request.js';
import { appendLedger, INGEST_APP_ID, recordedEntries, type LedgerFile } from './ledger.js';
import type { ReadOptions } from './options.js';
import { recordedColumns, recordedFile, recordedRejects } from './paths.js';
import { appendQuarantine, writeQuarantine } from './quarantine.js';
import { csvHeader } from './csv-header.js';
import type { SourceFile } from './read.js';
import { typedProjection } from './typed.js';
import { fixRejectedText } from './reject-text.js';
import { csvSource, extraLinesSql, rejectedRows, unreconciled } from './csv-reconcile.js';

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
 * CSV reader (each file numbering its rows) into the table's Parquet files, with
 * no copy in memory; rows that cannot be parsed are collected by the reader
 * meanwhile and go to the quarantine before the commit. The files' counts are
 * read back from what was written (its `_source_file`, rescued data column),
 * which is why a transform must keep every row and those columns.
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
  const typed = typedProjection(
    names!.map((name) => ({ name, type: { kind: 'primitive', name: 'string' } })),
    o,
    { known, addNewColumns: evolve },
  );
  const rejected = `__strata_ingest_rej_${id}`;
  const ingestedAt = `make_timestamptz(${now() * 1000}::BIGINT)`;
  const columns = [...typed.columns.map((f) => quoteIdent(f.name)), quoteIdent(o.rescuedDataColumn)];
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
  // A big batch is written in two halves at once when a second connection is at hand: each
  // file's scan numbers its rows in order, which keeps a scan to one thread.
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
      const raw = `${numberedRows(part, names!, o, rejTable, rejScan)} AS r`;
      const select = `SELECT ${recordedColumns(req.catalog, columns, o.rescuedDataColumn)}, _file_row, ${ingestedAt} AS _ingested_at, ${batchId}::BIGINT AS _batch_id FROM (SELECT ${typed.selectList} FROM ${raw})`;
      return { session: sessions[k], select, rejects: rejectedRows(rejTable, rejScan) };
    });
    try {
      let transformed: BatchTransform | undefined;
      if (req.transform) {
        for (const part of parts) {
          const t = await req.transform({ rows: part.select, batchId, files: entries, ingestedAt });
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
        txn: { appId: INGEST_APP_ID, version: batchId },
        txns: transformed?.txns,
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
          const counts = out.adds.length
            ? await session.rows<{ f: string; n: bigint; r: bigint }>(
                `SELECT _source_file AS f, count(*) AS n, count(${quoteIdent(o.rescuedDataColumn)}) AS r FROM read_parquet(${quoteStringList(out.adds.map((a) => path.join(req.location, decodeURIComponent(a.path))))}) GROUP BY 1`,
              )
            : [];
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
          const kept = new Map(counts.map((c) => [c.f, c]));
          const setAside = new Map(aside.map((a) => [a.f, a.n]));
          for (const e of entries) {
            e.rows = Number(kept.get(recordedFile(req.catalog, e.path))?.n ?? 0);
            e.rescued = Number(kept.get(recordedFile(req.catalog, e.path))?.r ?? 0);
            e.quarantined = Number(setAside.get(e.path) ?? 0);
          }
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
            },
            ...(transformed?.info ?? {}),
          };
        },
      });
      if (written.version === undefined)
        throw new StrataError('CONFLICT', `${req.name}: batch ${batchId} was committed by another loader`, {
          context: { table: req.name },
        });
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

/**
 * The rows of some CSV files with each one's file (`__file`) and place in it (`__row`).
 * One scan per file: row_number() over a file's scan is its rows' place in the file
 * (cheaper than numbering the whole read and subtracting each file's first row) — but
 * for many small files, one scan of them all (a scan per file costs more than that).
 */
function numberedRows(files: SourceFile[], names: string[], o: ReadOptions, rejTable: string, rejScan: string): string {
  const cols = names.map((n) => quoteIdent(n)).join(', ');
  if (files.length > 32 && files.reduce((n, f) => n + f.size, 0) / files.length < 1024 * 1024) {
    return `(SELECT * EXCLUDE (__g), __g - min(__g) OVER (PARTITION BY __file) + 1 AS __row FROM (
      SELECT ${cols}, filename AS __file, row_number() OVER () AS __g FROM ${csvSource(
        files.map((f) => f.path),
        names,
        o,
        rejTable,
        rejScan,
      )}))`;
  }
  return `(${files.map((f) => `SELECT ${cols}, filename AS __file, row_number() OVER () AS __row FROM ${csvSource([f.path], names, o, rejTable, rejScan)}`).join(' UNION ALL ')})`;
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
      const relation = `(SELECT ${cols}, filename AS __file FROM ${csvSource(paths, names, o, rejTable, rejScan)})`;
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
 * give (every value text unless hinted, `_rescued_data`, `_source_file`, `_file_row`), read by
 * DuckDB as the query runs — nothing held in memory. Rows that cannot be parsed are left out, as
 * in a load (there, they go to the quarantine). Undefined when the files need the careful path
 * (type inference, headers that differ or cannot be read).
 */
export async function streamedRelation(
  session: Session,
  files: SourceFile[],
  o: ReadOptions,
  id: string,
): Promise<{ sql: string; cleanup: string[] } | undefined> {
  if (o.format !== 'csv' || o.inferColumnTypes || files.length === 0) return undefined;
  let names: string[] | undefined;
  for (const f of files) {
    const header = await csvHeader(session, f, o).catch(() => undefined);
    if (!header || (names && JSON.stringify(header) !== JSON.stringify(names))) return undefined;
    names = header;
  }
  const typed = typedProjection(
    names!.map((name) => ({ name, type: { kind: 'primitive', name: 'string' } })),
    o,
    { known: [], addNewColumns: o.schemaEvolutionMode !== 'rescue' && o.schemaEvolutionMode !== 'none' },
  );
  const [rejTable, rejScan] = [`__strata_qrej_${id}`, `__strata_qrejscan_${id}`];
  return {
    sql: `SELECT ${typed.selectList} FROM ${numberedRows(files, names!, o, rejTable, rejScan)} AS r`,
    cleanup: [rejTable, rejScan].map((t) => `DROP TABLE IF EXISTS ${quoteIdent(t)}`),
  };
}
