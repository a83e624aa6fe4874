// A table whose first commit never landed (the process was killed, or the disk was full) leaves
// an empty _delta_log/. That is no table: the next run creates it, a full refresh too, and
// queries and COPY INTO treat it as missing. (On the main before this change every later run
// failed with "no table at bronze.orders".)
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectAt, useTestBed } from '../helpers/harness.js';

const bed = useTestBed('half-created');

const BRONZE = `CREATE OR REFRESH STREAMING TABLE bronze.orders AS SELECT * FROM STREAM read_files('landing/orders', format => 'csv');
CREATE OR REFRESH MATERIALIZED VIEW gold.total AS SELECT CAST(sum(CAST(price AS INT)) AS INT) AS total FROM bronze.orders;
`;

describe('a table whose first commit never landed', () => {
  it('is created by the next run (and by a full refresh), with every row once', async () => {
    const dir = path.join(bed.dir, 'p');
    mkdirSync(path.join(dir, 'pipelines/main'), { recursive: true });
    writeFileSync(path.join(dir, 'pipelines/main/main.sql'), BRONZE);
    mkdirSync(path.join(dir, 'landing/orders'), { recursive: true });
    writeFileSync(path.join(dir, 'landing/orders/a.csv'), 'id,price\n1,2\n2,5\n');
    for (const t of ['bronze/orders', 'gold/total', '_system/event_log'])
      mkdirSync(path.join(dir, 'lake', t, '_delta_log'), { recursive: true });

    const project = await projectAt(bed, dir);
    const pipeline = await project.loadPipeline();
    const first = await project.runPipeline(pipeline);
    expect(first.status, first.error).toBe('COMPLETED');
    expect((await project.query('SELECT total FROM gold.total')).rows).toEqual([[7]]);

    mkdirSync(path.join(dir, 'lake/silver/other/_delta_log'), { recursive: true });
    await expect(project.query('SELECT * FROM silver.other')).rejects.toThrow(/silver\.other/);
    await expect(project.query(`COPY INTO silver.other FROM 'landing/orders' FILEFORMAT = CSV`)).rejects.toThrow(
      /the table does not exist/,
    );

    // A full refresh rebuilds from there.
    const refreshed = await project.runPipeline(pipeline, { fullRefresh: 'all', force: true });
    expect(refreshed.status, refreshed.error).toBe('COMPLETED');
    expect((await project.query('SELECT count(*) FROM bronze.orders')).rows).toEqual([[2]]);
  });

  it("cleans up an interrupted commit's temporary files: at creation, at a checkpoint, and by VACUUM", async () => {
    const dir = path.join(bed.dir, 'tmp-files');
    mkdirSync(dir, { recursive: true });
    const project = await projectAt(bed, dir);
    const log = path.join(dir, 'lake/s/t/_delta_log');
    const leave = (folder: string, name: string, ageMs: number) => {
      mkdirSync(folder, { recursive: true });
      writeFileSync(path.join(folder, name), '{"commitInfo":{}}\n');
      const at = new Date(Date.now() - ageMs);
      utimesSync(path.join(folder, name), at, at);
    };
    const temps = (folder: string) => readdirSync(folder).filter((f) => f.startsWith('.strata-tmp-'));
    // A killed first commit left one; a writer in flight this very moment has another.
    leave(log, '.strata-tmp-killed', 10 * 60_000);
    leave(log, '.strata-tmp-in-flight', 0);
    await project.query(`CREATE TABLE s.t (id INT) TBLPROPERTIES ('delta.checkpointInterval' = '2')`);
    expect(temps(log)).toEqual(['.strata-tmp-in-flight']);
    leave(log, '.strata-tmp-killed-later', 10 * 60_000);
    await project.query('INSERT INTO s.t VALUES (1)');
    expect(temps(log)).toEqual(['.strata-tmp-in-flight', '.strata-tmp-killed-later']); // no checkpoint at v1
    await project.query('INSERT INTO s.t VALUES (2)'); // v2: a checkpoint, and a sweep
    expect(temps(log)).toEqual(['.strata-tmp-in-flight']);
    leave(path.join(dir, 'lake/s/t'), '.strata-tmp-dv', 10 * 60_000);
    await project.query('VACUUM s.t');
    expect(temps(path.join(dir, 'lake/s/t'))).toEqual([]);
    expect((await project.query('SELECT sum(id) FROM s.t')).rows).toEqual([[3]]);
  });
});
