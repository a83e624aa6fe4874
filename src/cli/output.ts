// Rendering query results for people (an aligned table) and for programs
// (CSV, newline-delimited JSON).
import type { QueryResult } from '../project/index.js';

export type OutputFormat = 'table' | 'csv' | 'json';

export function render(result: QueryResult, format: OutputFormat, maxRows = Infinity, showTypes = true): string {
  switch (format) {
    case 'csv':
      return renderCsv(result);
    case 'json':
      return renderJson(result);
    default:
      return renderTable(result, maxRows, showTypes);
  }
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function renderTable(result: QueryResult, maxRows = Infinity, showTypes = true): string {
  const { columns } = result;
  if (columns.length === 0) return '';
  const shown = result.rows.slice(0, maxRows);
  const cells = shown.map((row) => row.map((v) => clip(cellText(v), 60)));
  const widths = columns.map((c, i) =>
    Math.max(c.name.length, showTypes ? c.type.length : 0, ...cells.map((r) => r[i].length)),
  );
  const line = (parts: string[]) => `│ ${parts.map((p, i) => p.padEnd(widths[i])).join(' │ ')} │`;
  const rule = (l: string, m: string, r: string) => `${l}${widths.map((w) => '─'.repeat(w + 2)).join(m)}${r}`;
  const out = [
    rule('┌', '┬', '┐'),
    line(columns.map((c) => c.name)),
    ...(showTypes ? [line(columns.map((c) => c.type.toLowerCase()))] : []),
    rule('├', '┼', '┤'),
    ...cells.map((r) => line(r.map((c, i) => (isNumericType(columns[i].type) ? c.padStart(widths[i]) : c)))),
    rule('└', '┴', '┘'),
  ];
  const total = result.rows.length;
  const hidden = total - shown.length;
  out.push(
    `${total} row${total === 1 ? '' : 's'}${hidden > 0 ? ` (${shown.length} shown; use --format csv or json for all)` : ''}`,
  );
  return `${out.join('\n')}\n`;
}

function isNumericType(type: string): boolean {
  return /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL)/.test(
    type,
  );
}

function clip(text: string, width: number): string {
  const flat = text.replace(/\n/g, '\\n');
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}

export function renderCsv(result: QueryResult): string {
  const esc = (v: unknown): string => {
    if (v === null || v === undefined) return '';
    const text = typeof v === 'object' ? JSON.stringify(v) : String(v);
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const lines = [result.columns.map((c) => esc(c.name)).join(',')];
  for (const row of result.rows) lines.push(row.map(esc).join(','));
  return `${lines.join('\n')}\n`;
}

export function renderJson(result: QueryResult): string {
  let out = '';
  for (const row of result.rows) {
    const obj: Record<string, unknown> = {};
    result.columns.forEach((c, i) => (obj[c.name] = row[i]));
    out += `${JSON.stringify(obj)}\n`;
  }
  return out;
}
