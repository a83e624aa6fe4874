// The scheduler with an injected clock (no sleeping): Quartz schedules in a time zone, missed ticks
// recorded as skipped, pause, max_concurrent_runs with and without the queue, one scheduler per
// project. Runs are real (runJob on a real project) except where a run must be held open.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  describeStart,
  isPaused,
  Scheduler,
  setPaused,
  type Clock,
  type SchedulerEvent,
} from '../../src/orchestrate/index.js';
import type { JobRunOutcome } from '../../src/orchestrate/index.js';
import type { Project } from '../../src/project/index.js';
import { projectAt, useTestBed } from '../helpers/harness.js';

const bed = useTestBed('scheduler');

/** A clock the test moves; `advance` wakes the scheduler and waits until it sleeps again. */
class TestClock implements Clock {
  private waiters: { t: number; wake: () => void }[] = [];
  private slept: (() => void)[] = [];
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
  sleepUntil(t: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (t <= this.t || signal.aborted) return resolve();
      this.waiters.push({ t, wake: resolve });
      signal.addEventListener('abort', () => resolve(), { once: true });
      for (const s of this.slept.splice(0)) s();
    });
  }
  /** Resolves when the scheduler next goes to sleep. */
  asleep(): Promise<void> {
    return new Promise((r) => this.slept.push(r));
  }
  async advance(to: string): Promise<void> {
    const asleep = this.asleep();
    this.t = Date.parse(to);
    const due = this.waiters.filter((w) => w.t <= this.t);
    this.waiters = this.waiters.filter((w) => w.t > this.t);
    for (const w of due) w.wake();
    await asleep;
  }
}

/** A scheduler on a test clock at `t`, started and asleep after its first look; the events it told. */
async function started(project: Project, t: number) {
  const clock = new TestClock(t);
  const events: SchedulerEvent[] = [];
  const scheduler = new Scheduler(project, { clock, onEvent: (e) => events.push(e) });
  const asleep = clock.asleep();
  await scheduler.start();
  await asleep;
  return { clock, events, scheduler };
}

/** Waits (a few seconds at most) until `cond` holds. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
}

function setUp(name: string, jobs: string): string {
  const dir = path.join(bed.dir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'strata.yaml'), `jobs:\n${jobs}`);
  return dir;
}

const NODE = JSON.stringify(process.execPath);
const append = (file: string) =>
  `[${NODE}, -e, "require('fs').appendFileSync('${file}', process.argv[1] + '\\\\n')", "{{job.trigger.type}} {{job.trigger.time.iso_datetime}}"]`;

describe('the scheduler', () => {
  it('runs a job at its Quartz times in its time zone (06:00 Berlin is 05:00 UTC in December)', async () => {
    const dir = setUp(
      'daily',
      `  daily:
    schedule: { quartz_cron_expression: "0 0 6 * * ?", timezone_id: Europe/Berlin }
    tasks:
      - { task_key: note, command_task: { command: ${append('fired.txt')} } }
  paused:
    schedule: { quartz_cron_expression: "0 * * * * ?", pause_status: PAUSED }
    tasks:
      - { task_key: note, command_task: { command: ${append('paused.txt')} } }
`,
    );
    const project = await projectAt(bed, dir);
    const clock = new TestClock(Date.parse('2026-12-03T04:58:00Z'));
    const events: SchedulerEvent[] = [];
    const finished: Promise<void>[] = [];
    let done!: () => void;
    finished.push(new Promise((r) => (done = r)));
    const scheduler = new Scheduler(project, {
      clock,
      onEvent: (e) => {
        events.push(e);
        if (e.kind === 'finished') done();
      },
    });
    const asleep = clock.asleep();
    await scheduler.start();
    await asleep;
    expect(events[0]).toEqual({ kind: 'started', jobs: [{ key: 'daily', next: Date.parse('2026-12-03T05:00:00Z') }] });
    await clock.advance('2026-12-03T04:59:59Z');
    expect(events.filter((e) => e.kind === 'fired')).toEqual([]);
    await clock.advance('2026-12-03T05:00:00Z');
    await finished[0];
    expect(events.filter((e) => e.kind === 'fired')).toEqual([
      { kind: 'fired', job: 'daily', at: Date.parse('2026-12-03T05:00:00Z') },
    ]);
    expect(readFileSync(path.join(dir, 'fired.txt'), 'utf8')).toBe('PERIODIC 2026-12-03T05:00:00.000Z\n');
    expect(existsSync(path.join(dir, 'paused.txt'))).toBe(false);
    const runs = await project.query(`SELECT job_key, trigger_type, result_state FROM system.job_runs`);
    expect(runs.rows).toEqual([['daily', 'PERIODIC', 'SUCCESS']]);
    await scheduler.stop();
  });

  it('ticks missed while no scheduler ran are recorded as skipped, with the reason, not caught up', async () => {
    const dir = setUp(
      'missed',
      `  hourly:
    schedule: { quartz_cron_expression: "0 0 * * * ?" }
    tasks:
      - { task_key: note, command_task: { command: ${append('fired.txt')} } }
`,
    );
    const project = await projectAt(bed, dir);
    // A scheduler ran until 10:30, then stopped.
    const first = new TestClock(Date.parse('2026-12-03T10:30:00Z'));
    const s1 = new Scheduler(project, { clock: first });
    const asleep = first.asleep();
    await s1.start();
    await asleep;
    await s1.stop();
    // It starts again at 13:15: 11:00, 12:00 and 13:00 were missed.
    const second = new TestClock(Date.parse('2026-12-03T13:15:00Z'));
    const events: SchedulerEvent[] = [];
    const s2 = new Scheduler(project, { clock: second, onEvent: (e) => events.push(e) });
    const asleep2 = second.asleep();
    await s2.start();
    await asleep2;
    await s2.stop();
    expect(events.filter((e) => e.kind === 'skipped').map((e) => (e as { at: number }).at)).toEqual(
      ['11:00', '12:00', '13:00'].map((h) => Date.parse(`2026-12-03T${h}:00Z`)),
    );
    const rows = await project.query(`SELECT state, result_state, error FROM system.job_runs ORDER BY start_time`);
    expect(rows.rows).toEqual(
      ['11:00', '12:00', '13:00'].map((h) => [
        'SKIPPED',
        'SKIPPED',
        `missed: no scheduler was running at 2026-12-03T${h}:00.000Z`,
      ]),
    );
    expect(existsSync(path.join(dir, 'fired.txt'))).toBe(false);
  });

  it('max_concurrent_runs: over it a run is skipped, or queued with queue.enabled and started when one ends', async () => {
    for (const queue of [false, true]) {
      const dir = setUp(
        `concurrent-${queue}`,
        `  minutely:
    schedule: { quartz_cron_expression: "0 * * * * ?" }
    max_concurrent_runs: 1
    queue: { enabled: ${queue} }
    tasks:
      - { task_key: t, command_task: { command: [${NODE}, -e, "0"] } }
`,
      );
      const project = await projectAt(bed, dir);
      const clock = new TestClock(Date.parse('2026-12-03T10:00:30Z'));
      const events: SchedulerEvent[] = [];
      // A run held open until the test lets it end.
      const releases: (() => void)[] = [];
      const run = (key: string): Promise<JobRunOutcome> =>
        new Promise((resolve) =>
          releases.push(() => resolve({ runId: 1n, jobKey: key, result: 'SUCCESS', durationMs: 0, tasks: [] })),
        );
      const scheduler = new Scheduler(project, { clock, run, onEvent: (e) => events.push(e) });
      const asleep = clock.asleep();
      await scheduler.start();
      await asleep;
      await clock.advance('2026-12-03T10:01:00Z'); // starts, and stays running
      await clock.advance('2026-12-03T10:02:00Z'); // over the limit
      const kinds = events.filter((e) => e.kind !== 'started').map((e) => e.kind);
      expect(kinds).toEqual(queue ? ['fired', 'queued'] : ['fired', 'skipped']);
      releases.shift()!();
      if (queue)
        await until(() => events.filter((e) => e.kind === 'fired').length === 2); // the queued one started
      else {
        const rows = await project.query(`SELECT result_state, error FROM system.job_runs`);
        expect(rows.rows).toEqual([
          ['MAXIMUM_CONCURRENT_RUNS_REACHED', 'skipped: 1 run(s) of minutely in progress, max_concurrent_runs is 1'],
        ]);
      }
      for (const r of releases.splice(0)) r();
      await scheduler.stop();
    }
  });

  it('one scheduler per project: a second one is refused, naming the first', async () => {
    const dir = setUp(
      'twice',
      `  j:\n    tasks:\n      - { task_key: t, command_task: { command: [${NODE}, -e, "0"] } }\n`,
    );
    const project = await projectAt(bed, dir);
    const clock = new TestClock(Date.now());
    const first = new Scheduler(project, { clock });
    await first.start();
    await expect(new Scheduler(project, { clock }).start()).rejects.toThrow(
      /the scheduler \(strata serve\) is running \(process \d+ on .*\)/,
    );
    await first.stop();
    const again = new Scheduler(project, { clock });
    await again.start(); // the lock was released
    await again.stop();
  });

  it('file arrival: files already there do not fire; a new file fires once, after it stopped changing; a restart keeps what was seen', async () => {
    const dir = setUp(
      'arrival',
      `  on_files:
    trigger:
      file_arrival: { url: landing/orders, wait_after_last_change_seconds: 2 }
    tasks:
      - { task_key: note, command_task: { command: ${append('fired.txt')} } }
`,
    );
    const landing = path.join(dir, 'landing', 'orders');
    mkdirSync(landing, { recursive: true });
    writeFileSync(path.join(landing, 'old.csv'), 'id\n1\n');
    const project = await projectAt(bed, dir);
    const { clock, events, scheduler } = await started(project, Date.parse('2026-12-03T10:00:00Z')); // the first look: old.csv is known
    const fired = () => events.filter((e) => e.kind === 'fired').length;
    writeFileSync(path.join(landing, 'new.csv'), 'id\n2\n');
    await clock.advance('2026-12-03T10:00:01Z'); // seen
    writeFileSync(path.join(landing, 'new.csv'), 'id\n2\n3\n'); // still being written
    await clock.advance('2026-12-03T10:00:02Z');
    await clock.advance('2026-12-03T10:00:03Z'); // unchanged for 1 s of the 2
    expect(fired()).toBe(0);
    await clock.advance('2026-12-03T10:00:04Z'); // unchanged for 2 s: fires
    expect(events.filter((e) => e.kind === 'fired')).toEqual([
      { kind: 'fired', job: 'on_files', at: Date.parse('2026-12-03T10:00:04Z') },
    ]);
    await clock.advance('2026-12-03T10:00:10Z'); // nothing new
    expect(fired()).toBe(1);
    await until(() => events.some((e) => e.kind === 'finished'));
    await scheduler.stop();
    // While no scheduler runs, another file lands; the next one fires for it (and only it).
    writeFileSync(path.join(landing, 'later.csv'), 'id\n4\n');
    const clock2 = new TestClock(Date.parse('2026-12-03T11:00:00Z'));
    const events2: SchedulerEvent[] = [];
    const again = new Scheduler(project, { clock: clock2, onEvent: (e) => events2.push(e) });
    const asleep2 = clock2.asleep();
    await again.start();
    await asleep2;
    await clock2.advance('2026-12-03T11:00:02Z');
    expect(events2.filter((e) => e.kind === 'fired')).toHaveLength(1);
    await until(() => events2.some((e) => e.kind === 'finished'));
    await again.stop();
    const runs = await project.query(`SELECT trigger_type, result_state FROM system.job_runs ORDER BY start_time`);
    expect(runs.rows).toEqual([
      ['FILE_ARRIVAL', 'SUCCESS'],
      ['FILE_ARRIVAL', 'SUCCESS'],
    ]);
  });

  it('file arrival without a wait: a steady stream of files fires for those that settled, one poll each', async () => {
    const dir = setUp(
      'stream',
      `  on_stream:
    trigger:
      file_arrival: { url: landing }
    queue: { enabled: true }
    tasks:
      - { task_key: note, command_task: { command: ${append('fired.txt')} } }
`,
    );
    const landing = path.join(dir, 'landing');
    mkdirSync(landing, { recursive: true });
    const project = await projectAt(bed, dir);
    const { clock, events, scheduler } = await started(project, Date.parse('2026-12-03T10:00:00Z'));
    const fired = () => events.filter((e) => e.kind === 'fired' || e.kind === 'queued').length;
    // A new file at every poll: each poll sees one file new and the one before it settled.
    for (let i = 1; i <= 4; i++) {
      writeFileSync(path.join(landing, `day-${i}.csv`), `id\n${i}\n`);
      await clock.advance(`2026-12-03T10:00:0${i}Z`);
    }
    expect(fired()).toBe(3); // day-1..3 settled one after another; day-4 was seen only now
    await clock.advance('2026-12-03T10:00:05Z');
    expect(fired()).toBe(4);
    await clock.advance('2026-12-03T10:00:09Z'); // nothing new
    expect(fired()).toBe(4);
    await until(() => events.filter((e) => e.kind === 'finished').length === 4); // queued ones ran after
    expect(readFileSync(path.join(dir, 'fired.txt'), 'utf8').trim().split('\n')).toHaveLength(4);
    await scheduler.stop();
  });

  it('table update: a new version of a watched table fires (ANY_UPDATED); ALL_UPDATED waits for every table', async () => {
    const dir = setUp(
      'tables',
      `  any:
    trigger: { table_update: { table_names: [s.a, s.b] } }
    tasks:
      - { task_key: note, command_task: { command: ${append('any.txt')} } }
  all:
    trigger: { table_update: { table_names: [s.a, s.b], condition: ALL_UPDATED } }
    tasks:
      - { task_key: note, command_task: { command: ${append('all.txt')} } }
`,
    );
    const project = await projectAt(bed, dir);
    await project.query('CREATE TABLE s.a (x INT)');
    await project.query('CREATE TABLE s.b (x INT)');
    const { clock, events, scheduler } = await started(project, Date.parse('2026-12-03T10:00:00Z'));
    const firedFor = (job: string) => events.filter((e) => e.kind === 'fired' && e.job === job).length;
    await project.query('INSERT INTO s.a VALUES (1)');
    await clock.advance('2026-12-03T10:00:01Z');
    expect([firedFor('any'), firedFor('all')]).toEqual([1, 0]);
    await until(() => events.filter((e) => e.kind === 'finished').length === 1); // (max_concurrent_runs is 1)
    await project.query('INSERT INTO s.b VALUES (1)');
    await clock.advance('2026-12-03T10:00:02Z');
    expect([firedFor('any'), firedFor('all')]).toEqual([2, 1]);
    await until(() => events.filter((e) => e.kind === 'finished').length === 3);
    await scheduler.stop();
  });

  it('strata jobs pause stops a running scheduler from starting the job; resume lets it again', async () => {
    const dir = setUp(
      'pause',
      `  minutely:
    schedule: { quartz_cron_expression: "0 * * * * ?" }
    tasks:
      - { task_key: note, command_task: { command: ${append('fired.txt')} } }
`,
    );
    const project = await projectAt(bed, dir);
    const { clock, events, scheduler } = await started(project, Date.parse('2026-12-03T10:00:30Z'));
    await setPaused(project, 'minutely', true);
    expect(await isPaused(project, 'minutely')).toBe(true);
    await clock.advance('2026-12-03T10:01:00Z');
    expect(events.filter((e) => e.kind === 'fired')).toEqual([]);
    await setPaused(project, 'minutely', false);
    await clock.advance('2026-12-03T10:02:00Z');
    expect(events.filter((e) => e.kind === 'fired')).toHaveLength(1);
    await until(() => events.some((e) => e.kind === 'finished'));
    await scheduler.stop();
    await expect(setPaused(project, 'nope', true)).rejects.toThrow('no job nope in strata.yaml; the jobs are minutely');
  });

  it('continuous: a new run when one ends — 10 s after a success, 20 s, 40 s ... after consecutive failures; task retries not used; pause stops it', async () => {
    // https://docs.databricks.com/jobs/continuous.html: one run always going, a new one when the
    // previous ends, exponential backoff after consecutive failures instead of retry policies.
    const dir = setUp(
      'continuous',
      `  live:
    continuous: { pause_status: UNPAUSED }
    tasks:
      - task_key: step
        max_retries: 3
        command_task: { command: [${NODE}, -e, "const fs = require('fs'); const n = fs.existsSync('n') ? +fs.readFileSync('n', 'utf8') : 0; fs.writeFileSync('n', String(n + 1)); process.exit(n < 2 ? 1 : 0)"] }
`,
    );
    const project = await projectAt(bed, dir);
    const t0 = Date.parse('2026-12-03T10:00:00Z');
    const at = (s: number) => new Date(t0 + s * 1000).toISOString();
    const clock = new TestClock(t0);
    const events: SchedulerEvent[] = [];
    const scheduler = new Scheduler(project, { clock, onEvent: (e) => events.push(e) });
    const fired = () => events.filter((e) => e.kind === 'fired').length;
    const finished = () =>
      events.filter((e): e is Extract<SchedulerEvent, { kind: 'finished' }> => e.kind === 'finished');
    const asleep = clock.asleep();
    await scheduler.start();
    await asleep;
    expect(events[0]).toEqual({ kind: 'started', jobs: [{ key: 'live', trigger: 'CONTINUOUS' }] });
    await until(() => finished().length === 1); // started at once; fails (one attempt: no task retries)
    expect(finished()[0].outcome).toMatchObject({ result: 'FAILED', tasks: [{ attempts: 1 }] });
    await clock.advance(at(19));
    expect(fired()).toBe(1);
    await clock.advance(at(20)); // 20 s after the first failure
    await until(() => finished().length === 2);
    expect(finished()[1].outcome.result).toBe('FAILED');
    await clock.advance(at(59));
    expect(fired()).toBe(2);
    await clock.advance(at(60)); // 40 s after the second
    await until(() => finished().length === 3);
    expect(finished()[2].outcome.result).toBe('SUCCESS');
    await clock.advance(at(69));
    expect(fired()).toBe(3);
    await clock.advance(at(70)); // 10 s after a success
    await until(() => finished().length === 4);
    await setPaused(project, 'live', true);
    await clock.advance(at(200));
    expect(fired()).toBe(4);
    await scheduler.stop();
    const runs = await project.query(`SELECT trigger_type, result_state FROM system.job_runs ORDER BY start_time`);
    expect(runs.rows).toEqual([
      ['CONTINUOUS', 'FAILED'],
      ['CONTINUOUS', 'FAILED'],
      ['CONTINUOUS', 'SUCCESS'],
      ['CONTINUOUS', 'SUCCESS'],
    ]);
  });

  it('describes how each job starts, with the next fire time in its time zone (strata jobs list)', async () => {
    const dir = setUp(
      'describe',
      `  daily:
    schedule: { quartz_cron_expression: "0 0 6 * * ?", timezone_id: Europe/Berlin }
    tasks: [{ task_key: t, command_task: { command: [ls] } }]
  summer:
    schedule: { quartz_cron_expression: "0 30 6 ? * MON", timezone_id: America/New_York, pause_status: PAUSED }
    tasks: [{ task_key: t, command_task: { command: [ls] } }]
  files:
    trigger: { file_arrival: { url: landing/ } }
    tasks: [{ task_key: t, command_task: { command: [ls] } }]
  hourly:
    trigger: { periodic: { interval: 2, unit: HOURS } }
    tasks: [{ task_key: t, command_task: { command: [ls] } }]
  live:
    continuous: {}
    tasks: [{ task_key: t, command_task: { command: [ls] } }]
  by_hand:
    tasks: [{ task_key: t, command_task: { command: [ls] } }]
`,
    );
    const project = await projectAt(bed, dir);
    const now = Date.parse('2026-12-03T05:30:00Z'); // 06:30 in Berlin: today's 06:00 has passed
    const jobs = project.config.jobs!;
    const described = Object.fromEntries(
      await Promise.all(Object.entries(jobs).map(async ([k, j]) => [k, await describeStart(project, k, j, now)])),
    );
    expect(described).toEqual({
      daily: {
        trigger: 'cron 0 0 6 * * ? (Europe/Berlin)',
        next: '2026-12-04 06:00:00 Europe/Berlin',
        pausedInConfig: false,
      },
      summer: { trigger: 'cron 0 30 6 ? * MON (America/New_York)', pausedInConfig: true },
      files: { trigger: 'file arrival in landing/', pausedInConfig: false },
      hourly: { trigger: 'every 2 hours', next: 'when strata serve starts', pausedInConfig: false },
      live: { trigger: 'continuous', pausedInConfig: false },
      by_hand: { trigger: 'manual', pausedInConfig: false },
    });
  });
});
