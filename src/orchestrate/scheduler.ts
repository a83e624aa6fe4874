// The scheduler: runs each job at the times its Quartz schedule gives (in its time zone), one
// scheduler per project (a lock with a heartbeat; a stale one is taken over). Ticks missed while
// no scheduler ran are not caught up: each is recorded in system.job_runs as SKIPPED, with the
// reason. A job's max_concurrent_runs (default 1) holds for runs started here and by
// `strata jobs run`: over it, a run is queued when queue.enabled, else recorded as SKIPPED
// (MAXIMUM_CONCURRENT_RUNS_REACHED). A continuous job has one run always going, a new one after
// each ends (later after failures). The clock is injected, so tests move time without sleeping.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import * as path from 'node:path';
import type { JobSettings, Project } from '../project/index.js';
import { FileLock } from '../storage/index.js';
import { processAlive, recoverAbandonedRuns } from './abandoned.js';
import { pausedJobs } from './pause.js';
import { quartzSchedule, type Schedule } from './quartz.js';
import { JobTrigger } from './triggers.js';
import { newRunId, runJob, type JobRunOutcome } from './runner.js';
import { RunsStore } from './runs-store.js';

/** Time, as the scheduler sees it. */
export interface Clock {
  now(): number;
  /** Resolves at `t` (or at once if past), or when `signal` aborts. */
  sleepUntil(t: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleepUntil: (t, signal) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.max(0, Math.min(t - Date.now(), 2 ** 31 - 1)));
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    }),
};

export type SchedulerEvent =
  | { kind: 'started'; jobs: { key: string; next?: number; trigger?: string }[] }
  | { kind: 'fired'; job: string; at: number }
  | { kind: 'finished'; job: string; outcome: JobRunOutcome }
  | { kind: 'skipped'; job: string; at: number; reason: string }
  | { kind: 'queued'; job: string; at: number }
  | { kind: 'error'; job: string; message: string }
  | { kind: 'recovered'; job: string; runId: bigint; reason: string; retried: boolean };

export interface SchedulerOptions {
  clock?: Clock;
  /** Runs a job (default: runJob on the project). */
  run?: (jobKey: string, trigger: string) => Promise<JobRunOutcome>;
  onEvent?: (event: SchedulerEvent) => void;
  /** How often the scheduler records that it is alive (default 30 s). */
  heartbeatMs?: number;
  /** How often file-arrival and table-update triggers are checked (default 1 s). */
  pollMs?: number;
}

interface Scheduled {
  key: string;
  job: JobSettings;
  schedule?: Schedule;
}

export class Scheduler {
  private readonly clock: Clock;
  private readonly stopping = new AbortController();
  private readonly running = new Map<string, Set<Promise<void>>>();
  private readonly queued = new Map<string, number>();
  /** Continuous jobs: consecutive failures, and when the next run may start. */
  private readonly continuous = new Map<string, { failures: number; notBefore: number }>();
  private lock: FileLock | undefined;
  private loop: Promise<void> | undefined;
  private readonly store: RunsStore;

  constructor(
    private readonly project: Project,
    private readonly options: SchedulerOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.store = new RunsStore(project.catalog);
  }

  /** The scheduled jobs (unpaused, with a schedule), each read once (a wrong expression throws). */
  private scheduled(): Scheduled[] {
    return Object.entries(this.project.config.jobs ?? {})
      .filter(([, job]) => job.schedule && job.schedule.pause_status !== 'PAUSED')
      .map(([key, job]) => ({
        key,
        job,
        schedule: quartzSchedule(job.schedule!.quartz_cron_expression, job.schedule!.timezone_id ?? 'UTC'),
      }));
  }

  /** The continuous jobs (unpaused in strata.yaml): one run always going. */
  private continuousJobs(): Scheduled[] {
    return Object.entries(this.project.config.jobs ?? {})
      .filter(([, job]) => job.continuous && job.continuous.pause_status !== 'PAUSED')
      .map(([key, job]) => ({ key, job }));
  }

  private get stateFile(): string {
    return path.join(path.dirname(this.project.catalog.lockFile('scheduler')), 'scheduler-state.json');
  }

  /** Takes the project's scheduler lock (refused at once while another scheduler holds it) and starts. */
  async start(): Promise<void> {
    const jobs = this.scheduled();
    const continuous = this.continuousJobs();
    const triggers = Object.entries(this.project.config.jobs ?? {})
      .map(([key, job]) => JobTrigger.of(this.project, key, job))
      .filter((t): t is JobTrigger => t !== undefined);
    this.lock = await FileLock.acquire(this.project.catalog.lockFile('scheduler'), {
      purpose: 'the scheduler (strata serve)',
      wait: false,
    });
    const now = this.clock.now();
    for (const r of await recoverAbandonedRuns(this.project, { now: () => this.clock.now() })) {
      this.options.onEvent?.({
        kind: 'recovered',
        job: r.run.job_key,
        runId: r.run.run_id,
        reason: r.reason,
        retried: Boolean(r.retried),
      });
      if (r.retried)
        this.track(
          r.run.job_key,
          r.retried.then((outcome) => this.options.onEvent?.({ kind: 'finished', job: r.run.job_key, outcome })),
        );
    }
    await this.recordMissed(jobs, now);
    this.options.onEvent?.({
      kind: 'started',
      jobs: [
        ...jobs.map((j) => ({ key: j.key, next: j.schedule!.next(now) })),
        ...triggers.map((t) => ({ key: t.key, trigger: triggerType(this.project.config.jobs![t.key]) })),
        ...continuous.map((j) => ({ key: j.key, trigger: 'CONTINUOUS' })),
      ],
    });
    this.loop = this.run(jobs, triggers, continuous, now);
  }

  /** Stops firing, waits for the runs in progress, releases the lock. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
    await Promise.all([...this.running.values()].flatMap((s) => [...s]));
    await this.beat();
    await this.lock?.release();
  }

  /** Ticks between the last time a scheduler was alive and now: recorded as SKIPPED runs. */
  private async recordMissed(jobs: Scheduled[], now: number): Promise<void> {
    let lastSeen: number | undefined;
    try {
      lastSeen = (JSON.parse(await readFile(this.stateFile, 'utf8')) as { lastSeen: number }).lastSeen;
    } catch {
      lastSeen = undefined; // never ran here: nothing was missed
    }
    if (lastSeen !== undefined)
      for (const j of jobs)
        for (const t of j.schedule!.between(lastSeen, now, 100))
          await this.recordSkipped(j, t, `missed: no scheduler was running at ${new Date(t).toISOString()}`, 'SKIPPED');
    await this.beat();
  }

  private async beat(): Promise<void> {
    await mkdir(path.dirname(this.stateFile), { recursive: true });
    await writeFile(this.stateFile, JSON.stringify({ lastSeen: this.clock.now(), host: hostname(), pid: process.pid }));
  }

  private async recordSkipped(
    j: Scheduled,
    at: number,
    reason: string,
    result: string,
    trigger = 'PERIODIC',
  ): Promise<void> {
    await this.project.withSession((s) =>
      this.store.putRun(
        s,
        {
          run_id: newRunId(at),
          job_key: j.key,
          job_name: j.job.name ?? j.key,
          trigger,
          parameters: Object.fromEntries((j.job.parameters ?? []).map((p) => [p.name, p.default])),
          state: 'SKIPPED',
          result,
          start_time: at,
          end_time: at,
          error: reason,
          repair_count: 0,
          host: hostname(),
          pid: process.pid,
        },
        true,
      ),
    );
    this.options.onEvent?.({ kind: 'skipped', job: j.key, at, reason });
  }

  private async run(jobs: Scheduled[], triggers: JobTrigger[], continuous: Scheduled[], from: number): Promise<void> {
    let cursor = from;
    let nextBeat = from + (this.options.heartbeatMs ?? 30_000);
    const pollMs = this.options.pollMs ?? 1000;
    let nextPoll = triggers.length > 0 || continuous.length > 0 ? from : Infinity;
    while (!this.stopping.signal.aborted) {
      const nexts = jobs.map((j) => j.schedule!.next(cursor)).filter((t): t is number => t !== undefined);
      const wake = Math.min(nextBeat, nextPoll, ...nexts);
      await this.clock.sleepUntil(wake, this.stopping.signal);
      if (this.stopping.signal.aborted) return;
      const now = this.clock.now();
      if (now < wake) continue;
      if (now >= nextBeat) {
        await this.beat();
        nextBeat = now + (this.options.heartbeatMs ?? 30_000);
      }
      if (now >= nextPoll) {
        for (const t of triggers) {
          const job = this.project.config.jobs![t.key];
          try {
            if (await t.poll(now)) await this.fire({ key: t.key, job }, now, triggerType(job));
          } catch (err) {
            this.options.onEvent?.({ kind: 'error', job: t.key, message: (err as Error).message });
          }
        }
        for (const j of continuous)
          await this.keepRunning(j, now).catch((err: unknown) =>
            this.options.onEvent?.({ kind: 'error', job: j.key, message: (err as Error).message }),
          );
        nextPoll = now + pollMs;
      }
      for (const j of jobs) {
        const due = j.schedule!.between(cursor, now, 100);
        if (due.length === 0) continue;
        // A late wake-up (a busy machine) fires the last tick; the ones before it are missed.
        for (const t of due.slice(0, -1))
          await this.recordSkipped(j, t, `missed: the scheduler was busy at ${new Date(t).toISOString()}`, 'SKIPPED');
        await this.fire(j, due[due.length - 1], 'PERIODIC');
      }
      cursor = now;
    }
  }

  /** Starts a run now, or queues or skips it over max_concurrent_runs. */
  private async fire(j: Scheduled, at: number, trigger: string): Promise<void> {
    if ((await pausedJobs(this.project)).has(j.key)) return; // strata jobs pause
    const max = j.job.max_concurrent_runs ?? 1;
    const active = await this.activeRuns(j.key);
    if (active >= max) {
      if (j.job.queue?.enabled) {
        this.queued.set(j.key, (this.queued.get(j.key) ?? 0) + 1);
        this.options.onEvent?.({ kind: 'queued', job: j.key, at });
      } else
        await this.recordSkipped(
          j,
          at,
          `skipped: ${active} run(s) of ${j.key} in progress, max_concurrent_runs is ${max}`,
          'MAXIMUM_CONCURRENT_RUNS_REACHED',
          trigger,
        );
      return;
    }
    this.start1(j, at, trigger);
  }

  private start1(j: Scheduled, at: number, trigger: string): void {
    this.options.onEvent?.({ kind: 'fired', job: j.key, at });
    const run =
      this.options.run ??
      ((key: string, trigger: string) =>
        runJob(this.project, key, { trigger, triggerTime: at, now: () => this.clock.now() }));
    this.track(
      j.key,
      run(j.key, trigger).then((outcome) => this.options.onEvent?.({ kind: 'finished', job: j.key, outcome })),
      () => {
        const waiting = this.queued.get(j.key) ?? 0;
        if (waiting > 0 && !this.stopping.signal.aborted) {
          this.queued.set(j.key, waiting - 1);
          this.start1(j, this.clock.now(), trigger);
        }
      },
    );
  }

  /**
   * A continuous job: a new run once none is going (here or elsewhere) and the wait after the last
   * one is over — CONTINUOUS_DELAY_MS after a success, doubling with each consecutive failure up
   * to CONTINUOUS_MAX_DELAY_MS. Task retries are not used (task_retry_mode NEVER).
   */
  private async keepRunning(j: Scheduled, now: number): Promise<void> {
    const state = this.continuous.get(j.key) ?? { failures: 0, notBefore: now };
    this.continuous.set(j.key, state);
    if (now < state.notBefore || (this.running.get(j.key)?.size ?? 0) > 0) return;
    if ((await pausedJobs(this.project)).has(j.key)) return; // strata jobs pause
    if ((await this.activeRuns(j.key)) > 0) return;
    state.notBefore = Infinity; // until this run ends
    this.options.onEvent?.({ kind: 'fired', job: j.key, at: now });
    const run =
      this.options.run ??
      ((key: string, trigger: string) =>
        runJob(this.project, key, { trigger, now: () => this.clock.now(), taskRetries: false }));
    const ended = (ok: boolean) => {
      state.failures = ok ? 0 : state.failures + 1;
      state.notBefore = this.clock.now() + continuousDelay(state.failures);
    };
    this.track(
      j.key,
      run(j.key, 'CONTINUOUS').then(
        (outcome) => {
          ended(outcome.result === 'SUCCESS' || outcome.result === 'SUCCESS_WITH_FAILURES');
          this.options.onEvent?.({ kind: 'finished', job: j.key, outcome });
        },
        (err: unknown) => {
          ended(false);
          throw err;
        },
      ),
    );
  }

  /** Counts a run of `key` in progress until it ends (its failure reported, never thrown). */
  private track(key: string, work: Promise<unknown>, then?: () => void): void {
    const set = this.running.get(key) ?? new Set<Promise<void>>();
    this.running.set(key, set);
    const p: Promise<void> = work
      .then(() => undefined)
      .catch((err: unknown) => this.options.onEvent?.({ kind: 'error', job: key, message: (err as Error).message }))
      .finally(() => {
        set.delete(p);
        then?.();
      });
    set.add(p);
  }

  /** Runs of a job in progress: here, and RUNNING in system.job_runs by a live process elsewhere. */
  private async activeRuns(key: string): Promise<number> {
    const here = this.running.get(key)?.size ?? 0;
    const rows = await this.project.withSession((s) => this.store.runs(s, key, 1000));
    const elsewhere = rows.filter(
      (r) => r.state === 'RUNNING' && !(r.pid === process.pid && r.host === hostname()) && processAlive(r),
    );
    return here + elsewhere.length;
  }
}

/** The wait between the runs of a continuous job: after a success, and after consecutive failures. */
export const CONTINUOUS_DELAY_MS = 10_000;
export const CONTINUOUS_MAX_DELAY_MS = 10 * 60_000;

function continuousDelay(failures: number): number {
  return Math.min(CONTINUOUS_DELAY_MS * 2 ** failures, CONTINUOUS_MAX_DELAY_MS);
}

/** Databricks' trigger type of a run a job's trigger starts. */
function triggerType(job: JobSettings): string {
  return job.trigger?.file_arrival ? 'FILE_ARRIVAL' : job.trigger?.table_update ? 'TABLE' : 'PERIODIC';
}
