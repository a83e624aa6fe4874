// Spark functions that behave differently in ANSI mode (Spark's sql-ref-ansi-compliance.md,
// "SQL Functions"): where ANSI mode raises an error, without it they give NULL. Each handler
// reads the mode from the call (spark-ansi.ts); the try_* forms give NULL in both.
import { arity, fail, literal, type Arg, type Call, type Handler } from './spark-call.js';
import { castError, divisor, orRaise, raise, shown, text } from './spark-ansi.js';
import { date, timestamp } from './spark-cast.js';
import { parsed, pattern } from './spark-datetime.js';

const sql = (a: Arg) => `(${a.sql})`;
const notNull = (...xs: string[]) => xs.map((x) => `(${x}) IS NOT NULL`).join(' AND ');

/** Spark's CANNOT_PARSE_TIMESTAMP for a string `x` that its pattern does not parse. */
const cannotParse = (x: string, fn: string) =>
  raise(
    'CANNOT_PARSE_TIMESTAMP',
    `'Text ' || ${shown(x)} || ' could not be parsed by ${fn}. Use \`try_to_timestamp\` to tolerate invalid input string and return NULL instead. If necessary set "spark.sql.ansi.enabled" to "false" to bypass this error.'`,
  );

/** A string parsed to a timestamp: with a pattern, or as CAST(x AS TIMESTAMP); ANSI mode raises when it does not parse. */
function parseTimestamp(c: Call, ansi: boolean): string {
  arity(c, 1, 2);
  const x = c.args[0].sql;
  if (!c.args[1]) return ansi ? orRaise(timestamp(x), notNull(x), castError(x, 'TIMESTAMP')) : timestamp(x);
  const value = parsed(x, pattern(c, c.args[1], 'parse'));
  return ansi ? orRaise(value, notNull(x), cannotParse(x, c.name)) : value;
}

/** Spark's INVALID_ARRAY_INDEX_IN_ELEMENT_AT for `i` outside `arr`. */
const outOfRange = (arr: string, i: string) =>
  raise(
    'INVALID_ARRAY_INDEX_IN_ELEMENT_AT',
    `'The index ' || CAST(${i} AS VARCHAR) || ' is out of bounds. The array has ' || CAST(len(${arr}) AS VARCHAR) || ' elements. Use \`try_element_at\` to tolerate accessing element at invalid index and return NULL instead. If necessary set "spark.sql.ansi.enabled" to "false" to bypass this error.'`,
  );

/** A map argument written as a map (map(...), map_from_arrays(...), str_to_map(...)): its element_at is by key. */
const isMapCall = (a: Arg) => ['map', 'map_from_arrays', 'str_to_map'].includes(a.tokens[0]?.value.toLowerCase() ?? '');

/** element_at(array, i): 1-based, negative from the end; 0 is always an error; out of range NULL or (ANSI) an error. */
function elementAt(c: Call, ansi: boolean): string {
  arity(c, 2);
  const arr = sql(c.args[0]);
  if (isMapCall(c.args[0])) return `${arr}[${c.args[1].sql}]`;
  const i = `CAST(${c.args[1].sql} AS BIGINT)`;
  if (c.args[1].sql.trim() === '0') fail(c, 'SQL array indices start at 1 (INVALID_INDEX_OF_ZERO)');
  const zero = raise(
    'INVALID_INDEX_OF_ZERO',
    text('The index 0 is invalid. An index shall be either < 0 or > 0 (the first element has index 1).', false),
  );
  const beyond = ansi ? outOfRange(arr, i) : 'NULL';
  // The element (DuckDB's [i] is 1-based and counts from the end for negatives, as Spark's); only
  // where it is NULL, whether the index was 0 or out of range (the array computed again only then).
  return `coalesce(${arr}[${i}], CASE WHEN ${i} = 0 THEN ${zero} WHEN ${arr} IS NOT NULL AND abs(${i}) > len(${arr}) THEN ${beyond} END)`;
}

/**
 * The date of fields y, m, d when they make one (checked by parsing its text: DuckDB's make_date
 * raises for a bad field, and TRY cannot wrap an expression that may raise Spark's own errors).
 */
function validDate(y: string, m: string, d: string): string {
  return `try_strptime(printf('%04d-%02d-%02d', ${y}, ${m}, ${d}), '%Y-%m-%d')`;
}

/** make_date / make_timestamp: NULL or (ANSI) an error for fields that make no valid date. */
function made(c: Call, value: string, valid: string): string {
  const result = `(CASE WHEN ${valid} THEN ${value} END)`;
  if (!c.ansi) return result;
  const error = raise(
    'DATETIME_FIELD_OUT_OF_BOUNDS',
    text(
      `${c.name}: the fields do not make a valid ${c.name === 'make_date' ? 'date' : 'timestamp'}. Use \`try_${c.name}\` to tolerate them and return NULL instead.`,
    ),
  );
  return orRaise(result, notNull(...c.args.map((a) => a.sql)), error);
}

/** The weekday number (Sunday = 0, as DuckDB's dayofweek) of Spark's next_day names: Mo, Mon, Monday, ... */
const WEEKDAYS = ['su', 'mo', 'tu', 'we', 'th', 'fr', 'sa'];
const WEEKDAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

export const ANSI_HANDLERS: Record<string, Handler> = {
  to_date: (c) => {
    arity(c, 1, 2);
    return c.args[1]
      ? `CAST(${parseTimestamp(c, c.ansi)} AS DATE)`
      : c.ansi
        ? orRaise(date(c.args[0].sql), notNull(c.args[0].sql), castError(c.args[0].sql, 'DATE'))
        : date(c.args[0].sql);
  },
  to_timestamp: (c) => parseTimestamp(c, c.ansi),
  to_timestamp_ntz: (c) => parseTimestamp(c, c.ansi),
  try_to_timestamp: (c) => parseTimestamp(c, false),
  try_to_date: (c) => ANSI_HANDLERS.to_date({ ...c, ansi: false }),
  unix_timestamp: (c) => {
    arity(c, 0, 2);
    if (c.args.length === 0) return 'CAST(epoch(current_timestamp) AS BIGINT)';
    const format = c.args[1] ? pattern(c, c.args[1], 'parse') : '%Y-%m-%d %H:%M:%S';
    const x = c.args[0].sql;
    const value = parsed(x, format);
    return `CAST(epoch(${c.ansi ? orRaise(value, notNull(x), cannotParse(x, c.name)) : value}) AS BIGINT)`;
  },
  to_unix_timestamp: (c) => ANSI_HANDLERS.unix_timestamp({ ...c, name: 'to_unix_timestamp' }),
  make_date: (c) => {
    arity(c, 3);
    const [y, m, d] = c.args.map((a) => `CAST(${a.sql} AS BIGINT)`);
    return made(c, `make_date(${y}, ${m}, ${d})`, `${validDate(y, m, d)} IS NOT NULL`);
  },
  make_timestamp: (c) => {
    arity(c, 6);
    const [y, mo, d, h, mi] = c.args.slice(0, 5).map((a) => `CAST(${a.sql} AS BIGINT)`);
    const s = `CAST(${c.args[5].sql} AS DOUBLE)`;
    const valid = `${validDate(y, mo, d)} IS NOT NULL AND ${h} BETWEEN 0 AND 23 AND ${mi} BETWEEN 0 AND 59 AND ${s} >= 0 AND ${s} < 60`;
    return made(c, `make_timestamp(${y}, ${mo}, ${d}, ${h}, ${mi}, ${s})`, valid);
  },
  try_make_timestamp: (c) => ANSI_HANDLERS.make_timestamp({ ...c, ansi: false }),
  // next_day(d, 'Mon'): the first later date on that weekday (Mo, Mon, Monday); another name is NULL or (ANSI) an error.
  next_day: (c) => {
    arity(c, 2);
    const name = literal(c.args[1])?.toLowerCase();
    if (name === undefined) fail(c, "the day of the week must be a string literal, e.g. 'Mon'");
    const target = WEEKDAYS.findIndex(
      (w, i) => name === w || name === WEEKDAY_NAMES[i].slice(0, 3) || name === WEEKDAY_NAMES[i],
    );
    const d = `CAST(${c.args[0].sql} AS DATE)`;
    if (target < 0)
      return c.ansi
        ? `CASE WHEN ${d} IS NOT NULL THEN ${raise('ILLEGAL_DAY_OF_WEEK', text(`Illegal input for day of week: ${literal(c.args[1])}.`))} END::DATE`
        : 'CAST(NULL AS DATE)';
    return `(${d} + CAST(((${target} - dayofweek(${d}) + 6) % 7) + 1 AS INTEGER))`;
  },
  element_at: (c) => elementAt(c, c.ansi),
  try_element_at: (c) => elementAt(c, false),
  // get(array, i): 0-based, NULL out of range (in both modes).
  get: (c) => {
    arity(c, 2);
    const [arr, i] = c.args.map(sql);
    return `(CASE WHEN ${i} >= 0 THEN ${arr}[${i} + 1] END)`;
  },
  // elt(n, a, b, ...): the n-th argument; out of range NULL or (ANSI) an error.
  elt: (c) => {
    if (c.args.length < 2) fail(c, `expects an index and at least one value, got ${c.args.length} argument(s)`);
    const n = sql(c.args[0]);
    const beyond = c.ansi
      ? ` WHEN ${n} IS NOT NULL THEN ${raise('INVALID_ARRAY_INDEX', `'The index ' || CAST(${n} AS VARCHAR) || ' is out of bounds. The array has ${c.args.length - 1} elements. If necessary set "spark.sql.ansi.enabled" to "false" to bypass this error.'`)}`
      : '';
    const cases = c.args
      .slice(1)
      .map((a, i) => `WHEN ${n} = ${i + 1} THEN ${sql(a)}`)
      .join(' ');
    return `(CASE ${cases}${beyond} END)`;
  },
  // size(NULL) is -1 without ANSI mode (spark.sql.legacy.sizeOfNull), NULL with it. (A map column is not supported.)
  size: (c) => {
    arity(c, 1);
    const x = c.args[0].sql;
    const n = isMapCall(c.args[0]) ? `cardinality(${x})` : `len(${x})`;
    return c.ansi ? `CAST(${n} AS INTEGER)` : `CAST(CASE WHEN (${x}) IS NULL THEN -1 ELSE ${n} END AS INTEGER)`;
  },
  // mod(a, b) is a % b; pmod(-10, 3) = 2, the positive remainder; a zero divisor NULL or (ANSI) an error.
  mod: (c) => (arity(c, 2), `(${sql(c.args[0])} % ${divisor(sql(c.args[1]), c.ansi)})`),
  try_mod: (c) => (arity(c, 2), `TRY(${sql(c.args[0])} % ${divisor(sql(c.args[1]), false)})`),
  pmod: (c) => {
    arity(c, 2);
    const [a, n] = c.args.map(sql);
    return `(((${a} % ${divisor(n, c.ansi)}) + ${n}) % ${n})`;
  },
};
