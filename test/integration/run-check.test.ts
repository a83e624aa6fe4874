// An update that creates tables binds its queries before it writes anything, as Databricks
// analyzes a pipeline while an update is INITIALIZING ("the update fails before any flow
// runs" on an analysis error): a query that cannot run fails the update with every problem at
// its file:line:column, and no table is created or changed — a failed first update commits
// nothing. Fixed, the same update runs.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectAt, useTestBed } from '../helpers/harness.js';

const bed = useTestBed('run-check');

const GOOD = `CREATE OR REFRESH STREAMING TABLE bronze.orders AS SELECT * FROM STREAM read_files('landing/orders', format => 'csv');
CREATE OR REFRESH MATERIALIZED VIEW silver.totals AS SELECT sum(amount) AS total FROM bronze.orders;
`;

describe('checks before an update writes', () => {
  it('a first update whose queries do not bind writes nothing; fixed, it runs', async () => {
    const dir = path.join(bed.dir, 'first');
    mkdirSync(path.join(dir, 'pipelines/p'), { recursive: true });
    mkdirSync(path.join(dir, 'landing/orders'), { recursive: true });
    writeFileSync(path.join(dir, 'landing/orders/1.csv'), 'id,amount\n1,10\n2,5\n');
    const sql = path.join(dir, 'pipelines/p/p.sql');
    writeFileSync(sql, GOOD.replace('sum(amount)', 'sum(amout)'));
    const project = await projectAt(bed, dir);

    const failed = await project.runPipeline(await project.loadPipeline());
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toMatch(
      /^1 problem\(s\) found in the pipeline's queries before running; nothing was written:\n/,
    );
    expect(failed.error).toMatch(/p\.sql:2:\d+: BIND .*amout/);
    expect(failed.flows.map((f) => [f.flow, f.status])).toEqual([
      ['bronze.orders', 'SKIPPED'],
      ['silver.totals', 'SKIPPED'],
    ]);
    // Nothing in the lake but Strata's own tables: bronze was not created, no file was loaded.
    expect(existsSync(path.join(dir, 'lake/bronze'))).toBe(false);
    expect(readdirSync(path.join(dir, 'lake')).sort()).toEqual(['_system']);
    const events = await project.query(
      `SELECT message, level FROM system.event_log WHERE origin.update_id = '${failed.updateId}' AND event_type = 'update_progress' ORDER BY timestamp`,
    );
    expect(events.rows.at(-1)).toEqual([`Update ${failed.updateId.slice(0, 6)} is FAILED.`, 'ERROR']);

    writeFileSync(sql, GOOD);
    const fixed = await project.runPipeline(await project.loadPipeline());
    expect(fixed.status, fixed.error).toBe('COMPLETED');
    expect((await project.query('SELECT total FROM silver.totals')).rows).toEqual([[15]]);
  });

  it('a new table of a running pipeline is checked too: nothing of the update is written', async () => {
    const dir = path.join(bed.dir, 'later');
    mkdirSync(path.join(dir, 'pipelines/p'), { recursive: true });
    mkdirSync(path.join(dir, 'landing/orders'), { recursive: true });
    writeFileSync(path.join(dir, 'landing/orders/1.csv'), 'id,amount\n1,10\n');
    const sql = path.join(dir, 'pipelines/p/p.sql');
    writeFileSync(sql, GOOD);
    const project = await projectAt(bed, dir);
    expect((await project.runPipeline(await project.loadPipeline())).status).toBe('COMPLETED');
    const count = async () => (await project.query('SELECT count(*) FROM bronze.orders')).rows;
    expect(await count()).toEqual([[1]]);

    writeFileSync(path.join(dir, 'landing/orders/2.csv'), 'id,amount\n2,7\n');
    writeFileSync(
      sql,
      `${GOOD}CREATE OR REFRESH MATERIALIZED VIEW gold.by_id AS SELECT nosuch(total) AS x FROM silver.totals;\n`,
    );
    const failed = await project.runPipeline(await project.loadPipeline());
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toMatch(/p\.sql:3:\d+: BIND /);
    expect(await count()).toEqual([[1]]); // the new file was not loaded
    expect(existsSync(path.join(dir, 'lake/gold'))).toBe(false);
  });
});
