// Writer benchmarks (the Delta writer issue's targets), each against a
// reference measured in the same run:
//   1. CREATE TABLE ... AS SELECT * FROM read_csv(<10M-row CSV>) vs DuckDB's own
//      COPY (SELECT * FROM read_csv(...)) TO 'x.parquet' — target ≤ 1.15×.
//   2. Opening the latest snapshot of a table with 10,000 small commits, with a
//      checkpoint (target ≤ 200 ms) and without one (reported).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, cpSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine, quoteLiteral } from '../dist/engine/index.js';
import { executeQuery } from '../dist/sql/index.js';
import { commit, loadSnapshot, writeCheckpoint } from '../dist/delta/index.js';
import { LocalStore } from '../dist/storage/index.js';
import { fmtMs, machineLine, markdownTable, median, parseArgsOrExit, timeIt } from './lib/util.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = parseArgsOrExit(process.argv.slice(2), {
  rows: 10_000_000,
  commits: 10_000,
  rounds: 3,
  fresh: false,
  json: '',
});
const data = path.join(here, 'data', `write-${args.rows}`);
const log = (m) => process.stderr.write(`${m}\n`);

const engine = await Engine.create({});
await engine.withSession(async (s) => {
  console.log(
    `# write: the Delta writer against DuckDB (${args.rows.toLocaleString('en-US')} rows, ${args.commits.toLocaleString('en-US')} commits)\n`,
  );
  console.log(`Machine: ${await machineLine(s)}\n`);

  // 1. CTAS from a CSV.
  mkdirSync(data, { recursive: true });
  const csv = path.join(data, 'orders.csv');
  if (args.fresh || !existsSync(csv)) {
    log(`generating ${csv} ...`);
    await s.exec(
      `COPY (SELECT range AS order_id, DATE '2023-01-01' + (range % 730)::INT AS order_date,
                    ['online', 'retail', 'phone', 'marketplace'][1 + (hash(range) % 4)::INT] AS channel,
                    'city_' || (hash(range * 3) % 50) AS city, (hash(range * 7) % 5000)::INT AS product_id,
                    (1 + hash(range * 11) % 9)::INT AS quantity, ((hash(range * 13) % 100000) / 100.0)::DECIMAL(12,2) AS price
             FROM range(${args.rows})) TO ${quoteLiteral(csv)} (HEADER)`,
    );
  }
  const csvMb = statSync(csv).size / 2 ** 20;
  const ours = [];
  const theirs = [];
  for (let round = 0; round <= args.rounds; round++) {
    const table = path.join(data, `ctas-${round}`);
    const parquet = path.join(data, `copy-${round}.parquet`);
    rmSync(table, { recursive: true, force: true });
    rmSync(parquet, { force: true });
    const a = await timeIt(() =>
      executeQuery(s, `CREATE TABLE delta.\`${table}\` AS SELECT * FROM read_csv(${quoteLiteral(csv)})`),
    );
    const b = await timeIt(() =>
      s.exec(`COPY (SELECT * FROM read_csv(${quoteLiteral(csv)})) TO ${quoteLiteral(parquet)} (FORMAT parquet)`),
    );
    if (round > 0) {
      ours.push(a.ms);
      theirs.push(b.ms);
    }
    log(`round ${round}: CTAS ${fmtMs(a.ms)} ms, COPY ${fmtMs(b.ms)} ms${round === 0 ? ' (warm-up)' : ''}`);
    rmSync(table, { recursive: true, force: true });
    rmSync(parquet, { force: true });
  }
  const ratio = median(ours) / median(theirs);
  console.log('## 1. CREATE TABLE AS SELECT from a CSV\n');
  console.log(
    markdownTable(
      ['rows', 'CSV MiB', 'CTAS ms (median)', 'DuckDB COPY ms (median)', 'time ratio', '≤ 1.15×'],
      [
        [
          args.rows.toLocaleString('en-US'),
          csvMb.toFixed(0),
          fmtMs(median(ours)),
          fmtMs(median(theirs)),
          `${ratio.toFixed(3)}×`,
          ratio <= 1.15 ? 'yes' : 'no',
        ],
      ],
    ),
  );
  console.log(`\nRuns (ms): CTAS ${ours.map(fmtMs).join(' ')}; COPY ${theirs.map(fmtMs).join(' ')}.\n`);

  // 2. A long log.
  const withCp = path.join(data, `log-${args.commits}`);
  const noCp = path.join(data, `log-${args.commits}-nocheckpoint`);
  if (args.fresh || !existsSync(path.join(withCp, '_delta_log', '_last_checkpoint'))) {
    rmSync(withCp, { recursive: true, force: true });
    log(`writing ${args.commits} commits ...`);
    const store = new LocalStore(withCp);
    const schema = JSON.stringify({
      type: 'struct',
      fields: [
        { name: 'id', type: 'long', nullable: true, metadata: {} },
        { name: 'day', type: 'date', nullable: true, metadata: {} },
      ],
    });
    const footprint = {
      readWholeTable: false,
      readFiles: new Set(),
      removedFiles: new Set(),
      changesMetadata: false,
      appIds: new Set(),
    };
    await commit(store, 'bench', -1, {
      operation: 'CREATE TABLE',
      actions: [
        { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
        {
          metaData: {
            id: 'bench-log',
            format: { provider: 'parquet', options: {} },
            schemaString: schema,
            partitionColumns: [],
            configuration: {},
            createdTime: Date.now(),
          },
        },
      ],
      footprint,
    });
    for (let v = 1; v < args.commits; v++) {
      const stats = JSON.stringify({
        numRecords: 100,
        minValues: { id: v * 100, day: '2024-01-01' },
        maxValues: { id: v * 100 + 99, day: '2024-01-01' },
        nullCount: { id: 0, day: 0 },
      });
      await commit(store, 'bench', v - 1, {
        operation: 'WRITE',
        operationParameters: { mode: 'Append' },
        actions: [
          {
            add: {
              path: `part-${String(v).padStart(5, '0')}.parquet`,
              partitionValues: {},
              size: 1500,
              modificationTime: Date.now(),
              dataChange: true,
              stats,
            },
          },
        ],
        footprint,
      });
      // The writer checkpoints every 10 commits; only the newest one matters for opening.
      if (v % 10 === 0 && v + 10 >= args.commits)
        await writeCheckpoint(s, store, await loadSnapshot(withCp, { session: s, version: v }));
    }
  }
  if (!existsSync(noCp)) {
    cpSync(withCp, noCp, { recursive: true });
    for (const f of readdirSync(path.join(noCp, '_delta_log')))
      if (f.includes('checkpoint')) rmSync(path.join(noCp, '_delta_log', f));
  }
  const openWarm = async (table) => {
    const times = [];
    for (let i = 0; i < 7; i++) times.push((await timeIt(() => loadSnapshot(table, { session: s }))).ms);
    return median(times.slice(1));
  };
  const openCold = (table) => {
    const script = `const t0 = performance.now(); const { Engine } = await import(${JSON.stringify(path.join(here, '../dist/engine/index.js'))}); const { loadSnapshot } = await import(${JSON.stringify(path.join(here, '../dist/delta/index.js'))}); const e = await Engine.create({}); const t1 = performance.now(); await e.withSession((s) => loadSnapshot(${JSON.stringify(table)}, { session: s })); console.log(performance.now() - t1);`;
    const times = [];
    for (let i = 0; i < 3; i++)
      times.push(Number(execFileSync(process.execPath, ['--input-type=module', '-e', script]).toString().trim()));
    return median(times);
  };
  const snap = await loadSnapshot(withCp, { session: s });
  const rows = [
    ['with a checkpoint', snap.version, snap.files.length, fmtMs(await openWarm(withCp)), fmtMs(openCold(withCp))],
    ['without a checkpoint', snap.version, snap.files.length, fmtMs(await openWarm(noCp)), fmtMs(openCold(noCp))],
  ];
  console.log(`## 2. Opening the latest snapshot of a ${args.commits.toLocaleString('en-US')}-commit log\n`);
  console.log(
    markdownTable(
      ['log', 'version', 'live files', 'warm open ms (median)', 'cold open ms (new process, median)'],
      rows,
    ),
  );
  const warm = Number(rows[0][3]);
  console.log(
    `\nTarget (with checkpoints, ≤ 200 ms): ${warm <= 200 && Number(rows[0][4]) <= 200 ? 'met' : 'NOT met'}.`,
  );
});
engine.close();
