// strata run: pipelines updating on real files — the rows of every table, the
// expectation counts, the quarantine, the event log, a second run that takes only
// new files, flows from two schemas into one table, FAIL UPDATE rolling back,
// streaming reads of changed tables, full refresh, --select, and the same SQL as a
// plain DuckDB script giving the same gold.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunOutcome, UpdateOptions } from '../../src/project/index.js';
import { expectValidLog, readLog } from '../helpers/delta-log.js';
import { projectAt, useTestBed } from '../helpers/harness.js';

const bed = useTestBed('pipeline-run');
const DATASETS = path.resolve(process.env.STRATA_DATASETS_DIR ?? '../shared/datasets');

/** A project folder with pipeline `main` made of `sql`, and landing files. */
function project(name: string, sql: string, files: Record<string, string> = {}): string {
  const dir = path.join(bed.dir, name);
  mkdirSync(path.join(dir, 'pipelines', 'main'), { recursive: true });
  writeFileSync(path.join(dir, 'pipelines', 'main', 'main.sql'), sql);
  for (const [f, text] of Object.entries(files)) land(dir, f, text);
  return dir;
}
function land(dir: string, file: string, text: string): void {
  mkdirSync(path.dirname(path.join(dir, 'landing', file)), { recursive: true });
  writeFileSync(path.join(dir, 'landing', file), text);
}
async function run(dir: string, options: UpdateOptions = {}): Promise<RunOutcome> {
  const project = await projectAt(bed, dir);
  const pipeline = await project.loadPipeline('main');
  expect(pipeline.problems).toEqual([]);
  // Independent flows in parallel, as strata run does (the first test runs them one by one).
  return project.runPipeline(pipeline, { maxParallel: 2, ...options });
}
const query = async (dir: string, q: string) => (await projectAt(bed, dir)).query(q);
const rows = async (dir: string, q: string) => (await query(dir, q)).rows;
const flow = (o: RunOutcome, name: string) => o.flows.find((f) => f.flow === name)!;

const ORDERS = `
CREATE OR REFRESH STREAMING TABLE bronze.orders
COMMENT 'raw order lines'
AS SELECT *, _metadata.file_name AS file_name, _metadata.file_path AS src FROM STREAM read_files('landing/orders/*.csv', format => 'csv');

CREATE OR REFRESH STREAMING TABLE silver.orders (
  CONSTRAINT order_id_present EXPECT (order_id IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT price_positive   EXPECT (price > 0)            ON VIOLATION QUARANTINE,
  CONSTRAINT city_known       EXPECT (city IS NOT NULL)
) AS SELECT CAST(order_id AS INT) AS order_id, customer, city, CAST(price AS DECIMAL(10,2)) AS price,
            CAST(qty AS INT) AS qty, CAST(order_date AS DATE) AS order_date, src AS _source_file
FROM STREAM(bronze.orders);

CREATE TEMPORARY VIEW sold AS SELECT * FROM silver.orders WHERE qty > 0;

CREATE OR REFRESH MATERIALIZED VIEW gold.monthly AS
SELECT strftime(order_date, '%Y-%m') AS month, sum(price * qty) AS revenue, count(*) AS lines
FROM sold GROUP BY 1;
`;
const DAY1 =
  'order_id,customer,city,price,qty,order_date\n1,alice,Paris,10.5,2,2024-01-03\n2,bob,Lyon,-3,1,2024-01-04\n3,carol,,7.25,4,2024-02-01\n,dave,Nice,5,1,2024-02-02\n';
const DAY2 = 'order_id,customer,city,price,qty,order_date\n5,erin,Paris,12,1,2024-02-10\n6,frank,Lyon,3,3,2024-03-01\n';

describe('strata run', () => {
  it('bronze → silver → gold: rows, expectations, quarantine, event log; a second run takes only new files', async () => {
    const dir = project('medallion', ORDERS, { 'orders/day1.csv': DAY1, 'orders/day2.csv': DAY2 });
    const first = await run(dir, { maxParallel: 1 });
    expect(first.status).toBe('COMPLETED');
    expect(first.flows.map((f) => [f.flow, f.status, f.rowsRead, f.rowsWritten, f.dropped, f.quarantined])).toEqual([
      ['bronze.orders', 'COMPLETED', 6, 6, 0, 0],
      ['silver.orders', 'COMPLETED', 6, 4, 1, 1],
      ['gold.monthly', 'COMPLETED', 3, 3, 0, 0],
    ]);
    // A NULL predicate counts as failed: carol has no city, dave no order id.
    expect(flow(first, 'silver.orders').expectations).toEqual([
      { name: 'order_id_present', dataset: 'silver.orders', passed_records: 5, failed_records: 1 },
      { name: 'price_positive', dataset: 'silver.orders', passed_records: 5, failed_records: 1 },
      { name: 'city_known', dataset: 'silver.orders', passed_records: 5, failed_records: 1 },
    ]);
    // Bronze: every line, typed as read_files infers (order_id int, price double), with the file
    // facts the flow took from the hidden _metadata.
    expect(
      await rows(dir, `SELECT order_id, price, file_name, src FROM bronze.orders ORDER BY src, order_id NULLS LAST`),
    ).toEqual([
      [1, 10.5, 'day1.csv', 'landing/orders/day1.csv'],
      [2, -3, 'day1.csv', 'landing/orders/day1.csv'],
      [3, 7.25, 'day1.csv', 'landing/orders/day1.csv'],
      [null, 5, 'day1.csv', 'landing/orders/day1.csv'],
      [5, 12, 'day2.csv', 'landing/orders/day2.csv'],
      [6, 3, 'day2.csv', 'landing/orders/day2.csv'],
    ]);
    // The files' columns, _rescued_data and what the flow selected: no audit columns, no _metadata.
    expect((await query(dir, 'SELECT * FROM bronze.orders LIMIT 0')).columns.map((c) => c.name)).toEqual([
      'order_id',
      'customer',
      'city',
      'price',
      'qty',
      'order_date',
      '_rescued_data',
      'file_name',
      'src',
    ]);
    expect(
      await rows(dir, `SELECT order_id, customer, city, price::VARCHAR, qty FROM silver.orders ORDER BY order_id`),
    ).toEqual([
      [1, 'alice', 'Paris', '10.50', 2],
      [3, 'carol', null, '7.25', 4],
      [5, 'erin', 'Paris', '12.00', 1],
      [6, 'frank', 'Lyon', '3.00', 3],
    ]);
    expect(await rows(dir, `SELECT month, revenue::VARCHAR, lines FROM gold.monthly ORDER BY month`)).toEqual([
      ['2024-01', '21.00', 1],
      ['2024-02', '41.00', 2],
      ['2024-03', '9.00', 1],
    ]);
    // The quarantine: the row, the rules it failed, its source file (silver's _source_file, from
    // bronze's _metadata.file_path), the run. No line: rows carry no line number any more.
    const q = await rows(
      dir,
      `SELECT _source_file, _file_line, _rules, _reason, _raw::JSON->>'customer', _run_id, _flow FROM silver.orders_quarantine`,
    );
    expect(q).toEqual([
      [
        'landing/orders/day1.csv',
        null,
        ['price_positive'],
        'failed expectation(s): price_positive',
        'bob',
        first.updateId,
        'silver.orders',
      ],
    ]);
    // The event log, as monitoring SQL written for Databricks reads it.
    const progress = await rows(
      dir,
      `SELECT origin.flow_name, json_extract(details, '$.flow_progress.metrics.num_output_rows')::BIGINT, json_extract(details, '$.flow_progress.data_quality.dropped_records')::BIGINT
       FROM system.event_log WHERE event_type = 'flow_progress' AND json_extract_string(details, '$.flow_progress.status') = 'COMPLETED' AND origin.update_id = '${first.updateId}' ORDER BY origin.flow_name`,
    );
    expect(progress).toEqual([
      ['bronze.orders', 6, null],
      ['gold.monthly', 3, null],
      ['silver.orders', 4, 1],
    ]);
    const quality = await rows(
      dir,
      `SELECT e.name, e.dataset, e.passed_records, e.failed_records FROM (
         SELECT unnest(from_json(json_extract(details, '$.flow_progress.data_quality.expectations'), '[{"name":"VARCHAR","dataset":"VARCHAR","passed_records":"BIGINT","failed_records":"BIGINT"}]')) AS e
         FROM system.event_log WHERE event_type = 'flow_progress' AND origin.update_id = '${first.updateId}' AND details LIKE '%data_quality%') ORDER BY 1`,
    );
    expect(quality).toEqual([
      ['city_known', 'silver.orders', 5, 1],
      ['order_id_present', 'silver.orders', 5, 1],
      ['price_positive', 'silver.orders', 5, 1],
    ]);
    const lineage = await rows(
      dir,
      `SELECT origin.flow_name, json_extract(details, '$.flow_definition.input_datasets')::VARCHAR[], json_extract(details, '$.flow_definition.schema[0].name')::VARCHAR FROM system.event_log WHERE event_type = 'flow_definition' AND origin.update_id = '${first.updateId}' ORDER BY 1`,
    );
    expect(lineage).toEqual([
      ['bronze.orders', ["read_files('landing/orders/*.csv', format => 'csv')"], '"order_id"'],
      ['gold.monthly', ['default.sold'], '"month"'],
      ['silver.orders', ['bronze.orders'], '"order_id"'],
    ]);
    const updates = await rows(
      dir,
      `SELECT event_type, json_extract_string(details, '$.update_progress.state') FROM system.event_log WHERE origin.update_id = '${first.updateId}' AND event_type IN ('create_update', 'update_progress') ORDER BY timestamp, json_extract(\`sequence\`, '$.data_plane_id.seq_no')::INT`,
    );
    expect(updates).toEqual([
      ['create_update', null],
      ['update_progress', 'INITIALIZING'],
      ['update_progress', 'RUNNING'],
      ['update_progress', 'COMPLETED'],
    ]);

    // Nothing new: streaming tables write nothing, the materialized view is skipped.
    const idle = await run(dir);
    expect(idle.flows.map((f) => [f.flow, f.status, f.rowsWritten])).toEqual([
      ['bronze.orders', 'COMPLETED', 0],
      ['silver.orders', 'COMPLETED', 0],
      ['gold.monthly', 'SKIPPED', 0],
    ]);
    // A new file: only its rows go through bronze and silver.
    land(
      dir,
      'orders/day3.csv',
      'order_id,customer,city,price,qty,order_date\n7,gina,Paris,4,2,2024-03-05\n8,hank,Lyon,0,1,2024-03-06\n',
    );
    const second = await run(dir);
    expect(second.flows.map((f) => [f.flow, f.status, f.rowsRead, f.rowsWritten, f.dropped, f.quarantined])).toEqual([
      ['bronze.orders', 'COMPLETED', 2, 2, 0, 0],
      ['silver.orders', 'COMPLETED', 2, 1, 0, 1],
      ['gold.monthly', 'COMPLETED', 3, 3, 0, 0],
    ]);
    expect(await rows(dir, `SELECT file_name, count(*) FROM bronze.orders GROUP BY 1 ORDER BY 1`)).toEqual([
      ['day1.csv', 4],
      ['day2.csv', 2],
      ['day3.csv', 2],
    ]);
    // The ledger: day1 and day2 in the first batch, day3 alone in a later one.
    const ledger = await rows(
      dir,
      `SELECT file_path, rows_loaded, table_version FROM system.ingest_files WHERE table_path = 'bronze/orders' ORDER BY file_path`,
    );
    expect(ledger.map(([f, n]) => [f, n])).toEqual([
      ['landing/orders/day1.csv', 4],
      ['landing/orders/day2.csv', 2],
      ['landing/orders/day3.csv', 2],
    ]);
    expect(ledger[0][2]).toBe(ledger[1][2]);
    expect(Number(ledger[2][2])).toBeGreaterThan(Number(ledger[0][2]));
    expect(await rows(dir, `SELECT count(*), count(DISTINCT order_id) FROM silver.orders`)).toEqual([[5, 5]]);
    expect(await rows(dir, `SELECT revenue::VARCHAR FROM gold.monthly WHERE month = '2024-03'`)).toEqual([['17.00']]);
    // Silver's commits: one per update that had rows, with the stream progress in txn actions.
    const silver = readLog(path.join(dir, 'lake/silver/orders'));
    const appends = silver.filter((c) => c.actions.some((a) => a.commitInfo?.operation === 'STREAMING UPDATE'));
    expect(appends.map((c) => c.actions.find((a) => a.commitInfo)!.commitInfo.operationMetrics.numOutputRows)).toEqual([
      '4',
      '1',
    ]);
    expect(appends[1].actions.filter((a) => a.txn).map((a) => a.txn.appId.split(':')[0])).toEqual([
      'strata-ingest',
      'strata-stream',
    ]);
    for (const t of ['bronze/orders', 'silver/orders', 'silver/orders_quarantine', 'gold/monthly', '_system/event_log'])
      expectValidLog(path.join(dir, 'lake', t));

    // Replay after fixing the rule: hank's price 0 now passes, bob's -3 stays.
    writeFileSync(
      path.join(dir, 'pipelines/main/main.sql'),
      ORDERS.replace('EXPECT (price > 0)', 'EXPECT (price >= 0)'),
    );
    const opened = await projectAt(bed, dir);
    const pipeline = await opened.loadPipeline('main');
    const replay = await opened.replayQuarantine(pipeline, 'silver.orders');
    expect(replay).toMatchObject({ replayed: 2, restored: 1, dropped: 0, kept: 1, unparsed: 0 });
    expect(
      await rows(dir, `SELECT order_id, price::VARCHAR, _source_file FROM silver.orders WHERE order_id = 8`),
    ).toEqual([[8, '0.00', 'landing/orders/day3.csv']]);
    expect(await rows(dir, `SELECT _raw::JSON->>'customer' FROM silver.orders_quarantine`)).toEqual([['bob']]);
    // Twice is once.
    expect(await opened.replayQuarantine(pipeline, 'silver.orders')).toMatchObject({
      replayed: 1,
      restored: 0,
      kept: 1,
    });
    expect(await rows(dir, `SELECT count(*) FROM silver.orders`)).toEqual([[6]]);
  });

  it('an aggregate view over a source that only gained rows is merged with their aggregate; other changes recompute it', async () => {
    const dir = project(
      'incremental',
      `CREATE OR REFRESH STREAMING TABLE bronze.sales AS SELECT * FROM STREAM read_files('landing/sales/*.csv', format => 'csv');
       CREATE OR REFRESH STREAMING TABLE bronze.products AS SELECT * FROM STREAM read_files('landing/products/*.csv', format => 'csv');
       CREATE OR REFRESH STREAMING TABLE silver.sales AS SELECT product, region, CAST(qty AS INT) AS qty, CAST(price AS DECIMAL(8,2)) AS price FROM STREAM(bronze.sales);
       CREATE OR REFRESH MATERIALIZED VIEW silver.products AS SELECT product, category FROM bronze.products;
       CREATE OR REFRESH MATERIALIZED VIEW gold.by_category AS
         SELECT p.category, s.region, sum(s.qty * s.price) AS revenue, count(*) AS lines, min(s.price) AS low, max(s.price) AS high,
                sum(s.qty) FILTER (WHERE s.qty > 1) AS multi
         FROM silver.sales s JOIN silver.products p USING (product) GROUP BY ALL;
       CREATE OR REFRESH MATERIALIZED VIEW gold.avg_price AS SELECT region, avg(price) AS avg_price FROM silver.sales GROUP BY region;`,
      {
        'products/p.csv': 'product,category\nP1,toys\nP2,books\nP3,toys\n',
        'sales/d1.csv': 'product,region,qty,price\nP1,north,2,10.00\nP2,north,1,5.50\nP3,south,1,3.00\nP1,,4,1.00\n',
      },
    );
    const expected = `SELECT p.category, s.region, sum(s.qty * s.price) AS revenue, count(*) AS lines, min(s.price) AS low, max(s.price) AS high, sum(s.qty) FILTER (WHERE s.qty > 1) AS multi
                      FROM silver.sales s JOIN silver.products p USING (product) GROUP BY ALL`;
    const same = async () =>
      rows(
        dir,
        `SELECT count(*) FROM ((SELECT * FROM gold.by_category EXCEPT ALL ${expected}) UNION ALL (${expected} EXCEPT ALL SELECT * FROM gold.by_category))`,
      );
    const first = await run(dir);
    expect(first.status, first.error).toBe('COMPLETED');
    // New rows: a new group, and rows in old groups (the NULL region's too).
    land(
      dir,
      'sales/d2.csv',
      'product,region,qty,price\nP1,north,3,12.00\nP2,east,1,2.25\nP1,,1,0.50\nP3,south,2,1.00\n',
    );
    const second = await run(dir);
    expect(second.status, second.error).toBe('COMPLETED');
    expect(flow(second, 'gold.by_category').message).toMatch(
      /^incremental: the aggregate of 1 new file\(s\) of silver\.sales merged in/,
    );
    expect(flow(second, 'gold.avg_price').message ?? '').not.toMatch(/incremental/); // avg does not combine: recomputed
    expect(await same()).toEqual([[0]]);
    expect(
      await rows(
        dir,
        `SELECT category, region, revenue::VARCHAR, lines, low::VARCHAR, high::VARCHAR, multi::INT FROM gold.by_category ORDER BY ALL`,
      ),
    ).toEqual([
      ['books', 'east', '2.25', 1, '2.25', '2.25', null],
      ['books', 'north', '5.50', 1, '5.50', '5.50', null],
      ['toys', 'north', '56.00', 2, '10.00', '12.00', 5],
      ['toys', 'south', '5.00', 2, '1.00', '3.00', 2],
      ['toys', null, '4.50', 2, '0.50', '1.00', 4],
    ]);
    // avg of a DECIMAL(10,2) is a DECIMAL(14,6) in Spark (Average's result type: p + 4, s + 4), rounded half up.
    expect(await rows(dir, `SELECT region, avg_price::VARCHAR FROM gold.avg_price WHERE region = 'north'`)).toEqual([
      ['north', '9.166667'],
    ]);
    const log = readLog(path.join(dir, 'lake/gold/by_category'));
    expect(log.at(-1)!.actions.find((a) => a.commitInfo)!.commitInfo.strataIncremental).toEqual({
      source: 'silver.sales',
      files: 1,
    });
    // A deletion in the source: the view is recomputed (and still right).
    await query(dir, `DELETE FROM silver.sales WHERE region = 'east'`);
    const third = await run(dir, { select: ['gold.by_category'] });
    expect(third.status, third.error).toBe('COMPLETED');
    expect(flow(third, 'gold.by_category').message ?? '').not.toMatch(/incremental/);
    expect(await same()).toEqual([[0]]);
    // A dimension changed as well as the facts: recomputed.
    land(dir, 'products/p2.csv', 'product,category\nP4,garden\n');
    land(dir, 'sales/d3.csv', 'product,region,qty,price\nP4,north,1,8.00\n');
    const fourth = await run(dir);
    expect(flow(fourth, 'gold.by_category').message ?? '').not.toMatch(/incremental/);
    expect(await same()).toEqual([[0]]);
    expect(await rows(dir, `SELECT revenue::VARCHAR FROM gold.by_category WHERE category = 'garden'`)).toEqual([
      ['8.00'],
    ]);
    expectValidLog(path.join(dir, 'lake/gold/by_category'));
  });

  it('two flows feed one streaming table from sources with different schemas (a merger)', async () => {
    const dir = project(
      'flows',
      `
CREATE OR REFRESH STREAMING TABLE bronze.parent AS SELECT * FROM STREAM read_files('landing/parent/*.csv', format => 'csv', schemaHints => 'amount DECIMAL(10,2)');
CREATE OR REFRESH STREAMING TABLE bronze.startup AS SELECT * FROM STREAM read_files('landing/startup/*.json', format => 'json');
CREATE OR REFRESH STREAMING TABLE silver.orders (CONSTRAINT positive EXPECT (amount > 0) ON VIOLATION DROP ROW);
CREATE FLOW parent_orders AS INSERT INTO silver.orders BY NAME
  SELECT order_id, amount, 'parent' AS company FROM STREAM(LIVE.bronze.parent);
CREATE FLOW startup_orders AS INSERT INTO silver.orders BY NAME
  SELECT 'S-' || id AS order_id, CAST(total AS DECIMAL(10,2)) AS amount, 'startup' AS company FROM STREAM(bronze.startup);
CREATE OR REFRESH MATERIALIZED VIEW gold.by_company AS SELECT company, sum(amount) AS amount, count(*) AS n FROM silver.orders GROUP BY company;
`,
      {
        'parent/p1.csv': 'order_id,amount\nP-1,10.00\nP-2,20.50\n',
        'startup/s1.json': '{"id": 1, "total": "5.5"}\n{"id": 2, "total": "-1"}\n{"id": 3, "total": "7"}\n',
      },
    );
    const o = await run(dir);
    expect(o.status, o.error).toBe('COMPLETED');
    expect(o.flows.map((f) => [f.flow, f.dataset, f.rowsWritten, f.dropped])).toEqual([
      ['bronze.parent', 'bronze.parent', 2, 0],
      ['bronze.startup', 'bronze.startup', 3, 0],
      ['parent_orders', 'silver.orders', 2, 0],
      ['startup_orders', 'silver.orders', 2, 1],
      ['gold.by_company', 'gold.by_company', 2, 0],
    ]);
    expect(await rows(dir, `SELECT company, amount::VARCHAR, n FROM gold.by_company ORDER BY 1`)).toEqual([
      ['parent', '30.50', 2],
      ['startup', '12.50', 2],
    ]);
    // Each flow keeps its own progress: new startup rows only go through startup_orders.
    land(dir, 'startup/s2.json', '{"id": 4, "total": "1"}\n');
    const again = await run(dir);
    expect(again.flows.map((f) => [f.flow, f.rowsWritten])).toEqual([
      ['bronze.parent', 0],
      ['bronze.startup', 1],
      ['parent_orders', 0],
      ['startup_orders', 1],
      // The view is refreshed by a MERGE of the new rows' aggregate: only the startup's group is written.
      ['gold.by_company', 1],
    ]);
    expect(await rows(dir, `SELECT count(*) FROM silver.orders`)).toEqual([[5]]);
    expect(await rows(dir, `SELECT company, amount::VARCHAR, n FROM gold.by_company ORDER BY 1`)).toEqual([
      ['parent', '30.50', 2],
      ['startup', '13.50', 3],
    ]);
  });

  it('an update that fails outside its flows is recorded FAILED in the event log, never left RUNNING', async () => {
    const dir = project('update-failed', 'CREATE OR REFRESH MATERIALIZED VIEW gold.one AS SELECT 1 AS one;\n');
    const err = await run(dir, {
      onFlow: (f) => {
        if (f.status === 'RUNNING') throw new Error('the display broke');
      },
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('the display broke');
    const states = await rows(
      dir,
      `SELECT json_extract_string(details, '$.update_progress.state') AS state, message, json_extract_string(error, '$.exceptions[0].message') FROM system.event_log WHERE event_type = 'update_progress' ORDER BY state`,
    );
    expect(states).toEqual([
      ['FAILED', expect.stringMatching(/^Update \w{6} is FAILED\.$/), 'the update failed: the display broke'],
      ['INITIALIZING', expect.any(String), null],
      ['RUNNING', expect.any(String), null],
    ]);
  });

  it('FAIL UPDATE stops the update of that table: nothing written, the rule and a row named, downstream skipped', async () => {
    const dir = project(
      'fail',
      `
CREATE OR REFRESH STREAMING TABLE bronze.t AS SELECT * FROM STREAM read_files('landing/t/*.csv', format => 'csv', schemaHints => 'qty INT');
CREATE OR REFRESH STREAMING TABLE silver.t (CONSTRAINT qty_small EXPECT (qty < 100) ON VIOLATION FAIL UPDATE) AS SELECT id, qty FROM STREAM(bronze.t);
CREATE OR REFRESH MATERIALIZED VIEW gold.t AS SELECT sum(qty) AS qty FROM silver.t;
`,
      { 't/a.csv': 'id,qty\n1,5\n2,7\n' },
    );
    expect((await run(dir)).status).toBe('COMPLETED');
    land(dir, 't/b.csv', 'id,qty\n3,500\n4,1\n');
    const o = await run(dir);
    expect(o.status).toBe('FAILED');
    expect(flow(o, 'bronze.t').status).toBe('COMPLETED');
    expect(flow(o, 'silver.t')).toMatchObject({ status: 'FAILED' });
    expect(flow(o, 'silver.t').message).toMatch(
      /expectation qty_small .*silver\.t failed for 1 row\(s\), e\.g\. \{"id":3,"qty":500\}/,
    );
    expect(flow(o, 'gold.t').status).toBe('SKIPPED');
    expect(await rows(dir, `SELECT count(*) FROM silver.t`)).toEqual([[2]]);
    const failed = await rows(
      dir,
      `SELECT level, error IS NOT NULL FROM system.event_log WHERE origin.update_id = '${o.updateId}' AND event_type = 'update_progress' AND json_extract_string(details, '$.update_progress.state') = 'FAILED'`,
    );
    expect(failed).toEqual([['ERROR', true]]);
    // Fixed at the source (the bad file replaced by a corrected one): the next run goes through.
  });

  it('a streaming read of a table with updates fails clearly, unless the source has the change data feed', async () => {
    const dir = project(
      'changes',
      `
CREATE OR REFRESH STREAMING TABLE silver.copy AS SELECT id, v FROM STREAM(ext.src);
CREATE OR REFRESH STREAMING TABLE silver.cdf_copy AS SELECT id, v FROM STREAM(ext.cdf);
`,
    );
    await query(dir, `CREATE TABLE ext.src AS SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS t(id, v)`);
    await query(
      dir,
      `CREATE TABLE ext.cdf TBLPROPERTIES ('delta.enableChangeDataFeed' = 'true') AS SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS t(id, v)`,
    );
    expect((await run(dir)).status).toBe('COMPLETED');
    await query(dir, `INSERT INTO ext.src VALUES (3, 'c')`);
    await query(dir, `UPDATE ext.cdf SET v = 'B' WHERE id = 2`);
    await query(dir, `INSERT INTO ext.cdf VALUES (3, 'c')`);
    const ok = await run(dir);
    expect(ok.flows.map((f) => [f.flow, f.status, f.rowsWritten])).toEqual([
      ['silver.cdf_copy', 'COMPLETED', 2],
      ['silver.copy', 'COMPLETED', 1],
    ]);
    expect(await rows(dir, `SELECT id, v FROM silver.cdf_copy ORDER BY id, v`)).toEqual([
      [1, 'a'],
      [2, 'B'],
      [2, 'b'],
      [3, 'c'],
    ]);
    await query(dir, `DELETE FROM ext.src WHERE id = 1`);
    const o = await run(dir);
    expect(o.status).toBe('FAILED');
    expect(flow(o, 'silver.copy').message).toMatch(
      /cannot read version 2 of ext\.src as a stream: that DELETE changed or deleted rows.*delta\.enableChangeDataFeed.*--full-refresh silver\.copy/,
    );
    // A full refresh reads the table as it is now.
    const refreshed = await run(dir, { fullRefresh: ['silver.copy'] });
    expect(flow(refreshed, 'silver.copy')).toMatchObject({ status: 'COMPLETED', rowsWritten: 2 });
    expect(await rows(dir, `SELECT id FROM silver.copy ORDER BY id`)).toEqual([[2], [3]]);
  });

  it('full refresh rebuilds a table (files only with force); --select runs a subset with what it reads', async () => {
    const dir = project('refresh', ORDERS, { 'orders/day1.csv': DAY1 });
    await run(dir);
    await expect(run(dir, { fullRefresh: ['bronze.orders'] })).rejects.toThrow(
      /bronze\.orders loads files .* Add --force/,
    );
    // silver.orders streams from bronze.orders: refreshing bronze alone would leave it unable to go on.
    const bronzeBefore = (await rows(dir, `DESCRIBE HISTORY bronze.orders`)).length;
    await expect(run(dir, { fullRefresh: ['bronze.orders'], force: true })).rejects.toThrow(
      /--full-refresh bronze\.orders would replace tables that silver\.orders reads as a stream.*--full-refresh bronze\.orders,silver\.orders$/,
    );
    expect((await rows(dir, `DESCRIBE HISTORY bronze.orders`)).length).toBe(bronzeBefore);
    const silverBefore = await rows(dir, `SELECT * FROM silver.orders ORDER BY order_id`);
    const r = await run(dir, { fullRefresh: ['silver.orders'] });
    expect(flow(r, 'silver.orders')).toMatchObject({
      status: 'COMPLETED',
      rowsRead: 4,
      rowsWritten: 2,
      quarantined: 1,
    });
    expect(silverBefore.map((r) => r.at(-1))).toEqual(['landing/orders/day1.csv', 'landing/orders/day1.csv']);
    expect(await rows(dir, `SELECT * FROM silver.orders ORDER BY order_id`)).toEqual(silverBefore);
    expect(await rows(dir, `SELECT count(*) FROM silver.orders_quarantine`)).toEqual([[1]]);
    // The whole pipeline, files included, with force: the same rows again, loaded once.
    const all = await run(dir, { fullRefresh: 'all', force: true });
    expect(all.flows.map((f) => [f.flow, f.rowsWritten])).toEqual([
      ['bronze.orders', 4],
      ['silver.orders', 2],
      ['gold.monthly', 2],
    ]);
    expect(await rows(dir, `SELECT count(*) FROM bronze.orders`)).toEqual([[4]]);
    // --select: silver and what it reads; gold is left alone.
    land(dir, 'orders/day2.csv', DAY2);
    const sel = await run(dir, { select: ['silver.orders'] });
    expect(sel.flows.map((f) => [f.flow, f.status])).toEqual([
      ['bronze.orders', 'COMPLETED'],
      ['silver.orders', 'COMPLETED'],
      ['gold.monthly', 'EXCLUDED'],
    ]);
    await expect(run(dir, { select: ['gold.nope'] })).rejects.toThrow(
      /--select: gold\.nope is not a dataset of pipeline main/,
    );
  });

  it('a real dataset: the pipeline gives what the same SQL gives as a plain DuckDB script', async () => {
    const csv = path.join(DATASETS, 'amazon_sales_synthetic/amazon_sales_dataset.csv');
    const dir = project(
      'amazon',
      `
CREATE OR REFRESH STREAMING TABLE bronze.sales AS SELECT * FROM STREAM read_files('${csv}', format => 'csv');
CREATE OR REFRESH STREAMING TABLE silver.sales (
  CONSTRAINT quantity_positive EXPECT (quantity > 0) ON VIOLATION DROP ROW,
  CONSTRAINT shipped_after_order EXPECT (ship_date >= order_date),
  CONSTRAINT delivered_after_ship EXPECT (delivery_date >= ship_date)
) AS SELECT order_id, CAST(order_date AS DATE) AS order_date, CAST(ship_date AS DATE) AS ship_date, CAST(delivery_date AS DATE) AS delivery_date,
       customer_id, category, CAST(quantity AS INT) AS quantity, CAST(total_sales AS DOUBLE) AS total_sales
FROM STREAM(bronze.sales);
CREATE OR REFRESH MATERIALIZED VIEW gold.category_month AS
SELECT category, strftime(order_date, '%Y-%m') AS month, round(sum(total_sales), 2) AS revenue, count(DISTINCT customer_id) AS customers
FROM silver.sales GROUP BY ALL;
`,
    );
    const o = await run(dir);
    expect(o.status).toBe('COMPLETED');
    expect(flow(o, 'bronze.sales').rowsWritten).toBe(10000);
    // The published figures: 10,000 orders, revenue 642,129,105.55 (as a DOUBLE sum).
    expect(await rows(dir, `SELECT count(*), round(sum(total_sales), 2)::VARCHAR FROM silver.sales`)).toEqual([
      [10000, '642129105.55'],
    ]);
    // The same work as a plain DuckDB script.
    const script = await rows(
      dir,
      `WITH s AS (SELECT order_id, order_date::DATE AS order_date, ship_date::DATE AS ship_date, delivery_date::DATE AS delivery_date, customer_id, category, quantity::INT AS quantity, total_sales::DOUBLE AS total_sales
                  FROM read_csv('${csv}', all_varchar = true) WHERE coalesce(quantity::INT > 0, false))
       SELECT category, strftime(order_date, '%Y-%m') AS month, round(sum(total_sales), 2) AS revenue, count(DISTINCT customer_id) AS customers FROM s GROUP BY ALL ORDER BY 1, 2`,
    );
    expect(await rows(dir, `SELECT * FROM gold.category_month ORDER BY 1, 2`)).toEqual(script);
    const [[late]] = await rows(
      dir,
      `SELECT count(*) FILTER (WHERE NOT coalesce(delivery_date::DATE >= ship_date::DATE, false)) FROM read_csv('${csv}', all_varchar = true)`,
    );
    expect(flow(o, 'silver.sales').expectations.find((e) => e.name === 'delivered_after_ship')).toMatchObject({
      failed_records: late,
      passed_records: 10000 - Number(late),
    });
  });
});
