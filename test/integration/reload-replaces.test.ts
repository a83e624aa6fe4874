// A file loaded again replaces the rows it loaded earlier, in one commit (issue 18 item 6):
// on the main before this change, COPY INTO with force (and `strata ingest --force`) appended
// the file's rows a second time — 2 rows + 3 rows = 5 rows for a file that holds 3.
// Databricks' COPY INTO with force appends too; Strata replaces instead, and says so in its docs.
import { existsSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { executeQuery } from '../../src/sql/index.js';
import { fileSources } from '../../src/ingest/index.js';
import { useTestBed } from '../helpers/harness.js';
import { expectValidLog, readLog } from '../helpers/delta-log.js';

const bed = useTestBed('reload');
const sql = (q: string) => bed.engine.withSession((s) => executeQuery(s, q, { baseDir: bed.dir, files: fileSources }));
const rows = async (q: string) => (await sql(q)).rows;
const copy = async (q: string) => {
  const r = await sql(q);
  return Object.fromEntries(r.columns.map((c, i) => [c.name, r.rows[0][i]])) as Record<string, number>;
};
let minute = 0;
/** Writes a landing file with its own modification time (a minute apart), settled. */
const land = (name: string, text: string) => {
  const file = path.join(bed.dir, 'landing', name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  const t = new Date(Date.UTC(2026, 0, 1) + ++minute * 60_000);
  utimesSync(file, t, t);
  return file;
};
const copyInto = (table: string, folder: string, format = 'CSV', force = false) =>
  copy(
    `COPY INTO ${table} FROM 'landing/${folder}' FILEFORMAT = ${format}${force ? ` COPY_OPTIONS ('force' = 'true')` : ''}`,
  );

describe('a file loaded again', () => {
  it('replaces its earlier rows and quarantined lines in one commit (streamed CSV)', async () => {
    land('csv/a.csv', 'id,v\n1,old\n2,old\n3,x,extra\n');
    land('csv/b.csv', 'id,v\n10,b\n');
    await sql(`CREATE TABLE bronze.csv`);
    expect(await copyInto('bronze.csv', 'csv')).toMatchObject({ num_inserted_rows: 3, num_rows_quarantined: 1 });
    land('csv/a.csv', 'id,v\n1,new\n2,new\n4,new\n');
    const before = readLog(path.join(bed.dir, 'lake/bronze/csv')).length;
    // Without force: reported, not loaded.
    expect(await copyInto('bronze.csv', 'csv')).toMatchObject({ num_inserted_rows: 0 });
    const r = await copyInto('bronze.csv', 'csv', 'CSV', true);
    // a.csv's batch is loaded again whole: b.csv's row comes back with it, once.
    expect(r).toMatchObject({ num_inserted_rows: 4, num_files_loaded: 2, num_rows_quarantined: 0 });
    expect(await rows(`SELECT id, v FROM bronze.csv ORDER BY id::INT`)).toEqual([
      ['1', 'new'],
      ['2', 'new'],
      ['4', 'new'],
      ['10', 'b'],
    ]);
    // One commit took the old files out and put the new ones in.
    const log = readLog(path.join(bed.dir, 'lake/bronze/csv'));
    expect(log.length).toBe(before + 1);
    const last = log[log.length - 1].actions;
    expect(last.some((a) => a.remove)).toBe(true);
    expect(last.filter((a) => a.add).every((a) => a.add.tags?.['strata.ingestBatch'] !== undefined)).toBe(true);
    expectValidLog(path.join(bed.dir, 'lake/bronze/csv'));
    // The quarantine holds what the files hold now: a.csv's bad line went with its old rows.
    expect(await rows(`SELECT count(*) FROM delta_scan('lake/bronze/csv_quarantine')`)).toEqual([[0]]);
    // Forced again, nothing changes: no row twice.
    await copyInto('bronze.csv', 'csv', 'CSV', true);
    expect(await rows(`SELECT count(*), count(DISTINCT id) FROM bronze.csv`)).toEqual([[4, 4]]);
    // The ledger's latest entries give the table's rows.
    expect(
      await rows(
        `SELECT sum(rows_loaded) FROM (SELECT file_path, arg_max(rows_loaded, table_version) AS rows_loaded FROM system.ingest_files WHERE table_path = 'bronze/csv' AND status = 'loaded' GROUP BY 1)`,
      ),
    ).toEqual([[4]]);
  });

  it('replaces rows loaded by the careful path (JSON), after checkpoints', async () => {
    land('json/a.json', '{"id": 1, "v": "old"}\n{"id": 2, "v": "old"}\n');
    await sql(`CREATE TABLE bronze.json TBLPROPERTIES ('delta.checkpointInterval' = '1')`);
    await copyInto('bronze.json', 'json', 'JSON');
    land('json/b.json', '{"id": 3, "v": "b"}\n');
    await copyInto('bronze.json', 'json', 'JSON');
    land('json/a.json', '{"id": 1, "v": "new"}\n');
    // The tags are read back from the checkpoint (every commit has one here).
    expect(existsSync(path.join(bed.dir, 'lake/bronze/json/_delta_log/_last_checkpoint'))).toBe(true);
    expect(await copyInto('bronze.json', 'json', 'JSON', true)).toMatchObject({ num_inserted_rows: 2 });
    expect(await rows(`SELECT id, v FROM bronze.json ORDER BY id`)).toEqual([
      ['1', 'new'],
      ['3', 'b'],
    ]);
  });

  it('is refused, with nothing written, when a file loaded with it is gone from the source', async () => {
    land('gone/c.csv', 'id\n1\n');
    land('gone/d.csv', 'id\n2\n');
    await sql(`CREATE TABLE bronze.gone`);
    await copyInto('bronze.gone', 'gone');
    rmSync(path.join(bed.dir, 'landing/gone/d.csv'));
    land('gone/c.csv', 'id\n1\n3\n');
    const version = readLog(path.join(bed.dir, 'lake/bronze/gone')).length;
    await expect(copyInto('bronze.gone', 'gone', 'CSV', true)).rejects.toThrow(
      /landing\/gone\/c\.csv was loaded in batch 1 .* together with landing\/gone\/d\.csv, which is no longer in the source/,
    );
    expect(readLog(path.join(bed.dir, 'lake/bronze/gone')).length).toBe(version);
    expect(await rows(`SELECT id FROM bronze.gone ORDER BY id`)).toEqual([['1'], ['2']]);
  });

  it('is refused when OPTIMIZE has merged the rows of its batch with others', async () => {
    land('opt/e.csv', 'id\n1\n');
    await sql(`CREATE TABLE bronze.opt`);
    await copyInto('bronze.opt', 'opt');
    land('opt/f.csv', 'id\n2\n');
    await copyInto('bronze.opt', 'opt');
    await sql(`OPTIMIZE bronze.opt`);
    land('opt/e.csv', 'id\n1\n5\n');
    await expect(copyInto('bronze.opt', 'opt', 'CSV', true)).rejects.toThrow(
      /the rows batch 1 loaded .*landing\/opt\/e\.csv.* have been rewritten since/,
    );
    expect(await rows(`SELECT id FROM bronze.opt ORDER BY id`)).toEqual([['1'], ['2']]);
  });
});
