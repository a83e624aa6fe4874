// The compatibility suite (issue 19, "Proof"): whole pipelines written in the forms real
// Databricks pipelines use — notebook exports with MAGIC cells, the older DLT statements
// (STREAMING LIVE TABLE, LIVE TABLE, LIVE. names, APPLY CHANGES INTO), cloud_files with its map of
// options, double-quoted COMMENT and TBLPROPERTIES, PARTITIONED BY, ${parameters} from the
// pipeline's configuration, Spark functions (from_unixtime, TIMESTAMP(), DATE(), date_format,
// * EXCEPT) — each run twice with files landed in between. Every expected table is computed
// here, in JavaScript, from the rows the test writes, independently of Strata's SQL.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectAt, useTestBed } from '../helpers/harness.js';

const bed = useTestBed('compat-suite');

function setUp(name: string, sql: string, yaml = ''): string {
  const dir = path.join(bed.dir, name);
  mkdirSync(path.join(dir, 'pipelines', 'main'), { recursive: true });
  writeFileSync(path.join(dir, 'pipelines', 'main', 'main.sql'), sql);
  if (yaml) writeFileSync(path.join(dir, 'strata.yaml'), yaml);
  return dir;
}
function land(dir: string, file: string, text: string): void {
  mkdirSync(path.dirname(path.join(dir, 'landing', file)), { recursive: true });
  writeFileSync(path.join(dir, 'landing', file), text);
}

// ---------------------------------------------------------------------------------------------
// A. The classic retail pipeline shape: raw orders (epoch seconds, some without an order number)
// and a customer file, cleaned and joined in silver, summed per city and day in gold.

const RETAIL = `-- Databricks notebook source
-- MAGIC %md
-- MAGIC # Retail sales (DLT SQL)

-- COMMAND ----------

SET pipelines.trigger.interval = '1 hour';

CREATE OR REFRESH STREAMING LIVE TABLE sales_orders_raw
COMMENT "Raw orders, as the shop exports them."
TBLPROPERTIES ("quality" = "bronze")
AS SELECT * FROM cloud_files("\${source}/orders", "csv", map("header", "true"))

-- COMMAND ----------

CREATE OR REFRESH LIVE TABLE customers
COMMENT "The customer list."
AS SELECT * FROM read_files("\${source}/customers.csv", format => "csv")

-- COMMAND ----------

CREATE OR REFRESH STREAMING LIVE TABLE sales_orders_cleaned (
  CONSTRAINT valid_order_number EXPECT (order_number IS NOT NULL) ON VIOLATION DROP ROW
)
PARTITIONED BY (order_date)
COMMENT "Orders with an order number, typed, with the customer's city."
TBLPROPERTIES ("quality" = "silver")
AS SELECT
  CAST(f.order_number AS BIGINT) AS order_number,
  f.customer_id,
  CAST(f.number_of_line_items AS INT) AS number_of_line_items,
  TIMESTAMP(from_unixtime(CAST(f.order_datetime AS BIGINT))) AS order_datetime,
  DATE(from_unixtime(CAST(f.order_datetime AS BIGINT))) AS order_date,
  c.city
FROM STREAM(LIVE.sales_orders_raw) f
LEFT JOIN LIVE.customers c ON c.customer_id = f.customer_id

-- COMMAND ----------

CREATE OR REFRESH LIVE TABLE sales_by_city_day
COMMENT "Line items and orders per city and day."
TBLPROPERTIES ("quality" = "gold")
AS SELECT city, date_format(order_date, "yyyy-MM-dd") AS day, sum(number_of_line_items) AS line_items,
  count(DISTINCT order_number) AS orders
FROM LIVE.sales_orders_cleaned
GROUP BY city, date_format(order_date, "yyyy-MM-dd")
`;

interface Order {
  order_number: number | null;
  customer_id: string;
  items: number;
  epoch: number;
}

function ordersCsv(orders: Order[]): string {
  return (
    'order_number,customer_id,number_of_line_items,order_datetime\n' +
    orders.map((o) => `${o.order_number ?? ''},${o.customer_id},${o.items},${o.epoch}`).join('\n') +
    '\n'
  );
}

function ordersOfDay(day: number, seed: number): Order[] {
  const out: Order[] = [];
  for (let k = 0; k < 12; k++) {
    const n = day * 100 + k;
    out.push({
      order_number: (n * seed) % 7 === 0 ? null : n, // some without a number: dropped
      customer_id: `C${(n * 3 + seed) % 5}`,
      items: 1 + ((n * seed) % 4),
      // 2026-01-01T00:00:00Z + day, + some hours (23:xx stays on the day in UTC)
      epoch: 1767225600 + day * 86400 + ((k * 7919) % 86400),
    });
  }
  return out;
}

const CITIES: Record<string, string> = { C0: 'Lisbon', C1: 'Porto', C2: 'Lisbon', C3: 'Braga' }; // C4: no city

/** gold, from the rows: [city, day, line items, orders] sorted. */
function expectedGold(orders: Order[]): [string | null, string, number, number][] {
  const groups = new Map<string, { city: string | null; day: string; items: number; orders: Set<number> }>();
  for (const o of orders) {
    if (o.order_number === null) continue;
    const city = CITIES[o.customer_id] ?? null;
    const day = new Date(o.epoch * 1000).toISOString().slice(0, 10);
    const key = `${city}|${day}`;
    const g = groups.get(key) ?? { city, day, items: 0, orders: new Set<number>() };
    g.items += o.items;
    g.orders.add(o.order_number);
    groups.set(key, g);
  }
  return [...groups.values()]
    .map((g): [string | null, string, number, number] => [g.city, g.day, g.items, g.orders.size])
    .sort((a, b) => `${a[0]}|${a[1]}`.localeCompare(`${b[0]}|${b[1]}`));
}

describe('compatibility suite', () => {
  it('A. the classic DLT retail shape: notebook export, STREAMING LIVE TABLE, cloud_files, LIVE., ${source}; twice', async () => {
    const dir = setUp('retail', RETAIL, 'pipelines:\n  main:\n    configuration:\n      source: landing\n');
    land(
      dir,
      'customers.csv',
      `customer_id,city\n${Object.entries(CITIES)
        .map(([c, city]) => `${c},${city}`)
        .join('\n')}\n`,
    );
    const day1 = ordersOfDay(1, 3);
    const day2 = ordersOfDay(2, 3);
    land(dir, 'orders/day1.csv', ordersCsv(day1));
    land(dir, 'orders/day2.csv', ordersCsv(day2));
    const project = await projectAt(bed, dir);
    const q = async (sql: string) => (await project.query(sql)).rows;
    const gold = 'SELECT city, day, line_items, orders FROM sales_by_city_day ORDER BY city NULLS LAST, day';
    const sorted = (rows: unknown[][]) =>
      rows
        .map((r) => [r[0], r[1], Number(r[2]), Number(r[3])])
        .sort((a, b) => `${a[0]}|${a[1]}`.localeCompare(`${b[0]}|${b[1]}`));

    const pipeline = await project.loadPipeline();
    expect(pipeline.problems).toEqual([]);
    const check = await project.checkPipeline(pipeline);
    expect(check.problems).toEqual([]);
    const first = await project.runPipeline(pipeline);
    expect(first.status, first.error).toBe('COMPLETED');
    expect(sorted(await q(gold))).toEqual(expectedGold([...day1, ...day2]));
    const dropped = [...day1, ...day2].filter((o) => o.order_number === null).length;
    expect(first.flows.find((f) => f.dataset.endsWith('sales_orders_cleaned'))?.dropped).toBe(dropped);
    // TBLPROPERTIES and COMMENT are the table's, without their quotes.
    const extended = await q('DESCRIBE TABLE EXTENDED sales_orders_cleaned');
    expect(extended.find((r) => r[0] === 'Table Properties')?.[1]).toMatch(/quality=silver/);
    expect(extended.find((r) => r[0] === 'Comment')?.[1]).toBe(
      "Orders with an order number, typed, with the customer's city.",
    );

    // A third day lands: only its rows go through silver; gold is the sum of all three.
    const day3 = ordersOfDay(3, 3);
    land(dir, 'orders/day3.csv', ordersCsv(day3));
    const second = await project.runPipeline(await project.loadPipeline());
    expect(second.status, second.error).toBe('COMPLETED');
    expect(second.flows.find((f) => f.dataset.endsWith('sales_orders_cleaned'))?.rowsRead).toBe(day3.length);
    expect(sorted(await q(gold))).toEqual(expectedGold([...day1, ...day2, ...day3]));
  });

  // -------------------------------------------------------------------------------------------
  // B. Change data capture with the older APPLY CHANGES INTO statement, SCD type 2, a delete and
  // a change that arrives late (in the second batch, with an earlier sequence number).

  it('B. APPLY CHANGES INTO ... STORED AS SCD TYPE 2 from a CDC feed, a late change in a second batch', async () => {
    const dir = setUp(
      'cdc',
      `CREATE OR REFRESH STREAMING LIVE TABLE customers_cdc
AS SELECT * FROM cloud_files("landing/cdc", "csv", map("header", "true", "cloudFiles.inferColumnTypes", "true"));

CREATE OR REFRESH STREAMING LIVE TABLE customers;

APPLY CHANGES INTO LIVE.customers
FROM STREAM(LIVE.customers_cdc)
KEYS (id)
APPLY AS DELETE WHEN operation = "DELETE"
SEQUENCE BY seq
COLUMNS * EXCEPT (operation, seq, _rescued_data)
STORED AS SCD TYPE 2;

CREATE OR REFRESH LIVE TABLE customers_per_city
AS SELECT city, count(*) AS customers FROM LIVE.customers WHERE __END_AT IS NULL GROUP BY city;
`,
    );
    type Ev = { id: number; name: string; city: string; operation: string; seq: number };
    const csv = (evs: Ev[]) =>
      'id,name,city,operation,seq\n' +
      evs.map((e) => `${e.id},${e.name},${e.city},${e.operation},${e.seq}`).join('\n') +
      '\n';
    const batch1: Ev[] = [
      { id: 1, name: 'Ana', city: 'Lisbon', operation: 'INSERT', seq: 1 },
      { id: 2, name: 'Rui', city: 'Porto', operation: 'INSERT', seq: 1 },
      { id: 3, name: 'Eva', city: 'Braga', operation: 'INSERT', seq: 2 },
      { id: 1, name: 'Ana', city: 'Porto', operation: 'UPDATE', seq: 5 },
      { id: 3, name: 'Eva', city: 'Braga', operation: 'DELETE', seq: 6 },
    ];
    const batch2: Ev[] = [
      { id: 1, name: 'Ana', city: 'Faro', operation: 'UPDATE', seq: 3 }, // late: between 1 and 5
      { id: 2, name: 'Rui', city: 'Lisbon', operation: 'UPDATE', seq: 7 },
      { id: 4, name: 'Ivo', city: 'Lisbon', operation: 'INSERT', seq: 8 },
    ];
    /** SCD2 from all events: per key in sequence order, an upsert that changes a value opens a version, a delete closes it. */
    const scd2 = (evs: Ev[]) => {
      const out: [number, string, string, number, number | null][] = [];
      const ids = [...new Set(evs.map((e) => e.id))].sort((a, b) => a - b);
      for (const id of ids) {
        let open: [number, string, string, number, number | null] | undefined;
        for (const e of evs.filter((x) => x.id === id).sort((a, b) => a.seq - b.seq)) {
          if (e.operation === 'DELETE') {
            if (open) open[4] = e.seq;
            open = undefined;
          } else if (!open || open[1] !== e.name || open[2] !== e.city) {
            if (open) open[4] = e.seq;
            open = [id, e.name, e.city, e.seq, null];
            out.push(open);
          }
        }
      }
      return out;
    };
    const perCity = (rows: ReturnType<typeof scd2>) => {
      const m = new Map<string, number>();
      for (const r of rows) if (r[4] === null) m.set(r[2], (m.get(r[2]) ?? 0) + 1);
      return [...m].sort((a, b) => a[0].localeCompare(b[0]));
    };
    land(dir, 'cdc/1.csv', csv(batch1));
    const project = await projectAt(bed, dir);
    const q = async (sql: string) => (await project.query(sql)).rows;
    const table = async () =>
      (await q('SELECT id, name, city, __START_AT, __END_AT FROM customers ORDER BY id, __START_AT')).map((r) =>
        r.map((v) => (typeof v === 'bigint' ? Number(v) : v)),
      );
    const cities = async () =>
      (await q('SELECT city, customers FROM customers_per_city ORDER BY city')).map((r) => [r[0], Number(r[1])]);

    const first = await project.runPipeline(await project.loadPipeline());
    expect(first.status, first.error).toBe('COMPLETED');
    expect(await table()).toEqual(scd2(batch1));
    expect(await cities()).toEqual(perCity(scd2(batch1)));

    land(dir, 'cdc/2.csv', csv(batch2));
    const second = await project.runPipeline(await project.loadPipeline());
    expect(second.status, second.error).toBe('COMPLETED');
    expect(await table()).toEqual(scd2([...batch1, ...batch2]));
    expect(await cities()).toEqual(perCity(scd2([...batch1, ...batch2])));
  });

  it('C. Auto Loader text compared with numbers: WHERE, EXPECT, JOIN and IN coerce the string as Spark does; twice', async () => {
    // cloud_files keeps every column a STRING (no cloudFiles.inferColumnTypes); the pipeline
    // compares them with numbers, as real ones do. ANSI mode (the default): a string against an
    // integer is a BIGINT, against 0.0 (a DECIMAL) a DOUBLE (AnsiTypeCoercion); ' 7 ' is 7.
    const dir = setUp(
      'text-numbers',
      `CREATE OR REFRESH STREAMING TABLE raw_lines
AS SELECT * FROM cloud_files("landing/lines", "csv", map("header", "true"));

CREATE OR REFRESH STREAMING TABLE lines (
  CONSTRAINT known_status EXPECT (status < 3) ON VIOLATION DROP ROW
)
AS SELECT line_id, product_id, CAST(qty AS INT) AS qty, CAST(price AS DECIMAL(10,2)) AS price, status
FROM STREAM(raw_lines)
WHERE qty > 0 AND price >= 0.0 AND status IN (1, 2, 3);

CREATE OR REFRESH MATERIALIZED VIEW revenue_per_category
AS SELECT p.category, sum(l.qty * l.price) AS revenue, count(*) AS lines
FROM lines l JOIN products p ON l.product_id = p.product_id
GROUP BY p.category;

CREATE OR REFRESH MATERIALIZED VIEW products
AS SELECT * FROM read_files("landing/products.csv", format => "csv");
`,
    );
    type Line = { line_id: number; product_id: string; qty: string; price: string; status: string };
    const csv = (ls: Line[]) =>
      'line_id,product_id,qty,price,status\n' +
      ls.map((l) => `${l.line_id},${l.product_id},${l.qty},${l.price},${l.status}`).join('\n') +
      '\n';
    const day1: Line[] = [
      { line_id: 1, product_id: '10', qty: '2', price: '5.00', status: '1' },
      { line_id: 2, product_id: '11', qty: '0', price: '9.00', status: '1' }, // qty 0: filtered
      { line_id: 3, product_id: '10', qty: ' 7 ', price: '1.50', status: '2' },
      { line_id: 4, product_id: '12', qty: '1', price: '-3.00', status: '1' }, // negative price (DOUBLE): filtered
      { line_id: 5, product_id: '11', qty: '3', price: '4.25', status: '3' }, // status 3: dropped by the expectation
    ];
    const day2: Line[] = [
      { line_id: 6, product_id: '12', qty: '10', price: '0.99', status: '2' },
      { line_id: 7, product_id: '11', qty: '12', price: '2.00', status: '1' }, // 12 > 0 as numbers ('12' > '0' too)
    ];
    const products = [
      ['10', 'tea'],
      ['11', 'coffee'],
      ['12', 'tea'],
    ];
    land(dir, 'products.csv', 'product_id,category\n' + products.map((p) => p.join(',')).join('\n') + '\n');
    /** Revenue and lines per category, from the lines a Spark pipeline keeps. */
    const expected = (ls: Line[]) => {
      const kept = ls.filter((l) => Number(l.qty) > 0 && ['1', '2'].includes(l.status) && Number(l.price) >= 0);
      const m = new Map<string, [number, number]>();
      for (const l of kept) {
        const category = products.find((p) => p[0] === l.product_id)![1];
        const [cents, n] = m.get(category) ?? [0, 0];
        m.set(category, [cents + Number(l.qty) * Math.round(Number(l.price) * 100), n + 1]);
      }
      return [...m].sort((a, b) => a[0].localeCompare(b[0])).map(([c, [cents, n]]) => [c, (cents / 100).toFixed(2), n]);
    };
    land(dir, 'lines/1.csv', csv(day1));
    const project = await projectAt(bed, dir);
    const revenue = async () =>
      (
        await project.query('SELECT category, CAST(revenue AS VARCHAR), lines FROM revenue_per_category ORDER BY 1')
      ).rows.map((r) => [r[0], r[1], Number(r[2])]);
    const first = await project.runPipeline(await project.loadPipeline());
    expect(first.status, first.error).toBe('COMPLETED');
    expect(await revenue()).toEqual(expected(day1));
    expect(first.flows.find((f) => /(^|\.)lines$/.test(f.dataset))?.dropped).toBe(1);

    land(dir, 'lines/2.csv', csv(day2));
    const second = await project.runPipeline(await project.loadPipeline());
    expect(second.status, second.error).toBe('COMPLETED');
    expect(await revenue()).toEqual(expected([...day1, ...day2]));
  });
});
