// When DuckDB refuses rewritten SQL, the user must read about their own: the functions they
// called (not what they became), their line and caret (not the rewritten one). The rewrite
// is run again on the user's text to know what it replaced (spark.ts).
import {
  engineFailure,
  isDiskFull,
  LocatedError,
  StrataError,
  stripExcerpt,
  UserSqlError,
  type Where,
} from '../core/index.js';
import { tokenize, type Token } from '../dialect/index.js';
import { translate, type Rewritten, type TranslateOptions } from './spark.js';
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
export function userSqlFailure(err: unknown, written: string | WrittenSql[], mode: TranslateOptions = {}): unknown {
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
      translate(p.sql, notes, mode);
    } catch {
      // (It ran, so it translated; nothing to learn if not.)
    }
  }
  const renames = renamesOf(
    pieces.map((p) => p.sql),
    notes,
  );
  const detail = dialectHint(
    // Spark's errors raised by the rewrite (ANSI mode) in Spark's words, without DuckDB's label.
    inUserTerms(stripExcerpt(err.message), renames, notes).replace(/(^|: )Invalid Input Error: (?=\[[A-Z_]+\] )/, '$1'),
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
