// What the Node client programs share (as common.py for the Python ones): the connection settings
// from the environment, the gold queries, steps that record their value or their error, and the
// JSON report on stdout (exit status 1 when a step failed, each failure also on stderr).
export const settings = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'analyst',
  password: process.env.PGPASSWORD ?? '',
  database: process.env.PGDATABASE ?? 'lake',
};

export const ALL_ROWS = 'SELECT day, channel, amount, units, ok FROM gold.sales ORDER BY day, amount';
export const TOTALS = 'SELECT sum(amount) AS revenue, count(*) AS lines FROM gold.sales';
export const BY_CHANNEL = 'SELECT day, amount, units FROM gold.sales WHERE channel = $1 ORDER BY day';
export const FILTERED = 'SELECT count(*) AS n, sum(amount) AS revenue FROM gold.sales WHERE day >= $1 AND units > $2';
export const COLUMNS =
  'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position';

/** A value as JSON holds it: a Date as its calendar day (the drivers make dates at midnight). */
export function plain(v) {
  if (v instanceof Date) {
    const local =
      process.env.TZ === 'UTC' ? v.toISOString() : new Date(v.getTime() - v.getTimezoneOffset() * 60000).toISOString();
    return local.slice(0, 10);
  }
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(plain);
  return v;
}

/** The JS types of a row's values: what the driver made of the column types. */
export const typeNames = (row) => row.map((v) => (v === null ? 'null' : v instanceof Date ? 'Date' : typeof v));

export class Report {
  constructor(client, version) {
    this.out = { client, version };
    this.failed = [];
  }

  async step(name, fn) {
    try {
      this.out[name] = await fn();
    } catch (err) {
      const message = `${err?.name ?? 'Error'}: ${err?.message ?? err}${err?.code ? ` (SQLSTATE ${err.code})` : ''}`;
      this.out[name] = { error: message };
      this.failed.push(name);
      process.stderr.write(`${name}: ${message}\n`);
    }
  }

  finish() {
    process.stdout.write(`${JSON.stringify(this.out)}\n`);
    process.exitCode = this.failed.length ? 1 : 0;
  }
}
