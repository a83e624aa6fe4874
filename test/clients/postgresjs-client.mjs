// postgres.js (the `postgres` package): tagged-template queries, each sent with the extended
// protocol as a named prepared statement (Parse, Describe for the parameter types, then Bind with
// text values); on connect it reads pg_type for the array types. The catalog from
// information_schema.columns, then the gold queries. Prints one JSON document (see report.mjs).
import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import { ALL_ROWS, BY_CHANNEL, COLUMNS, FILTERED, TOTALS, Report, plain, settings, typeNames } from './report.mjs';

// (its package.json is not among its exports: read next to its entry point)
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.resolve('postgres')), 'utf8'));
const report = new Report('postgres.js', version);

async function run(fn) {
  const sql = postgres({ ...settings, ssl: false, max: 1, connect_timeout: 10, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

const values = (rows) => rows.map((r) => plain(Object.values(r)));

await report.step('catalog', () =>
  run(async (sql) => ({ columns: values(await sql.unsafe(COLUMNS, ['gold', 'sales'])) })),
);
await report.step('rows', () =>
  run(async (sql) => {
    const rows = await sql.unsafe(ALL_ROWS);
    return { rows: values(rows), types: typeNames(Object.values(rows[0])) };
  }),
);
await report.step('totals', () => run(async (sql) => values(await sql.unsafe(TOTALS))[0]));
await report.step('byChannel', () =>
  run(async (sql) => {
    // The tagged template: the same prepared statement bound twice.
    const query = (channel) => sql`SELECT day, amount, units FROM gold.sales WHERE channel = ${channel} ORDER BY day`;
    return [
      values(await query('online')),
      values(await query('retail')),
      values(await sql.unsafe(BY_CHANNEL, ['online'])),
    ];
  }),
);
await report.step('filtered', () =>
  run(async (sql) => values(await sql.unsafe(FILTERED, [new Date('2024-01-02T00:00:00Z'), 2]))[0]),
);
report.finish();
