// read_files in a query reads CSV as the query runs (a view over DuckDB's CSV reader, not a
// copy of the files in memory: issue 18's memory item — a count(*) over a 700 MB CSV went from
// 1.9 GB to 0.43 GB resident), with the same columns a load gives: values as text unless hinted,
// a value that does not fit its hinted type kept in _rescued_data with its file, a line that
// cannot be parsed left out, each row's file and record number.
import { mkdirSync, writeFileSync } from 'node:fs';
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
      `SELECT id, amount, _rescued_data, regexp_replace(_source_file, '^.*/', '') AS file, _file_row
       FROM read_files('landing', format => 'csv', schemaHints => 'amount INT') ORDER BY id`,
    );
    const a = path.join(dir, 'landing/a.csv');
    expect(result.rows).toEqual([
      ['1', 10, null, 'a.csv', 1],
      ['2', null, JSON.stringify({ amount: 'x', _file_path: a }), 'a.csv', 2],
      ['4', 40, null, 'a.csv', 3],
      ['5', 50, null, 'b.csv', 1],
    ]);
    // Each query reads the files again: a file changed since is read as it is now.
    writeFileSync(path.join(dir, 'landing/b.csv'), 'id,amount\n5,50\n6,60\n');
    expect((await project.query(`SELECT count(*) FROM read_files('landing/b.csv', format => 'csv')`)).rows).toEqual([
      [2],
    ]);
  });
});
