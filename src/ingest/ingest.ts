// Exactly-once ingestion of files into a Delta table (COPY INTO, streaming
// tables). The target table's own log is the ledger of record: each batch is
// one commit holding its rows, a `txn` action (app 'strata-ingest', version =
// batch id) and, in commitInfo, the files it loaded or found unreadable — so a
// file is marked done in the same atomic commit as its rows. The table
// `lake/_system/ingest_files` is an index of those commits for look-ups and
// SQL (`system.ingest_files`); it is brought up to date from the target's log
// whenever it lags (after a crash between the two writes).
//
// Rows that cannot be parsed go to `<table>_quarantine` before the batch
// commits: that table first drops what an interrupted attempt at the same
// batch left, then takes the batch's rows, so a retry never duplicates them.
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { StrataError } from '../core/index.js';
import { loadSnapshot, writeTable, type StructField } from '../delta/index.js';
import { quoteIdent, quoteLiteral, type Session } from '../engine/index.js';
import { classifyFiles, hashFile, listSourceFiles } from './classify.js';
import { appendLedger, INGEST_APP_ID, readLedger, recordedEntries, type LedgerFile } from './ledger.js';
import { recordedFile, recordedRejects } from './paths.js';
import { appendQuarantine, dropBatchesFromQuarantine, writeQuarantine } from './quarantine.js';
import { batchRows, readBatch, type FileOutcome, type SourceFile } from './read.js';
import { FILE_COLUMN } from './typed.js';
import { hasMetadataColumn } from './metadata.js';
import { recordedSourceSchema, sourceSchemaProperty } from './source-schema.js';
import { refuseSourceInLake } from './plan.js';
import { streamBytes, streamCsv, StreamFallback } from './stream-csv.js';
import { settleFiles, settleMsFromEnv } from './settle.js';
import { noteChanged, skipExistingFiles } from './ledger-notes.js';
import {
  BATCH_TAG,
  finishReplacement,
  planReloads,
  reloadRemovals,
  type ReloadGroup,
  type Replacing,
} from './reload.js';

export { appendQuarantine, deleteQuarantineRows } from './quarantine.js';
export { listSourceFiles } from './classify.js';
export {
  INGEST_APP_ID,
  LEDGER_RESET,
  LEDGER_ROLLBACK,
  lastIngestSource,
  readLedger,
  type LedgerFile,
} from './ledger.js';

export type { BatchTransform, IngestOutcome, IngestProgress, IngestRequest } from './request.js';
export { planIngest, type IngestPlan } from './plan.js';
import type { BatchTransform, IngestOutcome, IngestRequest } from './request.js';

/** Loads the files of `source` not loaded before into the target, in batches. */
export async function ingestFiles(session: Session, req: IngestRequest): Promise<IngestOutcome> {
  refuseSourceInLake(req);
  const out: IngestOutcome = {
    batches: 0,
    filesLoaded: 0,
    filesFailed: [],
    filesSkipped: 0,
    filesChanged: [],
    filesRenamed: [],
    filesPutOff: [],
    rows: 0,
    rowsWritten: 0,
    rescued: 0,
    quarantined: 0,
  };
  const o = req.options;
  const { ready: listed, putOff } = await settleFiles(
    await listSourceFiles(session, req.source, o.pathGlobFilter),
    req.settleMs ?? settleMsFromEnv(),
    req.settle !== 'later',
  );
  if (req.settle !== 'later') out.filesPutOff = putOff.map((f) => recordedFile(req.catalog, f.path));
  if (!o.includeExistingFiles) await skipExistingFiles(session, req, listed);
  if (!req.transform) await finishReplacement(session, req);
  for (let conflicts = 0; ; conflicts++) {
    const { waiting: todo, skipped, changed, changedFiles, renamed } = await classifyFiles(session, req, listed);
    out.filesSkipped = skipped;
    out.filesChanged = changed;
    if (conflicts === 0) await noteChanged(session, req, changedFiles);
    out.filesRenamed = renamed;
    // A file loaded before replaces its earlier rows (with the rest of its batch); a pipeline's streams never reload.
    const { groups, fresh } = req.transform
      ? { groups: [], fresh: todo }
      : await planReloads(session, req, listed, todo);
    const all = [...groups.flatMap((g) => g.files), ...fresh];
    const bytesTotal = bytesOf(all);
    let bytesDone = 0;
    let filesDone = 0;
    const more = () => req.maxBatches === undefined || out.batches < req.maxBatches;
    const account = (done: BatchDone, files: SourceFile[]) => {
      out.batches++;
      out.version = done.version ?? out.version;
      out.rowsWritten += done.written ?? done.files.reduce((n, f) => n + f.rows, 0);
      out.filesPutOff.push(...(done.putOff ?? []));
      for (const f of done.files) {
        if (f.status === 'failed')
          out.filesFailed.push({ path: recordedFile(req.catalog, f.path), error: f.error ?? 'unreadable' });
        else out.filesLoaded++;
        out.rows += f.rows;
        out.rescued += f.rescued;
        out.quarantined += f.quarantined;
      }
      bytesDone += bytesOf(files);
      filesDone += files.length;
      req.onProgress?.({ filesDone, filesTotal: all.length, bytesDone, bytesTotal, rows: out.rows });
    };
    try {
      for (const group of groups) if (more()) account(await ingestBatch(session, req, group.files, group), group.files);
      for (let i = 0; i < fresh.length && more();) {
        const batch = nextBatch(fresh, i, o);
        i += batch.length;
        account(await ingestBatch(session, req, batch), batch);
      }
      return out;
    } catch (err) {
      // Another loader committed the same batch first: look at the ledger again.
      if (err instanceof StrataError && err.code === 'CONFLICT' && conflicts < 1000) continue;
      throw err;
    }
  }
}

/**
 * The files no other loader has taken since the plan, as of the latest snapshot. (Two loaders at
 * the same snapshot both write batch `batchId`: one commit loses.)
 */
async function notTakenSince(session: Session, req: IngestRequest, planned: SourceFile[]): Promise<SourceFile[]> {
  const seen = await readLedger(
    session,
    req,
    planned.map((f) => recordedFile(req.catalog, f.path)),
  );
  return req.force
    ? planned
    : planned.filter((f) => {
        const s = seen.get(recordedFile(req.catalog, f.path));
        return !s || (s.status === 'failed' && (s.size !== f.size || s.modified !== f.modified));
      });
}

/**
 * A reload whose files cannot all be read again now keeps the earlier rows: a file still being
 * written puts the whole group off (reported); a file now unreadable is an error naming it.
 */
function reloadPutOff(req: IngestRequest, files: SourceFile[], moved: string[], entries: LedgerFile[]): string[] {
  const failed = entries.find((e) => e.status === 'failed');
  if (failed) {
    const file = recordedFile(req.catalog, failed.path);
    throw new StrataError(
      'USAGE',
      `${req.name}: ${file} cannot be loaded again (${failed.error ?? 'unreadable'}); the rows it loaded earlier are kept, nothing was replaced`,
      { context: { table: req.name, file } },
    );
  }
  if (moved.length === 0) return [];
  return files.map((f) => recordedFile(req.catalog, f.path));
}

const bytesOf = (files: SourceFile[]) => files.reduce((n, f) => n + f.size, 0);

/** The files of the next batch from `i`: up to maxFilesPerTrigger / maxBytesPerTrigger; a big file is a batch of its own (it streams). */
function nextBatch(todo: SourceFile[], i: number, o: IngestRequest['options']): SourceFile[] {
  const batch: SourceFile[] = [];
  let bytes = 0;
  // CSV streams from the files to the table (no copy in memory): its batches may be bigger.
  const big = streamBytes() * (o.format === 'csv' ? 8 : 1);
  while (
    i < todo.length &&
    batch.length < o.maxFilesPerTrigger &&
    (batch.length === 0 || o.maxBytesPerTrigger === undefined || bytes + todo[i].size <= o.maxBytesPerTrigger)
  ) {
    if (batch.length > 0 && todo[i].size >= big) break;
    bytes += todo[i].size;
    batch.push(todo[i++]);
    if (bytes >= big) break;
  }
  return batch;
}

/** What a batch did: its version, its files' entries, rows written; files of a reload put off (still being written). */
type BatchDone = { version?: number; files: LedgerFile[]; written?: number; putOff?: string[] };

/**
 * One batch: read, quarantine, commit the rows with their ledger entries, index them. A reload
 * group's commit also takes out the live files of the batches it replaces.
 */
async function ingestBatch(
  session: Session,
  req: IngestRequest,
  planned: SourceFile[],
  reload?: ReloadGroup,
): Promise<BatchDone> {
  const o = req.options;
  const now = req.now ?? Date.now;
  const snapshot = await loadSnapshot(req.location, { session, name: req.name });
  const batchId = (snapshot.txns.get(INGEST_APP_ID)?.version ?? 0) + 1;
  const files = reload ? planned : await notTakenSince(session, req, planned);
  if (files.length === 0) return { files: [] };
  const replace: Replacing | undefined = reload
    ? { batches: reload.batches, remove: await reloadRemovals(session, req, snapshot, reload) }
    : undefined;
  // A flow reads with the source's columns as recorded (its target's columns are the query's).
  const known: StructField[] = req.transform
    ? recordedSourceSchema(snapshot.metadata.configuration, req)
    : snapshot.schema.fields.filter((f) => f.name.toLowerCase() !== o.rescuedDataColumn.toLowerCase());
  const addNewColumns = req.mergeSchema || snapshot.schema.fields.length === 0 || Boolean(req.transform);
  const id = randomUUID().replace(/-/g, '').slice(0, 12);
  const hashes = new Map(files.map((f) => [f.path, hashFile(f.path)]));
  if (
    o.format === 'csv' &&
    o.schemaEvolutionMode !== 'failOnNewColumns' &&
    (!req.transform || req.transformKeepsRows)
  ) {
    const streamed = await streamCsv(
      session,
      req,
      files,
      hashes,
      batchId,
      snapshot.metadata.id,
      known,
      addNewColumns,
      id,
      replace,
    ).catch((err: unknown) => {
      if (err instanceof StreamFallback) return undefined;
      throw err;
    });
    if (streamed) return streamed;
  }
  const read = await readBatch(
    session,
    files,
    o,
    { known, addNewColumns: addNewColumns && o.schemaEvolutionMode !== 'rescue' && o.schemaEvolutionMode !== 'none' },
    id,
    req.catalog,
  );
  const cleanup = [...read.cleanup];
  try {
    if (o.schemaEvolutionMode === 'failOnNewColumns' && read.newColumns.length > 0 && known.length > 0) {
      const [column] = read.newColumns;
      // The column is in the rescued data (it was not added): its first file is the one to name.
      const file = await session
        .rows<{ f: string }>(
          `SELECT ${FILE_COLUMN} AS f FROM temp.${quoteIdent(read.rows)} WHERE json_extract(${quoteIdent(o.rescuedDataColumn)}, ${quoteLiteral(`$."${column.replace(/"/g, '\\"')}"`)}) IS NOT NULL LIMIT 1`,
        )
        .catch(() => []);
      throw new StrataError(
        'SCHEMA_MISMATCH',
        `${req.name}: ${file[0]?.f ?? 'a file'} has a new column ${column} (schemaEvolutionMode = failOnNewColumns)`,
        { context: { table: req.name, column } },
      );
    }
    // A file still being written (its size or time moved while we read it) waits for the next pass.
    const entries: LedgerFile[] = [];
    const moved: string[] = [];
    for (const f of files) {
      const st = await fs.stat(f.path).catch(() => undefined);
      if (!st || st.size !== f.size || Math.floor(st.mtimeMs) !== f.modified) {
        moved.push(f.path);
        continue;
      }
      const r: FileOutcome = read.files.get(f.path)!;
      const { hash, error } = await hashes.get(f.path)!;
      if (error && !r.error) {
        // Damaged: none of its rows is kept.
        Object.assign(r, { error, rows: 0, rescued: 0, quarantined: 0 });
        await session.exec(`DELETE FROM temp.${quoteIdent(read.raw)} WHERE ${FILE_COLUMN} = ${quoteLiteral(f.path)}`);
        await session.exec(
          `DELETE FROM temp.${quoteIdent(read.rejected)} WHERE _source_file = ${quoteLiteral(f.path)}`,
        );
      }
      entries.push({
        path: f.path,
        size: f.size,
        modified: f.modified,
        hash,
        status: r.error ? 'failed' : 'loaded',
        rows: r.rows,
        rescued: r.rescued,
        quarantined: r.quarantined,
        ...(r.error ? { error: r.error } : {}),
      });
    }
    if (moved.length > 0) {
      const list = moved.map(quoteLiteral).join(', ');
      await session.exec(`DELETE FROM temp.${quoteIdent(read.raw)} WHERE ${FILE_COLUMN} IN (${list})`);
      await session.exec(`DELETE FROM temp.${quoteIdent(read.rejected)} WHERE _source_file IN (${list})`);
    }
    if (replace && (moved.length > 0 || entries.some((e) => e.status === 'failed')))
      return { files: [], putOff: reloadPutOff(req, files, moved, entries) };
    if (entries.length === 0) return { files: [] };
    const ingestedAt = `make_timestamptz(${now() * 1000}::BIGINT)`;

    // 1. The quarantine: rows of this batch from an interrupted attempt go, this attempt's come.
    // (A reload's replaced batches leave it once the batch is committed.)
    await writeQuarantine(session, req, batchId, recordedRejects(req.catalog, read.rejected), ingestedAt);

    // 2. The rows and the ledger entries, in one commit (skipped if the batch is already in).
    const loaded = files.filter((f) => !moved.includes(f.path));
    const metadata = Boolean(req.transform && req.metadata) && !hasMetadataColumn(read.columns);
    let select = batchRows(read, o, loaded, metadata, req.catalog);
    let transformed: BatchTransform | undefined;
    if (req.transform) {
      transformed = await req.transform({ rows: select, batchId, files: entries, ingestedAt, metadata });
      cleanup.push(...(transformed.cleanup ?? []));
      select = transformed.select;
      if (transformed.quarantine) await appendQuarantine(session, req, transformed.quarantine);
    }
    const written = await writeTable(session, {
      location: req.location,
      name: req.name,
      mode: 'append',
      select,
      mergeSchema: addNewColumns,
      setProperties: req.transform ? sourceSchemaProperty(req, o, read.columns) : undefined,
      txn: { appId: INGEST_APP_ID, version: batchId },
      txns: transformed?.txns,
      tags: { [BATCH_TAG]: String(batchId) },
      removeFiles: replace?.remove,
      operation: transformed ? 'STREAMING UPDATE' : 'COPY INTO',
      operationParameters: { source: recordedFile(req.catalog, req.source), batchId },
      info: {
        strataIngest: {
          batchId,
          source: recordedFile(req.catalog, req.source),
          ...(req.rawOptions ? { options: req.rawOptions } : {}),
          files: recordedEntries(req.catalog, entries),
          ...(replace ? { replaces: replace.batches } : {}),
        },
        ...(transformed?.info ?? {}),
      },
    });
    if (written.version === undefined)
      throw new StrataError('CONFLICT', `${req.name}: batch ${batchId} was committed by another loader`, {
        context: { table: req.name },
      });
    if (replace) await dropBatchesFromQuarantine(session, req, replace.batches);

    // 3. The index (a lag is repaired from the log by the next look-up).
    await appendLedger(session, req, snapshot.metadata.id, written.version, batchId, entries, now());
    return { version: written.version, files: entries, written: written.numRows };
  } finally {
    for (const statement of cleanup) await session.exec(statement).catch(() => undefined);
  }
}
