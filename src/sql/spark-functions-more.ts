// More Spark SQL functions as DuckDB expressions with Spark's semantics:
// arithmetic that gives NULL instead of failing, arrays and higher-order functions, maps,
// conditionals. Each is pinned by a test on the example in Spark's function reference
// (https://spark.apache.org/docs/latest/api/sql/).
import { arity, fail, literal, type Arg, type Call, type Handler } from './spark-call.js';
import { regexArg } from './spark-regex.js';

const sql = (a: Arg) => `(${a.sql})`;

/** A lambda argument with an index parameter (`(x, i) -> ...`): Spark's index is 0-based, DuckDB's 1-based. */
function refuseIndexLambda(c: Call, a: Arg | undefined): void {
  const t = a?.tokens ?? [];
  const arrow = t.some((x, i) => x.text === '-' && t[i + 1]?.text === '>' && t[i + 1].start === x.end);
  if (t[0]?.text === '(' && t[2]?.text === ',' && arrow)
    fail(c, 'a lambda with an index parameter ((x, i) -> ...) is not supported; use a lambda of the element only');
}

/** The unit of timestampdiff / timestampadd (a keyword, or a string): DuckDB's name. */
const DATETIME_UNITS: Record<string, string> = {
  microsecond: 'microsecond',
  millisecond: 'millisecond',
  second: 'second',
  minute: 'minute',
  hour: 'hour',
  day: 'day',
  dayofyear: 'day',
  week: 'week',
  month: 'month',
  quarter: 'quarter',
  year: 'year',
};

function datetimeUnit(c: Call, a: Arg): string {
  const written = literal(a) ?? (a.tokens.length === 1 && a.tokens[0].kind === 'ident' ? a.tokens[0].value : '');
  const unit = DATETIME_UNITS[written.toLowerCase()];
  if (!unit) fail(c, `the unit must be one of ${Object.keys(DATETIME_UNITS).join(', ').toUpperCase()}, not ${a.sql}`);
  return unit!;
}

export const MORE_HANDLERS: Record<string, Handler> = {
  // timestampdiff(unit, start, end), datediff(unit, ...): whole units (DuckDB's date_sub; its date_diff counts boundaries).
  timestampdiff: (c) => {
    arity(c, 3);
    return `date_sub('${datetimeUnit(c, c.args[0])}', ${c.args[1].sql}, ${c.args[2].sql})`;
  },
  date_diff: (c) =>
    c.args.length === 3
      ? MORE_HANDLERS.timestampdiff(c)
      : (arity(c, 2), `CAST(CAST(${c.args[0].sql} AS DATE) - CAST(${c.args[1].sql} AS DATE) AS INTEGER)`),
  // timestampadd(unit, n, ts), dateadd(unit, n, ts): a timestamp.
  timestampadd: (c) => {
    arity(c, 3);
    const unit = datetimeUnit(c, c.args[0]);
    return `(CAST(${c.args[2].sql} AS TIMESTAMP) + CAST(${c.args[1].sql} AS BIGINT) * INTERVAL 1 ${unit})`;
  },
  timestamp_seconds: (c) => (arity(c, 1), `CAST(to_timestamp(${c.args[0].sql}) AS TIMESTAMP)`),
  timestamp_millis: (c) => (arity(c, 1), `epoch_ms(CAST(${c.args[0].sql} AS BIGINT))`),
  timestamp_micros: (c) => (arity(c, 1), `make_timestamp(CAST(${c.args[0].sql} AS BIGINT))`),
  unix_seconds: (c) => (arity(c, 1), `CAST(floor(epoch(CAST(${c.args[0].sql} AS TIMESTAMP))) AS BIGINT)`),
  unix_millis: (c) => (arity(c, 1), `epoch_ms(CAST(${c.args[0].sql} AS TIMESTAMP))`),
  unix_micros: (c) => (arity(c, 1), `epoch_us(CAST(${c.args[0].sql} AS TIMESTAMP))`),
  unix_date: (c) => (arity(c, 1), `CAST(CAST(${c.args[0].sql} AS DATE) - DATE '1970-01-01' AS INTEGER)`),
  date_from_unix_date: (c) => (arity(c, 1), `(DATE '1970-01-01' + CAST(${c.args[0].sql} AS INTEGER))`),
  // try_*: NULL where the operation fails (overflow, division by zero).
  try_add: (c) => (arity(c, 2), `TRY(${sql(c.args[0])} + ${sql(c.args[1])})`),
  try_subtract: (c) => (arity(c, 2), `TRY(${sql(c.args[0])} - ${sql(c.args[1])})`),
  try_multiply: (c) => (arity(c, 2), `TRY(${sql(c.args[0])} * ${sql(c.args[1])})`),
  try_divide: (c) => (arity(c, 2), `TRY(${sql(c.args[0])} / NULLIF(${sql(c.args[1])}, 0))`),
  btrim: (c) => (arity(c, 1, 2), `trim(${c.args.map((a) => a.sql).join(', ')})`),
  // every / any / some: the boolean aggregates (FILTER and OVER after them stay as written).
  every: (c) => (arity(c, 1), `bool_and(${c.args[0].sql})`),
  any: (c) => (arity(c, 1), `bool_or(${c.args[0].sql})`),
  some: (c) => (arity(c, 1), `bool_or(${c.args[0].sql})`),
  regexp_like: (c) => (arity(c, 2), `regexp_matches(${c.args[0].sql}, ${regexArg(c, c.args[1])})`),
  // sort_array(a[, asc]): NULLs first ascending, last descending.
  sort_array: (c) => {
    arity(c, 1, 2);
    const asc = c.args[1] === undefined ? 'true' : c.args[1].sql.trim().toLowerCase();
    if (asc !== 'true' && asc !== 'false') fail(c, 'the order must be true or false');
    return asc === 'true'
      ? `list_sort(${c.args[0].sql}, 'ASC', 'NULLS FIRST')`
      : `list_sort(${c.args[0].sql}, 'DESC', 'NULLS LAST')`;
  },
  // decode(expr, search, result, ..., [default]): NULL matches NULL (decode(bin, charset) is the other form).
  decode: (c) => {
    if (c.args.length === 1) return `decode(${c.args[0].sql})`; // DuckDB's (a blob as UTF-8)
    if (c.args.length === 2) {
      const charset = literal(c.args[1])?.toLowerCase().replace('-', '');
      if (charset !== 'utf8') fail(c, "only decode(binary, 'UTF-8') is supported");
      return `decode(${c.args[0].sql})`;
    }
    const e = sql(c.args[0]);
    const rest = c.args.slice(1);
    const pairs: string[] = [];
    for (let i = 0; i + 1 < rest.length; i += 2)
      pairs.push(`WHEN ${e} IS NOT DISTINCT FROM ${sql(rest[i])} THEN ${sql(rest[i + 1])}`);
    const otherwise = rest.length % 2 === 1 ? ` ELSE ${sql(rest[rest.length - 1])}` : '';
    return `(CASE ${pairs.join(' ')}${otherwise} END)`;
  },
  // width_bucket(v, min, max, n): 0 below the range, n + 1 above it; min > max counts downwards.
  width_bucket: (c) => {
    arity(c, 4);
    const [v, lo, hi, n] = c.args.map(sql);
    const up = `CASE WHEN ${v} < ${lo} THEN 0 WHEN ${v} >= ${hi} THEN ${n} + 1 ELSE CAST(floor((${v} - ${lo}) * ${n} / (${hi} - ${lo})) AS BIGINT) + 1 END`;
    const down = `CASE WHEN ${v} > ${lo} THEN 0 WHEN ${v} <= ${hi} THEN ${n} + 1 ELSE CAST(floor((${lo} - ${v}) * ${n} / (${lo} - ${hi})) AS BIGINT) + 1 END`;
    return `(CASE WHEN ${n} <= 0 OR ${lo} = ${hi} OR ${v} IS NULL OR isnan(${v}::DOUBLE) THEN NULL WHEN ${lo} < ${hi} THEN ${up} ELSE ${down} END)`;
  },
  // Higher-order functions (lambdas are written alike: x -> x + 1, (acc, x) -> acc + x).
  transform: (c) => (
    arity(c, 2),
    refuseIndexLambda(c, c.args[1]),
    `list_transform(${c.args[0].sql}, ${c.args[1].sql})`
  ),
  filter: (c) => (arity(c, 2), refuseIndexLambda(c, c.args[1]), `list_filter(${c.args[0].sql}, ${c.args[1].sql})`),
  exists: (c) => (arity(c, 2), `list_bool_or(list_transform(${c.args[0].sql}, ${c.args[1].sql}))`),
  forall: (c) => (arity(c, 2), `list_bool_and(list_transform(${c.args[0].sql}, ${c.args[1].sql}))`),
  aggregate: (c) => {
    arity(c, 3, 4);
    const reduced = `list_reduce(${c.args[0].sql}, ${c.args[2].sql}, ${c.args[1].sql})`;
    return c.args[3] ? `list_transform([${reduced}], ${c.args[3].sql})[1]` : reduced;
  },
  reduce: (c) => MORE_HANDLERS.aggregate(c),
  // map(k1, v1, ...): a map of the pairs.
  map: (c) => {
    if (c.args.length % 2 !== 0) fail(c, 'expects key, value pairs');
    const keys = c.args.filter((_, i) => i % 2 === 0).map((a) => a.sql);
    const values = c.args.filter((_, i) => i % 2 === 1).map((a) => a.sql);
    return `map([${keys.join(', ')}], [${values.join(', ')}])`;
  },
  // sequence(start, stop[, step]): inclusive; without a step, counting down when start > stop;
  // elements of the start's type (dates stay dates: DuckDB's series of dates are timestamps).
  sequence: (c) => {
    arity(c, 2, 3);
    const [a, b] = [sql(c.args[0]), sql(c.args[1])];
    const step = c.args[2] ? c.args[2].sql : `CASE WHEN ${a} <= ${b} THEN 1 ELSE -1 END`;
    return `list_transform(generate_series(${a}, ${b}, ${step}), __s -> cast_to_type(__s, ${a}))`;
  },
};
