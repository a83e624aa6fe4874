// Spark SQL functions, checked on a real DuckDB against the values Spark documents
// (https://spark.apache.org/docs/latest/api/sql/ — the examples of each function;
// session time zone UTC, ANSI mode off) and edge cases: NULLs, empty strings,
// leap days, invalid dates giving NULL.
import { describe, expect, it } from 'vitest';
import { useSession } from '../../test/helpers/harness.js';
import { LocatedError } from '../core/index.js';
import { sparkPattern, sparkToDuckdb, translateQuery } from './spark.js';

const held = useSession(1);

/** The value of a Spark SQL expression, as text (NULL as null). */
async function value(expr: string, from = ''): Promise<string | null> {
  const rows = await held.session.rows<{ v: string | null }>(
    sparkToDuckdb(`SELECT CAST((${expr}) AS VARCHAR) AS v ${from}`, { ansi: false }),
  );
  return rows[0]?.v ?? null;
}
/** Each case: [Spark expression, the value Spark gives]. */
async function check(cases: [string, string | null][]): Promise<void> {
  const got: [string, string | null][] = [];
  for (const [expr] of cases) got.push([expr, await value(expr)]);
  expect(got).toEqual(cases);
}

describe('Spark SQL: strings', () => {
  it('initcap, concat, concat_ws, split', () =>
    check([
      ["initcap('sPark sql')", 'Spark Sql'],
      ["initcap('')", ''],
      ['initcap(NULL)', null],
      ["concat('Spark', 'SQL')", 'SparkSQL'],
      ["concat('Spark', NULL)", null], // DuckDB's concat would skip the NULL
      ["concat('a', 1)", 'a1'],
      ["concat_ws(' ', 'Spark', 'SQL')", 'Spark SQL'],
      ["concat_ws(',', 'a', NULL, 'b')", 'a,b'],
      ["split('oneAtwoBthreeC', '[ABC]')", "[one, two, three, '']"], // (DuckDB's text of a list: '' is the empty string)
      ["split('a.b', '\\\\.')", '[a, b]'], // Spark-escaped regex
      ["split('', ',')", "['']"],
    ]));

  it('regexp_replace (all matches, $n groups), regexp_extract (group 1 by default, empty when no match), rlike', () =>
    check([
      ["regexp_replace('100-200', '(\\\\d+)', 'num')", 'num-num'],
      ["regexp_replace('100-200', '(\\\\d+)-(\\\\d+)', '$2-$1')", '200-100'],
      // Spark unescapes string literals before the regex sees them: '\d' is the letter d. Spark's
      // docs of regexp_extract: "Since Spark 2.0, string literals (including regex patterns) are
      // unescaped in our SQL parser"; its example writes '(\\d+)-(\\d+)'.
      ["regexp_replace('100-200', '(\\d+)-(\\d+)', '$2-$1')", '100-200'],
      ["regexp_replace(NULL, 'a', 'b')", null],
      ["regexp_extract('100-200', '(\\\\d+)-(\\\\d+)', 1)", '100'],
      ["regexp_extract('100-200', '(\\\\d+)-(\\\\d+)')", '100'],
      ["regexp_extract('100-200', '(\\d+)-(\\d+)')", ''],
      ["regexp_extract('d1', '(\\d)')", 'd'],
      ["regexp_extract('abc', '(\\\\d+)', 1)", ''],
      ["'%SystemDrive%\\Users\\John' rlike '%SystemDrive%.*John'", 'true'],
      ["'abc' RLIKE 'b'", 'true'], // a search, not a whole match
      ["'abc' NOT RLIKE '^b'", 'true'],
      ["rlike('abc', 'c$')", 'true'],
    ]));

  it('substring/substr, instr, locate, lpad, rpad, translate, trim, sha2, md5', () =>
    check([
      ["substr('Spark SQL', 5)", 'k SQL'],
      ["substr('Spark SQL', -3)", 'SQL'],
      ["substr('Spark SQL', 5, 1)", 'k'],
      ["substring('Spark SQL', 0, 2)", 'Sp'], // position 0 is 1 in Spark
      ["substring('', 1, 2)", ''],
      ["instr('SparkSQL', 'SQL')", '6'],
      ["instr('SparkSQL', 'x')", '0'],
      ["locate('bar', 'foobarbar')", '4'],
      ["locate('bar', 'foobarbar', 5)", '7'],
      ["locate('bar', 'foobarbar', 0)", '0'],
      ["lpad('hi', 5, '??')", '???hi'],
      ["lpad('hi', 1, '??')", 'h'],
      ["lpad('hi', 5)", '   hi'],
      ["lpad('hi', 5, '')", 'hi'],
      ["rpad('hi', 5, '??')", 'hi???'],
      ["rpad('hi', 1, '??')", 'h'],
      ["rpad('hi', 5)", 'hi   '],
      ["translate('AaBbCc', 'abc', '123')", 'A1B2C3'],
      ["trim('    SparkSQL   ')", 'SparkSQL'],
      ["ltrim('    SparkSQL   ')", 'SparkSQL   '],
      ["rtrim('    SparkSQL   ')", '    SparkSQL'],
      ["trim(BOTH 'SL' FROM 'SSparkSQLS')", 'parkSQ'],
      ["sha2('Spark', 256)", '529bc3b07127ecb7e53a4dcf1991d9152c24537d919178022b2c42657f79a26b'],
      ["sha2('Spark', 0)", '529bc3b07127ecb7e53a4dcf1991d9152c24537d919178022b2c42657f79a26b'],
      ['sha2(NULL, 256)', null],
      ["md5('Spark')", '8cde774d6f7333752ed72cacddb05126'],
    ]));
});

describe('Spark SQL: nulls and conditions', () => {
  it('nvl, nvl2, ifnull, nullif, coalesce, if', () =>
    check([
      ["nvl(NULL, array('2'))", '[2]'],
      ['nvl(1, 2)', '1'],
      ['nvl2(NULL, 2, 1)', '1'],
      ['nvl2(0, 2, 1)', '2'],
      ["ifnull(NULL, array('2'))", '[2]'],
      ['nullif(2, 2)', null],
      ['nullif(2, 3)', '2'],
      ['coalesce(NULL, 1, NULL)', '1'],
      ["if(1 < 2, 'a', 'b')", 'a'],
      ["if(NULL, 'a', 'b')", 'b'],
    ]));
});

describe('Spark SQL: dates and times (session time zone UTC)', () => {
  it('to_date, to_timestamp, try_to_timestamp, date_format with datetime patterns', () =>
    check([
      ["to_date('2009-07-30 04:17:52')", '2009-07-30'],
      ["to_date('2016-12-31', 'yyyy-MM-dd')", '2016-12-31'],
      ["to_date('31/12/2016', 'dd/MM/yyyy')", '2016-12-31'],
      ["to_date('29/02/2024', 'dd/MM/yyyy')", '2024-02-29'], // a leap day
      ["to_date('29/02/2023', 'dd/MM/yyyy')", null], // not one: NULL, not an error
      ["to_date('2016-12-31', 'dd/MM/yyyy')", null],
      ["to_date('not a date')", null],
      ["to_date('')", null],
      ['to_date(NULL)', null],
      ["to_date('Jan 5 2024', 'MMM d yyyy')", '2024-01-05'],
      ["to_date('Friday, 5 January 2024', 'EEEE, d MMMM yyyy')", '2024-01-05'],
      ["to_timestamp('2016-12-31 00:12:00')", '2016-12-31 00:12:00'],
      ["to_timestamp('2016-12-31', 'yyyy-MM-dd')", '2016-12-31 00:00:00'],
      ["to_timestamp('2016-12-31 13:05:09.123', 'yyyy-MM-dd HH:mm:ss.SSS')", '2016-12-31 13:05:09.123'],
      ["to_timestamp('12/31/2016 01:05 PM', 'MM/dd/yyyy hh:mm a')", '2016-12-31 13:05:00'],
      ["try_to_timestamp('foo', 'yyyy-MM-dd')", null],
      ["to_date(TIMESTAMP '2016-12-31 10:00:00', 'dd/MM/yyyy')", '2016-12-31'], // a timestamp is taken as it is
      ["date_format('2016-04-08', 'y')", '2016'],
      ["date_format(DATE '2024-01-05', 'EEEE dd MMM yyyy')", 'Friday 05 Jan 2024'],
      ["date_format(DATE '2024-01-05', 'E d/M/yy')", 'Fri 5/1/24'],
      // A quote inside a Spark pattern: a double-quoted literal, or \' (a doubled '' ends the literal).
      ["date_format(TIMESTAMP '2024-01-05 13:04:05', \"yyyy-MM-dd'T'HH:mm:ss\")", '2024-01-05T13:04:05'],
      ["date_format(TIMESTAMP '2024-01-05 13:04:05', 'yyyy-MM-dd\\'T\\'HH:mm:ss')", '2024-01-05T13:04:05'],
      ["date_format(TIMESTAMP '2024-01-05 13:04:05', 'hh:mm a')", '01:04 PM'],
      ["date_format(NULL, 'yyyy')", null],
    ]));

  it('date_trunc, trunc, date_add, date_sub, datediff, months_between, add_months, last_day', () =>
    check([
      ["date_trunc('YEAR', '2015-03-05T09:32:05.359')", '2015-01-01 00:00:00'],
      ["date_trunc('MM', '2015-03-05T09:32:05.359')", '2015-03-01 00:00:00'],
      ["date_trunc('MONTH', DATE '2015-03-05')", '2015-03-01 00:00:00'],
      ["date_trunc('DD', '2015-03-05T09:32:05.359')", '2015-03-05 00:00:00'],
      ["date_trunc('HOUR', '2015-03-05T09:32:05.359')", '2015-03-05 09:00:00'],
      ["date_trunc('bogus', '2015-03-05')", null],
      ["trunc('2019-08-04', 'week')", '2019-07-29'],
      ["trunc('2019-08-04', 'quarter')", '2019-07-01'],
      ["trunc('2009-02-12', 'MM')", '2009-02-01'],
      ["trunc('2015-10-27', 'YEAR')", '2015-01-01'],
      ["trunc('2015-10-27', 'DD')", null], // not a unit of trunc
      ['trunc(12.7)', '12'], // the numeric trunc is DuckDB's
      ["date_add('2016-07-30', 1)", '2016-07-31'],
      ["date_add('2024-02-28', 1)", '2024-02-29'],
      ["date_sub('2016-07-30', 1)", '2016-07-29'],
      ["date_add('2016-13-01', 1)", null],
      ["datediff('2009-07-31', '2009-07-30')", '1'],
      ["datediff('2009-07-30', '2009-07-31')", '-1'],
      ["datediff('2024-03-01', '2024-02-28')", '2'],
      ["months_between('1997-02-28 10:30:00', '1996-10-30')", '3.94959677'],
      ["months_between('1997-02-28 10:30:00', '1996-10-30', false)", '3.9495967741935485'],
      ["months_between('2024-03-31', '2024-02-29')", '1.0'], // both last days of their months
      ["add_months('2016-08-31', 1)", '2016-09-30'],
      ["add_months('2024-01-31', 1)", '2024-02-29'],
      ["add_months('2016-08-31', -1)", '2016-07-31'],
      ["last_day('2009-01-12')", '2009-01-31'],
      ["last_day('2024-02-10')", '2024-02-29'],
    ]));

  it('year, month, dayofmonth, dayofweek (Sunday = 1), weekofyear, quarter, unix_timestamp, from_unixtime', () =>
    check([
      ["year('2016-07-30')", '2016'],
      ["month('2016-07-30')", '7'],
      ["dayofmonth('2009-07-30')", '30'],
      ["dayofweek('2009-07-30')", '5'],
      ["dayofweek('2024-01-07')", '1'],
      ["weekofyear('2008-02-20')", '8'],
      ["quarter('2016-08-31')", '3'],
      ["year('not a date')", null],
      ["unix_timestamp('2016-04-08', 'yyyy-MM-dd')", '1460073600'],
      ["unix_timestamp('2016-04-08 00:00:01')", '1460073601'],
      ["unix_timestamp('garbage')", null],
      ["from_unixtime(0, 'yyyy-MM-dd HH:mm:ss')", '1970-01-01 00:00:00'],
      ['from_unixtime(1460073600)', '2016-04-08 00:00:00'],
      ['current_date() = current_date', 'true'],
      ['typeof(current_timestamp())', 'TIMESTAMP'],
    ]));
});

describe('Spark SQL: numbers and casts', () => {
  it('round (half up), bround (half even), cast with ANSI off', () =>
    check([
      ['round(2.5, 0)', '3'],
      ['round(-2.5, 0)', '-3'],
      ['round(2.675::DOUBLE, 2)', '2.68'],
      ['round(25, -1)', '30'],
      // (bround's result is a DOUBLE here, a DECIMAL in Spark: the values are compared.)
      ['bround(2.5, 0) = 2', 'true'],
      ['bround(3.5, 0) = 4', 'true'],
      ['bround(-2.5, 0) = -2', 'true'],
      ['bround(25, -1) = 20', 'true'],
      ["cast('10' AS INT)", '10'],
      ["cast(' 10 ' AS INT)", '10'],
      ["cast('12.5' AS INT)", '12'], // truncated, as Spark; DuckDB would round to 13
      ['cast(12.7 AS INT)', '12'],
      ['cast(-12.7 AS BIGINT)', '-12'],
      ["cast('abc' AS INT)", null],
      ["cast('' AS INT)", null],
      ["cast('12345678901' AS INT)", null],
      ["cast('1.005' AS DECIMAL(10,2))", '1.01'],
      ["cast('x' AS DECIMAL(10,2))", null],
      ["cast('3.5' AS DOUBLE)", '3.5'],
      ['cast(1 AS STRING)', '1'],
      ["cast('2024-02-29' AS DATE)", '2024-02-29'],
      ["cast('2023-02-29' AS DATE)", null],
      ["cast('2024-01-05 10:00:00' AS DATE)", '2024-01-05'],
      ["cast('2024-01-05 10:00:00' AS TIMESTAMP)", '2024-01-05 10:00:00'],
      ["cast('nope' AS TIMESTAMP)", null],
      ["try_cast('nope' AS INT)", null],
      ['cast(NULL AS INT)', null],
    ]));
});

describe('Spark SQL: collections and aggregates', () => {
  it('explode, collect_list, collect_set, array_contains, size, struct, named_struct, get_json_object', async () => {
    expect(await held.session.rows(sparkToDuckdb('SELECT explode(array(10, 20)) AS v'))).toEqual([
      { v: 10 },
      { v: 20 },
    ]);
    await check([
      ['array_contains(array(1, 2, 3), 2)', 'true'],
      ['array_contains(array(1, 2, 3), 4)', 'false'],
      ['array_contains(array(1, NULL), 3)', null],
      ['array_contains(NULL, 3)', null],
      ["size(array('b', 'd', 'c', 'a'))", '4'],
      ['size(NULL)', '-1'],
      ["named_struct('a', 1, 'b', 2)", "{'a': 1, 'b': 2}"],
      ['struct(1 AS x, 2 AS y)', "{'x': 1, 'y': 2}"],
      ['struct(1, 2)', "{'col1': 1, 'col2': 2}"],
      ['get_json_object(\'{"a":"b"}\', \'$.a\')', 'b'],
      ['get_json_object(\'{"a":{"b":1}}\', \'$.a\')', '{"b":1}'],
      ["get_json_object('not json', '$.a')", null],
      ["get_json_object('{\"a\":1}', '$.zz')", null],
    ]);
    const agg = async (sql: string) => (await held.session.rows<Record<string, unknown>>(sparkToDuckdb(sql)))[0];
    expect(
      await agg(
        'SELECT CAST(collect_list(c) AS VARCHAR) AS l, CAST(list_sort(collect_set(c)) AS VARCHAR) AS s FROM (VALUES (1), (2), (NULL), (1)) AS t(c)',
      ),
    ).toEqual({ l: '[1, 2, 1]', s: '[1, 2]' });
    expect(await agg('SELECT CAST(collect_list(c) AS VARCHAR) AS l FROM (VALUES (NULL::INT)) AS t(c)')).toEqual({
      l: '[]',
    });
    expect(await agg('SELECT first(c) AS f, last(c) AS l FROM (VALUES (10), (5), (20)) AS t(c)')).toEqual({
      f: 10,
      l: 20,
    });
    expect(
      await agg('SELECT first(c, true) AS f, last(c, true) AS l FROM (VALUES (NULL), (5), (20), (NULL)) AS t(c)'),
    ).toEqual({ f: 5, l: 20 });
    expect(await agg('SELECT first(c) IGNORE NULLS AS f FROM (VALUES (NULL), (5)) AS t(c)')).toEqual({ f: 5 });
    expect(await agg('SELECT approx_count_distinct(c) AS n FROM (VALUES (1), (1), (2), (2), (3)) AS t(c)')).toEqual({
      n: 3n,
    });
    expect(
      await agg('SELECT percentile_approx(c, 0.5, 100) AS p FROM (VALUES (0), (6), (7), (9), (10)) AS t(c)'),
    ).toEqual({ p: 7 });
    expect(
      await agg(
        'SELECT CAST(percentile_approx(c, array(0.5, 0.4, 0.1), 100) AS VARCHAR) AS p FROM (VALUES (0), (1), (2), (10)) AS t(c)',
      ),
    ).toEqual({ p: '[1, 1, 0]' });
    expect(
      await agg(
        'SELECT count(DISTINCT a, b) AS n, count(DISTINCT a) AS m FROM (VALUES (1, 2), (1, 2), (1, NULL), (2, 3)) AS t(a, b)',
      ),
    ).toEqual({ n: 2n, m: 2n });
    expect(
      await agg(
        'SELECT CAST(list_sort(collect_set(c) FILTER (WHERE c > 1)) AS VARCHAR) AS s FROM (VALUES (1), (2), (3)) AS t(c)',
      ),
    ).toEqual({ s: '[2, 3]' });
    const w = await held.session.rows(
      sparkToDuckdb(
        'SELECT i, first(c, true) OVER (ORDER BY i ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS f FROM (VALUES (1, NULL), (2, 7)) AS t(i, c) ORDER BY i',
      ),
    );
    expect(w).toEqual([
      { i: 1, f: 7 },
      { i: 2, f: 7 },
    ]);
  });
});

describe('Spark SQL: identifiers, patterns and what is refused', () => {
  it('backtick-quoted identifiers; nothing inside strings or comments is touched', async () => {
    expect(
      await held.session.rows(
        sparkToDuckdb('SELECT `order id` + 1 AS `next id` FROM (SELECT 1 AS "order id") -- concat(x)'),
      ),
    ).toEqual([{ 'next id': 2 }]);
    expect(sparkToDuckdb("SELECT 'concat(a, b)', x FROM t")).toBe("SELECT 'concat(a, b)', x FROM t");
    expect(sparkToDuckdb('SELECT a.first(x) FROM t')).toBe('SELECT a.first(x) FROM t');
  });

  it('translates datetime patterns, and names what it does not support', () => {
    expect(sparkPattern('yyyy-MM-dd HH:mm:ss.SSS')).toBe('%Y-%m-%d %H:%M:%S.%g');
    expect(sparkPattern("EEEE, d MMMM yy 'at' h a")).toBe('%A, %-d %B %y at %-I %p');
    expect(sparkPattern("'100%' yyyy")).toBe('100%% %Y');
    expect(() => sparkPattern('yyyy-ww')).toThrow("pattern letters 'ww' in 'yyyy-ww' are not supported");
    expect(() => sparkPattern('QQ yyyy')).toThrow("pattern letters 'QQ'");
    const refused = (sql: string) => {
      try {
        sparkToDuckdb(sql);
      } catch (err) {
        return [(err as LocatedError).message, (err as LocatedError).offset];
      }
      return undefined;
    };
    expect(refused("SELECT date_format(d, 'yyyy G') FROM t")).toEqual([
      "date_format: pattern letters 'G' in 'yyyy G' are not supported",
      22,
    ]);
    expect(refused('SELECT to_date(s, fmt) FROM t')).toEqual([
      'to_date: the datetime pattern must be a string literal',
      7,
    ]);
    expect(refused('SELECT sha2(s, 512) FROM t')).toEqual(['sha2: SHA-512 is not supported (only sha2(x, 256))', 7]);
    expect(refused("SELECT split(s, ',', n) FROM t")).toEqual(['split: the limit must be an integer literal', 7]);
    expect(refused("SELECT regexp_extract(s, 'f[0-9]') FROM t")).toEqual([
      "regexp_extract: the pattern 'f[0-9]' has no group 1 (Spark's default index is 1); pass 0 for the whole match",
      7,
    ]);
    expect(refused('SELECT date_trunc(u, d) FROM t')).toEqual([
      "date_trunc: the unit must be a string literal (such as 'MONTH')",
      7,
    ]);
  });

  it('sorts NULLs first ascending and last descending unless told (Spark), in queries, windows and aggregates', async () => {
    // Spark's SortOrder (sql/catalyst/.../expressions/SortOrder.scala): Ascending's default null
    // ordering is NullsFirst, Descending's NullsLast; DuckDB puts NULLs last in both.
    const { executeQuery } = await import('./execute.js');
    const run = async (sql: string) => (await executeQuery(held.session, sql)).rows;
    const t = `(SELECT * FROM (VALUES (1, 'a'), (NULL, 'b'), (2, 'c')) AS v(x, s))`;
    expect(await run(`SELECT x FROM ${t} ORDER BY x`)).toEqual([[null], [1], [2]]);
    expect(await run(`SELECT x FROM ${t} ORDER BY x ASC LIMIT 2`)).toEqual([[null], [1]]);
    expect(await run(`SELECT x FROM ${t} ORDER BY x DESC`)).toEqual([[2], [1], [null]]);
    expect(await run(`SELECT x FROM ${t} ORDER BY x NULLS LAST`)).toEqual([[1], [2], [null]]);
    expect(await run(`SELECT x FROM ${t} ORDER BY s DESC, x`)).toEqual([[2], [null], [1]]);
    expect(await run(`SELECT s, row_number() OVER (ORDER BY x) AS n FROM ${t} ORDER BY s`)).toEqual([
      ['a', 2],
      ['b', 1],
      ['c', 3],
    ]);
    expect(
      await run(
        `SELECT collect_list(s) OVER (ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS l FROM ${t} ORDER BY x LIMIT 1`,
      ),
    ).toEqual([[['b']]]);
    expect(await run(`SELECT string_agg(s, ',' ORDER BY x) FROM ${t}`)).toEqual([['b,a,c']]);
    // Text in strings is not touched.
    expect(await run(`SELECT 'ORDER BY x' AS q`)).toEqual([['ORDER BY x']]);
  });

  it('SELECT * EXCEPT (columns) leaves them out (Databricks), and EXCEPT between queries is still the set operator', async () => {
    // Databricks SQL reference, SELECT: "* [ except_clause ]" — except_clause: EXCEPT ( { column_name | field_name } [, ...] ).
    const { executeQuery } = await import('./execute.js');
    const run = async (sql: string) => (await executeQuery(held.session, sql)).rows;
    const t = `(SELECT 1 AS a, 2 AS b, 3 AS c)`;
    expect(await run(`SELECT * EXCEPT (b) FROM ${t}`)).toEqual([[1, 3]]);
    expect(await run(`SELECT x.* EXCEPT (a, c) FROM ${t} AS x`)).toEqual([[2]]);
    expect(await run(`SELECT * FROM ${t} EXCEPT SELECT 1, 2, 4`)).toEqual([[1, 2, 3]]);
  });

  it('reads "..." as a string, as Spark does (backticks quote names), with backslash escapes', async () => {
    // Spark's lexer (SqlBaseLexer.g4): STRING_LITERAL '...' and DOUBLEQUOTED_STRING "...", both
    // with backslash escapes; BACKQUOTED_IDENTIFIER `...`. Adjacent literals are concatenated.
    const { executeQuery } = await import('./execute.js');
    const run = async (sql: string) => (await executeQuery(held.session, sql)).rows;
    expect(await run(`SELECT * FROM (SELECT 'DELETE' AS op) WHERE op = "DELETE"`)).toEqual([['DELETE']]);
    expect(await run('SELECT `op` FROM (SELECT "x" AS op)')).toEqual([['x']]);
    expect(await run(`SELECT 'a\\tb', "it\\'s", 'it''s', 'x' "y", r'\\d', '\\u0041\\101', 'a\\%'`)).toEqual([
      ['a\tb', "it's", 'its', 'xy', '\\d', 'AA', 'a\\%'],
    ]);
  });
});

describe('Spark SQL: errors in the user’s own words', () => {
  const failure = async (sql: string) => {
    const { executeQuery } = await import('./execute.js');
    return (await executeQuery(held.session, sql).catch((e) => e)) as LocatedError;
  };

  it('an unsupported form is a LocatedError (SQL_UNSUPPORTED) placed in the query', () => {
    const sql = "SELECT 1,\n  date_format(d, 'yyyy G') FROM t";
    const err = (() => {
      try {
        translateQuery(sql);
      } catch (e) {
        return e as LocatedError;
      }
    })()!;
    expect(err).toBeInstanceOf(LocatedError);
    expect(err.code).toBe('SQL_UNSUPPORTED');
    expect(err.message).toBe("date_format: pattern letters 'G' in 'yyyy G' are not supported (line 2, column 18)");
  });

  it('DuckDB refusing a rewritten function: the user’s function and line, not the rewrite', async () => {
    // (A number to split is read as its text, as Spark casts it; an array pattern is refused by both.)
    const err = await failure("SELECT element_at(split('a,b', array(1)), 1)");
    expect(err).toBeInstanceOf(LocatedError);
    expect(err.code).toBe('SQL_ERROR');
    expect(err.message).toContain("'split(STRING_LITERAL, INTEGER[])'");
    expect(err.message).not.toMatch(/regexp_split_to_array/);
    expect(err.message).toContain("LINE 1: SELECT element_at(split('a,b', array(1)), 1)\n                          ^");
    // The rewritten text DuckDB ran is still there for --verbose.
    expect((err.cause as { sql: string }).sql).toContain('regexp_split_to_array');
  });

  it('the issue’s element_at(split(...)) and split(...)[0]: Spark’s values, and an error in the user’s text for a text index', async () => {
    const { executeQuery } = await import('./execute.js');
    // Spark: element_at is 1-based, the subscript 0-based (both give the first element here).
    expect(
      (await executeQuery(held.session, "SELECT element_at(split('a,b', ','), 1), split('a,b', ',')[0]")).rows,
    ).toEqual([['a', 'a']]);
    const err = await failure("SELECT element_at(split('a,b', ','), 'x')");
    expect(err.message).toMatch(/^Conversion Error: Could not convert string 'x' to INT64/);
    expect(err.message).toContain("LINE 1: SELECT element_at(split('a,b', ','), 'x')");
    expect(err.message).not.toMatch(/regexp_split_to_array/);
  });

  it('arr[i] counts from 0 as in Spark; map keys, slices and DuckDB list literals are left as written', async () => {
    const { executeQuery } = await import('./execute.js');
    const run = async (sql: string) => (await executeQuery(held.session, sql)).rows;
    expect(
      await run(
        "SET spark.sql.ansi.enabled = false; SELECT array(10, 20, 30)[0], array(10, 20, 30)[2], array(10, 20, 30)[3], split('a b', ' ')[1]",
      ),
    ).toEqual([[10, 30, null, 'b']]);
    expect(await run("SELECT map('a', 1)['a'], [7, 8, 9][1:2], x[1 + 1] FROM (SELECT array(1, 2, 3) AS x)")).toEqual([
      [1, [7, 8], 3],
    ]);
  });

  it('places the caret in the user’s line on any line of the statement, next to rewritten calls', async () => {
    const err = await failure("SELECT nvl(1, 2) AS a,\n  to_date('2020-01-01', 'yyyy-MM-dd') + 'x' AS b");
    expect(err.message).toMatch(/\+\(DATE, STRING_LITERAL\)/);
    expect(err.message).toContain(
      "LINE 2:   to_date('2020-01-01', 'yyyy-MM-dd') + 'x' AS b\n                                              ^",
    );
    expect(err.message).not.toMatch(/strptime|TRY_CAST|coalesce/);
    expect(err.position).toEqual({ line: 2, column: 39 });
  });

  it('a statement that does not parse is SQL_SYNTAX, in DuckDB’s words', async () => {
    const err = await failure('SELEC 1');
    expect(err.code).toBe('SQL_SYNTAX');
    expect(err.message).toBe('Parser Error: syntax error at or near "SELEC"\n\nLINE 1: SELEC 1\n        ^');
  });

  it('a statement among several is shown as written, with its own lines', async () => {
    const err = await failure('SELECT 1;\nSELECT `a b` FROM (SELECT 1 AS x)');
    expect(err.message).toContain('LINE 1: SELECT `a b` FROM (SELECT 1 AS x)\n               ^');
  });
});
