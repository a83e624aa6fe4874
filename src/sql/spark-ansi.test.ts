// ANSI mode both ways, each rule pinned to Spark's documentation: ANSI mode on (the default, as
// in Spark 4.0 and Databricks Runtime 17.0+, https://docs.databricks.com/aws/en/sql/language-manual/sql-ref-ansi-compliance)
// raises Spark's error where ANSI mode off gives NULL (Spark's docs/sql-ref-ansi-compliance.md:
// "Cast", "SQL Functions", "SQL Operators"; the error classes of Spark's error-conditions.json).
import { describe, expect, it } from 'vitest';
import { useSession } from '../../test/helpers/harness.js';
import { sparkToDuckdb } from './spark.js';
import { executeQuery, executeStatements } from './execute.js';

const held = useSession(1);

async function value(expr: string, ansi: boolean): Promise<string | null> {
  const rows = await held.session.rows<{ v: string | null }>(
    sparkToDuckdb(`SELECT CAST((${expr}) AS VARCHAR) AS v`, { ansi }),
  );
  return rows[0]?.v ?? null;
}

/** Each case: [expression, its value without ANSI mode, the error class ANSI mode raises (or its value there)]. */
type Case = [string, string | null, RegExp | string | null];

async function check(cases: Case[]): Promise<void> {
  for (const [expr, legacy, ansi] of cases) {
    expect(await value(expr, false), `${expr} (ANSI off)`).toBe(legacy);
    if (ansi instanceof RegExp) await expect(value(expr, true), `${expr} (ANSI on)`).rejects.toThrow(ansi);
    else expect(await value(expr, true), `${expr} (ANSI on)`).toBe(ansi);
  }
}

describe('ANSI mode: casts (sql-ref-ansi-compliance.md, "Cast")', () => {
  it('CAST of a string that does not parse: NULL, or CAST_INVALID_INPUT; TRY_CAST is NULL in both', () =>
    check([
      ["CAST('a' AS INT)", null, /\[CAST_INVALID_INPUT\] The value 'a' of the type "STRING" cannot be cast to "INT"/],
      ["CAST('12.5' AS INT)", '12', /CAST_INVALID_INPUT/], // toIntExact takes no fraction
      ["CAST(' 12 ' AS INT)", '12', '12'],
      ["CAST('x' AS DECIMAL(10,2))", null, /\[CAST_INVALID_INPUT\].*"DECIMAL\(10,2\)"/],
      ["CAST('3.5' AS DOUBLE)", '3.5', '3.5'],
      ["CAST('nope' AS DOUBLE)", null, /CAST_INVALID_INPUT/],
      ["CAST('2023-02-29' AS DATE)", null, /\[CAST_INVALID_INPUT\].*"DATE"/],
      ["CAST('2024-02-29' AS DATE)", '2024-02-29', '2024-02-29'],
      ["CAST('nope' AS TIMESTAMP)", null, /CAST_INVALID_INPUT/],
      ["int('x')", null, /CAST_INVALID_INPUT/],
      ["TRY_CAST('a' AS INT)", null, null],
      ["TRY_CAST('1.23' AS INT)", null, null], // the case: TRY_CAST takes ANSI's rules
      ["try_cast('2023-02-29' AS DATE)", null, null],
      ['CAST(NULL AS INT)', null, null],
    ]));

  it('CAST of a number out of range: CAST_OVERFLOW in ANSI mode', () =>
    check([
      [
        'CAST(2147483648 AS INT)',
        '-2147483648', // without ANSI mode Spark narrows a long as Java does (Cast.castToInt: b.toInt)
        /\[CAST_OVERFLOW\] The value 2147483648 of the type "BIGINT" cannot be cast to "INT" due to an overflow/,
      ],
      ['CAST(123.45 AS DECIMAL(4,2))', null, /CAST_OVERFLOW/],
      ['CAST(12.7 AS INT)', '12', '12'],
    ]));
});

describe('ANSI mode: arithmetic (Spark: DivModLike returns NULL for a zero divisor, or DIVIDE_BY_ZERO)', () => {
  it('x / 0, x % 0, div, mod and pmod: NULL or DIVIDE_BY_ZERO (DuckDB would give Infinity for /)', () =>
    check([
      ['1 / 0', null, /\[DIVIDE_BY_ZERO\] Division by zero\. Use `try_divide`/],
      ['1.5 / 0.0', null, /DIVIDE_BY_ZERO/],
      ['CAST(1 AS DOUBLE) / 0', null, /DIVIDE_BY_ZERO/],
      ['3 / 2', '1.5', '1.5'],
      ['10 / 4 * 2', '5.0', '5.0'],
      ['7 % 0', null, /DIVIDE_BY_ZERO/],
      ['-7 % 3', '-1', '-1'],
      ['7 div 2', '3', '3'],
      ['-7 div 2', '-3', '-3'], // truncated toward zero, a BIGINT
      ['2 * 7 div 4', '3', '3'], // (2 * 7) div 4: div has *'s precedence
      ['7 div 0', null, /DIVIDE_BY_ZERO/],
      ['mod(7, 0)', null, /DIVIDE_BY_ZERO/],
      ['pmod(-10, 3)', '2', '2'],
      ['pmod(7, 0)', null, /DIVIDE_BY_ZERO/],
      ['try_divide(1, 0)', null, null],
      ['try_mod(7, 0)', null, null],
    ]));

  it('the divisor is the whole operand: a call, a parenthesized expression, a column with a subscript', async () => {
    const rows = await held.session.rows(
      sparkToDuckdb(
        'SELECT sum(q) / count(*) AS a, sum(q) / (sum(q) - 2) AS b, 6 / abs(-3) AS c, 6 / a[0] AS d FROM (SELECT 2 AS q, array(0) AS a) GROUP BY a',
        { ansi: false },
      ),
    );
    expect(rows).toEqual([{ a: 2, b: null, c: 2, d: null }]);
  });

  it('a window or aggregate call with OVER, FILTER or IGNORE NULLS is one operand, on either side', async () => {
    const t = '(SELECT * FROM (VALUES (1, 10), (2, 30), (3, 0)) AS v(k, q))';
    const run = async (sql: string) =>
      (await held.session.rows(sparkToDuckdb(sql, { ansi: false }))).map((r) => Object.values(r));
    expect(
      await run(
        `SELECT k, round(100 * sum(q) / sum(sum(q)) OVER (), 1) AS share, q / lag(q) OVER (ORDER BY k) AS growth, count(*) FILTER (WHERE q > 0) OVER () div 2 AS half FROM ${t} GROUP BY k, q ORDER BY k`,
      ),
    ).toEqual([
      [1, 25, null, 1n],
      [2, 75, 3, 1n],
      [3, 0, 0, 1n],
    ]);
    // lead(q) of the second row is 0: DIVIDE_BY_ZERO with ANSI mode.
    await expect(
      held.session.rows(sparkToDuckdb(`SELECT 1 / lead(q) OVER (ORDER BY k) AS x FROM ${t}`, { ansi: true })),
    ).rejects.toThrow(/DIVIDE_BY_ZERO/);
  });
});

describe('ANSI mode: arrays (sql-ref-ansi-compliance.md, "SQL Operators" and "SQL Functions")', () => {
  it('arr[i] out of range (or negative): NULL, or INVALID_ARRAY_INDEX', () =>
    check([
      ['array(10, 20, 30)[0]', '10', '10'],
      ['array(10, 20, 30)[3]', null, /\[INVALID_ARRAY_INDEX\] The index 3 is out of bounds\. The array has 3 elements/],
      ['array(10, 20, 30)[-1]', null, /INVALID_ARRAY_INDEX/],
      ["split('a b', ' ')[1]", 'b', 'b'],
      ['CAST(NULL AS INT[])[0]', null, null],
    ]));

  it('element_at: 1-based, negative from the end; out of range NULL, or INVALID_ARRAY_INDEX_IN_ELEMENT_AT; 0 always an error', () =>
    check([
      ['element_at(array(1, 2, 3), 2)', '2', '2'],
      ['element_at(array(1, 2, 3), -1)', '3', '3'],
      ['element_at(array(1, 2, 3), 5)', null, /\[INVALID_ARRAY_INDEX_IN_ELEMENT_AT\] The index 5 is out of bounds/],
      ['try_element_at(array(1, 2, 3), 5)', null, null],
      ["element_at(map(1, 'a', 2, 'b'), 3)", null, null], // a missing key is NULL in both (Databricks' element_at)
      ["element_at(map(1, 'a', 2, 'b'), 2)", 'b', 'b'],
      ['get(array(1, 2, 3), 3)', null, null],
      ['get(array(1, 2, 3), 0)', '1', '1'],
      ["elt(4, 'a', 'b', 'c')", null, /INVALID_ARRAY_INDEX/],
      ["elt(2, 'a', 'b', 'c')", 'b', 'b'],
      ['size(CAST(NULL AS INT[]))', '-1', null], // spark.sql.legacy.sizeOfNull applies only without ANSI mode
      ['size(array(1, 2))', '2', '2'],
    ]));

  it('element_at(x, 0) is INVALID_INDEX_OF_ZERO in both modes', async () => {
    for (const ansi of [false, true])
      await expect(value('element_at(array(1), CAST(0 AS INT))', ansi)).rejects.toThrow(/INVALID_INDEX_OF_ZERO/);
  });
});

describe('ANSI mode: datetime functions (sql-ref-ansi-compliance.md, "SQL Functions")', () => {
  it('to_date, to_timestamp, unix_timestamp of text that does not parse: NULL, or CANNOT_PARSE_TIMESTAMP', () =>
    check([
      ["to_date('2024-13-01', 'yyyy-MM-dd')", null, /\[CANNOT_PARSE_TIMESTAMP\] Text '2024-13-01' could not be parsed/],
      ["to_date('05/01/2024', 'dd/MM/yyyy')", '2024-01-05', '2024-01-05'],
      ["to_timestamp('nope', 'yyyy-MM-dd HH:mm:ss')", null, /CANNOT_PARSE_TIMESTAMP/],
      ["try_to_timestamp('nope', 'yyyy-MM-dd HH:mm:ss')", null, null],
      ["unix_timestamp('nope', 'yyyy-MM-dd')", null, /CANNOT_PARSE_TIMESTAMP/],
      ["to_date('nope')", null, /CAST_INVALID_INPUT/],
      ["to_date(NULL, 'yyyy-MM-dd')", null, null],
    ]));

  it('make_date, make_timestamp of impossible fields and next_day of an unknown day: NULL, or an error', () =>
    check([
      ['make_date(2019, 13, 1)', null, /DATETIME_FIELD_OUT_OF_BOUNDS/],
      ['make_date(2019, 7, 22)', '2019-07-22', '2019-07-22'],
      ['make_timestamp(2019, 2, 30, 0, 0, 0)', null, /DATETIME_FIELD_OUT_OF_BOUNDS/],
      ['try_make_timestamp(2019, 2, 30, 0, 0, 0)', null, null],
      ["next_day(DATE'2015-01-14', 'xx')", null, /\[ILLEGAL_DAY_OF_WEEK\] Illegal input for day of week: xx/],
      ["next_day(DATE'2015-01-14', 'TU')", '2015-01-20', '2015-01-20'],
    ]));
});

describe('ANSI mode: settings', () => {
  it('is on by default; SET spark.sql.ansi.enabled and SET ANSI_MODE turn it off and on for the statements after them', async () => {
    await expect(executeQuery(held.session, 'SELECT 1 / 0 AS v')).rejects.toThrow(/DIVIDE_BY_ZERO/);
    const settings = new Map<string, string>();
    const results = await executeStatements(
      held.session,
      "SET spark.sql.ansi.enabled = false; SELECT 1 / 0 AS a, CAST('x' AS INT) AS b",
      { settings },
    );
    expect(results[1].result.rows).toEqual([[null, null]]);
    // The setting lasts for the session (the caller keeps `settings`).
    expect((await executeQuery(held.session, 'SELECT 2 / 0', { settings })).rows).toEqual([[null]]);
    await expect(executeQuery(held.session, 'SET ANSI_MODE = true; SELECT 2 / 0', { settings })).rejects.toThrow(
      /DIVIDE_BY_ZERO/,
    );
  });

  it('a value that is not true or false is refused, naming the setting', async () => {
    await expect(executeQuery(held.session, 'SET spark.sql.ansi.enabled = maybe')).rejects.toThrow(
      "spark.sql.ansi.enabled must be true or false, not 'maybe'",
    );
  });

  it("an error raised in ANSI mode reaches the user in Spark's words, in their statement", async () => {
    const err = await executeQuery(held.session, "SELECT CAST('abc' AS INT) AS v").catch((e: Error) => e);
    expect((err as Error).message).toMatch(/^\[CAST_INVALID_INPUT\] The value 'abc'/);
    expect((err as Error).message).not.toMatch(/coalesce|regexp_full_match/);
  });
});
