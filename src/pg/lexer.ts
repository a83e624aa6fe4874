// PostgreSQL's lexical structure (its documentation, "SQL Syntax: Lexical Structure"), enough to
// rewrite what clients send without touching their strings, quoted names and comments:
// 'strings' ('' inside), E'escapes' (\' inside), $tag$dollar quotes$tag$, "names" ("" inside),
// -- and /* nested */ comments, numbers, $n parameters, operators and punctuation.

export type PgTokenKind = 'ident' | 'quoted' | 'string' | 'number' | 'param' | 'op' | 'punct' | 'comment';

export interface PgToken {
  kind: PgTokenKind;
  text: string;
  start: number;
  end: number;
}

const OP_CHARS = new Set('+-*/<>=~!@#%^&|`?');

/** The tokens of a statement (whitespace left out; comments kept as tokens of their own). */
export function lex(sql: string): PgToken[] {
  const out: PgToken[] = [];
  let i = 0;
  const push = (kind: PgTokenKind, end: number) => {
    out.push({ kind, text: sql.slice(i, end), start: i, end });
    i = end;
  };
  while (i < sql.length) {
    const c = sql[i];
    const next = sql[i + 1];
    if (/\s/.test(c)) i++;
    else if (c === '-' && next === '-') {
      const nl = sql.indexOf('\n', i);
      push('comment', nl < 0 ? sql.length : nl);
    } else if (c === '/' && next === '*') push('comment', blockCommentEnd(sql, i));
    else if (c === "'") push('string', quotedEnd(sql, i, "'", false));
    else if ((c === 'E' || c === 'e') && next === "'") push('string', quotedEnd(sql, i + 1, "'", true));
    else if (c === '"') push('quoted', quotedEnd(sql, i, '"', false));
    else if (c === '$' && /\d/.test(next ?? '')) push('param', matchEnd(sql, i + 1, /\d/));
    else if (c === '$') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (!tag) push('op', i + 1);
      else {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        push('string', close < 0 ? sql.length : close + tag[0].length);
      }
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) push('ident', matchEnd(sql, i, /[A-Za-z0-9_$\u0080-\uffff]/));
    else if (/\d/.test(c) || (c === '.' && /\d/.test(next ?? ''))) push('number', numberEnd(sql, i));
    else if (c === ':' && next === ':') push('op', i + 2);
    else if (OP_CHARS.has(c))
      push(
        'op',
        matchEnd(sql, i, (ch) => OP_CHARS.has(ch)),
      );
    else push('punct', i + 1);
  }
  return out;
}

function matchEnd(sql: string, from: number, ok: RegExp | ((c: string) => boolean)): number {
  let j = from;
  const test = typeof ok === 'function' ? ok : (c: string) => ok.test(c);
  while (j < sql.length && test(sql[j])) j++;
  return j;
}

function numberEnd(sql: string, from: number): number {
  const m = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(sql.slice(from));
  return from + (m ? m[0].length : 1);
}

function quotedEnd(sql: string, from: number, quote: string, backslash: boolean): number {
  let j = from + 1;
  while (j < sql.length) {
    if (backslash && sql[j] === '\\') j += 2;
    else if (sql[j] === quote && sql[j + 1] === quote) j += 2;
    else if (sql[j] === quote) return j + 1;
    else j++;
  }
  return sql.length;
}

function blockCommentEnd(sql: string, from: number): number {
  let depth = 0;
  let j = from;
  while (j < sql.length) {
    if (sql[j] === '/' && sql[j + 1] === '*') {
      depth++;
      j += 2;
    } else if (sql[j] === '*' && sql[j + 1] === '/') {
      depth--;
      j += 2;
      if (depth === 0) return j;
    } else j++;
  }
  return sql.length;
}

/** An identifier's name: unquoted folded to lower case, quoted as written. */
export function identName(t: PgToken | undefined): string | undefined {
  if (!t) return undefined;
  if (t.kind === 'ident') return t.text.toLowerCase();
  if (t.kind === 'quoted') return t.text.slice(1, -1).replace(/""/g, '"');
  return undefined;
}
