// Problems of pipeline files: every former syntax error class now a LocatedError,
// collected as a problem with its file:line:column.
import { describe, expect, it } from 'vitest';
import { parsePipelineSql } from './parse.js';

const problems = (text: string) =>
  parsePipelineSql(text, 'p/main.sql').problems.map(
    (p) => `${p.code} ${p.where.file}:${p.where.line}:${p.where.column} ${p.message}`,
  );

describe('pipeline problems, placed in the file', () => {
  it('a string the tokenizer cannot end', () => {
    expect(problems("CREATE OR REFRESH MATERIALIZED VIEW m AS\nSELECT 1,\n  'abc")).toEqual([
      'SYNTAX p/main.sql:3:3 unterminated string',
    ]);
  });

  it('a Spark SQL form we do not support, in a query or an expectation', () => {
    const text = `CREATE OR REFRESH MATERIALIZED VIEW m (
  CONSTRAINT c EXPECT (sha2(x, 512) IS NOT NULL)
) AS SELECT x,
    date_format(d, 'yyyy G') AS y FROM t;`;
    expect(problems(text)).toEqual(['UNSUPPORTED p/main.sql:2:24 sha2: SHA-512 is not supported (only sha2(x, 256))']);
    expect(problems(text.replace('512', '256'))).toEqual([
      "UNSUPPORTED p/main.sql:4:20 date_format: pattern letters 'G' in 'yyyy G' are not supported",
    ]);
  });

  it('an AUTO CDC clause', () => {
    const text = `CREATE OR REFRESH STREAMING TABLE dim;
CREATE FLOW f AS AUTO CDC INTO dim
  FROM STREAM(changes) KEYS (id)
  SEQUENCE BY ts STORED AS SCD TYPE 3;`;
    expect(problems(text)).toEqual(['SYNTAX p/main.sql:4:37 f: expected SCD TYPE 1 or SCD TYPE 2']);
  });

  it('keeps the SQL as written (before the Spark rewrite) with where it starts, for messages when it fails to run', () => {
    const p = parsePipelineSql(
      `CREATE OR REFRESH MATERIALIZED VIEW m (CONSTRAINT c EXPECT (nvl(x, 0) > 0))
AS SELECT split(s, ',') AS parts FROM t;
CREATE FLOW f AS INSERT INTO m BY NAME SELECT nvl(a, 1) AS x FROM u;`,
      'p/main.sql',
    );
    expect(p.datasets[0].query).toContain('string_split');
    expect(p.datasets[0].written).toEqual([
      { sql: "SELECT split(s, ',') AS parts FROM t", where: { file: 'p/main.sql', line: 2, column: 4 } },
      { sql: 'nvl(x, 0) > 0', where: { file: 'p/main.sql', line: 1, column: 61 } },
    ]);
    expect(p.flows[0].written).toEqual([
      { sql: 'SELECT nvl(a, 1) AS x FROM u', where: { file: 'p/main.sql', line: 3, column: 40 } },
    ]);
  });
});
