// Repairing a run, as Databricks does: some of its tasks run again inside the same run, with the
// job's current definition; the others keep their results (and task values). Each rerun is a new
// attempt of its task (the numbering goes on), the run's repair_count grows by one, and its result
// is computed again from all its tasks.
import { StrataError } from '../core/index.js';
import type { Project, TaskSettings } from '../project/index.js';
import { execute, jobOf, type JobRunOutcome, type KeptTask, type RunJobOptions } from './runner.js';
import type { TaskResult } from './run-if.js';
import { RunsStore, type TaskRunRow } from './runs-store.js';

export interface RepairOptions extends RunJobOptions {
  /** These tasks run again. */
  tasks?: string[];
  /** Every task that failed, timed out, was cancelled or did not run for an upstream failure runs again. */
  allFailed?: boolean;
  /** The tasks downstream of those run again too. */
  dependents?: boolean;
}

const NOT_OK = ['FAILED', 'TIMEDOUT', 'CANCELED', 'UPSTREAM_FAILED', 'UPSTREAM_CANCELED'];

export async function repairRun(project: Project, runId: bigint, options: RepairOptions = {}): Promise<JobRunOutcome> {
  const store = new RunsStore(project.catalog);
  const [run, attempts] = await project.withSession(
    async (s) => [await store.run(s, runId), await store.taskRuns(s, runId)] as const,
  );
  if (!run) throw new StrataError('USAGE', `no run ${runId} (strata jobs runs lists them)`);
  if (run.state === 'RUNNING')
    throw new StrataError('USAGE', `run ${runId} is still running; repair it once it has ended`);
  if (run.state === 'SKIPPED')
    throw new StrataError(
      'USAGE',
      `run ${runId} was skipped (${run.error ?? 'never ran'}): there is nothing to repair`,
    );
  const job = jobOf(project, run.job_key);
  const latest = new Map<string, TaskRunRow>();
  for (const a of attempts) if ((latest.get(a.task_key)?.attempt ?? -1) < a.attempt) latest.set(a.task_key, a);
  const selected = select(job.tasks, latest, options, runId);
  const kept = new Map<string, KeptTask>();
  for (const t of job.tasks) {
    if (selected.has(t.task_key)) continue;
    const a = latest.get(t.task_key)!;
    const branch = t.condition_task ? (a.task_values.result === 'true' ? 'true' : 'false') : undefined;
    kept.set(t.task_key, {
      result: (a.result ?? 'CANCELED') as TaskResult,
      values: a.task_values,
      branch,
      attempts: a.attempt + 1,
    });
  }
  const previous = new Map([...selected].filter((k) => latest.has(k)).map((k) => [k, latest.get(k)!.attempt + 1]));
  return execute(project, job, { ...run, repair_count: run.repair_count + 1 }, kept, options, previous);
}

/** The tasks a repair runs again. */
function select(tasks: TaskSettings[], latest: Map<string, TaskRunRow>, o: RepairOptions, runId: bigint): Set<string> {
  const keys = new Set(tasks.map((t) => t.task_key));
  const out = new Set<string>();
  for (const k of o.tasks ?? []) {
    if (!keys.has(k)) throw new StrataError('USAGE', `the job has no task ${k}; its tasks are ${[...keys].join(', ')}`);
    out.add(k);
  }
  if (o.allFailed)
    for (const t of tasks) {
      const a = latest.get(t.task_key);
      if (!a || NOT_OK.includes(a.result ?? '')) out.add(t.task_key);
    }
  if (out.size === 0)
    throw new StrataError(
      'USAGE',
      o.allFailed
        ? `run ${runId} has no failed task to repair`
        : 'say which tasks to run again: --task k,... or --all-failed',
    );
  if (o.dependents) {
    let grew = true;
    while (grew) {
      grew = false;
      for (const t of tasks)
        if (!out.has(t.task_key) && (t.depends_on ?? []).some((d) => out.has(d.task_key))) {
          out.add(t.task_key);
          grew = true;
        }
    }
  }
  for (const t of tasks)
    if (!out.has(t.task_key) && !latest.has(t.task_key))
      throw new StrataError(
        'USAGE',
        `task ${t.task_key} did not run in run ${runId} (added to the job since?): repair it too, with --task ${t.task_key}`,
      );
  return out;
}
