// Spark's casts (non-ANSI: an invalid value is NULL; integral casts truncate) as DuckDB
// expressions: CAST / TRY_CAST and the cast functions int(x), date(x), ...
import { arity, fail, isWord, type Call, type Handler } from './spark-call.js';

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

/**
 * CAST(x AS <integral>) as Spark (non-ANSI) does it: a number is truncated toward zero, a
 * string holding a number is too ('12.5' → 12), anything else is NULL. The general path goes
 * through DECIMAL(38, 9), which DuckDB parses from text slowly (~10 s per million strings), so a
 * value whose text is a plain integer — most of what bronze tables hold — takes a plain TRY_CAST
 * (the same result: no fraction to truncate, overflow NULL either way).
 */
function integralCast(expr: string, type: string): string {
  const slow = `TRY_CAST(trunc(TRY_CAST(${expr} AS DECIMAL(38, 9))) AS ${type})`;
  return `(CASE WHEN regexp_full_match(CAST(${expr} AS VARCHAR), '[+-]?[0-9]{1,18}') THEN TRY_CAST(${expr} AS ${type}) ELSE ${slow} END)`;
}

/** CAST / TRY_CAST with Spark's non-ANSI rules: invalid values give NULL, numbers are truncated to integers. */
export function cast(c: Call): string {
  arity(c, 1);
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
  const typeText = tokens
    .slice(as + 1)
    .map((t) => t.text)
    .join(' ')
    .replace(/\s*([(),])\s*/g, '$1');
  return castTo(expr, typeText);
}

/** `expr` cast to the Spark type `typeText` with Spark's non-ANSI rules. */
function castTo(expr: string, typeText: string): string {
  const base = typeText.toLowerCase().replace(/\(.*$/, '');
  if (INTEGRAL[base]) return integralCast(expr, INTEGRAL[base]);
  if (base === 'string' || base === 'varchar') return `CAST(${expr} AS VARCHAR)`;
  if (base === 'date') return date(expr);
  if (base === 'timestamp' || base === 'timestamp_ntz') return timestamp(expr);
  return `TRY_CAST(${expr} AS ${TYPE_NAMES[base] ?? typeText})`;
}

/** Spark's cast functions: int(x) is CAST(x AS INT), and so on. */
const castFunction =
  (type: string): Handler =>
  (c) => {
    arity(c, 1);
    return castTo(c.args[0].sql, type);
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
