// Consistent reads through the Postgres endpoint: a transaction block reads each table at one
// version (pinned at its first read) while others write; an update under way is not seen half-way
// (the update lock and read point taken as Project's updates take them, then two tables written one
// after the other); `SET strata.as_of` reads the lake as it was.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../../src/project/index.js';
import { startPgServer, type RunningPgServer } from '../../src/pg/index.js';
import { FileLock } from '../../src/storage/index.js';
import { writeReadPoint, clearReadPoint } from '../../src/project/read-point.js';
import { useTestBed } from '../helpers/harness.js';
import { pgClient, pgProject } from '../helpers/pg.js';

const bed = useTestBed('pg-consistency');
let project: Project;
let server: RunningPgServer;
const PASSWORD = 'c0nsistent';

beforeAll(async () => {
  ({ project } = await pgProject(bed, 'shop', PASSWORD));
  await project.query(
    `CREATE TABLE gold.orders (id INT, amount DECIMAL(10,2));
     CREATE TABLE gold.order_totals (orders BIGINT, revenue DECIMAL(18,2));
     INSERT INTO gold.orders VALUES (1, 10.00), (2, 20.00);
     INSERT INTO gold.order_totals VALUES (2, 30.00)`,
  );
  server = await startPgServer(project, { port: 0 });
});
afterAll(() => server?.close());

async function client() {
  const c = pgClient(server.port, PASSWORD);
  await c.connect();
  return c;
}

const count = async (c: pg.Client, table: string) =>
  Number((await c.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

describe('consistent reads', () => {
  it('a transaction block reads each table at the version of its first read; a new one sees the writes', async () => {
    const c = await client();
    try {
      await c.query('BEGIN');
      expect(await count(c, 'gold.orders')).toBe(2);
      await project.query('INSERT INTO gold.orders VALUES (3, 5.00)');
      expect(await count(c, 'gold.orders')).toBe(2); // pinned
      expect(await count(c, 'gold.orders o1 JOIN gold.orders o2 USING (id)')).toBe(2);
      await c.query('COMMIT');
      expect(await count(c, 'gold.orders')).toBe(3);
      // Outside a block, each statement reads the latest.
      await project.query('INSERT INTO gold.orders VALUES (4, 5.00)');
      expect(await count(c, 'gold.orders')).toBe(4);
      await project.query('DELETE FROM gold.orders WHERE id > 2');
    } finally {
      await c.end();
    }
  });

  it('does not see a pipeline update half-way: the tables as they were until it ends', async () => {
    const c = await client();
    // The update's lock and read point, as Project's updates take them (holdingLake), then its
    // two commits, one table after the other.
    const lock = await FileLock.acquire(project.catalog.lockFile('update'), { purpose: 'test update' });
    try {
      await writeReadPoint(project.catalog);
      await project.query('INSERT INTO gold.orders VALUES (3, 70.00)');
      const during = await c.query(
        'SELECT (SELECT sum(amount) FROM gold.orders) AS lines, (SELECT revenue FROM gold.order_totals) AS total',
      );
      expect(during.rows[0]).toEqual({ lines: '30.00', total: '30.00' }); // before the update: consistent
      await project.query('UPDATE gold.order_totals SET orders = 3, revenue = 100.00');
      expect(await count(c, 'gold.orders')).toBe(2);
    } finally {
      await clearReadPoint(project.catalog);
      await lock.release();
    }
    try {
      const after = await c.query(
        'SELECT (SELECT sum(amount) FROM gold.orders) AS lines, (SELECT revenue FROM gold.order_totals) AS total',
      );
      expect(after.rows[0]).toEqual({ lines: '100.00', total: '100.00' }); // after it: consistent
    } finally {
      await c.end();
    }
  });

  it('a query during a real pipeline update sees its tables all before it or all after it', async () => {
    const { project: flows, dir } = await pgProject(bed, 'flows', PASSWORD, {
      files: {
        'pipelines/sales/main.sql': `CREATE OR REFRESH MATERIALIZED VIEW gold.lines AS
SELECT * FROM read_files('landing/*.csv', format => 'csv');
CREATE OR REFRESH MATERIALIZED VIEW gold.total AS SELECT CAST(sum(amount) AS DECIMAL(18,2)) AS revenue FROM gold.lines;`,
        'landing/1.csv': 'id,amount\n1,10.50\n2,4.25\n',
      },
    });
    const pipeline = await flows.loadPipeline('sales');
    await flows.runPipeline(pipeline);
    const endpoint = await startPgServer(flows, { port: 0 });
    const c = pgClient(endpoint.port, PASSWORD);
    await c.connect();
    try {
      const both =
        'SELECT (SELECT CAST(sum(amount) AS DECIMAL(18,2)) FROM gold.lines) AS lines, (SELECT revenue FROM gold.total) AS total';
      expect((await c.query(both)).rows[0]).toEqual({ lines: '14.75', total: '14.75' });
      const { writeFileSync } = await import('node:fs');
      writeFileSync(`${dir}/landing/2.csv`, 'id,amount\n3,100.00\n');
      let during: Promise<pg.QueryResult> | undefined;
      // Asked when gold.lines has committed its new rows and gold.total not yet.
      await flows.runPipeline(pipeline, {
        onFlow: (flow) => {
          if (/lines/.test(flow.dataset)) during ??= c.query(both);
        },
      });
      expect(during).toBeDefined();
      const seen = (await during!).rows[0];
      expect(seen.lines).toBe(seen.total); // one state of the lake: 14.75 both (before) or 114.75 both (after)
      expect((await c.query(both)).rows[0]).toEqual({ lines: '114.75', total: '114.75' });
    } finally {
      await c.end();
      await endpoint.close();
    }
  });

  it('reads the lake as of a time with SET strata.as_of, and refuses a value that is not a time', async () => {
    const c = await client();
    try {
      const before = await count(c, 'gold.orders');
      await new Promise((r) => setTimeout(r, 50));
      const at = new Date().toISOString();
      await new Promise((r) => setTimeout(r, 50));
      await project.query('INSERT INTO gold.orders VALUES (9, 1.00)');
      await c.query(`SET strata.as_of = '${at}'`);
      expect(await count(c, 'gold.orders')).toBe(before);
      expect((await c.query('SHOW strata.as_of')).rows[0]).toEqual({ 'strata.as_of': at });
      await c.query('RESET strata.as_of');
      expect(await count(c, 'gold.orders')).toBe(before + 1);
      await expect(c.query("SET strata.as_of = 'yesterday-ish'")).rejects.toThrow(/not a timestamp/);
    } finally {
      await c.end();
    }
  });
});
