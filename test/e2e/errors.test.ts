// Errors as the strata CLI prints them: the user's SQL in the user's words (their
// function, their line, file:line:column in a pipeline), and Strata's own SQL failing
// as a bug to report, its SQL only with --verbose.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = path.resolve('bin/strata.js');
const DIST = path.resolve('dist');
const tmp = mkdtempSync(path.join(tmpdir(), 'strata-errors-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function node(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, args, { cwd: tmp });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
const strata = (...args: string[]) => node([BIN, ...args]);

describe('the user’s SQL, in the user’s words', () => {
  // (split(1, ',') is Spark's split('1', ','): an array as the pattern is a misuse in both.)
  it('a misused Spark function: the user’s function and line, never the rewritten one; exit 1', async () => {
    const r = await strata('query', "SELECT element_at(split('a,b', array(1)), 1)");
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "error: Binder Error: No function matches the given name and argument types 'split(STRING_LITERAL, INTEGER[])'. You might need to add explicit type casts.\n\n" +
        "LINE 1: SELECT element_at(split('a,b', array(1)), 1)\n" +
        '                          ^\n',
    );
  });

  it('with --verbose, also the SQL DuckDB ran (the rewrite)', async () => {
    const r = await strata('--verbose', 'query', "SELECT element_at(split('a,b', array(1)), 1)");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: Binder Error: .*'split\(STRING_LITERAL, INTEGER\[\]\)'/);
    expect(r.stderr).toContain("the SQL DuckDB ran:\nSELECT coalesce((regexp_split_to_array('a,b', list_value(1)))");
  });

  it('a string never closed: where it starts', async () => {
    const r = await strata('query', "SELECT 1,\n  'abc");
    expect([r.code, r.stderr]).toEqual([1, 'error: unterminated string (line 2, column 3)\n']);
  });

  it('a pipeline: a failing flow at file:line:column, a bad AUTO CDC clause among the problems', async () => {
    const dir = path.join(tmp, 'pipeline');
    mkdirSync(path.join(dir, 'pipelines', 'main'), { recursive: true });
    writeFileSync(
      path.join(dir, 'pipelines', 'main', 'main.sql'),
      `CREATE OR REFRESH MATERIALIZED VIEW bad AS\nSELECT nvl(1, 0) AS n, split('a,b', array(1)) AS parts;\n`,
    );
    const r = await strata('--project', dir, 'run');
    expect(r.code).toBe(1);
    // A first update binds its queries before writing (run-check.ts): the problem, in the user's text.
    expect(r.stderr).toContain(
      "error: 1 problem(s) found in the pipeline's queries before running; nothing was written:\npipelines/main/main.sql:2:24: BIND Binder Error: No function matches the given name and argument types 'split(STRING_LITERAL, INTEGER[])'",
    );
    expect(r.stderr).not.toMatch(/regexp_split_to_array|string_split|coalesce/);
    writeFileSync(
      path.join(dir, 'pipelines', 'main', 'cdc.sql'),
      `CREATE OR REFRESH STREAMING TABLE dim;\nCREATE FLOW f AS AUTO CDC INTO dim\n  FROM STREAM(bad) KEYS (id)\n  SEQUENCE BY ts STORED AS SCD TYPE 3;\n`,
    );
    const problems = await strata('--project', dir, 'run', '--dry-run');
    expect(problems.code).toBe(1);
    expect(problems.stderr).toContain('pipelines/main/cdc.sql:4:37: SYNTAX f: expected SCD TYPE 1 or SCD TYPE 2');
  });
});

describe('dataset names the lake cannot hold', () => {
  it('are problems at --dry-run, with file:line:column, before anything runs (issue 18 item 10)', async () => {
    const dir = path.join(tmp, 'names');
    mkdirSync(path.join(dir, 'pipelines', 'main'), { recursive: true });
    writeFileSync(
      path.join(dir, 'pipelines', 'main', 'main.sql'),
      'CREATE OR REFRESH MATERIALIZED VIEW a.b.c.d AS SELECT 1 AS one;\n' +
        'CREATE OR REFRESH MATERIALIZED VIEW `x/y`.z AS SELECT 1 AS one;\n' +
        'CREATE TEMPORARY VIEW fine AS SELECT 1 AS one;\n',
    );
    const r = await strata('--project', dir, 'run', '--dry-run');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'pipelines/main/main.sql:1:37: INVALID_NAME table name a.b.c.d has too many parts: use [catalog.]schema.table (a folder lake/schema/table) or delta.`path`',
    );
    expect(r.stderr).toContain(
      "pipelines/main/main.sql:2:37: INVALID_NAME table name x/y.z is not valid: names cannot contain '/' or be '.' or '..'",
    );
    expect(r.stdout).toBe('');
  });
});

describe('Strata’s own SQL failing: a bug to report', () => {
  // No command can be made to generate wrong SQL on purpose: this runs a wrong generated
  // statement on the built engine and prints it the way every command does (reportError).
  const script = (verbose: boolean, marked: boolean) => `
    import { Engine } from ${JSON.stringify(path.join(DIST, 'engine/index.js'))};
    import { internal } from ${JSON.stringify(path.join(DIST, 'core/index.js'))};
    import { reportError } from ${JSON.stringify(path.join(DIST, 'cli/context.js'))};
    const engine = await Engine.create();
    const generated = 'SELECT origin.update_id FROM (SELECT 1 AS x) AS e';
    const err = await engine.withSession((s) => ${marked ? "internal(s.query(generated), 'reading the event log')" : 's.query(generated)'}).catch((e) => e);
    engine.close();
    process.exitCode = reportError(err, ${verbose});
  `;

  it('marked internal: one line, code INTERNAL_SQL, ending with the bug sentence; no SQL', async () => {
    const r = await node(['--input-type=module', '-e', script(false, true)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: Strata's own SQL failed while reading the event log: Binder Error: Referenced table "origin" not found! — this is a bug in Strata; run with --verbose and report it\n`,
    );
  });

  it('unclaimed by any user statement: the same, and with --verbose the generated SQL', async () => {
    const r = await node(['--input-type=module', '-e', script(false, false)]);
    expect(r.stderr).toMatch(
      /^error: Strata's own SQL failed: Binder Error: Referenced table "origin" not found! — this is a bug in Strata; run with --verbose and report it\n$/,
    );
    const verbose = await node(['--input-type=module', '-e', script(true, false)]);
    expect(verbose.stderr).toContain('the SQL DuckDB ran:\nSELECT origin.update_id FROM (SELECT 1 AS x) AS e\n');
    expect(verbose.stderr).toMatch(/\n\s+at /);
  });
});
