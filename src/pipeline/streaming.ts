// Streaming tables: each flow reads only what is new — files through the ingest
// ledger's batches, Delta tables through the versions added since the one stored
// in the target's txn actions — and commits its rows with that progress.
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { StrataError } from '../core/index.js';
import {
  changeDataFeedEnabled,
  createTable,
  loadSnapshot,
  planScan,
  planTableChanges,
  writeTable,
  type Action,
  type AddAction,
  type Snapshot,
  readCommit,
  commitKey,
} from '../delta/index.js';
import { quoteIdent, quoteLiteral, type Session } from '../engine/index.js';
import {
  appendQuarantine,
  deleteQuarantineRows,
  ingestFiles,
  INGEST_APP_ID,
  LEDGER_ROLLBACK,
  listSourceFiles,
  SOURCE_SCHEMA_PREFIX,
  parseReadOptions,
  withFormat,
} from '../ingest/index.js';
import { findReadFilesCalls, hideMetadata, mentionsMetadata, withReads } from '../sql/index.js';
import {
  aliasOf,
  pipelineInfo,
  recordWrite,
  tableExists,
  tableOf,
  type FlowResult,
  type RunContext,
  readContext,
} from './context.js';
import { applyExpectations } from './expectations.js';
import { keepsRows } from './bronze-pattern.js';
import { checkSourceProgress, commitStamp, STREAM_SOURCES_INFO, type SourceStamp } from './stream-progress.js';
import { referenceSpans, rewriteReferences, type ReferenceSpan } from './graph.js';
import type { DatasetDefinition } from './parse.js';

/** The app id of a streaming read's progress: `<prefix><flow>:<source table id>`, version = source version read. */
export const STREAM_APP = 'strata-stream:';
export async function runStreaming(
  ctx: RunContext,
  def: DatasetDefinition,
  location: string,
  query: string,
  result: FlowResult,
  /** Structured Streaming's rules, given a file stream's first batch. */
  check: (fileRows: string) => Promise<void> = async () => undefined,
): Promise<void> {
  const spans = referenceSpans(query, ctx.pipeline.schema);
  const fileStreams = spans.filter((s) => s.call && s.streaming);
  const tableStreams = spans.filter((s) => s.name && s.streaming);
  if (fileStreams.length + tableStreams.length === 0) {
    throw new StrataError(
      'PIPELINE',
      `${result.flow} writes the streaming table ${def.name} but reads no stream: read its source with STREAM(table) or STREAM read_files(...), or make ${def.name} a materialized view`,
      { context: { table: def.name } },
    );
  }
  if (fileStreams.length > 1 || (fileStreams.length === 1 && tableStreams.length > 0)) {
    throw new StrataError(
      'PIPELINE',
      `${result.flow} reads ${fileStreams.length > 1 ? 'several file streams' : 'files and tables as streams'} in one query; give each source its own flow (CREATE FLOW ... AS INSERT INTO ${def.name} BY NAME SELECT ...)`,
      { context: { table: def.name } },
    );
  }
  if (!tableExists(location)) await createEmptyTarget(ctx, location, def);
  if (fileStreams.length === 1)
    return streamFiles(ctx, def, location, query, fileStreams[0], spans.length === 1, result, check);
  return streamTables(ctx, def, location, query, result);
}

async function createEmptyTarget(ctx: RunContext, location: string, def: DatasetDefinition): Promise<void> {
  await createTable(ctx.session, {
    location,
    name: def.name,
    ifNotExists: true,
    schema: { kind: 'struct', fields: def.columns },
    // Without a column list, the columns (partition columns among them) come with the first write.
    partitionColumns: def.partitionedBy,
    properties: def.properties,
    description: def.comment,
  });
}

/** A streaming table fed by files: each batch of new files goes through the flow's query and expectations, in the ingest ledger's commits. */
async function streamFiles(
  ctx: RunContext,
  def: DatasetDefinition,
  location: string,
  query: string,
  span: ReferenceSpan,
  readsFilesOnly: boolean,
  result: FlowResult,
  check: (fileRows: string) => Promise<void>,
): Promise<void> {
  const { session } = ctx;
  const call = findCall(span.call!);
  let rulesChecked = false;
  const source = path.resolve(ctx.options.catalog.projectDir, call.source);
  const where = `${def.name}: read_files`;
  // Without format => '...': the files' (from the path's extension, else the files').
  const named = Object.keys(call.options).some((k) => k.toLowerCase() === 'format');
  const listed = named || /\.[a-z0-9]+$/i.test(call.source) ? [] : await listSourceFiles(ctx.session, source);
  const options = parseReadOptions(withFormat(call.options, call.source, listed, where), where, {
    inferColumnTypes: true,
  });
  let expectationQuarantined = 0;
  const outcome = await ingestFiles(session, {
    location,
    name: def.name,
    source,
    catalog: ctx.options.catalog,
    options,
    rawOptions: call.options,
    mergeSchema: true,
    // The files' columns as first inferred hold for the files after them (Auto Loader's schema location).
    sourceSchemaKey: `${SOURCE_SCHEMA_PREFIX}${result.flow}`,
    now: ctx.now,
    metadata: mentionsMetadata(query),
    // The bronze pattern streams from the files in one pass, in two halves at once when it can.
    transformKeepsRows: def.expectations.length === 0 && keepsRows(query, span),
    // (A query reading tables too is materialized on this connection: not for a second one.)
    helper: ctx.options.parallel && readsFilesOnly ? (fn) => ctx.options.parallel!.engine.withSession(fn) : undefined,
    transform: async ({ rows, batchId, metadata }) => {
      if (!rulesChecked) await check(rows);
      rulesChecked = true;
      const sql =
        query.slice(0, span.start) +
        `(${rows})${span.hasAlias ? '' : ` AS ${quoteIdent('read_files')}`}` +
        query.slice(span.end);
      // _metadata is a hidden column, as in Databricks: not part of SELECT * unless named.
      const hide = (resolved: string) => (metadata ? hideMetadata(session, resolved, query) : resolved);
      const id = randomUUID().replace(/-/g, '').slice(0, 12);
      const table = `__strata_flow_${id}`;
      const resolved = await resolveBatchReads(ctx, def, sql);
      let output: string;
      if (resolved !== sql || findReadFilesCalls(sql).length > 0) {
        // Tables are read too: the output is materialized, since the scans' temporary
        // objects go when withReads returns and the ingest commit writes after this.
        await withReads(session, resolved, readContext(ctx), async (s) =>
          session.exec(`CREATE TEMP TABLE ${quoteIdent(table)} AS ${await hide(s)}`),
        );
        output = `SELECT * FROM temp.${quoteIdent(table)}`;
      } else output = await hide(resolved);
      const checked = await applyExpectations(ctx, def, output, result, batchId);
      expectationQuarantined += checked.quarantined;
      return {
        select: checked.select,
        quarantine: checked.quarantine,
        info: pipelineInfo(ctx, result.flow),
        cleanup: [...checked.cleanup, `DROP TABLE IF EXISTS temp.${quoteIdent(table)}`],
      };
    },
  });
  result.rowsRead += outcome.rows + outcome.quarantined;
  result.rowsWritten += outcome.rowsWritten;
  result.version = outcome.version ?? (await loadSnapshot(location, { session, name: def.name })).version;
  if (outcome.filesFailed.length > 0) {
    result.message = `${outcome.filesFailed.length} file(s) could not be read: ${outcome.filesFailed[0].path}: ${outcome.filesFailed[0].error}`;
  }
  if (outcome.filesChanged.length > 0) {
    result.message = `${result.message ? `${result.message}; ` : ''}${outcome.filesChanged.length} file(s) changed since they were loaded (not loaded again): ${outcome.filesChanged[0]}`;
  }
  if (outcome.filesPutOff.length > 0) {
    result.message = `${result.message ? `${result.message}; ` : ''}${outcome.filesPutOff.length} file(s) still being written, put off to the next update: ${outcome.filesPutOff[0]}`;
  }
  if (outcome.filesRenamed.length > 0) {
    const [f] = outcome.filesRenamed;
    result.message = `${result.message ? `${result.message}; ` : ''}${outcome.filesRenamed.length} file(s) with the content of files loaded before (not loaded again; read_files option loadRenamedFiles => true loads them): ${f.path} (loaded as ${f.earlier})`;
  }
  result.quarantined += outcome.quarantined + expectationQuarantined;
}

/** read_files(...)'s source and options. */
function findCall(call: string): { source: string; options: Record<string, string> } {
  const [c] = findReadFilesCalls(call);
  return { source: c.source, options: c.options };
}

/** Non-streaming references of a flow's query: the sources' current versions. */
async function resolveBatchReads(ctx: RunContext, def: DatasetDefinition, sql: string): Promise<string> {
  return rewriteReferences(sql, async (span) => {
    const loc = tableOf(ctx, def, span);
    if (!loc) return undefined;
    return `delta_scan(${quoteLiteral(loc)})${span.hasAlias ? '' : ` AS ${quoteIdent(aliasOf(span))}`}`;
  });
}

/** A query's streaming reads, each replaced by the rows its table gained since the progress stored in `txns`. */
export interface StreamRead {
  sql: string;
  /** The new progress (txn actions to commit with what is written from `sql`). */
  progress: { appId: string; version: number }[];
  /** Whether some source has versions not read yet. */
  pending: boolean;
  /** Per progress app id, the stamp of the source version read up to (commitInfo STREAM_SOURCES_INFO). */
  stamps: Record<string, SourceStamp>;
  cleanup: string[];
}

/**
 * Rewrites `query` for one update of `flow` into `target`: STREAM(x) reads the versions x gained since the
 * progress in `txns` (app id `<STREAM_APP><flow>:<x's table id>`), other references x's current version.
 */
export async function readStreams(
  ctx: RunContext,
  def: DatasetDefinition,
  query: string,
  flow: string,
  txns: ReadonlyMap<string, { version: number }>,
  /** The table whose commits carry `txns` (the target, or AUTO CDC's state), when it exists. */
  holder?: Snapshot,
): Promise<StreamRead> {
  const { session } = ctx;
  const out: StreamRead = { sql: '', progress: [], pending: false, stamps: {}, cleanup: [] };
  try {
    out.sql = await rewriteReferences(query, async (span) => {
      const loc = tableOf(ctx, def, span);
      if (!loc) return undefined;
      const alias = span.hasAlias ? '' : ` AS ${quoteIdent(aliasOf(span))}`;
      if (!span.streaming) return `delta_scan(${quoteLiteral(loc)})${alias}`;
      const source = await loadSnapshot(loc, { session, name: span.name });
      const key = `${STREAM_APP}${flow.toLowerCase()}:`;
      const appId = `${key}${source.metadata.id}`;
      const other = [...txns.entries()].find(([a, t]) => a.startsWith(key) && a !== appId && t.version >= 0);
      if (other) {
        throw new StrataError(
          'PIPELINE',
          `${flow} cannot continue reading ${span.name}: it was replaced (fully refreshed) since ${def.name} last read it; run with --full-refresh ${def.name} to rebuild ${def.name} from it`,
          { context: { table: span.name } },
        );
      }
      const from = txns.get(appId)?.version ?? -1;
      const checked = await checkSourceProgress(holder, appId, from, source, {
        flow,
        source: span.name!,
        target: def.name,
      });
      out.progress.push({ appId, version: source.version });
      const stamp =
        checked?.version === source.version ? checked : await commitStamp(source, span.name!, source.version);
      if (stamp) out.stamps[appId] = stamp;
      if (from < source.version) out.pending = true;
      const inc = await increment(session, source, span.name!, from, flow, def.name);
      out.cleanup.push(...inc.cleanup);
      return `(${inc.sql})${alias}`;
    });
  } catch (err) {
    for (const s of out.cleanup) await session.exec(s).catch(() => undefined);
    throw err;
  }
  return out;
}

/** A streaming table fed by Delta tables: the versions each source gained since the last update. */
async function streamTables(
  ctx: RunContext,
  def: DatasetDefinition,
  location: string,
  query: string,
  result: FlowResult,
): Promise<void> {
  const { session } = ctx;
  const target = await loadSnapshot(location, { session, name: def.name });
  const batchId = (target.txns.get(INGEST_APP_ID)?.version ?? 0) + 1;
  const read = await readStreams(ctx, def, query, result.flow, target.txns, target);
  try {
    if (!read.pending) {
      result.status = 'COMPLETED';
      result.message = 'no new data';
      result.version = target.version;
      return;
    }
    await withReads(session, read.sql, readContext(ctx), async (resolved) => {
      const checked = await applyExpectations(ctx, def, resolved, result, batchId);
      try {
        await deleteQuarantineRows(session, { location, name: def.name }, `_batch_id = ${batchId}`);
        if (checked.quarantine !== undefined)
          await appendQuarantine(session, { location, name: def.name }, checked.quarantine);
        result.quarantined = checked.quarantined;
        const written = await writeTable(session, {
          location,
          name: def.name,
          mode: 'append',
          select: checked.select,
          mergeSchema: true,
          txns: [{ appId: INGEST_APP_ID, version: batchId }, ...read.progress],
          readVersion: target.version,
          operation: 'STREAMING UPDATE',
          operationParameters: { outputMode: 'Append', queryId: result.flow, epochId: batchId },
          info: { ...pipelineInfo(ctx, result.flow), [STREAM_SOURCES_INFO]: read.stamps },
        });
        recordWrite(result, written, checked.total);
      } finally {
        for (const s of checked.cleanup) await session.exec(s).catch(() => undefined);
      }
    });
  } finally {
    for (const s of read.cleanup) await session.exec(s).catch(() => undefined);
  }
}

/**
 * The rows a source gained after version `from` (-1: its whole current state).
 * Commits that changed or deleted rows stop the stream, unless the source has
 * the change data feed: then their inserted and updated rows (post-images) are read.
 */
async function increment(
  session: Session,
  source: Snapshot,
  name: string,
  from: number,
  flow: string,
  target: string,
): Promise<{ sql: string; cleanup: string[] }> {
  const id = randomUUID().replace(/-/g, '').slice(0, 10);
  if (from < 0) {
    const scan = await planScan(source, session, { id });
    return { sql: scan.sql, cleanup: scan.cleanup };
  }
  const adds: AddAction[] = [];
  let changes: { version: number; operation: string } | undefined;
  const commits: Action[][] = [];
  for (let v = from + 1; v <= source.version; v++) commits.push(await readCommit(source.store, commitKey(v), name));
  const read = unvoided(commits, from);
  for (const v of read) {
    const actions = commits[v - from - 1];
    if (actions.some((a) => a.remove && a.remove.dataChange !== false)) {
      changes ??= { version: v, operation: actions.find((a) => a.commitInfo)?.commitInfo?.operation ?? 'a change' };
    }
    for (const a of actions) if (a.add && a.add.dataChange !== false) adds.push(a.add);
  }
  if (changes) {
    if (!changeDataFeedEnabled(source.metadata.configuration)) {
      throw new StrataError(
        'PIPELINE',
        `${flow} cannot read version ${changes.version} of ${name} as a stream: that ${changes.operation} changed or deleted rows, and a streaming read takes appended rows only. Enable the change data feed on ${name} (TBLPROPERTIES ('delta.enableChangeDataFeed' = 'true')) to stream its changes, or run --full-refresh ${target}`,
        { context: { table: name, version: changes.version } },
      );
    }
    const cols = source.schema.fields.map((f) => quoteIdent(f.name)).join(', ');
    const parts: string[] = [];
    const cleanup: string[] = [];
    for (const [start, end] of segments(read)) {
      const plan = await planTableChanges(session, source.store.root, name, start, end);
      parts.push(`SELECT ${cols} FROM (${plan.sql}) AS __c WHERE _change_type IN ('insert', 'update_postimage')`);
      cleanup.push(...plan.cleanup);
    }
    return { sql: parts.join(' UNION ALL '), cleanup };
  }
  const scan = await planScan(source, session, { id, files: adds });
  return { sql: scan.sql, cleanup: scan.cleanup };
}

/**
 * The versions after `from` a stream reads: all but those a rollback undid (a cancelled pipeline
 * update's commits and the RESTORE that undid them — together they changed nothing). A rollback
 * of versions the stream had already read is a change like any other.
 */
function unvoided(commits: Action[][], from: number): number[] {
  const skip = new Set<number>();
  commits.forEach((actions, i) => {
    const back = (actions.find((a) => a.commitInfo)?.commitInfo as Record<string, unknown> | undefined)?.[
      LEDGER_ROLLBACK
    ] as { version?: number } | undefined;
    if (typeof back?.version === 'number' && back.version >= from)
      for (let v = back.version + 1; v <= from + 1 + i; v++) skip.add(v);
  });
  return commits.map((_, i) => from + 1 + i).filter((v) => !skip.has(v));
}

/** Consecutive runs of versions, as [first, last] pairs. */
function segments(versions: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const v of versions) {
    const last = out.at(-1);
    if (last && last[1] === v - 1) last[1] = v;
    else out.push([v, v]);
  }
  return out;
}
