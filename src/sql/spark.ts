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
// letter, unit or form we do not support is an error naming it (SparkSqlError,
// with its offset), never a silent difference. The functions are in
// spark-functions.ts, the datetime patterns in spark-datetime.ts.
import { StrataError, UserSqlError } from '../core/index.js';
import { quoteIdent, quoteLiteral } from '../engine/index.js';
import { sparkPattern } from './spark-datetime.js';
import { AGGREGATES, HANDLERS, isWord, SparkSqlError, type Arg, type Call } from './spark-functions.js';
import { lineColumn, tokenize, type Token } from '../dialect/index.js';

export { sparkPattern, SparkSqlError };

/** Rewrites the Spark SQL of `sql` into DuckDB SQL (see the file's comment). */
export function sparkToDuckdb(sql: string): string {
  const tokens = tokenize(sql);
  if (!tokens.some((t) => t.text.startsWith('`') || (t.kind === 'ident' && TRIGGERS.has(t.value.toLowerCase())))) return sql;
  return rewrite(sql, tokens, 0, tokens.length);
}

/** The text of tokens [from, to) with every Spark form in it rewritten. */
function rewrite(sql: string, tokens: Token[], from: number, to: number): string {
  let out = '';
  let at = from < to ? tokens[from].start : 0;
  const emit = (i: number, text: string, end: number) => {
    out += sql.slice(at, tokens[i].start) + text;
    at = end;
  };
  for (let i = from; i < to; i++) {
    const t = tokens[i];
    // (delta.`path` stays: it names a table by its folder.)
    if (t.kind === 'quoted' && t.text.startsWith('`') && !(tokens[i - 1]?.text === '.' && isWord(tokens[i - 2], 'delta'))) {
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
      const pattern = rewrite(sql, tokens, i + 1, end);
      const p = tokens[i + 1].kind === 'string' && end === i + 2 ? quoteLiteral(`(?s).*(?:${tokens[i + 1].value.replace(/\\\\/g, '\\')}).*`) : `('(?s).*(?:' || (${pattern}) || ').*')`;
      emit(i, `SIMILAR TO ${p}`, tokens[end - 1].end);
      i = end - 1;
      continue;
    }
    if ((lower === 'current_timestamp' || lower === 'current_date') && next?.text !== '(' && prev?.text !== '.') {
      emit(i, lower === 'current_date' ? 'current_date' : 'CAST(current_timestamp AS TIMESTAMP)', t.end);
      continue;
    }
    const handler = HANDLERS[lower];
    if (!handler || next?.text !== '(' || prev?.text === '.') continue;
    const close = matching(tokens, i + 1, to);
    if (close < 0) continue; // DuckDB will say what is wrong
    const call: Call = { name: lower, args: splitArgs(sql, tokens, i + 2, close), offset: t.start };
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
          call.filter = rewrite(sql, tokens, end + 3, fclose);
          end = fclose + 1;
        }
      }
      if (isWord(tokens[end], 'over')) {
        if (tokens[end + 1]?.text === '(') {
          const wclose = matching(tokens, end + 1, to);
          if (wclose > 0) {
            call.over = `OVER ${rewrite(sql, tokens, end + 1, wclose + 1)}`;
            end = wclose + 1;
          }
        } else if (tokens[end + 1]?.kind === 'ident' || tokens[end + 1]?.kind === 'quoted') {
          call.over = `OVER ${tokens[end + 1].text}`;
          end += 2;
        }
      }
    }
    emit(i, handler(call), tokens[end - 1].end);
    i = end - 1;
  }
  return out + (from < to ? sql.slice(at, tokens[to - 1].end) : '');
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

function splitArgs(sql: string, tokens: Token[], from: number, to: number): Arg[] {
  const args: Arg[] = [];
  let start = from;
  let depth = 0;
  for (let j = from; j <= to; j++) {
    const x = j < to ? tokens[j].text : ',';
    if (x === '(' || x === '[' || x === '{') depth++;
    else if (x === ')' || x === ']' || x === '}') depth--;
    else if (x === ',' && depth === 0) {
      const base = start;
      if (j > start) args.push({ sql: rewrite(sql, tokens, start, j), tokens: tokens.slice(start, j), start: tokens[start].start, part: (a, b) => rewrite(sql, tokens, base + a, base + b) });
      start = j + 1;
    }
  }
  return args;
}

/** Words that may start something to rewrite (a quick test before the full pass). */
const TRIGGERS = new Set([...Object.keys(HANDLERS), 'rlike', 'regexp']);

/** sparkToDuckdb for a user's query: an unsupported form becomes a UserSqlError naming its line and column. */
export function translateQuery(sql: string): string {
  try {
    return sparkToDuckdb(sql);
  } catch (err) {
    if (!(err instanceof SparkSqlError)) throw err;
    const { line, column } = lineColumn(sql, err.offset);
    throw new UserSqlError(`${err.message} (line ${line}, column ${column})`);
  }
}

/**
 * A hint for a common slip when coming from Spark: `"text"` is a string there but a column
 * name here. When DuckDB finds no column of that name and the SQL wrote it in double quotes,
 * the message says so.
 */
export function withDialectHint(err: unknown, sql: string): unknown {
  if (!(err instanceof Error)) return err;
  const m = /Referenced column "([^"]+)" not found/.exec(err.message);
  if (!m) return err;
  let quoted = false;
  try {
    quoted = tokenize(sql).some((t) => t.kind === 'quoted' && t.text.startsWith('"') && t.value === m[1]);
  } catch {
    return err;
  }
  if (!quoted) return err;
  const hint = ` ("${m[1]}" in double quotes is a column name, as in DuckDB and standard SQL; for the text, write '${m[1].replace(/'/g, "''")}')`;
  // After the message's first line (DuckDB's next lines point at the place).
  const nl = err.message.indexOf('\n');
  const message = nl < 0 ? err.message + hint : err.message.slice(0, nl) + hint + err.message.slice(nl);
  if (err instanceof StrataError) return new StrataError(err.code, message, { cause: err, context: err.context });
  return new Error(message, { cause: err });
}
