// read_files infers CSV and JSON column types by default, as Databricks' read_files does
// ("inferColumnTypes: ... Default value: true" in the read_files reference); Auto Loader's
// older form cloud_files keeps strings unless cloudFiles.inferColumnTypes is set. The rules
// are Spark's, pinned here to its source (apache/spark, sql/catalyst/.../csv/CSVInferSchema.scala
// and .../json/JsonInferSchema.scala), and apply to every row read, not a sample:
//  - CSV, inferField: int (field.toInt), bigint (toLong), decimal(p,0) beyond bigint
//    (tryParseDecimal: scale <= 0), double (toDouble), date (preferDate, strict yyyy-MM-dd:
//    CSVOptions.dateFormatInRead), timestamp, boolean (toBoolean), else string; "For fields
//    with mixing dates and timestamps, relax it as string type" (compatibleType); an
//    all-empty column is NullType, written as string (toStructFields).
//  - JSON: integers bigint, fractions double, objects structs with their fields sorted by
//    name, arrays arrays, a field with two kinds of values a string, only nulls a string.
// A streaming table keeps the types its first batch inferred (Auto Loader's schema location):
// a later value that does not fit goes to _rescued_data, a new column is added.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectAt, useTestBed } from '../helpers/harness.js';

const bed = useTestBed('read-files-infer');

async function projectWith(name: string, files: Record<string, string>, pipeline?: string) {
  const dir = path.join(bed.dir, name);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  if (pipeline) {
    mkdirSync(path.join(dir, 'pipelines/p'), { recursive: true });
    writeFileSync(path.join(dir, 'pipelines/p/p.sql'), pipeline);
  }
  return { dir, project: await projectAt(bed, dir) };
}

const typesOf = async (project: Awaited<ReturnType<typeof projectAt>>, sql: string) =>
  (await project.query(`DESCRIBE (${sql})`)).rows.map((r) => `${String(r[0])} ${String(r[1])}`);

describe('read_files infers column types as Spark does', () => {
  it('CSV: the first type every value parses as, over all rows of all files', async () => {
    const { project } = await projectWith('csv', {
      'landing/a.csv': [
        'i,l,big,d,day,ts,b,mixed,dt_mix,spaced,empty,frac_int',
        '1,1,1,1.5,2024-01-05,2024-01-05 10:00:00,true,1,2024-01-05,1,,1',
        '-7,3000000000,12345678901234567890123,2,2024-02-29,2024-01-05T10:00:00Z,FALSE,x,2024-01-05 10:00:00, 2,,2.5',
      ].join('\n'),
      // A second file: its rows count as much as the first's (Spark reads them all).
      'landing/b.csv': 'i,l,big,d,day,ts,b,mixed,dt_mix,spaced,empty,frac_int\n2147483647,,,1e3,,,,,,,,\n',
    });
    expect(
      await typesOf(project, `SELECT * EXCEPT (_rescued_data) FROM read_files('landing', format => 'csv')`),
    ).toEqual([
      'i INTEGER',
      'l BIGINT',
      'big DECIMAL(23,0)',
      'd DOUBLE',
      'day DATE',
      'ts TIMESTAMP WITH TIME ZONE',
      'b BOOLEAN',
      'mixed VARCHAR', // an int and a word: string
      'dt_mix VARCHAR', // a date and a timestamp: string (compatibleType)
      'spaced DOUBLE', // ' 2' is not an int to Java's parseInt, but is a double to parseDouble (it trims)
      'empty VARCHAR', // only empty values: NullType, written as string
      'frac_int DOUBLE',
    ]);
    const rows = await project.query(
      `SELECT i, l, big::VARCHAR, d, day::VARCHAR, b, frac_int FROM read_files('landing', format => 'csv') ORDER BY i`,
    );
    expect(rows.rows).toEqual([
      [-7, 3000000000, '12345678901234567890123', 2, '2024-02-29', false, 2.5],
      [1, 1, '1', 1.5, '2024-01-05', true, 1],
      [2147483647, null, null, 1000, null, null, null],
    ]);
  });

  it('JSON: bigint, double, structs with sorted fields, arrays; mixed kinds and nulls are strings', async () => {
    const { project } = await projectWith('json', {
      'landing/a.json': [
        '{"id": 1, "price": 2.5, "customer": {"name": "Ann", "age": 30}, "tags": ["a"], "mixed": 1, "nothing": null}',
        '{"id": 2, "price": 3, "customer": {"name": "Bob", "vip": true}, "tags": [], "mixed": "one"}',
      ].join('\n'),
    });
    expect(await typesOf(project, `SELECT * FROM read_files('landing', format => 'json')`)).toEqual([
      // Spark's JSON inference gives the columns in name order too.
      'customer STRUCT(age BIGINT, "name" VARCHAR, vip BOOLEAN)',
      'id BIGINT',
      'mixed VARCHAR',
      'nothing VARCHAR',
      'price DOUBLE',
      'tags VARCHAR[]',
      '_rescued_data VARCHAR',
    ]);
    const rows = await project.query(
      `SELECT id, customer.name, customer.age, customer.vip, tags, mixed, price FROM read_files('landing', format => 'json') ORDER BY id`,
    );
    expect(rows.rows).toEqual([
      [1, 'Ann', 30, null, ['a'], '1', 2.5],
      [2, 'Bob', null, true, [], 'one', 3],
    ]);
  });

  it('inferColumnTypes => false keeps strings; cloud_files keeps strings unless cloudFiles.inferColumnTypes', async () => {
    const { project } = await projectWith('off', { 'landing/a.csv': 'id,amount\n1,2.5\n' });
    expect(
      (await typesOf(project, `SELECT * FROM read_files('landing', format => 'csv', inferColumnTypes => false)`)).slice(
        0,
        2,
      ),
    ).toEqual(['id VARCHAR', 'amount VARCHAR']);
    // schemaHints apply over inference: the hinted column takes its type, the others are inferred.
    expect(
      (
        await typesOf(project, `SELECT * FROM read_files('landing', format => 'csv', schemaHints => 'id BIGINT')`)
      ).slice(0, 2),
    ).toEqual(['id BIGINT', 'amount DOUBLE']);
    // _rescued_data is a STRING (Databricks' type), whether or not a column could rescue a value.
    for (const options of ['', ', inferColumnTypes => false', ", schemaHints => 'id INT'"])
      expect((await typesOf(project, `SELECT * FROM read_files('landing', format => 'csv'${options})`)).at(-1)).toBe(
        '_rescued_data VARCHAR',
      );
  });

  it('a streaming table keeps its first types: later values that do not fit are rescued, new columns added', async () => {
    const pipeline = `CREATE OR REFRESH STREAMING TABLE bronze AS SELECT * FROM STREAM read_files('landing', format => 'csv');
CREATE OR REFRESH STREAMING TABLE strings AS SELECT * FROM STREAM(cloud_files('landing', 'csv'));
CREATE OR REFRESH STREAMING TABLE typed AS SELECT * FROM STREAM(cloud_files('landing', 'csv', map('cloudFiles.inferColumnTypes', 'true')));
`;
    const { dir, project } = await projectWith('stream', { 'landing/1.csv': 'id,qty,day\n1,2,2024-01-05\n' }, pipeline);
    const run = async () => {
      const r = await project.runPipeline(await project.loadPipeline());
      expect(r.status, r.error).toBe('COMPLETED');
    };
    await run();
    // The second file's qty '2.5' is not an int: it goes to _rescued_data, not rounded; 'more' is new.
    writeFileSync(path.join(dir, 'landing/2.csv'), 'id,qty,day,more\n2,2.5,2024-01-06,x\n3,4,soon,y\n');
    await run();
    expect(await typesOf(project, 'SELECT * FROM bronze')).toEqual([
      'id INTEGER',
      'qty INTEGER',
      'day DATE',
      '_rescued_data VARCHAR',
      'more VARCHAR',
    ]);
    expect(
      (await project.query(`SELECT id, qty, day::VARCHAR, more, _rescued_data FROM bronze ORDER BY id`)).rows,
    ).toEqual([
      [1, 2, '2024-01-05', null, null],
      [2, null, '2024-01-06', 'x', JSON.stringify({ qty: '2.5', _file_path: 'landing/2.csv' })],
      [3, 4, null, 'y', JSON.stringify({ day: 'soon', _file_path: 'landing/2.csv' })],
    ]);
    expect((await typesOf(project, 'SELECT * FROM strings')).slice(0, 3)).toEqual([
      'id VARCHAR',
      'qty VARCHAR',
      'day VARCHAR',
    ]);
    expect((await project.query(`SELECT id, qty FROM typed ORDER BY id`)).rows).toEqual([
      [1, 2],
      [2, null],
      [3, 4],
    ]);
    // The recorded types are a table property; SHOW CREATE TABLE leaves Strata's own state out.
    const props = (await project.query(`SHOW TBLPROPERTIES bronze`)).rows.map((r) => String(r[0]));
    expect(props).toContain('strata.sourceSchema.bronze');
    const [[ddl]] = (await project.query(`SHOW CREATE TABLE bronze`)).rows;
    expect(String(ddl)).not.toContain('strata.');
    // A full refresh infers again, from all the files: qty is then a double, day a string.
    const refreshed = await project.runPipeline(await project.loadPipeline(), { fullRefresh: 'all', force: true });
    expect(refreshed.status, refreshed.error).toBe('COMPLETED');
    expect((await typesOf(project, 'SELECT * FROM bronze')).slice(0, 3)).toEqual([
      'id INTEGER',
      'qty DOUBLE',
      'day VARCHAR',
    ]);
  });
});
