// Pipeline statements in the forms real Lakeflow / DLT pipelines use (issue 19): USING DELTA,
// PARTITIONED BY on a streaming table with no column list, TEMPORARY STREAMING TABLE, STREAMING
// LIVE VIEW, CREATE VIEW, COMMENT "…", read_files("…"). On the main before this change, the
// file did not parse ("expected STREAMING TABLE, MATERIALIZED VIEW, TEMPORARY VIEW or FLOW").
// Expected figures are computed by hand from the two files below.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectAt, useTestBed } from '../helpers/harness.js';

const bed = useTestBed('lakeflow-forms');

const PIPELINE = `-- Databricks notebook source
CREATE OR REFRESH STREAMING TABLE orders_raw
USING DELTA
PARTITIONED BY (day)
COMMENT "orders as landed"
AS SELECT * FROM STREAM read_files("landing/orders", format => "csv")

-- COMMAND ----------

CREATE TEMPORARY STREAMING TABLE orders_clean
AS SELECT CAST(id AS INT) AS id, day, CAST(amount AS DOUBLE) AS amount FROM STREAM(LIVE.orders_raw)

-- COMMAND ----------

CREATE STREAMING LIVE VIEW big_orders AS SELECT * FROM STREAM(LIVE.orders_clean) WHERE amount > 10

-- COMMAND ----------

CREATE OR REFRESH STREAMING TABLE big AS SELECT id, amount FROM STREAM(LIVE.big_orders)

-- COMMAND ----------

CREATE OR REPLACE VIEW by_day AS SELECT day, sum(amount) AS total FROM LIVE.orders_clean GROUP BY day

-- COMMAND ----------

CREATE OR REFRESH MATERIALIZED VIEW daily AS SELECT * FROM LIVE.by_day
`;

describe('Lakeflow statement forms', () => {
  it('run unchanged, twice with a file landed in between, with the hand-computed results', async () => {
    const dir = path.join(bed.dir, 'p');
    mkdirSync(path.join(dir, 'pipelines/orders'), { recursive: true });
    mkdirSync(path.join(dir, 'landing/orders'), { recursive: true });
    writeFileSync(path.join(dir, 'pipelines/orders/orders.sql'), PIPELINE);
    writeFileSync(
      path.join(dir, 'landing/orders/1.csv'),
      'id,day,amount\n1,2026-01-01,5\n2,2026-01-01,20\n3,2026-01-02,12.5\n',
    );
    const project = await projectAt(bed, dir);
    const q = async (sql: string) => (await project.query(sql)).rows;

    const pipeline = await project.loadPipeline();
    expect(pipeline.problems).toEqual([]);
    const first = await project.runPipeline(pipeline);
    expect(first.status, first.error).toBe('COMPLETED');
    expect(await q('SELECT id, amount FROM big ORDER BY id')).toEqual([
      [2, 20],
      [3, 12.5],
    ]);
    expect(await q('SELECT day, total FROM daily ORDER BY day')).toEqual([
      ['2026-01-01', 25],
      ['2026-01-02', 12.5],
    ]);

    writeFileSync(path.join(dir, 'landing/orders/2.csv'), 'id,day,amount\n4,2026-01-02,30\n5,2026-01-03,1\n');
    const second = await project.runPipeline(await project.loadPipeline());
    expect(second.status, second.error).toBe('COMPLETED');
    expect(await q('SELECT id FROM big ORDER BY id')).toEqual([[2], [3], [4]]);
    expect(await q('SELECT day, total FROM daily ORDER BY day')).toEqual([
      ['2026-01-01', 25],
      ['2026-01-02', 42.5],
      ['2026-01-03', 1],
    ]);
    // The streaming table is partitioned by the query's column, as declared.
    const detail = await project.query('DESCRIBE DETAIL orders_raw');
    const col = detail.columns.findIndex((c) => c.name === 'partitionColumns');
    expect(detail.rows[0][col]).toEqual(['day']);
  });

  it('reads cloud_files(path, format, map(...)) as Auto Loader: a stream, strings unless inferColumnTypes', async () => {
    const dir = path.join(bed.dir, 'cloud');
    mkdirSync(path.join(dir, 'pipelines/p'), { recursive: true });
    mkdirSync(path.join(dir, 'landing/csv'), { recursive: true });
    writeFileSync(path.join(dir, 'landing/csv/a.csv'), 'id,amount\n1,2.5\n2,4\n');
    writeFileSync(
      path.join(dir, 'pipelines/p/p.sql'),
      `CREATE OR REFRESH STREAMING LIVE TABLE as_text AS SELECT * FROM cloud_files("landing/csv", "csv", map("header", "true"));
CREATE OR REFRESH STREAMING LIVE TABLE typed AS SELECT * FROM STREAM(cloud_files('landing/csv', 'csv', map('cloudFiles.inferColumnTypes', 'true')));`,
    );
    const project = await projectAt(bed, dir);
    const run = await project.runPipeline(await project.loadPipeline());
    expect(run.status, run.error).toBe('COMPLETED');
    const text = await project.query('SELECT id, amount FROM as_text ORDER BY id');
    expect(text.rows).toEqual([
      ['1', '2.5'],
      ['2', '4'],
    ]);
    const typed = await project.query('SELECT sum(id) AS s, typeof(amount) AS t FROM typed GROUP BY 2');
    expect(typed.rows).toEqual([[3, 'DOUBLE']]);
    // A second run loads nothing again.
    const again = await project.runPipeline(await project.loadPipeline());
    expect(again.status).toBe('COMPLETED');
    expect((await project.query('SELECT count(*) FROM as_text')).rows).toEqual([[2]]);
  });

  it('refuses CLUSTER BY before anything runs, never ignores it', async () => {
    const dir = path.join(bed.dir, 'cluster');
    mkdirSync(path.join(dir, 'pipelines/p'), { recursive: true });
    writeFileSync(
      path.join(dir, 'pipelines/p/p.sql'),
      'CREATE OR REFRESH MATERIALIZED VIEW m CLUSTER BY (id) AS SELECT 1 AS id;\n',
    );
    const project = await projectAt(bed, dir);
    const pipeline = await project.loadPipeline();
    expect(pipeline.problems.map((p) => [p.code, p.where.line, p.where.column, p.message])).toEqual([
      ['UNSUPPORTED', 1, 39, expect.stringMatching(/^CLUSTER BY \(liquid clustering\) is not supported yet/)],
    ]);
  });

  it('read a Delta table by path, as a stream (STREAM delta.`path`, STREAM(delta.`path`)) and as a table', async () => {
    const dir = path.join(bed.dir, 'by-path');
    mkdirSync(path.join(dir, 'pipelines/p'), { recursive: true });
    writeFileSync(
      path.join(dir, 'pipelines/p/p.sql'),
      [
        'CREATE OR REFRESH STREAMING TABLE copied AS SELECT id FROM STREAM delta.`ext/src`;',
        'CREATE OR REFRESH STREAMING TABLE copied2 AS SELECT id * 10 AS id FROM STREAM(delta.`ext/src`);',
        'CREATE OR REFRESH MATERIALIZED VIEW total AS SELECT sum(id) AS s FROM delta.`ext/src`;',
        '',
      ].join('\n'),
    );
    const project = await projectAt(bed, dir);
    const q = async (sql: string) => (await project.query(sql)).rows.map((r) => r.map(Number));
    await project.query('CREATE TABLE delta.`ext/src` AS SELECT 1 AS id');
    const pipeline = await project.loadPipeline();
    expect(pipeline.problems).toEqual([]);
    expect((await project.checkPipeline(pipeline)).problems).toEqual([]);
    expect((await project.runPipeline(pipeline)).status).toBe('COMPLETED');
    await project.query('INSERT INTO delta.`ext/src` VALUES (2)');
    const second = await project.runPipeline(await project.loadPipeline());
    expect(second.status, second.error).toBe('COMPLETED');
    // Only the new row read by the streams.
    expect(second.flows.find((f) => f.flow === 'copied')!.rowsRead).toBe(1);
    expect(await q('SELECT id FROM copied ORDER BY id')).toEqual([[1], [2]]);
    expect(await q('SELECT id FROM copied2 ORDER BY id')).toEqual([[10], [20]]);
    expect(await q('SELECT s FROM total')).toEqual([[3]]);
  });
});
