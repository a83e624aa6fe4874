// DML and maintenance benchmarks (the DML issue's targets), each against a
// reference measured in the same run:
//   1. MERGE of 100,000 changed rows into a 10-million-row table clustered by
//      the key: files rewritten, and time against rewriting the whole table (≤ 10%).
//   2. DELETE of one partition: a metadata-only commit (no data file rewritten).
//   3. OPTIMIZE of 1,000 small files: throughput against DuckDB's COPY of the same rows.
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine, quoteStringList } from '../dist/engine/index.js';
import { executeQuery } from '../dist/sql/index.js';
import { canonicalPath, loadSnapshot } from '../dist/delta/index.js';
import { fmtMs, machineLine, markdownTable, median, parseArgsOrExit, timeIt } from './lib/util.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = parseArgsOrExit(process.argv.slice(2), {
  rows: 10_000_000,
  changed: 100_000,
  smallFiles: 1000,
  rounds: 3,
  fileSize: '4MB',
});
const dir = path.join(here, 'data', `dml-${args.rows}`);
rmSync(dir, { recursive: true, force: true });
const log = (m) => process.stderr.write(`${m}\n`);
const engine = await Engine.create({});
const lastCommit = (table) => {
  const files = readdirSync(path.join(table, '_delta_log'))
    .filter((f) => f.endsWith('.json'))
    .sort();
  return readFileSync(path.join(table, '_delta_log', files.at(-1)), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
};

await engine.withSession(async (s) => {
  const q = (sql) => executeQuery(s, sql, { baseDir: dir });
  console.log(`# dml: MERGE, DELETE and OPTIMIZE (${args.rows.toLocaleString('en-US')} rows)\n`);
  console.log(`Machine: ${await machineLine(s)}\n`);

  // 1. MERGE into a table clustered by key: copy-on-write, then with deletion vectors.
  console.log('## 1. MERGE of changed rows into a table clustered by the key\n');
  const results = [];
  for (const [mode, props] of [
    ['copy-on-write', ''],
    ['deletion vectors', `, 'delta.enableDeletionVectors' = 'true'`],
  ]) {
    log(`creating the clustered table (${mode}) ...`);
    await q(`CREATE OR REPLACE TABLE bench.orders TBLPROPERTIES ('delta.targetFileSize' = '${args.fileSize}'${props}) AS
             SELECT id AS order_id, (hash(id) % 5000)::INT AS product_id, (1 + hash(id * 3) % 9)::INT AS quantity,
                    ((hash(id * 7) % 100000) / 100.0)::DECIMAL(12,2) AS price, 'note ' || (id % 1000) AS note
             FROM range(${args.rows}) ORDER BY order_id`);
    const table = path.join(dir, 'lake/bench/orders');
    const files = (await loadSnapshot(table, { session: s })).files.length;
    const merges = [];
    const rewrites = [];
    const touched = [];
    for (let round = 0; round <= args.rounds; round++) {
      const start = Math.floor(args.rows * 0.9) - round * args.changed;
      const m = await timeIt(() =>
        q(`MERGE INTO bench.orders t USING (SELECT id AS order_id, 2 AS quantity FROM range(${start}, ${start + args.changed})) s ON t.order_id = s.order_id
           WHEN MATCHED THEN UPDATE SET quantity = s.quantity + ${round}`),
      );
      const metrics = lastCommit(table).find((a) => a.commitInfo).commitInfo.operationMetrics;
      // The reference rewrites every row of the table, into a copy (so the merged table keeps its layout).
      const r = await timeIt(() => q(`CREATE OR REPLACE TABLE bench.rewrite AS SELECT * FROM bench.orders`));
      const marked = Number(metrics.numTargetDeletionVectorsAdded ?? 0);
      log(
        `${mode} round ${round}: MERGE ${fmtMs(m.ms)} ms (${metrics.numTargetFilesRemoved} files rewritten, ${marked} marked, ${metrics.numTargetRowsUpdated} updated), full rewrite ${fmtMs(r.ms)} ms`,
      );
      if (round > 0) {
        merges.push(m.ms);
        rewrites.push(r.ms);
        touched.push(
          mode === 'copy-on-write'
            ? `${metrics.numTargetFilesRemoved}/${files} rewritten`
            : `${marked}/${files} marked, ${metrics.numTargetRowsCopied} rows copied`,
        );
      }
    }
    const share = median(merges) / median(rewrites);
    results.push([
      mode,
      args.rows.toLocaleString('en-US'),
      args.changed.toLocaleString('en-US'),
      touched.join('; '),
      fmtMs(median(merges)),
      fmtMs(median(rewrites)),
      `${(share * 100).toFixed(1)}%`,
      share <= 0.1 ? 'yes' : 'no',
    ]);
    console.error(
      `runs (ms), ${mode}: MERGE ${merges.map(fmtMs).join(' ')}; full rewrite ${rewrites.map(fmtMs).join(' ')}`,
    );
  }
  console.log(
    markdownTable(
      ['mode', 'table rows', 'changed rows', 'files', 'MERGE ms', 'full rewrite ms', 'MERGE / rewrite', '≤ 10%'],
      results,
    ),
  );
  console.log('\nFull rewrite = CREATE OR REPLACE TABLE copy AS SELECT * FROM t, in the same run; medians.\n');

  // 2. DELETE of one partition.
  log('creating the partitioned table ...');
  await q(
    `CREATE TABLE bench.daily PARTITIONED BY (day) AS SELECT DATE '2024-01-01' + (id % 30)::INT AS day, id, id * 0.5 AS amount FROM range(${Math.min(args.rows, 3_000_000)})`,
  );
  const d = await timeIt(() => q(`DELETE FROM bench.daily WHERE day = DATE '2024-01-15'`));
  const commitD = lastCommit(path.join(dir, 'lake/bench/daily'));
  const adds = commitD.filter((a) => a.add).length;
  const removes = commitD.filter((a) => a.remove).length;
  console.log('## 2. DELETE of one partition\n');
  console.log(
    markdownTable(
      ['rows deleted', 'files removed', 'data files written', 'time ms'],
      [[commitD.find((a) => a.commitInfo).commitInfo.operationMetrics.numDeletedRows, removes, adds, fmtMs(d.ms)]],
    ),
  );
  console.log(
    `\nMetadata-only: ${adds === 0 ? 'yes' : 'NO'} (the commit removes the partition's files and adds none).\n`,
  );

  // 3. OPTIMIZE of many small files.
  log('creating the small files ...');
  const rows3 = args.smallFiles * 2048;
  await q(
    `CREATE TABLE bench.small TBLPROPERTIES ('delta.targetFileSize' = '1kb') AS SELECT id, hash(id) % 1000 AS k, 'x' || id AS label FROM range(${rows3})`,
  );
  const small = path.join(dir, 'lake/bench/small');
  const snap = await loadSnapshot(small, { session: s });
  const paths = snap.files.map((f) => canonicalPath(small, f.path));
  await q(`ALTER TABLE bench.small SET TBLPROPERTIES ('delta.targetFileSize' = '128MB')`);
  const copyTimes = [];
  for (let i = 0; i < args.rounds; i++) {
    const out = path.join(dir, `copy-${i}.parquet`);
    copyTimes.push(
      (
        await timeIt(() =>
          s.exec(`COPY (SELECT * FROM read_parquet(${quoteStringList(paths)})) TO '${out}' (FORMAT parquet)`),
        )
      ).ms,
    );
    rmSync(out, { force: true });
  }
  const o = await timeIt(() => q(`OPTIMIZE bench.small`));
  const [, removed, added] = o.result.rows[0];
  console.log('## 3. OPTIMIZE of small files\n');
  console.log(
    markdownTable(
      [
        'files before',
        'rows',
        'files after',
        'OPTIMIZE ms',
        'rows/s',
        'DuckDB COPY ms (median)',
        'rows/s',
        'OPTIMIZE / COPY time',
      ],
      [
        [
          removed,
          rows3.toLocaleString('en-US'),
          added,
          fmtMs(o.ms),
          Math.round(rows3 / (o.ms / 1000)).toLocaleString('en-US'),
          fmtMs(median(copyTimes)),
          Math.round(rows3 / (median(copyTimes) / 1000)).toLocaleString('en-US'),
          `${(o.ms / median(copyTimes)).toFixed(2)}×`,
        ],
      ],
    ),
  );
  console.log(`\nFiles before: ${snap.files.length}.`);
});
engine.close();
