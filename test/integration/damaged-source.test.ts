// Upstream tables whose log was damaged after a downstream flow read them (issue 18
// item 5): a zero-byte newest commit, a deleted newest commit, a deleted commit whose
// version another write then took. Each must stop the flow with a message asking for
// a full refresh — never a silent skip or a second read of rows (−22% revenue on the
// main before this change, where these tests fail: the zero-byte commit was read as
// a version without changes and the downstream flows reported "no new data").
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StrataError } from '../../src/core/index.js';
import type { RunOutcome } from '../../src/project/index.js';
import { projectAt, useTestBed } from '../helpers/harness.js';

const bed = useTestBed('damaged-source');

const PIPELINE = `
CREATE OR REFRESH STREAMING TABLE bronze.orders
AS SELECT * FROM STREAM read_files('landing/*.csv', format => 'csv', maxFilesPerTrigger => 1);

CREATE OR REFRESH STREAMING TABLE silver.orders
AS SELECT CAST(id AS INT) AS id, CAST(amount AS DOUBLE) AS amount FROM STREAM(bronze.orders);
`;

function setup(name: string): string {
  const dir = path.join(bed.dir, name);
  mkdirSync(path.join(dir, 'pipelines/main'), { recursive: true });
  mkdirSync(path.join(dir, 'landing'), { recursive: true });
  writeFileSync(path.join(dir, 'pipelines/main/main.sql'), PIPELINE);
  writeFileSync(path.join(dir, 'landing/a.csv'), 'id,amount\n1,10\n2,20\n');
  writeFileSync(path.join(dir, 'landing/b.csv'), 'id,amount\n3,30\n4,40\n');
  return dir;
}

async function run(dir: string): Promise<RunOutcome> {
  const project = await projectAt(bed, dir);
  return project.runPipeline(await project.loadPipeline('main'));
}

const commit = (dir: string, v: number) =>
  path.join(dir, 'lake/bronze/orders/_delta_log', `${String(v).padStart(20, '0')}.json`);

describe('a damaged upstream log stops the flows that read it', () => {
  it('a zero-byte newest commit is an error naming the file, for queries and runs alike', async () => {
    const dir = setup('zero');
    expect((await run(dir)).status).toBe('COMPLETED');
    writeFileSync(commit(dir, 2), '');
    const project = await projectAt(bed, dir);
    const err = await project.query('SELECT count(*) FROM bronze.orders').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StrataError);
    expect((err as StrataError).code).toBe('LOG_CORRUPT');
    expect((err as Error).message).toBe(
      'table bronze.orders: _delta_log/00000000000000000002.json is empty (0 bytes): the commit was cut off or damaged after it was written. Restore it from a backup, or delete it to take the table back to the version before it (tables that read it then need --full-refresh)',
    );
    const out = await run(dir);
    expect(out.status).toBe('FAILED');
    expect(out.flows.find((f) => f.flow === 'silver.orders')?.status).not.toBe('COMPLETED');
  });

  it('a deleted newest commit fails the downstream flow, asking for a full refresh', async () => {
    const dir = setup('deleted');
    expect((await run(dir)).status).toBe('COMPLETED'); // bronze v1 (a.csv), v2 (b.csv); silver read up to v2
    rmSync(commit(dir, 2));
    rmSync(path.join(dir, 'landing/b.csv')); // (else bronze loads it again, as version 2: the next test)
    const out = await run(dir);
    const silver = out.flows.find((f) => f.flow === 'silver.orders')!;
    expect(silver.status).toBe('FAILED');
    expect(silver.message).toBe(
      'silver.orders read bronze.orders up to version 2, but bronze.orders is now at version 1: versions 2–2 of its log are gone (deleted or damaged). silver.orders no longer matches it; run --full-refresh silver.orders to rebuild silver.orders from bronze.orders',
    );
  });

  it('a deleted commit whose version another write took is not read past', async () => {
    const dir = setup('replaced');
    expect((await run(dir)).status).toBe('COMPLETED');
    rmSync(commit(dir, 2));
    const project = await projectAt(bed, dir);
    await project.query(`INSERT INTO bronze.orders (id, amount) VALUES (9, 90)`); // takes version 2 again
    const out = await run(dir);
    const silver = out.flows.find((f) => f.flow === 'silver.orders')!;
    expect(silver.status).toBe('FAILED');
    expect(silver.message).toMatch(
      /^silver\.orders read bronze\.orders up to version 2, but that version has been written again since \(it was committed at \d{4}-\d\d-\d\dT[\d:.]+Z, the one there now at \d{4}-.*\): the log lost a commit and another took its place\. silver\.orders no longer matches it; run --full-refresh silver\.orders/,
    );
    // The full refresh rebuilds silver from what bronze holds now.
    const again = await project.runPipeline(await project.loadPipeline('main'), {
      fullRefresh: ['silver.orders'],
    });
    expect(again.status).toBe('COMPLETED');
    expect((await project.query('SELECT id FROM silver.orders ORDER BY id')).rows).toEqual(
      (await project.query('SELECT CAST(id AS INT) FROM bronze.orders ORDER BY 1')).rows,
    );
  });

  it('files whose rows were in a lost commit load again: the ledger forgets versions the table lost', async () => {
    const dir = setup('reload');
    expect((await run(dir)).status).toBe('COMPLETED'); // bronze v1 = a.csv, v2 = b.csv
    rmSync(commit(dir, 2));
    const project = await projectAt(bed, dir);
    const out = await run(dir);
    expect(out.flows.find((f) => f.flow === 'bronze.orders')).toMatchObject({ status: 'COMPLETED', rowsWritten: 2 });
    expect((await project.query('SELECT id, count(*) FROM bronze.orders GROUP BY id ORDER BY id')).rows).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 1],
    ]);
    expect(
      (
        await project.query(
          "SELECT file_path, table_version FROM system.ingest_files WHERE table_path = 'bronze/orders' ORDER BY ALL",
        )
      ).rows,
    ).toEqual([
      ['landing/a.csv', 1],
      ['landing/b.csv', 2],
    ]);
    const refreshed = await project.runPipeline(await project.loadPipeline('main'), { fullRefresh: ['silver.orders'] });
    expect(refreshed.status).toBe('COMPLETED');
    expect((await project.query('SELECT sum(amount) FROM silver.orders')).rows).toEqual([[100]]);
  });
});
