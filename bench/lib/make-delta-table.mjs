// Builds the benchmark's Delta tables without a Delta writer: rows generated
// by DuckDB (deterministic, hash-based from range(N)), Parquet files written
// with COPY ... TO, and the first commit (_delta_log/00000000000000000000.json)
// written by hand with per-file stats computed by DuckDB.
//
// Two tables of the same order lines:
//   orders_flat  — unpartitioned, rows sorted by order_date, ~16 files of similar size
//   orders_part  — partitioned by channel (hive folders channel=<v>/, the files do
//                  not hold the column), sorted by order_date within each partition
//
// Generated data is reused when its marker file says it was made with the same
// settings; `fresh: true` regenerates it.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { quoteIdent, quoteLiteral } from '../../dist/engine/index.js';

/** Bump when the generated data or log layout changes, to invalidate old data. */
const LAYOUT_VERSION = 1;
const TARGET_FILES = 16;
const DAYS = 730; // order dates span 2023-01-01 .. 2024-12-30

export const CHANNELS = ['online', 'store', 'phone', 'marketplace'];

const CITIES = [
  'Amsterdam',
  'Athens',
  'Barcelona',
  'Berlin',
  'Bologna',
  'Bordeaux',
  'Bratislava',
  'Bristol',
  'Brussels',
  'Bucharest',
  'Budapest',
  'Cologne',
  'Copenhagen',
  'Cork',
  'Dresden',
  'Dublin',
  'Edinburgh',
  'Florence',
  'Frankfurt',
  'Geneva',
  'Genoa',
  'Gothenburg',
  'Graz',
  'Hamburg',
  'Helsinki',
  'Krakow',
  'Leeds',
  'Leipzig',
  'Lille',
  'Lisbon',
  'Ljubljana',
  'London',
  'Lyon',
  'Madrid',
  'Malmo',
  'Marseille',
  'Milan',
  'Munich',
  'Nantes',
  'Naples',
  'Oslo',
  'Paris',
  'Porto',
  'Prague',
  'Riga',
  'Rome',
  'Rotterdam',
  'Seville',
  'Stockholm',
  'Vienna',
];

/** Delta schema of both tables, in column order. */
export const COLUMNS = [
  { name: 'order_id', delta: 'long', duck: 'BIGINT' },
  { name: 'order_date', delta: 'date', duck: 'DATE' },
  { name: 'channel', delta: 'string', duck: 'VARCHAR' },
  { name: 'city', delta: 'string', duck: 'VARCHAR' },
  { name: 'product_id', delta: 'integer', duck: 'INTEGER' },
  { name: 'quantity', delta: 'integer', duck: 'INTEGER' },
  { name: 'price', delta: 'decimal(12,2)', duck: 'DECIMAL(12,2)' },
];

/**
 * Makes (or reuses) both tables under `dir` and returns their locations.
 * @param {import('../../dist/engine/index.js').Session} session
 * @param {{ dir: string, rows: number, fresh?: boolean, log?: (msg: string) => void }} options
 */
export async function makeBenchTables(session, { dir, rows, fresh = false, log = () => {} }) {
  const root = path.resolve(dir, `orders-${rows}`);
  const marker = path.join(root, 'READY.json');
  const settings = { layout: LAYOUT_VERSION, rows, targetFiles: TARGET_FILES };
  const tables = { flat: path.join(root, 'orders_flat'), part: path.join(root, 'orders_part') };
  if (!fresh) {
    const existing = await fs.readFile(marker, 'utf8').then(JSON.parse, () => undefined);
    if (existing && JSON.stringify(existing.settings) === JSON.stringify(settings)) {
      log(`reusing generated tables in ${root} (made ${existing.madeAt}; --fresh to regenerate)`);
      return { ...tables, root, reused: true };
    }
  }
  await fs.rm(root, { recursive: true, force: true });
  await fs.mkdir(root, { recursive: true });
  const started = performance.now();

  log(`generating ${rows.toLocaleString('en-US')} order lines ...`);
  await session.exec(`CREATE OR REPLACE TEMP TABLE __bench_gen AS ${generatorSql(rows)}`);
  try {
    log(`writing ${tables.flat} (unpartitioned, sorted by order_date)`);
    await writeFlat(session, tables.flat, rows);
    log(`writing ${tables.part} (partitioned by channel, sorted by order_date)`);
    await writePartitioned(session, tables.part, rows);
  } finally {
    await session.exec('DROP TABLE IF EXISTS temp.__bench_gen');
  }
  await fs.writeFile(marker, JSON.stringify({ settings, madeAt: new Date().toISOString() }, null, 2) + '\n');
  log(`generated in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { ...tables, root, reused: false };
}

/** Deterministic rows: everything is a function of the row number i. */
function generatorSql(rows) {
  const cities = `[${CITIES.map(quoteLiteral).join(', ')}]`;
  const h = (salt, mod) => `CAST(hash(i, ${salt}) % ${mod} AS BIGINT)`;
  return `
    SELECT
      i,
      CAST(i // 3 + 1000000 AS BIGINT) AS order_id,
      CAST(DATE '2023-01-01' + CAST(i * ${DAYS} // ${rows} AS INTEGER) AS DATE) AS order_date,
      CASE WHEN ${h(1, 100)} < 50 THEN 'online'
           WHEN ${h(1, 100)} < 75 THEN 'store'
           WHEN ${h(1, 100)} < 90 THEN 'phone'
           ELSE 'marketplace' END AS channel,
      ${cities}[${h(2, CITIES.length)} + 1] AS city,
      CAST(${h(3, 5000)} + 1 AS INTEGER) AS product_id,
      CAST(${h(4, 10)} + 1 AS INTEGER) AS quantity,
      CAST((${h(5, 99900)} + 100) / 100 AS DECIMAL(12,2)) AS price
    FROM range(${rows}) AS t(i)`;
}

async function writeFlat(session, table, rows) {
  await fs.mkdir(path.join(table, '_delta_log'), { recursive: true });
  const adds = [];
  const cols = COLUMNS.map((c) => quoteIdent(c.name)).join(', ');
  for (let k = 0; k < TARGET_FILES; k++) {
    const lo = Math.floor((k * rows) / TARGET_FILES);
    const hi = Math.floor(((k + 1) * rows) / TARGET_FILES);
    const rel = `part-${String(k).padStart(5, '0')}-${randomUUID()}-c000.snappy.parquet`;
    const file = path.join(table, rel);
    await copyTo(session, `SELECT ${cols} FROM temp.__bench_gen WHERE i >= ${lo} AND i < ${hi} ORDER BY i`, file);
    adds.push(await addAction(session, table, rel, {}, COLUMNS));
  }
  await writeLog(table, [], adds);
}

async function writePartitioned(session, table, rows) {
  await fs.mkdir(path.join(table, '_delta_log'), { recursive: true });
  const dataColumns = COLUMNS.filter((c) => c.name !== 'channel');
  const cols = dataColumns.map((c) => quoteIdent(c.name)).join(', ');
  const counts = new Map(
    (await session.rows('SELECT channel, count(*)::BIGINT AS n FROM temp.__bench_gen GROUP BY channel')).map((r) => [
      r.channel,
      Number(r.n),
    ]),
  );
  const perFile = rows / TARGET_FILES;
  const adds = [];
  let seq = 0;
  for (const channel of CHANNELS) {
    const n = counts.get(channel) ?? 0;
    if (n === 0) continue;
    // Files of about the same size as the flat table's, each a date range of the partition.
    const files = Math.max(1, Math.round(n / perFile));
    const folder = `channel=${channel}`;
    await fs.mkdir(path.join(table, folder), { recursive: true });
    for (let k = 0; k < files; k++) {
      const lo = Math.floor((k * rows) / files);
      const hi = Math.floor(((k + 1) * rows) / files);
      const name = `part-${String(seq++).padStart(5, '0')}-${randomUUID()}.c000.snappy.parquet`;
      const file = path.join(table, folder, name);
      await copyTo(
        session,
        `SELECT ${cols} FROM temp.__bench_gen WHERE channel = ${quoteLiteral(channel)} AND i >= ${lo} AND i < ${hi} ORDER BY i`,
        file,
      );
      adds.push(await addAction(session, table, `${folder}/${name}`, { channel }, dataColumns));
    }
  }
  await writeLog(table, ['channel'], adds);
}

async function copyTo(session, select, file) {
  await session.exec(`COPY (${select}) TO ${quoteLiteral(file)} (FORMAT parquet, COMPRESSION snappy)`);
}

/** An add action for one written file, with stats computed by DuckDB. */
async function addAction(session, table, rel, partitionValues, dataColumns) {
  const file = path.join(table, ...rel.split('/'));
  const parts = ['count(*)::BIGINT AS "numRecords"'];
  for (const c of dataColumns) {
    const col = quoteIdent(c.name);
    // Dates as 'YYYY-MM-DD', decimals as numbers, as Spark writes them.
    const conv =
      c.duck === 'DATE'
        ? (e) => `strftime(${e}, '%Y-%m-%d')`
        : c.duck.startsWith('DECIMAL')
          ? (e) => `CAST(${e} AS DOUBLE)`
          : (e) => e;
    parts.push(`${conv(`min(${col})`)} AS ${quoteIdent(`min:${c.name}`)}`);
    parts.push(`${conv(`max(${col})`)} AS ${quoteIdent(`max:${c.name}`)}`);
    parts.push(`(count(*) - count(${col}))::BIGINT AS ${quoteIdent(`null:${c.name}`)}`);
  }
  const [row] = await session.rows(`SELECT ${parts.join(', ')} FROM read_parquet(${quoteLiteral(file)})`);
  const stats = { numRecords: toNumber(row.numRecords), minValues: {}, maxValues: {}, nullCount: {} };
  for (const c of dataColumns) {
    stats.minValues[c.name] = toNumber(row[`min:${c.name}`]);
    stats.maxValues[c.name] = toNumber(row[`max:${c.name}`]);
    stats.nullCount[c.name] = toNumber(row[`null:${c.name}`]);
  }
  const st = await fs.stat(file);
  return {
    add: {
      path: rel.split('/').map(encodeSegment).join('/'),
      partitionValues,
      size: st.size,
      modificationTime: Math.floor(st.mtimeMs),
      dataChange: true,
      stats: JSON.stringify(stats),
    },
  };
}

/** URL-encodes one path segment the way Spark does (keeps '=' of hive folders). */
function encodeSegment(segment) {
  return encodeURIComponent(segment).replace(/%3D/gi, '=');
}

function toNumber(v) {
  return typeof v === 'bigint' ? Number(v) : v;
}

async function writeLog(table, partitionColumns, adds) {
  const now = Date.now();
  const schema = {
    type: 'struct',
    fields: COLUMNS.map((c) => ({ name: c.name, type: c.delta, nullable: true, metadata: {} })),
  };
  const actions = [
    {
      commitInfo: {
        timestamp: now,
        operation: 'WRITE',
        operationParameters: { mode: 'ErrorIfExists', partitionBy: JSON.stringify(partitionColumns) },
        isBlindAppend: true,
        engineInfo: 'strata-bench/make-delta-table',
      },
    },
    { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
    {
      metaData: {
        id: randomUUID(),
        format: { provider: 'parquet', options: {} },
        schemaString: JSON.stringify(schema),
        partitionColumns,
        configuration: {},
        createdTime: now,
      },
    },
    ...adds,
  ];
  const text = actions.map((a) => JSON.stringify(a)).join('\n') + '\n';
  await fs.writeFile(path.join(table, '_delta_log', '00000000000000000000.json'), text);
}
