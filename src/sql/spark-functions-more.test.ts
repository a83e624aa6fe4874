// More Spark SQL functions (issue 19), each checked on a real DuckDB against the example
// Spark's function reference gives (https://spark.apache.org/docs/latest/api/sql/, ANSI mode off).
import { describe, expect, it } from 'vitest';
import { useSession } from '../../test/helpers/harness.js';
import { sparkToDuckdb } from './spark.js';

const held = useSession(1);

async function check(cases: [string, string | null][]): Promise<void> {
  const got: [string, string | null][] = [];
  for (const [expr] of cases) {
    const rows = await held.session.rows<{ v: string | null }>(
      sparkToDuckdb(`SELECT CAST((${expr}) AS VARCHAR) AS v`, { ansi: false }),
    );
    got.push([expr, rows[0]?.v ?? null]);
  }
  expect(got).toEqual(cases);
}

describe('Spark SQL: arithmetic without failures', () => {
  it('pmod, try_add, try_subtract, try_multiply, try_divide, width_bucket', () =>
    check([
      ['pmod(10, 3)', '1'],
      ['pmod(-10, 3)', '2'],
      ['pmod(7, 0)', null],
      ['try_add(1, 2)', '3'],
      ['try_add(2147483647, 1)', null],
      ["try_add(date'2021-01-01', 1)", '2021-01-02'],
      // (Spark types the literal -2147483648 as INT; DuckDB as BIGINT: the cast makes the docs' case.)
      ['try_subtract(CAST(-2147483648 AS INT), 1)', null],
      ['try_multiply(CAST(-2147483648 AS INT), 10)', null],
      ['try_divide(3, 2)', '1.5'],
      ['try_divide(1, 0)', null],
      ['width_bucket(5.3, 0.2, 10.6, 5)', '3'],
      ['width_bucket(-2.1, 1.3, 3.4, 3)', '0'],
      ['width_bucket(8.1, 0.0, 5.7, 4)', '5'],
      ['width_bucket(-0.9, 5.2, 0.5, 2)', '3'],
    ]));
});

describe('Spark SQL: strings and conditionals', () => {
  it('btrim, regexp_like, elt, decode', () =>
    check([
      ["btrim('    SparkSQL   ')", 'SparkSQL'],
      ["btrim('SSparkSQLS', 'SL')", 'parkSQ'],
      ["regexp_like('%SystemDrive%\\\\Users\\\\John', '%SystemDrive%\\\\\\\\Users.*')", 'true'],
      ["elt(1, 'scala', 'java')", 'scala'],
      ["elt(3, 'scala', 'java')", null],
      ["decode(2, 1, 'Southlake', 2, 'San Francisco', 3, 'New Jersey', 4, 'Seattle', 'Non domestic')", 'San Francisco'],
      ["decode(6, 1, 'Southlake', 2, 'San Francisco', 3, 'New Jersey', 4, 'Seattle', 'Non domestic')", 'Non domestic'],
      ["decode(6, 1, 'Southlake', 2, 'San Francisco', 3, 'New Jersey', 4, 'Seattle')", null],
      ["decode(null, 6, 'Spark', NULL, 'SQL', 4, 'rocks')", 'SQL'],
    ]));

  it('every, any, some as aggregates; EXISTS, = ANY and FILTER (WHERE ...) as SQL has them', async () => {
    const rows = await held.session.rows(
      sparkToDuckdb(
        `SELECT every(x) AS e, any(x) AS a, some(x) AS s, count(*) FILTER (WHERE x) AS n,
                EXISTS (SELECT 1) AS ex, 1 = ANY (SELECT 1) AS an
         FROM (VALUES (true), (false), (true)) AS t(x)`,
      ),
    );
    expect(rows).toEqual([{ e: false, a: true, s: true, n: 2n, ex: true, an: true }]);
  });
});

describe('Spark SQL: arrays, maps and higher-order functions', () => {
  it('sort_array, element_at, map, sequence', () =>
    check([
      ["sort_array(array('b', 'd', null, 'c', 'a'), true)", '[NULL, a, b, c, d]'],
      ["sort_array(array('b', 'd', null, 'c', 'a'), false)", '[d, c, b, a, NULL]'],
      ['element_at(array(1, 2, 3), 2)', '2'],
      ['element_at(array(1, 2, 3), -1)', '3'],
      ['element_at(array(1, 2, 3), 5)', null],
      ["element_at(map(1, 'a', 2, 'b'), 2)", 'b'],
      ["map(1.0, '2', 3.0, '4')[3.0]", '4'],
      ['sequence(1, 5)', '[1, 2, 3, 4, 5]'],
      ['sequence(5, 1)', '[5, 4, 3, 2, 1]'],
      [
        "sequence(to_date('2018-01-01'), to_date('2018-03-01'), interval 1 month)",
        '[2018-01-01, 2018-02-01, 2018-03-01]',
      ],
    ]));

  it('transform, filter, exists, forall, aggregate (with and without finish)', () =>
    check([
      ['transform(array(1, 2, 3), x -> x + 1)', '[2, 3, 4]'],
      ['filter(array(1, 2, 3), x -> x % 2 == 1)', '[1, 3]'],
      ['exists(array(1, 2, 3), x -> x % 2 == 0)', 'true'],
      ['exists(array(1, 2, 3), x -> x % 2 == 10)', 'false'],
      ['forall(array(1, 2, 3), x -> x % 2 == 0)', 'false'],
      ['aggregate(array(1, 2, 3), 0, (acc, x) -> acc + x)', '6'],
      ['aggregate(array(1, 2, 3), 0, (acc, x) -> acc + x, acc -> acc * 10)', '60'],
    ]));

  it('refuses a lambda with an index (0-based in Spark, 1-based in DuckDB) rather than shifting it', () => {
    expect(() => sparkToDuckdb('SELECT transform(array(1, 2), (x, i) -> x + i)')).toThrow(
      /transform: a lambda with an index parameter/,
    );
  });
});

describe('Spark SQL: typed literals', () => {
  it("1L, 2S, 3Y, 1.5D, 1.5F and 1.50BD have Spark's types (SqlBaseLexer.g4)", async () => {
    const rows = await held.session.rows(
      sparkToDuckdb(
        'SELECT typeof(1L) AS l, typeof(2S) AS s, typeof(3Y) AS y, typeof(1.5D) AS d, typeof(1.5F) AS f, typeof(1.50BD) AS bd, typeof(0.05BD) AS small, 7L + 1 AS v',
      ),
    );
    expect(rows).toEqual([
      {
        l: 'BIGINT',
        s: 'SMALLINT',
        y: 'TINYINT',
        d: 'DOUBLE',
        f: 'FLOAT',
        bd: 'DECIMAL(3,2)',
        small: 'DECIMAL(2,2)',
        v: 8n,
      },
    ]);
    // A column or alias that merely starts after a number is left alone.
    expect(sparkToDuckdb('SELECT 1 AS L')).toBe('SELECT 1 AS L');
  });

  it("TIMESTAMP_NTZ '...', TIMESTAMP_LTZ '...' and X'00FF' (SqlBaseParser's literalType and binary constants)", async () => {
    const rows = await held.session.rows(
      sparkToDuckdb(
        "SELECT typeof(TIMESTAMP_NTZ '2024-01-01 10:00:00') AS ntz, CAST(TIMESTAMP_NTZ '2024-01-01 10:00:00' AS VARCHAR) AS v, typeof(TIMESTAMP_LTZ '2024-01-01 10:00:00') AS ltz, hex(X'00FF') AS bin, typeof(X'00ff') AS bt",
      ),
    );
    expect(rows).toEqual([
      { ntz: 'TIMESTAMP', v: '2024-01-01 10:00:00', ltz: 'TIMESTAMP WITH TIME ZONE', bin: '00FF', bt: 'BLOB' },
    ]);
    // A column named x, and a string after it, are left alone.
    expect(sparkToDuckdb("SELECT x, x 'a' FROM t")).not.toContain('from_hex');
  });
});

describe('Spark SQL: datetime arithmetic in whole units, and the date/timestamp family', () => {
  it('timestampdiff / datediff(unit, ...) count whole units; timestampadd / dateadd(unit, ...) add them', () =>
    check([
      // Databricks' datediff(unit) examples: a month not yet complete is 0.
      ["timestampdiff(MONTH, TIMESTAMP'2021-02-28 12:00:00', TIMESTAMP'2021-03-28 11:59:59')", '0'],
      ["timestampdiff(MONTH, TIMESTAMP'2021-02-28 12:00:00', TIMESTAMP'2021-03-28 12:00:00')", '1'],
      ["timestampdiff(YEAR, DATE'2021-01-01', DATE'1900-03-28')", '-120'],
      ["datediff(DAY, DATE'2024-01-01', DATE'2024-03-01')", '60'],
      ["datediff(HOUR, TIMESTAMP'2024-01-01 00:00:00', TIMESTAMP'2024-01-01 05:59:59')", '5'],
      ["datediff('2009-07-31', '2009-07-30')", '1'],
      ["timestampadd(HOUR, 8, TIMESTAMP'2022-02-11 20:30:00')", '2022-02-12 04:30:00'],
      ["timestampadd(MONTH, 1, TIMESTAMP'2022-01-31 00:00:00')", '2022-02-28 00:00:00'],
      ["dateadd(DAY, -3, DATE'2022-03-01')", '2022-02-26 00:00:00'],
    ]));

  it('make_date, make_timestamp, timestamp_seconds/millis/micros, unix_*, next_day', () =>
    check([
      ['make_date(2013, 7, 15)', '2013-07-15'],
      ['make_date(2019, 7, NULL)', null],
      ['make_date(2019, 13, 1)', null],
      ['make_timestamp(2014, 12, 28, 6, 30, 45.887)', '2014-12-28 06:30:45.887'],
      ['timestamp_seconds(1230219000)', '2008-12-25 15:30:00'],
      ['timestamp_millis(1230219000123)', '2008-12-25 15:30:00.123'],
      ['timestamp_micros(1230219000123123)', '2008-12-25 15:30:00.123123'],
      ["unix_seconds(TIMESTAMP'1970-01-01 00:00:01')", '1'],
      ["unix_millis(TIMESTAMP'1970-01-01 00:00:01')", '1000'],
      ["unix_date(DATE'1970-01-02')", '1'],
      ['date_from_unix_date(1)', '1970-01-02'],
      ["next_day('2015-01-14', 'TU')", '2015-01-20'],
      ["next_day('2015-01-14', 'Wednesday')", '2015-01-21'],
      ["next_day('2015-01-14', 'xx')", null],
    ]));

  it('cast functions: int(x), bigint, double, string, boolean, date, timestamp with CAST’s rules', () =>
    check([
      ["int('12.5')", '12'],
      ["bigint('x')", null],
      ['double(1)', '1.0'],
      ['string(42)', '42'],
      ["boolean('true')", 'true'],
      ["date('2024-01-05 10:00:00')", '2024-01-05'],
      ["timestamp('2024-01-05')", '2024-01-05 00:00:00'],
      ["to_timestamp_ntz('2016-12-31 00:12:00')", '2016-12-31 00:12:00'],
    ]));
});

describe('Spark SQL: GROUP BY ... WITH ROLLUP / WITH CUBE, and Databricks-only functions', () => {
  it('WITH ROLLUP and WITH CUBE add the subtotal rows (sorted with NULLs first, as Spark)', async () => {
    const t = `(SELECT * FROM (VALUES ('a', 'x', 1), ('a', 'y', 2), ('b', 'x', 3)) AS v(city, model, q))`;
    const run = async (sql: string) => (await held.session.rows(sparkToDuckdb(sql))).map((r) => Object.values(r));
    // Spark's docs (GROUP BY clause): GROUP BY city, car_model WITH ROLLUP = ROLLUP (city, car_model).
    expect(
      await run(`SELECT city, model, sum(q) AS s FROM ${t} GROUP BY city, model WITH ROLLUP ORDER BY city, model`),
    ).toEqual([
      [null, null, 6n],
      ['a', null, 3n],
      ['a', 'x', 1n],
      ['a', 'y', 2n],
      ['b', null, 3n],
      ['b', 'x', 3n],
    ]);
    expect(
      await run(
        `SELECT city, model, sum(q) AS s FROM ${t} GROUP BY city, model WITH CUBE HAVING city IS NULL ORDER BY model`,
      ),
    ).toEqual([
      [null, null, 6n],
      [null, 'x', 4n],
      [null, 'y', 2n],
    ]);
  });

  it('refuses Databricks-only functions in one message', () => {
    expect(() => sparkToDuckdb("SELECT ai_analyze_sentiment('great')")).toThrow(
      /ai_analyze_sentiment is a Databricks-only function/,
    );
    // Databricks SQL's WATERMARK clause (event-time watermarks for stateful streaming): refused, saying what to use.
    expect(() =>
      sparkToDuckdb('SELECT * FROM STREAM(events) WATERMARK event_time DELAY OF INTERVAL 10 MINUTES'),
    ).toThrow(/WATERMARK is not supported: .*MATERIALIZED VIEW.*AUTO CDC/);
    // A column named watermark is a column.
    expect(sparkToDuckdb('SELECT watermark FROM t')).toBe('SELECT watermark FROM t');
  });
});

describe('Spark SQL: FROM VALUES without an alias', () => {
  it('names the columns col1, col2, … as Spark does (DuckDB would start at col0)', async () => {
    const run = async (sql: string) => (await held.session.rows(sparkToDuckdb(sql))).map((r) => Object.values(r));
    // Spark's docs (VALUES / inline table): "SELECT * FROM VALUES ("one", 1), ("two", 2)" gives col1, col2.
    const rows = await held.session.rows(sparkToDuckdb(`SELECT * FROM VALUES ("one", 1), ("two", 2), ("three", null)`));
    expect(Object.keys(rows[0])).toEqual(['col1', 'col2']);
    expect(await run('SELECT sum(col2) FROM VALUES (1, 10), (2, 20)')).toEqual([[30n]]);
    expect(await run('SELECT col1 FROM VALUES 1, 2, 3 ORDER BY col1 DESC')).toEqual([[3], [2], [1]]);
    // With an alias the names are the alias's, as written.
    expect(await run('SELECT a FROM (VALUES (5)) AS t(a)')).toEqual([[5]]);
  });
});

describe('Spark SQL: the range table-valued function', () => {
  // Spark's docs (range table-valued function): "SELECT * FROM range(6 + cos(3))" gives one column,
  // id, 0 to 4; range(start, end, step[, numPartitions]), end excluded.
  it('has one column, id; takes a step and ignores numPartitions; keeps an alias and its column names', async () => {
    const run = async (sql: string) => (await held.session.rows(sparkToDuckdb(sql))).map((r) => Object.values(r));
    const rows = await held.session.rows(sparkToDuckdb('SELECT * FROM range(6 + cos(3))'));
    expect(rows.map((r) => Object.keys(r))[0]).toEqual(['id']);
    expect(rows.map((r) => Number(r.id))).toEqual([0, 1, 2, 3, 4]);
    expect(await run('SELECT id FROM range(5, 10, 2)')).toEqual([[5n], [7n], [9n]]);
    expect(await run('SELECT count(*) FROM range(0, 10, 1, 4)')).toEqual([[10n]]);
    expect(await run('SELECT t.id FROM range(2) AS t JOIN range(2) u ON t.id = u.id ORDER BY 1')).toEqual([[0n], [1n]]);
    expect(await run('SELECT n FROM range(2) AS r(n) ORDER BY n')).toEqual([[0n], [1n]]);
  });
});

describe('Spark SQL: two-parameter lambdas, split with a limit, IGNORE NULLS in offset windows', () => {
  // Spark's function reference examples.
  it('zip_with, transform_keys, transform_values', () =>
    check([
      ['zip_with(array(1, 2), array(3, 4), (x, y) -> x + y)', '[4, 6]'],
      ["zip_with(array('a', 'b', 'c'), array('d', 'e', 'f'), (x, y) -> concat(x, y))", '[ad, be, cf]'],
      ['zip_with(array(1, 2, 3), array(10), (x, y) -> coalesce(y, 0) + x)', '[11, 2, 3]'], // the shorter padded with NULL
      ['transform_keys(map_from_arrays(array(1, 2, 3), array(1, 2, 3)), (k, v) -> k + 1)', '{2=1, 3=2, 4=3}'],
      ['transform_keys(map_from_arrays(array(1, 2, 3), array(1, 2, 3)), (k, v) -> k + v)', '{2=1, 4=2, 6=3}'],
      ['transform_values(map_from_arrays(array(1, 2, 3), array(1, 2, 3)), (k, v) -> v + 1)', '{1=2, 2=3, 3=4}'],
      ['transform_values(map_from_arrays(array(1, 2, 3), array(1, 2, 3)), (k, v) -> k + v)', '{1=2, 2=4, 3=6}'],
    ]));

  it('split(str, regex, limit): at most limit elements, the last holding the rest', () =>
    check([
      ["split('oneAtwoBthreeC', '[ABC]', 2)", '[one, twoBthreeC]'],
      ["split('oneAtwoBthreeC', '[ABC]', -1)", "[one, two, three, '']"],
      ["split('oneAtwoBthreeC', '[ABC]', 0)", "[one, two, three, '']"],
      ["split('a,b', ',', 5)", '[a, b]'],
    ]));

  it('lead, lag and nth_value with IGNORE NULLS (after the call, or lag’s fourth argument)', async () => {
    const t = '(SELECT * FROM (VALUES (1, 1), (2, NULL), (3, 3), (4, NULL)) AS v(k, x))';
    const rows = await held.session.rows(
      sparkToDuckdb(
        `SELECT k, lag(x) IGNORE NULLS OVER (ORDER BY k) AS a, lag(x, 1, 0, true) OVER (ORDER BY k) AS b, lead(x) OVER (ORDER BY k) AS c, nth_value(x, 2) IGNORE NULLS OVER (ORDER BY k) AS d FROM ${t} ORDER BY k`,
      ),
    );
    expect(rows.map((r) => Object.values(r))).toEqual([
      [1, null, 0, null, null],
      [2, 1, 1, 3, null],
      [3, 1, 1, null, 3],
      [4, 3, 3, null, 3],
    ]);
  });

  it('CAST to array<...>, map<...>, struct<...>', () =>
    check([
      ["CAST(array('1', '2') AS array<int>)", '[1, 2]'],
      ["CAST(array('1', 'x') AS array<int>)", '[1, NULL]'],
      ["CAST(map('a', '1') AS map<string, double>)", '{a=1.0}'],
    ]));
});
