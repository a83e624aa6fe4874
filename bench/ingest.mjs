// Ingestion benchmarks (the ingestion issue's targets), each against a
// reference measured in the same run:
//   1. one 10-million-row CSV (~450 MB) through COPY INTO (every column text, as Auto Loader
//      keeps CSV, plus _rescued_data), against DuckDB's own COPY (SELECT * FROM read_csv(...,
//      all_varchar = true)) TO parquet of the same file with the same text columns (≤ 1.15×);
//      DuckDB's COPY with its own type detection (typed columns: a different, smaller output)
//      is shown beside it,
//      and against nodejs-polars reading the same CSV (every column as text, as bronze keeps
//      it) and writing Parquet, in a process of its own (to beat; `npm install --no-save
//      nodejs-polars@0.24.0` first, else n/a);
//   2. 10,000 small files (100 rows each): overhead per file on top of the
//      rows' cost (DuckDB reading the same files to Parquet) (≤ 5 ms per file);
//   3. a pass over 100 new files when the ledger holds 1,000,000 files, against
//      the same pass with an empty ledger (≤ 1 s more);
//   4. continuous mode: a complete file's rows in bronze within 1 s.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine, quoteLiteral } from '../dist/engine/index.js';
import { executeQuery } from '../dist/sql/index.js';
import { loadSnapshot } from '../dist/delta/index.js';
import { fileSources, parseReadOptions, watchIngest } from '../dist/ingest/index.js';
import { createCatalog } from '../dist/catalog/index.js';
import { fmtMs, machineLine, markdownTable, median, parseArgsOrExit, timeIt } from './lib/util.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = parseArgsOrExit(process.argv.slice(2), {
  rows: 10_000_000,
  smallFiles: 10_000,
  ledgerFiles: 1_000_000,
  rounds: 2,
});
const dir = path.join(here, 'data', 'ingest');
const log = (m) => process.stderr.write(`${m}\n`);
const engine = await Engine.create({});

await engine.withSession(async (s) => {
  const q = (sql, baseDir = dir) => executeQuery(s, sql, { baseDir, files: fileSources });
  console.log(
    `# ingest: COPY INTO (${args.rows.toLocaleString('en-US')}-row CSV, ${args.smallFiles.toLocaleString('en-US')} small files, ${args.ledgerFiles.toLocaleString('en-US')}-file ledger)\n`,
  );
  console.log(`Machine: ${await machineLine(s)}\n`);

  // 1. One big CSV.
  const big = path.join(dir, 'big', `orders-${args.rows}.csv`);
  if (!existsSync(big)) {
    log(`writing ${big} ...`);
    mkdirSync(path.dirname(big), { recursive: true });
    await s.exec(`COPY (SELECT range AS order_id, DATE '2024-01-01' + (range % 700)::INT AS order_date, 'C' || (hash(range) % 100000) AS customer_id,
                         'P' || (hash(range * 3) % 5000) AS product_id, (1 + range % 9)::INT AS quantity, ((hash(range * 7) % 100000) / 100.0)::DECIMAL(12,2) AS price,
                         ['online', 'retail', 'phone'][1 + range % 3] AS channel FROM range(${args.rows})) TO ${quoteLiteral(big)} (HEADER)`);
  }
  const mb = statSync(big).size / 1048576;
  const ours = [];
  const theirs = [];
  const typed = [];
  const polars = [];
  for (let round = 0; round < args.rounds; round++) {
    polars.push(polarsCopy(big, path.join(dir, `polars-${round}.parquet`)));
    const out = path.join(dir, `ref-${round}.parquet`);
    theirs.push(
      (
        await timeIt(() =>
          s.exec(
            `COPY (SELECT * FROM read_csv(${quoteLiteral(big)}, all_varchar = true)) TO ${quoteLiteral(out)} (FORMAT parquet)`,
          ),
        )
      ).ms,
    );
    rmSync(out, { force: true });
    typed.push(
      (
        await timeIt(() =>
          s.exec(`COPY (SELECT * FROM read_csv(${quoteLiteral(big)})) TO ${quoteLiteral(out)} (FORMAT parquet)`),
        )
      ).ms,
    );
    rmSync(out, { force: true });
    rmSync(path.join(dir, 'lake'), { recursive: true, force: true });
    await q(`CREATE TABLE IF NOT EXISTS bronze.big`);
    ours.push((await timeIt(() => q(`COPY INTO bronze.big FROM ${quoteLiteral(big)} FILEFORMAT = CSV`))).ms);
    log(
      `round ${round}: COPY INTO ${fmtMs(ours.at(-1))} ms, DuckDB COPY (text) ${fmtMs(theirs.at(-1))} ms, (typed) ${fmtMs(typed.at(-1))} ms, nodejs-polars ${polars.at(-1) === undefined ? 'n/a' : `${fmtMs(polars.at(-1))} ms`}`,
    );
  }
  const [[loaded]] = (await q(`SELECT count(*) FROM bronze.big`)).rows;
  const ratio = median(ours) / median(theirs);
  console.log('## 1. One big CSV\n');
  console.log(
    markdownTable(
      [
        'rows',
        'MB',
        'COPY INTO ms',
        'MB/s',
        'DuckDB COPY (text) ms',
        'ratio',
        '≤ 1.15×',
        'DuckDB COPY (typed) ms',
        'ratio to typed',
        'nodejs-polars ms',
        'beats polars',
      ],
      [
        [
          Number(loaded).toLocaleString('en-US'),
          mb.toFixed(0),
          fmtMs(median(ours)),
          (mb / (median(ours) / 1000)).toFixed(0),
          fmtMs(median(theirs)),
          `${ratio.toFixed(2)}×`,
          ratio <= 1.15 ? 'yes' : 'no',
          fmtMs(median(typed)),
          `${(median(ours) / median(typed)).toFixed(2)}×`,
          polars.includes(undefined) ? 'n/a' : fmtMs(median(polars)),
          polars.includes(undefined) ? 'n/a' : median(ours) < median(polars) ? 'yes' : 'no',
        ],
      ],
    ),
  );
  console.log(
    `\nRuns (ms): COPY INTO ${ours.map(fmtMs).join(' ')}; DuckDB text ${theirs.map(fmtMs).join(' ')}; DuckDB typed ${typed.map(fmtMs).join(' ')}; nodejs-polars ${polars.map((x) => (x === undefined ? 'n/a' : fmtMs(x))).join(' ')}.\n`,
  );

  // 2. Many small files.
  const small = path.join(dir, `small-${args.smallFiles}`);
  if (!existsSync(small)) {
    log(`writing ${args.smallFiles} small files ...`);
    mkdirSync(small, { recursive: true });
    for (let f = 0; f < args.smallFiles; f++) {
      const lines = ['order_id,customer_id,amount'];
      for (let r = 0; r < 100; r++) lines.push(`${f * 100 + r},C${(f * 7 + r) % 1000},${(r * 1.25).toFixed(2)}`);
      writeFileSync(path.join(small, `f${String(f).padStart(6, '0')}.csv`), `${lines.join('\n')}\n`);
    }
  }
  rmSync(path.join(dir, 'lake'), { recursive: true, force: true });
  const ref2 = await timeIt(() =>
    s.exec(
      `COPY (SELECT * FROM read_csv(${quoteLiteral(path.join(small, '*.csv'))})) TO ${quoteLiteral(path.join(dir, 'small.parquet'))} (FORMAT parquet)`,
    ),
  );
  await q(`CREATE TABLE IF NOT EXISTS bronze.small`);
  const ours2 = await timeIt(() => q(`COPY INTO bronze.small FROM ${quoteLiteral(small)} FILEFORMAT = CSV`));
  const commits = (await q(`SELECT count(*) FROM (DESCRIBE HISTORY bronze.small)`).catch(() => ({ rows: [[null]] })))
    .rows[0][0];
  const perFile = (ours2.ms - ref2.ms) / args.smallFiles;
  console.log('## 2. Many small files\n');
  console.log(
    markdownTable(
      ['files', 'rows', 'COPY INTO ms', 'DuckDB read to Parquet ms', 'overhead per file', '≤ 5 ms', 'batches'],
      [
        [
          args.smallFiles.toLocaleString('en-US'),
          (args.smallFiles * 100).toLocaleString('en-US'),
          fmtMs(ours2.ms),
          fmtMs(ref2.ms),
          `${perFile.toFixed(2)} ms`,
          perFile <= 5 ? 'yes' : 'no',
          Math.ceil(args.smallFiles / 1000),
        ],
      ],
    ),
  );
  void commits;
  console.log('');

  // 3. A pass over 100 new files with a big ledger, against the same pass with an empty one.
  const fresh = path.join(dir, 'fresh');
  rmSync(fresh, { recursive: true, force: true });
  mkdirSync(fresh, { recursive: true });
  for (let f = 0; f < 100; f++) writeFileSync(path.join(fresh, `n${f}.csv`), `order_id,amount\n${f},1.5\n`);
  const pass = async (ledgerRows) => {
    const base = path.join(dir, `ledger-${ledgerRows}`);
    rmSync(base, { recursive: true, force: true });
    mkdirSync(base, { recursive: true });
    await q(`CREATE TABLE IF NOT EXISTS bronze.t`, base);
    if (ledgerRows > 0) {
      log(`filling a ledger of ${ledgerRows.toLocaleString('en-US')} files ...`);
      const table = path.join(base, 'lake/bronze/t');
      const id = (await loadSnapshot(table, { session: s })).metadata.id;
      await q(
        `CREATE TABLE system.ingest_files AS SELECT ${quoteLiteral(table)} AS table_path, ${quoteLiteral(id)} AS table_id, 0::BIGINT AS table_version, (range // 1000)::BIGINT AS batch_id,
           '/old/landing/f' || range || '.csv' AS file_path, 1000::BIGINT AS size, TIMESTAMPTZ '2025-01-01' AS modification_time,
           sha256(range::VARCHAR) AS content_hash, 'loaded' AS status, 10::BIGINT AS rows_loaded, 0::BIGINT AS rows_rescued, 0::BIGINT AS rows_quarantined,
           NULL::VARCHAR AS error, TIMESTAMPTZ '2025-01-01' AS ingested_at FROM range(${ledgerRows})`,
        base,
      );
    }
    return (await timeIt(() => q(`COPY INTO bronze.t FROM ${quoteLiteral(fresh)} FILEFORMAT = CSV`, base))).ms;
  };
  const empty = await pass(0);
  const full = await pass(args.ledgerFiles);
  console.log('## 3. Ledger look-up with a big ledger\n');
  console.log(
    markdownTable(
      ['ledger files', 'new files', 'pass ms', 'same pass, empty ledger ms', 'difference', '≤ 1 s'],
      [
        [
          args.ledgerFiles.toLocaleString('en-US'),
          100,
          fmtMs(full),
          fmtMs(empty),
          `${fmtMs(full - empty)} ms`,
          full - empty <= 1000 ? 'yes' : 'no',
        ],
      ],
    ),
  );

  // 4. Continuous mode: from a file complete in the folder to its rows visible in bronze.
  const live = path.join(dir, 'live');
  rmSync(live, { recursive: true, force: true });
  mkdirSync(path.join(live, 'landing'), { recursive: true });
  await q(`CREATE TABLE IF NOT EXISTS bronze.live`, live);
  const location = path.join(live, 'lake/bronze/live');
  const watcher = watchIngest(engine, {
    location,
    name: 'bronze.live',
    source: path.join(live, 'landing'),
    catalog: createCatalog({ projectDir: live }),
    options: parseReadOptions({}, 'bench'),
    mergeSchema: false,
  });
  const latencies = [];
  for (let k = 0; k < 10; k++) {
    const tmp = path.join(live, `f${k}.tmp`);
    writeFileSync(tmp, `id,amount\n${k},1.5\n`);
    const t0 = performance.now();
    renameSync(tmp, path.join(live, 'landing', `f${k}.csv`)); // complete at once
    for (;;) {
      const [[n]] = (await q(`SELECT count(*) FROM bronze.live`, live).catch(() => ({ rows: [[0]] }))).rows;
      if (Number(n) === k + 1) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    latencies.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 200 + ((k * 137) % 400))); // files arrive at odd moments
  }
  await watcher.close();
  latencies.sort((a, b) => a - b);
  console.log('\n## 4. Continuous mode: file complete → rows in bronze\n');
  console.log(
    markdownTable(
      ['files', 'median', 'max', '≤ 1 s'],
      [
        [
          latencies.length,
          `${fmtMs(median(latencies))} ms`,
          `${fmtMs(latencies.at(-1))} ms`,
          latencies.at(-1) <= 1000 ? 'yes' : 'no',
        ],
      ],
    ),
  );
});
engine.close();

/**
 * nodejs-polars reading `csv` (every column as text) and writing Parquet, in a process of its
 * own: milliseconds, or undefined when nodejs-polars is not installed.
 */
function polarsCopy(csv, out) {
  const script = `
    const pl = require('nodejs-polars');
    const t = performance.now();
    pl.readCSV(process.argv[1], { inferSchemaLength: 0 }).writeParquet(process.argv[2]);
    process.stdout.write(String(performance.now() - t));`;
  try {
    const ms = Number(execFileSync(process.execPath, ['-e', script, csv, out], { cwd: here, encoding: 'utf8' }));
    return Number.isFinite(ms) ? ms : undefined;
  } catch {
    return undefined;
  } finally {
    rmSync(out, { force: true });
  }
}
