// Dashboards: their definitions, and their datasets' rows for given parameter values. A value is
// checked against its parameter's type and bound (a SQL variable set through a prepared
// statement), never pasted into SQL. Results are cached by dashboard, dataset, values and the
// versions of the tables the query read: a commit to one of them makes the next request run it.
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import { Hono } from 'hono';
import { StrataError } from '../core/index.js';
import {
  bindMarkers,
  ConfigError,
  DASHBOARDS_DIR,
  listDashboards,
  loadDashboard,
  markers,
  parameterVariable,
  type Dashboard,
  type QueryResult,
} from '../project/index.js';
import { json, problem, type Env, type ServeContext } from './http.js';
import { latestVersion } from './live.js';

type Value = string | number | string[];

interface Cached {
  result: QueryResult;
  reads: { table: string; location: string; version: number }[];
}

const TYPES = { string: 'VARCHAR', number: 'DOUBLE', date: 'DATE', string_list: 'VARCHAR[]' } as const;
const CACHE_SIZE = 500;

export function dashboardRoutes(s: ServeContext): Hono<Env> {
  const r = new Hono<Env>();
  const cache = new Map<string, Cached>();
  const env = process.env;

  r.get('/dashboards', async (c) => {
    const out = [];
    for (const name of await listDashboards(s.project.dir)) {
      const d = await open(s, name, env).catch((err: unknown) => ({ problems: problemsOf(err) }));
      out.push(
        'problems' in d
          ? { name, title: name, problems: d.problems }
          : { name, title: d.title, description: d.description ?? null },
      );
    }
    return json(c, out);
  });

  r.get('/dashboards/:name', async (c) => {
    const d = await open(s, c.req.param('name'), env);
    if ('problems' in d) return c.body(JSON.stringify(d), 400, { 'Content-Type': 'application/json' });
    return json(c, {
      name: d.name,
      title: d.title,
      description: d.description ?? null,
      parameters: d.parameters ?? {},
      filters: d.filters ?? [],
      pages: d.pages,
      // Which parameters each dataset reads: a filter re-runs only the datasets that use it.
      datasets: Object.fromEntries(Object.entries(d.datasets).map(([k, v]) => [k, { parameters: markers(v.sql) }])),
    });
  });

  r.get('/dashboards/:name/data', async (c) => {
    const d = await open(s, c.req.param('name'), env);
    if ('problems' in d) return c.body(JSON.stringify(d), 400, { 'Content-Type': 'application/json' });
    const values = parameterValues(d, c.req.query('params'));
    const page = c.req.query('page');
    if (page !== undefined && !/^\d{1,4}$/.test(page)) return problem(c, 400, 'page is a page number from 0');
    const wanted = (
      c.req.query('datasets') ??
      (page !== undefined ? pageDatasets(d, Number(page)) : Object.keys(d.datasets)).join(',')
    )
      .split(',')
      .filter(Boolean);
    for (const w of wanted) if (!d.datasets[w]) return problem(c, 404, `dashboard ${d.name} has no dataset ${w}`);
    const out: Record<string, unknown> = {};
    for (const name of wanted) {
      const sql = d.datasets[name].sql;
      const used = markers(sql);
      const key = createHash('sha256')
        .update(JSON.stringify([d.name, name, sql, used.map((m) => [m, values[m]])]))
        .digest('hex');
      let hit = cache.get(key);
      if (hit && !(await stillCurrent(hit))) hit = undefined;
      const started = performance.now();
      const result = hit ?? (await run(s, d, sql, used, values));
      if (!hit) {
        if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
        cache.set(key, result);
      }
      out[name] = {
        columns: result.result.columns,
        rows: result.result.rows,
        tables: [...new Set(result.reads.map((x) => x.table))],
        cached: Boolean(hit),
        ms: Math.round((performance.now() - started) * 10) / 10,
      };
    }
    return json(c, { parameters: values, datasets: out });
  });
  return r;
}

/** What a page shows first: its widgets' datasets (sparklines too) and the filters' options. */
function pageDatasets(d: Dashboard, index: number): string[] {
  const page = d.pages[Math.min(index, d.pages.length - 1)];
  const out = new Set<string>();
  for (const w of page.widgets) {
    out.add(w.dataset);
    if (w.type === 'counter' && w.sparkline) out.add(w.sparkline.dataset);
  }
  for (const f of d.filters ?? []) if (f.type === 'multi_select') out.add(f.options.dataset);
  return [...out];
}

/** Dashboards read once per change of their file (its size and time). */
const parsed = new Map<string, { stamp: string; dashboard: Dashboard }>();

async function open(
  s: ServeContext,
  name: string,
  env: NodeJS.ProcessEnv,
): Promise<Dashboard | { problems: string[] }> {
  const stamps = await Promise.all(
    ['yaml', 'yml'].map((ext) =>
      stat(path.join(s.project.dir, DASHBOARDS_DIR, `${name}.${ext}`)).then(
        (st) => `${ext}:${st.size}:${st.mtimeMs}`,
        () => '',
      ),
    ),
  );
  const stamp = stamps.join('|');
  const key = `${s.project.dir}\0${name}`;
  const known = parsed.get(key);
  if (known && known.stamp === stamp) return known.dashboard;
  try {
    const dashboard = await loadDashboard(s.project.dir, name, env);
    parsed.set(key, { stamp, dashboard });
    return dashboard;
  } catch (err) {
    if (err instanceof ConfigError) return { problems: problemsOf(err) };
    throw err;
  }
}

function problemsOf(err: unknown): string[] {
  return err instanceof ConfigError ? err.message.split('\n') : [(err as Error).message];
}

/** The values of a request (`params` = a JSON object), each checked; defaults for the others. */
function parameterValues(d: Dashboard, text: string | undefined): Record<string, Value> {
  const declared = d.parameters ?? {};
  const values: Record<string, Value> = Object.fromEntries(Object.entries(declared).map(([k, p]) => [k, p.default]));
  if (text === undefined || text === '') return values;
  let given: unknown;
  try {
    given = JSON.parse(text);
  } catch {
    throw new StrataError('USAGE', 'params must be a JSON object of parameter values');
  }
  if (given === null || typeof given !== 'object' || Array.isArray(given))
    throw new StrataError('USAGE', 'params must be a JSON object of parameter values');
  for (const [k, v] of Object.entries(given)) {
    const p = declared[k];
    if (!p) throw new StrataError('USAGE', `dashboard ${d.name} has no parameter ${k}`);
    const bad = () =>
      new StrataError('USAGE', `parameter ${k} takes a ${p.type}, not ${JSON.stringify(v).slice(0, 60)}`);
    if (p.type === 'number') {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad();
    } else if (p.type === 'date') {
      if (typeof v !== 'string' || !/^\d{4}-\d\d-\d\d$/.test(v) || Number.isNaN(Date.parse(v))) throw bad();
    } else if (p.type === 'string_list') {
      if (!Array.isArray(v) || v.length > 10_000 || !v.every((x) => typeof x === 'string' && x.length <= 10_000))
        throw bad();
    } else if (typeof v !== 'string' || v.length > 10_000) throw bad();
    values[k] = v as Value;
  }
  return values;
}

/** Runs a dataset's query with its parameters bound, noting the tables it read and their versions. */
async function run(
  s: ServeContext,
  d: Dashboard,
  sql: string,
  used: string[],
  values: Record<string, Value>,
): Promise<Cached> {
  return s.project.withSession(async (session) => {
    for (const m of used) {
      const type = TYPES[d.parameters![m].type];
      const value = values[m];
      await session.setVariable(
        parameterVariable(m),
        type === 'DOUBLE'
          ? { type, value: value as number }
          : type === 'VARCHAR[]'
            ? { type, value: value as string[] }
            : { type, value: String(value) },
      );
    }
    const reads: Cached['reads'] = [];
    const result = await s.project.query(bindMarkers(sql), {
      session,
      onScan: (scan) => reads.push({ table: scan.table, location: scan.location, version: scan.version }),
    });
    return { result, reads };
  });
}

/** Whether every table a cached result read is still at the version it read. */
async function stillCurrent(c: Cached): Promise<boolean> {
  for (const r of c.reads) if ((await latestVersion(r.location)) !== r.version) return false;
  return true;
}
