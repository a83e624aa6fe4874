import { showDashboard } from '/assets/dashboard.js';
import { sqlPage } from '/assets/sql.js';
import { jobsPage, pipelinesPage, qualityPage } from '/assets/ops.js';
import { api, bytes, fmt, h, link, post, state, table, when } from '/assets/ui.js';

// Strata's pages: one small application over the JSON API (/api/...). Every value from the lake is
// put into the page as text (textContent), never as HTML. Pages re-read their data when a table
// they show gets a new version (server-sent events from /api/live).

const page = document.getElementById('page');
let rendering = 0;

async function tablesPage(parts) {
  if (parts[1]) return tablePage(decodeURIComponent(parts[1]));
  state.reads = new Set(['*']);
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
  state.reads = new Set([name]);
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

async function dashboardsPage(parts) {
  // A dashboard named in the path is shown at once (no list asked for first: one request less before the tiles).
  const list = parts[1] ? [] : await api('/api/dashboards');
  const name = parts[1] ? decodeURIComponent(parts[1]) : list.length === 1 ? list[0].name : undefined;
  if (name === undefined) {
    state.reads = new Set();
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
  state.reads = new Set();
  state.onCommit = shown.onCommit;
  return [root];
}

const PAGES = {
  dashboards: dashboardsPage,
  quality: qualityPage,
  pipelines: pipelinesPage,
  jobs: jobsPage,
  tables: tablesPage,
  sql: async () => {
    state.reads = new Set();
    await sessionLoaded;
    if (!state.session.sqlEditor)
      return [
        h('h1', {}, 'SQL'),
        h('p', { class: 'muted' }, 'The SQL editor is off: set serve.sql_editor: true in strata.yaml.'),
      ];
    return sqlPage({ h, post, table });
  },
};

async function render() {
  const mine = ++rendering;
  state.onCommit = undefined;
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
  state.session = await api('/api/session');
  document.querySelector('nav a[data-nav="sql"]').hidden = !state.session.sqlEditor;
  const el = document.getElementById('session');
  if (!state.session.authConfigured)
    return el.replaceChildren(
      h('span', { title: 'set serve.auth in strata.yaml to run and repair jobs here' }, 'read-only'),
    );
  if (state.session.signedIn)
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
    if (state.onCommit) state.onCommit(table).catch(() => undefined);
    else if (state.reads.has('*') || state.reads.has(table)) render();
  });
  events.onerror = () => live.classList.remove('on');
}

for (const a of document.querySelectorAll('nav a, header .brand'))
  a.addEventListener('click', (e) => {
    e.preventDefault();
    go(a.getAttribute('href'));
  });
state.go = go;
state.render = render;
window.addEventListener('popstate', render);
const sessionLoaded = showSession().catch(() => undefined);
render();
listen();
