// A project as users make it: `strata init`, strata.yaml edited, files landed, `strata run`
// and the other commands — all finding the lake where strata.yaml puts it.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = path.resolve('bin/strata.js');
const tmp = mkdtempSync(path.join(tmpdir(), 'strata-project-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function strata(
  cwd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const SILVER = `CREATE OR REFRESH STREAMING TABLE silver.orders (
  CONSTRAINT price_positive EXPECT (price > 0) ON VIOLATION QUARANTINE
) AS SELECT CAST(id AS INT) AS id, CAST(price AS DECIMAL(10,2)) AS price, '\${region}' AS region FROM STREAM(bronze.orders);
`;

describe('a project whose strata.yaml moves the lake', () => {
  it('strata init, then lake: data/tables: pipelines, queries, ingest, events and quarantine all use that folder', async () => {
    const dir = path.join(tmp, 'shop');
    const init = await strata(tmp, ['init', 'shop']);
    expect(init.code, init.stderr).toBe(0);
    const yaml = readFileSync(path.join(dir, 'strata.yaml'), 'utf8');
    // Editors validate the file against the published schema.
    expect(yaml.split('\n')[0]).toMatch(/^# yaml-language-server: \$schema=.*schema\/strata\.schema\.json$/);
    const schemaRef = yaml.split('\n')[0].split('$schema=')[1];
    expect(existsSync(path.resolve(dir, schemaRef))).toBe(true);

    writeFileSync(
      path.join(dir, 'strata.yaml'),
      yaml.replace(/^lake: lake$/m, 'lake: data/tables') +
        '\npipelines:\n  main:\n    configuration:\n      region: EU\n',
    );
    writeFileSync(path.join(dir, 'pipelines/main/silver.sql'), SILVER);
    mkdirSync(path.join(dir, 'landing/orders'), { recursive: true });
    writeFileSync(path.join(dir, 'landing/orders/day1.csv'), 'id,price\n1,10.50\n2,-3\n3,7\n');

    const r = await strata(dir, ['run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/COMPLETED/);
    for (const t of [
      'bronze/orders',
      'silver/orders',
      'silver/orders_quarantine',
      '_system/event_log',
      '_system/ingest_files',
    ]) {
      expect(existsSync(path.join(dir, 'data/tables', t, '_delta_log')), t).toBe(true);
    }
    expect(existsSync(path.join(dir, 'lake/bronze'))).toBe(false);

    // Queries by name read the moved lake; the configuration filled ${region}.
    const q = await strata(dir, [
      'query',
      'SELECT id, price, region FROM silver.orders ORDER BY id',
      '--format',
      'csv',
    ]);
    expect(q.stdout).toBe('id,price,region\n1,10.50,EU\n3,7.00,EU\n');
    const quarantined = await strata(dir, ['quarantine', 'list']);
    expect(quarantined.stdout).toMatch(/silver\.orders\s+│\s+silver\.orders_quarantine\s+│\s+1 │/);
    const events = await strata(dir, ['events', '--format', 'csv']);
    expect(events.stdout).toMatch(/flow_progress/);
    const tables = await strata(dir, ['table', 'list', '--json']);
    const names = tables.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).table);
    expect(names).toEqual(
      expect.arrayContaining([
        'bronze.orders',
        'silver.orders',
        'silver.orders_quarantine',
        'system.event_log',
        'system.ingest_files',
      ]),
    );

    // strata ingest and COPY INTO write there too, with their ledger.
    mkdirSync(path.join(dir, 'landing/returns'), { recursive: true });
    writeFileSync(path.join(dir, 'landing/returns/r.csv'), 'id\n1\n');
    expect((await strata(dir, ['ingest', 'bronze.returns', '--from', 'landing/returns'])).code).toBe(0);
    expect(existsSync(path.join(dir, 'data/tables/bronze/returns/_delta_log'))).toBe(true);
    const ledger = await strata(dir, [
      'query',
      "SELECT count(*) AS n FROM system.ingest_files WHERE file_path LIKE '%r.csv'",
      '--format',
      'json',
    ]);
    expect(JSON.parse(ledger.stdout)).toEqual({ n: 1 });
  });
});

describe('strata.yaml checked before anything runs', () => {
  it('reports every problem with file:line:column and the key path, and exits 1', async () => {
    const dir = path.join(tmp, 'bad');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'strata.yaml'),
      [
        'name: bad',
        'lake: [1, 2]',
        'engine:',
        '  thread: 4',
        'notifications:',
        '  email:',
        '    from: a@b.c',
        '    password: hunter2',
        '',
      ].join('\n'),
    );
    const r = await strata(dir, ['query', 'SELECT 1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^error: strata\.yaml:2:7: lake: /);
    expect(r.stderr).toMatch(/strata\.yaml:4:3: engine\.thread: unknown key/);
    expect(r.stderr).toMatch(/strata\.yaml:6:3: notifications\.email\.host: required/);
    expect(r.stderr).toMatch(
      /strata\.yaml:8:15: notifications\.email\.password: a secret must not be written in strata\.yaml; use \$\{env:NAME\}/,
    );
    expect(r.stderr).not.toMatch(/hunter2/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('takes secrets from the environment, and warns about sections this version does not use', async () => {
    const dir = path.join(tmp, 'env');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'strata.yaml'),
      'notifications:\n  email:\n    host: localhost\n    from: a@b.c\n    password: ${env:STRATA_TEST_SMTP}\nstorage:\n  kind: s3\n',
    );
    const missing = await strata(dir, ['query', 'SELECT 1 AS x', '--format', 'csv']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /strata\.yaml:5:15: notifications\.email\.password: environment variable STRATA_TEST_SMTP is not set/,
    );
    const ok = await strata(dir, ['query', 'SELECT 1 AS x', '--format', 'csv'], { STRATA_TEST_SMTP: 's3cret' });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe('x\n1\n');
    expect(ok.stderr).toMatch(/warning: strata\.yaml: 'storage' is defined but not used by this version of Strata/);
  });
});

describe('strata query --format parquet', () => {
  it('writes the rows of every statement that returns rows: DESCRIBE HISTORY, DESCRIBE DETAIL, DML counts', async () => {
    const dir = path.join(tmp, 'pq');
    mkdirSync(dir, { recursive: true });
    expect(
      (
        await strata(dir, [
          'query',
          "CREATE TABLE s.t (id INT, name STRING); INSERT INTO s.t VALUES (1, 'a'); UPDATE s.t SET name = 'b' WHERE id = 1",
        ])
      ).code,
    ).toBe(0);
    const back = async (file: string, sql: string) =>
      JSON.parse(
        (await strata(dir, ['query', sql.replace('$F', `read_parquet('${file}')`), '--format', 'json'])).stdout,
      );

    const h = await strata(dir, ['query', 'DESCRIBE HISTORY s.t', '--format', 'parquet', '--output', 'h.parquet']);
    expect(h.code, h.stderr).toBe(0);
    expect(h.stderr).toBe('wrote 3 rows to h.parquet\n');
    // The map column stays a map: its keys are read back.
    expect(
      await back(
        'h.parquet',
        "SELECT version, operation, operationParameters['predicate'] IS NOT NULL AS p FROM $F WHERE version = 2",
      ),
    ).toEqual({ version: 2, operation: 'UPDATE', p: true });

    expect(
      (await strata(dir, ['query', 'DESCRIBE DETAIL s.t', '--format', 'parquet', '--output', 'd.parquet'])).code,
    ).toBe(0);
    expect(await back('d.parquet', 'SELECT format, name, numFiles, version FROM $F')).toEqual({
      format: 'delta',
      name: 's.t',
      numFiles: 1,
      version: 2,
    });

    expect(
      (await strata(dir, ['query', "INSERT INTO s.t VALUES (2, 'c')", '--format', 'parquet', '--output', 'i.parquet']))
        .code,
    ).toBe(0);
    expect(await back('i.parquet', 'SELECT version, num_inserted_rows FROM $F')).toEqual({
      version: 3,
      num_inserted_rows: 1,
    });

    // A plain query still goes straight from the scan to the file.
    expect(
      (await strata(dir, ['query', 'SELECT * FROM s.t ORDER BY id', '--format', 'parquet', '--output', 'q.parquet']))
        .stderr,
    ).toBe('wrote q.parquet\n');
    expect(await back('q.parquet', 'SELECT count(*) AS n FROM $F')).toEqual({ n: 2 });
  });
});
