// Issue 18 item 9: file facts are Databricks' hidden `_metadata` struct, not columns of the
// rows, so a file column named like an old audit column (`_source_file`, `_file_row`,
// `__file`, `filename`) is just a column: it neither blocks the folder nor is overwritten.
// Databricks: "The _metadata column is a hidden column ... not returned by SELECT *", and
// "If the source data contains a column named _metadata, queries return the column from the
// data source, and not the file metadata"
// (https://docs.databricks.com/en/ingestion/file-metadata-column.html).
// On the previous main, the first test fails: `_source_file` and `_file_row` of the file were
// replaced by Strata's audit values.
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectAt, useTestBed } from '../helpers/harness.js';

const bed = useTestBed('file-metadata');

function project(name: string, files: Record<string, string>, sql?: string): string {
  const dir = path.join(bed.dir, name);
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), text);
  }
  if (sql) {
    mkdirSync(path.join(dir, 'pipelines', 'main'), { recursive: true });
    writeFileSync(path.join(dir, 'pipelines', 'main', 'main.sql'), sql);
  }
  writeFileSync(path.join(dir, 'strata.yaml'), 'name: t\n');
  return dir;
}

const CLASHING = '_source_file,_file_row,__file,filename,_batch_id,id\nsrc.csv,7,f,name,b,1\nother.csv,9,g,n2,c,2\n';

describe('file facts in _metadata', () => {
  it('a file with columns named like audit columns loads them as they are (COPY INTO, streamed and careful)', async () => {
    const dir = project('clash', { 'landing/a/x.csv': CLASHING, 'landing/b/x.csv': CLASHING });
    const p = await projectAt(bed, dir);
    await p.query(`CREATE TABLE bronze.streamed`);
    await p.query(`COPY INTO bronze.streamed FROM 'landing/a' FILEFORMAT = CSV`);
    await p.query(`CREATE TABLE bronze.careful`);
    await p.query(
      `COPY INTO bronze.careful FROM 'landing/b' FILEFORMAT = CSV FORMAT_OPTIONS ('inferColumnTypes' = 'true')`,
    );
    for (const t of ['streamed', 'careful']) {
      const r = await p.query(`SELECT * FROM bronze.${t} ORDER BY id`);
      expect(r.columns.map((c) => c.name)).toEqual([
        '_source_file',
        '_file_row',
        '__file',
        'filename',
        '_batch_id',
        'id',
        '_rescued_data',
      ]);
      expect(r.rows.map((row) => row.slice(0, 5).map(String))).toEqual([
        ['src.csv', '7', 'f', 'name', 'b'],
        ['other.csv', '9', 'g', 'n2', 'c'],
      ]);
    }
  });

  it('a streaming table keeps only the file facts its query selects; SELECT * leaves _metadata out', async () => {
    const sql = `
CREATE OR REFRESH STREAMING TABLE bronze.facts
AS SELECT *, _metadata.file_name AS file_name, _metadata.file_path AS file_path, _metadata.file_size AS size
FROM STREAM read_files('landing/o/*.csv', format => 'csv');

CREATE OR REFRESH STREAMING TABLE bronze.whole
AS SELECT *, _metadata FROM STREAM read_files('landing/o/*.csv', format => 'csv');

CREATE OR REFRESH STREAMING TABLE bronze.plain
AS SELECT * FROM STREAM read_files('landing/o/*.csv', format => 'csv');
`;
    const dir = project(
      'stream',
      { 'landing/o/day1.csv': 'id,v\n1,a\n2,b\n', 'landing/o/day2.csv': 'id,v\n3,c\n' },
      sql,
    );
    const p = await projectAt(bed, dir);
    const pipeline = await p.loadPipeline('main');
    expect(pipeline.problems).toEqual([]);
    const outcome = await p.runPipeline(pipeline, {});
    expect(outcome.status, outcome.error).toBe('COMPLETED');
    const size1 = statSync(path.join(dir, 'landing/o/day1.csv')).size;
    const facts = await p.query(`SELECT * FROM bronze.facts ORDER BY id`);
    expect(facts.columns.map((c) => c.name)).toEqual(['id', 'v', '_rescued_data', 'file_name', 'file_path', 'size']);
    expect(facts.rows).toEqual([
      [1, 'a', null, 'day1.csv', 'landing/o/day1.csv', size1],
      [2, 'b', null, 'day1.csv', 'landing/o/day1.csv', size1],
      [3, 'c', null, 'day2.csv', 'landing/o/day2.csv', 9],
    ]);
    const whole = await p.query(
      `SELECT id, _metadata.file_name, _metadata.file_block_start, _metadata.file_block_length = _metadata.file_size FROM bronze.whole ORDER BY id`,
    );
    expect(whole.rows).toEqual([
      [1, 'day1.csv', 0, true],
      [2, 'day1.csv', 0, true],
      [3, 'day2.csv', 0, true],
    ]);
    expect((await p.query(`SELECT * FROM bronze.whole LIMIT 0`)).columns.map((c) => c.name)).toEqual([
      'id',
      'v',
      '_rescued_data',
      '_metadata',
    ]);
    expect((await p.query(`SELECT * FROM bronze.plain LIMIT 0`)).columns.map((c) => c.name)).toEqual([
      'id',
      'v',
      '_rescued_data',
    ]);
  });

  it('read_files in a query: _metadata when named, never through *; a file column named _metadata wins', async () => {
    const dir = project('query', {
      'landing/q/a.csv': 'id,v\n1,a\n',
      'landing/m/a.csv': 'id,_metadata\n1,mine\n',
    });
    const p = await projectAt(bed, dir);
    const star = await p.query(`SELECT *, _metadata.file_name AS f FROM read_files('landing/q', format => 'csv')`);
    expect(star.columns.map((c) => c.name)).toEqual(['id', 'v', '_rescued_data', 'f']);
    expect(star.rows).toEqual([[1, 'a', null, 'a.csv']]);
    const both = await p.query(`SELECT *, _metadata FROM read_files('landing/q', format => 'csv')`);
    expect(both.columns.map((c) => c.name)).toEqual(['id', 'v', '_rescued_data', '_metadata']);
    const careful = await p.query(
      `SELECT id, _metadata.file_path FROM read_files('landing/q', format => 'csv', inferColumnTypes => true)`,
    );
    expect(careful.rows).toEqual([[1, 'landing/q/a.csv']]);
    const own = await p.query(`SELECT id, _metadata FROM read_files('landing/m', format => 'csv')`);
    expect(own.rows).toEqual([[1, 'mine']]);
  });
});
