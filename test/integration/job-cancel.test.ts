// A task that times out is stopped, not waited for: a pipeline update is interrupted and its tables
// are left as they were before it (the issue: "a cancelled or timed-out pipeline task leaves its
// tables as they were before that update"); the files its bronze commits had loaded load again on
// the next update, exactly once. A SQL task's running statement is interrupted.
import { appendFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runJob } from '../../src/orchestrate/index.js';
import { projectAt, projectFolder, useTestBed } from '../helpers/harness.js';

const bed = useTestBed('job-cancel');

const setUp = (name: string, yaml: string, files: Record<string, string> = {}) => projectFolder(bed, name, yaml, files);

// 10^12 rows: never finishes in a test's time unless interrupted.
const ENDLESS = 'SELECT sum(hash(a.id + b.id)) AS h FROM range(1000000) a CROSS JOIN range(1000000) b';

describe('a task stopped at its timeout', () => {
  it('a pipeline update is interrupted and its tables restored; the files it loaded load again, once', async () => {
    const dir = setUp(
      'pipeline',
      `jobs:
  refresh:
    tasks:
      - task_key: update
        timeout_seconds: 4
        pipeline_task: { pipeline_id: sales }
`,
      {
        'pipelines/sales/bronze.sql': `CREATE OR REFRESH STREAMING TABLE orders_raw
AS SELECT * FROM STREAM read_files('landing/*.csv', format => 'csv');`,
        'pipelines/sales/silver.sql': `CREATE OR REFRESH STREAMING TABLE orders (CONSTRAINT positive EXPECT (amount > 0) ON VIOLATION DROP ROW)
AS SELECT id, amount FROM STREAM(orders_raw);`,
        'pipelines/sales/gold.sql': `CREATE OR REFRESH MATERIALIZED VIEW heavy
AS SELECT count(*) AS n FROM orders CROSS JOIN (${ENDLESS}) AS h;`,
        'landing/1.csv': 'id,amount\n1,10\n2,20\n',
      },
    );
    const project = await projectAt(bed, dir);
    const sales = await project.loadPipeline('sales');
    // Before: file 1 loaded into bronze and silver (the heavy view not selected).
    const first = await project.runPipeline(sales, { select: ['orders'] });
    expect(first.status).toBe('COMPLETED');
    const latest = async (table: string) => {
      const h = await project.query(`DESCRIBE HISTORY ${table}`);
      const [version, operation] = ['version', 'operation'].map((c) => h.columns.findIndex((x) => x.name === c));
      return { version: Number(h.rows[0][version]), operation: h.rows[0][operation] };
    };
    const versions = async () => [(await latest('orders_raw')).version, (await latest('orders')).version];
    const [rawBefore, silverBefore] = await versions();

    writeFileSync(path.join(dir, 'landing/2.csv'), 'id,amount\n3,30\n4,-1\n');
    const run = await runJob(project, 'refresh');
    expect(run.result).toBe('TIMEDOUT');
    expect(run.tasks[0].result).toBe('TIMEDOUT');
    expect(run.tasks[0].error).toMatch(/^timed out after 4 s; update .* of sales stopped; its tables as before it: /);
    expect(run.tasks[0].error).toContain(`orders_raw back to v${rawBefore}`);
    expect(run.tasks[0].error).toContain(`orders back to v${silverBefore}`);

    // The tables hold what they held before the update; the restore is one more version each.
    expect((await project.query('SELECT id FROM orders_raw ORDER BY id')).rows).toEqual([[1], [2]]);
    expect((await project.query('SELECT id FROM orders ORDER BY id')).rows).toEqual([[1], [2]]);
    const [rawAfter, silverAfter] = await versions();
    expect(rawAfter).toBe(rawBefore + 2); // the update's commit, then the restore
    expect(silverAfter).toBe(silverBefore + 2);
    expect((await latest('orders_raw')).operation).toBe('RESTORE');
    expect((await project.catalog.listTables()).map((t) => t.table)).not.toContain('heavy');

    // The event log says the update was cancelled and what was restored.
    const events = await project.query(
      `SELECT details:update_progress.state FROM system.event_log WHERE event_type = 'update_progress' ORDER BY timestamp DESC LIMIT 1`,
    );
    expect(events.rows).toEqual([['CANCELED']]);

    // The next update (without the heavy view) loads file 2 again — exactly once — and the
    // expectation drops its bad row as it would have.
    const again = await project.runPipeline(sales, { select: ['orders'] });
    expect(again.status, again.error).toBe('COMPLETED');
    expect((await project.query('SELECT id FROM orders_raw ORDER BY id')).rows).toEqual([[1], [2], [3], [4]]);
    expect((await project.query('SELECT id FROM orders ORDER BY id')).rows).toEqual([[1], [2], [3]]);
    const ledger = await project.query(
      `SELECT file_path, count(*) FROM system.ingest_files WHERE status = 'loaded' GROUP BY ALL ORDER BY 1`,
    );
    expect(ledger.rows.map(([f, n]) => [f, Number(n)])).toEqual([
      ['landing/1.csv', 1],
      ['landing/2.csv', 1],
    ]);
    // And one more update finds nothing new.
    appendFileSync(path.join(dir, 'landing/3.csv'), 'id,amount\n5,50\n');
    await project.runPipeline(sales, { select: ['orders'] });
    expect(Number((await project.query('SELECT count(*) FROM orders_raw')).rows[0][0])).toBe(5);
  });

  it('a table the cancelled update created is removed', async () => {
    const dir = setUp(
      'created',
      `jobs:
  refresh:
    tasks:
      - { task_key: update, timeout_seconds: 3, pipeline_task: { pipeline_id: p } }
`,
      {
        'pipelines/p/main.sql': `CREATE OR REFRESH STREAMING TABLE raw AS SELECT * FROM STREAM read_files('landing/*.csv', format => 'csv');
CREATE OR REFRESH MATERIALIZED VIEW heavy AS SELECT count(*) AS n FROM raw CROSS JOIN (${ENDLESS}) AS h;`,
        'landing/1.csv': 'id\n1\n',
      },
    );
    const project = await projectAt(bed, dir);
    const run = await runJob(project, 'refresh');
    expect(run.tasks[0].error).toContain('raw removed (created by it)');
    expect((await project.catalog.listTables()).filter((t) => !t.system)).toEqual([]);
    // Nothing was lost: the next update loads the file.
    const p = await project.loadPipeline('p');
    expect((await project.runPipeline(p, { select: ['raw'] })).status).toBe('COMPLETED');
    expect((await project.query('SELECT id FROM raw')).rows).toEqual([[1]]);
  });

  it("a SQL task's running statement is interrupted", async () => {
    const dir = setUp(
      'sql',
      `jobs:
  kpis:
    tasks:
      - { task_key: endless, timeout_seconds: 2, sql_task: { file: { path: sql/endless.sql } } }
`,
      { 'sql/endless.sql': `${ENDLESS};\n` },
    );
    const project = await projectAt(bed, dir);
    const run = await runJob(project, 'kpis');
    expect(run.tasks[0]).toMatchObject({ result: 'TIMEDOUT', attempts: 1 });
    expect(run.tasks[0].error).toMatch(/^timed out after 2 s/);
    // The session is usable after the interrupt.
    expect((await project.query('SELECT 1 + 1')).rows).toEqual([[2]]);
  });
});
