// The read-only lake (the SQL editor of strata serve; the Postgres endpoint): queries of the
// project's tables run, and each way out of the sandbox is closed by DuckDB's own switches
// (enable_external_access, allowed_directories, lock_configuration — DuckDB's "Securing DuckDB"
// guide) or refused before it runs: reading or writing files outside the lake, ATTACH, INSTALL,
// LOAD, settings, writes to tables (ours and DuckDB's), read_files and COPY INTO.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openReadOnlyLake, type Project, type ReadOnlyLake } from '../../src/project/index.js';
import { StrataError } from '../../src/core/index.js';
import { projectAt, projectFolder, useTestBed } from '../helpers/harness.js';

const bed = useTestBed('read-only');
let project: Project;
let lake: ReadOnlyLake;
let dir: string;
let outside: string;

beforeAll(async () => {
  dir = projectFolder(bed, 'shop', 'name: shop\n');
  outside = path.join(bed.dir, 'outside');
  mkdirSync(outside, { recursive: true });
  writeFileSync(path.join(outside, 'secret.csv'), 'password\nhunter2\n');
  project = await projectAt(bed, dir);
  await project.query(
    `CREATE TABLE gold.sales (day DATE, amount DECIMAL(10,2));
     INSERT INTO gold.sales VALUES (DATE'2024-01-01', 10.50), (DATE'2024-01-02', 4.25)`,
  );
  // A Delta table outside the lake, in the project folder.
  await project.query(`CREATE TABLE delta.\`elsewhere/t\` AS SELECT 1 AS x`);
  lake = await openReadOnlyLake(project);
});
afterAll(() => lake?.close());

async function refusal(sql: string): Promise<StrataError> {
  try {
    await lake.query(sql);
  } catch (err) {
    if (StrataError.is(err)) return err;
    throw err;
  }
  throw new Error(`ran: ${sql}`);
}

describe('the read-only lake', () => {
  it('reads the project tables in Spark SQL, with SHOW and DESCRIBE', async () => {
    const r = await lake.query('SELECT sum(amount) AS total, count(*) AS n FROM gold.sales');
    expect(r.rows).toEqual([['14.75', 2]]);
    expect(r.columns.map((c) => c.type)).toEqual(['DECIMAL(20,2)', 'BIGINT']); // Spark: sum(decimal(10,2)) is decimal(20,2)
    expect((await lake.query('SHOW TABLES IN gold')).rows.map((row) => row[1])).toContain('sales');
    expect((await lake.query('DESCRIBE TABLE gold.sales')).rows.length).toBeGreaterThanOrEqual(2);
    expect((await lake.query('DESCRIBE HISTORY gold.sales')).rows.length).toBe(2);
    const settings = new Map<string, string>();
    await lake.query('USE gold', { settings });
    expect((await lake.query('SELECT count(*) FROM sales', { settings })).rows).toEqual([[2]]);
  });

  it('refuses every write of a table before it runs, and the table is unchanged', async () => {
    for (const sql of [
      'INSERT INTO gold.sales VALUES (DATE"2024-01-03", 1)',
      'DELETE FROM gold.sales',
      'UPDATE gold.sales SET amount = 0',
      'MERGE INTO gold.sales t USING gold.sales s ON t.day = s.day WHEN MATCHED THEN DELETE',
      'CREATE TABLE gold.other AS SELECT 1 AS x',
      'CREATE SCHEMA hacked',
      'ALTER TABLE gold.sales SET TBLPROPERTIES (a = "b")',
      'RESTORE TABLE gold.sales TO VERSION AS OF 0',
      'VACUUM gold.sales',
      'OPTIMIZE gold.sales',
      "COPY INTO gold.sales FROM 'x' FILEFORMAT = CSV",
    ]) {
      const err = await refusal(sql);
      expect(err.code, sql).toBe('READ_ONLY');
      expect(err.message, sql).toMatch(/only reads/);
    }
    expect((await project.query('SELECT count(*) FROM gold.sales')).rows).toEqual([[2]]);
    expect((await project.query('DESCRIBE HISTORY gold.sales')).rows.length).toBe(2);
    expect(existsSync(path.join(dir, 'lake', 'hacked'))).toBe(false);
  });

  it("refuses DuckDB's own statements that are not SELECTs, by DuckDB's parse", async () => {
    for (const sql of [
      'CREATE TEMP TABLE t AS SELECT 1',
      'CREATE MACRO m(a) AS a',
      // Inside the lake: the file switch allows it, the statement type does not.
      `COPY (SELECT 1) TO '${path.join(dir, 'lake', 'gold', 'sales', 'x.csv')}'`,
      'CALL pragma_version()',
      'PRAGMA enable_profiling',
      'PRAGMA threads = 64',
      'EXPLAIN ANALYZE SELECT 1',
      'SET VARIABLE x = 1',
      'CHECKPOINT',
    ]) {
      const err = await refusal(sql);
      expect(['READ_ONLY', 'SQL_SYNTAX', 'SQL_ERROR'], `${sql}: ${err.message}`).toContain(err.code);
    }
    expect(existsSync(path.join(dir, 'lake', 'gold', 'sales', 'x.csv'))).toBe(false);
  });

  it('cannot read or write a file outside the lake, attach, install, load or change a setting', async () => {
    const secret = path.join(outside, 'secret.csv');
    for (const sql of [
      `SELECT * FROM read_csv('${secret}')`,
      `SELECT * FROM '${secret}'`,
      `SELECT * FROM read_text('/etc/hostname')`,
      `SELECT * FROM read_csv('${path.join(dir, 'lake', '..', '..', 'outside', 'secret.csv')}')`,
      `SELECT * FROM glob('/etc/*')`,
    ]) {
      const err = await refusal(sql);
      expect(err.message, sql).toMatch(/file system operations are disabled|Permission/);
    }
    for (const sql of [
      `ATTACH '${path.join(outside, 'x.duckdb')}' AS x`,
      'INSTALL httpfs',
      'LOAD httpfs',
      'SET enable_external_access = true',
      'RESET enable_external_access',
      "SET allowed_directories = ['/']",
      "SET memory_limit = '100GB'",
    ]) {
      const err = await refusal(sql);
      expect(err.code, `${sql}: ${err.message}`).not.toBe('INTERNAL');
    }
    expect(existsSync(path.join(outside, 'x.duckdb'))).toBe(false);
    // The switches themselves: DuckDB says they are closed.
    const r = await lake.query(
      "SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', 'lock_configuration') ORDER BY name",
    );
    expect(r.rows).toEqual([
      ['enable_external_access', 'false'],
      ['lock_configuration', 'true'],
    ]);
  });

  it('reads no Delta table outside the lake, and no file through read_files', async () => {
    expect((await project.query('SELECT x FROM delta.`elsewhere/t`')).rows).toEqual([[1]]); // the project may
    expect((await refusal('SELECT x FROM delta.`elsewhere/t`')).message).toMatch(/outside the lake/);
    expect((await refusal(`SELECT x FROM delta.\`${path.join(dir, 'elsewhere', 't')}\``)).message).toMatch(
      /outside the lake/,
    );
    expect((await refusal(`SELECT * FROM read_files('${path.join(outside, '*.csv')}')`)).message).toMatch(/read_files/);
  });

  it('stops a statement at its timeout, and the lake answers after', async () => {
    const err = await (async () => {
      try {
        await lake.query('SELECT count(*) FROM range(10000000000) a', { timeoutMs: 200 });
      } catch (e) {
        return e as StrataError;
      }
      throw new Error('not stopped');
    })();
    expect(err.code).toBe('CANCELLED');
    expect(err.message).toMatch(/longer than 0.2 s/);
    expect((await lake.query('SELECT count(*) FROM gold.sales')).rows).toEqual([[2]]);
  });
});
