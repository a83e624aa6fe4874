// The names of unaliased select items. Spark names a column computed by an expression after the
// expression as written (`upper(name)`, `count(1)`, `CAST(x AS INT)`; Analyzer's ResolveAliases
// with toPrettySQL: functions in lower case, string literals without their quotes, columns
// without their qualifier). When the Spark rewrite changes an unaliased item, DuckDB would name
// the column after the rewritten text (`upper(CAST(name AS VARCHAR))`): the item gets an alias,
// its Spark-style name, instead. Items the rewrite leaves alone keep DuckDB's names.
import { isKeyword, type Token } from '../dialect/index.js';

/** Per token array, the select items without an alias: index of the item's last token → its first token's index and its name. */
export const ITEM_NAMES = new WeakMap<Token[], Map<number, ItemName>>();

/** An unaliased item: its first token's index, its Spark name, and whether it is a function call (always named: DuckDB's names for calls differ from Spark's). */
export interface ItemName {
  start: number;
  name: string;
  call: boolean;
}

/** Words that end a select list at its depth. */
const LIST_END = new Set(
  'from where group having order limit window qualify union except intersect minus into lateral sort cluster distribute'.split(
    ' ',
  ),
);

/** The unaliased expression items of every SELECT list in `tokens` (see ITEM_NAMES). */
export function unaliasedItems(tokens: Token[]): Map<number, ItemName> {
  const out = new Map<number, ItemName>();
  for (let i = 0; i < tokens.length; i++) {
    if (!isKeyword(tokens[i], 'select')) continue;
    let j = i + 1;
    if (isKeyword(tokens[j], 'distinct') || isKeyword(tokens[j], 'all')) j++;
    let depth = 0;
    let first = j;
    for (; j <= tokens.length; j++) {
      const t = tokens[j];
      const ends =
        t === undefined ||
        t.text === ';' ||
        (depth === 0 &&
          (t.text === ')' || t.text === ',' || (t.kind === 'ident' && LIST_END.has(t.value.toLowerCase()))));
      if (!ends) {
        if (t.text === '(' || t.text === '[') depth++;
        else if (t.text === ')' || t.text === ']') depth--;
        continue;
      }
      const item = tokens.slice(first, j);
      const name = needsName(item) ? prettyTokens(item) : undefined;
      if (name !== undefined) out.set(j - 1, { start: first, name, call: asCall(item) !== undefined });
      if (t === undefined || t.text !== ',') break;
      first = j + 1;
    }
  }
  return out;
}

/** Functions that give rows or several columns (named by their own rules, or by DuckDB's). */
const GENERATORS = new Set(
  'explode explode_outer posexplode posexplode_outer inline inline_outer stack json_tuple unnest'.split(' '),
);

/** An expression without an alias (not a column, a star, a generator, or an aliased item). */
function needsName(item: Token[]): boolean {
  if (item.length === 0) return false;
  if (item[0].kind === 'ident' && GENERATORS.has(item[0].value.toLowerCase()) && item[1]?.text === '(') return false;
  const last = item[item.length - 1];
  const before = item[item.length - 2];
  if (item.some((t, k) => t.text === '*' && (k === 0 || item[k - 1].text === '.'))) return false;
  // A column: name, t.name, `name`.
  if (item.every((t, k) => (k % 2 === 0 ? t.kind === 'ident' || t.kind === 'quoted' : t.text === '.'))) return false;
  if (before && isKeyword(before, 'as')) return false;
  // An implicit alias: an identifier after the end of an operand (not CASE's END, a literal word).
  if (
    before &&
    (last.kind === 'ident' || last.kind === 'quoted') &&
    !['end', 'null', 'true', 'false'].includes(last.value.toLowerCase()) &&
    (before.kind === 'ident' ||
      before.kind === 'quoted' ||
      before.kind === 'number' ||
      before.kind === 'string' ||
      before.text === ')') &&
    before.text !== '.'
  )
    return false;
  return true;
}

/** Spark's name of an expression (its common shapes; others: the text as written, spaces collapsed). */
function prettyTokens(ts: Token[]): string {
  const call = asCall(ts);
  if (call) {
    const fn = call.name.toLowerCase();
    if (fn === 'cast' && call.args.length === 1) {
      const as = call.args[0].findIndex((t) => isKeyword(t, 'as'));
      if (as > 0)
        return `CAST(${prettyTokens(call.args[0].slice(0, as))} AS ${call.args[0]
          .slice(as + 1)
          .map((t) => t.text.toUpperCase())
          .join('')})`;
    }
    if (fn === 'count' && call.args.length === 1 && call.args[0].length === 1 && call.args[0][0].text === '*')
      return 'count(1)';
    return `${fn}(${call.args.map(prettyTokens).join(', ')})`;
  }
  if (ts.length === 1) {
    const t = ts[0];
    if (t.kind === 'string' || t.kind === 'quoted') return t.value;
    return t.text;
  }
  // t.name: the name.
  if (ts.length === 3 && ts[1].text === '.' && (ts[2].kind === 'ident' || ts[2].kind === 'quoted')) return ts[2].value;
  // x BETWEEN a AND b: in parentheses, as DuckDB and Spark name it.
  if (topComparison(ts, true) > 0) return `(${plainText(ts)})`;
  // a = b: in parentheses, each side named (BinaryComparison's sql).
  const op = topComparison(ts);
  if (op > 0) {
    const two = ts[op + 1]?.start === ts[op].end && ['=', '>'].includes(ts[op + 1].text) ? 2 : 1;
    const text = two === 2 ? ts[op].text + ts[op + 1].text : ts[op].text;
    return `(${prettyTokens(ts.slice(0, op))} ${text === '==' ? '=' : text === '!=' ? '<>' : text} ${prettyTokens(ts.slice(op + two))})`;
  }
  return plainText(ts);
}

/** The tokens as written, spaces collapsed. */
function plainText(ts: Token[]): string {
  return ts
    .map((t) => t.text)
    .join(' ')
    .replace(/\s*([(\[])\s*/g, '$1')
    .replace(/\s*([)\]])/g, '$1')
    .replace(/\s*,\s*/g, ', ')
    .replace(/\s*\.\s*/g, '.');
}

/** The index of the first comparison operator (or with `between`, BETWEEN) outside parentheses in `ts`, or -1. */
function topComparison(ts: Token[], between = false): number {
  let depth = 0;
  for (const [i, t] of ts.entries()) {
    if (t.text === '(' || t.text === '[' || isKeyword(t, 'case')) depth++;
    else if (t.text === ')' || t.text === ']' || isKeyword(t, 'end')) depth--;
    else if (depth === 0 && between) {
      if (isKeyword(t, 'between')) return i;
    } else if (depth === 0 && t.kind === 'op' && ['=', '<', '>', '<=', '>=', '<>', '!='].includes(t.text)) return i;
  }
  return -1;
}

/** `name(arg, ...)` spanning all of `ts`: the name and each argument's tokens. */
function asCall(ts: Token[]): { name: string; args: Token[][] } | undefined {
  if (ts.length < 3 || ts[0].kind !== 'ident' || ts[1].text !== '(' || ts[ts.length - 1].text !== ')') return undefined;
  const args: Token[][] = [];
  let depth = 0;
  let start = 2;
  for (let k = 1; k < ts.length; k++) {
    const x = ts[k].text;
    if (x === '(' || x === '[') depth++;
    else if (x === ')' || x === ']') {
      depth--;
      if (depth === 0 && k !== ts.length - 1) return undefined; // the call ends before the item does
    } else if (x === ',' && depth === 1) {
      args.push(ts.slice(start, k));
      start = k + 1;
    }
  }
  if (ts.length - 1 > start) args.push(ts.slice(start, ts.length - 1));
  return { name: ts[0].value, args };
}
