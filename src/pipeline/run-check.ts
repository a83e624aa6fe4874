// Before an update writes anything, its queries are bound against their sources' columns, as
// Databricks analyzes a pipeline while the update is INITIALIZING: a query that cannot run (an
// unknown column, function or table, a type that does not fit, an operator a stream refuses)
// fails the update before its first flow, so a failed first update commits nothing. Done when
// the update creates or rebuilds a table (a first update, a full refresh); later updates of
// tables that exist bind each flow as it runs, without this pass.
import type { Session } from '../engine/index.js';
import { bindPipeline } from './bind.js';
import { tableExists, type FlowResult, type RunOptions } from './context.js';
import type { EventLog } from './event-log.js';
import type { Node } from './graph.js';
import type { Problem } from './parse.js';
import { formatProblems, type Pipeline } from './project.js';

export async function checkBeforeUpdate(
  session: Session,
  pipeline: Pipeline,
  options: RunOptions,
  selected: Set<string>,
  refresh: Set<string>,
): Promise<Problem[]> {
  const creates = [...selected].some((name) => {
    const def = pipeline.datasets.get(name);
    if (!def || def.kind === 'temporary-view') return false;
    try {
      return !tableExists(options.catalog.locationOf(name));
    } catch {
      return false;
    }
  });
  if (!creates && refresh.size === 0) return [];
  try {
    return (await bindPipeline(session, pipeline, options.catalog, selected)).problems;
  } catch {
    return []; // the check could not be made: the flows run, and report what fails
  }
}

/** An update whose queries do not bind: FAILED while INITIALIZING, no flow run, nothing written. */
export async function refuseUpdate(
  session: Session,
  log: EventLog,
  pipeline: Pipeline,
  results: Map<Node, FlowResult>,
  problems: Problem[],
  updateId: string,
  started: number,
): Promise<{ updateId: string; status: 'FAILED'; flows: FlowResult[]; durationMs: number; error: string }> {
  const error = `${problems.length} problem(s) found in the pipeline's queries before running; nothing was written:\n${formatProblems(problems)}`;
  for (const result of results.values()) {
    if (result.status !== 'QUEUED') continue;
    result.status = 'SKIPPED';
    result.message = 'not run: the update failed its checks';
  }
  log.add(
    'update_progress',
    `Update ${updateId.slice(0, 6)} is FAILED.`,
    { state: 'FAILED' },
    {
      level: 'ERROR',
      error: { message: error, code: 'BIND' },
    },
  );
  await log.flush(session);
  return {
    updateId,
    status: 'FAILED',
    flows: pipeline.order
      .filter((n) => pipeline.datasets.get(n.target)!.kind !== 'temporary-view')
      .map((n) => results.get(n)!),
    durationMs: performance.now() - started,
    error,
  };
}
