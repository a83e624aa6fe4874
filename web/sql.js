// The SQL editor page (serve.sql_editor: true): Spark SQL over the project's tables, run read-only
// by the server (its own sandbox: only queries, only the lake's files). Ctrl+Enter runs.

const KEY = 'strata.sql';
const EXAMPLE = 'SHOW TABLES IN gold';

/** The page's elements; `ui` brings the app's helpers (h, post, table). */
export function sqlPage({ h, post, table }) {
  const editor = h('textarea', {
    class: 'sql',
    spellcheck: 'false',
    rows: 8,
    'aria-label': 'SQL',
  });
  editor.value = sessionStorage.getItem(KEY) ?? EXAMPLE;
  const out = h('div', { class: 'sql-result', 'aria-live': 'polite' });
  const button = h('button', { type: 'submit' }, 'Run');
  const run = async () => {
    const sql = editor.value;
    sessionStorage.setItem(KEY, sql);
    button.disabled = true;
    out.replaceChildren(h('p', { class: 'muted' }, 'Running…'));
    try {
      const r = await post('/api/sql', { sql });
      const summary = `${r.rowCount.toLocaleString('en-US')} row${r.rowCount === 1 ? '' : 's'} in ${r.elapsedMs} ms`;
      out.replaceChildren(
        h(
          'p',
          { class: 'muted', 'data-rows': r.rowCount },
          r.truncated ? `${summary} — the first ${r.rows.length.toLocaleString('en-US')} shown` : summary,
        ),
        r.columns.length
          ? table(
              r.columns.map((c) => ({ label: c.name, num: /INT|DECIMAL|DOUBLE|FLOAT|REAL/.test(c.type) })),
              r.rows.map((row) => row.map((v) => (v !== null && typeof v === 'object' ? JSON.stringify(v) : v))),
            )
          : null,
      );
    } catch (err) {
      out.replaceChildren(h('p', { class: 'error' }, err.message));
    } finally {
      button.disabled = false;
    }
  };
  editor.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      run();
    }
  });
  return [
    h('h1', {}, 'SQL'),
    h(
      'p',
      { class: 'muted' },
      'Spark SQL over the project’s tables, read-only: queries, SHOW and DESCRIBE. Ctrl+Enter runs.',
    ),
    h(
      'form',
      {
        class: 'sql-editor',
        onsubmit: (e) => {
          e.preventDefault();
          run();
        },
      },
      editor,
      button,
    ),
    out,
  ];
}
