import { chartInto } from '/assets/dashboard.js';

// What the pages share: the element builder, the JSON API, formatting, links, tables, charts, and
// the state of the page shown (which tables it reads, who is signed in). Every value from the lake
// is put into the page as text (textContent), never as HTML.

export const state = {
  session: { signedIn: false, authConfigured: false },
  /** Tables the current page reads ('*': any); a commit to one of them re-renders it. */
  reads: new Set(),
  /** The current page's own live handler (a dashboard re-reads only what the commit touched). */
  onCommit: undefined,
  /** Shows another page (set by app.js). */
  go: () => undefined,
  /** Renders the current page again (set by app.js). */
  render: () => undefined,
};

export function h(tag, attrs = {}, ...children) {
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

export async function api(path, options = {}) {
  const res = await fetch(path, {
    ...options,
    headers: options.body ? { 'Content-Type': 'application/json' } : {},
    credentials: 'same-origin',
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

export const post = (path, body = {}) => api(path, { method: 'POST', body: JSON.stringify(body) });
export const fmt = (v) =>
  v === null || v === undefined ? '' : typeof v === 'number' ? v.toLocaleString('en-US') : String(v);
export const bytes = (n) =>
  n >= 1e9
    ? `${(n / 1e9).toFixed(1)} GB`
    : n >= 1e6
      ? `${(n / 1e6).toFixed(1)} MB`
      : n >= 1e3
        ? `${(n / 1e3).toFixed(1)} kB`
        : `${n} B`;
export const when = (t) => (t ? new Date(t).toISOString().replace('T', ' ').slice(0, 19) : '');
export const took = (ms) =>
  ms === null || ms === undefined ? '' : ms >= 60000 ? `${(ms / 60000).toFixed(1)} min` : `${(ms / 1000).toFixed(1)} s`;
export const link = (href, text) =>
  h(
    'a',
    {
      href,
      onclick: (e) => {
        e.preventDefault();
        state.go(href);
      },
    },
    text,
  );

export function table(columns, rows) {
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

export function status(s) {
  return h('span', { class: `status ${s ?? ''}` }, s ?? '');
}

/** A chart drawn into `el` once the charts library is there (dashboard.js draws them one per task). */
export const chart = chartInto;
