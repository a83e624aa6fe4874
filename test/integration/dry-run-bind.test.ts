// `strata run --dry-run` binds every query (issue 19, "Checks before anything runs"): each
// query against its sources' columns — tables of the lake as they are, the pipeline's own
// datasets as their queries yield them — reporting every problem at its file:line:column in
// the user's text, writing nothing. A streaming table's query is held to Structured
// Streaming's rules for an append stream, as Spark's UnsupportedOperationChecker.checkForStreaming
// states them (apache/spark, sql/catalyst/src/main/scala/org/apache/spark/sql/catalyst/analysis/
// UnsupportedOperationChecker.scala): aggregations and DISTINCT without a watermark ("Append
// output mode not supported when there are streaming aggregations on streaming
// DataFrames/DataSets without watermark"), window functions (NON_TIME_WINDOW_NOT_SUPPORTED_IN_STREAMING),
// sorts, samples, INTERSECT, unions of a stream and a table, and the outer / semi / anti joins
// with the stream on the wrong side are refused there.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectAt, useTestBed } from '../helpers/harness.js';

const bed = useTestBed('dry-run-bind');

const CSV = 'id,customer,day,amount\n1,c1,2026-01-05,5.5\n2,c2,2026-01-06,7\n';
const CUSTOMERS = 'customer,city\nc1,Lisbon\nc2,Porto\n';

async function project(name: string, sql: string, landed = true) {
  const dir = path.join(bed.dir, name);
  mkdirSync(path.join(dir, 'pipelines/p'), { recursive: true });
  mkdirSync(path.join(dir, 'landing/orders'), { recursive: true });
  writeFileSync(path.join(dir, 'pipelines/p/p.sql'), sql);
  if (landed) writeFileSync(path.join(dir, 'landing/orders/1.csv'), CSV);
  writeFileSync(path.join(dir, 'customers.csv'), CUSTOMERS);
  return { dir, project: await projectAt(bed, dir) };
}

const BRONZE = `CREATE OR REFRESH STREAMING TABLE raw AS SELECT * FROM STREAM read_files('landing/orders', format => 'csv');
CREATE OR REFRESH MATERIALIZED VIEW customers AS SELECT * FROM read_files('customers.csv', format => 'csv');
`;

describe('strata run --dry-run: binding', () => {
  it('binds a correct pipeline (files, streaming tables, views, AUTO CDC) with no problem, and writes nothing', async () => {
    const { dir, project: p } = await project(
      'ok',
      BRONZE +
        `CREATE OR REFRESH STREAMING TABLE silver (
  CONSTRAINT positive EXPECT (amount > 0) ON VIOLATION DROP ROW
) AS SELECT id, upper(customer) AS customer, to_date(day) AS day, CAST(amount AS DOUBLE) AS amount FROM STREAM(raw);
CREATE TEMPORARY VIEW big AS SELECT * FROM silver WHERE amount > 6;
CREATE OR REFRESH MATERIALIZED VIEW by_city AS
SELECT c.city, sum(s.amount) AS revenue, count(*) AS n FROM big s JOIN customers c ON lower(c.customer) = lower(s.customer) GROUP BY c.city;
CREATE OR REFRESH STREAMING TABLE latest;
CREATE FLOW latest_changes AS AUTO CDC INTO latest FROM STREAM(silver) KEYS (customer) SEQUENCE BY day STORED AS SCD TYPE 2;
CREATE OR REFRESH MATERIALIZED VIEW open_versions AS SELECT customer, __START_AT FROM latest WHERE __END_AT IS NULL;
`,
    );
    const report = await p.checkPipeline(await p.loadPipeline());
    expect(report).toEqual({ problems: [], unchecked: [] });
    expect(existsSync(path.join(dir, 'lake')) ? readdirSync(path.join(dir, 'lake')) : []).toEqual([]);
  });

  it("reports every problem at once, each at its file:line:column in the user's text: a column, a function, an expectation, AUTO CDC's keys", async () => {
    const { project: p } = await project(
      'bad',
      BRONZE +
        `CREATE OR REFRESH STREAMING TABLE silver (
  CONSTRAINT positive EXPECT (amount_eur > 0) ON VIOLATION DROP ROW
) AS SELECT id, customer, CAST(amount AS DECIMAL(10, 2)) AS amount FROM STREAM(raw);
CREATE OR REFRESH MATERIALIZED VIEW totals AS SELECT customer, sum(amount) AS revenue, no_such_fn(id) AS x FROM silver GROUP BY customer;
CREATE OR REFRESH MATERIALIZED VIEW typo AS SELECT custmer FROM silver;
CREATE OR REFRESH STREAMING TABLE latest;
CREATE FLOW latest_changes AS AUTO CDC INTO latest FROM STREAM(silver) KEYS (customer_id) SEQUENCE BY id;
`,
    );
    const report = await p.checkPipeline(await p.loadPipeline());
    const where = (code: string) => report.problems.filter((x) => x.code === code).map((x) => x.where.line);
    expect(where('BIND').sort()).toEqual([4, 6, 7, 9]);
    const byLine = new Map(report.problems.map((x) => [x.where.line, x]));
    expect(byLine.get(4)!.message).toMatch(/amount_eur/);
    expect(byLine.get(4)!.where.column).toBe(31);
    expect(byLine.get(6)!.message).toMatch(/no_such_fn/);
    expect(byLine.get(6)!.where.column).toBe(88);
    expect(byLine.get(7)!.message).toMatch(/custmer/);
    expect(byLine.get(7)!.where.column).toBe(52);
    expect(byLine.get(9)!.message).toMatch(/KEYS names customer_id, which is not a column/);
    expect(report.unchecked).toEqual([]);
  });

  it('leaves the queries whose sources have no columns yet unchecked, and says why', async () => {
    const { project: p } = await project(
      'nofiles',
      BRONZE + 'CREATE OR REFRESH STREAMING TABLE silver AS SELECT id FROM STREAM(raw);\n',
      false,
    );
    const report = await p.checkPipeline(await p.loadPipeline());
    expect(report.problems).toEqual([]);
    expect(report.unchecked.map((u) => [u.target, u.reason])).toEqual([
      ['raw', expect.stringMatching(/no files match landing\/orders.*known once files land/)],
      ['silver', expect.stringMatching(/^raw is read, and its columns are not known/)],
    ]);
  });

  it('binds against the tables of the lake as they are, after a run', async () => {
    const { project: p } = await project(
      'after',
      BRONZE + 'CREATE OR REFRESH MATERIALIZED VIEW m AS SELECT id, amount FROM raw;\n',
    );
    expect((await p.runPipeline(await p.loadPipeline())).status).toBe('COMPLETED');
    writeFileSync(
      path.join(p.dir, 'pipelines/p/p.sql'),
      BRONZE + 'CREATE OR REFRESH MATERIALIZED VIEW m AS SELECT id, amount, discount FROM raw;\n',
    );
    const report = await p.checkPipeline(await p.loadPipeline());
    expect(report.problems.map((x) => [x.code, x.where.line, x.where.column])).toEqual([['BIND', 3, 61]]);
    expect(report.problems[0].message).toMatch(/discount/);
  });
});

describe('strata run --dry-run: Structured Streaming rules (UnsupportedOperationChecker.checkForStreaming)', () => {
  const streaming = async (name: string, query: string) => {
    const { project: p } = await project(name, BRONZE + `CREATE OR REFRESH STREAMING TABLE s AS\n${query};\n`);
    const report = await p.checkPipeline(await p.loadPipeline());
    expect(report.problems.filter((x) => x.code !== 'STREAMING')).toEqual([]);
    return report.problems.map((x) => `${x.where.line}:${x.where.column} ${x.message}`);
  };

  it('refuses an aggregation, DISTINCT, a window function, ORDER BY over a stream, placed at the keyword', async () => {
    expect(await streaming('agg', 'SELECT customer, count(amount) AS n FROM STREAM(raw) GROUP BY customer')).toEqual([
      expect.stringMatching(
        /^4:54 An aggregation .*Append output mode not supported .*without watermark.*MATERIALIZED VIEW/,
      ),
    ]);
    expect(await streaming('agg-global', 'SELECT count(*) AS n FROM STREAM(raw)')).toEqual([
      expect.stringMatching(/^4:1 An aggregation/),
    ]);
    expect(await streaming('distinct', 'SELECT DISTINCT customer FROM STREAM(raw)')).toEqual([
      expect.stringMatching(/^4:8 SELECT DISTINCT .* without watermark/),
    ]);
    expect(
      await streaming(
        'window',
        'SELECT id, row_number() OVER (PARTITION BY customer ORDER BY id) AS n FROM STREAM(raw)',
      ),
    ).toEqual([expect.stringMatching(/^4:25 A window function .*NON_TIME_WINDOW_NOT_SUPPORTED_IN_STREAMING/)]);
    expect(await streaming('order', 'SELECT id FROM STREAM(raw) ORDER BY id')).toEqual([
      expect.stringMatching(/^4:28 ORDER BY over a stream .*Sorting is not supported/),
    ]);
  });

  it('refuses joins and unions Spark refuses, and accepts the ones it supports', async () => {
    // Stream on the left of a left join with a table, or of a correlated subquery: supported.
    expect(
      await streaming(
        'left-ok',
        `SELECT r.id, c.city, (SELECT max(c2.city) FROM customers c2 WHERE c2.customer = r.customer) AS city2
FROM STREAM(raw) r LEFT JOIN customers c ON c.customer = r.customer
WHERE r.customer IN (SELECT customer FROM customers)`,
      ),
    ).toEqual([]);
    // Inner join of a table and a stream, either side: supported.
    expect(
      await streaming('inner-ok', 'SELECT r.id FROM customers c JOIN STREAM(raw) r ON c.customer = r.customer'),
    ).toEqual([]);
    expect(
      await streaming('left-wrong', 'SELECT r.id FROM customers c LEFT JOIN STREAM(raw) r ON c.customer = r.customer'),
    ).toEqual([expect.stringMatching(/^4:35 A left outer join with the stream on its right/)]);
    expect(
      await streaming('full', 'SELECT r.id FROM STREAM(raw) r FULL JOIN customers c ON c.customer = r.customer'),
    ).toEqual([expect.stringMatching(/full outer join of a stream and a table/)]);
    expect(
      await streaming('union', 'SELECT customer FROM STREAM(raw) UNION ALL SELECT customer FROM customers'),
    ).toEqual([expect.stringMatching(/^4:34 A UNION of a stream and a table .*CREATE FLOW/)]);
    expect(
      await streaming('intersect', 'SELECT customer FROM STREAM(raw) INTERSECT SELECT customer FROM customers'),
    ).toEqual([expect.stringMatching(/INTERSECT with a stream/)]);
  });

  it('accepts aggregations over the tables a stream is joined to, and the same query as a materialized view', async () => {
    expect(
      await streaming(
        'static-agg',
        `SELECT r.id, t.n FROM STREAM(raw) r JOIN (SELECT customer, count(*) AS n FROM customers GROUP BY customer) t ON t.customer = r.customer`,
      ),
    ).toEqual([]);
    const { project: p } = await project(
      'mv',
      BRONZE + 'CREATE OR REFRESH MATERIALIZED VIEW m AS SELECT DISTINCT customer FROM raw ORDER BY customer;\n',
    );
    expect(await p.checkPipeline(await p.loadPipeline())).toEqual({ problems: [], unchecked: [] });
  });
});

describe('strata run --dry-run: what Strata does not do', () => {
  it('a WATERMARK clause is a problem at its line and column, before anything runs', async () => {
    const { project: p } = await project(
      'watermark',
      BRONZE +
        'CREATE OR REFRESH STREAMING TABLE w AS\nSELECT id FROM STREAM(raw) WATERMARK day DELAY OF INTERVAL 1 DAY;\n',
    );
    const pipeline = await p.loadPipeline();
    expect(pipeline.problems.map((x) => [x.code, x.where.line, x.where.column])).toEqual([['UNSUPPORTED', 4, 28]]);
    expect(pipeline.problems[0].message).toMatch(/^WATERMARK is not supported/);
  });
});

describe('strata run: Structured Streaming rules, before anything is written', () => {
  const WINDOW = `CREATE OR REFRESH STREAMING TABLE s AS
SELECT id, row_number() OVER (PARTITION BY customer ORDER BY id) AS n FROM STREAM(raw);
`;

  it('a first update with a query Spark refuses fails before any flow runs (run-check.ts), at the keyword', async () => {
    const { project: p } = await project('run-window-first', BRONZE + WINDOW);
    const outcome = await p.runPipeline(await p.loadPipeline());
    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toMatch(/pipelines\/p\/p\.sql:4:25: STREAMING A window function \(OVER\) over a stream/);
    expect(new Set(outcome.flows.map((f) => f.status))).toEqual(new Set(['SKIPPED']));
    await expect(p.query('SELECT count(*) FROM raw')).rejects.toThrow(/does not exist/);
  });

  it('fails the flow of a streaming table whose query changed to one Spark refuses, writing nothing of it', async () => {
    const { dir, project: p } = await project(
      'run-window',
      BRONZE + 'CREATE OR REFRESH STREAMING TABLE s AS\nSELECT id FROM STREAM(raw);\n',
    );
    expect((await p.runPipeline(await p.loadPipeline())).status).toBe('COMPLETED');
    writeFileSync(path.join(dir, 'pipelines/p/p.sql'), BRONZE + WINDOW);
    writeFileSync(path.join(dir, 'landing/orders/2.csv'), 'id,customer,day,amount\n9,c3,2026-01-09,1\n');
    const outcome = await p.runPipeline(await p.loadPipeline());
    expect(outcome.status).toBe('FAILED');
    const s = outcome.flows.find((f) => f.flow === 's')!;
    expect(s.status).toBe('FAILED');
    expect(s.message).toMatch(/pipelines\/p\/p\.sql:4:25: A window function \(OVER\) over a stream/);
    expect(outcome.flows.find((f) => f.flow === 'raw')!.status).toBe('COMPLETED');
    expect((await p.query('SELECT count(*) FROM s')).rows).toEqual([[2]]);
  });

  it('checks a file stream with its first batch: an aggregation over STREAM read_files fails before its rows are committed', async () => {
    const { dir, project: p } = await project(
      'run-files',
      `CREATE OR REFRESH STREAMING TABLE totals AS
SELECT customer FROM STREAM read_files('landing/orders', format => 'csv');
`,
    );
    expect((await p.runPipeline(await p.loadPipeline())).status).toBe('COMPLETED');
    writeFileSync(
      path.join(dir, 'pipelines/p/p.sql'),
      `CREATE OR REFRESH STREAMING TABLE totals AS
SELECT customer, count(*) AS n FROM STREAM read_files('landing/orders', format => 'csv') GROUP BY customer;
`,
    );
    writeFileSync(path.join(dir, 'landing/orders/2.csv'), 'id,customer,day,amount\n9,c3,2026-01-09,1\n');
    const outcome = await p.runPipeline(await p.loadPipeline());
    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toMatch(/totals: .*p\.sql:2:90: An aggregation/);
    expect((await p.query('SELECT count(*) FROM totals')).rows).toEqual([[2]]);
  });
});
