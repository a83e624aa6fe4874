// Spark SQL in DuckDB queries: pipeline bodies and `strata query` are DuckDB SQL
// plus the Spark SQL functions pipelines are written with, with Spark's
// semantics (ANSI mode off: an invalid value gives NULL). This rewrites the
// text before DuckDB parses it:
//   - backtick-quoted identifiers become double-quoted ones;
//   - calls of Spark functions that DuckDB lacks, or has with other semantics,
//     become DuckDB expressions with Spark's (CAST truncating to integers and
//     giving NULL when invalid, concat giving NULL for a NULL argument, split
//     and regexp_replace with regular expressions, dayofweek from Sunday = 1,
//     datetime patterns such as `dd/MM/yyyy`, ...);
//   - `a RLIKE b` / `a REGEXP b` become a regular-expression search.
// Datetime patterns must be string literals, translated once here; a pattern
// letter, unit or form we do not support is an error naming it (a LocatedError,
// SQL_UNSUPPORTED, at its offset), never a silent difference. The functions are in
// spark-functions.ts, the datetime patterns in spark-datetime.ts.
//
// When DuckDB refuses the rewritten text, the user must read about their own:
// `userSqlFailure` words an engine failure in the user's terms (the functions
// they called, not what they became; their line, not the rewritten one).
import {
  engineFailure,
  isDiskFull,
  LocatedError,
  StrataError,
  stripExcerpt,
  UserSqlError,
  type Where,
} from '../core/index.js';
import { quoteIdent, quoteLiteral } from '../engine/index.js';
import { sparkPattern } from './spark-datetime.js';
import { AGGREGATES, HANDLERS, isWord, type Arg, type Call } from './spark-functions.js';
import { tokenize, type Token } from '../dialect/index.js';

export { sparkPattern };

/** A call the rewrite replaced: the function as written, the call's text, and its replacement. */
interface Rewritten {
  name: string;
  written: string;
  replacement: string;
}

/** Rewrites the Spark SQL of `sql` into DuckDB SQL (see the file's comment). */
export function sparkToDuckdb(sql: string): string {
  return translate(sql);
}

/** sparkToDuckdb, telling `notes` each call it replaced. */
function translate(sql: string, notes?: Rewritten[]): string {
  const tokens = tokenize(sql, { spark: true });
  const nullsFirst = sortKeysNullsFirst(tokens);
  if (
    nullsFirst.size === 0 &&
    !tokens.some(
      (t, i) =>
        t.text.startsWith('`') ||
        (t.kind === 'string' && sparkOnlyString(t, tokens[i + 1])) ||
        starExcept(tokens, i) ||
        zeroBasedIndex(tokens, i, tokens.length) !== undefined ||
        typedLiteral(t, tokens[i + 1]) !== undefined ||
        (t.kind === 'ident' && TRIGGERS.has(t.value.toLowerCase())),
    )
  )
    return sql;
  NULLS_FIRST.set(tokens, nullsFirst);
  return rewrite(sql, tokens, 0, tokens.length, notes);
}

/** Words after which `[` starts a list literal (DuckDB's), not a subscript. */
const BEFORE_LIST = new Set(
  'select where and or not in then else when case as by on return values is like having distinct all any some'.split(
    ' ',
  ),
);

/**
 * The index of the `]` closing a subscript at `i` that Spark counts from 0 (`arr[0]` is the first
 * element; DuckDB's first is [1]): `[` right after an expression, its index not a string literal
 * (a map key) nor a slice (`[1:2]`). Undefined for anything else. (Maps with integer keys are
 * read with element_at(map, key), which takes the key as it is.)
 */
function zeroBasedIndex(tokens: Token[], i: number, to: number): number | undefined {
  if (tokens[i].text !== '[') return undefined;
  const prev = tokens[i - 1];
  const afterExpression =
    prev !== undefined &&
    (prev.text === ')' ||
      prev.text === ']' ||
      prev.kind === 'quoted' ||
      (prev.kind === 'ident' && !BEFORE_LIST.has(prev.value.toLowerCase())));
  if (!afterExpression) return undefined;
  const close = matching(tokens, i, to);
  if (close <= i + 1) return undefined;
  const inner = tokens.slice(i + 1, close);
  // A text or a non-integral number is a map key.
  if (
    inner.length === 1 &&
    (inner[0].kind === 'string' || (inner[0].kind === 'number' && !/^\d+$/.test(inner[0].text)))
  )
    return undefined;
  let depth = 0;
  for (const t of inner) {
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') depth--;
    else if (depth === 0 && (t.text === ':' || t.text === ',')) return undefined;
  }
  return close;
}

/**
 * A number with Spark's type suffix written right after it (SqlBaseLexer.g4: BIGINT_LITERAL `1L`,
 * SMALLINT_LITERAL `1S`, TINYINT_LITERAL `1Y`, DOUBLE_LITERAL `1.5D`, FLOAT_LITERAL `1.5F`,
 * BIGDECIMAL_LITERAL `1.50BD`), as a typed DuckDB literal; undefined for anything else.
 */
function typedLiteral(t: Token, next: Token | undefined): string | undefined {
  if (t.kind !== 'number' || next?.kind !== 'ident' || next.start !== t.end) return undefined;
  const suffix = next.value.toUpperCase();
  const integral = /^\d+$/.test(t.text);
  const types: Record<string, string | undefined> = {
    L: integral ? 'BIGINT' : undefined,
    S: integral ? 'SMALLINT' : undefined,
    Y: integral ? 'TINYINT' : undefined,
    D: 'DOUBLE',
    F: 'FLOAT',
  };
  if (suffix === 'BD' && /^(\d+\.?\d*|\.\d+)$/.test(t.text)) {
    // BigDecimal's precision and scale: 1.50 is decimal(3,2), 0.05 is decimal(2,2).
    const [whole, fraction = ''] = t.text.split('.');
    const digits = (whole + fraction).replace(/^0+/, '') || '0';
    const scale = fraction.length;
    return `CAST(${t.text} AS DECIMAL(${Math.max(digits.length, scale, 1)}, ${scale}))`;
  }
  const type = types[suffix];
  return type === undefined ? undefined : `CAST(${t.text} AS ${type})`;
}

/** `*` (or `t.*`) followed by EXCEPT ( — Databricks' star with columns left out, not the set operator. */
function starExcept(tokens: Token[], i: number): boolean {
  return tokens[i].text === '*' && isWord(tokens[i + 1], 'except') && tokens[i + 2]?.text === '(';
}

/** Per token list: the end offsets of sort keys that get NULLS FIRST (sortKeysNullsFirst). */
const NULLS_FIRST = new WeakMap<Token[], Set<number>>();

/** Words that end an ORDER BY list. */
const SORT_LIST_END = new Set(
  'limit offset fetch rows range groups window qualify union except intersect minus having for'.split(' '),
);

/**
 * Spark sorts NULLs first in ascending order and last in descending order unless NULLS FIRST or
 * LAST is written (Spark's SortOrder: `Ascending` defaults to NullsFirst, `Descending` to
 * NullsLast); DuckDB sorts them last in both. The end offsets of the ascending sort keys of every
 * ORDER BY (queries, windows, aggregates) that say nothing of NULLs: NULLS FIRST goes after each.
 */
function sortKeysNullsFirst(tokens: Token[]): Set<number> {
  const out = new Set<number>();
  for (let i = 0; i + 1 < tokens.length; i++) {
    if (!(isWord(tokens[i], 'order') && isWord(tokens[i + 1], 'by'))) continue;
    let depth = 0;
    let first = i + 2;
    for (let j = i + 2; j <= tokens.length; j++) {
      const t = tokens[j];
      const text = t?.text;
      const ends =
        t === undefined ||
        text === ';' ||
        (depth === 0 &&
          (text === ')' ||
            text === ']' ||
            text === ',' ||
            (t.kind === 'ident' && SORT_LIST_END.has(t.value.toLowerCase()))));
      if (!ends) {
        if (text === '(' || text === '[') depth++;
        else if (text === ')' || text === ']') depth--;
        continue;
      }
      const key = tokens.slice(first, j);
      const last = key[key.length - 1];
      const explicit = key.length >= 2 && isWord(key[key.length - 2], 'nulls');
      const all = key.length === 1 && isWord(last, 'all');
      if (last && !explicit && !all && !isWord(last, 'desc')) out.add(last.end);
      if (text !== ',') break;
      first = j + 1;
    }
  }
  return out;
}

/**
 * A string literal DuckDB would read differently: double-quoted (an identifier to DuckDB), raw,
 * with a backslash escape, or followed by another literal (Spark concatenates them).
 */
function sparkOnlyString(t: Token, next: Token | undefined): boolean {
  return t.text[0] !== "'" || t.text.includes('\\') || next?.kind === 'string';
}

/** The text of tokens [from, to) with every Spark form in it rewritten. */
function rewrite(sql: string, tokens: Token[], from: number, to: number, notes?: Rewritten[]): string {
  let out = '';
  let at = from < to ? tokens[from].start : 0;
  const emit = (i: number, text: string, end: number) => {
    out += sql.slice(at, tokens[i].start) + text;
    at = end;
  };
  const nullsFirst = NULLS_FIRST.get(tokens);
  // NULLS FIRST after a sort key that ends where the text written so far ends.
  const sortKey = (end: number) => {
    if (!nullsFirst?.has(end) || at > end) return;
    out += `${sql.slice(at, end)} NULLS FIRST`;
    at = end;
  };
  for (let i = from; i < to; i++) {
    const t = tokens[i];
    if (i > from) sortKey(tokens[i - 1].end);
    if (t.kind === 'string' && sparkOnlyString(t, tokens[i + 1])) {
      // One DuckDB literal of the value (adjacent literals concatenated, as Spark does).
      let value = t.value;
      let last = i;
      while (last + 1 < to && tokens[last + 1].kind === 'string') value += tokens[++last].value;
      emit(i, quoteLiteral(value), tokens[last].end);
      i = last;
      continue;
    }
    // arr[i]: Spark counts from 0, DuckDB from 1.
    const subscriptEnd = zeroBasedIndex(tokens, i, to);
    if (subscriptEnd !== undefined) {
      emit(i, `[(${rewrite(sql, tokens, i + 1, subscriptEnd, notes)}) + 1]`, tokens[subscriptEnd].end);
      i = subscriptEnd;
      continue;
    }
    // Typed numeric literals: 1L, 2S, 3Y, 1.5D, 1.5F, 1.50BD.
    const typed = typedLiteral(t, tokens[i + 1]);
    if (typed !== undefined) {
      emit(i, typed, tokens[i + 1].end);
      i++;
      continue;
    }
    // SELECT * EXCEPT (a, b): DuckDB's * EXCLUDE (a, b).
    if (starExcept(tokens, i)) {
      emit(i + 1, 'EXCLUDE', tokens[i + 1].end);
      i++;
      continue;
    }
    // (delta.`path` stays: it names a table by its folder.)
    if (
      t.kind === 'quoted' &&
      t.text.startsWith('`') &&
      !(tokens[i - 1]?.text === '.' && isWord(tokens[i - 2], 'delta'))
    ) {
      emit(i, quoteIdent(t.value), t.end);
      continue;
    }
    if (t.kind !== 'ident') continue;
    const lower = t.value.toLowerCase();
    const next = tokens[i + 1];
    const prev = tokens[i - 1];
    // a RLIKE b, a NOT RLIKE b, a REGEXP b: a search anywhere in a (Java's find()).
    if ((lower === 'rlike' || lower === 'regexp') && next?.text !== '(' && i > from) {
      const end = operandEnd(tokens, i + 1, to);
      const pattern = rewrite(sql, tokens, i + 1, end, notes);
      const p =
        tokens[i + 1].kind === 'string' && end === i + 2
          ? quoteLiteral(`(?s).*(?:${tokens[i + 1].value}).*`)
          : `('(?s).*(?:' || (${pattern}) || ').*')`;
      emit(i, `SIMILAR TO ${p}`, tokens[end - 1].end);
      i = end - 1;
      continue;
    }
    if ((lower === 'current_timestamp' || lower === 'current_date') && next?.text !== '(' && prev?.text !== '.') {
      emit(i, lower === 'current_date' ? 'current_date' : 'CAST(current_timestamp AS TIMESTAMP)', t.end);
      continue;
    }
    const handler = HANDLERS[lower];
    if (!handler || next?.text !== '(' || prev?.text === '.' || notACall(lower, prev, tokens[i + 2])) continue;
    const close = matching(tokens, i + 1, to);
    if (close < 0) continue; // DuckDB will say what is wrong
    const call: Call = { name: lower, args: splitArgs(sql, tokens, i + 2, close, notes), offset: t.start };
    let end = close + 1;
    // What may follow an aggregate: IGNORE NULLS, FILTER (WHERE ...), OVER (...).
    if (AGGREGATES.has(lower)) {
      if ((isWord(tokens[end], 'ignore') || isWord(tokens[end], 'respect')) && isWord(tokens[end + 1], 'nulls')) {
        call.ignoreNulls = isWord(tokens[end], 'ignore');
        end += 2;
      }
      if (isWord(tokens[end], 'filter') && tokens[end + 1]?.text === '(') {
        const fclose = matching(tokens, end + 1, to);
        if (fclose > 0 && isWord(tokens[end + 2], 'where')) {
          call.filter = rewrite(sql, tokens, end + 3, fclose, notes);
          end = fclose + 1;
        }
      }
      if (isWord(tokens[end], 'over')) {
        if (tokens[end + 1]?.text === '(') {
          const wclose = matching(tokens, end + 1, to);
          if (wclose > 0) {
            call.over = `OVER ${rewrite(sql, tokens, end + 1, wclose + 1, notes)}`;
            end = wclose + 1;
          }
        } else if (tokens[end + 1]?.kind === 'ident' || tokens[end + 1]?.kind === 'quoted') {
          call.over = `OVER ${tokens[end + 1].text}`;
          end += 2;
        }
      }
    }
    // cloud_files(...) is a stream wherever it is read (Auto Loader): a streaming read of the files.
    const replacement =
      (lower === 'cloud_files' && !isWord(prev, 'stream') && !(prev?.text === '(' && isWord(tokens[i - 2], 'stream'))
        ? 'STREAM '
        : '') + handler(call);
    notes?.push({ name: t.value, written: sql.slice(t.start, tokens[end - 1].end), replacement });
    emit(i, replacement, tokens[end - 1].end);
    i = end - 1;
  }
  if (from < to) sortKey(tokens[to - 1].end);
  return out + (from < to ? sql.slice(at, tokens[to - 1].end) : '');
}

/**
 * Words that are a Spark function before `(` only in some places: FILTER (WHERE ...) after an
 * aggregate, EXISTS (SELECT ...), x = ANY (...) / SOME (...).
 */
function notACall(name: string, prev: Token | undefined, first: Token | undefined): boolean {
  if (name === 'filter') return isWord(first, 'where');
  if (name === 'exists') return isWord(first, 'select') || isWord(first, 'with') || first?.text === '(';
  if (name === 'any' || name === 'some') return prev?.kind === 'op' || isWord(first, 'select');
  return false;
}

/** Index of the parenthesis closing the one at `open`, or -1. */
function matching(tokens: Token[], open: number, to: number): number {
  let depth = 0;
  for (let j = open; j < to; j++) {
    const x = tokens[j].text;
    if (x === '(' || x === '[' || x === '{') depth++;
    else if (x === ')' || x === ']' || x === '}') {
      depth--;
      if (depth === 0) return j;
    }
  }
  return -1;
}

/** The end (exclusive) of the operand starting at `i`: a literal, a (qualified) name, a call or a parenthesized expression. */
function operandEnd(tokens: Token[], i: number, to: number): number {
  if (i >= to) return i;
  if (tokens[i].text === '(') return matching(tokens, i, to) + 1;
  let j = i + 1;
  while (tokens[j]?.text === '.' && j + 1 < to) j += 2;
  if (tokens[j]?.text === '(' && j < to) return matching(tokens, j, to) + 1;
  return j;
}

function splitArgs(sql: string, tokens: Token[], from: number, to: number, notes?: Rewritten[]): Arg[] {
  const args: Arg[] = [];
  let start = from;
  let depth = 0;
  for (let j = from; j <= to; j++) {
    const x = j < to ? tokens[j].text : ',';
    if (x === '(' || x === '[' || x === '{') depth++;
    else if (x === ')' || x === ']' || x === '}') depth--;
    else if (x === ',' && depth === 0) {
      const base = start;
      if (j > start)
        args.push({
          sql: rewrite(sql, tokens, start, j, notes),
          tokens: tokens.slice(start, j),
          start: tokens[start].start,
          part: (a, b) => rewrite(sql, tokens, base + a, base + b),
        });
      start = j + 1;
    }
  }
  return args;
}

/** Words that may start something to rewrite (a quick test before the full pass). */
const TRIGGERS = new Set([...Object.keys(HANDLERS), 'rlike', 'regexp']);

/** sparkToDuckdb for a user's query: an unsupported form (or a text that does not tokenize) is a LocatedError placed in `sql`. */
export function translateQuery(sql: string): string {
  try {
    return sparkToDuckdb(sql);
  } catch (err) {
    if (err instanceof LocatedError && err.text === undefined) throw err.withText(sql);
    throw err;
  }
}

/** A piece of SQL as the user wrote it — a statement, a pipeline query or expectation — and where it starts in its file, if it is in one. */
export interface WrittenSql {
  sql: string;
  where?: Where;
}

/**
 * An error from running the user's SQL, in the user's terms. An engine failure that no
 * other code classified (see core's `engineFailure`) is the user's: it becomes a
 * LocatedError (SQL_ERROR, or SQL_SYNTAX for a parser error) whose message
 *   - names the functions the user called, not what the Spark rewrite made of them
 *     (`split`, not `regexp_split_to_array`; their DuckDB signatures left out);
 *   - shows the user's line with a caret where DuckDB pointed, when that place can be
 *     found in the user's text (in a file: file:line:column), never the rewritten line;
 *   - carries the dialect hint for `"text"` in double quotes.
 * `written` is the statement, or the pieces the failing work ran (a flow's query, its
 * expectations). Other errors are returned as they are (with the dialect hint).
 */
export function userSqlFailure(err: unknown, written: string | WrittenSql[]): unknown {
  const pieces = (typeof written === 'string' ? [{ sql: written }] : written).filter((p) => p.sql.trim() !== '');
  const engine = engineFailure(err);
  // A full disk or memory is not the user's SQL: said as it is, not placed in their text. (Other
  // I/O errors — a path that matches no file — stay the user's, at their file:line.)
  if (engine && (isDiskFull(err) || engine.kind.toLowerCase() === 'out of memory')) return err;
  if (!engine || err instanceof LocatedError || err instanceof UserSqlError || !(err instanceof StrataError)) {
    return pieces.length > 0
      ? withDialectHint(
          err,
          pieces.map((p) => p.sql),
        )
      : err;
  }
  const notes: Rewritten[] = [];
  for (const p of pieces) {
    try {
      translate(p.sql, notes);
    } catch {
      // (It ran, so it translated; nothing to learn if not.)
    }
  }
  const renames = renamesOf(
    pieces.map((p) => p.sql),
    notes,
  );
  const detail = dialectHint(
    inUserTerms(stripExcerpt(err.message), renames, notes),
    pieces.map((p) => p.sql),
  );
  const code = engine.kind.toLowerCase() === 'parser' ? 'SQL_SYNTAX' : 'SQL_ERROR';
  const options = { cause: err, context: err.context };
  const at = engine.position === undefined ? undefined : locate(engine.sql, engine.position, pieces, renames);
  if (at) {
    const located = new LocatedError(
      code,
      detail,
      { offset: at.offset, text: at.piece.sql },
      { ...options, excerpt: true },
    );
    return at.piece.where ? located.within(at.piece.where) : located;
  }
  // No place to point at: a piece in a file is still named by where it starts.
  if (pieces.length === 1 && pieces[0].where)
    return new LocatedError(code, detail, { where: pieces[0].where }, options);
  return new UserSqlError(detail, { ...options, code });
}

/** Lower-case names of the functions called in `sql`. */
function callNames(sql: string): string[] {
  try {
    const tokens = tokenize(sql);
    return tokens.filter((t, i) => t.kind === 'ident' && tokens[i + 1]?.text === '(').map((t) => t.value.toLowerCase());
  } catch {
    return [];
  }
}

/** Each function the rewrite brought in (and the user did not call) → the function(s) the user called instead. */
function renamesOf(written: string[], notes: Rewritten[]): Map<string, string> {
  const called = new Set(written.flatMap(callNames));
  const out = new Map<string, Rewritten[]>();
  for (const n of notes) {
    for (const name of callNames(n.replacement)) {
      if (called.has(name)) continue;
      if (!out.has(name)) out.set(name, []);
      out.get(name)!.push(n);
    }
  }
  // A call rewritten inside another (split inside element_at) brings its functions into both
  // replacements: they are the inner call's.
  const innermost = (ns: Rewritten[]) =>
    ns.filter(
      (x) => !ns.some((y) => y !== x && y.replacement !== x.replacement && x.replacement.includes(y.replacement)),
    );
  return new Map([...out].map(([name, ns]) => [name, [...new Set(innermost(ns).map((n) => n.name))].join('/')]));
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** DuckDB's message with the rewrite undone: replaced calls shown as written, brought-in functions named as the user's. */
function inUserTerms(message: string, renames: Map<string, string>, notes: Rewritten[]): string {
  if (renames.size === 0 && notes.length === 0) return message;
  let out = message;
  // The DuckDB signatures of a function the user did not call say nothing to them.
  out = out.replace(/\n\tCandidate functions:\n(?:\t[^\n]*(?:\n|$))+/g, (block) => {
    const names = [...block.matchAll(/^\t([A-Za-z_][\w$]*)\(/gm)].map((m) => m[1].toLowerCase());
    return names.length > 0 && names.every((n) => renames.has(n)) ? '\n' : block;
  });
  for (const n of [...notes].sort((a, b) => b.replacement.length - a.replacement.length)) {
    if (n.replacement !== n.written && out.includes(n.replacement)) out = out.split(n.replacement).join(n.written);
  }
  for (const [name, user] of renames) {
    out = out.replace(new RegExp(`(?<![\\w$])${escape(name)}(?=\\()`, 'gi'), user);
  }
  return out.replace(/\n{3,}/g, '\n\n').replace(/\s+$/, '');
}

/**
 * The place in the user's text of the token DuckDB pointed at in the SQL it ran (which
 * may be rewritten, or embedded in Strata's SQL): the same token (for a function the
 * rewrite brought in, the user's call it came from), picked among several by its
 * order when both texts have as many, else by the tokens around it. Undefined when
 * there is no such token or no telling which.
 */
function locate(
  sql: string,
  position: number,
  pieces: WrittenSql[],
  renames: Map<string, string>,
): { piece: WrittenSql; offset: number } | undefined {
  let tokens: Token[];
  try {
    tokens = tokenize(sql);
  } catch {
    return undefined;
  }
  // The token at the place (or the next one, when DuckDB points at the space before it).
  const k = tokens.findIndex((t) => position < t.end);
  if (k < 0) return undefined;
  const anchor = tokens[k];
  const isCall = (ts: Token[], i: number) => ts[i + 1]?.text === '(';
  const same = (a: Token, b: Token) =>
    a.kind === b.kind &&
    (a.kind === 'ident'
      ? a.value.toLowerCase() === b.value.toLowerCase()
      : a.kind === 'quoted'
        ? a.value === b.value
        : a.text === b.text);
  const user =
    anchor.kind === 'ident' && isCall(tokens, k) ? renames.get(anchor.value.toLowerCase())?.split('/') : undefined;
  const inRan = (ts: Token[], i: number) => same(ts[i], anchor) && (!user || isCall(ts, i));
  const inWritten = (ts: Token[], i: number) =>
    user ? ts[i].kind === 'ident' && user.includes(ts[i].value.toLowerCase()) && isCall(ts, i) : same(ts[i], anchor);
  const candidates: { piece: WrittenSql; tokens: Token[]; i: number }[] = [];
  for (const piece of pieces) {
    let ts: Token[];
    try {
      ts = tokenize(piece.sql);
    } catch {
      continue;
    }
    ts.forEach((_, i) => inWritten(ts, i) && candidates.push({ piece, tokens: ts, i }));
  }
  const found = (c: { piece: WrittenSql; tokens: Token[]; i: number }) => ({
    piece: c.piece,
    offset: c.tokens[c.i].start,
  });
  if (candidates.length === 0) return undefined;
  if (candidates.length === 1) return found(candidates[0]);
  // The n-th of its kind, when the text DuckDB ran has as many as the user's.
  const ran = tokens.map((_, i) => i).filter((i) => inRan(tokens, i));
  if (ran.length === candidates.length && candidates.every((c) => c.piece === candidates[0].piece))
    return found(candidates[ran.indexOf(k)]);
  // Else the one whose neighbours match best (a rewritten call's neighbours differ: only its left side counts).
  const score = (c: { tokens: Token[]; i: number }) => {
    let n = 0;
    for (let d = 1; d <= 6 && c.i - d >= 0 && k - d >= 0 && same(c.tokens[c.i - d], tokens[k - d]); d++) n++;
    if (!user)
      for (
        let d = 1;
        d <= 6 && c.i + d < c.tokens.length && k + d < tokens.length && same(c.tokens[c.i + d], tokens[k + d]);
        d++
      )
        n++;
    return n;
  };
  const scored = candidates.map((c) => ({ c, n: score(c) })).sort((a, b) => b.n - a.n);
  return scored[0].n > 0 && scored[0].n > scored[1].n ? found(scored[0].c) : undefined;
}

/**
 * A hint for a common slip when coming from Spark: `"text"` is a string there but a column
 * name here. When DuckDB finds no column of that name and the SQL wrote it in double quotes,
 * the message says so.
 */
export function withDialectHint(err: unknown, sql: string | string[]): unknown {
  if (!(err instanceof Error)) return err;
  const message = dialectHint(err.message, typeof sql === 'string' ? [sql] : sql);
  if (message === err.message) return err;
  if (err instanceof StrataError) return new StrataError(err.code, message, { cause: err, context: err.context });
  return new Error(message, { cause: err });
}

/** `message` with the hint added after its first line, when it applies to one of `sqls`. */
function dialectHint(message: string, sqls: string[]): string {
  const m = /Referenced column "([^"]+)" not found/.exec(message);
  if (!m) return message;
  const quoted = sqls.some((sql) => {
    try {
      return tokenize(sql).some((t) => t.kind === 'quoted' && t.text.startsWith('"') && t.value === m[1]);
    } catch {
      return false;
    }
  });
  if (!quoted) return message;
  const hint = ` ("${m[1]}" in double quotes is a column name, as in DuckDB and standard SQL; for the text, write '${m[1].replace(/'/g, "''")}')`;
  // After the message's first line (the next lines list candidates or point at the place).
  const nl = message.indexOf('\n');
  return nl < 0 ? message + hint : message.slice(0, nl) + hint + message.slice(nl);
}
