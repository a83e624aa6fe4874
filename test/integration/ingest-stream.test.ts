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
  it('quarantine, rescue, no audit columns, once; a damaged file falls back and is recorded as failed', async () => {
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
    // The table has the file's columns and _rescued_data only (no audit columns, as in Databricks).
    expect((await sql(`SELECT * FROM bronze.s LIMIT 0`)).columns.map((c) => c.name)).toEqual([
      'id',
      'price',
      '_rescued_data',
    ]);
    // Each row once, by its values: every id but the quarantined one, each with its price.
    const t = await sql(
      `SELECT count(*), count(DISTINCT id), min(id), max(id), count(*) FILTER (WHERE id = 1234), count(*) FILTER (WHERE id <> 4000 AND price <> id / 2), count(_rescued_data) FROM bronze.s`,
    );
    expect(t.rows[0]).toEqual([4999, 4999, 0, 4999, 0, 0, 1]);
    const rescued = await sql(`SELECT price, _rescued_data FROM bronze.s WHERE id = 4000`);
    expect(rescued.rows).toHaveLength(1);
    expect(rescued.rows[0][0]).toBeNull();
    expect(JSON.parse(rescued.rows[0][1] as string)).toEqual({ price: 'cheap', _file_path: 'landing/big.csv' });
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

  it('a batch of several files written in two halves at once (two connections): each row once, per-file counts in the ledger, rejects of both halves quarantined', async () => {
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
    // No audit columns: the files' columns and _rescued_data.
    expect((await sql(`SELECT * FROM delta_scan('lake/bronze/halves') LIMIT 0`)).columns.map((c) => c.name)).toEqual([
      'id',
      'name',
      '_rescued_data',
    ]);
    // Each row once, by its values (an id names its file and line): every line of every file
    // but the rejected one, each with its own name.
    const t = await sql(
      `SELECT count(*), count(DISTINCT id), count(*) FILTER (WHERE id = '3-10'), bool_and(name = 'n' || split_part(id, '-', 2)) FROM delta_scan('lake/bronze/halves')`,
    );
    expect(t.rows).toEqual([[4999, 4999, 0, true]]);
    const perFile = await sql(
      `SELECT split_part(id, '-', 1) AS f, count(*), min(split_part(id, '-', 2)::INT), max(split_part(id, '-', 2)::INT) FROM delta_scan('lake/bronze/halves') GROUP BY 1 ORDER BY 1`,
    );
    expect(perFile.rows).toEqual([
      ['0', 1000, 0, 999],
      ['1', 1000, 0, 999],
      ['2', 1000, 0, 999],
      ['3', 999, 0, 999],
      ['4', 1000, 0, 999],
    ]);
    expect(
      (
        await sql(
          `SELECT _source_file LIKE '%f3.csv', _file_line, _raw FROM delta_scan('lake/bronze/halves_quarantine')`,
        )
      ).rows,
    ).toEqual([[true, 12, '3-10,x,extra']]);
    const ledger = await sql(
      `SELECT file_path, rows_loaded, rows_quarantined FROM system.ingest_files WHERE file_path LIKE '%landing-halves%' ORDER BY file_path`,
    );
    expect(ledger.rows).toEqual([
      ['landing-halves/f0.csv', 1000, 0],
      ['landing-halves/f1.csv', 1000, 0],
      ['landing-halves/f2.csv', 1000, 0],
      ['landing-halves/f3.csv', 999, 1],
      ['landing-halves/f4.csv', 1000, 0],
    ]);
    expectValidLog(location);
  });

  it('many small files in one batch: one scan of them all, each row once, per-file counts in the ledger', async () => {
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
    // The table has no audit columns (no _batch_id): one batch is one entry of the ledger's batch_id.
    expect((await sql(`SELECT * FROM bronze.many LIMIT 0`)).columns.map((c) => c.name)).toEqual([
      'id',
      'v',
      '_rescued_data',
    ]);
    const batches = await sql(
      `SELECT count(DISTINCT batch_id), count(*), sum(rows_loaded)::INT, sum(rows_quarantined)::INT FROM system.ingest_files WHERE file_path LIKE 'landing-many/%'`,
    );
    expect(batches.rows).toEqual([[1, 40, 119, 1]]);
    // Each row once, with its own value (an id names its file and line).
    const rows = await sql(
      `SELECT count(*), count(DISTINCT id), count(*) FILTER (WHERE split_part(id, '-', 2) <> v) FROM bronze.many`,
    );
    expect(rows.rows).toEqual([[119, 119, 0]]);
    expect((await sql(`SELECT id, v FROM bronze.many WHERE id LIKE '17-%' ORDER BY id`)).rows).toEqual([
      ['17-0', '0'],
      ['17-2', '2'],
    ]);
    // Per-file counts, from the ledger: three rows each but m17's, whose rejected line is quarantined.
    const perFile = await sql(
      `SELECT file_path, rows_loaded, rows_quarantined FROM system.ingest_files WHERE file_path LIKE 'landing-many/%' AND (rows_loaded <> 3 OR rows_quarantined <> 0)`,
    );
    expect(perFile.rows).toEqual([['landing-many/m17.csv', 2, 1]]);
    expect((await sql(`SELECT _file_line, _raw FROM delta_scan('lake/bronze/many_quarantine')`)).rows).toEqual([
      [3, '17-1,1,2'],
    ]);
  });
});
