// ANSI mode in pipelines (issue 19): on by default, as in Databricks Runtime 17.0+ pipelines
// (https://docs.databricks.com/aws/en/sql/language-manual/sql-ref-ansi-compliance), turned off by
// `SET spark.sql.ansi.enabled = false` in a file (for the statements after it) or by the
// pipeline's configuration in strata.yaml. A malformed value fails the update with Spark's error,
// reported as the query's (not as an expectation's); try_* forms and expectations handle dirty data.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectAt, useTestBed } from '../helpers/harness.js';

const bed = useTestBed('ansi-pipelines');

const CSV = 'id,day,amount\n1,2026-01-05,5\n2,05/01/2026,x\n3,2026-01-06,0\n';

async function project(name: string, sql: string, yaml = '') {
  const dir = path.join(bed.dir, name);
  mkdirSync(path.join(dir, 'pipelines/p'), { recursive: true });
  mkdirSync(path.join(dir, 'landing/orders'), { recursive: true });
  writeFileSync(path.join(dir, 'pipelines/p/p.sql'), sql);
  writeFileSync(path.join(dir, 'landing/orders/1.csv'), CSV);
  if (yaml) writeFileSync(path.join(dir, 'strata.yaml'), yaml);
  return projectAt(bed, dir);
}

const BRONZE = `CREATE OR REFRESH STREAMING TABLE raw AS SELECT * FROM STREAM read_files('landing/orders', format => 'csv', inferColumnTypes => false);\n`;
const SILVER = `CREATE OR REFRESH MATERIALIZED VIEW typed (
  CONSTRAINT has_day EXPECT (day IS NOT NULL) ON VIOLATION DROP ROW
) AS SELECT CAST(id AS INT) AS id, to_date(day, 'yyyy-MM-dd') AS day, CAST(amount AS DOUBLE) AS amount, 10 / CAST(amount AS DOUBLE) AS per FROM raw;\n`;

describe('ANSI mode in pipelines', () => {
  it("is on by default: a malformed value fails the update with Spark's error, as the query's own (not an expectation's)", async () => {
    const p = await project('on', BRONZE + SILVER);
    const pipeline = await p.loadPipeline();
    expect(pipeline.problems).toEqual([]);
    const outcome = await p.runPipeline(pipeline);
    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toMatch(/^typed: \[CANNOT_PARSE_TIMESTAMP\] Text '05\/01\/2026' could not be parsed/);
    expect(outcome.error).not.toMatch(/expectation/);
    // Nothing of the failed table was written.
    await expect(p.query('SELECT * FROM typed')).rejects.toThrow();
  });

  it('SET spark.sql.ansi.enabled = false in the file turns it off for the statements after it: NULLs, then dropped by the expectation', async () => {
    const p = await project('set', BRONZE + 'SET spark.sql.ansi.enabled = false;\n' + SILVER);
    const outcome = await p.runPipeline(await p.loadPipeline());
    expect(outcome.status, outcome.error).toBe('COMPLETED');
    // Row 2: day does not parse (NULL, dropped); row 3: 10 / 0 is NULL (not Infinity).
    expect((await p.query('SELECT id, CAST(day AS VARCHAR), amount, per FROM typed ORDER BY id')).rows).toEqual([
      [1, '2026-01-05', 5, 2],
      [3, '2026-01-06', 0, null],
    ]);
  });

  it("the pipeline's configuration turns it off for every file", async () => {
    const p = await project(
      'config',
      BRONZE + SILVER,
      'pipelines:\n  p:\n    configuration:\n      spark.sql.ansi.enabled: "false"\n',
    );
    const outcome = await p.runPipeline(await p.loadPipeline());
    expect(outcome.status, outcome.error).toBe('COMPLETED');
    expect((await p.query('SELECT count(*) FROM typed')).rows).toEqual([[2]]);
  });

  it('with ANSI mode on, try_to_date, try_cast and try_divide keep the update going', async () => {
    const p = await project(
      'try',
      BRONZE +
        `CREATE OR REFRESH MATERIALIZED VIEW typed (
  CONSTRAINT has_day EXPECT (day IS NOT NULL) ON VIOLATION DROP ROW
) AS SELECT CAST(id AS INT) AS id, try_to_date(day, 'yyyy-MM-dd') AS day, try_cast(amount AS DOUBLE) AS amount, try_divide(10, try_cast(amount AS DOUBLE)) AS per FROM raw;\n`,
    );
    const outcome = await p.runPipeline(await p.loadPipeline());
    expect(outcome.status, outcome.error).toBe('COMPLETED');
    expect((await p.query('SELECT id, amount, per FROM typed ORDER BY id')).rows).toEqual([
      [1, 5, 2],
      [3, 0, null],
    ]);
  });

  it('a SET of something other than true or false is a problem at its line, before anything runs', async () => {
    const p = await project('bad', BRONZE + 'SET spark.sql.ansi.enabled = sometimes;\n' + SILVER);
    const pipeline = await p.loadPipeline();
    expect(pipeline.problems.map((x) => [x.where.line, x.message])).toEqual([
      [2, "spark.sql.ansi.enabled must be true or false, not 'sometimes'"],
    ]);
  });

  it("a file whose rows the query cannot take fails the flow in Spark's words, writes nothing, and is read again once the query is fixed", async () => {
    const p = await project(
      'retry',
      `CREATE OR REFRESH STREAMING TABLE typed AS SELECT CAST(id AS INT) AS id, CAST(amount AS DOUBLE) AS amount FROM STREAM read_files('landing/orders', format => 'csv', inferColumnTypes => false);\n`,
    );
    const failed = await p.runPipeline(await p.loadPipeline());
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toMatch(/^typed: .*cannot write to table typed: \[CAST_INVALID_INPUT\] The value 'x'/);
    expect((await p.query('SELECT count(*) FROM typed')).rows).toEqual([[0]]);
    writeFileSync(
      path.join(p.dir, 'pipelines/p/p.sql'),
      `CREATE OR REFRESH STREAMING TABLE typed AS SELECT CAST(id AS INT) AS id, try_cast(amount AS DOUBLE) AS amount FROM STREAM read_files('landing/orders', format => 'csv', inferColumnTypes => false);\n`,
    );
    const fixed = await p.runPipeline(await p.loadPipeline());
    expect(fixed.status, fixed.error).toBe('COMPLETED');
    expect((await p.query('SELECT id, amount FROM typed ORDER BY id')).rows).toEqual([
      [1, 5],
      [2, null],
      [3, 0],
    ]);
  });
});
