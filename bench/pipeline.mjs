// Pipeline benchmarks (the pipelines issue's targets), each against a reference
// measured in the same run:
//   1. bronze → silver → gold over N order lines (default 10 million, in 100
//      CSV files) and two dimensions: ingest, cleaning with five expectations,
//      a join to both dimensions, a monthly aggregate — `strata run` on a fresh
//      project against a hand-written DuckDB script doing the same work and
//      writing each layer to Parquet (≤ 1.5×);
//   2. after 1% new files land, an update against a full refresh of the same
//      pipeline (≤ 10%).
import { existsSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine, quoteLiteral } from '../dist/engine/index.js';
import { loadPipeline, runPipeline } from '../dist/pipeline/index.js';
import { createCatalog } from '../dist/catalog/index.js';
import { fileSources } from '../dist/ingest/index.js';
import { executeQuery } from '../dist/sql/index.js';
import { fmtMs, machineLine, markdownTable, median, parseArgsOrExit, timeIt } from './lib/util.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = parseArgsOrExit(process.argv.slice(2), { rows: 10_000_000, files: 100, rounds: 1, fresh: false });
const root = path.join(here, 'data', 'pipeline');
const landing = path.join(root, 'landing');
const log = (m) => process.stderr.write(`${m}\n`);
const engine = await Engine.create({});
const perFile = Math.ceil(args.rows / args.files);

const PIPELINE = `
CREATE OR REFRESH STREAMING TABLE bronze.orders AS SELECT * FROM STREAM read_files('landing/orders/*.csv', format => 'csv');
CREATE OR REFRESH STREAMING TABLE bronze.customers AS SELECT * FROM STREAM read_files('landing/customers/*.csv', format => 'csv');
CREATE OR REFRESH STREAMING TABLE bronze.products AS SELECT * FROM STREAM read_files('landing/products/*.csv', format => 'csv');

CREATE OR REFRESH STREAMING TABLE silver.orders (
  CONSTRAINT id_present    EXPECT (order_id IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT date_valid    EXPECT (order_date IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT qty_positive  EXPECT (quantity > 0) ON VIOLATION DROP ROW,
  CONSTRAINT price_valid   EXPECT (price >= 0),
  CONSTRAINT known_channel EXPECT (channel IN ('online', 'retail', 'phone'))
) AS SELECT CAST(order_id AS BIGINT) AS order_id, TRY_CAST(order_date AS DATE) AS order_date, customer_id, product_id,
            TRY_CAST(quantity AS INT) AS quantity, TRY_CAST(price AS DECIMAL(12,2)) AS price, lower(trim(channel)) AS channel
FROM STREAM(bronze.orders);

CREATE OR REFRESH MATERIALIZED VIEW silver.customers AS SELECT customer_id, initcap_country AS country FROM (SELECT customer_id, upper(country) AS initcap_country FROM bronze.customers);
CREATE OR REFRESH MATERIALIZED VIEW silver.products AS SELECT product_id, category FROM bronze.products;

CREATE OR REFRESH MATERIALIZED VIEW gold.monthly_sales AS
SELECT date_trunc('month', o.order_date)::DATE AS month, c.country, p.category, o.channel,
       sum(o.quantity * o.price) AS revenue, sum(o.quantity) AS units, count(*) AS lines
FROM silver.orders o JOIN silver.customers c USING (customer_id) JOIN silver.products p USING (product_id)
GROUP BY ALL;
`;

/** The same work as a plain DuckDB script: each layer written to Parquet. */
const script = (out) => `
COPY (SELECT * FROM read_csv('${landing}/orders/*.csv', all_varchar = true, filename = true)) TO '${out}/bronze_orders.parquet' (FORMAT parquet);
COPY (SELECT * FROM read_csv('${landing}/customers/*.csv', all_varchar = true)) TO '${out}/bronze_customers.parquet' (FORMAT parquet);
COPY (SELECT * FROM read_csv('${landing}/products/*.csv', all_varchar = true)) TO '${out}/bronze_products.parquet' (FORMAT parquet);
COPY (SELECT * FROM (SELECT CAST(order_id AS BIGINT) AS order_id, TRY_CAST(order_date AS DATE) AS order_date, customer_id, product_id,
            TRY_CAST(quantity AS INT) AS quantity, TRY_CAST(price AS DECIMAL(12,2)) AS price, lower(trim(channel)) AS channel
      FROM '${out}/bronze_orders.parquet') WHERE order_id IS NOT NULL AND order_date IS NOT NULL AND coalesce(quantity > 0, false))
  TO '${out}/silver_orders.parquet' (FORMAT parquet);
COPY (SELECT customer_id, upper(country) AS country FROM '${out}/bronze_customers.parquet') TO '${out}/silver_customers.parquet' (FORMAT parquet);
COPY (SELECT product_id, category FROM '${out}/bronze_products.parquet') TO '${out}/silver_products.parquet' (FORMAT parquet);
COPY (SELECT date_trunc('month', o.order_date)::DATE AS month, c.country, p.category, o.channel,
       sum(o.quantity * o.price) AS revenue, sum(o.quantity) AS units, count(*) AS lines
      FROM '${out}/silver_orders.parquet' o JOIN '${out}/silver_customers.parquet' c USING (customer_id) JOIN '${out}/silver_products.parquet' p USING (product_id)
      GROUP BY ALL) TO '${out}/gold_monthly_sales.parquet' (FORMAT parquet);
`;

async function generate(s, first, count) {
  mkdirSync(path.join(landing, 'orders'), { recursive: true });
  for (let f = first; f < first + count; f++) {
    const lo = f * perFile;
    // About 1 line in 1,000 is bad: no id, a bad date, a zero quantity, a negative price, an unknown channel.
    await s.exec(`COPY (SELECT CASE WHEN range % 4001 = 7 THEN NULL ELSE range END AS order_id,
        CASE WHEN range % 3989 = 5 THEN '2024-13-45' ELSE (DATE '2023-01-01' + (range % 730)::INT)::VARCHAR END AS order_date,
        'C' || (hash(range) % 100000) AS customer_id, 'P' || (hash(range * 3) % 2000) AS product_id,
        CASE WHEN range % 4003 = 3 THEN 0 ELSE 1 + range % 9 END AS quantity,
        CASE WHEN range % 4007 = 1 THEN -1 ELSE (hash(range * 7) % 100000) / 100.0 END AS price,
        CASE WHEN range % 4013 = 2 THEN ' Online ' ELSE ['online', 'retail', 'phone', 'fax'][1 + (CASE WHEN range % 4019 = 4 THEN 3 ELSE range % 3 END)] END AS channel
      FROM range(${lo}, ${lo + perFile})) TO ${quoteLiteral(path.join(landing, 'orders', `orders-${String(f).padStart(5, '0')}.csv`))} (HEADER)`);
  }
}

await engine.withSession(async (s) => {
  console.log(
    `# pipeline: bronze → silver → gold (${args.rows.toLocaleString('en-US')} order lines in ${args.files} files)\n`,
  );
  console.log(`Machine: ${await machineLine(s)}\n`);
  const marker = path.join(root, `READY-${args.rows}-${args.files}.json`);
  if (!existsSync(marker) || args.fresh) {
    rmSync(root, { recursive: true, force: true });
    log('generating landing files ...');
    await generate(s, 0, args.files);
    mkdirSync(path.join(landing, 'customers'), { recursive: true });
    mkdirSync(path.join(landing, 'products'), { recursive: true });
    await s.exec(
      `COPY (SELECT 'C' || range AS customer_id, ['fr', 'de', 'es', 'it'][1 + range % 4] AS country FROM range(100000)) TO ${quoteLiteral(path.join(landing, 'customers/customers.csv'))} (HEADER)`,
    );
    await s.exec(
      `COPY (SELECT 'P' || range AS product_id, ['toys', 'books', 'garden'][1 + range % 3] AS category FROM range(2000)) TO ${quoteLiteral(path.join(landing, 'products/products.csv'))} (HEADER)`,
    );
    writeFileSync(marker, JSON.stringify(args));
  }
  rmSync(path.join(landing, 'orders-new'), { recursive: true, force: true });
  for (const f of (await import('node:fs'))
    .readdirSync(path.join(landing, 'orders'))
    .filter((f) => f.startsWith('new-')))
    rmSync(path.join(landing, 'orders', f));
  mkdirSync(path.join(root, 'pipelines/main'), { recursive: true });
  writeFileSync(path.join(root, 'pipelines/main/pipeline.sql'), PIPELINE);
  const catalog = createCatalog({ projectDir: root });
  const pipeline = await loadPipeline(catalog, 'main');
  if (pipeline.problems.length) throw new Error(JSON.stringify(pipeline.problems));
  const run = (opts = {}) =>
    runPipeline(s, pipeline, {
      catalog,
      parallel: { engine, max: 2 },
      ...opts,
    });

  // 1. A fresh project against the script.
  const ours = [];
  const theirs = [];
  let outcome;
  for (let round = 0; round < args.rounds; round++) {
    const out = path.join(root, 'script-out');
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    theirs.push((await timeIt(() => s.exec(script(out)))).ms);
    rmSync(path.join(root, 'lake'), { recursive: true, force: true });
    const t = await timeIt(() => run());
    outcome = t.result;
    ours.push(t.ms);
    if (outcome.status !== 'COMPLETED') throw new Error(outcome.error);
    log(`round ${round}: strata run ${fmtMs(ours.at(-1))} ms, DuckDB script ${fmtMs(theirs.at(-1))} ms`);
    // Same gold as the script.
    const diff = (
      await executeQuery(
        s,
        `SELECT count(*) FROM ((SELECT * FROM gold.monthly_sales EXCEPT ALL SELECT * FROM '${out}/gold_monthly_sales.parquet') UNION ALL (SELECT * FROM '${out}/gold_monthly_sales.parquet' EXCEPT ALL SELECT * FROM gold.monthly_sales))`,
        { baseDir: root, files: fileSources },
      )
    ).rows[0][0];
    if (Number(diff) !== 0) throw new Error(`gold differs from the script's: ${diff} rows`);
  }
  const ratio = median(ours) / median(theirs);
  console.log('## 1. bronze → silver → gold, first run\n');
  console.log(
    markdownTable(
      ['order lines', 'strata run ms', 'DuckDB script ms', 'ratio', '≤ 1.5×'],
      [
        [
          args.rows.toLocaleString('en-US'),
          fmtMs(median(ours)),
          fmtMs(median(theirs)),
          `${ratio.toFixed(2)}×`,
          ratio <= 1.5 ? 'yes' : 'no',
        ],
      ],
    ),
  );
  console.log('\nPer flow (first run):\n');
  console.log(
    markdownTable(
      ['flow', 'read', 'written', 'dropped', 'ms'],
      outcome.flows.map((f) => [
        f.flow,
        f.rowsRead.toLocaleString('en-US'),
        f.rowsWritten.toLocaleString('en-US'),
        f.dropped.toLocaleString('en-US'),
        fmtMs(f.durationMs),
      ]),
    ),
  );

  // 2. 1% new files: an update against a full refresh.
  const extra = Math.max(1, Math.round(args.files / 100));
  const before = perFile * args.files;
  for (let f = 0; f < extra; f++) {
    const lo = before + f * perFile;
    await s.exec(`COPY (SELECT range AS order_id, (DATE '2024-12-01' + (range % 30)::INT)::VARCHAR AS order_date, 'C' || (hash(range) % 100000) AS customer_id,
        'P' || (hash(range * 3) % 2000) AS product_id, 1 + range % 9 AS quantity, (hash(range * 7) % 100000) / 100.0 AS price, 'online' AS channel
      FROM range(${lo}, ${lo + perFile})) TO ${quoteLiteral(path.join(landing, 'orders', `new-${f}.csv`))} (HEADER)`);
    // Landed a while before the update starts, as on a schedule: a file written in the last
    // 0.5 s is given the rest of that time to settle first (docs/ingestion.md), a wait, not work.
    const landed = new Date(Date.now() - 2000);
    utimesSync(path.join(landing, 'orders', `new-${f}.csv`), landed, landed);
  }
  const inc = await timeIt(() => run());
  if (inc.result.status !== 'COMPLETED') throw new Error(inc.result.error);
  const goldRows = async () =>
    JSON.stringify(
      (await executeQuery(s, `SELECT * FROM gold.monthly_sales ORDER BY ALL`, { baseDir: root, files: fileSources }))
        .rows,
      (_, v) => (typeof v === 'bigint' ? String(v) : v),
    );
  const incremental = await goldRows();
  const full = await timeIt(() => run({ fullRefresh: 'all', force: true }));
  if (full.result.status !== 'COMPLETED') throw new Error(full.result.error);
  // The update's gold (merged incrementally) is the full refresh's.
  if (incremental !== (await goldRows()))
    throw new Error('gold after the update differs from gold after a full refresh');
  const share = inc.ms / full.ms;
  console.log(
    `\n## 2. An update after ${extra} new file(s) (${(extra * perFile).toLocaleString('en-US')} lines, ${((100 * extra) / args.files).toFixed(1)}%)\n`,
  );
  console.log(
    markdownTable(
      ['update ms', 'full refresh ms', 'update / full refresh', '≤ 10%'],
      [[fmtMs(inc.ms), fmtMs(full.ms), `${(share * 100).toFixed(1)}%`, share <= 0.1 ? 'yes' : 'no']],
    ),
  );
  console.log('\nPer flow (update):\n');
  console.log(
    markdownTable(
      ['flow', 'status', 'written', 'ms'],
      inc.result.flows.map((f) => [
        f.flow,
        f.status.toLowerCase(),
        f.rowsWritten.toLocaleString('en-US'),
        fmtMs(f.durationMs),
      ]),
    ),
  );
});
engine.close();
