import { echartsReady, showDashboard } from '/assets/dashboard.js';

// Strata's pages: one small application over the JSON API (/api/...). Every value from the lake is
// put into the page as text (textContent), never as HTML. Pages re-read their data when a table
// they show gets a new version (server-sent events from /api/live).

const page = document.getElementById('page');
let session = { signedIn: false, authConfigured: false };
/** Tables the current page reads ('*': any); a commit to one of them re-renders it. */
let reads = new Set();
let rendering = 0;
/** The current page's own live handler (a dashboard re-reads only what the commit touched). */
let onCommit;

/** An element: h('td', { class: 'num' }, '12'). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

async function api(path, options = {}) {
  const res = await fetch(path, {
    ...options,
    headers: options.body ? { 'Content-Type': 'application/json' } : {},
    credentials: 'same-origin',
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

const post = (path, body = {}) => api(path, { method: 'POST', body: JSON.stringify(body) });
const fmt = (v) => (v === null || v === undefined ? '' : typeof v === 'number' ? v.toLocaleString('en-US') : String(v));
const bytes = (n) =>
  n >= 1e9
    ? `${(n / 1e9).toFixed(1)} GB`
    : n >= 1e6
      ? `${(n / 1e6).toFixed(1)} MB`
      : n >= 1e3
        ? `${(n / 1e3).toFixed(1)} kB`
        : `${n} B`;
const when = (t) => (t ? new Date(t).toISOString().replace('T', ' ').slice(0, 19) : '');
const took = (ms) =>
  ms === null || ms === undefined ? '' : ms >= 60000 ? `${(ms / 60000).toFixed(1)} min` : `${(ms / 1000).toFixed(1)} s`;
const link = (href, text) =>
  h(
    'a',
    {
      href,
      onclick: (e) => {
        e.preventDefault();
        go(href);
      },
    },
    text,
  );

function table(columns, rows) {
  return h(
    'table',
    { class: 'grid' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        columns.map((c) => h('th', {}, c.label ?? c)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          {},
          r.map((v, i) => h('td', { class: columns[i]?.num ? 'num' : undefined }, v instanceof Node ? v : fmt(v))),
        ),
      ),
    ),
  );
}

function status(s) {
  return h('span', { class: `status ${s ?? ''}` }, s ?? '');
}

function chart(el, option) {
  echartsReady().then((echarts) => {
    const c = echarts.init(el, null, { renderer: 'svg' });
    c.setOption(option);
    new ResizeObserver(() => c.resize()).observe(el);
  });
}

// ---- pages ----

async function tablesPage(parts) {
  if (parts[1]) return tablePage(decodeURIComponent(parts[1]));
  reads = new Set(['*']);
  const list = await api('/api/tables');
  return [
    h('h1', {}, 'Tables'),
    table(
      [
        'table',
        { label: 'version', num: true },
        { label: 'rows', num: true },
        { label: 'files', num: true },
        { label: 'size', num: true },
        'last change',
      ],
      list.map((t) => [
        link(`/tables/${encodeURIComponent(t.name)}`, t.name),
        t.version,
        t.rows,
        t.files,
        t.bytes === undefined ? '' : bytes(t.bytes),
        when(t.lastModified),
      ]),
    ),
  ];
}

async function tablePage(name) {
  reads = new Set([name]);
  const version = new URLSearchParams(location.search).get('version');
  const [detail, history, sample] = await Promise.all([
    api(`/api/tables/${encodeURIComponent(name)}`),
    api(`/api/tables/${encodeURIComponent(name)}/history?limit=50`),
    api(
      `/api/tables/${encodeURIComponent(name)}/rows?limit=50${version ? `&version=${encodeURIComponent(version)}` : ''}`,
    ),
  ]);
  return [
    h('h1', {}, name, h('span', { class: 'muted' }, `  version ${detail.version}`)),
    detail.description ? h('p', {}, detail.description) : null,
    h('h2', {}, 'Columns'),
    table(
      ['column', 'type', 'nullable', 'comment'],
      detail.columns.map((c) => [c.name, c.type, c.nullable ? 'yes' : 'no', c.comment ?? '']),
    ),
    h('h2', {}, 'History'),
    table(
      [{ label: 'version', num: true }, 'when', 'operation', 'what'],
      history.map((e) => [
        link(`/tables/${encodeURIComponent(name)}?version=${e.version}`, String(e.version)),
        when(e.timestamp),
        e.operation,
        Object.entries(e.operationMetrics ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(' '),
      ]),
    ),
    h('h2', {}, version === null ? 'Rows (latest version, first 50)' : `Rows at version ${version} (first 50)`),
    table(
      sample.columns.map((c) => c.name),
      sample.rows,
    ),
  ];
}

async function jobsPage(parts) {
  if (parts[1] === 'runs' && parts[2]) return runPage(parts[2]);
  reads = new Set(['system.job_runs', 'system.job_task_runs']);
  const [jobs, runs] = await Promise.all([api('/api/jobs'), api('/api/runs?limit=50')]);
  const message = h('p', { class: 'error', id: 'action-error' });
  const runNow = (key) =>
    h(
      'button',
      {
        class: 'plain',
        onclick: async () => {
          message.textContent = '';
          try {
            const r = await post(`/api/jobs/${encodeURIComponent(key)}/run`);
            if (r.runId) go(`/jobs/runs/${r.runId}`);
          } catch (err) {
            message.textContent = err.message;
          }
        },
      },
      'Run now',
    );
  return [
    h('h1', {}, 'Jobs'),
    message,
    jobs.length === 0
      ? h('p', { class: 'muted' }, 'No jobs: define them in strata.yaml under jobs:.')
      : table(
          ['job', 'tasks', 'trigger', 'next', 'paused', ''],
          jobs.map((j) => [
            j.name,
            j.tasks.map((t) => t.key).join(' → '),
            j.trigger,
            j.next ?? '',
            j.paused ? 'paused' : '',
            runNow(j.key),
          ]),
        ),
    h('h2', {}, 'Runs'),
    runs.length === 0
      ? h('p', { class: 'muted' }, 'No runs yet.')
      : table(
          ['run', 'job', 'trigger', 'result', 'started', 'took', 'error'],
          runs.map((r) => [
            link(`/jobs/runs/${r.run_id}`, String(r.run_id)),
            r.job_key,
            r.trigger,
            status(r.result ?? r.state),
            when(r.start_time),
            took(r.end_time ? r.end_time - r.start_time : null),
            (r.error ?? '').split('\n')[0],
          ]),
        ),
  ];
}

async function runPage(id) {
  reads = new Set(['system.job_runs', 'system.job_task_runs']);
  const { run, tasks, attempts } = await api(`/api/runs/${encodeURIComponent(id)}`);
  const message = h('p', { class: 'error' });
  const repair = h(
    'button',
    {
      class: 'plain',
      onclick: async () => {
        message.textContent = '';
        try {
          await post(`/api/runs/${encodeURIComponent(id)}/repair`);
          render();
        } catch (err) {
          message.textContent = err.message;
        }
      },
    },
    'Repair failed tasks',
  );
  const byTask = new Map();
  for (const a of attempts) byTask.set(a.task_key, [...(byTask.get(a.task_key) ?? []), a]);
  return [
    h('h1', {}, `Run ${run.run_id} of ${run.job_key} `, status(run.result ?? run.state)),
    h(
      'p',
      { class: 'muted' },
      `${run.trigger}, started ${when(run.start_time)}${run.end_time ? `, took ${took(run.end_time - run.start_time)}` : ''}${run.repair_count ? `, repaired ${run.repair_count}×` : ''}`,
    ),
    run.result && run.result !== 'SUCCESS' ? repair : null,
    message,
    table(
      ['task', 'depends on', 'attempt', 'result', 'took', 'error'],
      tasks.flatMap((t) =>
        (byTask.get(t.key) ?? [{ attempt: '', result: 'not run' }]).map((a) => [
          t.key,
          t.dependsOn.join(', '),
          a.attempt,
          status(a.result ?? a.state),
          took(a.end_time ? a.end_time - a.start_time : null),
          (a.error ?? '').split('\n').slice(0, 3).join('\n'),
        ]),
      ),
    ),
  ];
}

async function pipelinesPage() {
  reads = new Set(['system.event_log']);
  const pipelines = await api('/api/pipelines');
  return [
    h('h1', {}, 'Pipelines'),
    ...pipelines.map((p) => {
      const depth = new Map();
      const byName = new Map(p.datasets.map((d) => [d.name, d]));
      const level = (d, seen = new Set()) => {
        if (depth.has(d.name)) return depth.get(d.name);
        if (seen.has(d.name)) return 0;
        seen.add(d.name);
        const ups = d.reads.map((r) => byName.get(r)).filter(Boolean);
        const v = ups.length ? Math.max(...ups.map((u) => level(u, seen))) + 1 : 0;
        depth.set(d.name, v);
        return v;
      };
      p.datasets.forEach((d) => level(d));
      const columns = [];
      for (const d of p.datasets) (columns[depth.get(d.name)] ??= []).push(d);
      return h(
        'section',
        { class: 'card' },
        h('h2', {}, p.name),
        p.problems.length ? h('p', { class: 'error' }, p.problems.join('\n')) : null,
        h(
          'div',
          { class: 'graph' },
          columns.map((col) =>
            h(
              'div',
              { class: 'column' },
              col.map((d) =>
                h(
                  'div',
                  { class: `node ${d.last?.status ?? ''}`, 'data-dataset': d.name },
                  h('div', { class: 'name' }, d.name),
                  h('div', { class: 'muted' }, d.kind.replace('-', ' ')),
                  d.last
                    ? h(
                        'div',
                        {},
                        status(d.last.status),
                        ` ${fmt(d.last.rows_written)} rows · ${took(d.last.duration_ms)}`,
                      )
                    : h('div', { class: 'muted' }, 'not run yet'),
                  d.reads.length
                    ? h('div', { class: 'muted' }, `← ${d.reads.join(', ')}`)
                    : d.files.length
                      ? h('div', { class: 'muted' }, `← ${d.files.join(', ')}`)
                      : null,
                ),
              ),
            ),
          ),
        ),
      );
    }),
  ];
}

async function qualityPage(parts) {
  reads = new Set(['system.event_log', '*']);
  const results = await api('/api/quality');
  const latest = new Map();
  const updates = [];
  for (const r of results) {
    latest.set(`${r.dataset}\u0000${r.expectation}`, r);
    if (!updates.includes(r.update_id)) updates.push(r.update_id);
  }
  const trendEl = h('div', { class: 'chart', id: 'quality-trend' });
  const failedPerUpdate = updates.map((u) =>
    results.filter((r) => r.update_id === u).reduce((n, r) => n + Number(r.failed), 0),
  );
  setTimeout(() =>
    chart(trendEl, {
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: updates.map((u, i) => `#${i + 1}`) },
      yAxis: { type: 'value', name: 'failed rows' },
      series: [{ type: 'bar', data: failedPerUpdate, itemStyle: { color: '#c0392b' } }],
    }),
  );
  const quarantine = parts[1]
    ? await api(`/api/quarantine/${encodeURIComponent(decodeURIComponent(parts[1]))}?limit=100`).catch((e) => ({
        error: e.message,
      }))
    : undefined;
  const withQuarantine = [...new Set(results.filter((r) => Number(r.quarantined) > 0).map((r) => r.dataset))];
  return [
    h('h1', {}, 'Data quality'),
    results.length === 0
      ? h('p', { class: 'muted' }, 'No expectation has been checked yet: run a pipeline with CONSTRAINT ... EXPECT.')
      : null,
    h('h2', {}, 'Each expectation, at its latest update'),
    table(
      ['table', 'expectation', { label: 'passed', num: true }, { label: 'failed', num: true }, 'when'],
      [...latest.values()].map((r) => [
        r.dataset,
        r.expectation,
        r.passed,
        h('span', { class: Number(r.failed) > 0 ? 'status bad' : 'status ok' }, fmt(r.failed)),
        when(r.at),
      ]),
    ),
    h('h2', {}, 'Failed rows per update'),
    trendEl,
    h('h2', {}, 'Quarantine'),
    withQuarantine.length
      ? h(
          'p',
          {},
          withQuarantine.map((t) => [link(`/quality/${encodeURIComponent(t)}`, t), ' ']),
        )
      : h('p', { class: 'muted' }, 'No rows quarantined.'),
    quarantine?.error ? h('p', { class: 'error' }, quarantine.error) : null,
    quarantine?.columns
      ? h(
          'div',
          { 'data-quarantine': quarantine.table },
          h('h2', {}, `${quarantine.table}: rows set aside, with the rules they failed`),
          table(
            quarantine.columns.map((c) => c.name),
            quarantine.rows,
          ),
        )
      : null,
  ];
}

async function dashboardsPage(parts) {
  const list = await api('/api/dashboards');
  const name = parts[1] ? decodeURIComponent(parts[1]) : list.length === 1 ? list[0].name : undefined;
  if (name === undefined) {
    reads = new Set();
    return [
      h('h1', {}, 'Dashboards'),
      list.length === 0
        ? h('p', { class: 'muted' }, 'No dashboards yet: add dashboards/<name>.yaml to the project (docs/serve.md).')
        : h(
            'ul',
            {},
            list.map((d) =>
              h(
                'li',
                {},
                link(`/dashboards/${encodeURIComponent(d.name)}`, d.title),
                d.problems ? h('span', { class: 'error' }, ` ${d.problems.join('; ')}`) : '',
              ),
            ),
          ),
    ];
  }
  const root = h('div', { class: 'dashboard' });
  const pageIndex = Number(new URLSearchParams(location.search).get('page') ?? 0) || 0;
  const shown = await showDashboard(root, name, pageIndex, { h, api, go });
  reads = new Set();
  onCommit = shown.onCommit;
  return [root];
}

const PAGES = {
  dashboards: dashboardsPage,
  quality: qualityPage,
  pipelines: pipelinesPage,
  jobs: jobsPage,
  tables: tablesPage,
};

async function render() {
  const mine = ++rendering;
  onCommit = undefined;
  const parts = location.pathname.split('/').filter(Boolean);
  const name = PAGES[parts[0]] ? parts[0] : 'dashboards';
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.nav === name);
  try {
    const content = await PAGES[name](parts);
    if (mine !== rendering) return;
    page.replaceChildren(...content.filter(Boolean));
  } catch (err) {
    if (mine !== rendering) return;
    page.replaceChildren(h('p', { class: 'error' }, err.message));
  }
}

function go(href) {
  history.pushState(null, '', href);
  render();
}

async function showSession() {
  session = await api('/api/session');
  const el = document.getElementById('session');
  if (!session.authConfigured)
    return el.replaceChildren(
      h('span', { title: 'set serve.auth in strata.yaml to run and repair jobs here' }, 'read-only'),
    );
  if (session.signedIn)
    return el.replaceChildren(
      h(
        'button',
        {
          class: 'plain',
          onclick: async () => {
            await post('/api/logout');
            showSession();
          },
        },
        'Sign out',
      ),
    );
  const input = h('input', { type: 'password', placeholder: 'token or password', 'aria-label': 'token or password' });
  const form = h(
    'form',
    {
      class: 'login',
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          await post('/api/login', { secret: input.value });
          showSession();
          render();
        } catch (err) {
          input.value = '';
          input.placeholder = err.message;
        }
      },
    },
    input,
    h('button', { type: 'submit' }, 'Sign in'),
  );
  el.replaceChildren(form);
}

function listen() {
  const live = document.getElementById('live');
  const events = new EventSource('/api/live');
  events.addEventListener('hello', () => live.classList.add('on'));
  events.addEventListener('commit', (e) => {
    const { table } = JSON.parse(e.data);
    if (onCommit) onCommit(table).catch(() => undefined);
    else if (reads.has('*') || reads.has(table)) render();
  });
  events.onerror = () => live.classList.remove('on');
}

for (const a of document.querySelectorAll('nav a, header .brand'))
  a.addEventListener('click', (e) => {
    e.preventDefault();
    go(a.getAttribute('href'));
  });
window.addEventListener('popstate', render);
showSession().catch(() => undefined);
render();
listen();
