// A dashboard of dashboards/<name>.yaml: filters above, the page's widgets on a 12-column grid.
// A filter re-reads only the datasets that use its parameters; a commit re-reads only the
// datasets that read the committed table. Values are put into the page as text.

const ROW_PX = 80;

/** Renders dashboard `name` into `root`; returns { onCommit(table) } for the live updates. */
export async function showDashboard(root, name, pageIndex, { h, api, go }) {
  // The first page's data is asked for with the definition, not after it (its default values).
  const first = api(`/api/dashboards/${encodeURIComponent(name)}/data?page=${pageIndex}`).catch((err) => err);
  const def = await api(`/api/dashboards/${encodeURIComponent(name)}`);
  const values = Object.fromEntries(Object.entries(def.parameters).map(([k, p]) => [k, p.default]));
  const data = new Map(); // dataset → { columns, rows, tables }
  const widgets = []; // { w, el, update() }
  const page = def.pages[Math.min(pageIndex, def.pages.length - 1)];

  const load = async (datasets) => {
    if (datasets.length === 0) return;
    const q = new URLSearchParams({ datasets: datasets.join(','), params: JSON.stringify(values) });
    const r = await api(`/api/dashboards/${encodeURIComponent(name)}/data?${q}`);
    for (const [k, v] of Object.entries(r.datasets)) data.set(k, v);
    for (const x of widgets) if (x.datasets.some((d) => datasets.includes(d))) x.update();
  };
  const used = (param) =>
    Object.entries(def.datasets)
      .filter(([, d]) => d.parameters.includes(param))
      .map(([k]) => k);
  const onPage = new Set(page.widgets.flatMap((w) => [w.dataset, w.sparkline?.dataset].filter(Boolean)));
  const filterDatasets = new Set(def.filters.filter((f) => f.type === 'multi_select').map((f) => f.options.dataset));
  const setParams = async (changes) => {
    Object.assign(values, changes);
    const affected = new Set(Object.keys(changes).flatMap(used));
    await load([...affected].filter((d) => onPage.has(d)));
  };

  const filterBar = h(
    'div',
    { class: 'filters' },
    def.filters.map((f) => filterControl(f, values, setParams, data, h)),
  );
  const tabs =
    def.pages.length > 1
      ? h(
          'div',
          { class: 'tabs' },
          def.pages.map((p, i) =>
            h(
              'a',
              {
                href: `/dashboards/${encodeURIComponent(name)}?page=${i}`,
                class: p === page ? 'active' : '',
                onclick: (e) => {
                  e.preventDefault();
                  go(`/dashboards/${encodeURIComponent(name)}?page=${i}`);
                },
              },
              p.title,
            ),
          ),
        )
      : null;
  const grid = h('div', { class: 'dash-grid' });
  for (const w of page.widgets) {
    const el = h('section', {
      class: `widget ${w.type}`,
      'data-widget': w.title ?? w.dataset,
      style: `grid-column: ${w.position.x + 1} / span ${w.position.w}; grid-row: ${w.position.y + 1} / span ${w.position.h}; min-height: ${w.position.h * ROW_PX - 12}px`,
    });
    const x = {
      w,
      el,
      datasets: [w.dataset, w.sparkline?.dataset].filter(Boolean),
      update: () => drawWidget(x, data, h),
    };
    widgets.push(x);
    grid.append(el);
  }
  root.replaceChildren(
    h('h1', {}, def.title),
    def.description ? h('p', { class: 'muted' }, def.description) : null,
    filterBar,
    tabs,
    grid,
  );
  const initial = await first;
  if (initial instanceof Error) throw initial;
  for (const [k, v] of Object.entries(initial.datasets)) data.set(k, v);
  for (const x of widgets) x.update();
  const missing = [...new Set([...onPage, ...filterDatasets])].filter((d) => !data.has(d));
  await load(missing);
  for (const f of filterBar.querySelectorAll('[data-options]')) f.dispatchEvent(new Event('refresh'));
  return {
    onCommit: (table) => load([...data.entries()].filter(([, d]) => d.tables.includes(table)).map(([k]) => k)),
  };
}

function filterControl(f, values, setParams, data, h) {
  if (f.type === 'date_range') {
    const from = h('input', { type: 'date', value: values[f.from], 'aria-label': `${f.title} from` });
    const to = h('input', { type: 'date', value: values[f.to], 'aria-label': `${f.title} to` });
    const changed = () => {
      if (from.value && to.value) setParams({ [f.from]: from.value, [f.to]: to.value });
    };
    from.addEventListener('change', changed);
    to.addEventListener('change', changed);
    return h('label', { class: 'filter', 'data-filter': f.title }, h('span', {}, f.title), from, '–', to);
  }
  const box = h('span', { class: 'options', 'data-options': f.options.dataset });
  box.addEventListener('refresh', () => {
    const d = data.get(f.options.dataset);
    if (!d) return;
    const i = d.columns.findIndex((c) => c.name === f.options.column);
    box.replaceChildren(
      ...d.rows.map((r) => {
        const v = String(r[i]);
        const input = h('input', { type: 'checkbox', value: v });
        input.checked = values[f.parameter].includes(v);
        input.addEventListener('change', () => {
          const chosen = [...box.querySelectorAll('input:checked')].map((x) => x.value);
          setParams({ [f.parameter]: chosen });
        });
        return h('label', {}, input, v);
      }),
    );
  });
  return h('span', { class: 'filter', 'data-filter': f.title }, h('span', {}, f.title), box);
}

const num = (v) => (v === null || v === undefined || v === '' ? null : Number(v));

function formatted(v, format) {
  const n = num(v);
  if (n === null || Number.isNaN(n)) return v === null || v === undefined ? '' : String(v);
  if (format === 'currency') return n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  if (format === 'percent') return `${n.toLocaleString('en-US', { maximumFractionDigits: 1 })}%`;
  return n.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

function column(d, name) {
  const i = d.columns.findIndex((c) => c.name === name);
  if (i < 0) throw new Error(`the dataset has no column ${name} (it has ${d.columns.map((c) => c.name).join(', ')})`);
  return d.rows.map((r) => r[i]);
}

const label = (v) => (typeof v === 'string' && /^\d{4}-\d\d-\d\d/.test(v) ? v.slice(0, 10) : String(v));

function drawWidget(x, data, h) {
  const { w, el } = x;
  const d = data.get(w.dataset);
  if (!d) return;
  const head = w.title ? h('h3', {}, w.title) : null;
  try {
    if (w.type === 'counter') {
      const value = column(d, w.value)[0];
      const valueEl = h(
        'div',
        { class: 'value', 'data-value': value ?? '', elementtiming: `tile:${w.title ?? w.dataset}` },
        formatted(value, w.format),
      );
      let change = null;
      if (w.previous) {
        const prev = num(column(d, w.previous)[0]);
        const now = num(value);
        if (prev)
          change = h(
            'div',
            { class: now >= prev ? 'change up' : 'change down' },
            `${now >= prev ? '▲' : '▼'} ${Math.abs((100 * (now - prev)) / prev).toFixed(1)}% vs previous`,
          );
      }
      const spark = w.sparkline ? h('div', { class: 'spark' }) : null;
      el.replaceChildren(...[head, valueEl, change, spark].filter(Boolean));
      const s = w.sparkline && data.get(w.sparkline.dataset);
      if (spark && s)
        chartInto(spark, {
          grid: { left: 0, right: 0, top: 4, bottom: 0 },
          xAxis: { type: 'category', show: false, data: column(s, w.sparkline.x).map(label) },
          yAxis: { type: 'value', show: false, scale: true },
          series: [
            { type: 'line', data: column(s, w.sparkline.y).map(num), showSymbol: false, areaStyle: { opacity: 0.15 } },
          ],
          tooltip: { trigger: 'axis' },
        });
      return;
    }
    if (w.type === 'table') {
      const cols = w.columns ?? d.columns.map((c) => c.name);
      const idx = cols.map((c) => d.columns.findIndex((x) => x.name === c));
      el.replaceChildren(
        ...[
          head,
          h(
            'table',
            { class: 'grid' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                cols.map((c) => h('th', {}, c)),
              ),
            ),
            h(
              'tbody',
              {},
              d.rows.map((r) =>
                h(
                  'tr',
                  {},
                  idx.map((i) => {
                    const v = r[i];
                    const n = typeof v === 'number' || (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v));
                    return h('td', { class: n ? 'num' : undefined }, n ? formatted(v) : label(v ?? ''));
                  }),
                ),
              ),
            ),
          ),
        ].filter(Boolean),
      );
      return;
    }
    const area = h('div', { class: 'chart-area' });
    el.replaceChildren(...[head, area].filter(Boolean));
    if (w.type === 'pie') {
      const labels = column(d, w.label);
      const values = column(d, w.value).map(num);
      chartInto(area, {
        tooltip: { trigger: 'item', valueFormatter: (v) => formatted(v, w.format) },
        legend: { bottom: 0 },
        series: [
          {
            type: 'pie',
            radius: ['35%', '60%'],
            data: labels.map((l, i) => ({ name: String(l), value: values[i] })),
            label: { formatter: '{b}\n{d}%' },
          },
        ],
      });
    } else if (w.type === 'scatter') {
      const xs = column(d, w.x).map(num);
      const ys = column(d, w.y).map(num);
      const names = w.label ? column(d, w.label) : xs.map(() => '');
      chartInto(area, {
        tooltip: {
          formatter: (p) =>
            `${names[p.dataIndex]}: ${w.x} ${formatted(xs[p.dataIndex])}, ${w.y} ${formatted(ys[p.dataIndex])}`,
        },
        xAxis: { type: 'value', name: w.x, scale: true },
        yAxis: { type: 'value', name: w.y, scale: true },
        series: [{ type: 'scatter', data: xs.map((v, i) => [v, ys[i]]) }],
      });
    } else {
      const ys = Array.isArray(w.y) ? w.y : [w.y];
      const xs = column(d, w.x).map(label);
      let series;
      if (w.series) {
        const by = column(d, w.series);
        const keys = [...new Set(by.map(String))];
        const cats = [...new Set(xs)];
        series = keys.map((k) => ({
          name: k,
          type: w.type,
          data: cats.map((c) => {
            const i = xs.findIndex((x, j) => x === c && String(by[j]) === k);
            return i < 0 ? null : num(column(d, ys[0])[i]);
          }),
        }));
        chartInto(area, {
          tooltip: { trigger: 'axis' },
          legend: { bottom: 0 },
          xAxis: { type: 'category', data: cats },
          yAxis: { type: 'value' },
          series,
        });
        return;
      }
      series = ys.map((y) => ({ name: y, type: w.type, data: column(d, y).map(num), smooth: w.type === 'line' }));
      chartInto(area, {
        tooltip: { trigger: 'axis', valueFormatter: (v) => formatted(v, w.format) },
        legend: ys.length > 1 ? { bottom: 0 } : undefined,
        grid: { left: 70, right: 16, top: 16, bottom: 30 },
        xAxis: { type: 'category', data: xs },
        yAxis: { type: 'value' },
        series,
      });
    }
  } catch (err) {
    el.replaceChildren(...[head, h('p', { class: 'error' }, err.message)].filter(Boolean));
  }
}

/**
 * ECharts (its common build: line, bar, pie, scatter), loaded on first use, after the values are on
 * the page: the numbers show before the charts' script is read.
 */
let echartsLoading;
function echartsReady() {
  if (window.echarts) return Promise.resolve(window.echarts);
  echartsLoading ??= new Promise((resolve, reject) => {
    // Loaded after the next paint: the numbers show first, the charts library (and its parsing)
    // comes after them.
    const start = () => {
      const script = document.createElement('script');
      script.src = '/assets/echarts.min.js';
      script.async = true;
      script.addEventListener('load', () => resolve(window.echarts), { once: true });
      script.addEventListener('error', () => reject(new Error('the charts library did not load')), { once: true });
      document.head.append(script);
    };
    requestAnimationFrame(() => setTimeout(start, 0));
  });
  return echartsLoading;
}

/** Charts are drawn one per task, so that the page stays responsive (and painted) between them. */
const drawQueue = [];
let draining = false;
function drawLater(fn) {
  drawQueue.push(fn);
  if (draining) return;
  draining = true;
  const next = () => {
    const f = drawQueue.shift();
    if (f) f();
    if (drawQueue.length) setTimeout(next, 0);
    else draining = false;
  };
  setTimeout(next, 0);
}

export function chartInto(el, option) {
  echartsReady().then(() =>
    drawLater(() => {
      const known = window.echarts.getInstanceByDom(el);
      const c = known ?? window.echarts.init(el, null, { renderer: 'svg' });
      c.setOption(option, true);
      if (!known) new ResizeObserver(() => c.resize()).observe(el);
    }),
  );
}
