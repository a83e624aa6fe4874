// Result column names as PostgreSQL gives them (its FigureColname, src/backend/parser/parse_target.c):
// an expression without an alias is named by its column (`c.relname` → relname), its function
// (`count(*)` → count, `pg_catalog.format_type(...)` → format_type), CASE → case, ARRAY → array,
// a cast by what it casts if that has a name, else by the type (`1::int` → int4), anything else
// `?column?`. DuckDB names such columns by their text (`count_star()`, `sum(amount)`); clients show
// and read these names (BI tools' column headers, `rs.getString("count")`), so the endpoint adds
// the alias PostgreSQL would have given.
import { quoteIdent } from '../project/index.js';
import { identName } from './lexer.js';
import type { TokenEdit } from './token-edit.js';

const LIST_ENDS = new Set([
  'from',
  'where',
  'group',
  'having',
  'order',
  'limit',
  'offset',
  'union',
  'except',
  'intersect',
  'window',
  'into',
  'fetch',
  'for',
  ';',
]);
/** Words that may end an expression, so are not an alias after it. */
const NOT_ALIAS = new Set(['end', 'null', 'true', 'false', 'unknown', 'distinct', 'all', 'current_row']);
/** The SQL-syntax functions PostgreSQL names by their keyword. */
const NAMED_KEYWORDS = new Set([
  'current_user',
  'session_user',
  'user',
  'current_catalog',
  'current_schema',
  'current_date',
  'current_time',
  'current_timestamp',
  'localtime',
  'localtimestamp',
]);
/** Type names as PostgreSQL's grammar turns them into catalog names. */
const TYPE_NAMES: Record<string, string> = {
  int: 'int4',
  integer: 'int4',
  int4: 'int4',
  bigint: 'int8',
  smallint: 'int2',
  real: 'float4',
  float: 'float8',
  double: 'float8',
  boolean: 'bool',
  decimal: 'numeric',
  dec: 'numeric',
  varchar: 'varchar',
  character: 'bpchar',
  char: 'bpchar',
};

/** Adds PostgreSQL's names to the unnamed expressions of every SELECT list (done last). */
export function nameColumns(e: TokenEdit): void {
  const items: [number, number][] = [];
  for (let i = 0; i < e.tokens.length; i++) if (e.word(i) === 'select') items.push(...selectItems(e, i));
  e.selectItems = items;
  if (items.length === 0) return;
  e.defer(() => {
    for (const [a, b] of items) {
      const name = itemName(e, a, b);
      if (name !== undefined) {
        e.texts[b] += ` AS ${quoteIdent(name)}`;
        e.changed = true;
      }
    }
  });
}

/** The [first, last] tokens of each item of the SELECT list starting after token `at`. */
function selectItems(e: TokenEdit, at: number): [number, number][] {
  let i = at + 1;
  if (e.word(i) === 'all') i++;
  else if (e.word(i) === 'distinct') {
    i++;
    if (e.word(i) === 'on' && e.word(i + 1) === '(') i = e.matching(i + 1) + 1;
  }
  const out: [number, number][] = [];
  let start = i;
  let depth = 0;
  for (; i <= e.tokens.length; i++) {
    const w = e.word(i);
    if (w === '(' || w === '[') depth++;
    else if ((w === ')' || w === ']') && depth > 0) depth--;
    else if (
      depth === 0 &&
      (i === e.tokens.length || w === ')' || w === ',' || (w !== undefined && LIST_ENDS.has(w)))
    ) {
      if (i > start) out.push([start, i - 1]);
      if (w !== ',') break;
      start = i + 1;
    }
  }
  return out;
}

/** The name PostgreSQL gives item [a, b], or undefined when it has one already (or DuckDB's is the same). */
function itemName(e: TokenEdit, a: number, b: number): string | undefined {
  const last = e.tokens[b];
  if (last.text === '*') return undefined;
  const before = e.tokens[b - 1];
  if (b > a && (last.kind === 'ident' || last.kind === 'quoted')) {
    if (e.word(b - 1) === 'as') return undefined; // `expr AS name`
    const bare = last.kind === 'quoted' || !NOT_ALIAS.has(last.text.toLowerCase());
    // `expr name`: after a name, a literal, a parenthesis or a word ending an expression (END).
    const ends = before && (['ident', 'quoted', 'string', 'number'].includes(before.kind) || before.text === ')');
    if (bare && ends && e.word(b - 1) !== '.') return undefined; // `expr name`
  }
  if (a === b && NAMED_KEYWORDS.has(e.word(a) ?? '')) return e.word(a);
  if (a === b && ['true', 'false', 'null'].includes(e.word(a) ?? '')) return '?column?';
  if (isColumnRef(e, a, b)) return undefined;
  return figure(e, a, b).name;
}

function isColumnRef(e: TokenEdit, a: number, b: number): boolean {
  for (let k = a; k <= b; k++) {
    const isName = (k - a) % 2 === 0;
    if (isName ? !identName(e.tokens[k]) : e.word(k) !== '.') return false;
  }
  return (b - a) % 2 === 0;
}

/** PostgreSQL's FigureColnameInternal over tokens [a, b]: the name and its strength (2 strong). */
function figure(e: TokenEdit, a: number, b: number): { name: string; strength: number } {
  // A scalar subquery is named by its first column.
  if (e.word(a) === '(' && e.word(a + 1) === 'select' && e.matching(a) === b) {
    const [first] = selectItems(e, a + 1);
    if (first) {
      const [fa, fb] = first;
      if (e.word(fb - 1) === 'as' || (fb > fa && itemName(e, fa, fb) === undefined && !isColumnRef(e, fa, fb)))
        return { name: identName(e.tokens[fb])!, strength: 2 };
      return figure(e, fa, fb);
    }
  }
  if (e.word(a) === '(' && e.matching(a) === b) return figure(e, a + 1, b - 1);
  // CASE ... END: named by its ELSE result when that has a name (CaseExpr's defresult), else case.
  if (e.word(a) === 'case' && e.word(b) === 'end' && depthAt(e, a, b) === 1) {
    for (let k = b - 1; k > a; k--) {
      if (e.word(k) === 'else' && depthAt(e, a, k) === 1) {
        const inner = figure(e, k + 1, b - 1);
        if (inner.strength > 1) return inner;
        break;
      }
    }
    return { name: 'case', strength: 1 };
  }
  // Casts: x::type (the last one applies last).
  for (let k = b; k > a; k--) {
    if (e.word(k) === '::' && depthAt(e, a, k) === 0) {
      const inner = figure(e, a, k - 1);
      if (inner.strength > 1) return inner;
      const typeName = lastTypeWord(e, k + 1, b);
      return typeName ? { name: TYPE_NAMES[typeName] ?? typeName, strength: 1 } : inner;
    }
  }
  const w = e.word(a);
  // `DATE '...'` is a cast of the string to its type (PostgreSQL's grammar); TRUE is a constant.
  if (b === a + 1 && e.tokens[b].kind === 'string' && e.tokens[a].kind === 'ident' && w !== 'e')
    return { name: TYPE_NAMES[w!] ?? w!, strength: 1 };
  if (isColumnRef(e, a, b)) return { name: identName(e.tokens[b])!, strength: 2 };
  if (w === 'array' && (e.word(a + 1) === '[' || e.word(a + 1) === '(')) return { name: 'array', strength: 1 };
  if (w && NAMED_KEYWORDS.has(w) && a === b) return { name: w, strength: 2 };
  if (w === 'cast' && e.word(a + 1) === '(' && e.matching(a + 1) === b) {
    const as = e.tokens.findIndex((t, k) => k > a + 1 && k < b && depthAt(e, a + 2, k) === 0 && e.word(k) === 'as');
    if (as > 0) {
      const inner = figure(e, a + 2, as - 1);
      return inner.strength > 1
        ? inner
        : {
            name: TYPE_NAMES[lastTypeWord(e, as + 1, b - 1) ?? ''] ?? lastTypeWord(e, as + 1, b - 1) ?? '?column?',
            strength: 1,
          };
    }
  }
  // A function call (qualified or not), with FILTER (...) or OVER (...) after it.
  let k = a;
  while (identName(e.tokens[k]) && e.word(k + 1) === '.') k += 2;
  if (identName(e.tokens[k]) && e.word(k + 1) === '(') {
    let end = e.matching(k + 1);
    while (end > 0 && end < b && (e.word(end + 1) === 'filter' || e.word(end + 1) === 'over')) {
      end = e.word(end + 2) === '(' ? e.matching(end + 2) : end + 2;
    }
    if (end === b) return { name: identName(e.tokens[k])!, strength: 2 };
  }
  return { name: '?column?', strength: 0 };
}

/** The depth of parentheses (and CASE ... END) at token k, counted from token a. */
function depthAt(e: TokenEdit, a: number, k: number): number {
  let depth = 0;
  for (let i = a; i < k; i++) {
    const w = e.word(i);
    if (w === '(' || w === '[' || w === 'case') depth++;
    else if (w === ')' || w === ']' || w === 'end') depth--;
  }
  return depth;
}

/** The type name of a cast's target: its last name, before any (n, m) or [] (`pg_catalog.int4` → int4). */
function lastTypeWord(e: TokenEdit, from: number, to: number): string | undefined {
  let name: string | undefined;
  for (let k = from; k <= to; k++) {
    if (e.word(k) === '(' || e.word(k) === '[') break;
    const n = identName(e.tokens[k]);
    if (n) name = n.toLowerCase();
  }
  return name === 'precision' ? 'float8' : name;
}
