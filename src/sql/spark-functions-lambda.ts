// Spark functions with lambdas over two values (zip_with, transform_keys, transform_values),
// split with a limit, and the offset window functions with IGNORE NULLS (lead, lag, nth_value).
// A two-parameter lambda `(x, y) -> body` becomes nested one-parameter DuckDB lambdas, so the
// body is used as written: `list_transform([a], x -> list_transform([b], y -> body)[1])[1]`.
import { arity, fail, intLiteral, literal, type Arg, type Call, type Handler } from './spark-call.js';
import { regexArg } from './spark-regex.js';

/** The parameters and rewritten body of a lambda argument `(x, y) -> body`. */
function lambda2(c: Call, a: Arg): { params: [string, string]; body: string } {
  const t = a.tokens;
  const arrow = t.findIndex((x, i) => x.text === '-' && t[i + 1]?.text === '>' && t[i + 1].start === x.end);
  const ok =
    t[0]?.text === '(' &&
    t[2]?.text === ',' &&
    t[4]?.text === ')' &&
    arrow === 5 &&
    ['ident', 'quoted'].includes(t[1]?.kind) &&
    ['ident', 'quoted'].includes(t[3]?.kind);
  if (!ok) fail(c, 'expects a lambda of two parameters, (x, y) -> ...');
  return { params: [t[1].text, t[3].text], body: a.part(arrow + 2, t.length) };
}

/** `body` with parameters bound to the values `a` and `b` (nested one-parameter lambdas). */
const bind2 = (params: [string, string], a: string, b: string, body: string) =>
  `list_transform([${a}], ${params[0]} -> list_transform([${b}], ${params[1]} -> ${body})[1])[1]`;

/** transform_keys / transform_values: the map with each key or value replaced by the lambda's value. */
function transformMap(c: Call, which: 'key' | 'value'): string {
  arity(c, 2);
  const { params, body } = lambda2(c, c.args[1]);
  const value = bind2(params, '__e.key', '__e.value', body);
  const entry =
    which === 'key'
      ? `struct_pack(key := ${value}, value := __e.value)`
      : `struct_pack(key := __e.key, value := ${value})`;
  return `map_from_entries(list_transform(map_entries(${c.args[0].sql}), __e -> ${entry}))`;
}

/** lead / lag / nth_value with Spark's IGNORE NULLS (after the call, or lag's fourth argument). */
function offsetWindow(c: Call): string {
  if (!c.over) fail(c, 'needs a window: OVER (...)');
  const args = c.args.map((a) => a.sql);
  let ignore = c.ignoreNulls ?? false;
  if ((c.name === 'lead' || c.name === 'lag') && args.length === 4) {
    const flag = args.pop()!.trim().toLowerCase();
    if (flag !== 'true' && flag !== 'false') fail(c, 'the fourth argument (ignoreNulls) must be true or false');
    ignore = flag === 'true';
  }
  return `${c.name}(${args.join(', ')}${ignore ? ' IGNORE NULLS' : ''}) ${c.over}`;
}

export const LAMBDA_HANDLERS: Record<string, Handler> = {
  // zip_with(a, b, (x, y) -> ...): element by element, the shorter array padded with NULLs.
  zip_with: (c) => {
    arity(c, 3);
    const { params, body } = lambda2(c, c.args[2]);
    const [a, b] = [`(${c.args[0].sql})`, `(${c.args[1].sql})`];
    return `(CASE WHEN ${a} IS NULL OR ${b} IS NULL THEN NULL ELSE list_transform(range(1, greatest(len(${a}), len(${b})) + 1), __i -> ${bind2(params, `${a}[__i]`, `${b}[__i]`, body)}) END)`;
  },
  transform_keys: (c) => transformMap(c, 'key'),
  transform_values: (c) => transformMap(c, 'value'),
  // split(s, regex, limit): at most `limit` elements, the last holding the rest (limit <= 0: all).
  split: (c) => {
    arity(c, 2, 3);
    const limit = c.args[2] ? intLiteral(c.args[2]) : -1;
    if (limit === undefined) fail(c, 'the limit must be an integer literal');
    const [s, re] = [c.args[0].sql, regexArg(c, c.args[1])];
    // A pattern without regular-expression characters splits as plain text (DuckDB's string_split: the same pieces, faster).
    const plainText = literal(c.args[1]);
    if (limit! <= 0 && plainText !== undefined && plainText !== '' && !/[\\^$.|?*+()[\]{}]/.test(plainText))
      return `string_split(${s}, ${re})`;
    if (limit! <= 0) return `regexp_split_to_array(${s}, ${re})`;
    if (limit! > 64) fail(c, 'a limit above 64 is not supported');
    // The first limit - 1 matches become a separator that cannot be in text (U+0000), split there.
    let marked = s;
    for (let k = 1; k < limit!; k++) marked = `regexp_replace(${marked}, ${re}, chr(0))`;
    return `string_split(${marked}, chr(0))`;
  },
  // map_from_arrays(keys, values): DuckDB's map(keys, values).
  map_from_arrays: (c) => (arity(c, 2), `map(${c.args[0].sql}, ${c.args[1].sql})`),
  lead: offsetWindow,
  lag: offsetWindow,
  nth_value: offsetWindow,
};

/** Calls after which IGNORE NULLS / OVER belong to the call. */
export const WINDOW_CALLS = ['lead', 'lag', 'nth_value'];
