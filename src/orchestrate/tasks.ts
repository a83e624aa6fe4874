// What each kind of task does: pipeline_task (one update of a pipeline), sql_task (a SQL file of
// the project, its last statement's first row as the task's values), condition_task (if/else on
// two values, with Databricks' comparison rules), run_job_task (another job, waited for), and
// Strata's command_task (a program and its arguments, without a shell).
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { StrataError } from '../core/index.js';
import type { Project, RunOutcome, TaskSettings } from '../project/index.js';
import { alertTask } from './alert.js';
import type { NotifyOptions } from './notify.js';
import { substitute, substituteSql, type ReferenceContext } from './template.js';

/** What an attempt gave: its values, a few lines of output, and for a condition the branch taken. */
export interface TaskOutput {
  values: Record<string, string>;
  output: string;
  branch?: 'true' | 'false';
}

/** The environment of an attempt: the project, the references, how to run another job, when to stop. */
export interface TaskContext {
  project: Project;
  refs: ReferenceContext;
  /** Runs another job (its run cancelled with this attempt). */
  runJob: (jobKey: string, parameters: Record<string, string>) => Promise<{ runId: bigint; result: string }>;
  signal: AbortSignal;
  notify?: NotifyOptions;
  /** Told each pipeline update a pipeline task ran, whatever its status. */
  onUpdate?: (outcome: RunOutcome) => void;
}

const OUTPUT_CHARS = 4000;

/** Runs one attempt of `task`; throws (a StrataError) when it fails. */
export async function runTask(task: TaskSettings, c: TaskContext): Promise<TaskOutput> {
  if (task.pipeline_task) return pipelineTask(task.pipeline_task, c);
  if (task.sql_task) return sqlTask(task.sql_task, c);
  if (task.condition_task) return conditionTask(task.condition_task, c);
  if (task.run_job_task) return runJobTask(task.run_job_task, c);
  if (task.command_task) return commandTask(task.command_task, c);
  if (task.alert_task) return alertTask(task.alert_task, c.project, c.refs, c.notify);
  throw new StrataError('INTERNAL', `task ${task.task_key} has no kind`);
}

/** `${resources.pipelines.<name>.id}` (as bundles write it) or the pipeline's name. */
export function pipelineName(id: string): string {
  return /^\$\{resources\.pipelines\.([\w-]+)\.id\}$/.exec(id.trim())?.[1] ?? id.trim();
}

/** `${resources.jobs.<key>.id}` or the job key. */
export function jobKeyOf(id: string): string {
  return /^\$\{resources\.jobs\.([\w-]+)\.id\}$/.exec(id.trim())?.[1] ?? id.trim();
}

async function pipelineTask(t: NonNullable<TaskSettings['pipeline_task']>, c: TaskContext): Promise<TaskOutput> {
  const pipeline = await c.project.loadPipeline(pipelineName(t.pipeline_id));
  if (pipeline.problems.length > 0)
    throw new StrataError('PIPELINE', `pipeline ${pipeline.name} has problems: ${pipeline.problems[0].message}`);
  const outcome = await c.project.runPipeline(pipeline, {
    fullRefresh: t.full_refresh ? 'all' : undefined,
    force: t.full_refresh,
    signal: c.signal,
  });
  c.onUpdate?.(outcome);
  const written = outcome.flows.reduce((n, f) => n + f.rowsWritten, 0);
  const lines = outcome.flows.map((f) => `${f.flow}: ${f.status.toLowerCase()}, ${f.rowsWritten} row(s) written`);
  if (outcome.status === 'CANCELED') {
    const restored = (outcome.restored ?? []).map((r) =>
      r.to === undefined ? `${r.name} removed (created by it)` : `${r.name} back to v${r.to}`,
    );
    throw new StrataError(
      'CANCELLED',
      `update ${outcome.updateId} of ${pipeline.name} stopped${restored.length ? `; its tables as before it: ${restored.join(', ')}` : '; it had written nothing'}`,
    );
  }
  if (outcome.status !== 'COMPLETED')
    throw new StrataError(
      'PIPELINE',
      `update ${outcome.updateId} of ${pipeline.name} failed: ${outcome.error ?? 'a flow failed'}`,
    );
  return {
    values: { update_id: outcome.updateId, rows_written: String(written) },
    output: [`update ${outcome.updateId}: ${outcome.status}`, ...lines].join('\n').slice(0, OUTPUT_CHARS),
  };
}

async function sqlTask(t: NonNullable<TaskSettings['sql_task']>, c: TaskContext): Promise<TaskOutput> {
  const file = path.resolve(c.project.dir, t.file.path);
  const rel = path.relative(c.project.dir, file);
  if (rel.startsWith('..') || path.isAbsolute(rel))
    throw new StrataError('USAGE', `sql_task file ${t.file.path} is outside the project folder`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new StrataError('USAGE', `sql_task file ${t.file.path} cannot be read: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const parameters = Object.fromEntries(Object.entries(t.parameters ?? {}).map(([k, v]) => [k, substitute(v, c.refs)]));
  const sql = substituteSql(text, { ...c.refs, sqlParameters: parameters });
  const results = await c.project.queryAll(sql, { signal: c.signal });
  const last = results.at(-1)?.result;
  const values: Record<string, string> = {};
  if (last && last.rows.length > 0)
    last.columns.forEach((col, i) => {
      const v = last.rows[0][i];
      values[col.name] = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    });
  values.row_count = String(last?.rows.length ?? 0);
  const output = results
    .map((r) => `${r.statement.split('\n')[0].slice(0, 80)} → ${r.result.rows.length} row(s)`)
    .join('\n');
  return { values, output: output.slice(0, OUTPUT_CHARS) };
}

/**
 * If/else as Databricks evaluates it: EQUAL_TO and NOT_EQUAL compare the values as text ('12.0'
 * is not '12'); the ordering operators compare them as numbers, and fail when one is not a number.
 */
export function evaluateCondition(left: string, op: string, right: string): boolean {
  if (op === 'EQUAL_TO') return left === right;
  if (op === 'NOT_EQUAL') return left !== right;
  const [a, b] = [Number(left), Number(right)];
  if (left.trim() === '' || right.trim() === '' || Number.isNaN(a) || Number.isNaN(b))
    throw new StrataError('USAGE', `condition ${op} compares numbers, but got '${left}' and '${right}'`);
  if (op === 'GREATER_THAN') return a > b;
  if (op === 'GREATER_THAN_OR_EQUAL') return a >= b;
  if (op === 'LESS_THAN') return a < b;
  if (op === 'LESS_THAN_OR_EQUAL') return a <= b;
  throw new StrataError('USAGE', `unknown condition operator ${op}`);
}

async function conditionTask(t: NonNullable<TaskSettings['condition_task']>, c: TaskContext): Promise<TaskOutput> {
  const [left, right] = [substitute(t.left, c.refs), substitute(t.right, c.refs)];
  const result = evaluateCondition(left, t.op, right);
  return {
    values: { result: String(result) },
    output: `'${left}' ${t.op} '${right}' is ${result}`,
    branch: result ? 'true' : 'false',
  };
}

async function runJobTask(t: NonNullable<TaskSettings['run_job_task']>, c: TaskContext): Promise<TaskOutput> {
  const key = jobKeyOf(t.job_id);
  const parameters = Object.fromEntries(
    Object.entries(t.job_parameters ?? {}).map(([k, v]) => [k, substitute(v, c.refs)]),
  );
  const run = await c.runJob(key, parameters);
  if (run.result !== 'SUCCESS' && run.result !== 'SUCCESS_WITH_FAILURES')
    throw new StrataError('JOB', `run ${run.runId} of job ${key} ended ${run.result}`);
  return {
    values: { run_id: String(run.runId), result: run.result },
    output: `run ${run.runId} of job ${key}: ${run.result}`,
  };
}

async function commandTask(t: NonNullable<TaskSettings['command_task']>, c: TaskContext): Promise<TaskOutput> {
  const [program, ...args] = t.command.map((a) => substitute(a, c.refs));
  const env = {
    ...process.env,
    ...Object.fromEntries(Object.entries(t.env ?? {}).map(([k, v]) => [k, substitute(v, c.refs)])),
  };
  return await new Promise<TaskOutput>((resolve, reject) => {
    const child = spawn(program, args, { cwd: c.project.dir, env, shell: false, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-OUTPUT_CHARS);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const stop = () => child.kill('SIGTERM');
    c.signal.addEventListener('abort', stop, { once: true });
    child.on('error', (err) => {
      c.signal.removeEventListener('abort', stop);
      reject(new StrataError('JOB', `${program} cannot be started: ${err.message}`, { cause: err }));
    });
    child.on('close', (code, signal) => {
      c.signal.removeEventListener('abort', stop);
      if (code === 0) resolve({ values: { exit_code: '0' }, output });
      else {
        const tail = output.trim().split('\n').slice(-5).join('\n');
        const how = signal ? `was stopped (${signal})` : `exited with code ${code}`;
        reject(
          new StrataError('JOB', `${t.command.join(' ')} ${how}${tail ? `: ${tail}` : ''}`, {
            context: { output },
          }),
        );
      }
    });
  });
}
