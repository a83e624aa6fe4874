// Every CSV file reconciles: rows loaded + rows quarantined account for the
// file's lines. A stray double quote used to open a quoted field that ran on
// to the next quote (or the end of the file): every line in between vanished,
// the file was recorded 'loaded'. Now the bad record is quarantined with its
// own line, and the lines after it are read again, as records of their own.
//
// Pinned against Databricks' CSV reader: with multiLine = false (Spark's
// default) a record is one physical line, so an unbalanced quote breaks only
// its line; in mode PERMISSIVE (the default) a malformed record is kept aside
// (the corrupt-record / _rescued_data column) and the other records load
// (https://docs.databricks.com/en/query/formats/csv.html, "Malformed CSV
// records" and the multiLine option; https://spark.apache.org/docs/latest/sql-data-sources-csv.html).
// Strata also reads quoted fields that span lines (as with multiLine = true),
// so a well-formed multi-line field still counts as one record.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeQuery } from '../../src/sql/index.js';
import { fileSources } from '../../src/ingest/index.js';
import { useTestBed } from '../helpers/harness.js';
import { expectValidLog } from '../helpers/delta-log.js';

const bed = useTestBed('csv-reconcile');
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

/**
 * 2,000 records `id,name,price` after a header. Record 100 has a legitimate
 * quoted field over two lines (physical lines 101-102); record 500 (physical
 * line 502) opens a quote it never closes (`oneLineEach`: record 100 on one line, record
 * 500 on line 501). With `closeAt`, record `closeAt`
 * has a quoted field, whose opening quote used to close the stray one.
 */
function strayQuoteCsv(opts: { closeAt?: number; eol?: string; oneLineEach?: boolean } = {}): string {
  const eol = opts.eol ?? '\n';
  const lines = ['id,name,price'];
  for (let i = 1; i <= 2000; i++) {
    if (i === 100 && !opts.oneLineEach) lines.push(`100,"two${eol}lines",1.00`);
    else if (i === 500) lines.push('500,"Monitor 27,5.00');
    else if (i === opts.closeAt) lines.push(`${i},"quoted, fine",${i}.00`);
    else lines.push(`${i},n${i},${i}.00`);
  }
  return `${lines.join(eol)}${eol}`;
}

/** Loads `landing/<name>` into bronze.<name> and checks the whole story of the stray quote. */
async function loadAndCheck(name: string, formatOptions: string, closeAt?: number): Promise<void> {
  const r = await copy(
    `COPY INTO bronze.${name} FROM 'landing/${name}' FILEFORMAT = CSV FORMAT_OPTIONS (${formatOptions})`,
  );
  expect(r).toMatchObject({
    num_inserted_rows: 2 * 1999,
    num_files_loaded: 2,
    num_skipped_corrupt_files: 0,
    num_rows_quarantined: 2,
  });
  // Every record but the broken one is in the table, the multi-line one whole: the two files
  // have the same records, so each id but 500 is there exactly twice (once per file; the
  // per-file counts are the ledger's, below), each with its own price (no line shifted or merged).
  const perId = await rows(
    `SELECT count(*), count(DISTINCT id), min(id::INT), max(id::INT), sum(DISTINCT id::INT), min(n), max(n),
            count(*) FILTER (WHERE id <> '100' AND price::DOUBLE <> id::DOUBLE)
     FROM (SELECT id, price, count(*) OVER (PARTITION BY id) AS n FROM bronze.${name})`,
  );
  const sum = (2000 * 2001) / 2 - 500;
  expect(perId).toEqual([[2 * 1999, 1999, 1, 2000, sum, 2, 2, 0]]);
  expect(await rows(`SELECT count(*) FROM bronze.${name} WHERE id = '500'`)).toEqual([[0]]);
  expect(await rows(`SELECT replace(name, chr(13), ''), price::DOUBLE FROM bronze.${name} WHERE id = '100'`)).toEqual([
    ['two\nlines', 1],
    ['two\nlines', 1],
  ]);
  if (closeAt)
    expect(await rows(`SELECT name FROM bronze.${name} WHERE id = '${closeAt}'`)).toEqual([
      ['quoted, fine'],
      ['quoted, fine'],
    ]);
  // The broken record is in the quarantine: its file, its physical line (502: the header, 99
  // records, two lines for record 100, 400 more records), its text, a reason.
  const q = await rows(
    `SELECT regexp_extract(_source_file, '([a-z]+)[.]csv$', 1), _file_line, _raw, _reason FROM delta_scan('lake/bronze/${name}_quarantine') ORDER BY 1`,
  );
  expect(q.map((x) => x.slice(0, 3))).toEqual([
    ['crlf', 502, '500,"Monitor 27,5.00'],
    ['lf', 502, '500,"Monitor 27,5.00'],
  ]);
  for (const x of q) expect(String(x[3])).toMatch(/quote/);
  // The ledger reconciles: 2,001 data lines = 1,999 rows (one of them two lines) + 1 quarantined.
  const ledger = await rows(
    `SELECT regexp_extract(file_path, '([a-z]+)[.]csv$', 1), status, rows_loaded, rows_quarantined, error FROM system.ingest_files
     WHERE table_path LIKE '%bronze/${name}' ORDER BY 1`,
  );
  expect(ledger).toEqual([
    ['crlf', 'loaded', 1999, 1, null],
    ['lf', 'loaded', 1999, 1, null],
  ]);
  expectValidLog(path.join(bed.dir, 'lake/bronze', name));
}

describe('a stray quote does not swallow the lines after it', () => {
  it('careful path (inferColumnTypes): the bad line quarantined, the 1,500 lines after it loaded', async () => {
    const dir = landing('careful');
    writeFileSync(path.join(dir, 'lf.csv'), strayQuoteCsv());
    writeFileSync(path.join(dir, 'crlf.csv'), strayQuoteCsv({ eol: '\r\n' }));
    await sql(`CREATE TABLE IF NOT EXISTS bronze.careful`);
    await loadAndCheck('careful', `'inferColumnTypes' = 'true', 'schemaHints' = 'id STRING'`);
  });

  it('careful path: a later quoted field no longer closes the stray quote', async () => {
    const dir = landing('carefulclose');
    writeFileSync(path.join(dir, 'lf.csv'), strayQuoteCsv({ closeAt: 800 }));
    writeFileSync(path.join(dir, 'crlf.csv'), strayQuoteCsv({ closeAt: 800, eol: '\r\n' }));
    await sql(`CREATE TABLE IF NOT EXISTS bronze.carefulclose`);
    await loadAndCheck('carefulclose', `'inferColumnTypes' = 'true', 'schemaHints' = 'id STRING'`, 800);
  });

  describe('streamed path', () => {
    beforeAll(() => {
      process.env.STRATA_INGEST_STREAM_BYTES = '1';
    });
    afterAll(() => {
      delete process.env.STRATA_INGEST_STREAM_BYTES;
    });

    it('the bad line quarantined, the lines after it loaded', async () => {
      const dir = landing('streamed');
      writeFileSync(path.join(dir, 'lf.csv'), strayQuoteCsv());
      writeFileSync(path.join(dir, 'crlf.csv'), strayQuoteCsv({ eol: '\r\n' }));
      await sql(`CREATE TABLE IF NOT EXISTS bronze.streamed`);
      await loadAndCheck('streamed', `'header' = 'true'`);
    });

    it('a later quoted field no longer closes the stray quote', async () => {
      const dir = landing('streamedclose');
      writeFileSync(path.join(dir, 'lf.csv'), strayQuoteCsv({ closeAt: 800 }));
      writeFileSync(path.join(dir, 'crlf.csv'), strayQuoteCsv({ closeAt: 800, eol: '\r\n' }));
      await sql(`CREATE TABLE IF NOT EXISTS bronze.streamedclose`);
      await loadAndCheck('streamedclose', `'header' = 'true'`, 800);
    });
  });
});

describe('every file reconciles', () => {
  it('multi-line quoted fields and blank lines: each record counted once, nothing flagged', async () => {
    const dir = landing('multi');
    writeFileSync(
      path.join(dir, 'notes.csv'),
      'id,note,price\n1,"first\nsecond\n\nfourth",1\n\n2,plain,2\n3,"a\r\nb",3\n4,"",4\n',
    );
    await sql(`CREATE TABLE IF NOT EXISTS bronze.multi`);
    expect(await copy(`COPY INTO bronze.multi FROM 'landing/multi' FILEFORMAT = CSV`)).toMatchObject({
      num_inserted_rows: 4,
      num_files_loaded: 1,
      num_rows_quarantined: 0,
    });
    expect(await rows(`SELECT id, note, price FROM bronze.multi ORDER BY id`)).toEqual([
      ['1', 'first\nsecond\n\nfourth', '1'],
      ['2', 'plain', '2'],
      ['3', 'a\r\nb', '3'],
      ['4', null, '4'],
    ]);
    expect(
      await rows(
        `SELECT status, rows_loaded, rows_quarantined, error FROM system.ingest_files WHERE file_path LIKE '%notes.csv'`,
      ),
    ).toEqual([['loaded', 4, 0, null]]);
  });

  it('a file whose lines cannot be accounted for is failed with the reason, not loaded in part', async () => {
    // Only UTF-8 files have their bad line cut out and the rest read again; in a latin-1
    // file the count catches the lost lines: 2,000 lines of data, 500 records.
    const dir = landing('unreconciled');
    writeFileSync(path.join(dir, 'latin.csv'), Buffer.from(strayQuoteCsv({ oneLineEach: true }), 'latin1'));
    writeFileSync(path.join(dir, 'fine.csv'), Buffer.from('id,name,price\n1,Café,2.00\n', 'latin1'));
    await sql(`CREATE TABLE IF NOT EXISTS bronze.unreconciled`);
    expect(
      await copy(
        `COPY INTO bronze.unreconciled FROM 'landing/unreconciled' FILEFORMAT = CSV FORMAT_OPTIONS ('encoding' = 'latin-1')`,
      ),
    ).toMatchObject({
      num_inserted_rows: 1,
      num_files_loaded: 1,
      num_skipped_corrupt_files: 1,
      num_rows_quarantined: 0,
    });
    const ledger = await rows(
      `SELECT status, rows_loaded, rows_quarantined, error FROM system.ingest_files WHERE file_path LIKE '%latin.csv'`,
    );
    expect(ledger.map((l) => l.slice(0, 3))).toEqual([['failed', 0, 0]]);
    expect(String(ledger[0][3])).toMatch(
      /latin\.csv: 2000 lines of data, but 499 rows \+ 1 quarantined account for 500 \(1500 lines unaccounted for; the first rejected record is at line 501\); the file is not loaded$/,
    );
    expect(await rows(`SELECT id, name, price FROM bronze.unreconciled`)).toEqual([['1', 'Café', '2.00']]);
    expect(
      await rows(
        `SELECT status, rows_loaded, rows_quarantined FROM system.ingest_files WHERE file_path LIKE '%unreconciled/fine.csv'`,
      ),
    ).toEqual([['loaded', 1, 0]]);
    // Nothing quarantined: none of the failed file's records is kept anywhere, no quarantine table.
    expect(existsSync(path.join(bed.dir, 'lake/bronze/unreconciled_quarantine'))).toBe(false);
  });
});
