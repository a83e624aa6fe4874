// The streamed load (a big CSV read and written in one pass): the same
// guarantees as the careful path — bad rows quarantined, values rescued, each
// file once, damaged files failed. Every file counts as big here.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { executeQuery } from '../../src/sql/index.js';
import { useTestBed } from '../helpers/harness.js';
import { expectValidLog } from '../helpers/delta-log.js';

const bed = useTestBed('ingest-stream');
const sql = (q: string) => bed.engine.withSession((s) => executeQuery(s, q, { baseDir: bed.dir }));
beforeAll(() => {
  process.env.STRATA_INGEST_STREAM_BYTES = '1';
});

describe('streamed loads', () => {
  it('quarantine, rescue, audit columns, once; a damaged file falls back and is recorded as failed', async () => {
    const dir = path.join(bed.dir, 'landing');
    mkdirSync(dir, { recursive: true });
    const lines = ['id,price', ...Array.from({ length: 5000 }, (_, i) => (i === 1234 ? `${i},1,extra` : i === 4000 ? `${i},cheap` : `${i},${i / 2}`))];
    writeFileSync(path.join(dir, 'big.csv'), `${lines.join('\r\n')}\r\n`);
    const gz = gzipSync(`id,price\n${Array.from({ length: 3000 }, (_, i) => `${i},${(i * 7919) % 10007}`).join('\n')}\n`);
    writeFileSync(path.join(dir, 'broken.csv.gz'), gz.subarray(0, Math.floor(gz.length / 2))); // cut in the middle
    await sql(`CREATE TABLE IF NOT EXISTS bronze.s`);
    const r = await sql(`COPY INTO bronze.s FROM 'landing' FILEFORMAT = CSV FORMAT_OPTIONS ('schemaHints' = 'id INT, price DOUBLE')`);
    const out = Object.fromEntries(r.columns.map((c, i) => [c.name, r.rows[0][i]]));
    expect(out).toMatchObject({ num_inserted_rows: 4999, num_files_loaded: 1, num_skipped_corrupt_files: 1, num_rows_rescued: 1, num_rows_quarantined: 1 });
    const t = await sql(`SELECT count(*), count(DISTINCT id), min(_file_row), max(_file_row), count(_rescued_data) FROM bronze.s`);
    expect(t.rows[0]).toEqual([4999, 4999, 1, 4999, 1]);
    expect((await sql(`SELECT _rescued_data FROM bronze.s WHERE id = 4000`)).rows[0][0]).toContain('"price":"cheap"');
    const q = await sql(`SELECT _file_line, _raw FROM delta_scan('lake/bronze/s_quarantine')`);
    expect(q.rows).toEqual([[1236, '1234,1,extra']]);
    const ledger = await sql(`SELECT status, rows_loaded, rows_rescued, rows_quarantined, error FROM system.ingest_files ORDER BY file_path`);
    expect(ledger.rows).toEqual([
      ['loaded', 4999, 1, 1, null],
      ['failed', 0, 0, 0, expect.stringMatching(/gzip data is damaged/)],
    ]);
    const again = await sql(`COPY INTO bronze.s FROM 'landing' FILEFORMAT = CSV`);
    expect(again.rows[0][1]).toBe(0);
    expectValidLog(path.join(bed.dir, 'lake/bronze/s'));
  });
});
