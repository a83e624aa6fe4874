// to_char's templates as the endpoint gives them to DuckDB; the values are compared with PostgreSQL
// 15's in test/integration/pg-differential.test.ts ('to_char of dates and timestamps').
import { describe, expect, it } from 'vitest';
import { rewritePgSql, type RewriteContext } from './rewrite.js';

/** The rewritten text, runs of spaces as one (the tokens replaced leave their spacing). */
const rewritten = (sql: string) => rewritePgSql(sql, ctx).replace(/\s+/g, ' ');

const ctx: RewriteContext = {
  pgCatalog: new Set(),
  informationSchema: new Set(),
  user: 'analyst',
  database: 'main',
  pid: 7,
  setting: () => undefined,
};

describe('to_char', () => {
  it('becomes strftime, names padded to 9 letters unless FM, quoted text kept', () => {
    expect(rewritten(`SELECT to_char(day, 'YYYY-MM') AS m FROM t`)).toBe(
      `SELECT (strftime((day), '%Y-%m')) AS m FROM t`,
    );
    expect(rewritten(`SELECT to_char(day, 'Month "of" FMMonth, 100%') AS m FROM t`)).toBe(
      `SELECT (rpad(strftime((day), '%B'), 9, ' ') || strftime((day), ' of ') || strftime((day), '%B') || strftime((day), ', 100%%')) AS m FROM t`,
    );
  });

  it('copies digits and punctuation that are not patterns (a first of the month)', () => {
    expect(rewritten(`SELECT to_char(day, 'YYYY-MM-01') AS m FROM t`)).toBe(
      `SELECT (strftime((day), '%Y-%m-01')) AS m FROM t`,
    );
    expect(rewritten(`SELECT to_char(day, 'MM-09') AS m FROM t`)).toBe(`SELECT (strftime((day), '%m-09')) AS m FROM t`);
  });

  it('is named to_char, as PostgreSQL names it', () => {
    expect(rewritten(`SELECT to_char(day, 'YYYY') FROM t`)).toBe(`SELECT (strftime((day), '%Y')) AS "to_char" FROM t`);
  });

  it('refuses, by name, a template it does not know and a template that is not a literal', () => {
    expect(() => rewritePgSql(`SELECT to_char(amount, '999,999.99') FROM t`, ctx)).toThrow(
      /to_char's template '999,999.99' is a number template/,
    );
    expect(() => rewritePgSql(`SELECT to_char(day, 'DDth') FROM t`, ctx)).toThrow(
      /"th\.\.\." is not a date\/time pattern/,
    );
    expect(() => rewritePgSql(`SELECT to_char(day, fmt) FROM t`, ctx)).toThrow(/template written as a literal/);
  });
});
