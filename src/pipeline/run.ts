// One update of a pipeline (`strata run`): every dataset brought up to date in
// dependency order. Streaming tables read only what is new — files through the
// ingest ledger, Delta tables through their versions — and store how far they
// read in the same commit as the rows (txn actions), so a run killed anywhere
// resumes without duplicates. Materialized views are recomputed, or skipped
// when neither their definition nor their sources changed. Expectations are
// applied to every flow's output; the run is recorded in the event log.
import { createHash, randomUUID } from 'node:crypto';
import { StrataError } from '../core/index.js';
import { createTable, deltaTypeText, loadSnapshot } from '../delta/index.js';
import { quarantineLocation } from '../catalog/index.js';
import { cancellable, cancelled, type Session } from '../engine/index.js';
import { INGEST_APP_ID, LEDGER_RESET, SOURCE_SCHEMA_PREFIX } from '../ingest/index.js';
import {
  inlineViews,
  locationOf,
  readContext,
  tableExists,
  type FlowResult,
  type RunContext,
  type RunOptions,
  type RunOutcome,
} from './context.js';
import { assertStreamingRules } from './streaming-check.js';
export type { RunOptions } from './context.js';
import { EventLog, type EventOrigin } from './event-log.js';
import { type Node } from './graph.js';
import { CDC_BATCH_APP, runAutoCdc } from './auto-cdc.js';
import { runMaterializedView } from './materialized.js';
import { userSqlFailure } from '../sql/index.js';
import { kindName, type DatasetDefinition } from './parse.js';
import type { Pipeline } from './project.js';
import { checkBeforeUpdate, refuseUpdate } from './run-check.js';
import { runInParallel } from './schedule.js';
import { checkFullRefresh, fullRefreshSet, selection } from './selection.js';
import { runStreaming, STREAM_APP } from './streaming.js';
import { cancelUpdate, versionsBefore } from './cancel.js';

export type { ExpectationResult, FlowResult, FlowStatus, RunOutcome } from './context.js';

/**
 * A stable id for a pipeline: the same for every update of it in a lake, wherever the project
 * is (moved, restored, mounted elsewhere) — pipeline names are unique in a project.
 */
export function pipelineId(name: string): string {
  const h = createHash('sha256').update(`strata-pipeline\0${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * Runs one update of `pipeline`. Never throws for a failing flow: the outcome says FAILED. (An
 * update that throws is closed in the event log by whoever holds the lake's update lock: the
 * project, which keeps the lock for the next update when even that cannot be written.)
 */
export async function runPipeline(session: Session, pipeline: Pipeline, options: RunOptions): Promise<RunOutcome> {
  const started = performance.now();
  const updateId = options.updateId ?? randomUUID();
  const now = options.now ?? Date.now;
  const log = new EventLog(
    options.catalog.system('event_log'),
    {
      pipeline_id: pipelineId(pipeline.name),
      pipeline_name: pipeline.name,
      update_id: updateId,
    },
    now,
  );
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
  const problems = await checkBeforeUpdate(session, pipeline, options, selected, refresh);
  if (problems.length > 0) return refuseUpdate(session, log, pipeline, results, problems, updateId, started);
  const before = options.signal
    ? await versionsBefore(
        session,
        [...selected]
          .filter((t) => pipeline.datasets.get(t)!.kind !== 'temporary-view')
          .map((t) => ({ location: options.catalog.locationOf(t), name: pipeline.datasets.get(t)!.name })),
      )
    : [];
  log.add('update_progress', `Update ${updateId.slice(0, 6)} is RUNNING.`, { state: 'RUNNING' });
  await log.flush(session);

  const ctx: RunContext = { session, pipeline, options, updateId, log, refresh, refreshed: new Set(), now };
  const failedTargets = new Set<string>();
  let firstError: string | undefined;
  const execute = async (node: Node, session: Session): Promise<void> => {
    const result = results.get(node)!;
    const def = pipeline.datasets.get(node.target)!;
    if (def.kind === 'temporary-view' && node.reads.some((r) => failedTargets.has(r.name)))
      failedTargets.add(node.target);
    if (def.kind === 'temporary-view' || result.status === 'EXCLUDED') {
      if (def.kind !== 'temporary-view') options.onFlow?.(result);
      return;
    }
    if (options.signal?.aborted) {
      result.status = 'STOPPED';
      result.message = 'not run: the update was cancelled';
      options.onFlow?.(result);
      return;
    }
    const blocked = node.reads.find((r) => failedTargets.has(r.name));
    if (blocked) {
      result.status = 'SKIPPED';
      result.message = `not run: ${blocked.name} failed`;
      failedTargets.add(node.target);
      log.add(
        'flow_progress',
        `Flow '${result.flow}' has been skipped: ${blocked.name} failed.`,
        { status: 'SKIPPED' },
        { origin: flowOrigin(node, def) },
      );
      options.onFlow?.(result);
      return;
    }
    result.status = 'RUNNING';
    options.onFlow?.(result);
    log.add(
      'flow_progress',
      `Flow '${result.flow}' is RUNNING.`,
      { status: 'RUNNING' },
      { origin: flowOrigin(node, def) },
    );
    const t0 = performance.now();
    let errorCode: string | undefined;
    try {
      await runNode({ ...ctx, session: cancellable(session, options.signal) }, node, def, result);
      if (result.status === 'RUNNING') result.status = 'COMPLETED';
    } catch (caught) {
      if (options.signal?.aborted) {
        result.status = 'STOPPED';
        result.message = cancelled(options.signal).message;
        result.durationMs = performance.now() - t0;
        options.onFlow?.(result);
        return;
      }
      // The user wrote the flow's query and expectations: an engine failure in them is theirs, told in their text.
      const err = userSqlFailure(
        caught,
        node.flow
          ? [...node.flow.written, ...(def.query === undefined ? def.written : def.written.slice(1))]
          : def.written,
      );
      result.status = 'FAILED';
      result.message = err instanceof Error ? err.message : String(err);
      errorCode = StrataError.is(err) ? err.code : 'INTERNAL';
      firstError ??= `${result.flow}: ${result.message}`;
      failedTargets.add(node.target);
    }
    result.durationMs = performance.now() - t0;
    await defineFlow(session, log, node, def, result, locationOf(ctx, node.target));
    const quality = def.expectations.length
      ? {
          data_quality: {
            dropped_records: result.dropped,
            quarantined_records: result.quarantined,
            expectations: result.expectations,
          },
        }
      : {};
    log.add(
      'flow_progress',
      result.status === 'FAILED'
        ? `Flow '${result.flow}' has FAILED: ${result.message}`
        : `Flow '${result.flow}' is ${result.status}${result.message ? ` (${result.message})` : ''}.`,
      {
        status: result.status,
        metrics: {
          num_output_rows: result.rowsWritten,
          num_input_rows: result.rowsRead,
          ...result.metrics,
          ...(result.version !== undefined ? { delta_version: result.version } : {}),
        },
        ...quality,
      },
      {
        origin: flowOrigin(node, def),
        level:
          result.status === 'FAILED'
            ? 'ERROR'
            : result.expectations.some((e) => e.failed_records > 0)
              ? 'WARN'
              : 'INFO',
        error: result.status === 'FAILED' ? { message: result.message!, code: errorCode } : undefined,
      },
    );
    await log.flush(session).catch(() => undefined);
    options.onFlow?.(result);
  };
  const parallel = options.parallel && options.parallel.max > 1 ? options.parallel : undefined;
  if (!parallel) {
    for (const node of pipeline.order) await execute(node, session);
  } else await runInParallel(pipeline.order, parallel, execute);
  if (options.signal?.aborted)
    return cancelUpdate(session, log, { signal: options.signal, before, results, pipeline, updateId, started });
  const status = firstError === undefined ? 'COMPLETED' : 'FAILED';
  log.add(
    'update_progress',
    `Update ${updateId.slice(0, 6)} is ${status}.`,
    { state: status },
    status === 'FAILED' ? { level: 'ERROR', error: { message: firstError! } } : {},
  );
  await log.flush(session);
  return {
    updateId,
    status,
    flows: pipeline.order
      .filter((n) => pipeline.datasets.get(n.target)!.kind !== 'temporary-view')
      .map((n) => results.get(n)!),
    durationMs: performance.now() - started,
    error: firstError,
  };
}

/** The flow_definition event: inputs, output and the output's schema (the lineage). */
async function defineFlow(
  session: Session,
  log: EventLog,
  node: Node,
  def: DatasetDefinition,
  result: FlowResult,
  location: string,
): Promise<void> {
  const snap = tableExists(location)
    ? await loadSnapshot(location, { session, name: def.name }).catch(() => undefined)
    : undefined;
  const type =
    node.flow?.kind === 'auto-cdc'
      ? 'CHANGE'
      : node.kind === 'flow' || def.kind === 'streaming-table'
        ? 'APPEND'
        : 'COMPLETE';
  log.add(
    'flow_definition',
    `Flow '${result.flow}' is defined as ${type}.`,
    {
      output_dataset: def.name,
      input_datasets: [...node.reads.map((r) => r.name), ...node.files.map((f) => f.call)],
      flow_type: type,
      schema: (snap?.schema.fields ?? def.columns).map((f) => ({ name: f.name, data_type: deltaTypeText(f.type) })),
      explain_text: node.flow?.query ?? def.query,
      expectations: def.expectations.map((e) => ({
        name: e.name,
        expression: e.text ?? e.expr,
        action: e.action.toUpperCase(),
      })),
    },
    { origin: flowOrigin(node, def) },
  );
}

function flowName(node: Node): string {
  return node.flow?.name ?? node.dataset!.name;
}

function flowOrigin(node: Node, def: DatasetDefinition): Partial<EventOrigin> {
  return {
    flow_name: flowName(node),
    flow_id: createHash('sha256').update(node.id).digest('hex').slice(0, 32),
    dataset_name: def.name,
  };
}

async function runNode(ctx: RunContext, node: Node, def: DatasetDefinition, result: FlowResult): Promise<void> {
  const location = locationOf(ctx, node.target);
  if (ctx.refresh.has(node.target) && !ctx.refreshed.has(node.target)) {
    await emptyForRefresh(ctx, location, def);
    ctx.refreshed.add(node.target);
  }
  const query = inlineViews(ctx.pipeline, node.flow?.query ?? def.query!);
  if (def.kind === 'materialized-view') return runMaterializedView(ctx, def, location, query, result);
  // Structured Streaming's rules, before anything is written (a file stream's with its first batch).
  const check = (fileRows?: string) =>
    assertStreamingRules({
      session: ctx.session,
      catalog: ctx.options.catalog,
      reads: readContext(ctx),
      target: def.name,
      query,
      written: node.flow?.written ?? def.written.slice(0, 1),
      where: node.flow?.where ?? def.where,
      fileRows,
    });
  if (!node.files.some((f) => f.streaming)) await check();
  if (node.flow?.kind === 'auto-cdc') return runAutoCdc(ctx, def, location, query, node.flow, result);
  return runStreaming(ctx, def, location, query, result, check);
}

/** Full refresh: the table keeps its history but loses its rows, its stream progress and its ledger (a new table id). */
async function emptyForRefresh(ctx: RunContext, location: string, def: DatasetDefinition): Promise<void> {
  for (const loc of [location, quarantineLocation(location)]) {
    if (!tableExists(loc)) continue;
    const snap = await loadSnapshot(loc, { session: ctx.session, name: def.name });
    const resets = [...snap.txns.keys()]
      .filter((a) => a.startsWith(STREAM_APP) || a === INGEST_APP_ID || a === CDC_BATCH_APP)
      .map((appId) => ({ appId, version: appId.startsWith(STREAM_APP) ? -1 : 0 }));
    await createTable(ctx.session, {
      location: loc,
      name: loc === location ? def.name : `${def.name}_quarantine`,
      replace: true,
      newId: true,
      // The table's columns come again from its query (declared ones stay), as the files'
      // inferred types do: the source schemas recorded for its flows start over.
      schema: loc === location ? { kind: 'struct', fields: def.columns } : snap.schema,
      partitionColumns: loc === location ? def.partitionedBy : snap.partitionColumns,
      properties: Object.fromEntries(
        Object.entries(snap.metadata.configuration).filter(([k]) => !k.startsWith(SOURCE_SCHEMA_PREFIX)),
      ),
      description: snap.metadata.description ?? undefined,
      txns: resets,
      info: { [LEDGER_RESET]: true },
    });
  }
}
