import { describe, expect, it } from 'vitest';
import { buildGraph, queryReferences, referenceSpans } from './graph.js';
import { keepsRows } from './bronze-pattern.js';
import { parsePipelineSql } from './parse.js';
import { createCatalog } from '../catalog/index.js';

const RETAIL = `-- bronze
CREATE OR REFRESH STREAMING TABLE bronze.orders
COMMENT 'raw order lines, one row per CSV line'
AS SELECT * FROM STREAM read_files('landing/orders/*.csv', format => 'csv',
                                   schemaHints => 'price DECIMAL(12,2)');

CREATE OR REFRESH STREAMING TABLE silver.orders (
  order_id BIGINT NOT NULL,
  CONSTRAINT order_id_present EXPECT (order_id IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT price_positive   EXPECT (price > 0)            ON VIOLATION QUARANTINE,
  CONSTRAINT known_channel    EXPECT (channel IN ('online', 'retail'))
) PARTITIONED BY (order_date) TBLPROPERTIES ('delta.enableChangeDataFeed' = 'true')
AS SELECT * FROM STREAM(LIVE.bronze.orders);

CREATE TEMPORARY VIEW recent AS SELECT * FROM silver.orders WHERE order_date > DATE '2026-01-01';

CREATE OR REFRESH MATERIALIZED VIEW gold.monthly_sales AS
  WITH m AS (SELECT date_trunc('month', order_date) AS month, price FROM recent)
  SELECT month, sum(price) FROM m GROUP BY ALL;

CREATE OR REFRESH STREAMING TABLE gold.fact_sales;
CREATE FLOW company_a AS INSERT INTO gold.fact_sales BY NAME SELECT * FROM STREAM(silver.orders);
CREATE FLOW company_b AS INSERT INTO gold.fact_sales BY NAME SELECT o.*, c.region FROM STREAM(silver.orders) o JOIN gold.dim_region c ON o.city = c.city;
`;

describe('pipeline SQL', () => {
  it('parses datasets, expectations, properties and flows', () => {
    const p = parsePipelineSql(RETAIL, 'pipelines/retail/main.sql');
    expect(p.problems).toEqual([]);
    expect(p.datasets.map((d) => [d.kind, d.name])).toEqual([
      ['streaming-table', 'bronze.orders'],
      ['streaming-table', 'silver.orders'],
      ['temporary-view', 'recent'],
      ['materialized-view', 'gold.monthly_sales'],
      ['streaming-table', 'gold.fact_sales'],
    ]);
    const silver = p.datasets[1];
    // (expr: as DuckDB runs it, `price > 0` marked for its sides' types — spark-compare.ts.)
    expect(silver.expectations.map(({ name, text, action }) => ({ name, text, action }))).toEqual([
      { name: 'order_id_present', text: 'order_id IS NOT NULL', action: 'drop' },
      { name: 'price_positive', text: 'price > 0', action: 'quarantine' },
      { name: 'known_channel', text: "channel IN ('online', 'retail')", action: 'warn' },
    ]);
    expect(silver.expectations[1].expr).toBe('/*scmp(a>*/price/*scmp,*/ > 0/*scmp)*/');
    expect(silver.columns.map((c) => [c.name, c.nullable])).toEqual([['order_id', false]]);
    expect(silver.partitionedBy).toEqual(['order_date']);
    expect(silver.properties).toEqual({ 'delta.enableChangeDataFeed': 'true' });
    expect(silver.where).toEqual({ file: 'pipelines/retail/main.sql', line: 7, column: 35 });
    expect(p.datasets[0].comment).toBe('raw order lines, one row per CSV line');
    expect(p.flows.map((f) => [f.name, f.kind, f.target])).toEqual([
      ['company_a', 'append', 'gold.fact_sales'],
      ['company_b', 'append', 'gold.fact_sales'],
    ]);
  });

  it('finds what a query reads: streams, tables, files; not CTEs or table functions', () => {
    const r = queryReferences(
      `WITH x AS (SELECT * FROM a.b) SELECT * FROM x JOIN STREAM(live.c.d) USING (k), e, range(3) r, STREAM read_files('f/*.csv')`,
    );
    expect(r.tables).toEqual([
      { name: 'a.b', streaming: false, offset: 25 },
      { name: 'c.d', streaming: true, offset: 58 },
      { name: 'default.e', streaming: false, offset: 79 },
    ]);
    expect(r.files).toEqual([{ call: "read_files('f/*.csv')", streaming: true }]);
  });

  it('knows which file flows keep every row (they stream from the files in one pass)', () => {
    const keeps = (q: string) =>
      keepsRows(
        q,
        referenceSpans(q).find((s) => s.call)!,
      );
    const src = `STREAM read_files('landing/x/*.csv', format => 'csv')`;
    expect(keeps(`SELECT * FROM ${src}`)).toBe(true);
    expect(keeps(`SELECT *, _metadata.file_name AS f, current_timestamp() AS t FROM ${src} AS r`)).toBe(true);
    expect(keeps(`select r.*, upper(a) from ${src} r;`)).toBe(true);
    expect(keeps(`SELECT a, b FROM ${src}`)).toBe(false); // drops the audit columns the counts need
    expect(keeps(`SELECT * EXCLUDE (a) FROM ${src}`)).toBe(false);
    expect(keeps(`SELECT DISTINCT * FROM ${src}`)).toBe(false);
    expect(keeps(`SELECT * FROM ${src} WHERE a > 1`)).toBe(false);
    expect(keeps(`SELECT *, explode(split(a, ',')) AS p FROM ${src}`)).toBe(false);
    expect(keeps(`SELECT * FROM ${src} JOIN silver.t USING (a)`)).toBe(false);
    expect(keeps(`SELECT count(*) FROM ${src}`)).toBe(false);
  });

  it('orders the updates by dependency; every problem reported together with file:line:column', () => {
    const p = parsePipelineSql(RETAIL, 'main.sql');
    const g = buildGraph(p.datasets, p.flows, new Map([['main.sql', RETAIL]]), (n) => n === 'gold.dim_region');
    expect(g.problems).toEqual([]);
    const order = g.order.map((n) => n.id);
    const before = (a: string, b: string) => expect(order.indexOf(a)).toBeLessThan(order.indexOf(b));
    before('bronze.orders', 'silver.orders');
    before('silver.orders', 'default.recent');
    before('default.recent', 'gold.monthly_sales');
    before('silver.orders', 'flow:company_a');
    before('silver.orders', 'flow:company_b');

    const bad = `CREATE OR REFRESH STREAMING TABLE a AS SELECT * FROM STREAM(b);
CREATE OR REFRESH STREAMING TABLE b AS SELECT * FROM STREAM(a);
CREATE OR REFRESH MATERIALIZED VIEW m AS SELECT * FROM nowhere.t;
CREATE OR REFRESH STREAMING TABLE s AS SELECT * FROM STREAM(m);
CREATE OR REFRESH MATERIALIZED VIEW m AS SELECT 1;
CREATE OR REFRESH STREAMING TABLE lonely;
CREATE OR REFRESH MATERIALIZED VIEW broken AS;
CREATE FLOW f AS INSERT INTO m BY NAME SELECT 1;`;
    const q = parsePipelineSql(bad, 'bad.sql');
    const h = buildGraph(q.datasets, q.flows, new Map([['bad.sql', bad]]), () => false);
    const problems = [...q.problems, ...h.problems].map(
      (x) => `${x.code} ${x.where.file}:${x.where.line}:${x.where.column}`,
    );
    expect(problems.sort()).toEqual(
      [
        'SYNTAX bad.sql:7:46',
        'DUPLICATE_NAME bad.sql:5:37',
        'FLOW_TARGET bad.sql:8:1',
        'NO_SOURCE bad.sql:6:35',
        'UNKNOWN_TABLE bad.sql:3:56',
        'STREAM_OF_MATERIALIZED_VIEW bad.sql:4:61',
        'CYCLE bad.sql:1:35',
      ].sort(),
    );
    expect(h.problems.find((x) => x.code === 'CYCLE')!.message).toMatch(
      /default\.a → default\.b → default\.a|default\.b → default\.a → default\.b/,
    );
  });

  it('reads AUTO CDC flows and the older APPLY CHANGES INTO; a bad clause is placed in its file', () => {
    const sql = `CREATE OR REFRESH STREAMING TABLE dim;
CREATE OR REFRESH STREAMING TABLE hist;
CREATE FLOW dim_flow AS AUTO CDC INTO dim FROM STREAM(raw.changes) KEYS (id) SEQUENCE BY ts STORED AS SCD TYPE 1;
APPLY CHANGES INTO LIVE.hist FROM STREAM(LIVE.dim_src) KEYS (id, region) SEQUENCE BY struct(ts, n) COLUMNS * EXCEPT (op) STORED AS SCD TYPE 2;
CREATE FLOW broken AS AUTO CDC INTO dim FROM STREAM(raw.changes)
  SEQUENCE BY ts;`;
    const p = parsePipelineSql(sql, 'cdc.sql');
    expect(p.flows.map((f) => [f.name, f.kind, f.target, f.query, f.cdc?.keys, f.cdc?.scdType])).toEqual([
      ['dim_flow', 'auto-cdc', 'dim', 'SELECT * FROM STREAM(raw.changes)', ['id'], 1],
      ['hist', 'auto-cdc', 'hist', 'SELECT * FROM STREAM(LIVE.dim_src)', ['id', 'region'], 2],
    ]);
    expect(p.problems.map((x) => `${x.where.line}:${x.where.column} ${x.message}`)).toEqual([
      '6:17 broken: KEYS (...) is required',
    ]);
    const g = buildGraph(p.datasets, p.flows, new Map([['cdc.sql', sql]]), () => true);
    expect(g.nodes.filter((n) => n.flow).map((n) => n.reads.map((r) => `${r.name} ${r.streaming}`))).toEqual([
      ['raw.changes true'],
      ['default.dim_src true'],
    ]);
  });
});

describe('a project pipeline', () => {
  it('loads every .sql file of pipelines/<name>/ as one graph; tables of the lake may be read', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const { loadPipeline, listPipelines, formatProblems } = await import('./project.js');
    const project = mkdtempSync(path.join(tmpdir(), 'strata-pipeline-'));
    try {
      mkdirSync(path.join(project, 'pipelines/retail'), { recursive: true });
      mkdirSync(path.join(project, 'lake/ref/cities/_delta_log'), { recursive: true });
      // A table exists once its first commit has landed.
      writeFileSync(path.join(project, 'lake/ref/cities/_delta_log/00000000000000000000.json'), '{}\n');
      writeFileSync(
        path.join(project, 'pipelines/retail/1_bronze.sql'),
        `CREATE OR REFRESH STREAMING TABLE bronze.orders AS SELECT * FROM STREAM read_files('landing/orders');`,
      );
      writeFileSync(
        path.join(project, 'pipelines/retail/2_silver.sql'),
        `CREATE OR REFRESH MATERIALIZED VIEW silver.orders AS SELECT o.*, c.region FROM bronze.orders o JOIN ref.cities c USING (city);\nCREATE OR REFRESH MATERIALIZED VIEW silver.bad AS SELECT * FROM missing.table;`,
      );
      expect(await listPipelines(project)).toEqual(['retail']);
      const p = await loadPipeline(createCatalog({ projectDir: project }), 'retail');
      expect(p.files).toEqual(['pipelines/retail/1_bronze.sql', 'pipelines/retail/2_silver.sql']);
      expect(p.order.map((n) => n.id)).toEqual(['bronze.orders', 'silver.bad', 'silver.orders']);
      expect(formatProblems(p.problems)).toBe(
        'pipelines/retail/2_silver.sql:2:65: UNKNOWN_TABLE missing.table is not defined in the pipeline and no such table exists',
      );
      await expect(loadPipeline(createCatalog({ projectDir: project }), 'nope')).rejects.toThrow(
        /no pipeline nope .*\(pipelines: retail\)/,
      );
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});
