// ANSI mode (`spark.sql.ansi.enabled`, Databricks SQL's `ANSI_MODE`): where Spark raises an
// error in ANSI mode and gives NULL without it — invalid casts, division by zero, an array
// index out of range, a date that cannot be parsed or made. ANSI mode is on unless a setting
// turns it off, as in Spark 4.0 and Databricks Runtime 17.0 and above
// (https://docs.databricks.com/aws/en/sql/language-manual/sql-ref-ansi-compliance: "Enabled by
// default in Apache Spark 4.0 and Databricks Runtime 17.0 and above").
//
// The errors are DuckDB's error() with Spark's error class in brackets, raised only for the rows
// at fault (coalesce and CASE evaluate their later branches only where needed).
import { UserSqlError } from '../core/index.js';
import { quoteLiteral } from '../engine/index.js';

/** The settings that turn ANSI mode on or off (Spark's, and Databricks SQL's). */
export const ANSI_SETTINGS = ['spark.sql.ansi.enabled', 'ansi_mode'];

/**
 * ANSI mode as `settings` set it (the last of Spark's and Databricks SQL's keys given wins;
 * keys are case-insensitive); `fallback` when none is set. An unknown value is an error.
 */
export function ansiFrom(settings: Iterable<[string, string]>, fallback = true): boolean {
  let out = fallback;
  for (const [key, value] of settings) {
    if (!ANSI_SETTINGS.includes(key.toLowerCase())) continue;
    const v = value.trim().toLowerCase();
    if (v !== 'true' && v !== 'false') throw new UserSqlError(`${key} must be true or false, not '${value}'`);
    out = v === 'true';
  }
  return out;
}

/** SQL raising Spark's error `code`; `message` is a SQL string expression. */
export function raise(code: string, message: string): string {
  return `error(${quoteLiteral(`[${code}] `)} || ${message})`;
}

/** A fixed message as a SQL string, with Spark's advice to turn ANSI mode off when it must be. */
export function text(message: string, hint = true): string {
  return quoteLiteral(
    hint ? `${message} If necessary set "spark.sql.ansi.enabled" to "false" to bypass this error.` : message,
  );
}

/** `value`, or the error `error` where `value` is NULL and `when` holds (ANSI mode). */
export function orRaise(value: string, when: string, error: string): string {
  return `coalesce(${value}, CASE WHEN ${when} THEN ${error} END)`;
}

/** The text of a value in Spark's messages: a string quoted, as Spark's toSQLValue does. */
export function shown(x: string): string {
  return `CASE WHEN typeof(${x}) = 'VARCHAR' THEN '''' || CAST(${x} AS VARCHAR) || '''' ELSE CAST(${x} AS VARCHAR) END`;
}

/** DuckDB's type names as Spark writes them in messages. */
const SPARK_TYPE_NAMES: Record<string, string> = {
  VARCHAR: 'STRING',
  INTEGER: 'INT',
  BIGINT: 'BIGINT',
  SMALLINT: 'SMALLINT',
  TINYINT: 'TINYINT',
  DOUBLE: 'DOUBLE',
  FLOAT: 'FLOAT',
  BOOLEAN: 'BOOLEAN',
  DATE: 'DATE',
  TIMESTAMP: 'TIMESTAMP',
};

/** The Spark name of the type of `x`, as a SQL string (DECIMAL(p,s) as it is). */
function typeNameOf(x: string): string {
  return `CASE typeof(${x}) ${Object.entries(SPARK_TYPE_NAMES)
    .map(([duck, spark]) => `WHEN '${duck}' THEN '${spark}'`)
    .join(' ')} ELSE typeof(${x}) END`;
}

/**
 * Spark's error for a cast of `x` to `target` (its Spark name) that failed in ANSI mode: a string
 * that does not parse is CAST_INVALID_INPUT, a number out of the target's range CAST_OVERFLOW.
 */
export function castError(x: string, target: string): string {
  const invalid = raise(
    'CAST_INVALID_INPUT',
    `'The value ' || ${shown(x)} || ' of the type "STRING" cannot be cast to "${target}" because it is malformed. Correct the value as per the syntax, or change its target type. Use \`try_cast\` to tolerate malformed input and return NULL instead. If necessary set "spark.sql.ansi.enabled" to "false" to bypass this error.'`,
  );
  const overflow = raise(
    'CAST_OVERFLOW',
    `'The value ' || ${shown(x)} || ' of the type "' || (${typeNameOf(x)}) || '" cannot be cast to "${target}" due to an overflow. Use \`try_cast\` to tolerate overflow and return NULL instead. If necessary set "spark.sql.ansi.enabled" to "false" to bypass this error.'`,
  );
  return `CASE WHEN typeof(${x}) = 'VARCHAR' THEN ${invalid} ELSE ${overflow} END`;
}

/** The divisor `b` of `/`, `%`, `div`, mod and pmod: NULL for zero, or (ANSI) Spark's DIVIDE_BY_ZERO. */
export function divisor(b: string, ansi: boolean): string {
  if (/^\s*\(?\s*[0-9]*[1-9][0-9]*(\.[0-9]*)?\s*\)?\s*$/.test(b)) return b; // a literal that is not 0
  if (!ansi) return `nullif(${b}, 0)`;
  const error = raise(
    'DIVIDE_BY_ZERO',
    text('Division by zero. Use `try_divide` to tolerate divisor being 0 and return NULL instead.'),
  );
  return `(CASE WHEN (${b}) = 0 THEN ${error} ELSE ${b} END)`;
}

/**
 * `arr[i]` with Spark's 0-based index: NULL out of range (and for a negative index), or (ANSI)
 * Spark's INVALID_ARRAY_INDEX.
 */
export function arrayAt(arr: string, i: string, ansi: boolean): string {
  const index = `(CASE WHEN (${i}) >= 0 THEN (${i}) + 1 END)`;
  if (!ansi) return `(${arr})[${index}]`;
  const error = raise(
    'INVALID_ARRAY_INDEX',
    `'The index ' || CAST(${i} AS VARCHAR) || ' is out of bounds. The array has ' || CAST(len(${arr}) AS VARCHAR) || ' elements. Use the SQL function \`get()\` to tolerate accessing element at invalid index and return NULL instead. If necessary set "spark.sql.ansi.enabled" to "false" to bypass this error.'`,
  );
  // The element; only where it is NULL, whether the index was out of range (the array computed again only then).
  return `coalesce((${arr})[${index}], CASE WHEN (${i}) IS NOT NULL AND (${arr}) IS NOT NULL AND ((${i}) < 0 OR (${i}) >= len(${arr})) THEN ${error} END)`;
}
