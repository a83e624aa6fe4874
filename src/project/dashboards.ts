// dashboards/<name>.yaml: named datasets (SQL over the project's tables, with `:name` parameter
// markers as Databricks SQL writes them), parameters with types and defaults, filters bound to
// parameters, and pages of widgets on a 12-column grid. Validated like strata.yaml: every problem
// with its file:line:column. A parameter's value never becomes SQL text: `:name` is read as
// getvariable('strata_p_name'), a variable set from a bound value (serve does that).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { StrataError } from '../core/index.js';
import { tokenize } from '../dialect/index.js';
import { validateYaml } from './config.js';

export const DASHBOARDS_DIR = 'dashboards';

const ident = (what: string) =>
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: `a ${what} name is letters, digits and _` });
const title = z.string().min(1).describe('The title shown.');
const column = z.string().min(1).describe('A column of the dataset.');
const position = z
  .strictObject({
    x: z.number().int().min(0).max(11).describe('Column of the grid, 0 to 11.'),
    y: z.number().int().min(0).describe('Row of the grid, from 0.'),
    w: z.number().int().min(1).max(12).describe('Width in grid columns, 1 to 12.'),
    h: z.number().int().min(1).max(24).describe('Height in grid rows (one row is 80 px).'),
  })
  .describe('Where the widget sits on the 12-column grid.');
const format = z.enum(['number', 'currency', 'percent']).describe('How values are written. Default: number.');

const common = { title: title.optional(), dataset: ident('dataset'), position };
const widget = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('counter'),
    ...common,
    value: column.describe('The column of the value (first row).'),
    previous: column.describe("The previous period's value, for the change shown beside it.").optional(),
    sparkline: z
      .strictObject({ dataset: ident('dataset'), x: column, y: column })
      .describe('A small trend under the value.')
      .optional(),
    format: format.optional(),
  }),
  z.strictObject({
    type: z.enum(['line', 'bar']),
    ...common,
    x: column,
    y: z.union([column, z.array(column).min(1)]).describe('One column, or several (one series each).'),
    series: column.describe('A column whose values split the rows into series.').optional(),
    format: format.optional(),
  }),
  z.strictObject({ type: z.literal('pie'), ...common, label: column, value: column, format: format.optional() }),
  z.strictObject({
    type: z.literal('table'),
    ...common,
    columns: z.array(column).min(1).describe('The columns shown. Default: all.').optional(),
  }),
  z.strictObject({
    type: z.literal('scatter'),
    ...common,
    x: column,
    y: column,
    label: column.describe('A column naming each point.').optional(),
  }),
]);

const filter = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('date_range'),
    title,
    from: ident('parameter').describe('The parameter set to the first day.'),
    to: ident('parameter').describe('The parameter set to the last day.'),
  }),
  z.strictObject({
    type: z.literal('multi_select'),
    title,
    parameter: ident('parameter').describe('A string_list parameter: the values chosen (none chosen: empty).'),
    options: z
      .strictObject({ dataset: ident('dataset'), column })
      .describe('Where the values to choose from come from.'),
  }),
]);

const parameter = z
  .strictObject({
    type: z
      .enum(['string', 'number', 'date', 'string_list'])
      .describe('Its type in SQL: VARCHAR, DOUBLE, DATE, VARCHAR[].'),
    default: z
      .union([z.string(), z.number(), z.array(z.string())])
      .describe('Its value until a filter sets it (string_list: a list; date: YYYY-MM-DD).'),
    title: title.optional(),
  })
  .describe('A parameter, written :name in the datasets.');

export const dashboardSchema = z
  .strictObject({
    title,
    description: z.string().describe('What the dashboard shows.').optional(),
    parameters: z.record(ident('parameter'), parameter).describe('Parameters by name.').optional(),
    datasets: z
      .record(
        ident('dataset'),
        z.strictObject({ sql: z.string().min(1).describe('A query (Spark SQL, as strata query runs it).') }),
      )
      .describe('Datasets by name: the queries the widgets show.'),
    filters: z.array(filter).describe('Filters, above every page; each sets parameters.').optional(),
    pages: z
      .array(z.strictObject({ title, widgets: z.array(widget).describe('The widgets of the page.') }))
      .min(1)
      .describe('Pages of widgets.'),
  })
  .superRefine((d, ctx) => {
    const datasets = new Set(Object.keys(d.datasets));
    const params = d.parameters ?? {};
    const dataset = (name: string, p: (string | number)[]) => {
      if (!datasets.has(name))
        ctx.addIssue({
          code: 'custom',
          path: p,
          message: `no dataset ${name} (datasets: ${[...datasets].join(', ')})`,
        });
    };
    const param = (name: string, p: (string | number)[], type?: string) => {
      if (!params[name]) ctx.addIssue({ code: 'custom', path: p, message: `no parameter ${name} under parameters` });
      else if (type && params[name].type !== type)
        ctx.addIssue({ code: 'custom', path: p, message: `parameter ${name} must be of type ${type}` });
    };
    d.pages.forEach((page, i) =>
      page.widgets.forEach((w, j) => {
        dataset(w.dataset, ['pages', i, 'widgets', j, 'dataset']);
        if (w.type === 'counter' && w.sparkline)
          dataset(w.sparkline.dataset, ['pages', i, 'widgets', j, 'sparkline', 'dataset']);
      }),
    );
    (d.filters ?? []).forEach((f, i) => {
      if (f.type === 'date_range') {
        param(f.from, ['filters', i, 'from'], 'date');
        param(f.to, ['filters', i, 'to'], 'date');
      } else {
        param(f.parameter, ['filters', i, 'parameter'], 'string_list');
        dataset(f.options.dataset, ['filters', i, 'options', 'dataset']);
      }
    });
    for (const [name, ds] of Object.entries(d.datasets))
      for (const m of markers(ds.sql))
        if (!params[m])
          ctx.addIssue({
            code: 'custom',
            path: ['datasets', name, 'sql'],
            message: `:${m} is not a parameter (declare it under parameters)`,
          });
    for (const [name, p] of Object.entries(params)) {
      const ok =
        p.type === 'string_list'
          ? Array.isArray(p.default)
          : p.type === 'number'
            ? typeof p.default === 'number'
            : p.type === 'date'
              ? typeof p.default === 'string' && /^\d{4}-\d\d-\d\d$/.test(p.default)
              : typeof p.default === 'string';
      if (!ok)
        ctx.addIssue({ code: 'custom', path: ['parameters', name, 'default'], message: `not a ${p.type} value` });
    }
  })
  .describe('A dashboard: dashboards/<name>.yaml.');

export type Dashboard = z.output<typeof dashboardSchema> & { name: string; file: string };
export type DashboardWidget = z.output<typeof widget>;

/** The dashboards of a project folder, by name (dashboards/<name>.yaml), sorted. */
export async function listDashboards(projectDir: string): Promise<string[]> {
  const names = await fs.readdir(path.join(projectDir, DASHBOARDS_DIR)).catch(() => [] as string[]);
  return names
    .filter((f) => /^[\w-]+\.ya?ml$/.test(f))
    .map((f) => f.replace(/\.ya?ml$/, ''))
    .sort();
}

/** Reads and validates one dashboard; a ConfigError lists every problem at its file:line:column. */
export async function loadDashboard(
  projectDir: string,
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Dashboard> {
  if (!/^[\w-]+$/.test(name)) throw new StrataError('USAGE', `no dashboard ${name}`);
  const dir = path.join(projectDir, DASHBOARDS_DIR);
  for (const ext of ['yaml', 'yml']) {
    const file = path.join(dir, `${name}.${ext}`);
    const text = await fs.readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const { data } = validateYaml(text, file, projectDir, env, dashboardSchema, (key) => `unknown key "${key}"`);
    return { ...data, name, file };
  }
  throw new StrataError('USAGE', `no dashboard ${name} (${DASHBOARDS_DIR}/${name}.yaml)`);
}

/** The variable a parameter is bound to. */
export const parameterVariable = (name: string) => `strata_p_${name}`;

/**
 * The `:name` parameter markers of a query (outside strings, comments and JSON paths such as
 * `raw:field`, where the colon follows a value directly).
 */
export function markers(sql: string): string[] {
  return [...new Set(markerSpans(sql).map((m) => m.name))];
}

/** The query with each `:name` read from its variable: getvariable('strata_p_name'). */
export function bindMarkers(sql: string): string {
  let out = '';
  let cursor = 0;
  for (const m of markerSpans(sql)) {
    out += `${sql.slice(cursor, m.start)}getvariable('${parameterVariable(m.name)}')`;
    cursor = m.end;
  }
  return out + sql.slice(cursor);
}

function markerSpans(sql: string): { name: string; start: number; end: number }[] {
  const tokens = tokenize(sql, { spark: true });
  const out: { name: string; start: number; end: number }[] = [];
  tokens.forEach((t, i) => {
    const next = tokens[i + 1];
    if (t.text !== ':' || !next || next.kind !== 'ident' || next.start !== t.end) return;
    const prev = tokens[i - 1];
    // `raw:field` (a JSON path) follows a value with no space; `:name` follows an operator, a
    // comma, a bracket or a keyword.
    const followsValue =
      prev !== undefined &&
      prev.end === t.start &&
      (prev.kind === 'ident' || prev.kind === 'quoted' || prev.text === ')' || prev.text === ']');
    if (followsValue || prev?.text === ':') return;
    out.push({ name: next.value, start: t.start, end: next.end });
  });
  return out;
}
