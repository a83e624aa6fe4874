// The retail reference pipeline (examples/retail) on generated files: every
// defect the generator planted is caught and counted in the event log, every
// input row is in a table or accounted for, and the KPIs equal the figures the
// generator kept while writing the files (computed in JavaScript, line by line,
// independently of the pipeline's SQL) — after the first run, and after new
// days land one at a time.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunOutcome } from '../../src/project/index.js';
import {
  generateRetail,
  generateRetailDay,
  RETAIL_DEFAULTS,
  retailTruth,
  type RetailTruth,
} from '../../src/retail/generate.js';
import { copyRetailTemplate, landRetailDay, landRetailHistory } from '../../src/retail/project.js';
import { makeWorld } from '../../src/retail/world.js';
import { executeQuery } from '../../src/sql/index.js';
import { runJob } from '../../src/orchestrate/index.js';
import { projectAt, useTestBed } from '../helpers/harness.js';

const bed = useTestBed('retail');
// 62 days from 2024-11-01: a missing startup month (December), price updates on days 30 and
// 60, the 2025 gross prices on day 61.
const SETTINGS = { seed: 7, days: 62, rowsPerDay: 120 };

function digest(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (!name.startsWith('.')) h.update(`${path.relative(dir, p)}\n`).update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex');
}

/** An amount (a DECIMAL(…, 2) as text or a number) in cents, exactly. */
const cents = (v: unknown) => {
  const [whole, frac = ''] = String(v).split('.');
  if (frac.length > 2 && /[1-9]/.test(frac.slice(2))) throw new Error(`${String(v)} has more than two decimals`);
  return BigInt(whole) * 100n + BigInt((frac + '00').slice(0, 2));
};

describe('the retail generator', () => {
  it('writes the same files for the same seed, and a day landed later equals the same day landed at once', () => {
    const a = path.join(bed.dir, 'gen-a');
    const b = path.join(bed.dir, 'gen-b');
    const c = path.join(bed.dir, 'gen-c');
    generateRetail({ dir: a, seed: 3, days: 35, rowsPerDay: 40 });
    generateRetail({ dir: b, seed: 3, days: 33, rowsPerDay: 40 });
    generateRetailDay({ dir: b, seed: 3, rowsPerDay: 40, day: 33 });
    generateRetailDay({ dir: b, seed: 3, rowsPerDay: 40, day: 34 });
    generateRetail({ dir: c, seed: 4, days: 35, rowsPerDay: 40 });
    expect(digest(b)).toBe(digest(a));
    expect(digest(c)).not.toBe(digest(a));
    // The truth does not depend on writing either.
    const t = retailTruth({ seed: 3, days: 35, rowsPerDay: 40 });
    expect(t.revenueCents).toBe(
      generateRetail({ dir: path.join(bed.dir, 'gen-d'), seed: 3, days: 35, rowsPerDay: 40 }).revenueCents,
    );
  });

  it('plants every kind of defect in the default history', () => {
    const d = retailTruth({}).defects;
    for (const [kind, n] of Object.entries(d)) expect(Array.isArray(n) ? n.length : n, kind).toBeGreaterThan(0);
  });
});

describe('examples/retail', () => {
  it("catches every planted defect, accounts for every row, and gives the generator's figures; new days are added incrementally", async () => {
    const dir = path.join(bed.dir, 'shop');
    copyRetailTemplate(dir);
    const truth = landRetailHistory(dir, SETTINGS);
    const project = await projectAt(bed, dir);
    const pipeline = await project.loadPipeline('retail');
    expect(pipeline.problems).toEqual([]);
    const run = async (): Promise<RunOutcome> => {
      const outcome = await project.runPipeline(pipeline, { maxParallel: 2 });
      expect(outcome.status, outcome.error).toBe('COMPLETED');
      return outcome;
    };
    const rows = async (q: string) => (await bed.engine.withSession((s) => executeQuery(s, q, { baseDir: dir }))).rows;
    const failed = (o: RunOutcome, dataset: string, name: string) =>
      o.flows
        .flatMap((f) => f.expectations)
        .filter((e) => e.dataset === dataset && e.name === name)
        .reduce((n, e) => n + e.failed_records, 0);

    const first = await run();
    const d = truth.defects;
    // Each planted defect, caught by its expectation.
    expect({
      messyNames: failed(first, 'silver.customers', 'name_well_formed'),
      misspeltCities: failed(first, 'silver.customers', 'city_spelled_right'),
      missingCities: failed(first, 'silver.customers', 'city_present'),
      duplicateCustomers: failed(first, 'silver.customer_duplicates', 'one_row_per_customer'),
      misspeltCategories: failed(first, 'silver.products', 'category_spelled_right'),
      negativePrices: failed(first, 'silver.products', 'price_positive'),
      nonNumericPrices: failed(first, 'silver.products', 'price_is_number'),
      nonIsoDates: failed(first, 'silver.orders', 'order_date_iso'),
      duplicateOrderLines: failed(first, 'silver.order_line_duplicates', 'one_row_per_order_line'),
      missingMonths: failed(first, 'gold.dq_monthly_coverage', 'company_reported'),
    }).toEqual({ ...d, missingMonths: d.missingMonths.length });
    expect(d.missingMonths).toEqual(['2024-12']);
    expect(d.negativePrices + d.nonNumericPrices).toBeGreaterThan(0);
    // ... and in the event log, as the same counts.
    const logged = await rows(`
      SELECT e.dataset, e.name, sum(e.failed_records)::INT
      FROM (SELECT unnest(from_json(json_extract(details, '$.flow_progress.data_quality.expectations'), '[{"name":"VARCHAR","dataset":"VARCHAR","passed_records":"BIGINT","failed_records":"BIGINT"}]')) AS e
            FROM system.event_log WHERE event_type = 'flow_progress' AND origin.update_id = '${first.updateId}')
      WHERE e.failed_records > 0 GROUP BY ALL ORDER BY 1, 2`);
    expect(logged).toEqual(
      [
        ['gold.dq_monthly_coverage', 'company_reported', 1],
        ['silver.customer_duplicates', 'one_row_per_customer', d.duplicateCustomers],
        ['silver.customers', 'city_present', d.missingCities],
        ['silver.customers', 'city_spelled_right', d.misspeltCities],
        ['silver.customers', 'name_well_formed', d.messyNames],
        ['silver.order_line_duplicates', 'one_row_per_order_line', d.duplicateOrderLines],
        ['silver.orders', 'order_date_iso', d.nonIsoDates],
        ['silver.products', 'category_spelled_right', d.misspeltCategories],
        ['silver.products', 'price_is_number', d.nonNumericPrices],
        ['silver.products', 'price_positive', d.negativePrices],
      ].filter((r) => r[2] !== 0),
    );

    // Nothing lost: bronze rows = silver rows + dropped + quarantined, per entity.
    for (const [bronze, silver] of [
      [['bronze.parent_orders', 'bronze.startup_orders'], 'silver.orders'],
      [['bronze.parent_customers', 'bronze.startup_customers'], 'silver.customers'],
      [['bronze.parent_gross_prices', 'bronze.startup_products'], 'silver.products'],
    ] as const) {
      const [[inRows]] = await rows(`SELECT (SELECT count(*) FROM ${bronze[0]}) + (SELECT count(*) FROM ${bronze[1]})`);
      const [[outRows]] = await rows(`SELECT count(*) FROM ${silver}`);
      const gone = first.flows.filter((f) => f.dataset === silver).reduce((n, f) => n + f.dropped + f.quarantined, 0);
      expect(Number(inRows), silver).toBe(Number(outRows) + gone);
    }
    expect(await rows('SELECT count(*) FROM silver.products_quarantine')).toEqual([
      [d.negativePrices + d.nonNumericPrices],
    ]);

    // Cleaned dimensions: every startup name tidy, every city from the reference list or Unknown.
    expect(
      await rows(
        `SELECT count(*) FROM gold.dim_customer WHERE company = 'startup' AND NOT regexp_full_match(customer_name, '[A-Z][a-z]+ [A-Z][a-z]+')`,
      ),
    ).toEqual([[0]]);
    expect(
      await rows(
        `SELECT count(*) FROM gold.dim_customer WHERE city NOT IN (SELECT city FROM silver.ref_cities) AND city <> 'Unknown'`,
      ),
    ).toEqual([[0]]);
    expect(await rows(`SELECT count(*), count(*) FILTER (WHERE city = 'Unknown') FROM gold.dim_customer`)).toEqual([
      [64, truth.customersWithoutCity],
    ]);
    expect(await rows('SELECT count(*), count(DISTINCT product_id) FROM gold.dim_product')).toEqual([
      [truth.productVersions, 25], // 19 parent product codes (10 products in their variants) and 6 startup SKUs
    ]);
    expect(
      await rows(
        `SELECT variant, count(*) FROM gold.dim_product WHERE __END_AT IS NULL GROUP BY variant ORDER BY variant`,
      ),
    ).toEqual([
      ['Plus', 6],
      ['Premium', 4],
      ['Standard', 15],
    ]);

    await expectFigures(rows, truth);

    // Two more days land, one update each: only the new lines are read, and the figures follow.
    for (let i = 0; i < 2; i++) landRetailDay(dir);
    const next = await run();
    const later = retailTruth({ ...SETTINGS, days: SETTINGS.days + 2 });
    expect(next.flows.find((f) => f.flow === 'fact_sales_lines')!.rowsWritten).toBe(
      later.orderLines - truth.orderLines,
    );
    await expectFigures(rows, later);
    // The monthly aggregate was merged, not recomputed.
    const history = await bed.engine.withSession((s) =>
      executeQuery(s, 'DESCRIBE HISTORY gold.agg_monthly_sales', { baseDir: dir }),
    );
    const at = (name: string) => history.columns.findIndex((c) => c.name === name);
    const latest = history.rows.reduce((a, b) => (Number(b[at('version')]) > Number(a[at('version')]) ? b : a));
    expect(latest[at('operation')]).toBe('MERGE');
  }, 120_000);
});

async function expectFigures(rows: (q: string) => Promise<unknown[][]>, t: RetailTruth): Promise<void> {
  const [[revenue, quantity, customers, lines]] = await rows(
    'SELECT total_revenue, total_quantity, unique_customers, order_lines FROM gold.kpi_overview',
  );
  expect([cents(revenue), Number(quantity), Number(customers), Number(lines)]).toEqual([
    t.revenueCents,
    t.quantity,
    t.customers,
    t.orderLines,
  ]);
  const months = await rows(
    `SELECT strftime(month, '%Y-%m'), revenue, quantity, order_lines FROM gold.kpi_monthly_revenue ORDER BY month`,
  );
  expect(months.map(([m, r, q, n]) => [m, cents(r), Number(q), Number(n)])).toEqual(
    [...t.byMonth].sort().map(([m, x]) => [m, x.revenueCents, x.quantity, x.lines]),
  );
  const channels = await rows('SELECT channel, revenue FROM gold.kpi_channel_share ORDER BY channel');
  expect(channels.map(([c, r]) => [c, cents(r)])).toEqual([...t.byChannel].sort());
  const top = [...t.byProduct].sort((a, b) => (b[1] > a[1] ? 1 : b[1] < a[1] ? -1 : 0));
  const products = await rows('SELECT product_id, revenue FROM gold.kpi_top_products ORDER BY rank, product_id');
  expect(products.map(([p, r]) => [p, cents(r)])).toEqual(top.slice(0, 10));
  // Variant performance: the generator's revenue per product code, summed by its variant.
  const world = makeWorld(SETTINGS.seed, RETAIL_DEFAULTS.start);
  const byVariant = new Map<string, bigint>();
  for (const [id, amount] of t.byProduct) {
    const variant = world.products.find((p) => p.id === id)!.variant;
    byVariant.set(variant, (byVariant.get(variant) ?? 0n) + amount);
  }
  const variants = await rows(
    `SELECT p.variant, sum(s.revenue) FROM gold.agg_monthly_sales s JOIN gold.dim_product p ON p.product_id = s.product_id AND p.__END_AT IS NULL GROUP BY p.variant ORDER BY p.variant`,
  );
  expect(variants.map(([v, r]) => [v, cents(r)])).toEqual([...byVariant].sort());
  const topCustomers = [...t.byCustomer].sort((a, b) => (b[1] > a[1] ? 1 : b[1] < a[1] ? -1 : 0));
  const customersTop = await rows('SELECT customer_id, revenue FROM gold.kpi_top_customers ORDER BY rank, customer_id');
  expect(customersTop.map(([c, r]) => [c, cents(r)])).toEqual(topCustomers.slice(0, 10));
}

describe("examples/retail's job", () => {
  it('pipeline, KPIs as task values, and the data-quality alert on the quarantined share', async () => {
    const dir = path.join(bed.dir, 'shop-job');
    copyRetailTemplate(dir);
    landRetailHistory(dir, SETTINGS);
    const project = await projectAt(bed, dir);
    const out = await runJob(project, 'daily_refresh');
    expect(out.tasks.map((t) => [t.taskKey, t.result])).toEqual([
      ['refresh', 'SUCCESS'],
      ['kpis', 'SUCCESS'],
      ['dq_alert', 'SUCCESS'],
    ]);
    expect(out.result).toBe('SUCCESS');
    const values = async (task: string) =>
      JSON.parse(
        String(
          (
            await project.query(
              `SELECT task_values FROM system.job_task_runs WHERE run_id = ${out.runId} AND task_key = '${task}'`,
            )
          ).rows[0][0],
        ),
      ) as Record<string, string>;
    const kpis = await values('kpis');
    const overview = await project.query(
      'SELECT CAST(total_revenue AS STRING), CAST(order_lines AS STRING) FROM gold.kpi_overview',
    );
    expect([kpis.total_revenue, kpis.order_lines]).toEqual(overview.rows[0]);
    // The alert's value: the quarantined share of the order lines today's update read (the event
    // log's counts, against the bronze tables' rows and the pipeline's own quarantine counts).
    const refresh = out.tasks[0];
    expect(refresh.result).toBe('SUCCESS');
    const [[lines]] = (
      await project.query(
        'SELECT (SELECT count(*) FROM bronze.parent_orders) + (SELECT count(*) FROM bronze.startup_orders)',
      )
    ).rows;
    const [[quarantined]] = (
      await project.query(
        `SELECT coalesce(sum(CAST(get_json_object(details, '$.flow_progress.data_quality.quarantined_records') AS BIGINT)), 0)
         FROM system.event_log WHERE event_type = 'flow_progress' AND origin.dataset_name = 'silver.orders'`,
      )
    ).rows;
    const pct = Math.round((10000 * Number(quarantined)) / Number(lines)) / 100;
    const dq = await values('dq_alert');
    expect(Number(dq.value)).toBeCloseTo(pct, 2);
    expect(dq.state).toBe(pct > 1 ? 'TRIGGERED' : 'OK');
  });
});
