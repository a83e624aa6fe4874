// What PostgreSQL clients send, made readable by the endpoint's engine (DuckDB, whose SQL is
// PostgreSQL's for what BI tools write) — only where the two differ:
//   - pg_catalog.X and information_schema.X read the endpoint's catalog (catalog.ts), as do the
//     catalog's relations named bare in a FROM clause (Npgsql's `FROM pg_type`);
//   - pg_catalog.f(...) calls f, which the catalog's functions answer where PostgreSQL's differ;
//   - OPERATOR(pg_catalog.~) is ~, and COLLATE pg_catalog.default / "C" / "POSIX" are dropped;
//   - casts to regclass, regtype, regproc, regnamespace and regrole: a literal becomes the OID it
//     names, a value cast on to text the name it has; oid, name, "char" and the vectors become
//     DuckDB's types;
//   - current_user, session_user, current_database(), current_catalog, current_schema,
//     current_setting('x') and pg_backend_pid() are the session's values.
// A statement nothing applies to is returned as it is. SIMILAR TO is refused: DuckDB's differs.
// The casts are rewrite-casts.ts, FROM functions and schema-qualified columns rewrite-from.ts;
// token-edit.ts keeps the statement's text as it is rewritten.
import { StrataError } from '../core/index.js';
import { quoteLiteral } from '../project/index.js';
import { identName, lex } from './lexer.js';
import { TokenEdit } from './token-edit.js';
import { nameColumns } from './rewrite-names.js';
import { cast, castTypeAfterAs } from './rewrite-casts.js';
import { toChar } from './rewrite-to-char.js';
import { fromFunction, qualifiedColumn } from './rewrite-from.js';

/** The schemas the catalog's relations live in (DuckDB cannot hold schemas of those names). */
export const PG_CATALOG_SCHEMA = 'strata_pg_catalog';
export const INFORMATION_SCHEMA = 'strata_information_schema';

export interface RewriteContext {
  /** pg_catalog relations the catalog has. */
  pgCatalog: ReadonlySet<string>;
  /** information_schema relations the catalog has. */
  informationSchema: ReadonlySet<string>;
  user: string;
  database: string;
  pid: number;
  /** A setting's value (current_setting), undefined when there is none. */
  setting(name: string): string | undefined;
}

const DROPPED_COLLATIONS = new Set(['default', 'c', 'posix', 'ucs_basic']);
/** PostgreSQL functions DuckDB has under another name (same arguments, same results). */
const RENAMED: Record<string, string> = {
  json_build_object: 'json_object',
  jsonb_build_object: 'json_object',
  json_build_array: 'json_array',
  jsonb_build_array: 'json_array',
  json_agg: 'json_group_array',
  jsonb_agg: 'json_group_array',
  json_object_agg: 'json_group_object',
  jsonb_object_agg: 'json_group_object',
};

/**
 * Functions whose result PostgreSQL types otherwise than DuckDB (pg_proc's prorettype): cast to
 * PostgreSQL's type, so that clients see the same column type (the value is the same).
 */
const RESULT_TYPES = new Map([
  ['length', 'INTEGER'],
  ['char_length', 'INTEGER'],
  ['character_length', 'INTEGER'],
  ['octet_length', 'INTEGER'],
  ['strpos', 'INTEGER'],
  ['position', 'INTEGER'],
  ['date_part', 'DOUBLE'],
]);

const SET_OPERATIONS = new Set(['union', 'intersect', 'except']);

/** Whether a rewritten statement reads the catalog (its relations or its lookups), which is then brought up to date. */
export function readsCatalog(rewritten: string): boolean {
  return rewritten.includes('strata_');
}

/** The statement as the engine reads it (the same text when nothing applies). */
export function rewritePgSql(sql: string, ctx: RewriteContext): string {
  const all = lex(sql);
  const tokens = all.filter((t) => t.kind !== 'comment');
  const e = new TokenEdit(sql, tokens);
  nameColumns(e);
  for (let i = 0; i < tokens.length; i++) i = step(e, i, ctx);
  e.finish();
  return e.changed ? e.text() : sql;
}

/** Applies what fits at token i; returns the last token it consumed. */
function step(e: TokenEdit, i: number, ctx: RewriteContext): number {
  const t = e.tokens[i];
  const w = e.word(i);
  const prev = e.word(i - 1);
  if (w === 'operator' && e.word(i + 1) === '(' && e.word(i + 2) === 'pg_catalog' && e.word(i + 3) === '.') {
    const close = e.tokens.findIndex((x, k) => k > i + 3 && x.text === ')');
    if (close > 0) {
      e.set(
        i,
        close,
        ` ${e.tokens
          .slice(i + 4, close)
          .map((x) => x.text)
          .join('')} `,
      );
      return close;
    }
  }
  if (w === 'collate') {
    let j = i + 1;
    if (e.word(j) === 'pg_catalog' && e.word(j + 1) === '.') j += 2;
    if (DROPPED_COLLATIONS.has(identName(e.tokens[j])?.toLowerCase() ?? '')) {
      e.set(i, j, '');
      return j;
    }
  }
  if (w === 'similar' && e.word(i + 1) === 'to')
    throw new StrataError(
      'SQL_UNSUPPORTED',
      'SIMILAR TO is not supported by the Postgres endpoint: use ~ (a regular expression) or LIKE',
    );
  if (t.text === '::') return cast(e, i);
  // AT is reserved in DuckDB's grammar (AT TIME ZONE), not in PostgreSQL's: a column named at.
  if (t.kind === 'ident' && w === 'at' && prev !== '.' && !['time', 'local'].includes(e.word(i + 1) ?? '')) {
    e.set(i, i, '"at"');
    return i;
  }
  if ((w === 'any' || w === 'all') && anyOfArray(e, i)) return i;
  if (w === 'as' && castTypeAfterAs(e, i)) return i;
  if (prev === '.' || prev === '::') return i;
  if ((t.kind === 'ident' || t.kind === 'quoted') && qualifiedColumn(e, i)) return i + 4;
  const name = identName(t);
  if (name === 'pg_catalog' && e.word(i + 1) === '.') return qualified(e, i, ctx, ctx.pgCatalog, PG_CATALOG_SCHEMA);
  if (name === 'information_schema' && e.word(i + 1) === '.')
    return qualified(e, i, ctx, ctx.informationSchema, INFORMATION_SCHEMA);
  if (t.kind === 'ident' && prev !== 'as' && sessionValue(e, i, ctx) !== undefined) return i;
  if (t.kind === 'ident' && w === 'to_char' && e.word(i + 1) === '(') return toChar(e, i);
  const resultType = t.kind === 'ident' && e.word(i + 1) === '(' && prev !== '.' ? RESULT_TYPES.get(w!) : undefined;
  if (resultType) {
    const close = e.matching(i + 1);
    if (close > 0) e.defer(() => e.set(i, close, `CAST(${e.slice(i, close)} AS ${resultType})`));
    return i;
  }
  // An untyped NULL shown as a SELECT item is text, as PostgreSQL resolves it (DuckDB: INTEGER);
  // not in a set operation, whose other side types it.
  if (
    t.kind === 'ident' &&
    w === 'null' &&
    e.isSelectItem(i, i) &&
    !e.tokens.some((_, k) => SET_OPERATIONS.has(e.word(k) ?? ''))
  ) {
    e.set(i, i, 'CAST(NULL AS VARCHAR)');
    return i;
  }
  if (t.kind === 'ident' && e.word(i + 1) === '(' && Object.hasOwn(RENAMED, name!)) e.set(i, i, RENAMED[name!]);
  if (name && e.fromItem(i) && e.word(i + 1) === '(') fromFunction(e, i);
  if (name && ctx.pgCatalog.has(name) && e.fromItem(i) && e.word(i + 1) !== '.') {
    e.set(i, i, `${PG_CATALOG_SCHEMA}.${t.text}`);
  }
  return i;
}

/** `pg_catalog.X` or `information_schema.X` (the schema at i): the catalog's relation, or the function X. */
function qualified(
  e: TokenEdit,
  i: number,
  ctx: RewriteContext,
  relations: ReadonlySet<string>,
  schema: string,
): number {
  const target = e.tokens[i + 2];
  const name = identName(target);
  if (!name) return i;
  if (e.word(i + 3) === '(') {
    // A function: the engine's (or the catalog's, where they differ) by its bare name.
    e.set(i, i + 1, '');
    if (e.fromItem(i)) fromFunction(e, i + 2);
    return sessionValue(e, i + 2, ctx) ?? i + 2;
  }
  if (relations.has(name)) e.set(i, i + 2, `${schema}.${target.text}`);
  return i + 2;
}

/** The session's own values: current_user, current_setting('x'), ... (undefined when none is at i). */
function sessionValue(e: TokenEdit, i: number, ctx: RewriteContext): number | undefined {
  const w = e.word(i);
  const call = e.word(i + 1) === '(' && e.word(i + 2) === ')';
  const literal = (to: number, value: string) => {
    e.set(i, to, quoteLiteral(value));
    return to;
  };
  if ((w === 'current_user' || w === 'session_user' || w === 'user') && !['(', '.'].includes(e.word(i + 1) ?? ''))
    return literal(i, ctx.user);
  if (w === 'current_catalog' && e.word(i + 1) !== '(') return literal(i, ctx.database);
  if (w === 'current_database' && call) return literal(i + 2, ctx.database);
  if (w === 'current_schema') return call ? literal(i + 2, 'public') : literal(i, 'public');
  if (w === 'pg_backend_pid' && call) {
    e.set(i, i + 2, String(ctx.pid));
    return i + 2;
  }
  if (w === 'current_setting' && e.word(i + 1) === '(' && e.tokens[i + 2]?.kind === 'string') {
    const name = e.tokens[i + 2].text.slice(1, -1).replace(/''/g, "'");
    let close = i + 3;
    let missingOk = false;
    if (e.word(close) === ',') {
      missingOk = e.word(close + 1) === 'true';
      close += 2;
    }
    if (e.word(close) !== ')') return undefined;
    const value = ctx.setting(name.toLowerCase());
    if (value === undefined && !missingOk)
      throw new StrataError('SQL_ERROR', `unrecognized configuration parameter "${name}"`);
    if (value === undefined) {
      e.set(i, close, 'NULL::VARCHAR');
      return close;
    }
    return literal(close, value);
  }
  return undefined;
}

/**
 * `x = ANY(array)` (not a subquery) as list_contains(array, x): DuckDB reads it as a subquery,
 * which it cannot put in an outer join's condition. A PostgreSQL array literal ('{a,b}', as a
 * parameter comes) becomes a list. `x <> ALL(array)` likewise, negated.
 */
function anyOfArray(e: TokenEdit, i: number): boolean {
  const op = e.word(i - 1);
  const all = e.word(i) === 'all';
  if (!((op === '=' && !all) || ((op === '<>' || op === '!=') && all))) return false;
  if (e.word(i + 1) !== '(' || e.word(i + 2) === 'select' || e.word(i + 2) === 'with') return false;
  const close = e.matching(i + 1);
  const from = e.operandStart(i - 1);
  if (close < 0 || from >= i - 1) return false;
  e.defer(() => {
    const inner = e.tokens[i + 2];
    const list =
      close === i + 3 && inner.kind === 'string'
        ? (arrayLiteral(inner.text) ?? e.slice(i + 2, close - 1))
        : e.slice(i + 2, close - 1);
    const test = `list_contains(${list}, ${e.slice(from, i - 2)})`;
    e.set(from, close, all ? `(NOT ${test})` : test);
  });
  return true;
}

/** A PostgreSQL array literal ('{a,"b c",NULL}') as a list of literals; undefined when it is not one. */
export function arrayLiteral(quoted: string): string | undefined {
  const text = quoted.startsWith("'") ? quoted.slice(1, -1).replace(/''/g, "'") : undefined;
  if (!text || !text.startsWith('{') || !text.endsWith('}') || text.slice(1).includes('{')) return undefined;
  const items: string[] = [];
  const body = text.slice(1, -1);
  let i = 0;
  while (i < body.length) {
    if (body[i] === '"') {
      let v = '';
      i++;
      while (i < body.length && body[i] !== '"') {
        if (body[i] === '\\') i++;
        v += body[i++];
      }
      i++;
      items.push(quoteLiteral(v));
    } else {
      const end = body.indexOf(',', i);
      const v = body.slice(i, end < 0 ? body.length : end).trim();
      items.push(v.toUpperCase() === 'NULL' ? 'NULL' : quoteLiteral(v));
      i = end < 0 ? body.length : end;
    }
    while (body[i] === ' ') i++;
    if (body[i] === ',') i++;
  }
  return `[${items.join(', ')}]`;
}
