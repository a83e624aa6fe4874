// The SQL editor's route (serve.sql_editor: true): Spark SQL over the project's tables through the
// read-only lake (project/read-only.ts) — its own DuckDB sandbox that reads only the lake and runs
// only queries, SHOW and DESCRIBE. Off by default: then no route runs SQL a client sends.
import { Hono } from 'hono';
import { openReadOnlyLake, type ReadOnlyLake } from '../project/index.js';
import { json, problem, type Env, type ServeContext } from './http.js';

/** Rows a result sends at most (the rest is counted, not sent). */
export const SQL_ROW_LIMIT = 10_000;
/** The longest SQL text accepted. */
const MAX_SQL = 100_000;

export function sqlRoutes(s: ServeContext): Hono<Env> {
  const r = new Hono<Env>();
  let opening: Promise<ReadOnlyLake> | undefined;
  s.closing.push(async () => (await opening)?.close());

  r.post('/sql', async (c) => {
    if (!s.sqlEditor)
      return problem(c, 403, 'the SQL editor is off: set serve.sql_editor: true in strata.yaml to turn it on');
    const body = (await c.req.json().catch(() => ({}))) as { sql?: unknown };
    if (typeof body.sql !== 'string' || body.sql.trim() === '') return problem(c, 400, 'send { "sql": "SELECT ..." }');
    if (body.sql.length > MAX_SQL) return problem(c, 400, `the SQL is longer than ${MAX_SQL} characters`);
    opening ??= openReadOnlyLake(s.project);
    const lake = await opening;
    const start = performance.now();
    const result = await lake.query(body.sql, { signal: c.req.raw.signal });
    return json(c, {
      columns: result.columns,
      rows: result.rows.slice(0, SQL_ROW_LIMIT),
      rowCount: result.rows.length,
      truncated: result.rows.length > SQL_ROW_LIMIT,
      elapsedMs: Math.round(performance.now() - start),
    });
  });
  return r;
}
