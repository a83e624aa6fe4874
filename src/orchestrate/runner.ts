// One run of a job: its tasks in dependency order (independent ones at the same time), each
// decided by its run_if, attempted with its retries and timeout, every run and attempt written
// to system.job_runs / system.job_task_runs as it starts and ends; the run's result from its
// leaf tasks (run-if.ts).
import { hostname } from 'node:os';
import { StrataError } from '../core/index.js';
import { TASK_KINDS, type JobSettings, type Project, type RunOutcome, type TaskSettings } from '../project/index.js';
import { decide, runResult, type RunResult, type TaskResult } from './run-if.js';
import { RunsStore, type JobRunRow, type TaskRunRow } from './runs-store.js';
import { notify, type NotifyEvent, type NotifyOptions, type RunNotice } from './notify.js';
import { runTask } from './tasks.js';
import { TaskGraph, type Deps } from './task-graph.js';
import type { ReferenceContext } from './template.js';

export interface RunJobOptions {
  /** Job parameters for this run (others take their defaults); an unknown name is an error. */
  parameters?: Record<string, string>;
  /** What started the run: MANUAL (default), PERIODIC, FILE_ARRIVAL, TABLE, RUN_JOB_TASK, CONTINUOUS. */
  trigger?: string;
  /** When it was triggered ({{job.trigger.time.*}}): the schedule's tick (default: the run's start). */
  triggerTime?: number;
  /** Tasks run at the same time at most (default 2). */
  maxParallel?: number;
  /** Told of each attempt as it starts and ends (progress display). */
  onTask?: (event: TaskEvent) => void;
  /** The clock and the wait between retries (tests inject them). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Jobs already running this one (run_job_task), to refuse a job running itself. */
  callers?: string[];
  /** How notifications are delivered (tests inject the wait between attempts). */
  notify?: NotifyOptions;
  /** false: tasks are not retried whatever their max_retries (a continuous job's task_retry_mode NEVER). */
  taskRetries?: boolean;
  /** Cancels the run: running tasks stop (as at a timeout), no task starts after. */
  signal?: AbortSignal;
  /** Told the run's id once the run is recorded (a reader finds it), before any task. */
  onRun?: (runId: bigint) => void;
  /** Told each pipeline update a pipeline task ran (this run's and the runs its run_job_tasks start). */
  onUpdate?: (outcome: RunOutcome) => void;
}

export interface TaskEvent {
  taskKey: string;
  attempt: number;
  phase: 'start' | 'end';
  result?: TaskResult;
  error?: string;
}

export interface JobRunOutcome {
  runId: bigint;
  jobKey: string;
  result: RunResult;
  durationMs: number;
  tasks: { taskKey: string; result: TaskResult; attempts: number; error?: string }[];
}

/** The jobs of a project, by key; an unknown key is an error naming the ones there are. */
export function jobOf(project: Project, key: string): JobSettings {
  const jobs = project.config.jobs ?? {};
  const job = jobs[key];
  if (!job) {
    const known = Object.keys(jobs);
    throw new StrataError(
      'USAGE',
      known.length === 0
        ? `no job ${key}: strata.yaml defines no jobs`
        : `no job ${key} in strata.yaml; the jobs are ${known.join(', ')}`,
    );
  }
  return job;
}

/** A new run id: milliseconds since 1970 × 1000, plus a random part (unique across processes). */
export function newRunId(now = Date.now()): bigint {
  return BigInt(now) * 1000n + BigInt(Math.floor(Math.random() * 1000));
}

export async function runJob(project: Project, jobKey: string, options: RunJobOptions = {}): Promise<JobRunOutcome> {
  const job = jobOf(project, jobKey);
  const callers = options.callers ?? [];
  if (callers.includes(jobKey))
    throw new StrataError(
      'USAGE',
      `job ${jobKey} runs itself through run_job_task (${[...callers, jobKey].join(' → ')})`,
    );
  const start = (options.now ?? Date.now)();
  const run: JobRunRow = {
    run_id: newRunId(start),
    job_key: jobKey,
    job_name: job.name ?? jobKey,
    trigger: options.trigger ?? 'MANUAL',
    parameters: jobParameters(job, jobKey, options.parameters ?? {}),
    state: 'RUNNING',
    result: null,
    start_time: start,
    end_time: null,
    error: null,
    repair_count: 0,
    host: hostname(),
    pid: process.pid,
  };
  return execute(project, job, run, new Map(), options);
}

/** A task of an earlier attempt of the run that a repair keeps: its result, values, branch, attempts. */
export interface KeptTask {
  result: TaskResult;
  values: Record<string, string>;
  branch?: 'true' | 'false';
  attempts: number;
}

/**
 * Runs the tasks of `run` (a new run, or a repair of one: `kept` holds the tasks it does not
 * rerun), records the run as it starts and ends, notifies, and returns the outcome.
 */
export async function execute(
  project: Project,
  job: JobSettings,
  run: JobRunRow,
  kept: Map<string, KeptTask>,
  options: RunJobOptions,
  previous: Map<string, number> = new Map(),
): Promise<JobRunOutcome> {
  const now = options.now ?? Date.now;
  const store = new RunsStore(project.catalog);
  const start = now();
  await project.withSession((s) =>
    store.putRun(s, { ...run, state: 'RUNNING', result: null, end_time: null, error: null }),
  );
  options.onRun?.(run.run_id); // recorded: a reader asking for the run finds it
  const notices = new Notices(project, job, run, options);
  const jobAbort = new AbortController();
  const outer = options.signal;
  const onOuter = () => jobAbort.abort(outer?.reason);
  if (outer?.aborted) onOuter();
  else outer?.addEventListener('abort', onOuter, { once: true });
  const timer =
    job.timeout_seconds && job.timeout_seconds > 0
      ? setTimeout(() => jobAbort.abort(new Error('the job timed out')), job.timeout_seconds * 1000)
      : undefined;
  const refs = { ...referencesOf(run, kept), triggerTime: options.triggerTime };
  const attempts = new Attempts(project, store, run, refs, options, jobAbort.signal, previous);
  const tasks = new TaskGraph(job.tasks);
  try {
    await tasks.run(options.maxParallel ?? 2, (task, deps) => {
      const k = kept.get(task.task_key);
      return k ? Promise.resolve({ result: k.result, branch: k.branch }) : attempts.run(task, deps);
    });
  } finally {
    if (timer) clearTimeout(timer);
    outer?.removeEventListener('abort', onOuter);
    notices.ended();
  }
  let result = runResult(tasks.results, tasks.leaves);
  if (jobAbort.signal.aborted && result !== 'SUCCESS' && result !== 'SUCCESS_WITH_FAILURES')
    result = outer?.aborted ? 'CANCELED' : 'TIMEDOUT';
  const outcome: JobRunOutcome = {
    runId: run.run_id,
    jobKey: run.job_key,
    result,
    durationMs: now() - start,
    tasks: job.tasks.map((t) => ({
      taskKey: t.task_key,
      result: tasks.results.get(t.task_key) ?? 'CANCELED',
      attempts: attempts.count.get(t.task_key) ?? kept.get(t.task_key)?.attempts ?? 0,
      error: attempts.errors.get(t.task_key),
    })),
  };
  const failed = outcome.tasks.find((t) => t.result === 'FAILED' || t.result === 'TIMEDOUT');
  const error = failed ? `${failed.taskKey}: ${failed.error ?? 'failed'}` : null;
  const ended = { ...run, state: 'TERMINATED', result, end_time: start + outcome.durationMs, error };
  await project.withSession(async (s) => {
    await store.putRun(s, ended, run.repair_count === 0);
    await store.compact(s);
  });
  await notices.finished(outcome);
  return outcome;
}

/** The references of a run's tasks: the run's, and the values of the tasks a repair keeps. */
function referencesOf(run: JobRunRow, kept: Map<string, KeptTask>): ReferenceContext {
  return {
    jobKey: run.job_key,
    jobName: run.job_name,
    runId: run.run_id,
    repairCount: run.repair_count,
    trigger: run.trigger,
    startTime: run.start_time,
    parameters: run.parameters,
    tasks: new Map([...kept].map(([k, t]) => [k, { result: t.result, attempt: t.attempts - 1, values: t.values }])),
  };
}

/** A run's notifications: sent while it goes on (start, a long run), awaited when it has ended. */
class Notices {
  private readonly sent: Promise<unknown>[] = [];
  private readonly slow: NodeJS.Timeout | undefined;

  constructor(
    private readonly project: Project,
    private readonly job: JobSettings,
    private readonly run: JobRunRow,
    private readonly options: RunJobOptions,
  ) {
    this.tell('on_start');
    const limit = job.health?.rules.find((r) => r.metric === 'RUN_DURATION_SECONDS')?.value;
    if (limit !== undefined)
      this.slow = setTimeout(
        () => this.tell('on_duration_warning_threshold_exceeded', { durationMs: limit * 1000 }),
        limit * 1000,
      );
  }

  private tell(event: NotifyEvent, extra: Partial<RunNotice> = {}): void {
    const r = this.run;
    const notice = { jobKey: r.job_key, jobName: r.job_name, runId: r.run_id, failed: [], event, ...extra };
    this.sent.push(notify(this.project, this.job, notice, this.options.notify));
  }

  /** The run's tasks are done: no duration warning any more. */
  ended(): void {
    if (this.slow) clearTimeout(this.slow);
  }

  /** Success or failure told, and every notification of the run delivered (or given up). */
  async finished(outcome: JobRunOutcome): Promise<void> {
    const ok = outcome.result === 'SUCCESS' || outcome.result === 'SUCCESS_WITH_FAILURES';
    this.tell(ok ? 'on_success' : 'on_failure', {
      result: outcome.result,
      durationMs: outcome.durationMs,
      failed: outcome.tasks.filter((t) => !['SUCCESS', 'EXCLUDED'].includes(t.result)),
    });
    await Promise.allSettled(this.sent);
  }
}

/** The run's parameters: the job's defaults, overridden; a name the job does not have is an error. */
function jobParameters(job: JobSettings, key: string, given: Record<string, string>): Record<string, string> {
  const defaults = Object.fromEntries((job.parameters ?? []).map((p) => [p.name, p.default]));
  for (const name of Object.keys(given))
    if (!(name in defaults))
      throw new StrataError(
        'USAGE',
        `job ${key} has no parameter ${name}${Object.keys(defaults).length ? `; its parameters are ${Object.keys(defaults).join(', ')}` : ''}`,
      );
  return { ...defaults, ...given };
}

/** The attempts of the tasks of one run: decided, tried, retried, recorded. */
class Attempts {
  readonly errors = new Map<string, string>();
  readonly count = new Map<string, number>();

  constructor(
    private readonly project: Project,
    private readonly store: RunsStore,
    private readonly jobRun: JobRunRow,
    private readonly refs: ReferenceContext,
    private readonly options: RunJobOptions,
    private readonly jobSignal: AbortSignal,
    private readonly previous: Map<string, number> = new Map(),
  ) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private row(task: TaskSettings, attempt: number, start: number): TaskRunRow {
    return {
      run_id: this.jobRun.run_id,
      task_key: task.task_key,
      attempt,
      kind: kindOf(task),
      state: 'RUNNING',
      result: null,
      start_time: start,
      end_time: null,
      error: null,
      output: null,
      task_values: {},
    };
  }

  private put(row: TaskRunRow): Promise<void> {
    return this.project.withSession((s) => this.store.putTaskRun(s, row));
  }

  async run(task: TaskSettings, deps: Deps): Promise<{ result: TaskResult; branch?: 'true' | 'false' }> {
    const decision = this.jobSignal.aborted ? 'UPSTREAM_CANCELED' : decide(task.run_if, deps);
    if (decision !== 'run') {
      const at = this.now();
      const attempt = this.previous.get(task.task_key) ?? 0;
      await this.put({ ...this.row(task, attempt, at), state: 'SKIPPED', result: decision, end_time: at });
      this.refs.tasks.set(task.task_key, { result: decision, attempt, values: {} });
      return { result: decision };
    }
    const retries = this.options.taskRetries === false ? 0 : (task.max_retries ?? 0);
    // A repair continues the numbering of the task's attempts in the run.
    const first = this.previous.get(task.task_key) ?? 0;
    for (let attempt = first; ; attempt++) {
      const out = await this.attempt(task, attempt);
      if (out.result === 'SUCCESS') return out;
      const again =
        !this.jobSignal.aborted &&
        (retries < 0 || attempt - first < retries) &&
        (out.result !== 'TIMEDOUT' || task.retry_on_timeout === true);
      if (!again) return out;
      const wait = task.min_retry_interval_millis ?? 0;
      if (wait > 0) await (this.options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms))))(wait);
    }
  }

  /** One attempt: recorded when it starts and when it ends, stopped at its timeout. */
  private async attempt(
    task: TaskSettings,
    attempt: number,
  ): Promise<{ result: TaskResult; branch?: 'true' | 'false' }> {
    const start = this.now();
    const row = this.row(task, attempt, start);
    this.count.set(task.task_key, attempt + 1);
    await this.put(row);
    this.options.onTask?.({ taskKey: task.task_key, attempt, phase: 'start' });
    const abort = new AbortController();
    const onJobAbort = () => abort.abort(this.jobSignal.reason);
    this.jobSignal.addEventListener('abort', onJobAbort, { once: true });
    let timedOut = false;
    const timer =
      task.timeout_seconds && task.timeout_seconds > 0
        ? setTimeout(() => {
            timedOut = true;
            abort.abort(new Error(`the task timed out after ${task.timeout_seconds} s`));
          }, task.timeout_seconds * 1000)
        : undefined;
    let result: TaskResult;
    let branch: 'true' | 'false' | undefined;
    try {
      const out = await runTask(task, {
        project: this.project,
        refs: { ...this.refs, task: { key: task.task_key, attempt } },
        signal: abort.signal,
        notify: this.options.notify,
        onUpdate: this.options.onUpdate,
        runJob: async (key, parameters) => {
          const r = await runJob(this.project, key, {
            ...this.options,
            onRun: undefined, // the caller's run is this one
            parameters,
            trigger: 'RUN_JOB_TASK',
            callers: [...(this.options.callers ?? []), this.jobRun.job_key],
            signal: abort.signal,
          });
          return { runId: r.runId, result: r.result };
        },
      });
      result = 'SUCCESS';
      branch = out.branch;
      this.errors.delete(task.task_key);
      this.refs.tasks.set(task.task_key, { result, attempt, values: out.values });
      await this.put({
        ...row,
        state: 'TERMINATED',
        result,
        end_time: this.now(),
        output: out.output,
        task_values: out.values,
      });
    } catch (err) {
      result = timedOut || this.jobSignal.aborted ? 'TIMEDOUT' : 'FAILED';
      const stopped = StrataError.is(err) && err.code === 'CANCELLED' ? `; ${err.message}` : '';
      const message = timedOut ? `timed out after ${task.timeout_seconds} s${stopped}` : (err as Error).message;
      this.errors.set(task.task_key, message);
      this.refs.tasks.set(task.task_key, { result, attempt, values: {} });
      const output = (err as StrataError).context?.output;
      await this.put({
        ...row,
        state: 'TERMINATED',
        result,
        end_time: this.now(),
        error: message,
        output: output === undefined ? null : String(output),
      });
    } finally {
      if (timer) clearTimeout(timer);
      this.jobSignal.removeEventListener('abort', onJobAbort);
    }
    this.options.onTask?.({
      taskKey: task.task_key,
      attempt,
      phase: 'end',
      result,
      error: this.errors.get(task.task_key),
    });
    return { result, branch };
  }
}

/** The kind of a task (its one *_task field). */
export function kindOf(task: TaskSettings): string {
  return TASK_KINDS.find((k) => task[k] !== undefined) ?? 'unknown';
}
