// Spark's decimal arithmetic: `/` with a decimal operand is a DECIMAL of DecimalPrecision's type
// (scale max(6, s1 + p2 + 1), precision p1 - s1 + s2 + scale, adjusted to 38 keeping at least 6
// digits of scale — Spark's DecimalPrecision.scala and DecimalType.adjustPrecisionScale), rounded
// half up; avg of DECIMAL(p, s) is DECIMAL(p + 4, s + 4); sum of integers is a BIGINT and of
// DECIMAL(p, s) a DECIMAL(p + 10, s). Expected values are worked out by hand from those rules.
import { describe, expect, it } from 'vitest';
import { useSession } from '../../test/helpers/harness.js';
import { executeQuery } from './execute.js';

const held = useSession(1);

async function run(sql: string, ansi = true) {
  const r = await executeQuery(held.session, `SET spark.sql.ansi.enabled = ${ansi}; ${sql}`);
  return r.columns.map((c, i) => [c.name, c.type, r.rows[0][i] === null ? null : String(r.rows[0][i])]);
}

const D = (v: string, t: string) => `CAST(${v} AS ${t})`;

describe("Spark's decimal division", () => {
  it('decimal / integer literal: the literal takes its own digits (DECIMAL(1,0) for 3)', async () => {
    expect(await run(`SELECT ${D('10', 'DECIMAL(10,2)')} / 3 AS q, ${D('-2', 'DECIMAL(10,2)')} / 3 AS n`)).toEqual([
      ['q', 'DECIMAL(14,6)', '3.333333'],
      ['n', 'DECIMAL(14,6)', '-0.666667'], // half up, away from zero
    ]);
  });

  it('decimal / decimal: scale max(6, s1 + p2 + 1)', async () => {
    expect(await run(`SELECT ${D('2', 'DECIMAL(10,2)')} / ${D('3', 'DECIMAL(10,2)')} AS q`)).toEqual([
      ['q', 'DECIMAL(23,13)', '0.6666666666667'],
    ]);
  });

  it('decimal / an INT column: the column as DECIMAL(10,0); a BIGINT as DECIMAL(20,0), adjusted to 38 digits', async () => {
    expect(
      await run(
        `SELECT price / qty AS a, price / n AS b FROM (SELECT ${D('10.00', 'DECIMAL(12,2)')} AS price, CAST(4 AS INT) AS qty, CAST(3 AS BIGINT) AS n)`,
      ),
    ).toEqual([
      // (12,2) / (10,0): scale max(6, 2 + 10 + 1) = 13, precision 12 - 2 + 0 + 13 = 23.
      ['a', 'DECIMAL(23,13)', '2.5000000000000'],
      // (12,2) / (20,0): scale 23, precision 33.
      ['b', 'DECIMAL(33,23)', '3.33333333333333333333333'],
    ]);
  });

  it('sum(decimal) / count(*): DECIMAL(38,20), as Spark gives for an average written out', async () => {
    expect(
      await run(
        `SELECT sum(p) / count(*) AS avg_price FROM (VALUES (${D('10.00', 'DECIMAL(10,2)')}), (10.01), (10.01)) AS t(p)`,
      ),
    ).toEqual([['avg_price', 'DECIMAL(38,20)', '10.00666666666666666667']]);
  });

  it('integers and doubles divide as DOUBLE, as in Spark', async () => {
    expect(await run(`SELECT 3 / 2 AS a, CAST(1 AS DOUBLE) / ${D('3', 'DECIMAL(10,2)')} AS b`)).toEqual([
      ['a', 'DOUBLE', '1.5'],
      ['b', 'DOUBLE', String(1 / 3)],
    ]);
  });

  it('a zero decimal divisor: NULL without ANSI mode, DIVIDE_BY_ZERO with it', async () => {
    const q = `SELECT a / b AS q FROM (VALUES (${D('1', 'DECIMAL(10,2)')}, ${D('0', 'DECIMAL(10,2)')})) AS t(a, b)`;
    expect(await run(q, false)).toEqual([['q', 'DECIMAL(23,13)', null]]);
    await expect(run(q)).rejects.toThrow(/DIVIDE_BY_ZERO/);
  });

  it('a share over a window: round(100 * sum(x) / sum(sum(x)) OVER (), 1)', async () => {
    const r = await executeQuery(
      held.session,
      `SELECT c, round(100 * sum(x) / sum(sum(x)) OVER (), 1) AS share FROM (VALUES ('a', ${D('1', 'DECIMAL(12,2)')}), ('b', 2.00), ('b', 0.00)) AS t(c, x) GROUP BY c ORDER BY c`,
    );
    expect(r.rows).toEqual([
      ['a', '33.3'],
      ['b', '66.7'],
    ]);
  });
});

describe("Spark's decimal division on random values, against BigInt arithmetic", () => {
  /** Spark's quotient of unscaled a (scale s1) by unscaled b (scale s2) at scale S, HALF_UP, as text. */
  function reference(ua: bigint, s1: number, ub: bigint, s2: number, S: number): string {
    const n = ua * 10n ** BigInt(S - s1 + s2);
    const neg = n < 0n !== ub < 0n;
    const [an, ad] = [n < 0n ? -n : n, ub < 0n ? -ub : ub];
    let q = an / ad;
    if ((an % ad) * 2n >= ad) q += 1n;
    const digits = q.toString().padStart(S + 1, '0');
    const text = `${digits.slice(0, digits.length - S)}.${digits.slice(digits.length - S)}`;
    return (neg && q !== 0n ? '-' : '') + text;
  }
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const cases: [string, string, number, number, number][] = [
    // [type of a, type of b, s1, s2, Spark's result scale]
    ['DECIMAL(12,2)', 'INT', 2, 0, 13],
    ['DECIMAL(10,2)', 'DECIMAL(10,2)', 2, 2, 13],
    ['INT', 'DECIMAL(10,2)', 0, 2, 11],
    ['DECIMAL(18,4)', 'DECIMAL(5,3)', 4, 3, 10],
  ];
  for (const [ta, tb, s1, s2, S] of cases)
    it(`${ta} / ${tb}: 300 random rows, exact and rounded half up`, async () => {
      const rows: [bigint, bigint][] = [];
      for (let i = 0; i < 300; i++) {
        const ua = BigInt(
          Math.round(
            (rand() - 0.5) *
              1.9 *
              10 ** (ta === 'INT' ? 9 : ta === 'DECIMAL(18,4)' ? 17 : ta === 'DECIMAL(12,2)' ? 11 : 9),
          ),
        );
        let ub = BigInt(Math.round((rand() - 0.5) * 1.9 * 10 ** (tb === 'INT' ? 9 : tb === 'DECIMAL(5,3)' ? 4 : 9)));
        if (ub === 0n) ub = 7n;
        rows.push([ua, ub]);
      }
      // Exact decimal text (a literal like 123e-4 would be a DOUBLE).
      const lit = (u: bigint, s: number) => {
        if (s === 0) return u.toString();
        const digits = (u < 0n ? -u : u).toString().padStart(s + 1, '0');
        return `'${u < 0n ? '-' : ''}${digits.slice(0, -s)}.${digits.slice(-s)}'`;
      };
      const values = rows.map(([a, b]) => `(CAST(${lit(a, s1)} AS ${ta}), CAST(${lit(b, s2)} AS ${tb}))`).join(', ');
      const r = await executeQuery(held.session, `SELECT a / b AS q FROM (VALUES ${values}) AS t(a, b)`);
      expect(r.rows.map((x) => String(x[0]))).toEqual(rows.map(([a, b]) => reference(a, s1, b, s2, S)));
    });
});

describe("Spark's aggregate result types", () => {
  it('avg(DECIMAL(p, s)) is DECIMAL(p + 4, s + 4), rounded half up; in a window too', async () => {
    expect(
      await run(`SELECT avg(p) AS a FROM (VALUES (${D('10.00', 'DECIMAL(10,2)')}), (10.01), (10.01)) AS t(p)`),
    ).toEqual([['a', 'DECIMAL(14,6)', '10.006667']]);
    const r = await executeQuery(
      held.session,
      `SELECT g, avg(p) OVER (PARTITION BY g) AS a FROM (VALUES (1, ${D('1.00', 'DECIMAL(10,2)')}), (1, 2.00), (2, 0.01)) AS t(g, p) ORDER BY g`,
    );
    expect([r.columns[1].type, r.rows.map((x) => x[1])]).toEqual([
      'DECIMAL(14,6)',
      ['1.500000', '1.500000', '0.010000'],
    ]);
  });

  it('sum of integers is a BIGINT (DuckDB: HUGEINT), of DECIMAL(p, s) a DECIMAL(p + 10, s); avg of integers a DOUBLE', async () => {
    expect(
      await run(
        `SELECT sum(q) AS s, sum(p) AS d, avg(q) AS a, sum(DISTINCT q) AS sd FROM (VALUES (CAST(1 AS INT), ${D('1.50', 'DECIMAL(10,2)')}), (2, 2.25), (2, 0.00)) AS t(q, p)`,
      ),
    ).toEqual([
      ['s', 'BIGINT', '5'],
      ['d', 'DECIMAL(20,2)', '3.75'],
      ['a', 'DOUBLE', String(5 / 3)],
      ['sd', 'BIGINT', '3'],
    ]);
  });
});

// Ceil and Floor (sql/catalyst/src/main/scala/org/apache/spark/sql/catalyst/expressions/mathExpressions.scala):
// `dataType` is `DecimalType.Fixed(p, 0)` unchanged, `DecimalType.bounded(p - s + 1, 0)` for another
// decimal, and LongType for everything else (a DOUBLE, an INT).
describe("Spark's ceil and floor", () => {
  it('are BIGINT for doubles and integers, DECIMAL(p - s + 1, 0) for decimals', async () => {
    expect(
      await run(
        `SELECT ceil(x) AS a, floor(-2.5d) AS b, ceil(5) AS c, floor(${D('-2.55', 'DECIMAL(10,2)')}) AS d, ceiling(${D('7', 'DECIMAL(5,0)')}) AS e, ceil(1.5) AS f FROM VALUES (2.1d) AS t(x)`,
      ),
    ).toEqual([
      ['a', 'BIGINT', '3'],
      ['b', 'BIGINT', '-3'],
      ['c', 'BIGINT', '5'],
      ['d', 'DECIMAL(9,0)', '-3'],
      ['e', 'DECIMAL(5,0)', '7'],
      ['f', 'DECIMAL(2,0)', '2'],
    ]);
  });
});
