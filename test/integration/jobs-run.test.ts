// Jobs run on a real project: a pipeline task, a SQL task whose first row becomes task values, an
// if/else on those values, programs run without a shell, retries, timeouts, run_if outcomes, and
// every run and attempt in the Delta tables system.job_runs / system.job_task_runs. run_if and the
// run's result follow https://docs.databricks.com/jobs/run-if.html (cited in run-if.test.ts); the
// dynamic value references https://docs.databricks.com/jobs/dynamic-value-references.html.
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repairRun, runJob, RunsStore } from '../../src/orchestrate/index.js';
import { projectAt, projectFolder, useTestBed } from '../helpers/harness.js';

const bed = useTestBed('jobs-run');

const setUp = (name: string, yaml: string, files: Record<string, string> = {}) => projectFolder(bed, name, yaml, files);

const NODE = JSON.stringify(process.execPath);

describe('strata jobs: one run', () => {
  it('pipeline → SQL task values → if/else → the branch taken; runs and attempts kept in Delta tables', async () => {
    const dir = setUp(
      'chain',
      `jobs:
  daily:
    name: Daily sales
    parameters:
      - { name: min_orders, default: "2" }
    tasks:
      - task_key: refresh
        pipeline_task: { pipeline_id: "\${resources.pipelines.sales.id}" }
      - task_key: kpis
        depends_on: [{ task_key: refresh }]
        sql_task: { file: { path: sql/kpis.sql }, warehouse_id: ignored }
      - task_key: enough
        depends_on: [{ task_key: kpis }]
        condition_task: { left: "{{tasks.kpis.values.orders}}", op: GREATER_THAN_OR_EQUAL, right: "{{job.parameters.min_orders}}" }
      - task_key: report
        depends_on: [{ task_key: enough, outcome: "true" }]
        command_task: { command: [${NODE}, -e, "require('fs').writeFileSync('report.txt', process.argv[1])", "{{tasks.kpis.values.revenue}} on {{job.start_time.iso_date}}"] }
      - task_key: too_few
        depends_on: [{ task_key: enough, outcome: "false" }]
        command_task: { command: [${NODE}, -e, "process.exit(3)"] }
`,
      {
        'pipelines/sales/main.sql': `CREATE OR REFRESH STREAMING TABLE orders
AS SELECT * FROM STREAM read_files('landing/orders/*.csv', format => 'csv');`,
        'landing/orders/1.csv': 'id,amount\n1,10.50\n2,4.25\n3,5.00\n',
        'sql/kpis.sql': `-- the day's figures
SELECT count(*) AS orders, CAST(sum(amount) AS DECIMAL(10,2)) AS revenue FROM orders;`,
      },
    );
    const project = await projectAt(bed, dir);
    const out = await runJob(project, 'daily');
    expect(out.result, JSON.stringify(out.tasks)).toBe('SUCCESS');
    expect(out.tasks.map((t) => [t.taskKey, t.result])).toEqual([
      ['refresh', 'SUCCESS'],
      ['kpis', 'SUCCESS'],
      ['enough', 'SUCCESS'],
      ['report', 'SUCCESS'],
      ['too_few', 'EXCLUDED'], // the other branch of the condition
    ]);
    const today = new Date().toISOString().slice(0, 10);
    expect(readFileSync(path.join(dir, 'report.txt'), 'utf8')).toBe(`19.75 on ${today}`);

    // The tables, queried like any table.
    const runs = await project.query(
      `SELECT job_key, job_name, trigger_type, state, result_state, job_parameters FROM system.job_runs WHERE run_id = ${out.runId}`,
    );
    expect(runs.rows).toEqual([['daily', 'Daily sales', 'MANUAL', 'TERMINATED', 'SUCCESS', '{"min_orders":"2"}']]);
    const attempts = await project.query(
      `SELECT task_key, attempt, kind, state, result_state, task_values FROM system.job_task_runs WHERE run_id = ${out.runId} ORDER BY start_time, task_key`,
    );
    expect(attempts.rows.map((r) => r.slice(0, 5))).toEqual([
      ['refresh', 0, 'pipeline_task', 'TERMINATED', 'SUCCESS'],
      ['kpis', 0, 'sql_task', 'TERMINATED', 'SUCCESS'],
      ['enough', 0, 'condition_task', 'TERMINATED', 'SUCCESS'],
      ['report', 0, 'command_task', 'TERMINATED', 'SUCCESS'],
      ['too_few', 0, 'command_task', 'SKIPPED', 'EXCLUDED'],
    ]);
    expect(JSON.parse(String(attempts.rows[1][5]))).toEqual({ orders: '3', revenue: '19.75', row_count: '1' });

    // Parameters given to a run override the defaults: now too few orders, the other branch.
    const second = await runJob(project, 'daily', { parameters: { min_orders: '10' } });
    expect(second.tasks.map((t) => [t.taskKey, t.result])).toEqual([
      ['refresh', 'SUCCESS'],
      ['kpis', 'SUCCESS'],
      ['enough', 'SUCCESS'],
      ['report', 'EXCLUDED'],
      ['too_few', 'FAILED'],
    ]);
    expect(second.result).toBe('FAILED'); // a leaf failed
    await expect(runJob(project, 'daily', { parameters: { nope: '1' } })).rejects.toThrow(
      'job daily has no parameter nope; its parameters are min_orders',
    );
    await expect(runJob(project, 'weekly')).rejects.toThrow('no job weekly in strata.yaml; the jobs are daily');
  });

  it('a task that fails twice then succeeds, with max_retries 2: three attempts, each recorded', async () => {
    const script = `const fs=require('fs');const n=fs.existsSync('count')?Number(fs.readFileSync('count','utf8')):0;fs.writeFileSync('count',String(n+1));if(n<2){console.error('not yet: attempt '+(n+1));process.exit(1)}`;
    const dir = setUp(
      'retries',
      `jobs:
  flaky:
    tasks:
      - task_key: load
        max_retries: 2
        min_retry_interval_millis: 60000
        command_task: { command: [${NODE}, -e, ${JSON.stringify(script)}] }
      - task_key: after
        depends_on: [{ task_key: load }]
        command_task: { command: [${NODE}, -e, "0"] }
`,
    );
    const project = await projectAt(bed, dir);
    const waits: number[] = [];
    const out = await runJob(project, 'flaky', { sleep: async (ms) => void waits.push(ms) });
    expect(out.result).toBe('SUCCESS');
    expect(out.tasks[0]).toMatchObject({ taskKey: 'load', result: 'SUCCESS', attempts: 3 });
    expect(waits).toEqual([60000, 60000]); // the retry interval, waited twice (injected: no real wait)
    const attempts = await project.query(
      `SELECT attempt, result_state, error FROM system.job_task_runs WHERE run_id = ${out.runId} AND task_key = 'load' ORDER BY attempt`,
    );
    expect(attempts.rows.map((r) => [r[0], r[1]])).toEqual([
      [0, 'FAILED'],
      [1, 'FAILED'],
      [2, 'SUCCESS'],
    ]);
    expect(String(attempts.rows[0][2])).toMatch(/exited with code 1: not yet: attempt 1/);
  });

  it('a timeout stops the program; retried only with retry_on_timeout', async () => {
    const sleepy = `[${NODE}, -e, "setTimeout(() => {}, 60000)"]`;
    const dir = setUp(
      'timeouts',
      `jobs:
  slow:
    tasks:
      - { task_key: once, timeout_seconds: 1, max_retries: 2, command_task: { command: ${sleepy} } }
  slow_retried:
    tasks:
      - { task_key: again, timeout_seconds: 1, max_retries: 1, retry_on_timeout: true, command_task: { command: ${sleepy} } }
`,
    );
    const project = await projectAt(bed, dir);
    const once = await runJob(project, 'slow', { sleep: async () => {} });
    expect(once.result).toBe('TIMEDOUT');
    expect(once.tasks[0]).toMatchObject({ result: 'TIMEDOUT', attempts: 1, error: 'timed out after 1 s' });
    const again = await runJob(project, 'slow_retried', { sleep: async () => {} });
    expect(again.tasks[0]).toMatchObject({ result: 'TIMEDOUT', attempts: 2 });
  });

  it('run_if: a cleanup task runs after a failure (ALL_DONE), downstream is upstream-failed; succeeded with failures', async () => {
    const ok = `[${NODE}, -e, "0"]`;
    const dir = setUp(
      'run-if',
      `jobs:
  j:
    tasks:
      - { task_key: extract, command_task: { command: [${NODE}, -e, "process.exit(2)"] } }
      - { task_key: transform, depends_on: [{ task_key: extract }], command_task: { command: ${ok} } }
      - { task_key: alert, depends_on: [{ task_key: extract }], run_if: AT_LEAST_ONE_FAILED, command_task: { command: ${ok} } }
      - { task_key: cleanup, depends_on: [{ task_key: transform }, { task_key: alert }], run_if: ALL_DONE, command_task: { command: ${ok} } }
`,
    );
    const project = await projectAt(bed, dir);
    const out = await runJob(project, 'j');
    expect(out.tasks.map((t) => [t.taskKey, t.result])).toEqual([
      ['extract', 'FAILED'],
      ['transform', 'UPSTREAM_FAILED'],
      ['alert', 'SUCCESS'],
      ['cleanup', 'SUCCESS'],
    ]);
    // The only leaf (cleanup) succeeded, a task failed: Succeeded with failures.
    expect(out.result).toBe('SUCCESS_WITH_FAILURES');
  });

  it('references are resolved, or the task fails naming the reference; SQL gets values only as literals', async () => {
    const dir = setUp(
      'refs',
      `jobs:
  j:
    parameters:
      - { name: who, default: "O'Brien'); DROP TABLE x; --" }
    tasks:
      - { task_key: q, sql_task: { file: { path: q.sql } } }
      - { task_key: bad, command_task: { command: [${NODE}, -e, "0", "{{job.parameters.missing}}"] } }
`,
      { 'q.sql': "SELECT {{job.parameters.who}} AS who, 'run {{job.run_id}}' AS run;" },
    );
    const project = await projectAt(bed, dir);
    const out = await runJob(project, 'j');
    const q = await project.query(
      `SELECT task_values FROM system.job_task_runs WHERE run_id = ${out.runId} AND task_key = 'q'`,
    );
    expect(JSON.parse(String(q.rows[0][0]))).toEqual({
      who: "O'Brien'); DROP TABLE x; --",
      run: `run ${out.runId}`,
      row_count: '1',
    });
    expect(out.tasks[1]).toMatchObject({
      result: 'FAILED',
      error: '{{job.parameters.missing}}: the job has no parameter missing',
    });
  });
});

describe('strata jobs repair', () => {
  it('reruns the failed tasks inside the same run, after the cause is fixed; the others keep their results', async () => {
    const countAndFail = `const fs=require('fs');fs.appendFileSync('ran-'+process.argv[1],'x');if(process.argv[1]==='extract'&&!fs.existsSync('fixed'))process.exit(1)`;
    const task = (key: string, deps: string[]) =>
      `      - { task_key: ${key}, depends_on: [${deps.map((d) => `{ task_key: ${d} }`).join(', ')}], command_task: { command: [${NODE}, -e, ${JSON.stringify(countAndFail)}, ${key}] } }`;
    const dir = setUp(
      'repair',
      `jobs:\n  etl:\n    tasks:\n${[task('extract', []), task('transform', ['extract']), task('report', ['transform']), task('side', [])].join('\n')}\n`,
    );
    const project = await projectAt(bed, dir);
    const first = await runJob(project, 'etl');
    expect(first.tasks.map((t) => [t.taskKey, t.result])).toEqual([
      ['extract', 'FAILED'],
      ['transform', 'UPSTREAM_FAILED'],
      ['report', 'UPSTREAM_FAILED'],
      ['side', 'SUCCESS'],
    ]);
    await expect(repairRun(project, first.runId, {})).rejects.toThrow('say which tasks to run again');
    writeFileSync(path.join(dir, 'fixed'), '');
    const repaired = await repairRun(project, first.runId, { allFailed: true });
    expect(repaired.runId).toBe(first.runId);
    expect(repaired.result).toBe('SUCCESS');
    expect(repaired.tasks.map((t) => [t.taskKey, t.result])).toEqual([
      ['extract', 'SUCCESS'],
      ['transform', 'SUCCESS'],
      ['report', 'SUCCESS'],
      ['side', 'SUCCESS'],
    ]);
    // side ran once; extract twice (the failure, the repair).
    expect(readFileSync(path.join(dir, 'ran-side'), 'utf8')).toBe('x');
    expect(readFileSync(path.join(dir, 'ran-extract'), 'utf8')).toBe('xx');
    const run = await project.query(
      `SELECT result_state, repair_count FROM system.job_runs WHERE run_id = ${first.runId}`,
    );
    expect(run.rows).toEqual([['SUCCESS', 1]]);
    const attempts = await project.query(
      `SELECT task_key, attempt, result_state FROM system.job_task_runs WHERE run_id = ${first.runId} ORDER BY task_key, attempt`,
    );
    expect(attempts.rows).toEqual([
      ['extract', 0, 'FAILED'],
      ['extract', 1, 'SUCCESS'],
      ['report', 0, 'UPSTREAM_FAILED'],
      ['report', 1, 'SUCCESS'],
      ['side', 0, 'SUCCESS'],
      ['transform', 0, 'UPSTREAM_FAILED'],
      ['transform', 1, 'SUCCESS'],
    ]);
    // --task with --dependents: the task and everything downstream of it, again.
    const again = await repairRun(project, first.runId, { tasks: ['transform'], dependents: true });
    expect(again.tasks.map((t) => t.attempts)).toEqual([2, 3, 3, 1]);
    await expect(repairRun(project, first.runId, { tasks: ['nope'] })).rejects.toThrow(
      'the job has no task nope; its tasks are extract, transform, report, side',
    );
  });
});

describe('the run tables', () => {
  it('are compacted once they hold many small files: each ended attempt is one', async () => {
    const dir = setUp(
      'compact',
      `jobs:\n  j:\n    tasks:\n${Array.from({ length: 6 }, (_, i) => `      - { task_key: t${i}, command_task: { command: [${NODE}, -e, "0"] } }`).join('\n')}\n`,
    );
    const project = await projectAt(bed, dir);
    const files = async () =>
      (await project.query('DESCRIBE DETAIL system.job_task_runs')).rows[0][
        (await project.query('DESCRIBE DETAIL system.job_task_runs')).columns.findIndex((c) => c.name === 'numFiles')
      ];
    for (let i = 0; i < 3; i++) await runJob(project, 'j');
    expect(Number(await files())).toBe(18);
    await project.withSession((s) => new RunsStore(project.catalog).compact(s, 10));
    expect(Number(await files())).toBe(1);
    const rows = await project.query('SELECT count(*) FROM system.job_task_runs');
    expect(rows.rows).toEqual([[18]]);
  });
});
