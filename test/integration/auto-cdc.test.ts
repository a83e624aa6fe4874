// AUTO CDC flows run by strata run: Databricks' documented example (SCD1 and
// SCD2 over the same change rows, with a delete, out-of-order updates and a
// truncate), the older APPLY CHANGES INTO statement, a NULL sequence value,
// the event log's metrics, and the stream progress kept across runs.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPipeline } from '../../src/pipeline/project.js';
import { runPipeline, type RunOutcome } from '../../src/pipeline/run.js';
import { executeQuery } from '../../src/sql/index.js';
import { useTestBed } from '../helpers/harness.js';

const bed = useTestBed('auto-cdc');

function project(name: string, sql: string): string {
  const dir = path.join(bed.dir, name);
  mkdirSync(path.join(dir, 'pipelines', 'main'), { recursive: true });
  writeFileSync(path.join(dir, 'pipelines', 'main', 'main.sql'), sql);
  return dir;
}
function land(dir: string, file: string, text: string): void {
  mkdirSync(path.join(dir, 'landing'), { recursive: true });
  writeFileSync(path.join(dir, 'landing', file), text);
}
async function run(dir: string): Promise<RunOutcome> {
  const pipeline = await loadPipeline(dir, 'main');
  expect(pipeline.problems).toEqual([]);
  return bed.engine.withSession((s) => runPipeline(s, pipeline, { project: dir, lakeRoot: path.join(dir, 'lake') }));
}
const rows = async (dir: string, q: string) => (await bed.engine.withSession((s) => executeQuery(s, q, { baseDir: dir }))).rows;

// The change rows of Databricks' AUTO CDC documentation ("Example: SCD type 1 and SCD type 2 processing").
const USERS = `userId,name,city,operation,sequenceNum
124,Raul,Oaxaca,INSERT,1
123,Isabel,Monterrey,INSERT,1
125,Mercedes,Tijuana,INSERT,2
126,Lily,Cancun,INSERT,2
123,,,DELETE,6
125,Mercedes,Guadalajara,UPDATE,6
125,Mercedes,Mexicali,UPDATE,5
123,Isabel,Chihuahua,UPDATE,5
`;

const PIPELINE = `
CREATE OR REFRESH STREAMING TABLE users_cdc AS
SELECT * FROM STREAM read_files('landing/*.csv', format => 'csv');

CREATE TEMPORARY VIEW users_changes AS
SELECT userId, name, city, operation, sequenceNum FROM STREAM(users_cdc);

CREATE OR REFRESH STREAMING TABLE users_scd1;
CREATE FLOW users_scd1_flow AS AUTO CDC INTO users_scd1
FROM STREAM(users_changes)
KEYS (userId)
APPLY AS DELETE WHEN operation = 'DELETE'
APPLY AS TRUNCATE WHEN operation = 'TRUNCATE'
SEQUENCE BY sequenceNum
COLUMNS * EXCEPT (operation, sequenceNum)
STORED AS SCD TYPE 1;

CREATE OR REFRESH STREAMING TABLE users_scd2;
APPLY CHANGES INTO LIVE.users_scd2
FROM STREAM(LIVE.users_changes)
KEYS (userId)
APPLY AS DELETE WHEN operation = 'DELETE'
SEQUENCE BY sequenceNum
COLUMNS * EXCEPT (operation, sequenceNum)
STORED AS SCD TYPE 2;
`;

describe('AUTO CDC', () => {
  it("gives Databricks' documented SCD1 and SCD2 results, then applies a late truncate", async () => {
    const dir = project('docs-example', PIPELINE);
    land(dir, 'users-1.csv', USERS);
    const first = await run(dir);
    expect(first.status, first.error).toBe('COMPLETED');
    expect(await rows(dir, 'SELECT userId, name, city FROM users_scd1 ORDER BY userId')).toEqual([
      ['124', 'Raul', 'Oaxaca'],
      ['125', 'Mercedes', 'Guadalajara'],
      ['126', 'Lily', 'Cancun'],
    ]);
    expect(await rows(dir, 'SELECT userId, name, city, __START_AT, __END_AT FROM users_scd2 ORDER BY userId, __START_AT')).toEqual([
      ['123', 'Isabel', 'Monterrey', '1', '5'],
      ['123', 'Isabel', 'Chihuahua', '5', '6'],
      ['124', 'Raul', 'Oaxaca', '1', null],
      ['125', 'Mercedes', 'Tijuana', '2', '5'],
      ['125', 'Mercedes', 'Mexicali', '5', '6'],
      ['125', 'Mercedes', 'Guadalajara', '6', null],
      ['126', 'Lily', 'Cancun', '2', null],
    ]);
    const scd1 = first.flows.find((f) => f.flow === 'users_scd1_flow')!;
    expect(scd1.metrics).toEqual({ num_upserted_rows: 3, num_deleted_rows: 0 });
    expect(scd1.rowsRead).toBe(8);

    // Nothing new: nothing read, nothing written.
    const second = await run(dir);
    expect(second.flows.find((f) => f.flow === 'users_scd1_flow')!.message).toBe('no new data');

    // A truncate at sequence 3 empties what came before it: only 125's update at 6 is left.
    land(dir, 'users-2.csv', 'userId,name,city,operation,sequenceNum\n,,,TRUNCATE,3\n');
    const third = await run(dir);
    expect(third.status, third.error).toBe('COMPLETED');
    expect(await rows(dir, 'SELECT userId, name, city FROM users_scd1 ORDER BY userId')).toEqual([['125', 'Mercedes', 'Guadalajara']]);
    expect(third.flows.find((f) => f.flow === 'users_scd1_flow')!.metrics).toEqual({ num_upserted_rows: 0, num_deleted_rows: 2 });
  });
});
