// Which tasks of a job run run, and the run's result, as Databricks Jobs decide them
// (https://docs.databricks.com/jobs/run-if.html, "Run if condition options", and "How does
// Databricks Jobs determine job run status?"):
//   - ALL_SUCCESS (the default): every dependency ran and succeeded; else UPSTREAM_FAILED.
//   - AT_LEAST_ONE_SUCCESS: one succeeded; else UPSTREAM_FAILED.
//   - NONE_FAILED: none failed and at least one ran; else UPSTREAM_FAILED.
//   - ALL_DONE: runs once every dependency is done, whatever its result.
//   - AT_LEAST_ONE_FAILED: one failed; else EXCLUDED.
//   - ALL_FAILED: all failed; else EXCLUDED.
//   An EXCLUDED task is skipped and counts as succeeded; a task whose dependencies are all
//   EXCLUDED is EXCLUDED whatever its condition. A dependency on one branch of a condition_task
//   (`outcome: 'true'`) is met only when the condition took that branch; the other branch's tasks
//   are EXCLUDED.
//   The run: SUCCESS when every task succeeded, SUCCESS_WITH_FAILURES when some failed but every
//   leaf task (one no task depends on) succeeded, FAILED when a leaf failed.

/** A task's result (Databricks' RunResultState for a task). */
export type TaskResult =
  'SUCCESS' | 'FAILED' | 'TIMEDOUT' | 'CANCELED' | 'UPSTREAM_FAILED' | 'UPSTREAM_CANCELED' | 'EXCLUDED';
/** A run's result. */
export type RunResult = 'SUCCESS' | 'SUCCESS_WITH_FAILURES' | 'FAILED' | 'TIMEDOUT' | 'CANCELED';

export type RunIf =
  'ALL_SUCCESS' | 'AT_LEAST_ONE_SUCCESS' | 'NONE_FAILED' | 'ALL_DONE' | 'AT_LEAST_ONE_FAILED' | 'ALL_FAILED';

/** A dependency as it ended: its result, and for a condition_task the branch it took. */
export interface DoneDependency {
  result: TaskResult;
  /** The branch a condition_task took ('true' / 'false'); the branch this dependency asks for. */
  branch?: 'true' | 'false';
  wants?: 'true' | 'false';
}

const failed = (r: TaskResult) => r === 'FAILED' || r === 'TIMEDOUT' || r === 'UPSTREAM_FAILED';
const canceled = (r: TaskResult) => r === 'CANCELED' || r === 'UPSTREAM_CANCELED';

/** Whether a task runs once its dependencies are done: 'run', or the result it gets without running. */
export function decide(runIf: RunIf | undefined, deps: DoneDependency[]): 'run' | TaskResult {
  if (deps.length === 0) return 'run';
  // A dependency on the branch a condition did not take counts as excluded.
  const results = deps.map((d) =>
    d.wants !== undefined && d.result === 'SUCCESS' && d.branch !== d.wants ? 'EXCLUDED' : d.result,
  );
  if (results.every((r) => r === 'EXCLUDED')) return 'EXCLUDED';
  const ran = results.filter((r) => r !== 'EXCLUDED');
  const succeeded = (r: TaskResult) => r === 'SUCCESS' || r === 'EXCLUDED';
  switch (runIf ?? 'ALL_SUCCESS') {
    case 'ALL_SUCCESS':
      if (results.some(canceled)) return 'UPSTREAM_CANCELED';
      return results.every(succeeded) ? 'run' : 'UPSTREAM_FAILED';
    case 'AT_LEAST_ONE_SUCCESS':
      return ran.some((r) => r === 'SUCCESS')
        ? 'run'
        : results.some(canceled)
          ? 'UPSTREAM_CANCELED'
          : 'UPSTREAM_FAILED';
    case 'NONE_FAILED':
      if (results.some(canceled)) return 'UPSTREAM_CANCELED';
      return !results.some(failed) && ran.length > 0 ? 'run' : 'UPSTREAM_FAILED';
    case 'ALL_DONE':
      return 'run';
    case 'AT_LEAST_ONE_FAILED':
      return results.some((r) => failed(r) || canceled(r)) ? 'run' : 'EXCLUDED';
    case 'ALL_FAILED':
      return ran.length > 0 && ran.every((r) => failed(r) || canceled(r)) ? 'run' : 'EXCLUDED';
  }
}

/** The run's result from its tasks' (`leaves`: the keys no task depends on). */
export function runResult(results: Map<string, TaskResult>, leaves: string[]): RunResult {
  const all = [...results.values()];
  if (all.some((r) => r === 'CANCELED') && leaves.some((k) => canceled(results.get(k) ?? 'CANCELED')))
    return 'CANCELED';
  const ok = (r: TaskResult | undefined) => r === 'SUCCESS' || r === 'EXCLUDED';
  if (!leaves.every((k) => ok(results.get(k)))) {
    const timedOut = leaves.some((k) => results.get(k) === 'TIMEDOUT');
    return timedOut && !leaves.some((k) => results.get(k) === 'FAILED') ? 'TIMEDOUT' : 'FAILED';
  }
  return all.every(ok) ? 'SUCCESS' : 'SUCCESS_WITH_FAILURES';
}
