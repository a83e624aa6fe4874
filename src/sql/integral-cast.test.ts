// CAST(x AS INT/BIGINT/...) takes a fast path for values whose text is a plain integer. It must
// give exactly what the general Spark path (truncate through DECIMAL(38, 9), NULL when invalid,
// pinned in spark.test.ts against Spark's documented results) gives, for every kind of input.
import { describe, expect, it } from 'vitest';
import { useSession } from '../../test/helpers/harness.js';
import { quoteLiteral } from '../engine/index.js';
import { sparkToDuckdb } from './spark.js';

const held = useSession(1);

const STRINGS = [
  '0',
  '7',
  '-0',
  '+5',
  '007',
  '-12',
  '12.5',
  '-12.7',
  ' 10 ',
  '10 ',
  ' -3',
  '',
  ' ',
  'abc',
  '1e3',
  '1E3',
  '0x10',
  '1_000',
  '9223372036854775807',
  '9223372036854775808',
  '-9223372036854775808',
  '2147483647',
  '2147483648',
  '-2147483649',
  '32767',
  '32768',
  '127',
  '128',
  '-129',
  '999999999999999999',
  '1000000000000000000',
  '12.',
  '.5',
  '+',
  '-',
  '1-2',
  '١٢',
  'NaN',
  'Infinity',
  '12abc',
  '\t12',
  '12\n',
];

const RANGES: Record<string, [bigint, bigint]> = {
  TINYINT: [-128n, 127n],
  SMALLINT: [-32768n, 32767n],
  INT: [-2147483648n, 2147483647n],
  BIGINT: [-9223372036854775808n, 9223372036854775807n],
};

/**
 * Spark's own parse of a string to an integral type, transcribed from UTF8String.toLong(LongWrapper,
 * boolean allowDecimal) (common/unsafe/src/main/java/org/apache/spark/unsafe/types/UTF8String.java):
 * whitespace and ISO control characters trimmed, an optional sign, ASCII digits; with allowDecimal
 * (ANSI mode off) a '.' ends the number and the digits after it are checked and dropped. Out of the
 * type's range: NULL (toInt/toShort/toByte return false; toIntExact and the like raise, in ANSI mode).
 */
function sparkParse(s: string, type: string, allowDecimal: boolean): string | null {
  const trim = (c: string) => c.charCodeAt(0) <= 0x20 || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f);
  let a = 0;
  let b = s.length - 1;
  while (a <= b && trim(s[a])) a++;
  while (b >= a && trim(s[b])) b--;
  if (a > b) return null;
  let t = s.slice(a, b + 1);
  const negative = t[0] === '-';
  if (negative || t[0] === '+') {
    if (t.length === 1) return null;
    t = t.slice(1);
  }
  const dot = allowDecimal ? t.indexOf('.') : -1;
  const whole = dot >= 0 ? t.slice(0, dot) : t;
  const fraction = dot >= 0 ? t.slice(dot + 1) : '';
  if (!/^[0-9]*$/.test(whole) || !/^[0-9]*$/.test(fraction)) return null;
  const v = (negative ? -1n : 1n) * BigInt(whole === '' ? '0' : whole);
  const [lo, hi] = RANGES[type];
  return v < lo || v > hi ? null : String(v);
}

describe('CAST to an integral type', () => {
  const inputs = STRINGS.map((s) => `${quoteLiteral(s)}::VARCHAR`);
  // A generated spread of integer-looking strings too.
  for (let k = 0; k < 200; k++)
    inputs.push(`${quoteLiteral(String(Math.round(Math.sin(k) * 10 ** (k % 20))))}::VARCHAR`);
  const texts = [...STRINGS, ...inputs.slice(STRINGS.length).map((x) => x.slice(1, x.indexOf("'", 1)))];

  async function values(sql: string[]): Promise<unknown[]> {
    const r = await held.session.query(`SELECT ${sql.map((e, i) => `${e} AS c${i}`).join(', ')}`);
    return r.rows[0].map((v) => (v === null ? null : String(v)));
  }

  it("parses strings as Spark's UTF8String.toLong does, without ANSI mode (a fraction dropped) and in TRY_CAST (ANSI's rules)", async () => {
    for (const type of ['TINYINT', 'SMALLINT', 'INT', 'BIGINT']) {
      const legacy = await values(inputs.map((x) => sparkToDuckdb(`CAST(${x} AS ${type})`, { ansi: false })));
      expect(legacy.map((v, i) => [texts[i], v])).toEqual(texts.map((s) => [s, sparkParse(s, type, true)]));
      const tried = await values(inputs.map((x) => sparkToDuckdb(`TRY_CAST(${x} AS ${type})`)));
      expect(tried.map((v, i) => [texts[i], v])).toEqual(texts.map((s) => [s, sparkParse(s, type, false)]));
    }
  });

  it('with ANSI mode, an invalid string is CAST_INVALID_INPUT and a number out of range CAST_OVERFLOW; valid values as TRY_CAST', async () => {
    const sql = (x: string, type = 'INT') => sparkToDuckdb(`SELECT CAST(${x} AS ${type}) AS v`, { ansi: true });
    for (const [i, s] of texts.entries()) {
      const want = sparkParse(s, 'INT', false);
      if (want === null)
        await expect(held.session.query(sql(inputs[i])), s).rejects.toThrow(
          /\[CAST_INVALID_INPUT\] The value '.*' of the type "STRING" cannot be cast to "INT" because it is malformed/s,
        );
      else expect(String((await held.session.query(sql(inputs[i]))).rows[0][0]), s).toBe(want);
    }
    await expect(held.session.query(sql('2147483648::BIGINT'))).rejects.toThrow(
      /\[CAST_OVERFLOW\] The value 2147483648 of the type "BIGINT" cannot be cast to "INT" due to an overflow/,
    );
    await expect(held.session.query(sql('1e20::DOUBLE', 'BIGINT'))).rejects.toThrow(/CAST_OVERFLOW/);
    expect((await held.session.query(sql('NULL'))).rows[0][0]).toBeNull();
  });

  it('truncates numbers toward zero (DuckDB rounds) and takes booleans as 1 and 0, in both modes', async () => {
    const cases: [string, string, string | null][] = [
      ['12::INTEGER', 'INT', '12'],
      ['-7::BIGINT', 'BIGINT', '-7'],
      ['12.7::DOUBLE', 'INT', '12'],
      ['-12.5::DOUBLE', 'INT', '-12'],
      ['12.99::DECIMAL(10,2)', 'SMALLINT', '12'],
      ['-0.5::DECIMAL(10,1)', 'TINYINT', '0'],
      ['true', 'INT', '1'],
      ['false', 'BIGINT', '0'],
      ['NULL', 'INT', null],
    ];
    for (const ansi of [true, false]) {
      const got = await values(cases.map(([x, type]) => sparkToDuckdb(`CAST(${x} AS ${type})`, { ansi })));
      expect(got).toEqual(cases.map((c) => c[2]));
    }
  });

  it("without ANSI mode, a number out of range wraps (integers, decimals) or saturates (doubles), as Spark's Cast does", async () => {
    // Cast.scala castToInt/castToShort/castToByte without ANSI: a long is narrowed as Java narrows
    // (b.toInt, keeping the low bits); a double is Scala's toInt/toLong (the JVM's d2i/d2l:
    // truncated, clamped, NaN 0) and then narrowed for SHORT and BYTE; a decimal is toLong.toInt.
    const cases: [string, string, string][] = [
      ['300::SMALLINT', 'TINYINT', '44'],
      ['2147483648::BIGINT', 'INT', '-2147483648'],
      ['-2147483649::BIGINT', 'INT', '2147483647'],
      ['4294967297::BIGINT', 'INT', '1'],
      ['70000::INTEGER', 'SMALLINT', '4464'],
      ['1e10::DOUBLE', 'INT', '2147483647'],
      ['-1e10::DOUBLE', 'INT', '-2147483648'],
      ['1e30::DOUBLE', 'BIGINT', '9223372036854775807'],
      ["'NaN'::DOUBLE", 'INT', '0'],
      ['1e10::DOUBLE', 'SMALLINT', '-1'], // toInt is 2147483647, whose low 16 bits are -1
      ['2147483648.9::DECIMAL(12,1)', 'INT', '-2147483648'],
      ['-300.7::DECIMAL(6,1)', 'TINYINT', '-44'],
    ];
    const got = await values(cases.map(([x, type]) => sparkToDuckdb(`CAST(${x} AS ${type})`, { ansi: false })));
    expect(got).toEqual(cases.map((c) => c[2]));
    // TRY_CAST (ANSI's rules) gives NULL, ANSI mode CAST_OVERFLOW.
    expect(await values([sparkToDuckdb('TRY_CAST(300::SMALLINT AS TINYINT)', { ansi: false })])).toEqual([null]);
    await expect(values([sparkToDuckdb('CAST(300::SMALLINT AS TINYINT)', { ansi: true })])).rejects.toThrow(
      /CAST_OVERFLOW/,
    );
  });
});
