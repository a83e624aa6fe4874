// The strata CLI as users run it: the built bin, real Delta tables written by
// Spark (the shared conformance corpus), real files out.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/main.js';

const run = promisify(execFile);
const BIN = path.resolve('bin/strata.js');
const CORPUS = path.resolve(process.env.STRATA_CONFORMANCE_DIR ?? '../shared/conformance/delta');
const table = (id: string) => path.join(CORPUS, id, 'delta');
const tmp = mkdtempSync(path.join(tmpdir(), 'strata-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function strata(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: tmp });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('strata query', () => {
  it("runs a file or standard input, prints each statement's result, takes a leading -- comment, and Spark's quoting (or DuckDB's with --dialect duckdb)", async () => {
    const file = path.join(tmp, 'checks.sql');
    writeFileSync(
      file,
      `-- the checks a job runs\nSELECT "a" AS x;\nSET spark.sql.shuffle.partitions = 4;\nSELECT 1 + 1 AS two\n`,
    );
    const fromFile = await strata('query', '--file', file, '--format', 'csv');
    expect(fromFile).toMatchObject({ code: 0, stdout: 'x\na\ntwo\n2\n' });
    const table = await strata('query', '--file', file);
    expect(table.stdout).toMatch(/^-- SELECT "a" AS x;?\n/);
    expect(table.stdout).toMatch(/\n-- SELECT 1 \+ 1 AS two\n/);
    const piped = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'query', '-', '--format', 'csv'], { cwd: tmp });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.on('close', () => resolve(out));
      child.stdin.end('-- a comment first\nSELECT concat("x", \'y\') AS xy');
    });
    expect(piped).toBe('xy\nxy\n');
    const duck = await strata('query', '--dialect', 'duckdb', 'SELECT "v" FROM (SELECT 7 AS v)', '--format', 'csv');
    expect(duck.stdout).toBe('v\n7\n');
    const both = await strata('query', 'SELECT 1', '--file', file);
    expect(both).toMatchObject({ code: 2, stderr: expect.stringMatching(/not both/) });
  });

  it('prints a table of a Spark-written partitioned table, NULL partition included', async () => {
    const r = await strata(
      'query',
      `SELECT letter, number FROM delta_scan('${table('dat/basic_partitioned')}') ORDER BY number`,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/│ letter\s+│ number │/);
    expect(r.stdout).toMatch(/│ NULL\s+│\s+6 │/);
    expect(r.stdout).toMatch(/6 rows/);
  });

  it('reads an older version with version => N', async () => {
    const r = await strata(
      'query',
      `SELECT count(*) AS n FROM delta_scan('${table('dat/basic_append')}', version => 0)`,
      '--format',
      'json',
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ n: 3 });
  });

  it('writes CSV with a header, one line per row', async () => {
    const r = await strata(
      'query',
      `SELECT letter, number FROM delta_scan('${table('dat/basic_partitioned')}') WHERE letter = 'a' ORDER BY number`,
      '--format',
      'csv',
    );
    expect(r.stdout).toBe('letter,number\na,1\na,4\n');
  });

  it('writes JSON lines and Parquet files', async () => {
    const out = path.join(tmp, 'out.parquet');
    const r = await strata(
      'query',
      `SELECT * FROM delta_scan('${table('dat/basic_append')}')`,
      '--format',
      'parquet',
      '--output',
      out,
    );
    expect(r.code).toBe(0);
    const back = await strata('query', `SELECT count(*) AS n FROM read_parquet('${out}')`, '--format', 'json');
    expect(JSON.parse(back.stdout)).toEqual({ n: 5 });
  });

  it('runs plain DuckDB statements such as COPY ... TO', async () => {
    const out = path.join(tmp, 'copy.csv');
    const r = await strata(
      'query',
      `COPY (SELECT number FROM delta_scan('${table('dat/basic_append')}') ORDER BY number) TO '${out}' (HEADER false)`,
    );
    expect(r.code).toBe(0);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toEqual(['1', '2', '3', '4', '5']);
  });

  it('resolves relative table paths against --project', async () => {
    const r = await strata(
      '--project',
      CORPUS,
      'query',
      `SELECT count(*) AS n FROM delta_scan('dat/basic_append/delta')`,
      '--format',
      'json',
    );
    expect(JSON.parse(r.stdout)).toEqual({ n: 5 });
  });

  it('fails with one clear line and exit 1 for a missing table', async () => {
    const r = await strata('query', `SELECT * FROM delta_scan('no/such/table')`);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: no table at no/such/table: the folder does not exist\n');
  });

  it('names the refused feature for a protocol newer than supported', async () => {
    const r = await strata(
      'query',
      `SELECT * FROM delta_scan('${table('kernel-rs-golden/deltalog-invalid-protocol-version')}')`,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/requires Delta reader version 99/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('adds the stack with --verbose', async () => {
    const r = await strata('--verbose', 'query', `SELECT * FROM delta_scan('no/such/table')`);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('reports bad SQL as the engine words it, exit 1', async () => {
    const r = await strata('query', 'SELEC 1');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: Parser Error: syntax error at or near "SELEC"/);
  });

  it('exits 1, not 2, when a statement is refused (a usage error is about the command line)', async () => {
    const r = await strata('query', `SELECT * FROM table_changes('${table('dat/basic_append')}', 0)`);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/change data feed is not enabled at version 0/);
  });

  it('stops quietly, exit 0, when the reader closes the pipe early (strata query ... | head)', async () => {
    const child = spawn(process.execPath, [BIN, 'query', 'SELECT id AS n FROM range(2000000)', '--format', 'csv'], {
      cwd: tmp,
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('exits 2 on a usage error', async () => {
    expect((await strata('query')).code).toBe(2);
    expect((await strata('query', 'SELECT 1', '--format', 'xml')).code).toBe(2);
    expect((await strata('no-such-command')).code).toBe(2);
  });
});

describe('strata table', () => {
  it('describes schema, partitioning, protocol, files and version', async () => {
    const r = await strata('table', 'describe', table('dat/basic_partitioned'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^version\s+1/m);
    expect(r.stdout).toMatch(/^partitions letter$/m);
    expect(r.stdout).toMatch(/^protocol\s+reader 1, writer 2$/m);
    expect(r.stdout).toMatch(/^files\s+\d+ \(/m);
    expect(r.stdout).toMatch(/^\s+letter\s+string\s+partition$/m);
    expect(r.stdout).toMatch(/^\s+a_float\s+double$/m);
  });

  it('describes as JSON, with reader features', async () => {
    const r = await strata(
      'table',
      'describe',
      table('kernel-rs-golden/basic-with-vacuum-protocol-check-feature'),
      '--json',
    );
    const detail = JSON.parse(r.stdout);
    expect(detail.protocol).toMatchObject({ minReaderVersion: 3, minWriterVersion: 7 });
    expect(detail.protocol.readerFeatures).toContain('vacuumProtocolCheck');
    expect(detail.numRecords).toBe(100);
  });

  it('lists history newest first with operations and metrics', async () => {
    const r = await strata('table', 'history', table('dat/basic_append'), '--json');
    expect(r.code).toBe(0);
    const entries = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(entries.map((e) => e.version)).toEqual([1, 0]);
    expect(entries[0].operation).toBe('WRITE');
    expect(entries[0].operationParameters.mode).toBe('Append');
    expect(entries[0].timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('creates, fills and lists project tables by name, and describes them by name', async () => {
    const project = path.join(tmp, 'proj');
    expect(
      (
        await strata(
          '--project',
          project,
          'query',
          'CREATE TABLE sales.orders AS SELECT id, id % 7 AS store FROM range(100)',
        )
      ).code,
    ).toBe(0);
    const insert = await strata(
      '--project',
      project,
      'query',
      'INSERT INTO sales.orders VALUES (100, 1)',
      '--format',
      'json',
    );
    expect(JSON.parse(insert.stdout)).toEqual({ version: 1, num_affected_rows: 1, num_inserted_rows: 1 });
    const list = await strata('--project', project, 'table', 'list', '--json');
    expect(JSON.parse(list.stdout)).toMatchObject({ table: 'sales.orders', version: 1, rows: 101 });
    const d = await strata('--project', project, 'table', 'describe', 'sales.orders', '--json');
    expect(JSON.parse(d.stdout).columns.map((c: { name: string; type: string }) => `${c.name} ${c.type}`)).toEqual([
      'id long',
      'store long',
    ]);
    const h = await strata('--project', project, 'table', 'history', 'sales.orders', '--json');
    expect(
      h.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).operation),
    ).toEqual(['WRITE', 'CREATE TABLE AS SELECT']);
    const q = await strata(
      '--project',
      project,
      'query',
      'SELECT count(*) AS n FROM sales.orders VERSION AS OF 0',
      '--format',
      'json',
    );
    expect(JSON.parse(q.stdout)).toEqual({ n: 100 });
  });

  it('has --help with an example on every command', async () => {
    // Every command and subcommand of the program, as commander prints its help (the text after
    // the options included); the binary itself for the top level.
    const missing: string[] = [];
    const walk = (cmd: Command, names: string[]) => {
      for (const sub of cmd.commands) {
        const path = [...names, sub.name()];
        let out = '';
        sub.configureOutput({ writeOut: (t) => (out += t), writeErr: (t) => (out += t) });
        sub.outputHelp();
        if (!/Example/.test(out)) missing.push(path.join(' '));
        walk(sub, path);
      }
    };
    const program = buildProgram();
    walk(program, []);
    expect(missing).toEqual([]);
    expect(program.commands.length).toBeGreaterThan(10);
    const r = await strata('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Example/);
  });
});

describe('strata export databricks', () => {
  it('writes the bundle of a project, lists its files and what to know before deploying; refuses another target', async () => {
    const out = path.join(tmp, 'retail-bundle');
    const r = await strata('--project', path.resolve('examples/retail'), 'export', 'databricks', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Wrote a Databricks Asset Bundle to .*retail-bundle:\n  src\/retail\/bronze\.sql\n/);
    expect(r.stdout).toMatch(/\n  databricks\.yml\n/);
    expect(r.stdout).toMatch(/To know before deploying:\n/);
    expect(r.stdout).toMatch(/\n  - pipelines\/retail\/silver\.sql:62: silver\.products: ON VIOLATION QUARANTINE/);
    expect(r.stdout).toMatch(
      /\n  - pipelines\/retail\/bronze\.sql:19: read_files\('landing\/parent\/orders\/\*\.csv'\) reads a folder/,
    );
    expect(existsSync(path.join(out, 'resources/retail.pipeline.yml'))).toBe(true);
    const bad = await strata('export', 'snowflake');
    expect([bad.code, bad.stderr]).toEqual([2, "error: unknown export target 'snowflake' (use databricks)\n"]);
  });
});

describe('strata ingest', () => {
  it('previews, loads once, reports failures with exit 1, and --help has an example', async () => {
    const project = path.join(tmp, 'ingest-project');
    const landingDir = path.join(project, 'landing/orders');
    mkdirSync(landingDir, { recursive: true });
    writeFileSync(path.join(landingDir, 'a.csv'), 'id,price\n1,2.5\n2,x\n');
    const plan = await strata('--project', project, 'ingest', 'bronze.orders', '--from', 'landing/orders', '--plan');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('1 file(s) waiting');
    expect(plan.stdout).toContain('columns: id, price (the table takes them)');
    expect(existsSync(path.join(project, 'lake/bronze/orders'))).toBe(false); // nothing written
    const load = await strata(
      '--project',
      project,
      'ingest',
      'bronze.orders',
      '--from',
      'landing/orders',
      '--option',
      'schemaHints=price DOUBLE',
    );
    expect(load.code).toBe(0);
    expect(load.stdout).toMatch(/loaded 1 file\(s\): 2 row\(s\), 1 with rescued data, 0 quarantined; 0 failed/);
    expect(load.stderr).toBe(''); // no progress bar when stderr is not a terminal
    writeFileSync(path.join(landingDir, 'b.csv'), '');
    // Without --from, the last load's source and options.
    const planned = await strata('--project', project, 'ingest', 'plan', 'bronze.orders');
    expect(planned.code).toBe(0);
    expect(planned.stdout).toContain('1 file(s) waiting');
    expect(planned.stdout).toContain('+ landing/orders/b.csv');
    const again = await strata('--project', project, 'ingest', 'bronze.orders');
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/loaded 0 file\(s\).*1 failed, 1 already loaded/);
    expect(again.stdout).toMatch(/failed: landing\/orders\/b.csv: the file is empty/);
    const described = await strata('--project', project, 'table', 'describe', 'bronze.orders');
    expect(described.stdout).toMatch(
      /ingestion \(system.ingest_files\)\n\s+2 batch\(es\); 1 file\(s\) loaded \(2 rows, 0 quarantined\), 1 failed/,
    );
    expect(described.stdout).toMatch(/failed: .*b.csv: the file is empty/);
    writeFileSync(path.join(landingDir, 'c.csv'), 'id,price\n3,1\n4,1,extra\n');
    await strata('--project', project, 'ingest', 'bronze.orders');
    const listed = await strata('--project', project, 'quarantine', 'list');
    expect(listed.stdout).toMatch(/bronze\.orders\s+│\s+bronze\.orders_quarantine\s+│\s+1/);
    const shown = await strata('--project', project, 'quarantine', 'show', 'bronze.orders');
    expect(shown.stdout).toContain('4,1,extra');
    expect(shown.stdout).toContain('Expected Number of Columns: 2 Found: 3');
    const help = await strata('ingest', '--help');
    expect(help.stdout).toMatch(/Examples:\n\s+\$ strata ingest/);
    const usage = await strata(
      '--project',
      project,
      'ingest',
      'bronze.orders',
      '--from',
      'landing/orders',
      '--option',
      'nonsense',
    );
    expect(usage.code).toBe(2);
    const never = await strata('--project', project, 'ingest', 'plan', 'bronze.other');
    expect(never.code).toBe(2);
    expect(never.stderr).toMatch(/give --from/);
  });
});

describe('strata init', () => {
  it('creates an empty project the other commands accept, and refuses to overwrite one', async () => {
    const r = await strata('init', 'fresh-project');
    expect(r.code).toBe(0);
    const root = path.join(tmp, 'fresh-project');
    for (const p of ['strata.yaml', 'pipelines/main/bronze.sql', 'landing', 'lake'])
      expect(existsSync(path.join(root, p)), p).toBe(true);
    expect(readFileSync(path.join(root, 'strata.yaml'), 'utf8')).toContain('name: fresh-project');
    mkdirSync(path.join(root, 'landing/orders'));
    writeFileSync(path.join(root, 'landing/orders/a.csv'), 'id\n1\n');
    expect((await strata('--project', root, 'ingest', 'bronze.orders', '--from', 'landing/orders')).code).toBe(0);
    const again = await strata('init', 'fresh-project');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already a Strata project/);
    // The scaffolded pipeline checks out; a broken one lists every problem with file:line:column.
    const plan = await strata('--project', root, 'run', '--dry-run');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/pipeline main: 1 dataset\(s\), 0 flow\(s\) in 1 file\(s\)/);
    expect(plan.stdout).toMatch(
      /1\. bronze\.orders \(streaming table\) ← STREAM read_files\('landing\/orders\/\*\.csv', format => 'csv'\)/,
    );
    writeFileSync(
      path.join(root, 'pipelines/main/silver.sql'),
      'CREATE OR REFRESH MATERIALIZED VIEW silver.x AS SELECT * FROM STREAM(gold.y);\nCREATE OR REFRESH MATERIALIZED VIEW bronze.orders AS SELECT 1;\n',
    );
    const broken = await strata('--project', root, 'run', 'main', '--dry-run');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(
      'pipelines/main/silver.sql:1:70: UNKNOWN_TABLE gold.y is not defined in the pipeline',
    );
    expect(broken.stderr).toContain('pipelines/main/silver.sql:2:37: DUPLICATE_NAME bronze.orders is defined twice');
    expect(broken.stderr).toMatch(/2 problem\(s\) in its definitions/);
  });
});

describe('strata run', () => {
  it('updates a pipeline: summary table, exit 1 on a failed rule, events, quarantine show and replay', async () => {
    const root = path.join(tmp, 'run-project');
    expect((await strata('init', root)).code).toBe(0);
    mkdirSync(path.join(root, 'landing/orders'), { recursive: true });
    writeFileSync(path.join(root, 'landing/orders/a.csv'), 'order_id,price\n1,10\n2,-5\n3,7\n');
    writeFileSync(
      path.join(root, 'pipelines/main/silver.sql'),
      `CREATE OR REFRESH STREAMING TABLE silver.orders (
  CONSTRAINT price_positive EXPECT (price > 0) ON VIOLATION QUARANTINE,
  CONSTRAINT price_small EXPECT (price < 1000) ON VIOLATION FAIL UPDATE
) AS SELECT CAST(order_id AS INT) AS order_id, CAST(price AS INT) AS price FROM STREAM(bronze.orders);
`,
    );
    const r = await strata('--project', root, 'run');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/of pipeline main: COMPLETED/);
    expect(r.stdout).toMatch(/│ bronze\.orders │\s+│ completed │\s+3 │\s+3 │\s+0 │\s+0 │/);
    expect(r.stdout).toMatch(/│ silver\.orders │\s+│ completed │\s+3 │\s+2 │\s+0 │\s+1 │/);
    expect(r.stdout).toMatch(/silver\.orders: price_positive failed for 1 of 3 row\(s\)/);
    const shown = await strata('--project', root, 'quarantine', 'show', 'silver.orders');
    expect(shown.stdout).toMatch(/failed expectation\(s\): price_positive/);
    expect(shown.stdout).toContain('{"order_id":2,"price":-5}');
    // Bronze has the file's columns and _rescued_data only: no audit columns.
    const bronze = await strata(
      '--project',
      root,
      'query',
      'SELECT * FROM bronze.orders ORDER BY order_id',
      '--format',
      'csv',
    );
    expect(bronze.stdout).toBe('order_id,price,_rescued_data\n1,10,\n2,-5,\n3,7,\n');
    const events = await strata('--project', root, 'events');
    expect(events.code).toBe(0);
    expect(events.stdout).toMatch(/update_progress .*Update \w+ is COMPLETED/);
    expect(events.stdout).toMatch(/flow_progress\s+│ silver\.orders │ WARN/);
    // A rule that fails the update: exit 1, the rule named, nothing written to silver.
    writeFileSync(path.join(root, 'landing/orders/b.csv'), 'order_id,price\n4,5000\n');
    const failed = await strata('--project', root, 'run');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/FAILED/);
    expect(failed.stderr).toMatch(
      /silver\.orders: expectation price_small \(ON VIOLATION FAIL UPDATE\) of silver\.orders failed for 1 row\(s\), e\.g\. \{"order_id":4,"price":5000/,
    );
    expect((await strata('--project', root, 'events', '--level', 'ERROR')).stdout).toMatch(/price_small/);
    // Fix the rule, replay the quarantine, run again.
    writeFileSync(
      path.join(root, 'pipelines/main/silver.sql'),
      readFileSync(path.join(root, 'pipelines/main/silver.sql'), 'utf8')
        .replace('price > 0', 'price <> 0')
        .replace('price < 1000', 'price < 10000'),
    );
    const replay = await strata('--project', root, 'quarantine', 'replay', 'silver.orders');
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toMatch(
      /1 quarantined row\(s\) replayed: 1 restored to the table \(version \d+\), 0 dropped, 0 still failing/,
    );
    const again = await strata('--project', root, 'run');
    expect(again.code, again.stderr).toBe(0);
    const n = await strata(
      '--project',
      root,
      'query',
      'SELECT count(*) AS n, sum(price) AS s FROM silver.orders',
      '--format',
      'csv',
    );
    expect(n.stdout).toBe('n,s\n4,5012\n');
    // Full refresh of a table that loads files needs --force.
    const refused = await strata('--project', root, 'run', '--full-refresh', 'bronze.orders');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Add --force/);
    expect((await strata('run', '--help')).stdout).toMatch(/--full-refresh <tables>[\s\S]*Examples:/);
  });
});

describe('strata demo', () => {
  it('--once makes the retail project, runs it and prints the KPIs and the data-quality summary; a second run continues it', async () => {
    const r = await strata('demo', '--once', '--dir', 'demo-once', '--days', '40', '--rows-per-day', '60');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Landed 40 days of files \(2024-11-01 to 2024-12-10, seed 42\)/);
    expect(r.stdout).toMatch(/Update \S+ completed in [\d.]+ s: [\d,]+ new order line\(s\) in gold\.fact_sales/);
    expect(r.stdout).toMatch(/total revenue\s+[\d,]+\.\d\d/);
    expect(r.stdout).toMatch(/share by channel\s+\w+ [\d.]+%/);
    expect(r.stdout).toMatch(/silver\.order_line_duplicates one_row_per_order_line\s+\d+ of\s+[\d,]+\s+kept, counted/);
    expect(r.stdout).toMatch(/silver\.products price_\w+\s+\d+ of\s+\d+\s+quarantined/);
    expect(r.stdout).toMatch(/gold\.dq_monthly_coverage company_reported\s+1 of\s+4\s+kept, counted/);
    // The KPIs are in the project for any tool to read.
    const kpi = await strata(
      '--project',
      path.join(tmp, 'demo-once'),
      'query',
      'SELECT unique_customers FROM gold.kpi_overview',
      '--format',
      'csv',
    );
    expect(kpi.stdout).toBe('unique_customers\n64\n');
    const again = await strata('demo', '--once', '--dir', 'demo-once');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/Continuing the demo project in .*demo-once \(40 days landed; --reset starts over\)/);
    expect(again.stdout).toMatch(/: 0 new order line\(s\)/);
    // A folder that is another project is left alone.
    mkdirSync(path.join(tmp, 'other'));
    writeFileSync(path.join(tmp, 'other', 'strata.yaml'), 'name: other\n');
    const refused = await strata('demo', '--once', '--dir', 'other');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /is a Strata project that strata demo did not make; choose another folder with --dir/,
    );
    expect((await strata('demo', '--days', 'x')).stderr).toMatch(
      /--days must be a whole number of at least 1, not 'x'/,
    );
    expect((await strata('demo', '--help')).stdout).toMatch(/--once[\s\S]*Examples:/);
  }, 60_000);

  it('plays a live store: new days land and the scheduler processes them until Ctrl-C', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'demo', '--dir', 'demo-live', '--days', '10', '--rows-per-day', '30', '--interval', '0.5', '--port', '0'],
      { cwd: tmp },
    );
    let stdout = '';
    let interrupted = false;
    // An update per run of the live_store job (its file-arrival trigger): a day, or more, or part
    // of one (a company's file still being written waits for the next).
    const updates = () => [
      ...stdout.matchAll(/^\[through (2024-\d\d-\d\d)\] Update \S+ completed in [\d.]+ s: (\d+) new order line\(s\)/gm),
    ];
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      // One Ctrl-C (a second one would stop the process at once, as a second Ctrl-C should).
      if (!interrupted && updates().length === 2) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    const seen = updates();
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen[0][1] >= '2024-11-11').toBe(true); // after the 10 days of history
    expect(seen[1][1] > seen[0][1] || Number(seen[1][2]) > 0).toBe(true);
    expect(stdout).toMatch(/Stopped\. The project is in/);
    expect(stdout).toMatch(/\nDashboard: http:\/\/127\.0\.0\.1:\d+ /);
    // Every line an update reported is in gold once: nothing lost, nothing twice.
    const lines = await strata(
      '--project',
      path.join(tmp, 'demo-live'),
      'query',
      "SELECT count(*) AS n FROM gold.fact_sales WHERE order_date >= DATE '2024-11-11'",
      '--format',
      'csv',
    );
    const n = Number(lines.stdout.split('\n')[1]);
    expect(n).toBe(seen.reduce((sum, m) => sum + Number(m[2]), 0));
    // They were runs of the scheduler's live_store job, started by its file-arrival trigger.
    const runs = await strata(
      '--project',
      path.join(tmp, 'demo-live'),
      'query',
      "SELECT count(*) AS n FROM system.job_runs WHERE job_key = 'live_store' AND trigger_type = 'FILE_ARRIVAL' AND result_state = 'SUCCESS'",
      '--format',
      'csv',
    );
    expect(Number(runs.stdout.split('\n')[1])).toBeGreaterThanOrEqual(2);
  }, 60_000);
});

describe('strata init --template retail', () => {
  it('scaffolds the reference pipeline with generated landing files, ready to run', async () => {
    const r = await strata('init', 'shop', '--template', 'retail');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/created the retail project in .*shop/);
    expect(existsSync(path.join(tmp, 'shop', 'pipelines', 'retail', 'gold.sql'))).toBe(true);
    const dry = await strata('--project', path.join(tmp, 'shop'), 'run', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/gold\.agg_monthly_sales/);
    expect((await strata('init', 'x', '--template', 'nope')).stderr).toMatch(
      /unknown template 'nope'; the templates are: retail/,
    );
  });
});

describe('strata jobs', () => {
  it('lists the jobs, runs one (exit 1 when it fails), lists its runs and shows one', async () => {
    const dir = path.join(tmp, 'jobs');
    mkdirSync(path.join(dir, 'sql'), { recursive: true });
    writeFileSync(path.join(dir, 'sql', 'one.sql'), 'SELECT 41 + 1 AS answer;\n');
    const node = JSON.stringify(process.execPath);
    writeFileSync(
      path.join(dir, 'strata.yaml'),
      `jobs:
  nightly:
    name: Nightly
    schedule: { quartz_cron_expression: "0 0 6 * * ?", timezone_id: Europe/Berlin }
    parameters: [{ name: fail, default: "0" }]
    tasks:
      - { task_key: answer, sql_task: { file: { path: sql/one.sql } } }
      - task_key: check
        depends_on: [{ task_key: answer }]
        command_task: { command: [${node}, -e, "process.exit(Number(process.argv[1]))", "{{job.parameters.fail}}"] }
`,
    );
    const list = await strata('--project', dir, 'jobs', 'list', '--format', 'csv');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(
      /^job,name,tasks,trigger,next,paused\nnightly,Nightly,answer → check,cron 0 0 6 \* \* \? \(Europe\/Berlin\),\d{4}-\d\d-\d\d 06:00:00 Europe\/Berlin,\n$/,
    );
    const ok = await strata('--project', dir, 'jobs', 'run', 'nightly', '--format', 'csv');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(
      /^run (\d+) of nightly: SUCCESS in [\d.]+ s\ntask,result,attempts,error\nanswer,SUCCESS,1,\ncheck,SUCCESS,1,\n$/,
    );
    const failed = await strata('--project', dir, 'jobs', 'run', 'nightly', '--param', 'fail=4', '--format', 'csv');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/: FAILED in /);
    expect(failed.stdout).toMatch(/\ncheck,FAILED,1,.* exited with code 4\n/);
    const runId = /^run (\d+)/.exec(failed.stdout)![1];
    const runs = await strata('--project', dir, 'jobs', 'runs', 'nightly', '--format', 'json');
    const rows = runs.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string>);
    expect(rows.map((r) => [r.trigger, r.state, r.result])).toEqual([
      ['MANUAL', 'TERMINATED', 'FAILED'],
      ['MANUAL', 'TERMINATED', 'SUCCESS'],
    ]);
    expect(rows[0].run).toBe(runId);
    const show = await strata('--project', dir, 'jobs', 'show', runId, '--format', 'csv');
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(new RegExp(`^run ${runId} of nightly \\(MANUAL\\): TERMINATED FAILED, started `));
    expect(show.stdout).toMatch(
      /\nanswer,sql_task,,0,SUCCESS,[\d.]+ s,\ncheck,command_task,answer,0,FAILED,[\d.]+ s,.*code 4\n$/,
    );
    const repaired = await strata('--project', dir, 'jobs', 'repair', runId, '--all-failed', '--format', 'csv');
    expect(repaired.code).toBe(1); // the cause (fail=4, the run's parameter) is not fixed
    expect(repaired.stdout).toMatch(
      new RegExp(
        `^run ${runId} of nightly repaired: FAILED in [\\d.]+ s\ntask,result,attempts,error\nanswer,SUCCESS,1,\ncheck,FAILED,2,`,
      ),
    );
    expect((await strata('--project', dir, 'jobs', 'pause', 'nightly')).stdout).toBe('nightly paused\n');
    expect((await strata('--project', dir, 'jobs', 'list', '--format', 'csv')).stdout).toMatch(
      /\(Europe\/Berlin\),,paused \(strata jobs resume\)\n$/,
    );
    expect((await strata('--project', dir, 'jobs', 'resume', 'nightly')).stdout).toBe('nightly resumed\n');
    expect((await strata('--project', dir, 'jobs', 'list', '--format', 'csv')).stdout).toMatch(
      /\(Europe\/Berlin\),[\d-]+ 06:00:00 Europe\/Berlin,\n$/,
    );
    const unknown = await strata('--project', dir, 'jobs', 'run', 'weekly');
    expect([unknown.code, unknown.stderr.trim()]).toEqual([
      1,
      'error: no job weekly in strata.yaml; the jobs are nightly',
    ]);
    const badParam = await strata('--project', dir, 'jobs', 'run', 'nightly', '--param', 'oops');
    expect([badParam.code, badParam.stderr.trim()]).toEqual([2, "error: --param takes name=value, not 'oops'"]);
  });
});

describe('strata serve', () => {
  it('runs scheduled jobs at their times until Ctrl-C, then stops cleanly', async () => {
    const dir = path.join(tmp, 'serve');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'strata.yaml'),
      `jobs:\n  tick:\n    schedule: { quartz_cron_expression: "* * * * * ?" }\n    tasks:\n      - { task_key: t, command_task: { command: [${JSON.stringify(process.execPath)}, -e, "0"] } }\n`,
    );
    const child = spawn(process.execPath, [BIN, '--project', dir, 'serve', '--port', '0'], { cwd: tmp });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    for (let i = 0; i < 300 && !/tick: run \d+ SUCCESS/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    // A second scheduler on the same project, in another process, is refused naming the first.
    const second = await strata('--project', dir, 'serve', '--port', '0');
    expect(second.code).toBe(1);
    expect(second.stderr.trim()).toMatch(
      new RegExp(
        `^error: the scheduler \\(strata serve\\) is running \\(process ${child.pid} on ${hostname()}, since [\\d-]+T[\\d:.]+Z\\); wait for it, or try again later$`,
      ),
    );
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toMatch(/scheduler started: tick next at /);
    expect(out).toMatch(/tick: run \d+ SUCCESS in [\d.]+ s/);
    expect(out).toMatch(/stopping: waiting for the runs in progress/);
    const runs = await strata('--project', dir, 'jobs', 'runs', 'tick', '--format', 'json');
    const rows = runs.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string>);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.trigger === 'PERIODIC')).toBe(true);
  });
});

describe('a run whose process is killed', () => {
  it('kill -9 during a run: the next scheduler records it FAILED with the reason and retries the interrupted task in the same run', async () => {
    const dir = path.join(tmp, 'killed');
    mkdirSync(dir, { recursive: true });
    const wait = `require('fs').existsSync('go') ? process.exit(0) : setTimeout(() => {}, 60000)`;
    writeFileSync(
      path.join(dir, 'strata.yaml'),
      `jobs:\n  slow:\n    tasks:\n      - { task_key: first, command_task: { command: [${JSON.stringify(process.execPath)}, -e, "0"] } }\n      - { task_key: wait, depends_on: [{ task_key: first }], max_retries: 1, command_task: { command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(wait)}] } }\n`,
    );
    // `strata jobs run` in its own process group, killed with the program it runs.
    const child = spawn(process.execPath, [BIN, '--project', dir, 'jobs', 'run', 'slow'], { cwd: tmp, detached: true });
    const exited = new Promise((r) => child.on('exit', r));
    let runId = '';
    for (let i = 0; i < 400 && !runId; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const runs = await strata('--project', dir, 'jobs', 'runs', '--format', 'json');
      const row = runs.stdout.trim()
        ? (JSON.parse(runs.stdout.trim().split('\n')[0]) as Record<string, string>)
        : undefined;
      if (row?.state === 'RUNNING') {
        const show = await strata('--project', dir, 'jobs', 'show', row.run, '--format', 'csv');
        if (/\nwait,command_task,first,0,RUNNING,/.test(show.stdout)) runId = row.run;
      }
    }
    expect(runId).not.toBe('');
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
    writeFileSync(path.join(dir, 'go'), '');
    const serve = spawn(process.execPath, [BIN, '--project', dir, 'serve', '--port', '0'], { cwd: tmp });
    let out = '';
    serve.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const stopped = new Promise<number | null>((r) => serve.on('exit', (code) => r(code)));
    for (let i = 0; i < 400 && !/slow: run \d+ SUCCESS/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    serve.kill('SIGINT');
    expect(await stopped).toBe(0);
    expect(out).toMatch(
      new RegExp(
        `slow: run ${runId} recorded as FAILED \\(interrupted: process \\d+ on .*, which ran it, stopped\\); its interrupted tasks are retried`,
      ),
    );
    expect(out).toMatch(new RegExp(`slow: run ${runId} SUCCESS`));
    const show = await strata('--project', dir, 'jobs', 'show', runId, '--format', 'csv');
    expect(show.stdout).toMatch(new RegExp(`^run ${runId} of slow \\(MANUAL\\): TERMINATED SUCCESS`));
    // first ran once; wait: the interrupted attempt, then the retry.
    expect(show.stdout).toMatch(/\nfirst,command_task,,0,SUCCESS,/);
    expect(show.stdout).toMatch(
      /\nwait,command_task,first,0,FAILED,[\d.]+ s,"interrupted: process \d+ on .*, which ran it, stopped"\n/,
    );
    expect(show.stdout).toMatch(/\nwait,command_task,first,1,SUCCESS,/);
    expect(show.stdout.match(/\nfirst,/g)).toHaveLength(1);
  });
});

describe('strata watch', () => {
  it('updates the pipeline at the start and for each file that lands, until Ctrl-C', async () => {
    const dir = path.join(tmp, 'watch');
    mkdirSync(path.join(dir, 'pipelines', 'p'), { recursive: true });
    mkdirSync(path.join(dir, 'landing'), { recursive: true });
    writeFileSync(
      path.join(dir, 'pipelines', 'p', 'main.sql'),
      "CREATE OR REFRESH STREAMING TABLE orders AS SELECT * FROM STREAM read_files('landing/*.csv', format => 'csv');\n",
    );
    writeFileSync(path.join(dir, 'landing', '1.csv'), 'id\n1\n2\n');
    const child = spawn(process.execPath, [BIN, '--project', dir, 'watch'], { cwd: tmp });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const until = async (re: RegExp) => {
      for (let i = 0; i < 400 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 50));
      expect(out).toMatch(re);
    };
    await until(/update \w+ \(start\): COMPLETED, 2 row\(s\) written/);
    writeFileSync(path.join(dir, 'landing', '2.csv'), 'id\n3\n');
    await until(/update \w+ \(1 new file\(s\)\): COMPLETED, 1 row\(s\) written/);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toMatch(/stopped\n$/);
    const q = await strata('--project', dir, 'query', 'SELECT count(*) AS n FROM orders', '--format', 'csv');
    expect(q.stdout).toBe('n\n3\n');
  });
});

describe('strata run, Ctrl-C', () => {
  it('stops the update and leaves its tables as they were before it (exit 130)', async () => {
    const dir = path.join(tmp, 'run-ctrl-c');
    mkdirSync(path.join(dir, 'pipelines', 'p'), { recursive: true });
    mkdirSync(path.join(dir, 'landing'), { recursive: true });
    writeFileSync(
      path.join(dir, 'pipelines', 'p', 'main.sql'),
      `CREATE OR REFRESH STREAMING TABLE orders AS SELECT * FROM STREAM read_files('landing/*.csv', format => 'csv');
CREATE OR REFRESH MATERIALIZED VIEW endless AS
SELECT count(*) AS n FROM orders CROSS JOIN (SELECT sum(hash(a.id + b.id)) AS h FROM range(1000000) a CROSS JOIN range(1000000) b);
`,
    );
    writeFileSync(path.join(dir, 'landing', '1.csv'), 'id\n1\n2\n');
    expect((await strata('--project', dir, 'run', 'p', '--select', 'orders')).code).toBe(0);
    writeFileSync(path.join(dir, 'landing', '2.csv'), 'id\n3\n');
    const child = spawn(process.execPath, [BIN, '--project', dir, 'run', 'p'], { cwd: tmp });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    // Whenever Ctrl-C comes (before the first flow, or while the endless view runs), the tables
    // end as they were before this update.
    await new Promise((r) => setTimeout(r, 3000));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(err).toMatch(/stopped: cancelled \(interrupted \(Ctrl-C\)\)/);
    const q = await strata('--project', dir, 'query', 'SELECT count(*) AS n FROM orders', '--format', 'csv');
    expect(q.stdout).toBe('n\n2\n');
    // The next update loads 2.csv.
    expect((await strata('--project', dir, 'run', 'p', '--select', 'orders')).code).toBe(0);
    const after = await strata('--project', dir, 'query', 'SELECT count(*) AS n FROM orders', '--format', 'csv');
    expect(after.stdout).toBe('n\n3\n');
  });
});
