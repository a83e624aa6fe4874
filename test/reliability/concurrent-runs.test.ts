// Overlapping updates of one project (issue 18 item 1): `strata run` started two and
// three at a time, over 8 rounds (20 with STRATA_SOAK=1) with files landing in between, ends with exactly
// the tables one sequential run over the same files gives — bronze, silver, an
// incrementally refreshed aggregate and an AUTO CDC (SCD2) table. Updates of a lake
// take turns (its update lock); underneath, each streaming commit checks every
// progress marker it carries against all commits since it read them, which the
// second test exercises with the lock bypassed.
// Written to fail on the main before item 1: overlapping runs both reported
// COMPLETED and silver and gold held rows twice.
import { spawn } from 'node:child_process';
import { soak } from '../helpers/harness.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPipeline, runPipeline } from '../../src/pipeline/index.js';
import { createCatalog } from '../../src/catalog/index.js';
import { executeQuery } from '../../src/sql/index.js';
import { expectValidLog } from '../helpers/delta-log.js';
import { rng, useTestBed } from '../helpers/harness.js';

const bed = useTestBed('concurrent-runs');
const BIN = path.resolve('bin/strata.js');

const PIPELINE = `
CREATE OR REFRESH STREAMING TABLE bronze.orders
AS SELECT * FROM STREAM read_files('landing/*.csv', format => 'csv');

CREATE OR REFRESH STREAMING TABLE silver.orders (
  CONSTRAINT positive EXPECT (amount > 0) ON VIOLATION DROP ROW
) AS SELECT CAST(id AS BIGINT) AS id, CAST(customer AS INT) AS customer, CAST(amount AS DECIMAL(10,2)) AS amount
FROM STREAM(bronze.orders);

CREATE OR REFRESH MATERIALIZED VIEW gold.by_customer AS
SELECT customer, count(*) AS n, sum(amount) AS amount FROM silver.orders GROUP BY customer;

CREATE OR REFRESH STREAMING TABLE gold.customer_history;
CREATE FLOW customer_history AS AUTO CDC INTO gold.customer_history
FROM STREAM(silver.orders) KEYS (customer) SEQUENCE BY id STORED AS SCD TYPE 2;
`;

const TABLES = {
  bronze: 'SELECT id, customer, amount FROM bronze.orders ORDER BY ALL',
  silver: 'SELECT * FROM silver.orders ORDER BY ALL',
  gold: 'SELECT * FROM gold.by_customer ORDER BY ALL',
  history: 'SELECT customer, id, amount, __START_AT, __END_AT FROM gold.customer_history ORDER BY ALL',
};

function makeProject(name: string): { dir: string; land: (file: string, text: string) => void } {
  const dir = path.join(bed.dir, name);
  mkdirSync(path.join(dir, 'landing'), { recursive: true });
  mkdirSync(path.join(dir, 'pipelines/main'), { recursive: true });
  writeFileSync(path.join(dir, 'pipelines/main/orders.sql'), PIPELINE);
  return { dir, land: (file, text) => writeFileSync(path.join(dir, 'landing', file), text) };
}

/** A file of 30 orders of 7 customers, one with a negative amount (dropped). */
function orders(n: number): string {
  const lines = ['id,customer,amount'];
  for (let r = 0; r < 30; r++)
    lines.push(`${n * 100 + r},${(n * 3 + r) % 7},${r === 11 ? -5 : (r * 1.5 + n + 1).toFixed(2)}`);
  return `${lines.join('\n')}\n`;
}

function run(dir: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, '--project', dir, 'run', '--max-parallel', '1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, STRATA_THREADS: '1' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

const query = (dir: string, sql: string) =>
  bed.engine.withSession(async (s) => (await executeQuery(s, sql, { baseDir: dir })).rows);

async function snapshot(dir: string): Promise<Record<string, unknown[][]>> {
  const out: Record<string, unknown[][]> = {};
  for (const [k, sql] of Object.entries(TABLES)) out[k] = await query(dir, sql);
  return out;
}

const SOAK_ROUNDS = soak(8, 20);

describe('overlapping pipeline updates', () => {
  it('two and three strata runs at once, round after round: the tables of one sequential run, exactly', async () => {
    const p = makeProject('cli');
    const next = rng(17);
    let files = 0;
    let waited = 0;
    for (let round = 0; round < SOAK_ROUNDS; round++) {
      const landing = 1 + Math.floor(next() * 2);
      for (let k = 0; k < landing; k++, files++) p.land(`f${String(files).padStart(3, '0')}.csv`, orders(files));
      // Rounds alternate between two and three overlapping runs.
      const runs = await Promise.all(Array.from({ length: 2 + (round % 2) }, () => run(p.dir)));
      for (const r of runs) expect(r.code, r.err).toBe(0);
      waited += runs.filter((r) => /waiting for strata run main to finish \(process \d+ on /.test(r.err)).length;
    }
    expect(waited).toBeGreaterThan(0); // the runs did overlap
    const reference = makeProject('reference');
    for (let n = 0; n < files; n++) reference.land(`f${String(n).padStart(3, '0')}.csv`, orders(n));
    expect((await run(reference.dir)).code).toBe(0);
    const want = await snapshot(reference.dir);
    expect(want.bronze).toHaveLength(files * 30);
    expect(want.silver).toHaveLength(files * 29);
    expect(await snapshot(p.dir)).toEqual(want);
    for (const t of ['bronze/orders', 'silver/orders', 'gold/by_customer', 'gold/customer_history'])
      expectValidLog(path.join(p.dir, 'lake', t));
  }, 600_000);

  it('with the lock bypassed, overlapping updates conflict instead of writing rows twice', async () => {
    const p = makeProject('unlocked');
    const catalog = createCatalog({ projectDir: p.dir });
    const pipeline = await loadPipeline(catalog, 'main', {});
    let files = 0;
    let conflicts = 0;
    p.land('f-first.csv', orders(99));
    expect((await bed.engine.withSession((s) => runPipeline(s, pipeline, { catalog }))).status).toBe('COMPLETED');
    for (let round = 0; round < 6; round++) {
      for (let k = 0; k < 2; k++, files++) p.land(`f${String(files).padStart(3, '0')}.csv`, orders(files));
      const outcomes = await Promise.all(
        [0, 1].map(() => bed.engine.withSession((s) => runPipeline(s, pipeline, { catalog }))),
      );
      for (const o of outcomes) {
        for (const f of o.flows.filter((x) => x.status === 'FAILED')) {
          expect(f.message).toMatch(/a concurrent commit \(version \d+\) conflicts with this one|another loader/);
          conflicts++;
        }
      }
    }
    // Whatever failed is caught up by one more update.
    const last = await bed.engine.withSession((s) => runPipeline(s, pipeline, { catalog }));
    expect(last.status).toBe('COMPLETED');
    const reference = makeProject('unlocked-reference');
    reference.land('f-first.csv', orders(99));
    for (let n = 0; n < files; n++) reference.land(`f${String(n).padStart(3, '0')}.csv`, orders(n));
    expect((await run(reference.dir)).code).toBe(0);
    expect(await snapshot(p.dir)).toEqual(await snapshot(reference.dir));
    console.log(`overlapping updates without the lock: ${conflicts} flow(s) failed with a conflict`);
  }, 300_000);
});
