// Delta reader speed: delta_scan against DuckDB's read_parquet over the same files.
//
//   1. Full scan: an aggregate touching every column of the 10M-row table,
//      delta_scan vs read_parquet. Target: speed ratio ≥ 0.9
//      (speed ratio = read_parquet time / delta_scan time).
//   2. Filters on the partition column and on the column the files are sorted
//      by: files opened (filesScanned) of files in the table, and the time of the
//      same query through read_parquet with the same filter.
//
// Usage: node bench/read-scan.mjs [--rows 10000000] [--runs 7] [--filter-runs 9]
//                                 [--threads N] [--fresh] [--json out.json]
// Data is generated into bench/data/ (git-ignored) and reused between runs.
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Engine, quoteLiteral } from '../dist/engine/index.js';
import { executeQuery } from '../dist/sql/index.js';
import * as delta from '../dist/delta/index.js';
import { makeBenchTables } from './lib/make-delta-table.mjs';
import { fmtMs, machineInfo, markdownTable, median, parseArgsOrExit, timeIt } from './lib/util.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const TARGET = 0.9;

const args = parseArgsOrExit(process.argv.slice(2), {
  rows: 10_000_000,
  runs: 7,
  filterRuns: 9,
  threads: 0,
  fresh: false,
  json: '',
  dataDir: path.join(here, 'data'),
});

/** An aggregate that reads every column, so the scan is a real one. */
const AGG = `count(*) AS n, sum(order_id) AS sum_order_id, min(order_date) AS min_date, max(order_date) AS max_date,
  min(channel) AS min_channel, max(channel) AS max_channel, min(city) AS min_city, max(city) AS max_city,
  sum(product_id) AS sum_product, sum(quantity) AS sum_quantity, sum(price) AS sum_price`;

const log = (msg) => console.error(`[read-scan] ${msg}`);

const engine = await Engine.create(args.threads ? { threads: args.threads } : {});
try {
  await engine.withSession(async (session) => {
    const machine = await machineInfo(session);
    const tables = await makeBenchTables(session, { dir: args.dataDir, rows: args.rows, fresh: args.fresh, log });
    const sources = {
      flat: {
        name: 'orders_flat',
        delta: `delta_scan(${quoteLiteral(tables.flat)})`,
        parquet: `read_parquet(${quoteLiteral(path.join(tables.flat, '*.parquet'))})`,
      },
      part: {
        name: 'orders_part',
        delta: `delta_scan(${quoteLiteral(tables.part)})`,
        parquet: `read_parquet(${quoteLiteral(path.join(tables.part, '*', '*.parquet'))}, hive_partitioning = true)`,
      },
    };
    const sizes = { flat: await dirSize(tables.flat), part: await dirSize(tables.part) };

    /** Runs one query both ways, alternating which goes first; returns medians. */
    const compare = async (source, where, runs) => {
      const sql = (from) => `SELECT ${AGG} FROM ${from}${where ? ` WHERE ${where}` : ''}`;
      let scan;
      const runDelta = () =>
        timeIt(() => executeQuery(session, sql(source.delta), { onScan: (info) => (scan = info) }));
      const runParquet = () => timeIt(() => session.query(sql(source.parquet)));
      // Warm-up (also the correctness check: both must give the same answer).
      const d0 = await runDelta();
      const p0 = await runParquet();
      const same = JSON.stringify(d0.result.rows) === JSON.stringify(p0.result.rows);
      if (!same) {
        log(
          `RESULTS DIFFER for ${source.name} WHERE ${where || 'true'}:\n  delta_scan   ${JSON.stringify(d0.result.rows)}\n  read_parquet ${JSON.stringify(p0.result.rows)}`,
        );
      }
      const delta = [];
      const parquet = [];
      for (let r = 0; r < runs; r++) {
        if (r % 2 === 0) {
          delta.push((await runDelta()).ms);
          parquet.push((await runParquet()).ms);
        } else {
          parquet.push((await runParquet()).ms);
          delta.push((await runDelta()).ms);
        }
      }
      const deltaMs = median(delta);
      const parquetMs = median(parquet);
      return {
        table: source.name,
        where: where || null,
        rowsMatched: Number(d0.result.rows[0][0]),
        filesScanned: scan.filesScanned,
        filesTotal: scan.filesTotal,
        deltaMs,
        parquetMs,
        ratio: parquetMs / deltaMs,
        // Robust to noise bursts on a shared machine: the two runs of a round are adjacent in time.
        pairedRatio: median(parquet.map((p, i) => p / delta[i])),
        deltaRuns: delta,
        parquetRuns: parquet,
        sameResult: same,
      };
    };

    // 1. Full scans.
    log(`full scans: warm-up + ${args.runs} alternating runs each`);
    const full = [];
    for (const key of ['flat', 'part']) {
      full.push(await compare(sources[key], '', args.runs));
      log(
        `  ${sources[key].name}: delta_scan ${fmtMs(full.at(-1).deltaMs)} ms, read_parquet ${fmtMs(full.at(-1).parquetMs)} ms`,
      );
    }

    // Fixed cost of a delta_scan query (log replay, file skipping, planning), with no rows read.
    const overhead = [];
    for (const key of ['flat', 'part']) {
      const r = await compare(sources[key], 'FALSE', args.filterRuns);
      overhead.push(r);
    }

    // Where delta_scan's extra time goes: its steps timed one by one (internal API).
    const breakdown = [];
    for (const key of ['flat', 'part']) {
      try {
        breakdown.push(
          await measureSteps(session, sources[key], key === 'flat' ? tables.flat : tables.part, args.runs),
        );
      } catch (err) {
        log(`step breakdown skipped for ${sources[key].name}: ${err instanceof Error ? err.message : err}`);
      }
    }

    // 2. Filters: files opened and times.
    const filters = [
      ['flat', "order_date BETWEEN DATE '2024-03-01' AND DATE '2024-03-31'", 'date range, 1 month (sorted column)'],
      ['flat', "order_date = DATE '2023-07-14'", 'date equality, 1 day (sorted column)'],
      ['flat', "order_date >= DATE '2030-01-01'", 'matches nothing (date after all data)'],
      ['flat', "city = 'Paris'", 'not prunable (city is not sorted)'],
      ['part', "channel = 'phone'", 'partition equality'],
      ['part', "channel IN ('phone', 'marketplace')", 'partition IN'],
      [
        'part',
        "channel = 'online' AND order_date BETWEEN DATE '2024-03-01' AND DATE '2024-03-31'",
        'partition + date range',
      ],
      [
        'part',
        "order_date BETWEEN DATE '2024-03-01' AND DATE '2024-03-31'",
        'date range, 1 month (sorted within partitions)',
      ],
      ['part', "channel = 'fax'", 'matches nothing (no such partition)'],
    ];
    log(`filters: warm-up + ${args.filterRuns} alternating runs each`);
    const filtered = [];
    for (const [key, where, label] of filters) {
      const r = await compare(sources[key], where, args.filterRuns);
      filtered.push({ ...r, label });
      log(`  ${sources[key].name} ${label}: ${r.filesScanned}/${r.filesTotal} files`);
    }

    // Report.
    const out = [];
    out.push(`# read-scan: delta_scan vs read_parquet (${args.rows.toLocaleString('en-US')} rows)`);
    out.push('');
    out.push(
      `Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB RAM, ${machine.platform}; ` +
        `Node ${machine.node}; DuckDB ${machine.duckdb} (@duckdb/node-api ${machine.duckdbNodeApi}), threads=${machine.duckdbThreads}, memory_limit=${machine.duckdbMemoryLimit}`,
    );
    out.push(
      `Data: orders_flat ${full[0].filesTotal} files, ${mb(sizes.flat)}; orders_part ${full[1].filesTotal} files, ${mb(sizes.part)}` +
        `${tables.reused ? ' (reused)' : ' (generated this run)'}`,
    );
    out.push(
      `Times are medians of ${args.runs} runs (full scans) / ${args.filterRuns} runs (filters) after one warm-up, the two readers alternated; speed ratio = read_parquet time / delta_scan time.`,
    );
    out.push('');
    out.push('## 1. Full scan (aggregate over every column)');
    out.push('');
    out.push(
      markdownTable(
        [
          'table',
          'rows',
          'files',
          'delta_scan ms',
          'read_parquet ms',
          'speed ratio',
          `≥ ${TARGET}×`,
          'paired ratio',
          'same result',
        ],
        full.map((r) => [
          r.table,
          r.rowsMatched.toLocaleString('en-US'),
          r.filesTotal,
          fmtMs(r.deltaMs),
          fmtMs(r.parquetMs),
          r.ratio.toFixed(3) + '×',
          r.ratio >= TARGET ? 'yes' : 'NO',
          r.pairedRatio.toFixed(3) + '×',
          r.sameResult ? 'yes' : 'NO',
        ]),
        'llrrrrlrl',
      ),
    );
    out.push('');
    for (const r of full) {
      out.push(
        `Runs (ms), ${r.table}: delta_scan ${r.deltaRuns.map((v) => v.toFixed(0)).join(' ')}; read_parquet ${r.parquetRuns.map((v) => v.toFixed(0)).join(' ')}.`,
      );
    }
    out.push('');
    out.push(
      'Fixed cost per query, no rows read (`WHERE FALSE`): ' +
        overhead
          .map((r) => `${r.table} delta_scan ${fmtMs(r.deltaMs)} ms vs read_parquet ${fmtMs(r.parquetMs)} ms`)
          .join('; ') +
        '.',
    );
    out.push('');
    if (breakdown.length > 0) {
      out.push(
        "Where delta_scan's extra time goes (medians; the scan SQL is the query `delta_scan` plans, run directly):",
      );
      out.push('');
      out.push(
        markdownTable(
          ['table', 'log replay ms', 'planScan ms', 'scan SQL alone ms', 'read_parquet ms', 'scan SQL / read_parquet'],
          breakdown.map((b) => [
            b.table,
            fmtMs(b.snapshotMs),
            fmtMs(b.planMs),
            fmtMs(b.scanSqlMs),
            fmtMs(b.parquetMs),
            (b.scanSqlMs / b.parquetMs).toFixed(3),
          ]),
          'lrrrrr',
        ),
      );
      out.push('');
    }
    out.push('## 2. Filters: files opened and time');
    out.push('');
    out.push(
      markdownTable(
        [
          'table',
          'filter',
          'what',
          'rows',
          'files opened',
          'delta_scan ms',
          'read_parquet ms',
          'speed ratio',
          'same result',
        ],
        filtered.map((r) => [
          r.table,
          `\`${r.where}\``,
          r.label,
          r.rowsMatched.toLocaleString('en-US'),
          `${r.filesScanned} / ${r.filesTotal}`,
          fmtMs(r.deltaMs),
          fmtMs(r.parquetMs),
          r.ratio.toFixed(2) + '×',
          r.sameResult ? 'yes' : 'NO',
        ]),
        'lllrrrrrl',
      ),
    );
    out.push('');
    out.push(
      'read_parquet opens every file of the glob (hive partitions excepted) and skips row groups by their min/max stats; delta_scan opens only the files above.',
    );
    out.push('');
    const primary = full[0];
    out.push(
      `Target 1 (full scan ≥ ${TARGET}× read_parquet): ${primary.ratio >= TARGET ? 'MET' : 'NOT MET'} on ${primary.table} ` +
        `(${primary.ratio.toFixed(3)}×); ${full[1].table}: ${full[1].ratio >= TARGET ? 'met' : 'not met'} (${full[1].ratio.toFixed(3)}×).`,
    );
    console.log(out.join('\n'));

    if (args.json) {
      const report = {
        benchmark: 'read-scan',
        date: new Date().toISOString(),
        args,
        machine,
        sizes,
        full,
        overhead,
        breakdown,
        filters: filtered,
      };
      await fs.writeFile(args.json, JSON.stringify(report, null, 2) + '\n');
      log(`wrote ${args.json}`);
    }
    if ([...full, ...overhead, ...filtered].some((r) => !r.sameResult)) process.exitCode = 1;
  });
} finally {
  engine.close();
}

/**
 * Times delta_scan's steps separately: log replay (loadSnapshot), planning
 * (planScan: file checks and a DESCRIBE per read group), and the planned SQL
 * run directly, against read_parquet, alternating the last two.
 */
async function measureSteps(session, source, location, runs) {
  const sql = (from) => `SELECT ${AGG} FROM ${from}`;
  const steps = { snapshot: [], plan: [], scanSql: [], parquet: [] };
  for (let r = -1; r < runs; r++) {
    const snap = await timeIt(() => delta.loadSnapshot(location, { session, name: source.name }));
    const plan = await timeIt(() => delta.planScan(snap.result, session, { id: `bench_${r + 1}` }));
    try {
      const scan = () => timeIt(() => session.query(sql(`(${plan.result.sql}) AS __scan`)));
      const ref = () => timeIt(() => session.query(sql(source.parquet)));
      const [a, b] = r % 2 === 0 ? [await scan(), await ref()] : [await ref(), await scan()];
      const [scanRun, refRun] = r % 2 === 0 ? [a, b] : [b, a];
      if (r < 0) continue; // warm-up
      steps.snapshot.push(snap.ms);
      steps.plan.push(plan.ms);
      steps.scanSql.push(scanRun.ms);
      steps.parquet.push(refRun.ms);
    } finally {
      for (const statement of plan.result.cleanup) await session.exec(statement);
    }
  }
  return {
    table: source.name,
    snapshotMs: median(steps.snapshot),
    planMs: median(steps.plan),
    scanSqlMs: median(steps.scanSql),
    parquetMs: median(steps.parquet),
    runs: steps,
  };
}

function mb(bytes) {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

async function dirSize(dir) {
  let total = 0;
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await fs.stat(path.join(entry.parentPath ?? entry.path, entry.name))).size;
  }
  return total;
}
