// One update of a pipeline (`strata run`): every dataset brought up to date in
// dependency order. Streaming tables read only what is new — files through the
// ingest ledger, Delta tables through their versions — and store how far they
// read in the same commit as the rows (txn actions), so a run killed anywhere
// resumes without duplicates. Materialized views are recomputed, or skipped
// when neither their definition nor their sources changed. Expectations are
// applied to every flow's output; the run is recorded in the event log.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { StrataError } from '../core/index.js';
import { changeDataFeedEnabled, createTable, deltaTypeText, loadSnapshot, planScan, planTableChanges, writeTable, type AddAction, type Snapshot } from '../delta/index.js';
import { readCommit } from '../delta/log-reader.js';
import { commitKey } from '../delta/log-segment.js';
import { quoteIdent, quoteLiteral, type Engine, type Session } from '../engine/index.js';
import { appendQuarantine, deleteQuarantineRows, ingestFiles, INGEST_APP_ID, LEDGER_RESET, parseReadOptions, quarantineLocation, type LedgerFile } from '../ingest/index.js';
import { findReadFilesCalls } from '../sql/delta-scan-calls.js';
import { withReads } from '../sql/execute.js';
import { resolveTableName } from '../sql/table-refs.js';
import { EventLog, type EventOrigin } from './event-log.js';
import { normalizeName, referenceSpans, rewriteReferences, type Node, type ReferenceSpan } from './graph.js';
import { kindName, type DatasetDefinition, type Expectation } from './parse.js';
import type { Pipeline } from './project.js';

export type FlowStatus = 'QUEUED' | 'RUNNING' | 'COMPLETED' | 'SKIPPED' | 'FAILED' | 'EXCLUDED';

export interface ExpectationResult {
  name: string;
  dataset: string;
  passed_records: number;
  failed_records: number;
}

/** What one flow (a dataset's query or a named flow) did in the update. */
export interface FlowResult {
  /** The flow's name: the dataset's for its own query, else the flow's. */
  flow: string;
  dataset: string;
  kind: string;
  status: FlowStatus;
  rowsRead: number;
  rowsWritten: number;
  dropped: number;
  quarantined: number;
  durationMs: number;
  /** The Delta version this update wrote. */
  version?: number;
  expectations: ExpectationResult[];
  /** Why it was skipped, or the error. */
  message?: string;
}

export interface RunOptions {
  project: string;
  lakeRoot: string;
  /** Datasets to update (with the datasets they read); default all. */
  select?: string[];
  /** Datasets to rebuild from scratch, or 'all'. */
  fullRefresh?: string[] | 'all';
  /** Allow a full refresh of tables that read files. */
  force?: boolean;
  /** Run independent flows at the same time, each on its own connection of `engine`, at most `max`. */
  parallel?: { engine: Engine; max: number };
  /** Told whenever a flow changes state. */
  onFlow?: (flow: FlowResult) => void;
  now?: () => number;
}

export interface RunOutcome {
  updateId: string;
  status: 'COMPLETED' | 'FAILED';
  flows: FlowResult[];
  durationMs: number;
  /** The first failure. */
  error?: string;
}

/** The app id of a streaming read's progress: `<prefix><flow>:<source table id>`, version = source version read. */
const STREAM_APP = 'strata-stream:';
/** Table property of a materialized view: its definition and the source versions it was computed from. */
const MV_STATE = 'strata.pipeline.state';

/** A stable id for a pipeline (the same for every update of it in a project). */
export function pipelineId(project: string, name: string): string {
  const h = createHash('sha256').update(`${path.resolve(project)}\0${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Runs one update of `pipeline`. Never throws for a failing flow: the outcome says FAILED. */
export async function runPipeline(session: Session, pipeline: Pipeline, options: RunOptions): Promise<RunOutcome> {
  const started = performance.now();
  const updateId = randomUUID();
  const now = options.now ?? Date.now;
  const log = new EventLog(options.lakeRoot, { pipeline_id: pipelineId(options.project, pipeline.name), pipeline_name: pipeline.name, update_id: updateId }, now);
  const selected = selection(pipeline, options.select);
  const refresh = fullRefreshSet(pipeline, options.fullRefresh);
  checkFullRefresh(pipeline, refresh, Boolean(options.force));

  log.add('create_update', `Update ${updateId.slice(0, 6)} started.`, {
    cause: 'USER_ACTION',
    full_refresh: options.fullRefresh === 'all',
    full_refresh_selection: options.fullRefresh === 'all' ? [] : [...refresh],
    refresh_selection: options.select ? [...selected] : [],
  });
  log.add('update_progress', `Update ${updateId.slice(0, 6)} is INITIALIZING.`, { state: 'INITIALIZING' });

  const results = new Map<Node, FlowResult>();
  for (const node of pipeline.order) {
    const def = pipeline.datasets.get(node.target)!;
    const result: FlowResult = {
      flow: flowName(node),
      dataset: def.name,
      kind: kindName(def.kind),
      status: selected.has(node.target) ? 'QUEUED' : 'EXCLUDED',
      rowsRead: 0,
      rowsWritten: 0,
      dropped: 0,
      quarantined: 0,
      durationMs: 0,
      expectations: [],
    };
    results.set(node, result);
  }
  log.add('update_progress', `Update ${updateId.slice(0, 6)} is RUNNING.`, { state: 'RUNNING' });
  await log.flush(session);

  const ctx: RunContext = { session, pipeline, options, updateId, log, refresh, refreshed: new Set(), now };
  const failedTargets = new Set<string>();
  let firstError: string | undefined;
  const execute = async (node: Node, session: Session): Promise<void> => {
    const result = results.get(node)!;
    const def = pipeline.datasets.get(node.target)!;
    if (def.kind === 'temporary-view' && node.reads.some((r) => failedTargets.has(r.name))) failedTargets.add(node.target);
    if (def.kind === 'temporary-view' || result.status === 'EXCLUDED') {
      if (def.kind !== 'temporary-view') options.onFlow?.(result);
      return;
    }
    const blocked = node.reads.find((r) => failedTargets.has(r.name));
    if (blocked) {
      result.status = 'SKIPPED';
      result.message = `not run: ${blocked.name} failed`;
      failedTargets.add(node.target);
      log.add('flow_progress', `Flow '${result.flow}' has been skipped: ${blocked.name} failed.`, { status: 'SKIPPED' }, { origin: flowOrigin(node, def) });
      options.onFlow?.(result);
      return;
    }
    result.status = 'RUNNING';
    options.onFlow?.(result);
    log.add('flow_progress', `Flow '${result.flow}' is RUNNING.`, { status: 'RUNNING' }, { origin: flowOrigin(node, def) });
    const t0 = performance.now();
    let errorCode: string | undefined;
    try {
      await runNode({ ...ctx, session }, node, def, result);
      if (result.status === 'RUNNING') result.status = 'COMPLETED';
    } catch (err) {
      result.status = 'FAILED';
      result.message = err instanceof Error ? err.message : String(err);
      errorCode = StrataError.is(err) ? err.code : 'INTERNAL';
      firstError ??= `${result.flow}: ${result.message}`;
      failedTargets.add(node.target);
    }
    result.durationMs = performance.now() - t0;
    await defineFlow(session, log, node, def, result, locationOf(ctx, node.target));
    const quality = def.expectations.length
      ? { data_quality: { dropped_records: result.dropped, quarantined_records: result.quarantined, expectations: result.expectations } }
      : {};
    log.add(
      'flow_progress',
      result.status === 'FAILED' ? `Flow '${result.flow}' has FAILED: ${result.message}` : `Flow '${result.flow}' is ${result.status}${result.message ? ` (${result.message})` : ''}.`,
      {
        status: result.status,
        metrics: { num_output_rows: result.rowsWritten, num_input_rows: result.rowsRead, ...(result.version !== undefined ? { delta_version: result.version } : {}) },
        ...quality,
      },
      { origin: flowOrigin(node, def), level: result.status === 'FAILED' ? 'ERROR' : result.expectations.some((e) => e.failed_records > 0) ? 'WARN' : 'INFO', error: result.status === 'FAILED' ? { message: result.message!, code: errorCode } : undefined },
    );
    await log.flush(session).catch(() => undefined);
    options.onFlow?.(result);
  };
  const parallel = options.parallel && options.parallel.max > 1 ? options.parallel : undefined;
  if (!parallel) {
    for (const node of pipeline.order) await execute(node, session);
  } else {
    // Independent flows at the same time (each on its own connection), at most `max`;
    // a flow waits for the flows writing what it reads, and for earlier flows into its table.
    const deps = new Map<Node, Node[]>();
    pipeline.order.forEach((node, i) => {
      const reads = new Set(node.reads.map((r) => r.name));
      deps.set(node, pipeline.order.slice(0, i).filter((n) => reads.has(n.target) || n.target === node.target));
    });
    const done = new Set<Node>();
    const running = new Map<Node, Promise<void>>();
    const waiting = [...pipeline.order];
    while (waiting.length > 0 || running.size > 0) {
      for (let i = 0; i < waiting.length && running.size < parallel.max; ) {
        const node = waiting[i];
        if (!deps.get(node)!.every((d) => done.has(d))) {
          i++;
          continue;
        }
        waiting.splice(i, 1);
        running.set(
          node,
          parallel.engine.withSession((s) => execute(node, s)).finally(() => {
            running.delete(node);
            done.add(node);
          }),
        );
      }
      if (running.size > 0) await Promise.race(running.values());
    }
  }
  const status = firstError === undefined ? 'COMPLETED' : 'FAILED';
  log.add('update_progress', `Update ${updateId.slice(0, 6)} is ${status}.`, { state: status }, status === 'FAILED' ? { level: 'ERROR', error: { message: firstError! } } : {});
  await log.flush(session);
  return { updateId, status, flows: pipeline.order.filter((n) => pipeline.datasets.get(n.target)!.kind !== 'temporary-view').map((n) => results.get(n)!), durationMs: performance.now() - started, error: firstError };
}

/** The flow_definition event: inputs, output and the output's schema (the lineage). */
async function defineFlow(session: Session, log: EventLog, node: Node, def: DatasetDefinition, result: FlowResult, location: string): Promise<void> {
  const snap = tableExists(location) ? await loadSnapshot(location, { session, name: def.name }).catch(() => undefined) : undefined;
  const type = node.kind === 'flow' || def.kind === 'streaming-table' ? 'APPEND' : 'COMPLETE';
  log.add('flow_definition', `Flow '${result.flow}' is defined as ${type}.`, {
    output_dataset: def.name,
    input_datasets: [...node.reads.map((r) => r.name), ...node.files.map((f) => f.call)],
    flow_type: type,
    schema: (snap?.schema.fields ?? def.columns).map((f) => ({ name: f.name, data_type: deltaTypeText(f.type) })),
    explain_text: node.flow?.query ?? def.query,
    expectations: def.expectations.map((e) => ({ name: e.name, expression: e.expr, action: e.action.toUpperCase() })),
  }, { origin: flowOrigin(node, def) });
}

interface RunContext {
  session: Session;
  pipeline: Pipeline;
  options: RunOptions;
  updateId: string;
  log: EventLog;
  /** Datasets to rebuild (normalized names). */
  refresh: Set<string>;
  /** Those already emptied in this run (a table fed by two flows is emptied once). */
  refreshed: Set<string>;
  now: () => number;
}

function flowName(node: Node): string {
  return node.flow?.name ?? node.dataset!.name;
}

function flowOrigin(node: Node, def: DatasetDefinition): Partial<EventOrigin> {
  return { flow_name: flowName(node), flow_id: createHash('sha256').update(node.id).digest('hex').slice(0, 32), dataset_name: def.name };
}

/** The selected datasets and, transitively, the pipeline datasets they read. */
function selection(pipeline: Pipeline, select?: string[]): Set<string> {
  if (!select || select.length === 0) return new Set(pipeline.datasets.keys());
  const out = new Set<string>();
  const visit = (name: string) => {
    if (out.has(name)) return;
    out.add(name);
    for (const n of pipeline.nodes.filter((x) => x.target === name)) for (const r of n.reads) if (pipeline.datasets.has(r.name)) visit(r.name);
  };
  for (const s of select) {
    const name = normalizeName(s);
    if (!pipeline.datasets.has(name)) throw new StrataError('USAGE', `--select: ${s} is not a dataset of pipeline ${pipeline.name} (datasets: ${[...pipeline.datasets.values()].map((d) => d.name).join(', ')})`);
    visit(name);
  }
  return out;
}

function fullRefreshSet(pipeline: Pipeline, full?: string[] | 'all'): Set<string> {
  if (!full) return new Set();
  if (full === 'all') return new Set([...pipeline.datasets.values()].filter((d) => d.kind !== 'temporary-view').map((d) => normalizeName(d.name)));
  const out = new Set<string>();
  for (const s of full) {
    const name = normalizeName(s);
    if (!pipeline.datasets.has(name)) throw new StrataError('USAGE', `--full-refresh: ${s} is not a dataset of pipeline ${pipeline.name}`);
    out.add(name);
  }
  return out;
}

/** Tables that read files refuse a full refresh without force: the landing files may be gone. */
function checkFullRefresh(pipeline: Pipeline, refresh: Set<string>, force: boolean): void {
  if (force) return;
  for (const name of refresh) {
    const reader = pipeline.nodes.find((n) => n.target === name && n.files.some((f) => f.streaming));
    if (reader) {
      const def = pipeline.datasets.get(name)!;
      throw new StrataError(
        'USAGE',
        `${def.name} loads files (${reader.files[0].call}); a full refresh empties it and loads again only the files still in the landing folder — rows of files removed since would be lost. Add --force to refresh it anyway.`,
        { context: { table: def.name } },
      );
    }
  }
}

function locationOf(ctx: RunContext, name: string): string {
  return resolveTableName({ kind: 'name', parts: name.split('.') }, { baseDir: ctx.options.project, lakeRoot: ctx.options.lakeRoot }).location;
}

const tableExists = (location: string) => existsSync(path.join(location, '_delta_log'));

/**
 * The folder of a table a query reads: a dataset of the pipeline (which must exist by now,
 * its update came first) or a table of the lake; undefined for other names (CTEs, DuckDB's).
 */
function tableOf(ctx: RunContext, def: DatasetDefinition, span: ReferenceSpan): string | undefined {
  if (!span.name) return undefined;
  let loc: string;
  try {
    loc = locationOf(ctx, span.name);
  } catch {
    return undefined;
  }
  if (tableExists(loc)) return loc;
  if (ctx.pipeline.datasets.has(span.name)) {
    throw new StrataError('TABLE_NOT_FOUND', `${def.name} reads ${span.name}, which has no data yet (its update did not run or failed)`, { context: { table: span.name } });
  }
  return undefined;
}

async function runNode(ctx: RunContext, node: Node, def: DatasetDefinition, result: FlowResult): Promise<void> {
  const location = locationOf(ctx, node.target);
  if (ctx.refresh.has(node.target) && !ctx.refreshed.has(node.target)) {
    await emptyForRefresh(ctx, location, def);
    ctx.refreshed.add(node.target);
  }
  const query = inlineViews(ctx.pipeline, node.flow?.query ?? def.query!);
  if (def.kind === 'materialized-view') return runMaterializedView(ctx, node, def, location, query, result);
  return runStreaming(ctx, node, def, location, query, result);
}

/** Temporary views are inlined as subqueries where they are read (repeatedly: views may read views). */
function inlineViews(pipeline: Pipeline, sql: string): string {
  for (let round = 0; round < 64; round++) {
    let changed = false;
    const spans = referenceSpans(sql);
    let out = '';
    let at = 0;
    for (const s of spans) {
      const view = s.name ? pipeline.datasets.get(s.name) : undefined;
      if (!view || view.kind !== 'temporary-view') continue;
      out += sql.slice(at, s.start) + `(${view.query})${s.hasAlias ? '' : ` AS ${quoteIdent(aliasOf(s))}`}`;
      at = s.end;
      changed = true;
    }
    if (!changed) return sql;
    sql = out + sql.slice(at);
  }
  return sql;
}

function aliasOf(span: ReferenceSpan): string {
  const parts = (span.written ?? span.name ?? 'read_files').split('.');
  return parts[parts.length - 1];
}

/** Full refresh: the table keeps its history but loses its rows, its stream progress and its ledger (a new table id). */
async function emptyForRefresh(ctx: RunContext, location: string, def: DatasetDefinition): Promise<void> {
  for (const loc of [location, quarantineLocation(location)]) {
    if (!tableExists(loc)) continue;
    const snap = await loadSnapshot(loc, { session: ctx.session, name: def.name });
    const resets = [...snap.txns.keys()].filter((a) => a.startsWith(STREAM_APP) || a === INGEST_APP_ID).map((appId) => ({ appId, version: appId === INGEST_APP_ID ? 0 : -1 }));
    await createTable(ctx.session, {
      location: loc,
      name: loc === location ? def.name : `${def.name}_quarantine`,
      replace: true,
      newId: true,
      schema: snap.schema,
      partitionColumns: snap.partitionColumns,
      properties: snap.metadata.configuration,
      description: snap.metadata.description ?? undefined,
      txns: resets,
      info: { [LEDGER_RESET]: true },
    });
  }
}

// ---------------------------------------------------------------------------
// Materialized views

async function runMaterializedView(ctx: RunContext, node: Node, def: DatasetDefinition, location: string, query: string, result: FlowResult): Promise<void> {
  const { session } = ctx;
  // What the view is computed from: its definition and each source table's id and version.
  const sources: Record<string, string> = {};
  let volatile = false;
  const resolved = await rewriteReferences(query, async (span) => {
    if (span.call) {
      volatile = true; // files: always recomputed
      return span.call + (span.hasAlias ? '' : ' AS read_files');
    }
    const loc = tableOf(ctx, def, span);
    if (!loc) return undefined;
    const snap = await loadSnapshot(loc, { session, name: span.name });
    sources[span.name!] = `${snap.metadata.id}@${snap.version}`;
    return `delta_scan(${quoteLiteral(loc)}, version => ${snap.version})${span.hasAlias ? '' : ` AS ${quoteIdent(aliasOf(span))}`}`;
  });
  const state = JSON.stringify({ definition: definitionHash(def, query), sources });
  const previous = tableExists(location) ? await loadSnapshot(location, { session, name: def.name }) : undefined;
  if (!volatile && previous && previous.metadata.configuration[MV_STATE] === state) {
    result.status = 'SKIPPED';
    result.message = 'sources unchanged';
    result.version = previous.version;
    return;
  }
  await withReads(session, resolved, { baseDir: ctx.options.project, lakeRoot: ctx.options.lakeRoot }, {}, async (sql) => {
    const checked = await applyExpectations(ctx, def, sql, result, (previous?.txns.get(INGEST_APP_ID)?.version ?? 0) + 1);
    try {
      if (checked.quarantine !== undefined) {
        await deleteQuarantineRows(session, { location, name: def.name }, `_flow = ${quoteLiteral(result.flow)}`);
        await appendQuarantine(session, { location, name: def.name }, checked.quarantine);
      }
      result.quarantined = checked.quarantined;
      const written = await createTable(session, {
        location,
        name: def.name,
        replace: Boolean(previous),
        schema: def.columns.length ? { kind: 'struct', fields: def.columns } : undefined,
        select: checked.select,
        partitionColumns: def.partitionedBy,
        properties: { ...def.properties, [MV_STATE]: state },
        description: def.comment,
        info: { strataPipeline: { pipeline: ctx.pipeline.name, update_id: ctx.updateId, flow: result.flow } },
      });
      result.rowsWritten = written.numRows;
      result.rowsRead = checked.total ?? written.numRows;
      result.version = written.version;
    } finally {
      for (const s of checked.cleanup) await session.exec(s).catch(() => undefined);
    }
  });
}

function definitionHash(def: DatasetDefinition, query: string): string {
  return createHash('sha256')
    .update(JSON.stringify([query, def.columns, def.expectations, def.partitionedBy, def.properties, def.comment ?? null]))
    .digest('hex')
    .slice(0, 16);
}

// ---------------------------------------------------------------------------
// Streaming tables

async function runStreaming(ctx: RunContext, node: Node, def: DatasetDefinition, location: string, query: string, result: FlowResult): Promise<void> {
  const spans = referenceSpans(query);
  const fileStreams = spans.filter((s) => s.call && s.streaming);
  const tableStreams = spans.filter((s) => s.name && s.streaming);
  if (fileStreams.length + tableStreams.length === 0) {
    throw new StrataError('PIPELINE', `${result.flow} writes the streaming table ${def.name} but reads no stream: read its source with STREAM(table) or STREAM read_files(...), or make ${def.name} a materialized view`, { context: { table: def.name } });
  }
  if (fileStreams.length > 1 || (fileStreams.length === 1 && tableStreams.length > 0)) {
    throw new StrataError('PIPELINE', `${result.flow} reads ${fileStreams.length > 1 ? 'several file streams' : 'files and tables as streams'} in one query; give each source its own flow (CREATE FLOW ... AS INSERT INTO ${def.name} BY NAME SELECT ...)`, { context: { table: def.name } });
  }
  if (!tableExists(location)) await createEmptyTarget(ctx, location, def);
  if (fileStreams.length === 1) return streamFiles(ctx, node, def, location, query, fileStreams[0], result);
  return streamTables(ctx, node, def, location, query, result);
}

async function createEmptyTarget(ctx: RunContext, location: string, def: DatasetDefinition): Promise<void> {
  await createTable(ctx.session, {
    location,
    name: def.name,
    ifNotExists: true,
    schema: { kind: 'struct', fields: def.columns },
    partitionColumns: def.columns.length ? def.partitionedBy : [],
    properties: def.properties,
    description: def.comment,
  });
}

/** A streaming table fed by files: each batch of new files goes through the flow's query and expectations, in the ingest ledger's commits. */
async function streamFiles(ctx: RunContext, node: Node, def: DatasetDefinition, location: string, query: string, span: ReferenceSpan, result: FlowResult): Promise<void> {
  const { session } = ctx;
  const call = findCall(span.call!);
  const options = parseReadOptions(call.options, `${def.name}: read_files`);
  const source = path.resolve(ctx.options.project, call.source);
  const mentionsMetadata = /\b_metadata\b/i.test(query);
  let expectationQuarantined = 0;
  const outcome = await ingestFiles(session, {
    location,
    name: def.name,
    source,
    lakeRoot: ctx.options.lakeRoot,
    options,
    rawOptions: call.options,
    mergeSchema: true,
    now: ctx.now,
    transform: async ({ rows, batchId, files }) => {
      const relation = mentionsMetadata ? withMetadata(rows, files) : rows;
      let sql = query.slice(0, span.start) + `(${relation})${span.hasAlias ? '' : ` AS ${quoteIdent('read_files')}`}` + query.slice(span.end);
      // _metadata is a hidden column, as in Databricks: not part of SELECT * unless named.
      if (mentionsMetadata && !/\b_metadata\b(?!\s*\.)/i.test(query)) sql = `SELECT * EXCLUDE (_metadata) FROM (${sql}) AS __q`;
      const id = randomUUID().replace(/-/g, '').slice(0, 12);
      const table = `__strata_flow_${id}`;
      const resolved = await resolveBatchReads(ctx, def, sql);
      let output = resolved;
      if (resolved !== sql || findReadFilesCalls(sql).length > 0) {
        // Tables are read too: the output is materialized, since the scans' temporary
        // objects go when withReads returns and the ingest commit writes after this.
        await withReads(session, resolved, { baseDir: ctx.options.project, lakeRoot: ctx.options.lakeRoot }, {}, (s) => session.exec(`CREATE TEMP TABLE ${quoteIdent(table)} AS ${s}`));
        output = `SELECT * FROM temp.${quoteIdent(table)}`;
      }
      const checked = await applyExpectations(ctx, def, output, result, batchId);
      expectationQuarantined += checked.quarantined;
      return {
        select: checked.select,
        quarantine: checked.quarantine,
        info: { strataPipeline: { pipeline: ctx.pipeline.name, update_id: ctx.updateId, flow: result.flow } },
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
  result.quarantined += outcome.quarantined + expectationQuarantined;
}

/** read_files(...)'s source and options. */
function findCall(call: string): { source: string; options: Record<string, string> } {
  const [c] = findReadFilesCalls(call);
  return { source: c.source, options: c.options };
}

/** Databricks' `_metadata` column of file sources: file_path, file_name, file_size, file_modification_time. */
function withMetadata(rows: string, files: LedgerFile[]): string {
  const values = files
    .map((f) => `(${quoteLiteral(f.path)}, ${quoteLiteral(path.basename(f.path))}, ${f.size}::BIGINT, make_timestamptz(${f.modified * 1000}::BIGINT))`)
    .join(', ');
  return `SELECT __r.*, struct_pack(file_path := __m.p, file_name := __m.n, file_size := __m.s, file_modification_time := __m.t) AS _metadata FROM (${rows}) AS __r JOIN (VALUES ${values}) AS __m(p, n, s, t) ON __r._source_file = __m.p`;
}

/** Non-streaming references of a flow's query: the sources' current versions. */
async function resolveBatchReads(ctx: RunContext, def: DatasetDefinition, sql: string): Promise<string> {
  return rewriteReferences(sql, async (span) => {
    const loc = tableOf(ctx, def, span);
    if (!loc) return undefined;
    return `delta_scan(${quoteLiteral(loc)})${span.hasAlias ? '' : ` AS ${quoteIdent(aliasOf(span))}`}`;
  });
}

/** A streaming table fed by Delta tables: the versions each source gained since the last update. */
async function streamTables(ctx: RunContext, node: Node, def: DatasetDefinition, location: string, query: string, result: FlowResult): Promise<void> {
  const { session } = ctx;
  const target = await loadSnapshot(location, { session, name: def.name });
  const batchId = (target.txns.get(INGEST_APP_ID)?.version ?? 0) + 1;
  const progress: { appId: string; version: number }[] = [];
  const cleanup: string[] = [];
  let pending = false;
  try {
    const sql = await rewriteReferences(query, async (span) => {
      const loc = tableOf(ctx, def, span);
      if (!loc) return undefined;
      const alias = span.hasAlias ? '' : ` AS ${quoteIdent(aliasOf(span))}`;
      if (!span.streaming) return `delta_scan(${quoteLiteral(loc)})${alias}`;
      const source = await loadSnapshot(loc, { session, name: span.name });
      const key = `${STREAM_APP}${result.flow.toLowerCase()}:`;
      const appId = `${key}${source.metadata.id}`;
      const other = [...target.txns.entries()].find(([a, t]) => a.startsWith(key) && a !== appId && t.version >= 0);
      if (other) {
        throw new StrataError(
          'PIPELINE',
          `${result.flow} cannot continue reading ${span.name}: it was replaced (fully refreshed) since ${def.name} last read it; run with --full-refresh ${def.name} to rebuild ${def.name} from it`,
          { context: { table: span.name } },
        );
      }
      const from = target.txns.get(appId)?.version ?? -1;
      progress.push({ appId, version: source.version });
      if (from < source.version) pending = true;
      const inc = await increment(session, source, span.name!, from, result.flow, def.name);
      cleanup.push(...inc.cleanup);
      return `(${inc.sql})${alias}`;
    });
    if (!pending) {
      result.status = 'COMPLETED';
      result.message = 'no new data';
      result.version = target.version;
      return;
    }
    await withReads(session, sql, { baseDir: ctx.options.project, lakeRoot: ctx.options.lakeRoot }, {}, async (resolved) => {
      const checked = await applyExpectations(ctx, def, resolved, result, batchId);
      try {
        await deleteQuarantineRows(session, { location, name: def.name }, `_batch_id = ${batchId}`);
        if (checked.quarantine !== undefined) await appendQuarantine(session, { location, name: def.name }, checked.quarantine);
        result.quarantined = checked.quarantined;
        const written = await writeTable(session, {
          location,
          name: def.name,
          mode: 'append',
          select: checked.select,
          mergeSchema: true,
          txns: [{ appId: INGEST_APP_ID, version: batchId }, ...progress],
          operation: 'STREAMING UPDATE',
          operationParameters: { outputMode: 'Append', queryId: result.flow, epochId: batchId },
          info: { strataPipeline: { pipeline: ctx.pipeline.name, update_id: ctx.updateId, flow: result.flow } },
        });
        result.rowsWritten = written.numRows;
        result.rowsRead = checked.total ?? written.numRows;
        result.version = written.version;
      } finally {
        for (const s of checked.cleanup) await session.exec(s).catch(() => undefined);
      }
    });
  } finally {
    for (const s of cleanup) await session.exec(s).catch(() => undefined);
  }
}

/**
 * The rows a source gained after version `from` (-1: its whole current state).
 * Commits that changed or deleted rows stop the stream, unless the source has
 * the change data feed: then their inserted and updated rows (post-images) are read.
 */
async function increment(session: Session, source: Snapshot, name: string, from: number, flow: string, target: string): Promise<{ sql: string; cleanup: string[] }> {
  const id = randomUUID().replace(/-/g, '').slice(0, 10);
  if (from < 0) {
    const scan = await planScan(source, session, { id });
    return { sql: scan.sql, cleanup: scan.cleanup };
  }
  const adds: AddAction[] = [];
  let changes: { version: number; operation: string } | undefined;
  for (let v = from + 1; v <= source.version; v++) {
    const actions = await readCommit(source.store, commitKey(v), name);
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
    const plan = await planTableChanges(session, source.store.root, name, from + 1, source.version);
    const cols = source.schema.fields.map((f) => quoteIdent(f.name)).join(', ');
    return { sql: `SELECT ${cols} FROM (${plan.sql}) AS __c WHERE _change_type IN ('insert', 'update_postimage')`, cleanup: plan.cleanup };
  }
  const scan = await planScan(source, session, { id, files: adds });
  return { sql: scan.sql, cleanup: scan.cleanup };
}

// ---------------------------------------------------------------------------
// Expectations

interface Checked {
  /** The rows to write. */
  select: string;
  /** Rows for the quarantine, if a QUARANTINE rule exists. */
  quarantine?: string;
  /** Rows in, when expectations were evaluated. */
  total?: number;
  /** Rows sent to the quarantine. */
  quarantined: number;
  cleanup: string[];
}

/**
 * Applies a dataset's expectations to a flow's output: counts each rule's
 * failures (a NULL result counts as failed), fails the flow on a FAIL UPDATE
 * rule with a sample row, leaves out DROP ROW failures and sends QUARANTINE
 * failures to the quarantine with the names of every rule they failed.
 */
async function applyExpectations(ctx: RunContext, def: DatasetDefinition, sql: string, result: FlowResult, batchId: number): Promise<Checked> {
  const { session } = ctx;
  const rules = def.expectations;
  if (rules.length === 0) return { select: sql, quarantined: 0, cleanup: [] };
  const table = `__strata_checked_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const cleanup = [`DROP TABLE IF EXISTS temp.${quoteIdent(table)}`];
  await session.exec(`CREATE TEMP TABLE ${quoteIdent(table)} AS ${sql}`);
  const rel = `temp.${quoteIdent(table)}`;
  const ok = (e: Expectation) => `coalesce((${e.expr})::BOOLEAN, false)`;
  let counts: Record<string, bigint>;
  try {
    [counts] = await session.rows<Record<string, bigint>>(
      `SELECT count(*) AS total, ${rules.map((e, i) => `count(*) FILTER (WHERE NOT ${ok(e)}) AS ${quoteIdent(`f${i}`)}`).join(', ')} FROM ${rel}`,
    );
  } catch {
    // Name the rule that does not evaluate.
    for (const e of rules) {
      try {
        await session.rows(`SELECT ${ok(e)} FROM ${rel} LIMIT 0`);
      } catch (err) {
        await session.exec(cleanup[0]).catch(() => undefined);
        throw new StrataError('PIPELINE', `${def.where.file}:${def.where.line}: expectation ${e.name} of ${def.name} cannot be evaluated: ${(err as Error).message.split('\n')[0]}`, { context: { table: def.name } });
      }
    }
    throw new StrataError('PIPELINE', `expectations of ${def.name} cannot be evaluated`);
  }
  const total = Number(counts.total);
  const failed = rules.map((_, i) => Number(counts[`f${i}`]));
  for (const [i, e] of rules.entries()) {
    const prev = result.expectations.find((x) => x.name === e.name);
    if (prev) {
      prev.passed_records += total - failed[i];
      prev.failed_records += failed[i];
    } else result.expectations.push({ name: e.name, dataset: def.name, passed_records: total - failed[i], failed_records: failed[i] });
  }
  const failing = rules.findIndex((e, i) => e.action === 'fail' && failed[i] > 0);
  if (failing >= 0) {
    const e = rules[failing];
    const [sample] = await session.rows<{ j: string }>(`SELECT to_json(__r)::VARCHAR AS j FROM ${rel} AS __r WHERE NOT ${ok(e)} LIMIT 1`);
    await session.exec(cleanup[0]).catch(() => undefined);
    throw new StrataError(
      'EXPECTATION_FAILED',
      `expectation ${e.name} (ON VIOLATION FAIL UPDATE) of ${def.name} failed for ${failed[failing]} row(s), e.g. ${sample?.j ?? '?'}; the update of ${def.name} was rolled back`,
      { context: { table: def.name } },
    );
  }
  const drops = rules.filter((e) => e.action === 'drop');
  const quarantines = rules.filter((e) => e.action === 'quarantine');
  const keep = [...drops, ...quarantines].map(ok).join(' AND ') || 'true';
  const quarantineOk = quarantines.map(ok).join(' AND ') || 'true';
  const [{ dropped, quarantined }] = await session.rows<{ dropped: bigint; quarantined: bigint }>(
    `SELECT count(*) FILTER (WHERE NOT (${keep}) AND (${quarantineOk})) AS dropped, count(*) FILTER (WHERE NOT (${quarantineOk})) AS quarantined FROM ${rel}`,
  );
  result.dropped += Number(dropped);
  const columns = new Set((await session.describe(`SELECT * FROM ${rel}`)).map((c) => c.name.toLowerCase()));
  const fileCol = columns.has('_source_file') ? '__r._source_file::VARCHAR' : 'NULL::VARCHAR';
  const lineCol = columns.has('_file_row') ? '__r._file_row::BIGINT' : 'NULL::BIGINT';
  const failedRules = `list_filter([${rules.map((e) => `CASE WHEN NOT ${ok(e)} THEN ${quoteLiteral(e.name)} END`).join(', ')}], x -> x IS NOT NULL)`;
  const quarantine =
    quarantines.length > 0 && Number(quarantined) > 0
      ? `SELECT ${fileCol} AS _source_file, ${lineCol} AS _file_line, 'failed expectation(s): ' || array_to_string(${failedRules}, ', ') AS _reason, to_json(__r)::VARCHAR AS _raw, ${batchId}::BIGINT AS _batch_id, make_timestamptz(${ctx.now() * 1000}::BIGINT) AS _ingested_at, ${failedRules} AS _rules, ${quoteLiteral(ctx.updateId)} AS _run_id, ${quoteLiteral(result.flow)} AS _flow FROM ${rel} AS __r WHERE NOT (${quarantineOk})`
      : undefined;
  return { select: `SELECT * FROM ${rel} WHERE ${keep}`, quarantine, total, quarantined: quarantine ? Number(quarantined) : 0, cleanup };
}

