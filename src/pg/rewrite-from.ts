// FROM clauses as PostgreSQL reads them, for the engine (rewrite.ts walks the statement): a
// function in FROM (a set-returning one's alias names its column too, a scalar one is a table of
// one row), and a column named by its table's schema-qualified name (`gold.sales.day`).
import { identName } from './lexer.js';
import type { TokenEdit } from './token-edit.js';

/** Set-returning functions whose alias in FROM also names their one column. */
const SET_RETURNING = new Set(['generate_series', 'unnest', 'generate_subscripts', 'regexp_split_to_table']);
/** Functions of one value that PostgreSQL lets stand in FROM as a one-row table. */
const SCALAR_IN_FROM = new Set(['string_to_array', 'current_schemas', 'parse_ident', 'regexp_split_to_array']);
const NOT_ALIASES = new Set([
  'where',
  'on',
  'join',
  'left',
  'right',
  'inner',
  'full',
  'cross',
  'group',
  'order',
  'limit',
  'union',
  'natural',
  'using',
  'lateral',
  'with',
]);

/**
 * A function in a FROM clause (its name at i), as PostgreSQL reads it: a set-returning one's alias
 * names its column too (`generate_series(1, 3) s` has a column s), and a scalar one
 * (string_to_array) is a table of one row.
 */
export function fromFunction(e: TokenEdit, i: number): void {
  const fn = identName(e.tokens[i])!;
  const close = e.matching(i + 1);
  if (close < 0) return;
  let a = close + 1;
  if (e.word(a) === 'as') a++;
  const alias = e.tokens[a];
  const aliasName = identName(alias);
  if (
    !aliasName ||
    (alias.kind !== 'ident' && alias.kind !== 'quoted') ||
    NOT_ALIASES.has(aliasName) ||
    e.word(a + 1) === '('
  )
    return;
  if (SET_RETURNING.has(fn)) e.texts[a] += `(${alias.text})`;
  else if (SCALAR_IN_FROM.has(fn)) {
    e.texts[i] = `(SELECT ${e.texts[i]}`;
    e.texts[a] += `) AS ${alias.text}`;
    if (e.word(close + 1) !== 'as') e.texts[close] += ' AS';
  } else return;
  e.changed = true;
}

/**
 * `gold.sales.day` (a column by its table's schema-qualified name, as SQLAlchemy writes it, at i)
 * as `sales.day`: the engine names a table read by the alias it gives it.
 */
export function qualifiedColumn(e: TokenEdit, i: number): boolean {
  if (e.word(i + 1) !== '.' || e.word(i + 3) !== '.' || !identName(e.tokens[i + 4])) return false;
  if (e.word(i + 5) === '.' || e.word(i + 5) === '(' || e.fromItem(i)) return false;
  if (!e.fromTables().has(`${identName(e.tokens[i])}.${identName(e.tokens[i + 2])}`)) return false;
  e.set(i, i + 1, '');
  return true;
}
