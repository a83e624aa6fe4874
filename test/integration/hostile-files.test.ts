// Hostile files (issue 18 item 10): a header naming a column twice, a "header"
// of 50 MB with no line end, bad lines whose text must reach the quarantine
// byte for byte, and a load into a table given by path from a folder that is
// not a project. Each on the careful path (inferColumnTypes) and the streamed
// one (CSV without type inference), and for each file the ledger accounts for
// every line: rows loaded + rows quarantined, or the file failed with a reason.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeQuery } from '../../src/sql/index.js';
import { fileSources } from '../../src/ingest/index.js';
import { useTestBed } from '../helpers/harness.js';

const bed = useTestBed('hostile');
const sql = (q: string) => bed.engine.withSession((s) => executeQuery(s, q, { baseDir: bed.dir, files: fileSources }));
const rows = async (q: string) => (await sql(q)).rows;
const landing = (name: string) => {
  const dir = path.join(bed.dir, 'landing', name);
  mkdirSync(dir, { recursive: true });
  return dir;
};
const copy = async (q: string) => {
  const r = await sql(q);
  return Object.fromEntries(r.columns.map((c, i) => [c.name, r.rows[0][i]])) as Record<string, number>;
};

/** The two ways a CSV batch is read: the careful path (rows in memory) and the streamed one. */
const PATHS = [
  { path: 'careful', options: `'inferColumnTypes' = 'true'` },
  { path: 'streamed', options: `'header' = 'true'` },
] as const;

/**
 * Every file of the table's ledger accounts for its lines: a loaded file's rows are in the
 * table and its quarantined records in the quarantine, and together they are its `lines`
 * (data lines); a failed file has none of either, and its reason. Loaded rows carry no file
 * column (as in Databricks): the table holds the ledger's rows in all, the quarantine
 * (which names each record's file) the ledger's quarantined records file by file.
 */
async function expectAccounted(table: string, lines: Record<string, number | 'failed'>): Promise<void> {
  const ledger = await rows(
    `SELECT regexp_extract(file_path, '([^/]+)$', 1), status, rows_loaded, rows_quarantined, error FROM system.ingest_files
     WHERE table_path = 'bronze/${table}' ORDER BY 1`,
  );
  expect(ledger.map((l) => l[0]).sort()).toEqual(Object.keys(lines).sort());
  const quarantined = new Map(
    (
      await rows(
        `SELECT regexp_extract(_source_file, '([^/]+)$', 1), count(*) FROM delta_scan('lake/bronze/${table}_quarantine') GROUP BY 1`,
      ).catch(() => [])
    ).map((r) => [r[0], Number(r[1])]),
  );
  let loadedInAll = 0;
  for (const [file, status, loaded, aside, error] of ledger) {
    const expected = lines[String(file)];
    if (expected === 'failed') {
      expect([status, loaded, aside]).toEqual(['failed', 0, 0]);
      expect(error).toBeTruthy();
    } else {
      expect([status, Number(loaded) + Number(aside)]).toEqual(['loaded', expected]);
    }
    loadedInAll += Number(loaded);
    expect(quarantined.get(String(file)) ?? 0).toBe(Number(aside));
  }
  expect(await rows(`SELECT count(*) FROM bronze.${table}`)).toEqual([[loadedInAll]]);
  // No file column in the table: file facts are the ledger's (and read_files' hidden _metadata).
  const columns = (await sql(`SELECT * FROM bronze.${table} LIMIT 0`)).columns.map((c) => c.name);
  for (const audit of ['_source_file', '_file_row', '_ingested_at', '_batch_id', '_metadata'])
    expect(columns).not.toContain(audit);
}

describe('a header that names a column twice', () => {
  // Spark's rule (CSVUtils.makeSafeHeader, sql/core/src/main/scala/org/apache/spark/sql/
  // execution/datasources/csv/CSVUtils.scala, apache/spark master): the names that occur more
  // than once — compared lower-cased unless spark.sql.caseSensitive, which is false by
  // default — get their 0-based position appended, every occurrence (the first too):
  // `id,name,name,price` reads as id, name1, name2, price; an empty name is `_c<position>`.
  // Databricks' CSV reader (Auto Loader, COPY INTO, read_files) is Spark's.
  for (const { path: way, options } of PATHS) {
    it(`${way} path: id,name,NAME,price reads as id, name1, NAME2, price (Spark's makeSafeHeader)`, async () => {
      const table = `dup_${way}`;
      const dir = landing(table);
      writeFileSync(path.join(dir, 'dup.csv'), 'id,name,NAME,price\n1,first,second,2.50\n2,a,b,3.00\n');
      writeFileSync(path.join(dir, 'dup2.csv'), 'id,name,NAME,price\n3,c,d,4.00\n');
      await sql(`CREATE TABLE IF NOT EXISTS bronze.${table}`);
      const r = await copy(
        `COPY INTO bronze.${table} FROM 'landing/${table}' FILEFORMAT = CSV FORMAT_OPTIONS (${options})`,
      );
      expect(r).toMatchObject({ num_inserted_rows: 3, num_files_loaded: 2, num_skipped_corrupt_files: 0 });
      const result = await sql(`SELECT * FROM bronze.${table} ORDER BY id`);
      // The file's columns and _rescued_data: no audit columns.
      expect(result.columns.map((c) => c.name)).toEqual(['id', 'name1', 'NAME2', 'price', '_rescued_data']);
      expect(result.rows.map(([id, a, b, price, rescued]) => [String(id), a, b, Number(price), rescued])).toEqual([
        ['1', 'first', 'second', 2.5, null],
        ['2', 'a', 'b', 3, null],
        ['3', 'c', 'd', 4, null],
      ]);
      expect(await rows(`SELECT count(*) FROM bronze.${table} WHERE _rescued_data IS NOT NULL`)).toEqual([[0]]);
      await expectAccounted(table, { 'dup.csv': 2, 'dup2.csv': 1 });
    });
  }

  it('read_files names the columns the same way', async () => {
    const dir = landing('dup_read');
    writeFileSync(path.join(dir, 'dup.csv'), 'a,b,A,,b\n1,2,3,4,5\n');
    const r = await sql(`SELECT * FROM read_files('landing/dup_read/*.csv', format => 'csv')`);
    expect(r.columns.map((c) => c.name)).toEqual(['a0', 'b1', 'A2', '_c3', 'b4', '_rescued_data']);
    expect(r.rows).toEqual([[1, 2, 3, 4, 5, null]]);
  });
});

describe('a header line of 50 MB (no line end)', () => {
  const huge = 'x'.repeat(50 * 1024 * 1024);
  for (const { path: way, options } of PATHS) {
    it(`${way} path: the file fails naming the header line, the other files load`, async () => {
      const table = `huge_${way}`;
      const dir = landing(table);
      writeFileSync(path.join(dir, 'huge.csv'), huge);
      writeFileSync(path.join(dir, 'huge.csv.gz'), zlib.gzipSync(huge));
      writeFileSync(path.join(dir, 'ok.csv'), 'id,name\n1,a\n2,b\n');
      await sql(`CREATE TABLE IF NOT EXISTS bronze.${table}`);
      const r = await copy(
        `COPY INTO bronze.${table} FROM 'landing/${table}' FILEFORMAT = CSV FORMAT_OPTIONS (${options})`,
      );
      expect(r).toMatchObject({ num_inserted_rows: 2, num_files_loaded: 1, num_skipped_corrupt_files: 2 });
      const failed = await rows(
        `SELECT regexp_extract(file_path, '([^/]+)$', 1), error FROM system.ingest_files WHERE table_path = 'bronze/${table}' AND status = 'failed' ORDER BY 1`,
      );
      expect(failed.map((f) => f[0])).toEqual(['huge.csv', 'huge.csv.gz']);
      for (const [file, error] of failed)
        expect(String(error)).toMatch(
          new RegExp(`${String(file).replace(/\./g, '[.]')}: the header line is longer than 1 MB`),
        );
      await expectAccounted(table, { 'huge.csv': 'failed', 'huge.csv.gz': 'failed', 'ok.csv': 2 });
    });
  }
});

describe('the quarantine keeps a bad line as it was', () => {
  // Lines with one field too many (rejected), each hostile in another way.
  const bad = [
    '7,trailing spaces,1.00,x   ',
    '8,\ttabs\t,1.00,\tx\t',
    '9,Zoë 東京 🚀 naïve,1.00,x',
    '10,"quoted, comma",1.00,"x"  ',
    '   11,leading,1.00,x',
  ];
  // Record 4's quoted field spans two lines: DuckDB numbers records, the quarantine lines.
  const csv = (eol: string) =>
    [
      'id,name,price',
      '1,a,1.00',
      ...bad.slice(0, 3),
      '2,b,2.00',
      `4,"two${eol}lines",4.00`,
      ...bad.slice(3),
      '3,c,3.00',
    ].join(eol) + eol;
  const latin = ['id,name,price', '1,Café,1.00', '5,"Noël\r\nà deux",5.00', '12,Crème brûlée,1.00,x  ', '2,Noël,2.00'];

  for (const { path: way, options } of PATHS) {
    it(`${way} path: _raw is the line exactly (LF, CRLF, UTF-8, latin-1), line terminator aside`, async () => {
      const table = `raw_${way}`;
      const dir = landing(table);
      writeFileSync(path.join(dir, 'lf.csv'), csv('\n'));
      writeFileSync(path.join(dir, 'crlf.csv'), csv('\r\n'));
      await sql(`CREATE TABLE IF NOT EXISTS bronze.${table}`);
      const r = await copy(
        `COPY INTO bronze.${table} FROM 'landing/${table}' FILEFORMAT = CSV FORMAT_OPTIONS (${options})`,
      );
      expect(r).toMatchObject({ num_inserted_rows: 8, num_files_loaded: 2, num_rows_quarantined: 10 });
      const q = await rows(
        `SELECT regexp_extract(_source_file, '([^/]+)$', 1), _file_line, _raw FROM delta_scan('lake/bronze/${table}_quarantine') ORDER BY 1, 2`,
      );
      const expected = (file: string) => [
        [file, 3, bad[0]],
        [file, 4, bad[1]],
        [file, 5, bad[2]],
        [file, 9, bad[3]],
        [file, 10, bad[4]],
      ];
      expect(q).toEqual([...expected('crlf.csv'), ...expected('lf.csv')]);
      // 10 lines of data, one record over two of them: 9 records.
      await expectAccounted(table, { 'lf.csv': 9, 'crlf.csv': 9 });

      const ltable = `latin_${way}`;
      const ldir = landing(ltable);
      writeFileSync(path.join(ldir, 'latin.csv'), Buffer.from(latin.join('\r\n') + '\r\n', 'latin1'));
      await sql(`CREATE TABLE IF NOT EXISTS bronze.${ltable}`);
      const l = await copy(
        `COPY INTO bronze.${ltable} FROM 'landing/${ltable}' FILEFORMAT = CSV FORMAT_OPTIONS (${options}, 'encoding' = 'latin-1')`,
      );
      expect(l).toMatchObject({ num_inserted_rows: 3, num_files_loaded: 1, num_rows_quarantined: 1 });
      expect(await rows(`SELECT _file_line, _raw FROM delta_scan('lake/bronze/${ltable}_quarantine')`)).toEqual([
        [5, latin[3]],
      ]);
      expect(await rows(`SELECT name FROM bronze.${ltable} ORDER BY id`)).toEqual([
        ['Café'],
        ['Noël'],
        ['Noël\r\nà deux'],
      ]);
      await expectAccounted(ltable, { 'latin.csv': 4 });
    });
  }
});

describe('a bare carriage return inside a line of an LF file', () => {
  // DuckDB's reader stops on it ("the CSV Parser state machine reached an invalid state"),
  // even with its errors ignored: the file fails with that reason, the others load.
  for (const { path: way, options } of PATHS) {
    it(`${way} path: the file fails, the load goes on`, async () => {
      const table = `cr_${way}`;
      const dir = landing(table);
      writeFileSync(path.join(dir, 'cr.csv'), 'id,name,price\n1,a,1.00\n2,lone\rreturn,2.00,x\n3,c,3.00\n');
      writeFileSync(path.join(dir, 'ok.csv'), 'id,name,price\n1,a,1.00\n');
      await sql(`CREATE TABLE IF NOT EXISTS bronze.${table}`);
      const r = await copy(
        `COPY INTO bronze.${table} FROM 'landing/${table}' FILEFORMAT = CSV FORMAT_OPTIONS (${options})`,
      );
      expect(r).toMatchObject({ num_inserted_rows: 1, num_files_loaded: 1, num_skipped_corrupt_files: 1 });
      await expectAccounted(table, { 'cr.csv': 'failed', 'ok.csv': 1 });
    });
  }
});

describe('loading a table given by path from a folder that is not a project', () => {
  const run = promisify(execFile);
  const BIN = path.resolve('bin/strata.js');
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'strata-noproject-'));
    mkdirSync(path.join(root, 'here'));
    mkdirSync(path.join(root, 'landing'));
    writeFileSync(path.join(root, 'landing', 'a.csv'), 'id,name\n1,a\n2,b\n');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const strata = async (cwd: string, ...args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it('strata ingest, COPY INTO, --project: refused before anything is written, the folder left as it was', async () => {
    const here = path.join(root, 'here');
    const target = path.join(root, 'tables', 'orders');
    const source = path.join(root, 'landing');
    const runs = [
      await strata(here, 'ingest', `delta.\`${target}\``, '--from', source),
      await strata(root, '--project', here, 'ingest', `delta.\`${target}\``, '--from', source),
      await strata(
        here,
        'query',
        `CREATE TABLE IF NOT EXISTS delta.\`${target}\`; COPY INTO delta.\`${target}\` FROM '${source}' FILEFORMAT = CSV`,
      ),
    ];
    for (const r of runs) {
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/is not a Strata project \(no strata\.yaml\)/);
      expect(r.stderr).toContain(here);
    }
    expect(readdirSync(here)).toEqual([]);
    // strata ingest refuses before it creates the target (COPY INTO's CREATE TABLE ran, it is a statement of its own).
    expect(readdirSync(root).sort()).toEqual(['here', 'landing', 'tables']);
    expect(readdirSync(path.join(root, 'tables', 'orders'))).toEqual(['_delta_log']);
  });

  it('a preview (--plan) writes nothing either, and in a project the same load works', async () => {
    const here = path.join(root, 'here');
    const target = path.join(root, 'tables', 'planned');
    const plan = await strata(here, 'ingest', `delta.\`${target}\``, '--from', path.join(root, 'landing'), '--plan');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/1 file\(s\) waiting/);
    expect(readdirSync(here)).toEqual([]);
    const project = path.join(root, 'project');
    mkdirSync(project);
    writeFileSync(path.join(project, 'strata.yaml'), 'name: p\n');
    const load = await strata(project, 'ingest', `delta.\`${target}\``, '--from', path.join(root, 'landing'));
    expect(load.stderr).toBe('');
    expect(load.stdout).toMatch(/loaded 1 file\(s\): 2 row\(s\)/);
    expect(readdirSync(path.join(project, 'lake', '_system'))).toEqual(['ingest_files']);
  });
});
