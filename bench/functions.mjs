// Spark-semantics functions and casts against the native DuckDB form (the Databricks compatibility
// issue's target: every rewritten function or cast at most 1.5× the native one over 10 million rows).
// Each case is a Spark SQL expression, run as Strata runs it (the rewrite, and for decimal `/`,
// `avg` and `sum` the exact arithmetic), and the DuckDB expression a hand-written script would
// use; the two are timed alternately in the same process, and the ratio of the medians reported.
//
//   node bench/functions.mjs [--rows 10000000] [--rounds 3] [--json out.json]
import { writeFileSync } from 'node:fs';
import { Engine } from '../dist/engine/index.js';
import { sparkToDuckdb } from '../dist/sql/index.js';
import { sparkArithmetic } from '../dist/sql/spark-decimal.js';
import { fmtMs, machineLine, markdownTable, median, parseArgsOrExit, timeIt } from './lib/util.mjs';

const args = parseArgsOrExit(process.argv.slice(2), { rows: 10_000_000, rounds: 3, json: '' });
const log = (m) => process.stderr.write(`${m}\n`);

/** [name, Spark expression (or query), native DuckDB expression (or query), what a scalar is wrapped in]. */
const ONLY = process.env.ONLY ? new RegExp(process.env.ONLY) : undefined;
const CASES = [
  ['CAST(string AS BIGINT)', 'CAST(s_int AS BIGINT)', 'CAST(s_int AS BIGINT)'],
  ['CAST(string AS INT), ANSI off', 'CAST(s_int AS INT)', 'TRY_CAST(s_int AS INTEGER)', { ansi: false }],
  ['TRY_CAST(string AS INT)', 'TRY_CAST(s_int AS INT)', 'TRY_CAST(s_int AS INTEGER)'],
  ['CAST(string AS DECIMAL(12,2))', 'CAST(s_dec AS DECIMAL(12,2))', 'CAST(s_dec AS DECIMAL(12,2))'],
  ['CAST(string AS DOUBLE)', 'CAST(s_dec AS DOUBLE)', 'CAST(s_dec AS DOUBLE)'],
  ['CAST(string AS DATE)', 'CAST(s_date AS DATE)', 'CAST(s_date AS DATE)'],
  ["to_date(s, 'yyyy-MM-dd')", "to_date(s_date, 'yyyy-MM-dd')", "CAST(strptime(s_date, '%Y-%m-%d') AS DATE)"],
  ["try_to_date(s, 'dd/MM/yyyy')", "try_to_date(s_dmy, 'dd/MM/yyyy')", "CAST(try_strptime(s_dmy, '%d/%m/%Y') AS DATE)"],
  ["date_format(d, 'yyyy-MM')", "date_format(d, 'yyyy-MM')", "strftime(d, '%Y-%m')"],
  ['double / int', 'x / i', 'x / i'],
  ['decimal / int (exact, DECIMAL(23,13))', 'dec / i', 'dec / i'],
  ['decimal / int, ANSI off', 'dec / i', 'dec / i', { ansi: false }],
  ['avg(decimal) (exact, DECIMAL(16,6))', 'SELECT avg(dec) FROM t', 'SELECT avg(dec) FROM t'],
  ['sum(int)', 'SELECT sum(i) FROM t', 'SELECT sum(i) FROM t'],
  ['upper(string) (string arguments cast: a no-op for text)', 'upper(s_csv)', 'upper(s_csv)'],
  ["lpad(int, 8, '0') (the number read as text)", "lpad(i, 8, '0')", "lpad(CAST(i AS VARCHAR), 8, '0')"],
  ['ceil(double) (a BIGINT)', 'ceil(x)', 'ceil(x)'],
  ['ceil(double), native cast to BIGINT', 'ceil(x)', 'CAST(ceil(x) AS BIGINT)'],
  ['floor(decimal) (DECIMAL(p - s + 1, 0))', 'floor(dec)', 'floor(dec)'],
  ['floor(decimal), native cast to DECIMAL(11,0)', 'floor(dec)', 'CAST(floor(dec) AS DECIMAL(11,0))'],
  ["split(s, ',')[0]", "split(s_csv, ',')[0]", "string_split(s_csv, ',')[1]"],
  ['element_at(arr, 2)', 'element_at(arr, 2)', 'arr[2]'],
  ['concat(a, b)', 'concat(s_int, s_date)', 's_int || s_date'],
  ['json:a.b', 'j:a.b', "json_extract_string(j, '$.a.b')"],
  ["regexp_replace(s, ',', ';')", "regexp_replace(s_csv, ',', ';')", "regexp_replace(s_csv, ',', ';', 'g')"],
];

const engine = await Engine.create({});
await engine.withSession(async (session) => {
  log(`generating ${args.rows.toLocaleString('en-US')} rows`);
  await session.exec(`CREATE OR REPLACE TEMP TABLE t AS
    SELECT CAST(r AS VARCHAR) AS s_int, CAST(round(r / 100.0, 2) AS VARCHAR) AS s_dec,
           strftime(DATE '2020-01-01' + CAST(r % 2000 AS INTEGER), '%Y-%m-%d') AS s_date,
           strftime(DATE '2020-01-01' + CAST(r % 2000 AS INTEGER), '%d/%m/%Y') AS s_dmy,
           DATE '2020-01-01' + CAST(r % 2000 AS INTEGER) AS d,
           CAST(r % 100000 / 100.0 AS DECIMAL(12,2)) AS dec, CAST(r % 1000 + 1 AS INTEGER) AS i,
           r / 7.0 AS x, 'a' || (r % 10) || ',b,c' AS s_csv,
           '{"a":{"b":' || r || '}}' AS j, [r % 5, r % 7, r % 11] AS arr
    FROM range(${args.rows}) AS g(r)`);
  const machine = await machineLine(session);
  const query = (e) => (/^SELECT /i.test(e) ? e : `SELECT count(${e}) FROM t`);
  const results = [];
  for (const [name, spark, native, options] of CASES.filter((c) => !ONLY || ONLY.test(c[0]))) {
    const strata = await sparkArithmetic(session, sparkToDuckdb(query(spark), options ?? {}));
    const plain = query(native);
    // Both give the same count (a check that the Spark form computed every row).
    const [a] = await session.rows(strata);
    const [b] = await session.rows(plain);
    const text = (row) => Object.values(row).map(String).join(',');
    if (text(a) !== text(b) && !/avg|sum|\//.test(name)) throw new Error(`${name}: ${text(a)} ≠ ${text(b)}`);
    const ts = [];
    const tn = [];
    for (let k = 0; k < args.rounds; k++) {
      ts.push((await timeIt(() => session.exec(strata))).ms);
      tn.push((await timeIt(() => session.exec(plain))).ms);
    }
    const r = { name, spark: median(ts), native: median(tn) };
    r.ratio = r.spark / r.native;
    results.push(r);
    log(`${name}: ${fmtMs(r.spark)} vs ${fmtMs(r.native)} → ${r.ratio.toFixed(2)}×`);
  }
  const table = markdownTable(
    ['Spark form', 'Strata', 'DuckDB native', 'ratio'],
    results.map((r) => [
      r.name,
      fmtMs(r.spark),
      fmtMs(r.native),
      `${r.ratio.toFixed(2)}×${r.ratio > 1.5 ? ' (over 1.5×)' : ''}`,
    ]),
  );
  console.log(
    `${machine}\n${args.rows.toLocaleString('en-US')} rows, median of ${args.rounds} alternating rounds\n\n${table}`,
  );
  if (args.json) writeFileSync(args.json, JSON.stringify({ machine, rows: args.rows, results }, null, 2));
});
await engine.close();
