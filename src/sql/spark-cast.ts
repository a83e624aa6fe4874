// Spark's casts as DuckDB expressions, with and without ANSI mode (an invalid value is an error,
// or NULL; integral casts truncate): CAST / TRY_CAST and the cast functions int(x), date(x), ...
import { arity, fail, isWord, type Call, type Handler } from './spark-call.js';
import { castError, orRaise } from './spark-ansi.js';
import { duckTypeText, sparkTypeOf } from './spark-json.js';

export const date = (x: string) => `TRY_CAST(${x} AS DATE)`;
export const timestamp = (x: string) => `TRY_CAST(${x} AS TIMESTAMP)`;

const INTEGRAL: Record<string, string> = {
  tinyint: 'TINYINT',
  byte: 'TINYINT',
  smallint: 'SMALLINT',
  short: 'SMALLINT',
  int: 'INTEGER',
  integer: 'INTEGER',
  bigint: 'BIGINT',
  long: 'BIGINT',
};
const TYPE_NAMES: Record<string, string> = { string: 'VARCHAR', binary: 'BLOB', real: 'FLOAT' };

/** How a cast treats a value it cannot convert. */
export type CastMode =
  | 'legacy' // ANSI mode off: NULL (a number in a string truncated: '12.5' → 12)
  | 'ansi' // ANSI mode on: Spark's error (CAST_INVALID_INPUT, CAST_OVERFLOW)
  | 'try'; // TRY_CAST: ANSI's rules, NULL instead of the error

/**
 * CAST(x AS <integral>) as Spark does it. A number is truncated toward zero (DuckDB's own cast
 * rounds); a boolean is 1 or 0. A string must hold an integer, around which whitespace is
 * allowed; without ANSI mode a fraction is allowed too and truncated ('12.5' → 12, Spark's
 * UTF8String.toLong with allowDecimal), and anything else is NULL (or, in ANSI mode, an error).
 *
 * Speed: DuckDB's own cast accepts more than Spark (fractions, exponents, hex, underscores), so
 * its result is taken when it prints back as the very text cast — a plain integer, most of what
 * bronze tables hold — and only other strings are checked against Spark's grammar. The type
 * tests (typeof) are constants for DuckDB: each cast keeps the one branch of its input's type.
 */
function integralCast(expr: string, type: string, spark: string, mode: CastMode): string {
  const v = `TRY_CAST(${expr} AS ${type})`;
  const text = `CAST(${expr} AS VARCHAR)`;
  const truncated = `TRY_CAST(trunc(TRY_CAST(${text} AS DECIMAL(38, 9))) AS ${type})`;
  const other =
    mode === 'legacy'
      ? `WHEN regexp_full_match(${text}, '\\s*[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)\\s*') THEN ${truncated}`
      : `WHEN regexp_full_match(${text}, '\\s*[+-]?[0-9]+\\s*') THEN TRY_CAST(${text} AS ${type})`;
  const string = `CASE WHEN CAST(${v} AS VARCHAR) = ${text} THEN ${v} ${other} END`;
  const legacy = mode === 'legacy';
  const integer = legacy ? `coalesce(${v}, ${wrapped(`CAST(${expr} AS HUGEINT)`, type)})` : v;
  const number = legacy
    ? `CASE WHEN typeof(${expr}) IN ('DOUBLE', 'FLOAT') THEN ${saturated(`TRY_CAST(${expr} AS DOUBLE)`, type)} ELSE ${wrapped(`TRY_CAST(trunc(TRY_CAST(${expr} AS DECIMAL(38, 9))) AS HUGEINT)`, type)} END`
    : `TRY_CAST(trunc(TRY_CAST(${expr} AS DECIMAL(38, 9))) AS ${type})`;
  const value = `(CASE WHEN typeof(${expr}) = 'VARCHAR' THEN ${string} WHEN typeof(${expr}) IN ('BOOLEAN', 'TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT') THEN ${integer} ELSE ${number} END)`;
  return mode === 'ansi' ? orRaise(value, `(${expr}) IS NOT NULL`, castError(expr, spark)) : value;
}

const BITS: Record<string, number> = { TINYINT: 8, SMALLINT: 16, INTEGER: 32, BIGINT: 64 };

/**
 * A HUGEINT `n` narrowed to `type` as Java narrows integers, keeping the low bits (Spark's casts
 * between integral types without ANSI mode: CAST(2147483648L AS INT) is -2147483648).
 */
function wrapped(n: string, type: string): string {
  const m = 1n << BigInt(BITS[type]);
  const h = m >> 1n;
  return `CAST(((${n} + ${h}) % ${m} + ${m}) % ${m} - ${h} AS ${type})`;
}

/**
 * A DOUBLE or FLOAT `x` to `type` without ANSI mode, as Spark does: truncated, NaN 0, clamped to
 * the range of a BIGINT (for BIGINT) or an INT (Java's d2l / d2i), then narrowed (Scala's
 * x.toInt.toShort for SMALLINT and TINYINT).
 */
function saturated(x: string, type: string): string {
  const bits = type === 'BIGINT' ? 64 : 32;
  const max = (1n << BigInt(bits - 1)) - 1n;
  const clamped = `CASE WHEN isnan(${x}) THEN 0 WHEN ${x} >= ${max} THEN ${max} WHEN ${x} <= ${-max - 1n} THEN ${-max - 1n} ELSE CAST(trunc(${x}) AS HUGEINT) END`;
  return bits === 64 || type === 'INTEGER' ? `CAST(${clamped} AS ${type})` : wrapped(`(${clamped})`, type);
}

/** CAST / TRY_CAST with Spark's rules (ANSI mode as `c.ansi` says; TRY_CAST always ANSI's, giving NULL). */
export function cast(c: Call, isTry = false): string {
  if (c.args.length === 0) fail(c, 'expected CAST(expression AS type)');
  // (A type with a comma outside parentheses, map<k, v> or struct<a: t, b: t>, was split as arguments.)
  const tokens = c.args[0].tokens;
  let depth = 0;
  let as = -1;
  for (let j = tokens.length - 1; j >= 0; j--) {
    const x = tokens[j].text;
    if (x === ')') depth++;
    else if (x === '(') depth--;
    else if (depth === 0 && isWord(tokens[j], 'as')) {
      as = j;
      break;
    }
  }
  if (as < 0) fail(c, 'expected CAST(expression AS type)');
  const expr = c.args[0].part(0, as);
  const typeText = [tokens.slice(as + 1), ...c.args.slice(1).map((a) => a.tokens)]
    .map((part) => part.map((t) => t.text).join(' '))
    .join(', ')
    .replace(/\s*([(),])\s*/g, '$1');
  return castTo(expr, typeText, isTry ? 'try' : c.ansi ? 'ansi' : 'legacy');
}

/** `expr` cast to the Spark type `typeText`. */
export function castTo(expr: string, typeText: string, mode: CastMode): string {
  const base = typeText.toLowerCase().replace(/\(.*$/, '');
  const spark = typeText.toUpperCase().replace(/^INTEGER$/, 'INT');
  if (INTEGRAL[base]) return integralCast(expr, INTEGRAL[base], spark, mode);
  if (base === 'string' || base === 'varchar') return `CAST(${expr} AS VARCHAR)`;
  // array<...>, map<...>, struct<...>: DuckDB's cast of each element (an invalid one NULL, or the cast's error in ANSI mode).
  if (typeText.includes('<')) {
    const type = duckTypeText(sparkTypeOf(typeText));
    return mode === 'ansi' ? `CAST(${expr} AS ${type})` : `TRY_CAST(${expr} AS ${type})`;
  }
  const value =
    base === 'date'
      ? date(expr)
      : base === 'timestamp' || base === 'timestamp_ntz'
        ? timestamp(expr)
        : `TRY_CAST(${expr} AS ${TYPE_NAMES[base] ?? typeText})`;
  return mode === 'ansi' ? orRaise(value, `(${expr}) IS NOT NULL`, castError(expr, spark)) : value;
}

/** Spark's cast functions: int(x) is CAST(x AS INT), and so on. */
const castFunction =
  (type: string): Handler =>
  (c) => {
    arity(c, 1);
    return castTo(c.args[0].sql, type, c.ansi ? 'ansi' : 'legacy');
  };

export const CAST_HANDLERS: Record<string, Handler> = {
  int: castFunction('int'),
  integer: castFunction('int'),
  bigint: castFunction('bigint'),
  smallint: castFunction('smallint'),
  tinyint: castFunction('tinyint'),
  double: castFunction('double'),
  float: castFunction('float'),
  string: castFunction('string'),
  boolean: castFunction('boolean'),
  date: castFunction('date'),
  timestamp: castFunction('timestamp'),
};
