// Spark's names for unaliased select items and its implicit casts into string functions.
// Names: Analyzer's ResolveAliases names an unaliased expression `toPrettySQL(expr)`
// (sql/catalyst/.../analysis/Analyzer.scala, util/package.scala): functions by their lower-case
// name, string literals without quotes, columns without their qualifier, count(*) as count(1)
// (Spark rewrites it to count(1) before naming). Implicit casts: an expression that expects a
// string takes an atomic argument cast to STRING (TypeCoercion's ImplicitTypeCasts), so
// `trim(123)` is '123' and `to_date(20101229, 'yyyyMMdd')` parses '20101229'.
import { describe, expect, it } from 'vitest';
import { useSession } from '../../test/helpers/harness.js';
import { executeQuery } from './execute.js';

const held = useSession(1);
const names = async (sql: string) => (await executeQuery(held.session, sql)).columns.map((c) => c.name);
const row = async (sql: string) => (await executeQuery(held.session, sql)).rows[0];
const T = `FROM VALUES (1, 'a', DATE '2024-01-02'), (2, 'b', DATE '2024-01-03') AS t(x, s, d)`;

describe("Spark's names for unaliased select items", () => {
  it('functions as Spark prints them: lower-case name, literals unquoted, count(*) as count(1)', async () => {
    expect(
      await names(
        `SELECT sum(x), count(*), avg(x), coalesce(max(s), 'z'), max(upper(s)), CAST(sum(x) AS DECIMAL(10,2)) ${T}`,
      ),
    ).toEqual([
      'sum(x)',
      'count(1)',
      'avg(x)',
      'coalesce(max(s), z)',
      'max(upper(s))',
      'CAST(sum(x) AS DECIMAL(10,2))',
    ]);
    expect(await names(`SELECT upper(t.s), date_format(d, 'yyyy-MM'), trim(x), ceil(x) ${T}`)).toEqual([
      'upper(s)',
      'date_format(d, yyyy-MM)',
      'trim(x)',
      'ceil(x)',
    ]);
  });

  it('leaves columns, aliases, stars, generators and untouched expressions as they are', async () => {
    expect(await names(`SELECT x, t.s, upper(s) AS u, lower(s) l, x + 1, s || 'z' ${T}`)).toEqual([
      'x',
      's',
      'u',
      'l',
      '(x + 1)',
      "(s || 'z')",
    ]);
    expect(await names(`SELECT * EXCEPT (d) ${T}`)).toEqual(['x', 's']);
    expect(await names(`SELECT * FROM (SELECT upper(s) ${T})`)).toEqual(['upper(s)']);
    expect(await names(`SELECT explode(array(1, 2)) AS v`)).toEqual(['v']);
  });
});

describe("Spark's implicit casts into string functions", () => {
  it('a number, a date or a decimal read as its text', async () => {
    expect(
      await row(
        `SELECT trim(123), length(12.5), lpad(7, 3, '0'), upper(DATE '2024-01-02'), substring(20240102, 1, 4), replace(1001, 0, 9), split(12, '')[0]`,
      ),
    ).toEqual(['123', 4, '007', '2024-01-02', '2024', '1991', '1']);
  });

  it('datetime parsing with a pattern reads a number as its text; dates and timestamps as they are', async () => {
    expect(
      (await row(`SELECT to_date(20101229, 'yyyyMMdd'), to_date(DATE '2024-01-02', 'yyyy-MM-dd')`)).map(String),
    ).toEqual(['2010-12-29', '2024-01-02']);
  });
});
