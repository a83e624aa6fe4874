// The HTTP API of strata serve, over a real project on a real server on loopback: every route,
// the security headers, the read and action guards, sign-in, hostile parameters, and the
// server-sent events of new table versions.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../../src/project/index.js';
import { startServer, type RunningServer } from '../../src/serve/index.js';
import { projectAt, useTestBed } from '../helpers/harness.js';

const bed = useTestBed('serve-api');
const NODE = JSON.stringify(process.execPath);

function setUp(name: string, yaml: string): string {
  const dir = path.join(bed.dir, name);
  mkdirSync(path.join(dir, 'pipelines', 'shop'), { recursive: true });
  mkdirSync(path.join(dir, 'landing'), { recursive: true });
  mkdirSync(path.join(dir, 'sql'), { recursive: true });
  writeFileSync(path.join(dir, 'strata.yaml'), yaml);
  writeFileSync(
    path.join(dir, 'pipelines', 'shop', 'main.sql'),
    `CREATE OR REFRESH STREAMING TABLE bronze.orders AS SELECT * FROM STREAM read_files('landing/*.csv', format => 'csv');
CREATE OR REFRESH STREAMING TABLE silver.orders (
  CONSTRAINT positive EXPECT (amount > 0) ON VIOLATION QUARANTINE
) AS SELECT id, amount FROM STREAM(bronze.orders);
CREATE OR REFRESH MATERIALIZED VIEW gold.revenue AS SELECT sum(amount) AS revenue, count(*) AS lines FROM silver.orders;
`,
  );
  writeFileSync(path.join(dir, 'landing', '1.csv'), 'id,amount\n1,10\n2,-5\n3,7\n');
  writeFileSync(path.join(dir, 'sql', 'one.sql'), 'SELECT 1 AS one;\n');
  return dir;
}

const JOBS = `jobs:
  nightly:
    schedule: { quartz_cron_expression: "0 0 6 * * ?", timezone_id: Europe/Berlin }
    tasks:
      - { task_key: refresh, pipeline_task: { pipeline_id: shop } }
      - { task_key: check, depends_on: [{ task_key: refresh }], sql_task: { file: { path: sql/one.sql } } }
  broken:
    tasks:
      - { task_key: boom, command_task: { command: [${NODE}, -e, "process.exit(2)"] } }
`;

async function get(server: RunningServer, route: string, init: RequestInit = {}) {
  const res = await fetch(`${server.url}${route}`, init);
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body: body as Record<string, unknown> & unknown[] };
}

const postJson = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

describe('strata serve: the HTTP API (no auth configured, loopback)', () => {
  let project: Project;
  let server: RunningServer;
  beforeAll(async () => {
    project = await projectAt(bed, setUp('open', JOBS));
    const outcome = await project.runPipeline(await project.loadPipeline('shop'));
    expect(outcome.status).toBe('COMPLETED');
    server = await startServer(project, { port: 0, liveMs: 50 });
  });
  afterAll(() => server?.close());

  it('binds 127.0.0.1 and sends the headers against clickjacking and content sniffing', async () => {
    expect(server.host).toBe('127.0.0.1');
    const r = await get(server, '/api/tables');
    expect(r.status).toBe(200);
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const page = await get(server, '/');
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(String(page.body)).toContain('<script src="/assets/app.js" type="module"></script>');
    const echarts = await fetch(`${server.url}/assets/echarts.min.js`);
    expect(echarts.status).toBe(200);
    expect((await echarts.text()).length).toBeGreaterThan(500_000); // the library itself, from the package
  });

  it('tables: the catalog, one table, its history, its rows at a version', async () => {
    const list = (await get(server, '/api/tables')).body as unknown as {
      name: string;
      version: number;
      rows: number;
    }[];
    const byName = Object.fromEntries(list.map((t) => [t.name, t]));
    expect(byName['bronze.orders'].rows).toBe(3);
    expect(byName['silver.orders'].rows).toBe(2);
    expect(byName['silver.orders_quarantine'].rows).toBe(1);
    expect(byName['system.event_log']).toBeDefined();
    const detail = await get(server, '/api/tables/silver.orders');
    expect((detail.body.columns as { name: string }[]).map((c) => c.name)).toEqual(['id', 'amount']);
    expect(detail.body).not.toHaveProperty('location'); // no file paths of the server
    const history = (await get(server, '/api/tables/bronze.orders/history')).body as unknown as { version: number }[];
    expect(history[0].version).toBe(byName['bronze.orders'].version);
    const rows = await get(server, '/api/tables/gold.revenue/rows');
    expect(rows.body).toEqual({
      columns: [
        { name: 'revenue', type: expect.any(String) },
        { name: 'lines', type: 'BIGINT' },
      ],
      rows: [[17, 2]],
    });
    const v0 = await get(server, '/api/tables/bronze.orders/rows?version=0');
    expect(v0.status).toBe(200);
    expect(v0.body.rows).toEqual([]);
  });

  it('refuses hostile and wrong parameters with 400/404, never running them', async () => {
    expect((await get(server, `/api/tables/${encodeURIComponent('bronze.orders"; DROP TABLE x; --')}`)).status).toBe(
      404,
    );
    expect((await get(server, '/api/tables/bronze.orders/rows?limit=1;DROP')).status).toBe(400);
    expect((await get(server, '/api/tables/bronze.orders/rows?version=-1')).status).toBe(400);
    expect((await get(server, '/api/tables/bronze.orders/rows?version=99')).status).toBe(404);
    const events = await get(server, `/api/events?pipeline=${encodeURIComponent("x' OR '1'='1")}`);
    expect([events.status, events.body]).toEqual([200, []]);
    expect((await get(server, '/api/runs/1 OR 1=1')).status).toBe(400);
    expect((await get(server, '/api/nope')).status).toBe(404);
  });

  it('pipelines, events, data quality and the quarantine come from the event log', async () => {
    const pipelines = await get(server, '/api/pipelines');
    expect(pipelines.status, JSON.stringify(pipelines.body)).toBe(200);
    const [shop] = pipelines.body as unknown as {
      name: string;
      datasets: { name: string; reads: string[]; last: { status: string; rows_written: number } | null }[];
    }[];
    expect(shop.name).toBe('shop');
    const silver = shop.datasets.find((d) => d.name === 'silver.orders')!;
    expect(silver.reads).toEqual(['bronze.orders']);
    expect(silver.last).toMatchObject({ status: 'COMPLETED', rows_written: 2 });
    const quality = (await get(server, '/api/quality')).body as unknown as Record<string, unknown>[];
    expect(quality).toEqual([
      expect.objectContaining({
        dataset: 'silver.orders',
        expectation: 'positive',
        passed: 2,
        failed: 1,
        quarantined: 1,
      }),
    ]);
    const q = await get(server, '/api/quarantine/silver.orders');
    expect(q.status).toBe(200);
    expect((q.body.rows as unknown[]).length).toBe(1);
    expect((await get(server, '/api/quarantine/gold.revenue')).status).toBe(404);
    const events = (await get(server, '/api/events?type=update_progress&limit=5')).body as unknown as {
      event_type: string;
    }[];
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.event_type === 'update_progress')).toBe(true);
  });

  it('jobs: triggers and next times; actions refused without serve.auth', async () => {
    const jobs = (await get(server, '/api/jobs')).body as unknown as Record<string, unknown>[];
    expect(jobs[0]).toMatchObject({ key: 'nightly', trigger: 'cron 0 0 6 * * ? (Europe/Berlin)', paused: false });
    expect(String(jobs[0].next)).toMatch(/^\d{4}-\d\d-\d\d 06:00:00 Europe\/Berlin$/);
    const run = await get(server, '/api/jobs/nightly/run', postJson({}));
    expect(run.status).toBe(403);
    expect(run.body.error).toMatch(/actions need serve.auth in strata.yaml/);
    expect((await get(server, '/api/jobs/nightly/pause', postJson({}))).status).toBe(403);
  });

  it('runs no SQL a client sends while serve.sql_editor is off', async () => {
    const r = await get(server, '/api/sql', postJson({ sql: 'SELECT 1' }));
    expect(r.status).toBe(403);
    expect(r.body.error).toMatch(/serve.sql_editor: true/);
  });

  it('tells each new table version to the pages listening (server-sent events)', async () => {
    const abort = new AbortController();
    const res = await fetch(`${server.url}/api/live`, { signal: abort.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const until = async (re: RegExp) => {
      while (!re.test(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      return re.exec(text);
    };
    await until(/event: hello\n/);
    await project.query('INSERT INTO bronze.orders (id, amount) VALUES (9, 1)');
    const m = await until(/event: commit\ndata: (\{[^\n]*"table":"bronze\.orders"[^\n]*\})\n/);
    const version = (await get(server, '/api/tables/bronze.orders')).body.version;
    expect(JSON.parse(m![1])).toEqual({ table: 'bronze.orders', version });
    abort.abort();
  });
});

describe('strata serve: the SQL editor (serve.sql_editor: true)', () => {
  let server: RunningServer;
  let dir: string;
  beforeAll(async () => {
    dir = setUp('editor', 'serve:\n  sql_editor: true\n');
    const project = await projectAt(bed, dir);
    expect((await project.runPipeline(await project.loadPipeline('shop'))).status).toBe('COMPLETED');
    server = await startServer(project, { port: 0 });
  });
  afterAll(() => server?.close());

  it('answers Spark SQL over the tables, open on loopback like other reads', async () => {
    const r = await get(
      server,
      '/api/sql',
      postJson({ sql: 'SELECT sum(amount) AS revenue, count(*) AS n FROM silver.orders' }),
    );
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ columns: [{ name: 'revenue' }, { name: 'n', type: 'BIGINT' }], rows: [[17, 2]] });
    expect(r.body).toMatchObject({ rowCount: 1, truncated: false });
    const many = await get(server, '/api/sql', postJson({ sql: 'SELECT id FROM range(10005) AS t(id)' }));
    expect(many.body).toMatchObject({ rowCount: 10005, truncated: true });
    expect((many.body.rows as unknown[]).length).toBe(10000);
    const bad = await get(server, '/api/sql', postJson({ sql: 'SELECT nope FROM silver.orders' }));
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/nope/);
  });

  it('refuses writes and files beyond the lake, before anything runs', async () => {
    const write = await get(server, '/api/sql', postJson({ sql: 'DELETE FROM silver.orders' }));
    expect([write.status, write.body.code]).toEqual([400, 'READ_ONLY']);
    const copy = await get(server, '/api/sql', postJson({ sql: `COPY (SELECT 1) TO '${dir}/lake/x.csv'` }));
    expect([copy.status, copy.body.code]).toEqual([400, 'READ_ONLY']); // inside the lake: DuckDB's parse says COPY
    expect(existsSync(path.join(dir, 'lake', 'x.csv'))).toBe(false);
    const file = await get(server, '/api/sql', postJson({ sql: `SELECT * FROM read_text('${dir}/strata.yaml')` }));
    expect(file.status).toBe(400);
    expect(file.body.error).toMatch(/file system operations are disabled/);
    expect((await get(server, '/api/sql', postJson({ sql: 'SELECT count(*) FROM silver.orders' }))).body.rows).toEqual([
      [2],
    ]);
    // A page of another site cannot send it (CSRF), nor a form.
    expect(
      (await get(server, '/api/sql', postJson({ sql: 'SELECT 1' }, { Origin: 'http://evil.example' }))).status,
    ).toBe(403);
    const form = await get(server, '/api/sql', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'sql=SELECT+1',
    });
    expect(form.status).toBe(415);
  });
});

describe('strata serve with serve.auth', () => {
  let server: RunningServer;
  let project: Project;
  let dir: string;
  beforeAll(async () => {
    const yaml = `serve:\n  auth:\n    token: \${env:STRATA_TEST_TOKEN}\n${JOBS}`;
    dir = setUp('auth', yaml);
    project = await projectAt(bed, dir, { env: { STRATA_TEST_TOKEN: 's3cret-token' } });
    server = await startServer(project, { port: 0 });
  });
  afterAll(() => server?.close());

  it('reads stay open on loopback; an action needs the token or a session', async () => {
    expect((await get(server, '/api/tables')).status).toBe(200);
    expect((await get(server, '/api/jobs/broken/run', postJson({}))).status).toBe(401);
    const wrong = await get(server, '/api/login', postJson({ secret: 'guess' }));
    expect(wrong.status).toBe(401);
    const bearer = await get(server, '/api/jobs/broken/run', postJson({}, { Authorization: 'Bearer s3cret-token' }));
    expect(bearer.status).toBe(202);
    expect(String(bearer.body.runId)).toMatch(/^\d+$/);
  });

  it('signs in with a cookie that is HttpOnly and SameSite=Strict; runs, shows and repairs a run', async () => {
    const login = await fetch(`${server.url}/api/login`, postJson({ secret: 's3cret-token' }));
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^strata_session=[\w-]+;/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const session = { Cookie: cookie.split(';')[0] };
    expect((await get(server, '/api/session', { headers: session })).body).toMatchObject({ signedIn: true });
    const run = await get(server, '/api/jobs/broken/run', postJson({}, session));
    expect(run.status).toBe(202);
    const id = String(run.body.runId);
    let detail = await get(server, `/api/runs/${id}`);
    for (let i = 0; i < 200 && (detail.body.run as { state: string })?.state !== 'TERMINATED'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      detail = await get(server, `/api/runs/${id}`);
    }
    expect(detail.body.run).toMatchObject({ job_key: 'broken', state: 'TERMINATED', result: 'FAILED' });
    expect(detail.body.tasks).toEqual([{ key: 'boom', dependsOn: [] }]);
    expect((detail.body.attempts as { result: string }[]).map((a) => a.result)).toEqual(['FAILED']);
    const repair = await get(server, `/api/runs/${id}/repair`, postJson({}, session));
    expect(repair.status).toBe(200);
    expect(repair.body.result).toBe('FAILED'); // still exits 2: a second attempt, recorded
    const after = await get(server, `/api/runs/${id}`);
    expect((after.body.attempts as unknown[]).length).toBe(2);
    expect((await get(server, '/api/jobs/nightly/pause', postJson({}, session))).body).toEqual({
      job: 'nightly',
      paused: true,
    });
    expect(((await get(server, '/api/jobs')).body as unknown as { paused: boolean }[])[0].paused).toBe(true);
  });

  it('replays a quarantine (an action): rows that now pass go to the table', async () => {
    expect((await project.runPipeline(await project.loadPipeline('shop'))).status).toBe('COMPLETED');
    const route = '/api/quarantine/silver.orders/replay';
    expect((await get(server, route, postJson({}))).status).toBe(401);
    const auth = { Authorization: 'Bearer s3cret-token' };
    const same = await get(server, route, postJson({}, auth));
    expect(same.status, JSON.stringify(same.body)).toBe(200);
    expect(same.body).toMatchObject({ pipeline: 'shop', replayed: 1, restored: 0, kept: 1 }); // the rule still fails -5
    const main = path.join(dir, 'pipelines', 'shop', 'main.sql');
    writeFileSync(main, readFileSync(main, 'utf8').replace('amount > 0', 'amount > -10'));
    const fixed = await get(server, route, postJson({}, auth));
    expect(fixed.body).toMatchObject({ replayed: 1, restored: 1, kept: 0 });
    const rows = await get(server, '/api/tables/silver.orders/rows');
    expect((rows.body.rows as unknown[][]).map((r) => r[0]).sort()).toEqual([1, 2, 3]);
    expect((await get(server, '/api/quarantine/gold.nope/replay', postJson({}, auth))).status).toBe(400);
  });

  it('a write must be JSON from the same origin', async () => {
    const auth = { Authorization: 'Bearer s3cret-token' };
    const form = await get(server, '/api/jobs/nightly/resume', {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'a=b',
    });
    expect(form.status).toBe(415);
    const other = await get(
      server,
      '/api/jobs/nightly/resume',
      postJson({}, { ...auth, Origin: 'https://evil.example' }),
    );
    expect(other.status).toBe(403);
  });

  it('bound beyond loopback without serve.auth, the server refuses to start', async () => {
    const project = await projectAt(bed, setUp('exposed', JOBS));
    await expect(startServer(project, { host: '0.0.0.0', port: 0 })).rejects.toThrow(
      /strata serve on 0\.0\.0\.0 would let anyone who reaches this machine read the lake: set serve\.auth/,
    );
  });
});

describe('strata serve: dashboards', () => {
  let server: RunningServer;
  let project: Project;
  beforeAll(async () => {
    const dir = setUp('dash', JOBS);
    mkdirSync(path.join(dir, 'dashboards'), { recursive: true });
    writeFileSync(
      path.join(dir, 'dashboards', 'sales.yaml'),
      `title: Sales
parameters:
  min_amount: { type: number, default: 0 }
  label: { type: string, default: "all" }
  since: { type: date, default: "2000-01-01" }
  ids: { type: string_list, default: [] }
datasets:
  totals:
    sql: |
      SELECT sum(amount) AS revenue, count(*) AS lines, :label AS label, :since AS since
      FROM silver.orders
      WHERE amount >= :min_amount AND (size(:ids) = 0 OR array_contains(:ids, CAST(id AS STRING)))
  everything:
    sql: SELECT count(*) AS n FROM bronze.orders
pages:
  - title: Overview
    widgets:
      - { type: counter, title: Revenue, dataset: totals, value: revenue, position: { x: 0, y: 0, w: 3, h: 2 } }
`,
    );
    writeFileSync(
      path.join(dir, 'dashboards', 'broken.yaml'),
      `title: Broken
datasets:
  a: { sql: "SELECT :nope" }
pages:
  - title: P
    widgets:
      - { type: pie, dataset: b, label: x, value: y, position: { x: 0, y: 0, w: 13, h: 2 } }
`,
    );
    project = await projectAt(bed, dir);
    expect((await project.runPipeline(await project.loadPipeline('shop'))).status).toBe('COMPLETED');
    server = await startServer(project, { port: 0 });
  });
  afterAll(() => server?.close());

  const data = (params: unknown, datasets = 'totals') =>
    get(server, `/api/dashboards/sales/data?datasets=${datasets}&params=${encodeURIComponent(JSON.stringify(params))}`);

  it('lists the dashboards, a broken one with its problems at file:line:column', async () => {
    const list = (await get(server, '/api/dashboards')).body as unknown as { name: string; problems?: string[] }[];
    expect(list.map((d) => d.name)).toEqual(['broken', 'sales']);
    expect(list[0].problems).toEqual([
      'dashboards/broken.yaml:3:13: datasets.a.sql: :nope is not a parameter (declare it under parameters)',
      'dashboards/broken.yaml:7:31: pages[0].widgets[0].dataset: no dataset b (datasets: a)',
      'dashboards/broken.yaml:7:81: pages[0].widgets[0].position.w: must be at most 12',
    ]);
    const one = await get(server, '/api/dashboards/sales');
    expect(one.body.datasets).toEqual({
      totals: { parameters: ['label', 'since', 'min_amount', 'ids'] },
      everything: { parameters: [] },
    });
    expect((await get(server, '/api/dashboards/broken')).status).toBe(400);
    expect((await get(server, '/api/dashboards/nope')).status).toBe(400);
  });

  it('runs datasets with their defaults, then with values; a second request is answered from the cache until a commit', async () => {
    const first = await data({});
    expect(first.body.datasets).toMatchObject({
      totals: { rows: [[17, 2, 'all', '2000-01-01']], tables: ['silver.orders'], cached: false },
    });
    expect((await data({})).body.datasets).toMatchObject({ totals: { cached: true } });
    // A page's first data (what the page asks for with the definition): its widgets' datasets only.
    const page = await get(server, '/api/dashboards/sales/data?page=0');
    expect(Object.keys(page.body.datasets as object)).toEqual(['totals']);
    expect((await get(server, '/api/dashboards/sales/data?page=x')).status).toBe(400);
    const filtered = await data({ min_amount: 8, ids: ['1', '3'] });
    expect((filtered.body.datasets as Record<string, { rows: unknown }>).totals.rows).toEqual([
      [10, 1, 'all', '2000-01-01'],
    ]);
    await project.query('INSERT INTO silver.orders VALUES (4, 100)');
    expect((await data({})).body.datasets).toMatchObject({
      totals: { rows: [[117, 3, 'all', '2000-01-01']], cached: false },
    });
  });

  it('binds hostile values as values: they never become SQL', async () => {
    const hostile = "x'); DROP TABLE silver.orders; --";
    const r = await data({ label: hostile, ids: [hostile, "' OR '1'='1"] });
    expect(r.status).toBe(200);
    expect((r.body.datasets as Record<string, { rows: unknown[][] }>).totals.rows).toEqual([
      [null, 0, hostile, '2000-01-01'],
    ]);
    expect((await get(server, '/api/tables/silver.orders')).status).toBe(200);
    // Wrong types and unknown parameters are refused before anything runs.
    for (const [params, message] of [
      [{ min_amount: '1; DROP' }, /parameter min_amount takes a number/],
      [{ since: '2024-13-45' }, /parameter since takes a date/],
      [{ since: "2024-01-01' OR 1=1" }, /parameter since takes a date/],
      [{ ids: 'a' }, /parameter ids takes a string_list/],
      [{ nope: 1 }, /dashboard sales has no parameter nope/],
    ] as const) {
      const bad = await data(params);
      expect(bad.status).toBe(400);
      expect(String(bad.body.error)).toMatch(message);
    }
    expect((await get(server, '/api/dashboards/sales/data?params=not-json')).status).toBe(400);
    expect((await get(server, '/api/dashboards/sales/data?datasets=nope')).status).toBe(404);
  });
});
