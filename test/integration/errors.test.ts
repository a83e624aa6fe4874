// One error taxonomy: a failure of SQL the user wrote is the user's (SQL_ERROR / SQL_SYNTAX),
// told in their text — their functions, their line — wherever it runs (a query over tables,
// the SELECT of an INSERT, an UPDATE's SET, a pipeline flow); a failure of SQL Strata
// generated on its own is INTERNAL_SQL and says it is a bug.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyUnclaimed, internal, LocatedError, StrataError } from '../../src/core/index.js';
import { projectAt, useTestBed } from '../helpers/harness.js';

const bed = useTestBed('errors');

function project(name: string, pipeline?: string): string {
  const dir = path.join(bed.dir, name);
  mkdirSync(path.join(dir, 'pipelines', 'main'), { recursive: true });
  if (pipeline) writeFileSync(path.join(dir, 'pipelines', 'main', 'main.sql'), pipeline);
  return dir;
}

const failure = async (dir: string, sql: string) =>
  (await (await projectAt(bed, dir)).query(sql).catch((e) => e)) as StrataError;

describe('the user’s SQL fails: the user’s error, in the user’s text', () => {
  it('a query over a table (rewritten into a scan of its files): the user’s function and line', async () => {
    const dir = project('query');
    const p = await projectAt(bed, dir);
    await p.query(`CREATE TABLE s.t (id INT, s STRING)`);
    await p.query(`INSERT INTO s.t VALUES (1, 'a,b')`);
    const err = await failure(dir, `SELECT id,\n       split(id, array(1)) AS parts\nFROM s.t`);
    expect(err).toBeInstanceOf(LocatedError);
    expect(err.code).toBe('SQL_ERROR');
    expect(err.message).toContain("'split(VARCHAR, INTEGER[])'");
    expect(err.message).toContain('LINE 2:        split(id, array(1)) AS parts\n               ^');
    expect(err.message).not.toMatch(/regexp_split_to_array|read_parquet|delta_scan/);
  });

  it('the SELECT of an INSERT and the SET of an UPDATE (run inside Strata’s SQL) stay the user’s', async () => {
    const dir = project('dml');
    const p = await projectAt(bed, dir);
    await p.query(`CREATE TABLE s.t (id INT, s STRING)`);
    await p.query(`INSERT INTO s.t VALUES (1, 'a')`);
    const insert = await failure(dir, `INSERT INTO s.t SELECT id, split(id, array(1))[1] FROM s.t`);
    expect([insert.code, insert.message.split('\n')[0]]).toEqual([
      'SQL_ERROR',
      "Binder Error: No function matches the given name and argument types 'split(VARCHAR, INTEGER[])'. You might need to add explicit type casts.",
    ]);
    const update = await failure(dir, `UPDATE s.t SET s = split(id, array(1))[1]`);
    expect(update.code).toBe('SQL_ERROR');
    expect(update.message).toMatch(/^cannot write to table s\.t: Binder Error: .*'split\(VARCHAR, INTEGER\[\]\)'/);
    expect(update.message).toContain(
      `LINE 1: UPDATE s.t SET s = split(id, array(1))[1]\n${' '.repeat('LINE 1: UPDATE s.t SET s = '.length)}^`,
    );
    expect(update.message).not.toMatch(/regexp_split_to_array/);
    // A value that does not fit: DuckDB's words, the table named.
    const big = await failure(dir, `INSERT INTO s.t SELECT 5000000000000, 'x'`);
    expect([big.code, big.message]).toEqual([
      'SQL_ERROR',
      expect.stringMatching(
        /^cannot write to table s\.t: Conversion Error: Type INT64 with value 5000000000000 can't be cast/,
      ),
    ]);
  });

  it('a pipeline flow: file:line:column of the user’s text in the pipeline file, the code in the event log', async () => {
    // The tables exist (a first update binds its queries before any flow: run-check.test.ts),
    // then the query changes: the flow fails as it runs.
    const dir = project(
      'pipeline',
      `CREATE OR REFRESH MATERIALIZED VIEW good AS SELECT 1 AS id;\n\nCREATE OR REFRESH MATERIALIZED VIEW bad AS SELECT id FROM good;\n`,
    );
    const p = await projectAt(bed, dir);
    expect((await p.runPipeline(await p.loadPipeline('main'))).status).toBe('COMPLETED');
    writeFileSync(
      path.join(dir, 'pipelines', 'main', 'main.sql'),
      `CREATE OR REFRESH MATERIALIZED VIEW good AS SELECT 1 AS id;

CREATE OR REFRESH MATERIALIZED VIEW bad AS
SELECT id,
       nvl(id, 0) AS n,
       split(id, array(1)) AS parts
FROM good;
`,
    );
    const outcome = await p.runPipeline(await p.loadPipeline('main'));
    const bad = outcome.flows.find((f) => f.dataset === 'bad')!;
    expect(bad.status).toBe('FAILED');
    expect(bad.message).toMatch(
      /^pipelines\/main\/main\.sql:6:8: Binder Error: No function matches the given name and argument types 'split\(VARCHAR, INTEGER\[\]\)'/,
    );
    expect(bad.message).toContain('\n\n         split(id, array(1)) AS parts\n         ^');
    expect(bad.message).not.toMatch(/regexp_split_to_array|coalesce/);
    const logged = await p.query(
      `SELECT error FROM system.event_log WHERE event_type = 'flow_progress' AND level = 'ERROR'`,
    );
    expect(JSON.parse(String(logged.rows[0][0])).exceptions[0].class_name).toBe('SQL_ERROR');
  });
});

describe('Strata’s own SQL fails: INTERNAL_SQL, a bug', () => {
  const BUG = /this is a bug in Strata; run with --verbose and report it$/;

  it('a generated statement run through internal()', async () => {
    const sql = `SELECT origin.update_id FROM (SELECT 1 AS x) AS e`;
    const err = (await bed.engine
      .withSession((s) => internal(s.query(sql), 'reading the event log'))
      .catch((e) => e)) as StrataError & { sql: string };
    expect(err.code).toBe('INTERNAL_SQL');
    expect(err.message).toMatch(
      /^Strata's own SQL failed while reading the event log: Binder Error: Referenced table "origin" not found!/,
    );
    expect(err.message).toMatch(BUG);
    expect(err.message).not.toContain('LINE 1');
    expect(err.sql).toBe(sql); // for --verbose
  });

  it('generated SQL run through the user’s path (as `strata events` does) once marked internal', async () => {
    const dir = project('events');
    const generated = `WITH e AS (SELECT 1 AS x) SELECT origin.update_id FROM e`;
    expect((await failure(dir, generated)).code).toBe('SQL_ERROR'); // unmarked: taken for the user's
    const err = (await internal((await projectAt(bed, dir)).query(generated)).catch((e) => e)) as StrataError;
    expect(err.code).toBe('INTERNAL_SQL');
    expect(err.message).toMatch(BUG);
  });

  it('an engine failure no boundary claimed reaches the top as a bug when DuckDB refused the text, not when it refused the data', async () => {
    const text = await bed.engine.withSession((s) => s.query(`SELECT nope FROM range(1)`)).catch((e) => e);
    expect((classifyUnclaimed(text) as StrataError).code).toBe('INTERNAL_SQL');
    const data = await bed.engine.withSession((s) => s.query(`SELECT CAST('x' AS INT)`)).catch((e) => e);
    const shown = classifyUnclaimed(data) as StrataError;
    expect(shown.code).toBe('SQL_ERROR');
    expect(shown.message).toBe("Conversion Error: Could not convert string 'x' to INT32");
  });
});
