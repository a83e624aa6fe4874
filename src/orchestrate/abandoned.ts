// Runs whose process died (killed, the machine restarted) stay RUNNING in system.job_runs. The
// scheduler, when it starts, records each as FAILED with the reason — and its attempts in progress
// too — then retries, inside the same run, the interrupted tasks whose max_retries allow another
// attempt (with the tasks downstream of them): a task that had succeeded is not run again.
import { hostname } from 'node:os';
import type { Project } from '../project/index.js';
import { repairRun } from './repair.js';
import type { JobRunOutcome, RunJobOptions } from './runner.js';
import { RunsStore, type JobRunRow } from './runs-store.js';

/** Whether the process of a run is alive (one of another machine is taken as alive). */
export function processAlive(r: { host: string; pid: number }): boolean {
  if (r.host !== hostname()) return true;
  try {
    process.kill(r.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface Recovered {
  run: JobRunRow;
  reason: string;
  /** The repair that retried its interrupted tasks, when their policy allowed one. */
  retried?: Promise<JobRunOutcome>;
}

/** Closes the runs of dead processes as FAILED; starts the retries their tasks' policies allow. */
export async function recoverAbandonedRuns(
  project: Project,
  options: RunJobOptions & { now?: () => number } = {},
): Promise<Recovered[]> {
  const store = new RunsStore(project.catalog);
  const now = options.now ?? Date.now;
  const runs = await project.withSession((s) => store.runs(s, undefined, 10_000));
  const out: Recovered[] = [];
  for (const run of runs.filter((r) => r.state === 'RUNNING' && !(r.host === hostname() && r.pid === process.pid))) {
    if (processAlive(run)) continue;
    const reason = `interrupted: process ${run.pid} on ${run.host}, which ran it, stopped`;
    const end = now();
    const attempts = await project.withSession((s) => store.taskRuns(s, run.run_id));
    const interrupted = attempts.filter((a) => a.state === 'RUNNING');
    await project.withSession(async (s) => {
      for (const a of interrupted)
        await store.putTaskRun(s, { ...a, state: 'TERMINATED', result: 'FAILED', end_time: end, error: reason });
      await store.putRun(
        s,
        { ...run, state: 'TERMINATED', result: 'FAILED', end_time: end, error: reason },
        run.repair_count === 0,
      );
    });
    const job = project.config.jobs?.[run.job_key];
    const retry = interrupted
      .filter((a) => {
        const task = job?.tasks.find((t) => t.task_key === a.task_key);
        const retries = task?.max_retries ?? 0;
        return retries < 0 || a.attempt < retries;
      })
      .map((a) => a.task_key);
    out.push({
      run,
      reason,
      retried:
        retry.length > 0 ? repairRun(project, run.run_id, { ...options, tasks: retry, dependents: true }) : undefined,
    });
  }
  return out;
}
