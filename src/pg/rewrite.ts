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
import { StrataError } from '../core/index.js';
import { quoteLiteral } from '../project/index.js';
import { identName, lex, type PgToken } from './lexer.js';

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

const REG_TYPES = new Set([
  'regclass',
  'regtype',
  'regproc',
  'regprocedure',
  'regnamespace',
  'regrole',
  'regoper',
  'regoperator',
  'regconfig',
  'regdictionary',
  'regcollation',
]);
const TO_TEXT = new Set(['text', 'name', 'varchar']);
/** PostgreSQL types DuckDB names otherwise. */
const TYPE_MAP: Record<string, string> = {
  oid: 'UINTEGER',
  xid: 'UINTEGER',
  cid: 'UINTEGER',
  xid8: 'UBIGINT',
  name: 'VARCHAR',
  char: 'VARCHAR',
  pg_node_tree: 'VARCHAR',
  int2vector: 'SMALLINT[]',
  oidvector: 'UINTEGER[]',
  aclitem: 'VARCHAR',
  regclass: 'UINTEGER',
  regtype: 'UINTEGER',
  regproc: 'UINTEGER',
  regprocedure: 'UINTEGER',
  regnamespace: 'UINTEGER',
  regrole: 'UINTEGER',
  regoper: 'UINTEGER',
  regoperator: 'UINTEGER',
  regconfig: 'UINTEGER',
  regdictionary: 'UINTEGER',
  regcollation: 'UINTEGER',
};
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
/** Words that end a FROM clause. */
const CLAUSE_ENDS = new Set([
  'where',
  'group',
  'having',
  'order',
  'limit',
  'offset',
  'union',
  'except',
  'intersect',
  'select',
  'window',
  'on',
  'using',
  'returning',
  'fetch',
  'for',
]);
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

/** The statement as the engine reads it (the same text when nothing applies). */
export function rewritePgSql(sql: string, ctx: RewriteContext): string {
  const all = lex(sql);
  const tokens = all.filter((t) => t.kind !== 'comment');
  const w = new Rewriter(sql, tokens);
  for (let i = 0; i < tokens.length; i++) i = w.step(i, ctx);
  w.finish();
  return w.changed ? w.text() : sql;
}

class Rewriter {
  readonly texts: string[];
  /** Whether each token stands directly in a FROM clause (where `,` separates tables). */
  private readonly inFrom: boolean[];
  changed = false;
  /** Rewrites that take the text of tokens after them, done once those are done. */
  private readonly later: (() => void)[] = [];

  constructor(
    private readonly sql: string,
    private readonly tokens: PgToken[],
  ) {
    this.texts = tokens.map((t) => t.text);
    const clause = [false];
    this.inFrom = tokens.map((t) => {
      const w = t.kind === 'ident' ? t.text.toLowerCase() : t.text;
      const here = clause[clause.length - 1];
      if (w === '(') clause.push(false);
      else if (w === ')') {
        if (clause.length > 1) clause.pop();
      } else if (w === 'from') clause[clause.length - 1] = true;
      else if (t.kind === 'ident' && CLAUSE_ENDS.has(w)) clause[clause.length - 1] = false;
      return here;
    });
  }

  finish(): void {
    for (const f of this.later.reverse()) f();
  }

  /**
   * `x = ANY(array)` (not a subquery) as list_contains(array, x): DuckDB reads it as a subquery,
   * which it cannot put in an outer join's condition. A PostgreSQL array literal ('{a,b}', as a
   * parameter comes) becomes a list. `x <> ALL(array)` likewise, negated.
   */
  private anyOfArray(i: number): boolean {
    const op = this.word(i - 1);
    const all = this.word(i) === 'all';
    if (!((op === '=' && !all) || ((op === '<>' || op === '!=') && all))) return false;
    if (this.word(i + 1) !== '(' || this.word(i + 2) === 'select' || this.word(i + 2) === 'with') return false;
    const close = this.matching(i + 1);
    const from = this.operandStart(i - 1);
    if (close < 0 || from >= i - 1) return false;
    this.later.push(() => {
      const inner = this.tokens[i + 2];
      const list =
        close === i + 3 && inner.kind === 'string'
          ? (arrayLiteral(inner.text) ?? this.slice(i + 2, close - 1))
          : this.slice(i + 2, close - 1);
      const test = `list_contains(${list}, ${this.slice(from, i - 2)})`;
      this.set(from, close, all ? `(NOT ${test})` : test);
    });
    return true;
  }

  /** `schema.table` FROM items of the statement (lower case), for `schema.table.column` references. */
  private fromTables: Set<string> | undefined;

  /**
   * `gold.sales.day` (a column by its table's schema-qualified name, as SQLAlchemy writes it) as
   * `sales.day`: the engine names a table read by the alias it gives it.
   */
  private qualifiedColumn(i: number): boolean {
    if (this.word(i + 1) !== '.' || this.word(i + 3) !== '.' || !identName(this.tokens[i + 4])) return false;
    if (this.word(i + 5) === '.' || this.word(i + 5) === '(' || this.fromItem(i)) return false;
    this.fromTables ??= new Set(
      this.tokens.flatMap((t, k) =>
        this.fromItem(k) &&
        identName(t) &&
        this.word(k + 1) === '.' &&
        identName(this.tokens[k + 2]) &&
        this.word(k + 3) !== '.'
          ? [`${identName(t)}.${identName(this.tokens[k + 2])}`]
          : [],
      ),
    );
    if (!this.fromTables.has(`${identName(this.tokens[i])}.${identName(this.tokens[i + 2])}`)) return false;
    this.set(i, i + 1, '');
    return true;
  }

  /** A FROM item may start at i: after FROM, JOIN, or a comma of a FROM clause. */
  private fromItem(i: number): boolean {
    const prev = this.word(i - 1);
    return prev === 'from' || prev === 'join' || (prev === ',' && this.inFrom[i - 1]);
  }

  private word(i: number): string | undefined {
    const t = this.tokens[i];
    return t?.kind === 'ident' ? t.text.toLowerCase() : t?.kind === 'punct' || t?.kind === 'op' ? t.text : undefined;
  }

  /** Tokens [from, to] become `text`. */
  private set(from: number, to: number, text: string): void {
    this.texts[from] = text;
    for (let k = from + 1; k <= to; k++) this.texts[k] = '';
    this.changed = true;
  }

  /** The current text of tokens [from, to], with the spacing they were written with. */
  private slice(from: number, to: number): string {
    let out = '';
    for (let k = from; k <= to; k++) {
      if (k > from && this.texts[k] !== '' && this.tokens[k].start > this.tokens[k - 1].end) out += ' ';
      out += this.texts[k];
    }
    return out;
  }

  text(): string {
    let out = '';
    let at = 0;
    for (let k = 0; k < this.tokens.length; k++) {
      const t = this.tokens[k];
      const gap = this.sql.slice(at, t.start);
      out += /\S/.test(gap) ? gap.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ') : gap;
      out += this.texts[k];
      at = t.end;
    }
    return out;
  }

  /** Applies what fits at token i; returns the last token it consumed. */
  step(i: number, ctx: RewriteContext): number {
    const t = this.tokens[i];
    const w = this.word(i);
    const prev = this.word(i - 1);
    if (w === 'operator' && this.word(i + 1) === '(' && this.word(i + 2) === 'pg_catalog' && this.word(i + 3) === '.') {
      const close = this.tokens.findIndex((x, k) => k > i + 3 && x.text === ')');
      if (close > 0) {
        this.set(
          i,
          close,
          ` ${this.tokens
            .slice(i + 4, close)
            .map((x) => x.text)
            .join('')} `,
        );
        return close;
      }
    }
    if (w === 'collate') {
      let j = i + 1;
      if (this.word(j) === 'pg_catalog' && this.word(j + 1) === '.') j += 2;
      if (DROPPED_COLLATIONS.has(identName(this.tokens[j])?.toLowerCase() ?? '')) {
        this.set(i, j, '');
        return j;
      }
    }
    if (w === 'similar' && this.word(i + 1) === 'to')
      throw new StrataError(
        'SQL_UNSUPPORTED',
        'SIMILAR TO is not supported by the Postgres endpoint: use ~ (a regular expression) or LIKE',
      );
    if (t.text === '::') return this.cast(i);
    if ((w === 'any' || w === 'all') && this.anyOfArray(i)) return i;
    if (w === 'as' && this.castTypeAfterAs(i)) return i;
    if (prev === '.' || prev === '::') return i;
    if ((t.kind === 'ident' || t.kind === 'quoted') && this.qualifiedColumn(i)) return i + 4;
    const name = identName(t);
    if (name === 'pg_catalog' && this.word(i + 1) === '.')
      return this.qualified(i, ctx, ctx.pgCatalog, PG_CATALOG_SCHEMA);
    if (name === 'information_schema' && this.word(i + 1) === '.')
      return this.qualified(i, ctx, ctx.informationSchema, INFORMATION_SCHEMA);
    if (t.kind === 'ident' && prev !== 'as' && this.sessionValue(i, ctx) !== undefined) return i;
    if (t.kind === 'ident' && this.word(i + 1) === '(' && RENAMED[name!]) this.set(i, i, RENAMED[name!]);
    if (name && this.fromItem(i) && this.word(i + 1) === '(') this.fromFunction(i);
    if (name && ctx.pgCatalog.has(name) && this.fromItem(i) && this.word(i + 1) !== '.') {
      this.set(i, i, `${PG_CATALOG_SCHEMA}.${t.text}`);
    }
    return i;
  }

  /**
   * A function in a FROM clause, as PostgreSQL reads it: a set-returning one's alias names its
   * column too (`generate_series(1, 3) s` has a column s), and a scalar one (string_to_array)
   * is a table of one row.
   */
  private fromFunction(i: number): void {
    const fn = identName(this.tokens[i])!;
    const close = this.matching(i + 1);
    if (close < 0) return;
    let a = close + 1;
    if (this.word(a) === 'as') a++;
    const alias = this.tokens[a];
    const aliasName = identName(alias);
    if (
      !aliasName ||
      (alias.kind !== 'ident' && alias.kind !== 'quoted') ||
      NOT_ALIASES.has(aliasName) ||
      this.word(a + 1) === '('
    )
      return;
    if (SET_RETURNING.has(fn)) this.texts[a] += `(${alias.text})`;
    else if (SCALAR_IN_FROM.has(fn)) {
      this.texts[i] = `(SELECT ${this.texts[i]}`;
      this.texts[a] += `) AS ${alias.text}`;
      if (this.word(close + 1) !== 'as') this.texts[close] += ' AS';
    } else return;
    this.changed = true;
  }

  /** The index of the parenthesis closing the one at i (-1 when none). */
  private matching(i: number): number {
    let depth = 0;
    for (let k = i; k < this.tokens.length; k++) {
      if (this.tokens[k].text === '(') depth++;
      else if (this.tokens[k].text === ')' && --depth === 0) return k;
    }
    return -1;
  }

  /** `CAST(x AS regclass)` and the other catalog types (AS at i): as `x::type` would be. */
  private castTypeAfterAs(i: number): boolean {
    let j = i + 1;
    if (this.word(j) === 'pg_catalog' && this.word(j + 1) === '.') j += 2;
    const type = identName(this.tokens[j])?.toLowerCase();
    if (!type || !(type in TYPE_MAP) || this.word(j + 1) !== ')') return false;
    // The CAST( this AS belongs to.
    let depth = 0;
    let open = -1;
    for (let k = i - 1; k >= 0; k--) {
      if (this.tokens[k].text === ')') depth++;
      else if (this.tokens[k].text === '(' && depth-- === 0) {
        open = k;
        break;
      }
    }
    if (open < 1 || this.word(open - 1) !== 'cast') return false;
    if (REG_TYPES.has(type)) {
      const kind = type === 'regprocedure' ? 'regproc' : type;
      this.set(open - 1, j + 1, `strata_${kind}_oid(${this.slice(open + 1, i - 1)})`);
    } else this.set(i + 1, j, TYPE_MAP[type]);
    return true;
  }

  private qualified(i: number, ctx: RewriteContext, relations: ReadonlySet<string>, schema: string): number {
    const target = this.tokens[i + 2];
    const name = identName(target);
    if (!name) return i;
    if (this.word(i + 3) === '(') {
      // A function: the engine's (or the catalog's, where they differ) by its bare name.
      this.set(i, i + 1, '');
      if (this.fromItem(i)) this.fromFunction(i + 2);
      return this.sessionValue(i + 2, ctx) ?? i + 2;
    }
    if (relations.has(name)) this.set(i, i + 2, `${schema}.${target.text}`);
    return i + 2;
  }

  /** The session's own values: current_user, current_setting('x'), ... (undefined when none is at i). */
  private sessionValue(i: number, ctx: RewriteContext): number | undefined {
    const w = this.word(i);
    const call = this.word(i + 1) === '(' && this.word(i + 2) === ')';
    const literal = (to: number, value: string) => {
      this.set(i, to, quoteLiteral(value));
      return to;
    };
    if ((w === 'current_user' || w === 'session_user' || w === 'user') && !['(', '.'].includes(this.word(i + 1) ?? ''))
      return literal(i, ctx.user);
    if (w === 'current_catalog' && this.word(i + 1) !== '(') return literal(i, ctx.database);
    if (w === 'current_database' && call) return literal(i + 2, ctx.database);
    if (w === 'current_schema') return call ? literal(i + 2, 'public') : literal(i, 'public');
    if (w === 'pg_backend_pid' && call) {
      this.set(i, i + 2, String(ctx.pid));
      return i + 2;
    }
    if (w === 'current_setting' && this.word(i + 1) === '(' && this.tokens[i + 2]?.kind === 'string') {
      const name = this.tokens[i + 2].text.slice(1, -1).replace(/''/g, "'");
      let close = i + 3;
      let missingOk = false;
      if (this.word(close) === ',') {
        missingOk = this.word(close + 1) === 'true';
        close += 2;
      }
      if (this.word(close) !== ')') return undefined;
      const value = ctx.setting(name.toLowerCase());
      if (value === undefined && !missingOk)
        throw new StrataError('SQL_ERROR', `unrecognized configuration parameter "${name}"`);
      if (value === undefined) {
        this.set(i, close, 'NULL');
        return close;
      }
      return literal(close, value);
    }
    return undefined;
  }

  /** A cast (`::` at i): PostgreSQL's catalog types as the engine has them. */
  private cast(i: number): number {
    let j = i + 1;
    if (this.word(j) === 'pg_catalog' && this.word(j + 1) === '.') {
      this.set(j, j + 1, '');
      j += 2;
    }
    const type = identName(this.tokens[j])?.toLowerCase();
    if (!type) return i;
    const array = this.word(j + 1) === '[' && this.word(j + 2) === ']';
    const end = array ? j + 2 : j;
    if (REG_TYPES.has(type) && !array) return this.regCast(i, j, type);
    const mapped = TYPE_MAP[type];
    if (mapped) this.set(j, end, array ? `${mapped.replace(/\[\]$/, '')}[]` : mapped);
    return end;
  }

  /** `x::regclass`: a literal → the OID it names; a value cast on to text → its name; else the OID. */
  private regCast(i: number, j: number, type: string): number {
    const from = this.operandStart(i);
    const kind = type === 'regprocedure' ? 'regproc' : type;
    const operand = this.slice(from, i - 1);
    const k = j + 1;
    if (this.word(k) === '::') {
      let n = k + 1;
      if (this.word(n) === 'pg_catalog' && this.word(n + 1) === '.') n += 2;
      if (TO_TEXT.has(identName(this.tokens[n])?.toLowerCase() ?? '')) {
        this.set(from, n, `strata_${kind}_name(${operand})`);
        return n;
      }
    }
    // A value: an OID stays itself, a name is looked up (the type of x is not known here).
    this.set(from, j, `strata_${kind}_oid(${operand})`);
    return j;
  }

  /** The first token of the operand a cast at i applies to (a name, literal, call or parenthesis). */
  private operandStart(i: number): number {
    let k = i - 1;
    if (this.tokens[k]?.text === ')') {
      let depth = 0;
      for (; k >= 0; k--) {
        if (this.tokens[k].text === ')') depth++;
        else if (this.tokens[k].text === '(' && --depth === 0) break;
      }
      if (k > 0 && (this.tokens[k - 1].kind === 'ident' || this.tokens[k - 1].kind === 'quoted')) k--;
      else return Math.max(k, 0);
    }
    while (k >= 2 && this.tokens[k - 1].text === '.' && ['ident', 'quoted'].includes(this.tokens[k - 2].kind)) k -= 2;
    return Math.max(k, 0);
  }
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
