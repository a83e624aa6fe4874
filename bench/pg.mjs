// The Postgres endpoint (issue 22): what a BI tool and psql see, each figure against a reference
// measured in the same run. The endpoint runs in a child process (startPgServer on the project's
// read-only lake); the clients run here.
//   1. A KPI query (revenue by month over --sales rows, 100k) through Node's pg, --runs times: p50
//      against the same query on the project's read-only lake without the wire (DuckDB through
//      Strata's engine, in this process). Target: p50 ≤ the lake's p50 + 2 ms.
//   2. --big rows (1M) × 6 columns of mixed types to psql (`psql -c "SELECT * FROM gold.big" >
//      /dev/null`): time against a real PostgreSQL 15 serving the same rows (loaded with COPY); the
//      same query's time until its last row is in (psql's \timing, before it prints); and
//      the endpoint process's peak RSS above its idle RSS while it serves (VmHWM, reset before each
//      round through /proc/<pid>/clear_refs; else VmRSS sampled every 50 ms).
//   3. --clients (50) clients running a mix of 4 dashboard queries for --seconds (10): all answered,
//      count, p50, p99; against one client running the same mix.
//
//   npm run build && node bench/pg.mjs [--sales 100k] [--big 1m] [--runs 200] [--rounds 3] [--clients 50] [--seconds 10]
//
// Part 2 needs psql and PostgreSQL 15's server programs (Debian's postgresql-15, or
// STRATA_POSTGRES_BIN), as the differential test does; without them it is skipped. Generated data:
// bench/data/pg (made again each run, about 100 MB at the defaults).
import { fork, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openProject, openReadOnlyLake } from '../dist/project/index.js';
import { startPgServer } from '../dist/pg/index.js';
import { localPostgresMissing, startLocalPostgres } from './lib/local-postgres.mjs';
import { fmtMs, machineLine, markdownTable, median, parseArgsOrExit } from './lib/util.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = parseArgsOrExit(process.argv.slice(2), {
  sales: 100_000,
  big: 1_000_000,
  runs: 200,
  rounds: 3,
  clients: 50,
  seconds: 10,
  child: '',
});
const PASSWORD = 'bench-pg-password';
const USER = 'analyst';
const log = (m) => process.stderr.write(`${m}\n`);

/** The child: the endpoint over the project in `dir`; its port to the parent. */
async function serve(dir) {
  const project = await openProject(dir, { env: { ...process.env, STRATA_PG_BENCH_PASSWORD: PASSWORD } });
  const server = await startPgServer(project, { port: 0 });
  process.send({ port: server.port });
  process.on('disconnect', () => process.exit(0)); // (the parent is gone)
  process.on('message', async (m) => {
    if (m === 'close') {
      await server.close();
      project.engine.close();
      process.exit(0);
    }
  });
}

const KPI = `SELECT date_trunc('month', order_date) AS month, sum(amount) AS revenue, count(*) AS orders
  FROM gold.sales GROUP BY 1 ORDER BY 1`;
/** A dashboard's queries: the KPI, a breakdown, a top 10 with a parameter (extended protocol), totals. */
const DASHBOARD = [
  { text: KPI },
  {
    text: 'SELECT channel, sum(amount) AS revenue, sum(units) AS units FROM gold.sales GROUP BY channel ORDER BY revenue DESC',
  },
  {
    text: `SELECT region, sum(amount) AS revenue FROM gold.sales WHERE order_date >= $1::DATE
      GROUP BY region ORDER BY revenue DESC LIMIT 10`,
    values: ['2024-07-01'],
  },
  { text: 'SELECT count(*) AS orders, sum(amount) AS revenue, avg(amount) AS avg_order FROM gold.sales' },
];

async function main() {
  // Part 2 needs psql and a PostgreSQL 15 to compare with; without them it is skipped.
  const missing =
    localPostgresMissing() ?? (spawnSync('psql', ['--version']).error ? 'psql is not installed' : undefined);
  const dir = path.join(here, 'data', 'pg');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  writeFileSync(
    path.join(dir, 'strata.yaml'),
    `name: bench\ncatalog: lake\nserve:\n  pg:\n    users:\n      ${USER}:\n        password: \${env:STRATA_PG_BENCH_PASSWORD}\n`,
  );
  const project = await openProject(dir, { env: { ...process.env, STRATA_PG_BENCH_PASSWORD: PASSWORD } });
  const machine = await project.withSession((s) => machineLine(s));
  const bigCsv = path.join(dir, 'data', 'big.csv');
  log('generating the tables ...');
  await project.withSession(async (s) => {
    await s.exec(`COPY (SELECT i AS order_id, DATE '2023-01-01' + CAST(i % 730 AS INTEGER) AS order_date,
        ['online', 'retail', 'partner', 'marketplace'][1 + CAST(i % 4 AS INTEGER)] AS channel,
        'region ' || CAST(hash(i) % 20 AS INTEGER) AS region,
        CAST((hash(i * 7) % 100000) / 100.0 AS DECIMAL(12,2)) AS amount, CAST(1 + hash(i * 3) % 9 AS INTEGER) AS units
      FROM range(${args.sales}) t(i)) TO '${path.join(dir, 'data', 'sales.parquet')}' (FORMAT parquet)`);
    await s.exec(`COPY (SELECT i AS id, DATE '2020-01-01' + CAST(i % 1500 AS INTEGER) AS day,
        ['online', 'retail', 'partner', 'marketplace'][1 + CAST(i % 4 AS INTEGER)] AS channel,
        CAST((hash(i) % 1000000) / 100.0 AS DECIMAL(12,2)) AS amount, i % 3 = 0 AS ok,
        TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(CAST(i * 37 % 31536000 AS BIGINT)) AS placed_at
      FROM range(${args.big}) t(i)) TO '${path.join(dir, 'data', 'big.parquet')}' (FORMAT parquet)`);
    await s.exec(
      `COPY (SELECT * FROM read_parquet('${path.join(dir, 'data', 'big.parquet')}')) TO '${bigCsv}' (HEADER false)`,
    );
  });
  // The columns named: a parquet.`path` read adds _rescued_data (Spark's), which PostgreSQL's table has not.
  await project.query(
    'CREATE TABLE gold.sales AS SELECT order_id, order_date, channel, region, amount, units FROM parquet.`data/sales.parquet`',
  );
  await project.query(
    'CREATE TABLE gold.big AS SELECT id, day, channel, amount, ok, placed_at FROM parquet.`data/big.parquet`',
  );

  // The endpoint, in a child process.
  const child = fork(fileURLToPath(import.meta.url), ['--child', dir], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const { port } = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`the endpoint exited (${code})`)));
  });
  log(`endpoint on port ${port} (pid ${child.pid})`);
  const endpointConfig = { host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'lake' };
  const lake = await openReadOnlyLake(project);

  console.log('# The Postgres endpoint (issue 22)\n');
  console.log(`Machine: ${machine}; load average (1 min) at the start: ${loadavg()[0].toFixed(2)}\n`);

  // 1. The KPI query.
  log('1. the KPI query ...');
  const client = new pg.Client(endpointConfig);
  await client.connect();
  const direct = () => lake.query(KPI, { dialect: 'duckdb' });
  const simple = () => client.query(KPI);
  const prepared = () => client.query({ name: 'kpi', text: KPI });
  const revenue = (rows) => rows.map((r) => Number(r[1]).toFixed(2)).join();
  const [expected, got] = [(await direct()).rows, (await client.query({ text: KPI, rowMode: 'array' })).rows];
  if (revenue(got) !== revenue(expected)) throw new Error('the endpoint and the lake disagree on the KPI');
  for (let i = 0; i < 10; i++) {
    await direct();
    await simple();
    await prepared();
  }
  const times = { direct: [], simple: [], prepared: [] };
  const kinds = [
    ['direct', direct],
    ['simple', simple],
    ['prepared', prepared],
  ];
  for (let i = 0; i < args.runs; i++) {
    // (The order turns each round, so that no path always follows the same one.)
    for (let k = 0; k < kinds.length; k++) {
      const [name, fn] = kinds[(i + k) % kinds.length];
      const t0 = performance.now();
      await fn();
      times[name].push(performance.now() - t0);
    }
  }
  // Each round's difference to the lake's run of the same round: steadier on a noisy machine.
  const paired = (name) => median(times[name].map((t, i) => t - times.direct[i]));
  await client.end();
  const p50 = (name) => percentile(times[name], 50);
  console.log(`## 1. A KPI query (revenue by month, ${args.sales.toLocaleString('en-US')} rows, ${args.runs} runs)\n`);
  console.log(
    markdownTable(
      ['path', 'p50 (ms)', 'p90 (ms)', 'p50 − lake (ms)', 'paired median − lake (ms)', 'target ≤ +2 ms'],
      [
        [
          'read-only lake, no wire (reference)',
          fmtMs(p50('direct')),
          fmtMs(percentile(times.direct, 90)),
          '—',
          '—',
          '',
        ],
        ...['simple', 'prepared'].map((name) => [
          name === 'simple' ? "endpoint, Node's pg, simple query" : "endpoint, Node's pg, named prepared statement",
          fmtMs(p50(name)),
          fmtMs(percentile(times[name], 90)),
          fmtMs(p50(name) - p50('direct')),
          fmtMs(paired(name)),
          p50(name) - p50('direct') <= 2 ? 'met' : 'not met',
        ]),
      ],
      'lrrrrl',
    ),
  );
  console.log();

  // 2. One million rows to psql, against PostgreSQL.
  if (missing) console.log(`## 2. ${args.big.toLocaleString('en-US')} rows to psql: skipped (${missing})\n`);
  else await bigToPsql(port, child.pid, bigCsv, lake);

  // 3. Concurrent dashboard clients.
  log(`3. ${args.clients} clients for ${args.seconds} s ...`);
  const one = await dashboardLoad(endpointConfig, 1, Math.min(args.seconds, 5));
  const many = await dashboardLoad(endpointConfig, args.clients, args.seconds);
  console.log(
    `## 3. Dashboard clients (a mix of ${DASHBOARD.length} queries on gold.sales, one in the extended protocol)\n`,
  );
  console.log(
    markdownTable(
      ['clients', 'seconds', 'queries answered', 'errors', 'queries/s', 'p50 (ms)', 'p99 (ms)'],
      [one, many].map((r) => [
        r.clients === 1 ? '1 (reference)' : String(r.clients),
        String(r.seconds),
        r.count.toLocaleString('en-US'),
        String(r.errors),
        (r.count / r.seconds).toFixed(0),
        fmtMs(r.p50),
        fmtMs(r.p99),
      ]),
      'lrrrrrr',
    ),
  );
  console.log(
    `\n${many.errors === 0 && many.everyClient ? 'All answered' : '**Not all answered**'}: ${many.clients} clients, every one ran queries: ${many.everyClient}; p50 ${(many.p50 / one.p50).toFixed(1)}× one client's, throughput ${(many.count / many.seconds / (one.count / one.seconds)).toFixed(2)}× one client's.`,
  );

  console.log(`\nLoad average (1 min) at the end: ${loadavg()[0].toFixed(2)}.`);
  lake.close();
  child.send('close');
  await new Promise((resolve) => child.once('exit', resolve));
  project.engine.close();
  if (many.errors > 0) process.exitCode = 1;
}

/** Part 2: the big table to psql from the endpoint and from a real PostgreSQL, and the endpoint's memory. */
async function bigToPsql(port, pid, bigCsv, lake) {
  log('2. starting PostgreSQL and loading the rows ...');
  const postgres = await startLocalPostgres({ shared_buffers: '128MB', max_connections: 100 });
  try {
    const pgArgs = [
      '-h',
      postgres.host,
      '-p',
      String(postgres.port),
      '-U',
      postgres.user,
      '-d',
      postgres.database,
      '-X',
    ];
    await psql(pgArgs, {}, [
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      `CREATE SCHEMA gold; CREATE TABLE gold.big (id bigint, day date, channel text, amount numeric(12,2), ok boolean,
        placed_at timestamptz)`,
      '-c',
      `\\copy gold.big FROM '${bigCsv}' WITH (FORMAT csv)`,
      '-c',
      'VACUUM ANALYZE gold.big',
    ]);
    const endpointArgs = ['-h', '127.0.0.1', '-p', String(port), '-U', USER, '-d', 'lake', '-X'];
    const endpointEnv = { PGPASSWORD: PASSWORD };
    const select = ['-c', 'SELECT * FROM gold.big'];
    // The endpoint's resident memory before it first serves the rows (it has answered part 1 only),
    // then its peak during each run, the warm-up's included.
    const idle = watchMemory(pid).stop().before;
    const memory = [];
    // Warm-up, and a check that both print every row.
    for (const [name, a, env] of [
      ['PostgreSQL', pgArgs, {}],
      ['endpoint', endpointArgs, endpointEnv],
    ]) {
      const watch = name === 'endpoint' ? watchMemory(pid) : undefined;
      const tail = (await psql(a, env, select, 'tail')).trim().split('\n').at(-1);
      if (watch) memory.push(watch.stop());
      if (tail !== `(${args.big} rows)`) throw new Error(`${name}: psql printed ${tail}`);
    }
    // The same rows, the same text: a few rows compared as psql prints them unaligned.
    const some = ['-At', '-c', 'SELECT * FROM gold.big WHERE id < 5 ORDER BY id'];
    const [theirs, ours] = [await psql(pgArgs, {}, some, 'tail'), await psql(endpointArgs, endpointEnv, some, 'tail')];
    if (theirs !== ours) throw new Error(`the servers print different rows:\n${theirs}\n---\n${ours}`);
    const psqlTimes = { postgres: [], endpoint: [], lake: [], postgresIn: [], endpointIn: [] };
    // For where the time goes: the engine's part, the rows streamed by the read-only lake (as the
    // endpoint reads them) to a sink that counts them, in this process (no encoding, no wire, no psql).
    const streamRows = async () => {
      let n = 0;
      const t0 = performance.now();
      await lake.query('SELECT * FROM gold.big', {
        dialect: 'duckdb',
        onRows: (_, chunk) => void (n += chunk.rowCount),
      });
      if (n !== args.big) throw new Error(`the lake streamed ${n} rows`);
      return performance.now() - t0;
    };
    await streamRows();
    for (let i = 0; i < args.rounds; i++) {
      psqlTimes.lake.push(await streamRows());
      for (const side of i % 2 ? ['endpoint', 'postgres'] : ['postgres', 'endpoint']) {
        if (side === 'postgres') {
          psqlTimes.postgres.push(await timePsql(pgArgs, {}, select));
          continue;
        }
        const watch = watchMemory(pid);
        psqlTimes.endpoint.push(await timePsql(endpointArgs, endpointEnv, select));
        memory.push(watch.stop());
      }
      // psql's own \timing: from sending the query until its last row is in (before it prints).
      psqlTimes.postgresIn.push(await receivedMs(pgArgs, {}));
      psqlTimes.endpointIn.push(await receivedMs(endpointArgs, endpointEnv));
      log(
        `round ${i + 1}: PostgreSQL ${fmtMs(psqlTimes.postgres.at(-1))} ms, endpoint ${fmtMs(psqlTimes.endpoint.at(-1))} ms, RSS ${mib(memory.at(-1).before)} → ${mib(memory.at(-1).peak)} MiB`,
      );
    }
    const [pgMs, epMs] = [median(psqlTimes.postgres), median(psqlTimes.endpoint)];
    const peak = Math.max(...memory.map((m) => m.peak));
    console.log(
      `## 2. ${args.big.toLocaleString('en-US')} rows × 6 columns to psql (\`psql -c "SELECT * FROM gold.big" > /dev/null\`, median of ${args.rounds})\n`,
    );
    console.log(
      markdownTable(
        ['server', 'time (ms)', 'rounds (ms)', 'ratio'],
        [
          ['PostgreSQL 15 (reference)', fmtMs(pgMs), psqlTimes.postgres.map(fmtMs).join(', '), '1.00×'],
          ['endpoint', fmtMs(epMs), psqlTimes.endpoint.map(fmtMs).join(', '), `${(epMs / pgMs).toFixed(2)}×`],
          [
            "PostgreSQL 15: rows in (psql's `\\timing`, before printing)",
            fmtMs(median(psqlTimes.postgresIn)),
            psqlTimes.postgresIn.map(fmtMs).join(', '),
            '1.00×',
          ],
          [
            "endpoint: rows in (psql's `\\timing`, before printing)",
            fmtMs(median(psqlTimes.endpointIn)),
            psqlTimes.endpointIn.map(fmtMs).join(', '),
            `${(median(psqlTimes.endpointIn) / median(psqlTimes.postgresIn)).toFixed(2)}×`,
          ],
          [
            'read-only lake, rows streamed to a counter (no wire, no psql)',
            fmtMs(median(psqlTimes.lake)),
            psqlTimes.lake.map(fmtMs).join(', '),
            `${(median(psqlTimes.lake) / pgMs).toFixed(2)}×`,
          ],
        ],
        'lrrr',
      ),
    );
    console.log(
      `\nThe endpoint process's resident memory: ${mib(idle)} MiB idle before the first of these queries, peak ${mib(peak)} MiB: **+${mib(peak - idle)} MiB** above idle (${memory[0].how}; each run, the warm-up first, before → peak: ${memory.map((m) => `${mib(m.before)} → ${mib(m.peak)}`).join(', ')} MiB).\n`,
    );
  } finally {
    await postgres.stop();
  }
}

/** `clients` connections each running the dashboard's queries in turn for `seconds`. */
async function dashboardLoad(config, clients, seconds) {
  const connections = await Promise.all(
    Array.from({ length: clients }, async () => {
      const c = new pg.Client(config);
      await c.connect();
      return c;
    }),
  );
  const latencies = [];
  const counts = new Array(clients).fill(0);
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    connections.map(async (c, i) => {
      for (let n = i; performance.now() < end; n++) {
        const q = DASHBOARD[n % DASHBOARD.length];
        const t0 = performance.now();
        try {
          await c.query(q);
          latencies.push(performance.now() - t0);
          counts[i]++;
        } catch (err) {
          errors++;
          log(`client ${i}: ${err.message}`);
        }
      }
    }),
  );
  await Promise.all(connections.map((c) => c.end()));
  return {
    clients,
    seconds,
    count: latencies.length,
    errors,
    everyClient: counts.every((n) => n > 0),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

const mib = (bytes) => (bytes / 2 ** 20).toFixed(0);

/** Runs psql; its output to /dev/null, or its last bytes when `keep` is 'tail'. */
function psql(psqlArgs, env, extra, keep) {
  return new Promise((resolve, reject) => {
    const out = keep === 'tail' ? 'pipe' : openSync('/dev/null', 'w');
    const p = spawn('psql', [...psqlArgs, ...extra], {
      env: { ...process.env, PGCONNECT_TIMEOUT: '10', ...env },
      stdio: ['ignore', out, 'pipe'],
    });
    let tail = '';
    let stderr = '';
    p.stdout?.on('data', (d) => (tail = (tail + d.toString()).slice(-200)));
    p.stderr.on('data', (d) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => {
      if (typeof out === 'number') closeSync(out);
      if (code !== 0 || stderr.trim()) reject(new Error(`psql exited ${code}: ${stderr.trim()}`));
      else resolve(tail);
    });
  });
}

async function timePsql(psqlArgs, env, extra) {
  const t0 = performance.now();
  await psql(psqlArgs, env, extra);
  return performance.now() - t0;
}

/** psql's `\timing` of the query (until its last row is in, not the printing), output thrown away. */
async function receivedMs(psqlArgs, env) {
  const tail = await psql(
    psqlArgs,
    env,
    ['-o', '/dev/null', '-c', '\\timing on', '-c', 'SELECT * FROM gold.big'],
    'tail',
  );
  const ms = /Time: ([\d.]+) ms/.exec(tail)?.[1];
  if (!ms) throw new Error(`psql printed no timing: ${tail}`);
  return Number(ms);
}

/** Watches a process's resident memory: its peak from now (VmHWM after a reset, else VmRSS every 50 ms). */
function watchMemory(pid) {
  const status = () => readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (text, field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
  let reset = true;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5'); // (resets VmHWM to the current RSS)
  } catch {
    reset = false;
  }
  const before = kib(status(), 'VmRSS');
  let sampled = before;
  const timer = setInterval(() => (sampled = Math.max(sampled, kib(status(), 'VmRSS'))), 50);
  return {
    stop() {
      clearInterval(timer);
      const text = status();
      sampled = Math.max(sampled, kib(text, 'VmRSS'));
      const peak = reset ? Math.max(kib(text, 'VmHWM'), sampled) : sampled;
      return { before, peak, how: reset ? 'VmHWM, reset before each run' : 'VmRSS sampled every 50 ms' };
    },
  };
}

if (args.child) await serve(args.child);
else await main();
