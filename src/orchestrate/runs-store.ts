// Job runs and task attempts, kept in two Delta tables of the lake, queryable like any table:
// system.job_runs (one row per run) and system.job_task_runs (one row per attempt of a task),
// their columns named as in Databricks' system.lakeflow tables where they have one (trigger_type,
// job_parameters, result_state).
// A run or an attempt in progress is kept in a small file of its own
// (lake/_system/job_runs_active/<run_id>.json, written aside and renamed); when it ends, its row
// is appended to the table (one commit) and the file goes. So a finished attempt costs one
// append, and a run killed halfway is still seen as RUNNING — the next scheduler start records
// it as failed. The reads here (strata jobs runs, show) give both; SQL over the tables gives the
// runs and attempts that have ended.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Catalog } from '../catalog/index.js';
import { tableExists } from '../catalog/index.js';
import {
  ConcurrentModificationError,
  createTable,
  loadSnapshot,
  optimizeTable,
  replaceKeys,
  writeTable,
} from '../delta/index.js';
import { quoteIdent, quoteLiteral, type Session } from '../engine/index.js';
import { executeQuery } from '../sql/index.js';

/** A run of a job, as system.job_runs keeps it. */
export interface JobRunRow {
  run_id: bigint;
  job_key: string;
  job_name: string;
  /** MANUAL, PERIODIC (schedule), FILE_ARRIVAL, TABLE, RUN_JOB_TASK, ... */
  trigger: string;
  /** The job parameters of the run (JSON object). */
  parameters: Record<string, string>;
  /** QUEUED, RUNNING, TERMINATED, SKIPPED. */
  state: string;
  /** SUCCESS, SUCCESS_WITH_FAILURES, FAILED, TIMEDOUT, CANCELED (when TERMINATED). */
  result: string | null;
  start_time: number;
  end_time: number | null;
  error: string | null;
  repair_count: number;
  /** The process that runs it (to tell a run whose process died). */
  host: string;
  pid: number;
}

/** One attempt of one task of a run, as system.job_task_runs keeps it. */
export interface TaskRunRow {
  run_id: bigint;
  task_key: string;
  /** 0 for the first attempt, then 1, 2, ... (retries and repairs). */
  attempt: number;
  kind: string;
  state: string;
  result: string | null;
  start_time: number;
  end_time: number | null;
  error: string | null;
  /** What the task did, in a few lines (rows written, statement results, the program's last output). */
  output: string | null;
  /** Its task values (JSON object), readable as {{tasks.<key>.values.<name>}}. */
  task_values: Record<string, string>;
}

const RUN_COLUMNS = `run_id BIGINT, job_key VARCHAR, job_name VARCHAR, trigger_type VARCHAR, job_parameters VARCHAR, state VARCHAR,
  result_state VARCHAR, start_time TIMESTAMPTZ, end_time TIMESTAMPTZ, duration_ms BIGINT, error VARCHAR, repair_count INTEGER,
  host VARCHAR, pid INTEGER`;
const TASK_COLUMNS = `run_id BIGINT, task_key VARCHAR, attempt INTEGER, kind VARCHAR, state VARCHAR, result_state VARCHAR,
  start_time TIMESTAMPTZ, end_time TIMESTAMPTZ, duration_ms BIGINT, error VARCHAR, output VARCHAR, task_values VARCHAR`;

const str = (v: string | null | undefined) => (v === null || v === undefined ? 'NULL::VARCHAR' : quoteLiteral(v));
const ts = (ms: number | null) =>
  ms === null ? 'NULL::TIMESTAMPTZ' : `make_timestamptz(${Math.round(ms * 1000)}::BIGINT)`;
const duration = (start: number, end: number | null) =>
  end === null ? 'NULL::BIGINT' : `${Math.round(end - start)}::BIGINT`;

export class RunsStore {
  private writes = 0;
  private readonly queues = new Map<string, Promise<void>>();

  constructor(private readonly catalog: Catalog) {}

  private table(name: 'job_runs' | 'job_task_runs') {
    return { location: this.catalog.system(name), name: `system.${name}` };
  }

  private get activeDir(): string {
    return path.join(path.dirname(this.catalog.system('job_runs')), 'job_runs_active');
  }

  private async readActive(runId: bigint): Promise<ActiveRun | undefined> {
    try {
      const j = JSON.parse(await readFile(path.join(this.activeDir, `${runId}.json`), 'utf8')) as ActiveJson;
      return { run: fromJsonRun(j.run), attempts: j.attempts.map(fromJsonTask) };
    } catch {
      return undefined;
    }
  }

  private async writeActive(a: ActiveRun): Promise<void> {
    await mkdir(this.activeDir, { recursive: true });
    const file = path.join(this.activeDir, `${a.run.run_id}.json`);
    const json: ActiveJson = { run: toJsonRun(a.run), attempts: a.attempts.map(toJsonTask) };
    const tmp = `${file}.${process.pid}.${++this.writes}.tmp`;
    await writeFile(tmp, JSON.stringify(json));
    await rename(tmp, file);
  }

  /** Runs `fn` after the other changes to run `runId`'s file (its tasks end at the same time). */
  private serial<T>(runId: bigint, fn: () => Promise<T>): Promise<T> {
    const key = String(runId);
    const p = (this.queues.get(key) ?? Promise.resolve()).then(fn, fn);
    const settled = p.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(key, settled);
    void settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key);
    });
    return p;
  }

  /** The runs in progress (their files). */
  private async active(): Promise<ActiveRun[]> {
    let names: string[];
    try {
      names = (await readdir(this.activeDir)).filter((n) => /^\d+\.json$/.test(n));
    } catch {
      return [];
    }
    const out: ActiveRun[] = [];
    for (const n of names) {
      const a = await this.readActive(BigInt(n.slice(0, -5)));
      if (a) out.push(a);
    }
    return out;
  }

  /**
   * Records a run: in progress (RUNNING) in its file; ended (TERMINATED, SKIPPED) as a row of
   * system.job_runs — appended when `fresh` (its first row), else replacing the row (a repair).
   */
  async putRun(session: Session, r: JobRunRow, fresh = false): Promise<void> {
    if (r.state === 'RUNNING')
      return this.serial(r.run_id, async () => {
        const a = await this.readActive(r.run_id);
        await this.writeActive({ run: r, attempts: a?.attempts ?? [] });
      });
    const row = `(${r.run_id}::BIGINT, ${str(r.job_key)}, ${str(r.job_name)}, ${str(r.trigger)}, ${str(JSON.stringify(r.parameters))}, ${str(r.state)}, ${str(r.result)}, ${ts(r.start_time)}, ${ts(r.end_time)}, ${duration(r.start_time, r.end_time)}, ${str(r.error)}, ${r.repair_count}::INTEGER, ${str(r.host)}, ${r.pid}::INTEGER)`;
    await this.put(session, 'job_runs', RUN_COLUMNS, ['run_id'], row, fresh);
    await this.serial(r.run_id, () => rm(path.join(this.activeDir, `${r.run_id}.json`), { force: true }));
  }

  /** Records an attempt: in progress in its run's file; ended as a row of system.job_task_runs (appended). */
  async putTaskRun(session: Session, t: TaskRunRow): Promise<void> {
    const change = (f: (attempts: TaskRunRow[]) => TaskRunRow[]) =>
      this.serial(t.run_id, async () => {
        const a = await this.readActive(t.run_id);
        if (a) await this.writeActive({ run: a.run, attempts: f(a.attempts) });
      });
    const same = (x: TaskRunRow) => x.task_key === t.task_key && x.attempt === t.attempt;
    if (t.state === 'RUNNING') return change((attempts) => [...attempts.filter((x) => !same(x)), t]);
    const row = `(${t.run_id}::BIGINT, ${str(t.task_key)}, ${t.attempt}::INTEGER, ${str(t.kind)}, ${str(t.state)}, ${str(t.result)}, ${ts(t.start_time)}, ${ts(t.end_time)}, ${duration(t.start_time, t.end_time)}, ${str(t.error)}, ${str(t.output)}, ${str(JSON.stringify(t.task_values))})`;
    await this.put(session, 'job_task_runs', TASK_COLUMNS, ['run_id', 'task_key', 'attempt'], row, true);
    await change((attempts) => attempts.filter((x) => !same(x)));
  }

  private async put(
    session: Session,
    name: 'job_runs' | 'job_task_runs',
    columns: string,
    keys: string[],
    row: string,
    fresh: boolean,
  ) {
    const t = this.table(name);
    const names = columns.split(',').map((c) => c.trim().split(/\s+/)[0]);
    const rows = `(SELECT * FROM (VALUES ${row}) AS v(${names.join(', ')}))`;
    if (!tableExists(t.location)) {
      await mkdir(t.location, { recursive: true });
      const shape = `__strata_${name}_shape`;
      await session.exec(`CREATE OR REPLACE TEMP TABLE ${quoteIdent(shape)} (${columns})`);
      await createTable(session, {
        ...t,
        ifNotExists: true,
        select: `SELECT * FROM temp.${quoteIdent(shape)}`,
        description: name === 'job_runs' ? 'Strata job runs' : 'Strata job task attempts',
      });
    }
    // Two processes (a scheduler and `strata jobs run`) may write at once: a conflict is retried.
    for (let attempt = 0; ; attempt++) {
      try {
        // A new row (a run or an attempt starting) is appended: no file to look for its key in.
        if (fresh) await writeTable(session, { ...t, mode: 'append', select: rows, operation: 'WRITE' });
        else await replaceKeys(session, { ...t, keys, keySet: rows, rows, operation: 'MERGE' });
        return;
      } catch (err) {
        if (!(err instanceof ConcurrentModificationError) || attempt >= 5) throw err;
      }
    }
  }

  /**
   * Compacts the tables once they hold more than `maxFiles` files: every ended attempt is a small
   * file of its own. Best effort: a table another process writes meanwhile is compacted next time.
   */
  async compact(session: Session, maxFiles = 100): Promise<void> {
    for (const name of ['job_runs', 'job_task_runs'] as const) {
      const t = this.table(name);
      if (!tableExists(t.location)) continue;
      try {
        const snapshot = await loadSnapshot(t.location, { session, name: t.name });
        if (snapshot.files.length > maxFiles) await optimizeTable(session, t);
      } catch (err) {
        if (!(err instanceof ConcurrentModificationError)) throw err;
      }
    }
  }

  /** Runs, newest first (of one job, or all): those in progress and those that ended. */
  async runs(session: Session, jobKey?: string, limit = 50): Promise<JobRunRow[]> {
    const active = (await this.active()).map((a) => a.run).filter((r) => jobKey === undefined || r.job_key === jobKey);
    const t = this.table('job_runs');
    const where = jobKey === undefined ? '' : `WHERE job_key = ${quoteLiteral(jobKey)}`;
    const ended = tableExists(t.location)
      ? (
          await this.read(
            session,
            `SELECT * FROM system.job_runs ${where} ORDER BY start_time DESC, run_id DESC LIMIT ${limit}`,
          )
        ).map(toRun)
      : [];
    const ids = new Set(active.map((r) => r.run_id));
    return [...active, ...ended.filter((r) => !ids.has(r.run_id))]
      .sort((a, b) => b.start_time - a.start_time || (b.run_id > a.run_id ? 1 : -1))
      .slice(0, limit);
  }

  /** One run, by id (in progress, or ended). */
  async run(session: Session, runId: bigint): Promise<JobRunRow | undefined> {
    const a = await this.readActive(runId);
    if (a) return a.run;
    if (!tableExists(this.table('job_runs').location)) return undefined;
    const rows = await this.read(session, `SELECT * FROM system.job_runs WHERE run_id = ${runId}`);
    return rows.map(toRun)[0];
  }

  /** The attempts of a run's tasks, in the order they started (those in progress too). */
  async taskRuns(session: Session, runId: bigint): Promise<TaskRunRow[]> {
    const t = this.table('job_task_runs');
    const ended = tableExists(t.location)
      ? (
          await this.read(
            session,
            `SELECT * FROM system.job_task_runs WHERE run_id = ${runId} ORDER BY start_time, task_key, attempt`,
          )
        ).map(toTaskRun)
      : [];
    const active = (await this.readActive(runId))?.attempts ?? [];
    return [...ended, ...active].sort(
      (a, b) => a.start_time - b.start_time || a.task_key.localeCompare(b.task_key) || a.attempt - b.attempt,
    );
  }

  /** Rows of a query over the system tables, as objects (plain DuckDB SQL). */
  private async read(session: Session, sql: string): Promise<Record<string, unknown>[]> {
    const result = await executeQuery(session, sql, { catalog: this.catalog, dialect: 'duckdb' });
    return result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c.name, row[i]])));
  }
}

const ms = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string | number | Date).getTime());

function toRun(r: Record<string, unknown>): JobRunRow {
  return {
    run_id: BigInt(r.run_id as bigint),
    job_key: String(r.job_key),
    job_name: String(r.job_name),
    trigger: String(r.trigger_type),
    parameters: JSON.parse(String(r.job_parameters ?? '{}')) as Record<string, string>,
    state: String(r.state),
    result: (r.result_state as string | null) ?? null,
    start_time: ms(r.start_time) ?? 0,
    end_time: ms(r.end_time),
    error: (r.error as string | null) ?? null,
    repair_count: Number(r.repair_count ?? 0),
    host: String(r.host ?? ''),
    pid: Number(r.pid ?? 0),
  };
}

function toTaskRun(r: Record<string, unknown>): TaskRunRow {
  return {
    run_id: BigInt(r.run_id as bigint),
    task_key: String(r.task_key),
    attempt: Number(r.attempt),
    kind: String(r.kind),
    state: String(r.state),
    result: (r.result_state as string | null) ?? null,
    start_time: ms(r.start_time) ?? 0,
    end_time: ms(r.end_time),
    error: (r.error as string | null) ?? null,
    output: (r.output as string | null) ?? null,
    task_values: JSON.parse(String(r.task_values ?? '{}')) as Record<string, string>,
  };
}

interface ActiveRun {
  run: JobRunRow;
  attempts: TaskRunRow[];
}

/** The file of a run in progress (run ids as text: JSON has no 64-bit integers). */
interface ActiveJson {
  run: Omit<JobRunRow, 'run_id'> & { run_id: string };
  attempts: (Omit<TaskRunRow, 'run_id'> & { run_id: string })[];
}

const toJsonRun = (r: JobRunRow) => ({ ...r, run_id: String(r.run_id) });
const fromJsonRun = (r: ActiveJson['run']): JobRunRow => ({ ...r, run_id: BigInt(r.run_id) });
const toJsonTask = (t: TaskRunRow) => ({ ...t, run_id: String(t.run_id) });
const fromJsonTask = (t: ActiveJson['attempts'][number]): TaskRunRow => ({ ...t, run_id: BigInt(t.run_id) });
