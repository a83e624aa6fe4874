// A small SQL tokenizer: enough to find and rewrite our extensions (delta_scan,
// Spark statements) in text that DuckDB then parses for real. It knows strings,
// quoted identifiers, comments and numbers, so a keyword inside a string or a
// comment is never mistaken for one. What it cannot read (an unterminated
// string, quoted identifier or comment) is a LocatedError (SQL_SYNTAX) at its offset.
import { LocatedError, lineColumn } from '../core/index.js';

export { lineColumn };

export type TokenKind = 'ident' | 'quoted' | 'string' | 'number' | 'op' | 'punct';

export interface Token {
  kind: TokenKind;
  /** The token's text as written. */
  text: string;
  /** For strings and quoted identifiers: the unescaped value. For idents: as written. */
  value: string;
  start: number;
  end: number;
}

export interface TokenizeOptions {
  /**
   * Spark SQL's lexical rules (SqlBaseLexer.g4): `'...'` and `"..."` are both string literals,
   * with backslash escapes (see sparkUnescape) and no doubled-quote escape (`'a''b'` is two
   * literals, which Spark concatenates); `r'...'` / `R"..."` are raw strings; only backticks
   * quote identifiers. Without it, DuckDB's: `"..."` is an identifier, `''` escapes a quote.
   */
  spark?: boolean;
}

/** Tokens of `sql`, comments and whitespace left out. */
export function tokenize(sql: string, options: TokenizeOptions = {}): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = sql.length;
  const spark = Boolean(options.spark);
  while (i < n) {
    const ch = sql[i];
    if (/\s/.test(ch)) {
      i++;
    } else if (spark && (ch === "'" || ch === '"' || ((ch === 'r' || ch === 'R') && /['"]/.test(sql[i + 1] ?? '')))) {
      const raw = ch === 'r' || ch === 'R';
      const { value, end } = readSparkString(sql, raw ? i + 1 : i, raw);
      tokens.push({ kind: 'string', text: sql.slice(i, end), value, start: i, end });
      i = end;
    } else if (ch === '-' && sql[i + 1] === '-') {
      while (i < n && sql[i] !== '\n') i++;
    } else if (ch === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      if (close < 0) throw new LocatedError('SQL_SYNTAX', 'unterminated comment', { offset: i });
      i = close + 2;
    } else if (ch === "'" || ((ch === 'E' || ch === 'e') && sql[i + 1] === "'")) {
      const start = i;
      if (ch !== "'") i++;
      const { value, end } = readQuoted(sql, i, "'");
      tokens.push({ kind: 'string', text: sql.slice(start, end), value, start, end });
      i = end;
    } else if (ch === '"' || ch === '`') {
      const { value, end } = readQuoted(sql, i, ch);
      tokens.push({ kind: 'quoted', text: sql.slice(i, end), value, start: i, end });
      i = end;
    } else if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const m = /^(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(sql.slice(i))!;
      tokens.push({ kind: 'number', text: m[0], value: m[0], start: i, end: i + m[0].length });
      i += m[0].length;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(ch)) {
      const m = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/.exec(sql.slice(i))!;
      tokens.push({ kind: 'ident', text: m[0], value: m[0], start: i, end: i + m[0].length });
      i += m[0].length;
    } else {
      const two = sql.slice(i, i + 2);
      if (['=>', '::', '<=', '>=', '<>', '!=', '||', ':='].includes(two)) {
        tokens.push({ kind: 'op', text: two, value: two, start: i, end: i + 2 });
        i += 2;
      } else {
        tokens.push({ kind: /[(),;.[\]{}]/.test(ch) ? 'punct' : 'op', text: ch, value: ch, start: i, end: i + 1 });
        i++;
      }
    }
  }
  return tokens;
}

/**
 * A Spark string literal from its opening quote at `start`: up to the same quote not escaped
 * by a backslash; its value unescaped as Spark does (raw strings are taken as they are).
 */
function readSparkString(sql: string, start: number, raw: boolean): { value: string; end: number } {
  const quote = sql[start];
  let i = start + 1;
  for (;;) {
    if (i >= sql.length) throw new LocatedError('SQL_SYNTAX', 'unterminated string', { offset: start });
    const ch = sql[i];
    if (ch === quote) break;
    i += ch === '\\' && !raw ? 2 : 1;
  }
  const body = sql.slice(start + 1, i);
  return { value: raw ? body : sparkUnescape(body), end: i + 1 };
}

const ESCAPED: Record<string, string> = {
  '0': '\u0000',
  b: '\b',
  n: '\n',
  r: '\r',
  t: '\t',
  Z: '\u001A',
  '%': '\\%',
  _: '\\_',
};

/**
 * The value of a Spark string literal's body, as Spark's `unescapeSQLString` gives it
 * (apache/spark, sql/api/src/main/scala/org/apache/spark/sql/catalyst/util/SparkParserUtils.scala):
 * `\uXXXX`, `\UXXXXXXXX`, three-digit octal `\[01][0-7][0-7]`, `\0 \b \n \r \t \Z`, `\%` and
 * `\_` kept with their backslash (for LIKE), and any other escaped character as itself.
 */
export function sparkUnescape(body: string): string {
  if (!body.includes('\\')) return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\' || i + 1 === body.length) {
      out += c;
      continue;
    }
    const next = body[++i];
    const hex = (len: number) => body.slice(i + 1, i + 1 + len);
    if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(hex(4))) {
      out += String.fromCharCode(parseInt(hex(4), 16));
      i += 4;
    } else if (next === 'U' && /^[0-9a-fA-F]{8}$/.test(hex(8))) {
      const code = parseInt(hex(8), 16);
      out += code <= 0x10ffff ? String.fromCodePoint(code) : `U${hex(8)}`;
      i += 8;
    } else if (/^[01][0-7][0-7]$/.test(body.slice(i, i + 3))) {
      out += String.fromCharCode(parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else out += ESCAPED[next] ?? next;
  }
  return out;
}

function readQuoted(sql: string, start: number, quote: string): { value: string; end: number } {
  let i = start + 1;
  let value = '';
  for (;;) {
    if (i >= sql.length)
      throw new LocatedError('SQL_SYNTAX', `unterminated ${quote === "'" ? 'string' : 'quoted identifier'}`, {
        offset: start,
      });
    const ch = sql[i];
    if (ch === quote) {
      if (sql[i + 1] === quote) {
        value += quote;
        i += 2;
        continue;
      }
      return { value, end: i + 1 };
    }
    value += ch;
    i++;
  }
}

/** Case-insensitive keyword test on an identifier token. */
export function isKeyword(token: Token | undefined, word: string): boolean {
  return token !== undefined && token.kind === 'ident' && token.value.toLowerCase() === word.toLowerCase();
}
