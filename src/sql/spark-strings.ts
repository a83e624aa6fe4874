// Spark's implicit casts into string functions: `trim(n)`, `length(n)`, `lpad(id, 4, '0')` take
// a number, a date or a timestamp and read it as its text (Spark's ImplicitTypeCasts: an
// expression that expects a string casts an atomic argument to STRING). DuckDB has no such cast
// for these functions ("No function matches trim(BIGINT)"), which matters as soon as read_files
// infers a column's type: each string argument is cast to VARCHAR (a no-op for text).
import { isWord, type Arg, type Call, type Handler } from './spark-call.js';

/** Per Spark function, its string arguments (their positions; 'all': every one). */
const STRING_ARGS: Record<string, number[] | 'all'> = {
  trim: 'all',
  ltrim: 'all',
  rtrim: 'all',
  btrim: 'all',
  length: [0],
  char_length: [0],
  character_length: [0],
  lower: [0],
  lcase: [0],
  upper: [0],
  ucase: [0],
  initcap: [0],
  replace: 'all',
  instr: 'all',
  locate: [0, 1],
  left: [0],
  right: [0],
  repeat: [0],
  ascii: [0],
  startswith: 'all',
  endswith: 'all',
  contains: 'all',
  levenshtein: [0, 1],
  soundex: [0],
  translate: 'all',
  lpad: [0, 2],
  rpad: [0, 2],
  substring: [0],
  substr: [0],
  split: [0],
  regexp_replace: [0],
  regexp_extract: [0],
  regexp_extract_all: [0],
  rlike: [0],
  regexp_like: [0],
};

/** Functions whose result is already a string (an argument that is one of their calls needs no cast). */
const STRING_RESULTS = new Set(
  'trim ltrim rtrim btrim lower lcase upper ucase initcap replace left right repeat translate lpad rpad substring substr regexp_replace regexp_extract concat concat_ws soundex'.split(
    ' ',
  ),
);

/** A string literal or a string function's call (nothing to cast), or a form that is not an expression (`BOTH 'x' FROM s`). */
function leaveAsIs(a: Arg): boolean {
  const [first, open] = a.tokens;
  if (a.tokens.length === 1 && first.kind === 'string') return true;
  if (
    first?.kind === 'ident' &&
    open?.text === '(' &&
    a.tokens.at(-1)?.text === ')' &&
    STRING_RESULTS.has(first.value.toLowerCase()) &&
    closesAtEnd(a)
  )
    return true;
  return a.tokens.some((t) => isWord(t, 'from') || isWord(t, 'for') || isWord(t, 'both') || isWord(t, 'leading'));
}

/** `call` with its string arguments cast to VARCHAR. */
export function castStringArgs(call: Call): Call {
  const which = STRING_ARGS[call.name];
  if (!which) return call;
  return {
    ...call,
    args: call.args.map((a, i) =>
      (which === 'all' || which.includes(i)) && !leaveAsIs(a) ? { ...a, sql: `CAST(${a.sql} AS VARCHAR)` } : a,
    ),
  };
}

/** The string functions with no other rewrite: called as written, their arguments cast. */
export const STRING_HANDLERS: Record<string, Handler> = Object.fromEntries(
  Object.keys(STRING_ARGS).map((name) => [name, (c: Call) => `${name}(${c.args.map((a) => a.sql).join(', ')})`]),
);

/** Whether the parenthesis after the argument's first token closes at its last token (one call, not `f(x) || y`). */
function closesAtEnd(a: Arg): boolean {
  let depth = 0;
  for (const [k, t] of a.tokens.entries()) {
    if (t.text === '(') depth++;
    else if (t.text === ')' && --depth === 0) return k === a.tokens.length - 1;
  }
  return false;
}
