// Node's pg (node-postgres): queries with parameters over the extended protocol (unnamed
// statements, text values), a named statement bound twice. The catalog browsed through
// information_schema (schemata, tables, columns), then the gold queries. Prints one JSON document
// (see report.mjs).
import { createRequire } from 'node:module';
import pg from 'pg';
import { ALL_ROWS, BY_CHANNEL, COLUMNS, FILTERED, TOTALS, Report, plain, settings, typeNames } from './report.mjs';

const { version } = createRequire(import.meta.url)('pg/package.json');
const report = new Report('pg', version);

async function run(fn) {
  const client = new pg.Client({ ...settings, connectionTimeoutMillis: 10000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const values = (result) => result.rows.map((r) => plain(Object.values(r)));

await report.step('catalog', () =>
  run(async (c) => ({
    schemas: (await c.query('SELECT schema_name FROM information_schema.schemata ORDER BY 1')).rows.map(
      (r) => r.schema_name,
    ),
    tables: (
      await c.query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1', ['gold'])
    ).rows.map((r) => r.table_name),
    columns: values(await c.query(COLUMNS, ['gold', 'sales'])),
  })),
);
await report.step('rows', () =>
  run(async (c) => {
    const r = await c.query(ALL_ROWS);
    return { rows: values(r), types: typeNames(Object.values(r.rows[0])), oids: r.fields.map((f) => f.dataTypeID) };
  }),
);
await report.step('totals', () => run(async (c) => values(await c.query(TOTALS))[0]));
await report.step('byChannel', () =>
  run(async (c) => {
    const named = (channel) => c.query({ name: 'by-channel', text: BY_CHANNEL, values: [channel] });
    return [values(await named('online')), values(await named('retail'))];
  }),
);
await report.step('filtered', () => run(async (c) => values(await c.query(FILTERED, ['2024-01-02', 2]))[0]));
report.finish();
