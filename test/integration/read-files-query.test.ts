// read_files in a query reads CSV as the query runs (a view over DuckDB's CSV reader, not a
// copy of the files in memory: issue 18's memory item — a count(*) over a 700 MB CSV went from
// 1.9 GB to 0.43 GB resident), with the same columns a load gives: types inferred (one scan before,
// read_files-infer.test.ts) or hinted, a value that does not fit its type kept in _rescued_data with its file, a line that
// cannot be parsed left out. Each row's file is in the hidden `_metadata` struct, which a query
// gets only by naming it (`SELECT *` leaves it out, as in Databricks).
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectAt, useTestBed } from '../helpers/harness.js';

const bed = useTestBed('read-files-query');

describe('read_files in a query', () => {
  it('streams CSV files with the columns of a load', async () => {
    const dir = path.join(bed.dir, 'p');
    mkdirSync(path.join(dir, 'landing'), { recursive: true });
    writeFileSync(path.join(dir, 'landing/a.csv'), 'id,amount\n1,10\n2,x\n3,30,extra,fields\n4,40\n');
    writeFileSync(path.join(dir, 'landing/b.csv'), 'id,amount\n5,50\n');
    const project = await projectAt(bed, dir);
    const result = await project.query(
      `SELECT id, amount, _rescued_data, _metadata.file_path AS path, _metadata.file_name AS file
       FROM read_files('landing', format => 'csv', schemaHints => 'amount INT') ORDER BY id`,
    );
    expect(result.rows).toEqual([
      [1, 10, null, 'landing/a.csv', 'a.csv'],
      [2, null, JSON.stringify({ amount: 'x', _file_path: 'landing/a.csv' }), 'landing/a.csv', 'a.csv'],
      [4, 40, null, 'landing/a.csv', 'a.csv'],
      [5, 50, null, 'landing/b.csv', 'b.csv'],
    ]);
    // `SELECT *` gives the files' columns and _rescued_data only: no audit columns, no _metadata.
    const star = await project.query(`SELECT * FROM read_files('landing', format => 'csv')`);
    expect(star.columns.map((c) => c.name)).toEqual(['id', 'amount', '_rescued_data']);
    expect(star.rows).toHaveLength(4);
    // The whole struct, when named, has the file's facts (read whole: one block of its size).
    const b = statSync(path.join(dir, 'landing/b.csv'));
    const meta = await project.query(
      `SELECT *, _metadata.file_size, _metadata.file_block_start, _metadata.file_block_length,
              epoch_ms(_metadata.file_modification_time) AS modified
       FROM read_files('landing/b.csv', format => 'csv')`,
    );
    expect(meta.columns.map((c) => c.name)).toEqual([
      'id',
      'amount',
      '_rescued_data',
      'file_size',
      'file_block_start',
      'file_block_length',
      'modified',
    ]);
    expect(meta.rows).toEqual([[5, 50, null, b.size, 0, b.size, Math.floor(b.mtimeMs)]]);
    // Each query reads the files again: a file changed since is read as it is now.
    writeFileSync(path.join(dir, 'landing/b.csv'), 'id,amount\n5,50\n6,60\n');
    expect((await project.query(`SELECT count(*) FROM read_files('landing/b.csv', format => 'csv')`)).rows).toEqual([
      [2],
    ]);
  });

  // Databricks' read_files: "format: The data file format in the source path. Auto-inferred if not provided."
  it('without format, reads the format the files have: from the path, else from the files; a mix is refused', async () => {
    const dir = path.join(bed.dir, 'detect');
    mkdirSync(path.join(dir, 'events'), { recursive: true });
    mkdirSync(path.join(dir, 'mixed'), { recursive: true });
    writeFileSync(path.join(dir, 'events/1.json'), '{"id": 1, "kind": "view"}\n{"id": 2, "kind": "buy"}\n');
    writeFileSync(path.join(dir, 'mixed/a.csv'), 'id\n1\n');
    writeFileSync(path.join(dir, 'mixed/b.json'), '{"id": 1}\n');
    mkdirSync(path.join(dir, 'pipelines/p'), { recursive: true });
    writeFileSync(
      path.join(dir, 'pipelines/p/p.sql'),
      "CREATE OR REFRESH STREAMING TABLE events AS SELECT id, kind FROM STREAM read_files('events');\n",
    );
    const project = await projectAt(bed, dir);
    const rows = async (sql: string) => (await project.query(sql)).rows.map((r) => r.map(String));
    expect(await rows(`SELECT id, kind FROM read_files('events') ORDER BY id`)).toEqual([
      ['1', 'view'],
      ['2', 'buy'],
    ]);
    expect(await rows(`SELECT count(*) FROM read_files('events/*.json')`)).toEqual([['2']]);
    await expect(project.query(`SELECT * FROM read_files('mixed')`)).rejects.toThrow(
      /the files under mixed are of several formats \(csv, json\); name one with format => '\.\.\.'/,
    );
    const outcome = await project.runPipeline(await project.loadPipeline());
    expect(outcome.status, outcome.error).toBe('COMPLETED');
    expect(await rows('SELECT id, kind FROM events ORDER BY id')).toEqual([
      ['1', 'view'],
      ['2', 'buy'],
    ]);
  });

  // Spark SQL guide, "Run SQL on files directly": SELECT * FROM parquet.`path`; a CSV read this way
  // has Spark's CSV defaults (no header: columns _c0, _c1, ...).
  it('reads parquet.`path`, json.`path` and csv.`path` as Spark does, in queries and pipelines', async () => {
    const dir = path.join(bed.dir, 'by-path');
    mkdirSync(path.join(dir, 'files'), { recursive: true });
    writeFileSync(path.join(dir, 'files/a.csv'), 'x,y\n1,2\n');
    writeFileSync(path.join(dir, 'files/e.json'), '{"k": "a", "n": 1}\n{"k": "b", "n": 2}\n');
    await bed.engine.withSession((s) =>
      s.exec(`COPY (SELECT 7 AS id, 'seven' AS name) TO '${path.join(dir, 'files/p.parquet')}' (FORMAT parquet)`),
    );
    mkdirSync(path.join(dir, 'pipelines/p'), { recursive: true });
    writeFileSync(
      path.join(dir, 'pipelines/p/p.sql'),
      'CREATE OR REFRESH MATERIALIZED VIEW named AS SELECT p.name, j.k FROM parquet.`files/p.parquet` p JOIN json.`files/e.json` j ON j.n = 1;\n',
    );
    const project = await projectAt(bed, dir);
    const rows = async (sql: string) => (await project.query(sql)).rows.map((r) => r.map(String));
    expect(await rows('SELECT _c0, _c1 FROM csv.`files/a.csv`')).toEqual([
      ['x', 'y'],
      ['1', '2'],
    ]);
    expect(await rows('SELECT id, name FROM parquet.`files/p.parquet`')).toEqual([['7', 'seven']]);
    // The files' columns only: no _rescued_data (that is read_files' and Auto Loader's).
    expect((await project.query('SELECT * FROM parquet.`files/p.parquet`')).columns.map((c) => c.name)).toEqual([
      'id',
      'name',
    ]);
    expect(await rows('SELECT * FROM csv.`files/a.csv` t ORDER BY t._c0')).toEqual([
      ['1', '2'],
      ['x', 'y'],
    ]);
    expect(await rows('SELECT k FROM json.`files/e.json` ORDER BY k')).toEqual([['a'], ['b']]);
    const outcome = await project.runPipeline(await project.loadPipeline());
    expect(outcome.status, outcome.error).toBe('COMPLETED');
    expect(await rows('SELECT name, k FROM named')).toEqual([['seven', 'a']]);
  });
});
