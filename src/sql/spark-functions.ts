// Spark SQL functions as DuckDB expressions with Spark's semantics (session time
// zone UTC; those that differ in ANSI mode are in spark-functions-ansi.ts). Each handler gets
// a call whose arguments are already rewritten and returns its replacement;
// what we do not support is a LocatedError (SQL_UNSUPPORTED) naming it, at the
// offset of the call in the text being rewritten (spark.ts places it).
import { quoteIdent, quoteLiteral } from '../engine/index.js';
import {
  arity,
  fail,
  intLiteral,
  isWord,
  literal,
  mapLiteral,
  type Arg,
  type Call,
  type Handler,
  aggregate,
} from './spark-call.js';
import { MORE_HANDLERS } from './spark-functions-more.js';
import { ANSI_HANDLERS } from './spark-functions-ansi.js';
import { JSON_HANDLERS } from './spark-json.js';
import { LAMBDA_HANDLERS, WINDOW_CALLS } from './spark-functions-lambda.js';
import { DECIMAL_HANDLERS } from './spark-decimal.js';
import { pattern } from './spark-datetime.js';
import { CAST_HANDLERS, cast, date, timestamp } from './spark-cast.js';
import { regexArg } from './spark-regex.js';
import { STRING_HANDLERS } from './spark-strings.js';

export { isWord, type Arg, type Call } from './spark-call.js';

/** `date_trunc` / `trunc` units, as Spark spells them. */
const UNITS: Record<string, string> = {
  year: 'year',
  yyyy: 'year',
  yy: 'year',
  quarter: 'quarter',
  month: 'month',
  mon: 'month',
  mm: 'month',
  week: 'week',
  day: 'day',
  dd: 'day',
  hour: 'hour',
  minute: 'minute',
  second: 'second',
  millisecond: 'millisecond',
  microsecond: 'microsecond',
};

function unitOf(c: Call, a: Arg, allowed: (u: string) => boolean): string | undefined {
  const value = literal(a);
  if (value === undefined) fail(c, "the unit must be a string literal (such as 'MONTH')");
  const unit = UNITS[value!.toLowerCase()];
  return unit && allowed(unit) ? unit : undefined;
}

export const HANDLERS: Record<string, Handler> = {
  ...STRING_HANDLERS,
  // Auto Loader's older form in pipelines: cloud_files(path, format[, map(option, value, ...)]).
  cloud_files: (c) => {
    arity(c, 2, 3);
    const [source, format] = [literal(c.args[0]), literal(c.args[1])];
    if (source === undefined || format === undefined)
      fail(c, "the path and the format must be string literals, e.g. cloud_files('landing/orders', 'csv')");
    const options = c.args[2] ? mapLiteral(c, c.args[2]) : [];
    // cloud_files keeps every CSV/JSON column a string unless cloudFiles.inferColumnTypes says otherwise.
    if (!options.some(([k]) => /^(cloudfiles\.)?infercolumntypes$/i.test(k)))
      options.push(['inferColumnTypes', 'false']);
    const named = options.map(([k, v]) => `, ${quoteIdent(k)} => ${quoteLiteral(v)}`).join('');
    return `read_files(${quoteLiteral(source!)}, format => ${quoteLiteral(format!)}${named})`;
  },
  // Strings.
  initcap: (c) => {
    arity(c, 1);
    return `array_to_string(list_transform(string_split(lower(${c.args[0].sql}), ' '), __w -> upper(__w[1]) || __w[2:]), ' ')`;
  },
  concat: (c) => {
    if (c.args.length === 0) return `''`;
    return `CASE WHEN ${c.args.map((a) => `(${a.sql}) IS NULL`).join(' OR ')} THEN NULL ELSE concat(${c.args.map((a) => a.sql).join(', ')}) END`;
  },
  regexp_replace: (c) => {
    arity(c, 3);
    const rep = literal(c.args[2]);
    // Java's $1 group references are RE2's \1.
    const replacement =
      rep !== undefined
        ? quoteLiteral(
            rep
              .replace(/\\\$/g, '\u0000')
              .replace(/\$(\d)/g, '\\$1')
              .replace(/\u0000/g, '$'),
          )
        : `regexp_replace(${c.args[2].sql}, '\\$(\\d)', '\\\\\\1', 'g')`;
    return `regexp_replace(${c.args[0].sql}, ${regexArg(c, c.args[1])}, ${replacement}, 'g')`;
  },
  regexp_extract: (c) => {
    arity(c, 2, 3);
    const re = literal(c.args[1]);
    const idx = c.args[2] ? intLiteral(c.args[2]) : 1;
    if (re !== undefined && idx !== undefined && idx > 0) {
      const groups = (re.replace(/\\./g, '').match(/\((?!\?)/g) ?? []).length;
      if (groups < idx)
        fail(
          c,
          `the pattern '${re}' has no group ${idx}${c.args[2] ? '' : " (Spark's default index is 1)"}; pass 0 for the whole match`,
        );
    }
    return `regexp_extract(${c.args[0].sql}, ${regexArg(c, c.args[1])}, ${c.args[2]?.sql ?? '1'})`;
  },
  rlike: (c) => {
    arity(c, 2);
    return `regexp_matches(${c.args[0].sql}, ${regexArg(c, c.args[1])})`;
  },
  substring: (c) => substr(c),
  substr: (c) => substr(c),
  locate: (c) => {
    arity(c, 2, 3);
    const [sub, s, pos] = c.args.map((a) => a.sql);
    if (!pos) return `instr(${s}, ${sub})`;
    return `CASE WHEN (${pos}) IS NULL THEN 0 WHEN (${pos}) < 1 THEN 0 ELSE CASE WHEN instr(substring(${s}, ${pos}), ${sub}) = 0 THEN 0 ELSE instr(substring(${s}, ${pos}), ${sub}) + (${pos}) - 1 END END`;
  },
  lpad: (c) => pad(c, 'lpad'),
  rpad: (c) => pad(c, 'rpad'),
  sha2: (c) => {
    arity(c, 2);
    const bits = intLiteral(c.args[1]);
    if (bits === 0 || bits === 256) return `sha256(${c.args[0].sql})`;
    if (bits === 224 || bits === 384 || bits === 512) fail(c, `SHA-${bits} is not supported (only sha2(x, 256))`);
    return 'CAST(NULL AS VARCHAR)'; // Spark: NULL for other bit lengths
  },
  // Nulls.
  nvl: (c) => {
    arity(c, 2);
    return `coalesce(${c.args[0].sql}, ${c.args[1].sql})`;
  },
  nvl2: (c) => {
    arity(c, 3);
    return `CASE WHEN (${c.args[0].sql}) IS NOT NULL THEN ${c.args[1].sql} ELSE ${c.args[2].sql} END`;
  },
  // Dates and times.
  date_format: (c) => {
    arity(c, 2);
    return `strftime(${timestamp(c.args[0].sql)}, ${quoteLiteral(pattern(c, c.args[1], 'format'))})`;
  },
  date_trunc: (c) => {
    arity(c, 2);
    const unit = unitOf(c, c.args[0], () => true);
    return unit ? `date_trunc('${unit}', ${timestamp(c.args[1].sql)})` : 'CAST(NULL AS TIMESTAMP)';
  },
  trunc: (c) => {
    if (c.args.length === 1 || (c.args.length === 2 && literal(c.args[1]) === undefined))
      return `trunc(${c.args.map((a) => a.sql).join(', ')})`; // DuckDB's numeric trunc
    arity(c, 2);
    const unit = unitOf(c, c.args[1], (u) => ['year', 'quarter', 'month', 'week'].includes(u));
    return unit ? `CAST(date_trunc('${unit}', ${date(c.args[0].sql)}) AS DATE)` : 'CAST(NULL AS DATE)';
  },
  date_add: (c) => dateShift(c, '+'),
  dateadd: (c) => (c.args.length === 3 ? MORE_HANDLERS.timestampadd(c) : dateShift(c, '+')),
  date_sub: (c) => dateShift(c, '-'),
  datediff: (c) => {
    if (c.args.length === 3) return MORE_HANDLERS.timestampdiff(c); // datediff(unit, start, end): whole units
    arity(c, 2);
    return `CAST(${date(c.args[0].sql)} - ${date(c.args[1].sql)} AS INTEGER)`;
  },
  months_between: (c) => {
    arity(c, 2, 3);
    const a = timestamp(c.args[0].sql);
    const b = timestamp(c.args[1].sql);
    const months = `((year(${a}) * 12 + month(${a})) - (year(${b}) * 12 + month(${b})))`;
    const secs = (x: string) => `(epoch(${x}) - epoch(date_trunc('day', ${x})))`;
    const raw = `(${months} + (day(${a}) - day(${b}) + (${secs(a)} - ${secs(b)}) / 86400.0) / 31.0)`;
    const roundOff = c.args[2] ? c.args[2].sql : 'true';
    return `CASE WHEN ${a} IS NULL OR ${b} IS NULL THEN NULL
      WHEN day(${a}) = day(${b}) OR (CAST(${a} AS DATE) = last_day(${a}) AND CAST(${b} AS DATE) = last_day(${b})) THEN CAST(${months} AS DOUBLE)
      WHEN ${roundOff} THEN round(CAST(${raw} AS DOUBLE), 8) ELSE CAST(${raw} AS DOUBLE) END`;
  },
  add_months: (c) => {
    arity(c, 2);
    return `CAST(${date(c.args[0].sql)} + to_months(CAST(${c.args[1].sql} AS INTEGER)) AS DATE)`;
  },
  last_day: (c) => {
    arity(c, 1);
    return `last_day(${date(c.args[0].sql)})`;
  },
  year: (c) => datePart(c, 'year'),
  month: (c) => datePart(c, 'month'),
  day: (c) => datePart(c, 'day'),
  dayofmonth: (c) => datePart(c, 'day'),
  quarter: (c) => datePart(c, 'quarter'),
  weekofyear: (c) => datePart(c, 'weekofyear'),
  dayofyear: (c) => datePart(c, 'dayofyear'),
  dayofweek: (c) => {
    arity(c, 1);
    return `(dayofweek(${date(c.args[0].sql)}) + 1)`;
  },
  current_date: (c) => {
    arity(c, 0);
    return 'current_date';
  },
  current_timestamp: (c) => {
    arity(c, 0);
    return 'CAST(current_timestamp AS TIMESTAMP)';
  },
  now: (c) => {
    arity(c, 0);
    return 'CAST(current_timestamp AS TIMESTAMP)';
  },
  from_unixtime: (c) => {
    arity(c, 1, 2);
    const format = c.args[1] ? pattern(c, c.args[1], 'format') : '%Y-%m-%d %H:%M:%S';
    return `strftime(make_timestamp(CAST(${c.args[0].sql} AS BIGINT) * 1000000), ${quoteLiteral(format)})`;
  },
  // Numbers and types.
  bround: (c) => {
    arity(c, 1, 2);
    return `round_even(${c.args[0].sql}, ${c.args[1]?.sql ?? '0'})`;
  },
  cast: (c) => cast(c),
  try_cast: (c) => cast(c, true),
  // Collections and aggregates.
  array: (c) => `list_value(${c.args.map((a) => a.sql).join(', ')})`,
  explode: (c) => {
    arity(c, 1);
    return `unnest(${c.args[0].sql})`;
  },
  array_contains: (c) => {
    arity(c, 2);
    const [a, v] = c.args.map((x) => x.sql);
    return `CASE WHEN (${a}) IS NULL OR (${v}) IS NULL THEN NULL WHEN list_contains(${a}, ${v}) THEN true WHEN list_count(${a}) < len(${a}) THEN NULL ELSE false END`;
  },
  struct: (c) => `struct_pack(${c.args.map((a, i) => structField(a, i)).join(', ')})`,
  named_struct: (c) => {
    if (c.args.length % 2 !== 0) fail(c, 'expects name, value pairs');
    const parts: string[] = [];
    for (let i = 0; i < c.args.length; i += 2) {
      const name = literal(c.args[i]);
      if (name === undefined) fail(c, 'field names must be string literals');
      parts.push(`${quoteIdent(name!)} := ${c.args[i + 1].sql}`);
    }
    return `struct_pack(${parts.join(', ')})`;
  },
  get_json_object: (c) => {
    arity(c, 2);
    return `CASE WHEN json_valid(${c.args[0].sql}) THEN json_extract_string(${c.args[0].sql}, ${c.args[1].sql}) END`;
  },
  collect_list: (c) => collect(c, false),
  collect_set: (c) => collect(c, true),
  first: (c) => firstLast(c, 'first'),
  last: (c) => firstLast(c, 'last'),
  first_value: (c) => firstLast(c, 'first'),
  last_value: (c) => firstLast(c, 'last'),
  approx_count_distinct: (c) => {
    arity(c, 1, 2);
    return aggregate(c, `approx_count_distinct(${c.args[0].sql})`);
  },
  percentile_approx: (c) => percentile(c),
  approx_percentile: (c) => percentile(c),
  count: (c) => {
    // count(DISTINCT a, b): rows where every one is not NULL, distinct as a tuple.
    const first = c.args[0];
    if (c.args.length > 1 && isWord(first?.tokens[0], 'distinct')) {
      const exprs = [first.sql.replace(/^\s*distinct\s+/i, ''), ...c.args.slice(1).map((a) => a.sql)];
      return aggregate(
        c,
        `count(DISTINCT CASE WHEN ${exprs.map((e) => `(${e}) IS NOT NULL`).join(' AND ')} THEN row(${exprs.join(', ')}) END)`,
      );
    }
    return aggregate(c, `count(${c.args.map((a) => a.sql).join(', ')})`);
  },
  ...MORE_HANDLERS,
  ...ANSI_HANDLERS,
  ...JSON_HANDLERS,
  ...LAMBDA_HANDLERS,
  ...DECIMAL_HANDLERS,
  ...CAST_HANDLERS,
};

export const AGGREGATES = new Set([
  'collect_list',
  'collect_set',
  'first',
  'last',
  'first_value',
  'last_value',
  'approx_count_distinct',
  'percentile_approx',
  'approx_percentile',
  'count',
  ...WINDOW_CALLS,
  'avg',
  'sum',
]);

function substr(c: Call): string {
  // substring(s FROM p FOR n) is DuckDB's own syntax.
  if (c.args.length === 1) return `substring(${c.args[0].sql})`;
  arity(c, 2, 3);
  const [s, pos, len] = c.args.map((a) => a.sql);
  const p = intLiteral(c.args[1]);
  const start = p !== undefined ? String(p === 0 ? 1 : p) : `CASE WHEN (${pos}) = 0 THEN 1 ELSE (${pos}) END`;
  return len === undefined ? `substring(${s}, ${start})` : `substring(${s}, ${start}, ${len})`;
}

function pad(c: Call, fn: 'lpad' | 'rpad'): string {
  arity(c, 2, 3);
  const [s, n] = c.args.map((a) => a.sql);
  const with_ = c.args[2]?.sql ?? `' '`;
  // Spark: an empty pad leaves the string (cut to n).
  return `CASE WHEN (${with_}) = '' THEN left(${s}, greatest(${n}, 0)) ELSE ${fn}(${s}, ${n}, ${with_}) END`;
}

function dateShift(c: Call, op: '+' | '-'): string {
  if (c.args.length === 3) fail(c, 'the three-argument form (unit, value, expr) is not supported; use expr + INTERVAL');
  arity(c, 2);
  return `CAST(${date(c.args[0].sql)} ${op} CAST(${c.args[1].sql} AS INTEGER) AS DATE)`;
}

function datePart(c: Call, part: string): string {
  if (c.args.length !== 1) return `${c.name}(${c.args.map((a) => a.sql).join(', ')})`;
  return `${part}(${date(c.args[0].sql)})`;
}

function structField(a: Arg, i: number): string {
  const t = a.tokens;
  // struct(x AS name)
  if (t.length >= 3 && isWord(t[t.length - 2], 'as')) {
    return `${quoteIdent(t[t.length - 1].value)} := ${a.part(0, t.length - 2)}`;
  }
  // A column keeps its name (the last part of a qualified one); an expression is colN.
  const simple = t.every((x, j) => (j % 2 === 0 ? x.kind === 'ident' || x.kind === 'quoted' : x.text === '.'));
  const name = simple ? t[t.length - 1].value : `col${i + 1}`;
  return `${quoteIdent(name)} := ${a.sql}`;
}

function collect(c: Call, distinct: boolean): string {
  arity(c, 1);
  const x = c.args[0].sql;
  // Spark leaves NULLs out, and gives [] (not NULL) when nothing is left.
  const list = aggregate(c, `list(${x})`, `(${x}) IS NOT NULL`);
  return `coalesce(${distinct ? `list_distinct(${list})` : list}, [])`;
}

function firstLast(c: Call, which: 'first' | 'last'): string {
  arity(c, 1, 2);
  const flag = c.args[1] ? c.args[1].sql.trim().toLowerCase() : undefined;
  if (flag !== undefined && flag !== 'true' && flag !== 'false')
    fail(c, 'the second argument (ignoreNulls) must be true or false');
  const ignore = c.ignoreNulls ?? flag === 'true';
  const x = c.args[0].sql;
  if (c.over) {
    // In a window: first_value / last_value, which take IGNORE NULLS.
    return `${which}_value(${x}${ignore ? ' IGNORE NULLS' : ''})${c.filter ? ` FILTER (WHERE ${c.filter})` : ''} ${c.over}`;
  }
  return aggregate(c, `${which}(${x})`, ignore ? `(${x}) IS NOT NULL` : undefined);
}

function percentile(c: Call): string {
  arity(c, 2, 3);
  // Spark's answer is a value of the data (the smallest with at least that share of values at or below it): quantile_disc.
  return aggregate(c, `quantile_disc(${c.args[0].sql}, ${c.args[1].sql})`);
}
