// `strata run --dry-run` of a 50-statement pipeline (the Databricks compatibility issue's target:
// ≤ 2 s): parse, graph, and binding of every query against its sources' columns, with the
// Structured Streaming checks. The pipeline: 10 CSV sources into bronze streaming tables, 20
// silver streaming tables with expectations (casts, a lookup join), 20 gold materialized views
// (aggregates, windows, joins). The reference, timed in the same run, is `strata run --dry-run`
// of a one-statement pipeline (process start, DuckDB start, one bind): the ratio shows what 49
// more statements cost. Both run as the CLI, in a new process each time.
//
//   node bench/dry-run.mjs [--rounds 5] [--json out.json]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../dist/engine/index.js';
import { fmtMs, machineLine, markdownTable, median, parseArgsOrExit } from './lib/util.mjs';

const args = parseArgsOrExit(process.argv.slice(2), { rounds: 5, json: '', rows: 0 }); // (--rows: for npm run bench; unused)
const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'strata.js');
const SOURCES = 10;

function project(dir, statements) {
  mkdirSync(path.join(dir, 'pipelines', 'p'), { recursive: true });
  for (let s = 0; s < SOURCES; s++) {
    mkdirSync(path.join(dir, 'landing', `s${s}`), { recursive: true });
    const lines = ['id,customer,day,amount,city'];
    for (let i = 0; i < 200; i++)
      lines.push(`${i},c${i % 17},2026-01-${String(1 + (i % 28)).padStart(2, '0')},${i * 1.5},city${i % 5}`);
    writeFileSync(path.join(dir, 'landing', `s${s}`, 'a.csv'), `${lines.join('\n')}\n`);
  }
  writeFileSync(path.join(dir, 'pipelines', 'p', 'p.sql'), statements.join('\n\n'));
}

function fifty() {
  const out = [];
  for (let s = 0; s < SOURCES; s++)
    out.push(
      `CREATE OR REFRESH STREAMING TABLE bronze.s${s} AS SELECT *, _metadata.file_name AS source_file FROM STREAM read_files('landing/s${s}', format => 'csv');`,
    );
  for (let s = 0; s < 20; s++)
    out.push(`CREATE OR REFRESH STREAMING TABLE silver.t${s} (
  CONSTRAINT positive EXPECT (amount > 0) ON VIOLATION DROP ROW,
  CONSTRAINT dated EXPECT (day IS NOT NULL) ON VIOLATION QUARANTINE,
  CONSTRAINT named EXPECT (customer IS NOT NULL)
) AS SELECT CAST(b.id AS INT) AS id, upper(b.customer) AS customer, to_date(b.day, 'yyyy-MM-dd') AS day,
  CAST(b.amount AS DECIMAL(12, 2)) AS amount, coalesce(b.city, 'Unknown') AS city, b.source_file
FROM STREAM(bronze.s${s % SOURCES}) AS b;`);
  for (let g = 0; g < 20; g++)
    out.push(
      g % 2 === 0
        ? `CREATE OR REFRESH MATERIALIZED VIEW gold.m${g} AS
SELECT trunc(day, 'MM') AS month, city, sum(amount) AS revenue, count(*) AS n, avg(amount) AS avg_amount
FROM silver.t${g} GROUP BY trunc(day, 'MM'), city;`
        : `CREATE OR REFRESH MATERIALIZED VIEW gold.m${g} AS
SELECT a.customer, a.revenue, rank() OVER (ORDER BY a.revenue DESC) AS rank
FROM (SELECT customer, sum(amount) AS revenue FROM silver.t${g} GROUP BY customer) AS a
JOIN (SELECT DISTINCT customer FROM silver.t${(g + 1) % 20}) AS b ON a.customer = b.customer;`,
    );
  return out;
}

function dryRun(dir) {
  const start = performance.now();
  const r = spawnSync(process.execPath, [BIN, '--project', dir, 'run', '--dry-run'], { encoding: 'utf8' });
  const ms = performance.now() - start;
  if (r.status !== 0 || !/every query bound/.test(r.stdout))
    throw new Error(`dry run failed (${r.status}): ${r.stderr || r.stdout}`);
  return ms;
}

const root = mkdtempSync(path.join(os.tmpdir(), 'strata-bench-dry-run-'));
try {
  const big = path.join(root, 'fifty');
  const small = path.join(root, 'one');
  const statements = fifty();
  project(big, statements);
  project(small, statements.slice(0, 1));
  dryRun(big); // warm the file cache
  const times = { fifty: [], one: [] };
  for (let r = 0; r < args.rounds; r++) {
    times.one.push(dryRun(small));
    times.fifty.push(dryRun(big));
  }
  const [m50, m1] = [median(times.fifty), median(times.one)];
  const rows = [
    [`--dry-run, ${statements.length} statements`, fmtMs(m50), '≤ 2 s', m50 <= 2000 ? 'met' : 'NOT met'],
    ['--dry-run, 1 statement (reference)', fmtMs(m1), '', ''],
    ['ratio (50 / 1)', `${(m50 / m1).toFixed(2)}×`, '', ''],
  ];
  const engine = await Engine.create({});
  console.log(`Machine: ${await engine.withSession((s) => machineLine(s))}\n`);
  engine.close();
  console.log(markdownTable(['case', 'median (ms)', 'target', ''], rows));
  if (args.json) writeFileSync(args.json, JSON.stringify({ statements: statements.length, m50, m1, times }, null, 2));
} finally {
  rmSync(root, { recursive: true, force: true });
}
