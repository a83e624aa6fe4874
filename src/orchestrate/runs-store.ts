// Job runs and task attempts, kept in two Delta tables of the lake, queryable like any table:
// system.job_runs (one row per run) and system.job_task_runs (one row per attempt of a task),
// their columns named as in Databricks' system.lakeflow tables where they have one (trigger_type,
// job_parameters, result_state).
// A row is written when a run or an attempt starts and replaced when it ends (one commit each,
// the row's key replaced copy-on-write), so a run killed halfway is seen as RUNNING — and the
// next scheduler start records it as failed.
import { mkdir } from 'node:fs/promises';
import type { Catalog } from '../catalog/index.js';
import { tableExists } from '../catalog/index.js';
import { ConcurrentModificationError, createTable, replaceKeys } from '../delta/index.js';
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
  constructor(private readonly catalog: Catalog) {}

  private table(name: 'job_runs' | 'job_task_runs') {
    return { location: this.catalog.system(name), name: `system.${name}` };
  }

  /** Writes (or replaces) a run's row. */
  async putRun(session: Session, r: JobRunRow): Promise<void> {
    const row = `(${r.run_id}::BIGINT, ${str(r.job_key)}, ${str(r.job_name)}, ${str(r.trigger)}, ${str(JSON.stringify(r.parameters))}, ${str(r.state)}, ${str(r.result)}, ${ts(r.start_time)}, ${ts(r.end_time)}, ${duration(r.start_time, r.end_time)}, ${str(r.error)}, ${r.repair_count}::INTEGER, ${str(r.host)}, ${r.pid}::INTEGER)`;
    await this.put(session, 'job_runs', RUN_COLUMNS, ['run_id'], row);
  }

  /** Writes (or replaces) an attempt's row. */
  async putTaskRun(session: Session, t: TaskRunRow): Promise<void> {
    const row = `(${t.run_id}::BIGINT, ${str(t.task_key)}, ${t.attempt}::INTEGER, ${str(t.kind)}, ${str(t.state)}, ${str(t.result)}, ${ts(t.start_time)}, ${ts(t.end_time)}, ${duration(t.start_time, t.end_time)}, ${str(t.error)}, ${str(t.output)}, ${str(JSON.stringify(t.task_values))})`;
    await this.put(session, 'job_task_runs', TASK_COLUMNS, ['run_id', 'task_key', 'attempt'], row);
  }

  private async put(
    session: Session,
    name: 'job_runs' | 'job_task_runs',
    columns: string,
    keys: string[],
    row: string,
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
        await replaceKeys(session, { ...t, keys, keySet: rows, rows, operation: 'MERGE' });
        return;
      } catch (err) {
        if (!(err instanceof ConcurrentModificationError) || attempt >= 5) throw err;
      }
    }
  }

  /** Runs, newest first (of one job, or all). */
  async runs(session: Session, jobKey?: string, limit = 50): Promise<JobRunRow[]> {
    const t = this.table('job_runs');
    if (!tableExists(t.location)) return [];
    const where = jobKey === undefined ? '' : `WHERE job_key = ${quoteLiteral(jobKey)}`;
    const rows = await this.read(
      session,
      `SELECT * FROM system.job_runs ${where} ORDER BY start_time DESC, run_id DESC LIMIT ${limit}`,
    );
    return rows.map(toRun);
  }

  /** One run, by id. */
  async run(session: Session, runId: bigint): Promise<JobRunRow | undefined> {
    if (!tableExists(this.table('job_runs').location)) return undefined;
    const rows = await this.read(session, `SELECT * FROM system.job_runs WHERE run_id = ${runId}`);
    return rows.map(toRun)[0];
  }

  /** The attempts of a run's tasks, in the order they started. */
  async taskRuns(session: Session, runId: bigint): Promise<TaskRunRow[]> {
    const t = this.table('job_task_runs');
    if (!tableExists(t.location)) return [];
    const rows = await this.read(
      session,
      `SELECT * FROM system.job_task_runs WHERE run_id = ${runId} ORDER BY start_time, task_key, attempt`,
    );
    return rows.map(toTaskRun);
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
