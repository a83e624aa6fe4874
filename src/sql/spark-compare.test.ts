// Comparisons between a string and a value of another type, as Spark coerces them. Pinned to
// Spark's source (apache/spark, sql/catalyst/.../analysis):
//   - ANSI mode: AnsiStringPromotionTypeCoercion.findWiderTypeForString — a string against an
//     integral type: both BIGINT; against a fractional type: both DOUBLE; against another atomic
//     type: that type — cast with ANSI's rules (CAST_INVALID_INPUT for a string that does not parse).
//   - ANSI mode off: TypeCoercion.findCommonTypeForBinaryComparison — against a DECIMAL both
//     DOUBLE (SPARK-22469); against any other atomic type the string becomes that type (the
//     legacy cast: '1.5' is 1 against an INT, 'abc' is NULL); a date against a string: a date
//     (spark.sql.legacy.castDatetimeToString is false).
// DuckDB alone refuses `s > 0` for a VARCHAR column ("Cannot compare values of type VARCHAR
// and INTEGER_LITERAL").
import { describe, expect, it } from 'vitest';
import { useSession } from '../../test/helpers/harness.js';
import { executeQuery } from './execute.js';

const held = useSession(1);

async function rows(sql: string, ansi: boolean): Promise<unknown[][]> {
  const settings = new Map([['spark.sql.ansi.enabled', String(ansi)]]);
  const result = await executeQuery(held.session, sql, { settings });
  return result.rows.map((r) => r.map((v) => (typeof v === 'bigint' ? Number(v) : v)));
}

const T = `(VALUES ('1.5', CAST(1.5 AS DECIMAL(3,1)), 1, DATE '2024-01-02'), (' 2 ', 2.0, 2, DATE '2024-01-03'),
  ('10', 10.0, 10, NULL), ('abc', 3.0, 3, NULL)) AS t(s, d, i, dt)`;

describe('a string compared with a number, a date or a boolean', () => {
  it('ANSI off: the string cast to the other side (an INT truncates, text that is not a number is NULL)', async () => {
    expect(await rows(`SELECT s, s = 2, s > 1, s = 1 FROM ${T} ORDER BY i`, false)).toEqual([
      ['1.5', false, false, true], // CAST('1.5' AS INT) is 1 without ANSI mode
      [' 2 ', true, true, false], // whitespace trimmed, as UTF8String.toInt does
      ['abc', null, null, null],
      ['10', false, true, false], // 10 > 1 as numbers (as text, '10' < '2')
    ]);
    // Against a DECIMAL, both sides are DOUBLE.
    expect(await rows(`SELECT s, s = d FROM ${T} WHERE i < 3 ORDER BY i`, false)).toEqual([
      ['1.5', true],
      [' 2 ', true],
    ]);
    // A date against a string: the string cast to a date.
    expect(await rows(`SELECT i FROM ${T} WHERE dt > '2024-01-02'`, false)).toEqual([[2]]);
    expect(await rows(`SELECT count(*) FROM ${T} WHERE dt > s`, false)).toEqual([[0]]);
  });

  it('ANSI on: a string against an integer is a BIGINT, and text that is not one is CAST_INVALID_INPUT', async () => {
    expect(await rows(`SELECT s, s = 2, s >= 10 FROM ${T} WHERE i IN (2, 10) ORDER BY i`, true)).toEqual([
      [' 2 ', true, false],
      ['10', false, true],
    ]);
    await expect(rows(`SELECT s = 2 FROM ${T}`, true)).rejects.toThrow(
      /\[CAST_INVALID_INPUT\] The value '1\.5' of the type "STRING" cannot be cast to "BIGINT"/,
    );
    // Against a fractional type both are DOUBLE: '1.5' = 1.5 holds.
    expect(await rows(`SELECT s, s = d FROM ${T} WHERE i < 3 ORDER BY i`, true)).toEqual([
      ['1.5', true],
      [' 2 ', true],
    ]);
    await expect(rows(`SELECT s < d FROM ${T}`, true)).rejects.toThrow(/CAST_INVALID_INPUT.*'abc'.*"DOUBLE"/);
  });

  it('a column of numbers in text filters, joins and checks as Spark does (Auto Loader strings)', async () => {
    const orders = `(VALUES ('1', '3', 'x'), ('2', '-1', 'y'), ('3', '12', 'z')) AS o(id, qty, sku)`;
    const items = `(VALUES (1, 'a'), (3, 'c')) AS p(id, name)`;
    for (const ansi of [true, false]) {
      expect(await rows(`SELECT id FROM ${orders} WHERE qty > 0 ORDER BY id`, ansi)).toEqual([['1'], ['3']]);
      expect(await rows(`SELECT o.sku, p.name FROM ${orders} JOIN ${items} ON o.id = p.id ORDER BY 1`, ansi)).toEqual([
        ['x', 'a'],
        ['z', 'c'],
      ]);
      expect(
        await rows(`SELECT sku, CASE WHEN qty >= 10 THEN 'bulk' ELSE 'unit' END FROM ${orders} ORDER BY 1`, ansi),
      ).toEqual([
        ['x', 'unit'],
        ['y', 'unit'],
        ['z', 'bulk'],
      ]);
    }
  });

  it('IN lists: a string among integers is a BIGINT with ANSI mode, text without it (InConversion)', async () => {
    // ANSI: findWiderCommonType(STRING, INT) is BIGINT — '1.5' does not parse.
    expect(
      await rows(`SELECT s, s IN (2, 10), s NOT IN (2, 10) FROM ${T} WHERE i IN (2, 10) ORDER BY i`, true),
    ).toEqual([
      [' 2 ', true, false],
      ['10', true, false],
    ]);
    await expect(rows(`SELECT s IN (2, 10) FROM ${T}`, true)).rejects.toThrow(/CAST_INVALID_INPUT.*'1\.5'.*"BIGINT"/);
    // ANSI off: stringPromotion makes the list STRING — ' 2 ' is not '2' as text.
    expect(await rows(`SELECT s, s IN (2, 10) FROM ${T} ORDER BY i`, false)).toEqual([
      ['1.5', false],
      [' 2 ', false],
      ['abc', false],
      ['10', true],
    ]);
    // Against fractional numbers: DOUBLE with ANSI mode.
    expect(await rows(`SELECT s FROM ${T} WHERE i < 3 AND s IN (1.5, 2.0)`, true)).toEqual([['1.5'], [' 2 ']]);
    // Subqueries and lists of strings stay as written.
    expect(await rows(`SELECT s FROM ${T} WHERE s IN (SELECT '10')`, true)).toEqual([['10']]);
    expect(await rows(`SELECT i FROM ${T} WHERE s IN ('abc', '10') ORDER BY i`, true)).toEqual([[3], [10]]);
  });

  it('BETWEEN is x >= lo AND x <= hi, each side coerced (Between is RuntimeReplaceable)', async () => {
    for (const ansi of [true, false])
      expect(
        await rows(`SELECT s, s BETWEEN 1 AND 5, s NOT BETWEEN 1 AND 5 FROM ${T} WHERE i IN (2, 10) ORDER BY i`, ansi),
      ).toEqual([
        [' 2 ', true, false],
        ['10', false, true], // as numbers; as text '10' is between '1' and '5'
      ]);
    await expect(rows(`SELECT s BETWEEN 1 AND 5 FROM ${T}`, true)).rejects.toThrow(/CAST_INVALID_INPUT/);
    expect(await rows(`SELECT i FROM ${T} WHERE dt BETWEEN '2024-01-01' AND '2024-01-02'`, true)).toEqual([[1]]);
  });

  it('comparisons of two strings, or of two numbers, stay as written; a string literal is cast to the column', async () => {
    // '10' < '9' as text (both strings); 10 > 9 as numbers.
    expect(await rows(`SELECT '10' < '9', 10 > 9`, true)).toEqual([[true, true]]);
    expect(await rows(`SELECT i FROM ${T} WHERE i = '10'`, true)).toEqual([[10]]);
    expect(await rows(`SELECT count(*) FROM ${T} WHERE s = 'abc'`, true)).toEqual([[1]]);
  });

  it("<=> is null-safe equality, and unaliased comparisons are named as Spark names them ('(s = 2)')", async () => {
    const result = await executeQuery(held.session, `SELECT i <=> 2, s <=> NULL, i = 2 FROM ${T} WHERE i = 2`);
    expect(result.columns.map((c) => c.name)).toEqual(['(i <=> 2)', '(s <=> NULL)', '(i = 2)']);
    expect(result.rows).toEqual([[true, false, true]]);
  });

  it('assignments and options keep their `=`: UPDATE ... SET, SET key = value', async () => {
    const settings = new Map<string, string>();
    const r = await executeQuery(held.session, "SET spark.sql.ansi.enabled = false; SELECT CAST('x' AS INT)", {
      settings,
    });
    expect(r.rows).toEqual([[null]]);
  });
});
