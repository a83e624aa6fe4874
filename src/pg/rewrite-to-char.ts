// `to_char(date or timestamp, 'template')` as DuckDB computes it: the template's patterns (PostgreSQL's
// "Template Patterns for Date/Time Formatting", functions-formatting) become strftime formats and,
// where PostgreSQL pads or counts otherwise, expressions of their own: Month and Day blank-padded to
// 9 letters unless FM, D counted from Sunday = 1, WW and W counted in 7-day steps, Q, quoted "text" kept. A template with patterns
// not here (a number template, TZ, th suffixes, ...) is refused before anything runs, by name.
import { StrataError } from '../core/index.js';
import type { TokenEdit } from './token-edit.js';

type Piece = { format: string } | { sql: (x: string) => string };

/** Patterns, longest first (PostgreSQL matches the longest); `fm`: the same without padding. */
const PATTERNS: [pattern: string, piece: (fm: boolean) => Piece][] = [
  ['HH24', (fm) => ({ format: fm ? '%-H' : '%H' })],
  ['HH12', (fm) => ({ format: fm ? '%-I' : '%I' })],
  ['HH', (fm) => ({ format: fm ? '%-I' : '%I' })],
  ['MI', (fm) => ({ format: fm ? '%-M' : '%M' })],
  ['SS', (fm) => ({ format: fm ? '%-S' : '%S' })],
  ['MS', () => ({ format: '%g' })],
  ['US', () => ({ format: '%f' })],
  ['AM', () => ({ format: '%p' })],
  ['PM', () => ({ format: '%p' })],
  ['am', () => ({ sql: (x) => `lower(strftime(${x}, '%p'))` })],
  ['pm', () => ({ sql: (x) => `lower(strftime(${x}, '%p'))` })],
  ['YYYY', () => ({ format: '%Y' })],
  ['IYYY', () => ({ format: '%G' })],
  ['YY', () => ({ format: '%y' })],
  ['MONTH', (fm) => named('%B', fm, 'upper')],
  ['Month', (fm) => named('%B', fm)],
  ['month', (fm) => named('%B', fm, 'lower')],
  ['MON', () => ({ sql: (x) => `upper(strftime(${x}, '%b'))` })],
  ['Mon', () => ({ format: '%b' })],
  ['mon', () => ({ sql: (x) => `lower(strftime(${x}, '%b'))` })],
  ['MM', (fm) => ({ format: fm ? '%-m' : '%m' })],
  ['DAY', (fm) => named('%A', fm, 'upper')],
  ['Day', (fm) => named('%A', fm)],
  ['day', (fm) => named('%A', fm, 'lower')],
  ['DY', () => ({ sql: (x) => `upper(strftime(${x}, '%a'))` })],
  ['Dy', () => ({ format: '%a' })],
  ['dy', () => ({ sql: (x) => `lower(strftime(${x}, '%a'))` })],
  ['DDD', (fm) => ({ format: fm ? '%-j' : '%j' })],
  ['DD', (fm) => ({ format: fm ? '%-d' : '%d' })],
  ['IW', () => ({ format: '%V' })],
  ['WW', (fm) => ({ sql: (x) => padded(`(dayofyear(${x}) - 1) // 7 + 1`, fm) })],
  ['W', () => ({ sql: (x) => `CAST((dayofmonth(${x}) - 1) // 7 + 1 AS VARCHAR)` })],
  ['ID', () => ({ format: '%u' })],
  ['D', () => ({ sql: (x) => `CAST(dayofweek(${x}) + 1 AS VARCHAR)` })],
  ['Q', () => ({ sql: (x) => `CAST(quarter(${x}) AS VARCHAR)` })],
];

/** A number as two digits at least, unless FM. */
function padded(n: string, fm: boolean): string {
  return fm ? `CAST(${n} AS VARCHAR)` : `lpad(CAST(${n} AS VARCHAR), 2, '0')`;
}

/** Month and day names: PostgreSQL pads them to 9 letters (the longest) unless FM. */
function named(format: string, fm: boolean, letterCase?: 'upper' | 'lower'): Piece {
  return {
    sql: (x) => {
      const name = fm ? `strftime(${x}, '${format}')` : `rpad(strftime(${x}, '${format}'), 9, ' ')`;
      return letterCase ? `${letterCase}(${name})` : name;
    },
  };
}

/** `to_char(` at i: rewritten once the arguments are (deferred); returns i. */
export function toChar(e: TokenEdit, i: number): number {
  const close = e.matching(i + 1);
  if (close < 0) return i;
  let comma = -1;
  for (let k = i + 2, depth = 0; k < close; k++) {
    const w = e.word(k);
    if (w === '(' || w === '[') depth++;
    else if (w === ')' || w === ']') depth--;
    else if (w === ',' && depth === 0) comma = k;
  }
  const template = e.tokens[comma + 1];
  if (comma < 0 || comma + 2 !== close || template?.kind !== 'string' || !template.text.startsWith("'"))
    throw unsupported('to_char is supported with a date or timestamp and a template written as a literal');
  const pieces = translate(template.text.slice(1, -1).replace(/''/g, "'"));
  e.defer(() => e.set(i, close, `(${sqlOf(pieces, `(${e.slice(i + 2, comma - 1)})`)})`));
  return i;
}

/** A template's pieces, adjacent strftime formats merged. */
export function translate(template: string): Piece[] {
  // PostgreSQL's number template patterns only (9, 0, ., D, G, S, MI, PR, L, V, EEEE, FM, ...).
  if (/[90]/.test(template) && /^(?:[\s90.,$-]|D|G|S|L|V|PR|MI|PL|SG|RN|TH|EEEE|FM)*$/i.test(template))
    throw unsupported(
      `to_char's template '${template}' is a number template: the Postgres endpoint supports to_char of dates and timestamps only (round() or format() for numbers)`,
    );
  const pieces: Piece[] = [];
  const add = (p: Piece) => {
    const last = pieces[pieces.length - 1];
    if ('format' in p && last && 'format' in last) last.format += p.format;
    else pieces.push(p);
  };
  for (let at = 0; at < template.length;) {
    if (template[at] === '"') {
      const end = template.indexOf('"', at + 1);
      add({ format: strftimeText(template.slice(at + 1, end < 0 ? template.length : end)) });
      at = end < 0 ? template.length : end + 1;
      continue;
    }
    const fm = template.startsWith('FM', at) || template.startsWith('fm', at);
    const from = fm ? at + 2 : at;
    const match = PATTERNS.find(([p]) => matches(template, from, p));
    if (match) {
      add(match[1](fm));
      at = from + match[0].length;
    } else if (/[A-Za-z]/.test(template[at])) {
      throw unsupported(
        `to_char's template '${template}': "${template.slice(at, at + 4)}..." is not a date/time pattern the Postgres endpoint knows (TZ, OF, th suffixes and the rarer patterns are not supported)`,
      );
    } else {
      add({ format: strftimeText(template[at]) });
      at++;
    }
  }
  return pieces;
}

/** Whether pattern p is at `at`: names by their exact letter case, the rest in any case. */
function matches(template: string, at: number, p: string): boolean {
  const text = template.slice(at, at + p.length);
  if (/^(MONTH|Month|month|MON|Mon|mon|DAY|Day|day|DY|Dy|dy|AM|PM|am|pm)$/.test(p)) return text === p;
  return text.toUpperCase() === p;
}

function strftimeText(s: string): string {
  return s.replace(/%/g, '%%');
}

function sqlOf(pieces: Piece[], x: string): string {
  if (pieces.length === 0) return `''`;
  return pieces
    .map((p) => ('format' in p ? `strftime(${x}, '${p.format.replace(/'/g, "''")}')` : p.sql(x)))
    .join(' || ');
}

function unsupported(message: string): StrataError {
  return new StrataError('SQL_UNSUPPORTED', message);
}
