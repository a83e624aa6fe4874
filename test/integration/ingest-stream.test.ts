// The streamed load (a big CSV read and written in one pass): the same
// guarantees as the careful path — bad rows quarantined, values rescued, each
// file once, damaged files failed. Every file counts as big here.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCatalog } from '../../src/catalog/index.js';
import { createTable } from '../../src/delta/index.js';
import { ingestFiles, parseReadOptions, fileSources } from '../../src/ingest/index.js';
import { executeQuery } from '../../src/sql/index.js';
import { useTestBed } from '../helpers/harness.js';
import { expectValidLog } from '../helpers/delta-log.js';

const bed = useTestBed('ingest-stream');
const sql = (q: string) => bed.engine.withSession((s) => executeQuery(s, q, { baseDir: bed.dir, files: fileSources }));
beforeAll(() => {
  process.env.STRATA_INGEST_STREAM_BYTES = '1';
});

describe('streamed loads', () => {
  it('quarantine, rescue, audit columns, once; a damaged file falls back and is recorded as failed', async () => {
    const dir = path.join(bed.dir, 'landing');
    mkdirSync(dir, { recursive: true });
    const lines = [
      'id,price',
      ...Array.from({ length: 5000 }, (_, i) =>
        i === 1234 ? `${i},1,extra` : i === 4000 ? `${i},cheap` : `${i},${i / 2}`,
      ),
    ];
    writeFileSync(path.join(dir, 'big.csv'), `${lines.join('\r\n')}\r\n`);
    const gz = gzipSync(
      `id,price\n${Array.from({ length: 3000 }, (_, i) => `${i},${(i * 7919) % 10007}`).join('\n')}\n`,
    );
    writeFileSync(path.join(dir, 'broken.csv.gz'), gz.subarray(0, Math.floor(gz.length / 2))); // cut in the middle
    await sql(`CREATE TABLE IF NOT EXISTS bronze.s`);
    const r = await sql(
      `COPY INTO bronze.s FROM 'landing' FILEFORMAT = CSV FORMAT_OPTIONS ('schemaHints' = 'id INT, price DOUBLE')`,
    );
    const out = Object.fromEntries(r.columns.map((c, i) => [c.name, r.rows[0][i]]));
    expect(out).toMatchObject({
      num_inserted_rows: 4999,
      num_files_loaded: 1,
      num_skipped_corrupt_files: 1,
      num_rows_rescued: 1,
      num_rows_quarantined: 1,
    });
    const t = await sql(
      `SELECT count(*), count(DISTINCT id), min(_file_row), max(_file_row), count(_rescued_data) FROM bronze.s`,
    );
    expect(t.rows[0]).toEqual([4999, 4999, 1, 4999, 1]);
    expect((await sql(`SELECT _rescued_data FROM bronze.s WHERE id = 4000`)).rows[0][0]).toContain('"price":"cheap"');
    const q = await sql(`SELECT _file_line, _raw FROM delta_scan('lake/bronze/s_quarantine')`);
    expect(q.rows).toEqual([[1236, '1234,1,extra']]);
    const ledger = await sql(
      `SELECT status, rows_loaded, rows_rescued, rows_quarantined, error FROM system.ingest_files ORDER BY file_path`,
    );
    expect(ledger.rows).toEqual([
      ['loaded', 4999, 1, 1, null],
      ['failed', 0, 0, 0, expect.stringMatching(/gzip data is damaged/)],
    ]);
    const again = await sql(`COPY INTO bronze.s FROM 'landing' FILEFORMAT = CSV`);
    expect(again.rows[0][1]).toBe(0);
    expectValidLog(path.join(bed.dir, 'lake/bronze/s'));
  });

  it('a batch of several files written in two halves at once (two connections): each row once, rows numbered per file, rejects of both halves quarantined', async () => {
    const dir = path.join(bed.dir, 'landing-halves');
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 5; f++) {
      const lines = [
        'id,name',
        ...Array.from({ length: 1000 }, (_, i) => (f === 3 && i === 10 ? `${f}-${i},x,extra` : `${f}-${i},n${i}`)),
      ];
      writeFileSync(path.join(dir, `f${f}.csv`), `${lines.join('\n')}\n`);
    }
    const location = path.join(bed.dir, 'lake/bronze/halves');
    process.env.STRATA_INGEST_STREAM_BYTES = String(1 << 30);
    process.env.STRATA_INGEST_PARALLEL_BYTES = '1';
    let helpers = 0;
    try {
      const outcome = await bed.engine.withSession(async (s) => {
        await createTable(s, { location, name: 'bronze.halves', ifNotExists: true });
        return ingestFiles(s, {
          location,
          name: 'bronze.halves',
          source: dir,
          catalog: createCatalog({ projectDir: bed.dir }),
          options: parseReadOptions({ format: 'csv' }, 'test'),
          mergeSchema: true,
          helper: (fn) => {
            helpers++;
            return bed.engine.withSession(fn);
          },
        });
      });
      expect(outcome).toMatchObject({ batches: 1, filesLoaded: 5, rows: 4999, quarantined: 1 });
    } finally {
      process.env.STRATA_INGEST_STREAM_BYTES = '1';
      delete process.env.STRATA_INGEST_PARALLEL_BYTES;
    }
    expect(helpers).toBe(1);
    const perFile = await sql(
      `SELECT regexp_extract(_source_file, '(f[0-9])[.]csv$', 1) AS f, count(*), min(_file_row), max(_file_row), bool_and(split_part(id, '-', 2)::INT + 1 = _file_row OR _source_file LIKE '%f3.csv') FROM delta_scan('lake/bronze/halves') GROUP BY 1 ORDER BY 1`,
    );
    expect(perFile.rows).toEqual([
      ['f0', 1000, 1, 1000, true],
      ['f1', 1000, 1, 1000, true],
      ['f2', 1000, 1, 1000, true],
      ['f3', 999, 1, 999, true],
      ['f4', 1000, 1, 1000, true],
    ]);
    // In f3, the rows after the rejected line move up one place (rows parsed, as in the careful path).
    expect((await sql(`SELECT _file_row FROM delta_scan('lake/bronze/halves') WHERE id = '3-11'`)).rows).toEqual([
      [11],
    ]);
    expect(
      (
        await sql(
          `SELECT _source_file LIKE '%f3.csv', _file_line, _raw FROM delta_scan('lake/bronze/halves_quarantine')`,
        )
      ).rows,
    ).toEqual([[true, 12, '3-10,x,extra']]);
    const ledger = await sql(
      `SELECT rows_loaded, rows_quarantined FROM system.ingest_files WHERE file_path LIKE '%landing-halves%' ORDER BY file_path`,
    );
    expect(ledger.rows).toEqual([
      [1000, 0],
      [1000, 0],
      [1000, 0],
      [999, 1],
      [1000, 0],
    ]);
    expectValidLog(location);
  });

  it('many small files in one batch: one scan of them all, rows still numbered per file', async () => {
    const dir = path.join(bed.dir, 'landing-many');
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 40; f++) {
      const lines = [
        'id,v',
        ...Array.from({ length: 3 }, (_, i) => (f === 17 && i === 1 ? `${f}-${i},1,2` : `${f}-${i},${i}`)),
      ];
      writeFileSync(path.join(dir, `m${String(f).padStart(2, '0')}.csv`), `${lines.join('\n')}\n`);
    }
    process.env.STRATA_INGEST_STREAM_BYTES = String(1 << 30);
    try {
      await sql(`CREATE TABLE IF NOT EXISTS bronze.many`);
      const r = await sql(`COPY INTO bronze.many FROM 'landing-many' FILEFORMAT = CSV`);
      expect(r.rows[0].slice(0, 2)).toEqual([119, 119]);
    } finally {
      process.env.STRATA_INGEST_STREAM_BYTES = '1';
    }
    expect((await sql(`SELECT count(DISTINCT _batch_id) FROM bronze.many`)).rows).toEqual([[1]]);
    const wrong = await sql(
      `SELECT count(*) FROM bronze.many WHERE split_part(id, '-', 2)::INT + 1 <> _file_row AND _source_file NOT LIKE '%m17.csv'`,
    );
    expect(wrong.rows).toEqual([[0]]);
    expect(
      (await sql(`SELECT id, _file_row FROM bronze.many WHERE _source_file LIKE '%m17.csv' ORDER BY _file_row`)).rows,
    ).toEqual([
      ['17-0', 1],
      ['17-2', 2],
    ]);
    expect((await sql(`SELECT _file_line, _raw FROM delta_scan('lake/bronze/many_quarantine')`)).rows).toEqual([
      [3, '17-1,1,2'],
    ]);
  });
});
