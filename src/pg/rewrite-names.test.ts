// Result column names as PostgreSQL gives them (parse_target.c's FigureColname), each expected
// name as PostgreSQL 15 names the column.
import { describe, expect, it } from 'vitest';
import { rewritePgSql, type RewriteContext } from './rewrite.js';

const ctx: RewriteContext = {
  pgCatalog: new Set(['pg_class']),
  informationSchema: new Set(),
  user: 'analyst',
  database: 'main',
  pid: 7,
  setting: () => undefined,
};

describe('result column names', () => {
  it.each([
    ['SELECT count(*) FROM t', 'SELECT count(*) AS "count" FROM t'],
    ['SELECT sum(amount), t.day FROM t', 'SELECT sum(amount) AS "sum", t.day FROM t'],
    [
      "SELECT 1, 1::int, 'x'::text, amount::text FROM t",
      'SELECT 1 AS "?column?", 1::int AS "int4", \'x\'::text AS "text", amount::text AS "amount" FROM t',
    ],
    [
      'SELECT CASE WHEN a THEN 1 END, ARRAY[1], coalesce(a, b) FROM t',
      'SELECT CASE WHEN a THEN 1 END AS "case", ARRAY[1] AS "array", coalesce(a, b) AS "coalesce" FROM t',
    ],
    ['SELECT pg_catalog.format_type(a, b) FROM t', 'SELECT format_type(a, b) AS "format_type" FROM t'],
    [
      'SELECT max(x) OVER (PARTITION BY y), count(*) FILTER (WHERE z) FROM t',
      'SELECT max(x) OVER (PARTITION BY y) AS "max", count(*) FILTER (WHERE z) AS "count" FROM t',
    ],
    ['SELECT a + 1 AS b, a + 2 c, d, *, t.* FROM t', 'SELECT a + 1 AS b, a + 2 c, d, *, t.* FROM t'],
    [
      'SELECT CASE WHEN a THEN 1 ELSE NULL END kind, x > 0 AS pos FROM t',
      'SELECT CASE WHEN a THEN 1 ELSE NULL END kind, x > 0 AS pos FROM t',
    ],
    // PostgreSQL 15: a | coalesce | text | y (a CASE is named by its ELSE when that has a name).
    [
      "SELECT CASE WHEN a = 0 THEN '' ELSE a::int8::text END, CASE WHEN b THEN 1 ELSE coalesce(x, y) END, CASE WHEN c THEN 1 END::text, CASE WHEN c THEN CASE WHEN b THEN x END ELSE y END FROM t",
      'SELECT CASE WHEN a = 0 THEN \'\' ELSE a::int8::text END AS "a", CASE WHEN b THEN 1 ELSE coalesce(x, y) END AS "coalesce", CASE WHEN c THEN 1 END::text AS "text", CASE WHEN c THEN CASE WHEN b THEN x END ELSE y END AS "y" FROM t',
    ],
    [
      'SELECT x IS NULL, (SELECT 1) FROM t',
      'SELECT x IS NULL AS "?column?", (SELECT 1 AS "?column?") AS "?column?" FROM t',
    ],
  ])('%s', (sql, expected) => {
    expect(rewritePgSql(sql, ctx)).toBe(expected);
  });

  it('types as PostgreSQL does: length() and position() int4, date_part() float8, an untyped NULL text', () => {
    const rewritten = (sql: string) => rewritePgSql(sql, ctx).replace(/\s+/g, ' ');
    expect(rewritten(`SELECT length(s), position('n' in s) AS p, date_part('year', d) FROM t`)).toBe(
      `SELECT CAST(length(s) AS INTEGER) AS "length", CAST(position('n' in s) AS INTEGER) AS p, CAST(date_part('year', d) AS DOUBLE) AS "date_part" FROM t`,
    );
    expect(rewritten('SELECT NULL AS n')).toBe('SELECT CAST(NULL AS VARCHAR) AS n');
    // (not when a set operation's other side types it)
    expect(rewritten('SELECT 1 AS n UNION SELECT NULL')).toBe('SELECT 1 AS n UNION SELECT NULL AS "?column?"');
  });

  it('names current_user as PostgreSQL does, after putting in its value', () => {
    expect(rewritePgSql('SELECT current_user', ctx)).toBe(`SELECT 'analyst' AS "current_user"`);
  });
});
