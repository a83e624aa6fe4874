// examples/databricks-cdc: a pipeline written as the Databricks examples write it
// (read_files bronze, Spark SQL silver with expectations, an APPLY CHANGES SCD2
// dimension, a fact table joined to the version valid on each order's date, a
// monthly view) runs unchanged; every row is checked against values worked out by
// hand from the landing files, before and after a late change arrives.
import { cpSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunOutcome } from '../../src/project/index.js';
import { executeQuery } from '../../src/sql/index.js';
import { projectAt, useTestBed } from '../helpers/harness.js';

const bed = useTestBed('example-cdc');
const EXAMPLE = path.resolve('examples/databricks-cdc');

describe('examples/databricks-cdc', () => {
  it('gives the rows worked out by hand, and places a late change in the history', async () => {
    const dir = path.join(bed.dir, 'project');
    cpSync(EXAMPLE, dir, {
      recursive: true,
      filter: (src) => !src.includes(`${path.sep}lake`) && !src.includes(`${path.sep}later`),
    });
    const run = async (): Promise<RunOutcome> => {
      const project = await projectAt(bed, dir);
      const pipeline = await project.loadPipeline('main');
      expect(pipeline.problems).toEqual([]);
      const outcome = await project.runPipeline(pipeline, { maxParallel: 2 });
      expect(outcome.status, outcome.error).toBe('COMPLETED');
      return outcome;
    };
    const rows = async (q: string) => (await bed.engine.withSession((s) => executeQuery(s, q, { baseDir: dir }))).rows;
    const flow = (o: RunOutcome, name: string) => o.flows.find((f) => f.flow === name)!;

    const first = await run();
    // Silver: ghost (no id) and ivan (operation MERGE) dropped; -5.00 and 31/02/2024 dropped; 'refunded' warned.
    expect([
      flow(first, 'silver_customers_cdc').rowsRead,
      flow(first, 'silver_customers_cdc').rowsWritten,
      flow(first, 'silver_customers_cdc').dropped,
    ]).toEqual([8, 6, 2]);
    expect([
      flow(first, 'silver_orders').rowsRead,
      flow(first, 'silver_orders').rowsWritten,
      flow(first, 'silver_orders').dropped,
    ]).toEqual([8, 6, 2]);
    expect(flow(first, 'silver_orders').expectations.map((e) => [e.name, e.failed_records])).toEqual([
      ['positive_amount', 1],
      ['valid_date', 1],
      ['known_status', 1],
    ]);
    expect(
      await rows(
        'SELECT customer_id, name, email, city, operation, updated_at::VARCHAR FROM silver_customers_cdc ORDER BY updated_at, customer_id',
      ),
    ).toEqual([
      [1, 'Alice Smith', 'alice@x.com', 'Paris', 'APPEND', '2024-01-01 09:00:00+00'],
      [2, 'Bob Jones', 'bob@x.com', 'Lyon', 'APPEND', '2024-01-01 09:00:00+00'],
      [3, 'Carol', 'carol@x.com', 'Unknown', 'APPEND', '2024-01-01 09:00:00+00'],
      [1, 'Alice Smith', 'alice@new.com', 'Paris', 'UPDATE', '2024-01-20 10:00:00+00'],
      [2, 'Bob Jones', 'bob@x.com', 'Marseille', 'UPDATE', '2024-02-10 08:00:00+00'],
      [3, 'Carol', 'carol@x.com', 'Unknown', 'DELETE', '2024-03-01 00:00:00+00'],
    ]);
    const dim =
      'SELECT customer_id, name, email, city, updated_at::VARCHAR, __START_AT::VARCHAR, __END_AT::VARCHAR FROM dim_customers ORDER BY customer_id, __START_AT';
    // The email is not tracked: Alice's new address updates her one version in place.
    expect(await rows(dim)).toEqual([
      [1, 'Alice Smith', 'alice@new.com', 'Paris', '2024-01-20 10:00:00+00', '2024-01-01 09:00:00+00', null],
      [
        2,
        'Bob Jones',
        'bob@x.com',
        'Lyon',
        '2024-01-01 09:00:00+00',
        '2024-01-01 09:00:00+00',
        '2024-02-10 08:00:00+00',
      ],
      [2, 'Bob Jones', 'bob@x.com', 'Marseille', '2024-02-10 08:00:00+00', '2024-02-10 08:00:00+00', null],
      [
        3,
        'Carol',
        'carol@x.com',
        'Unknown',
        '2024-01-01 09:00:00+00',
        '2024-01-01 09:00:00+00',
        '2024-03-01 00:00:00+00',
      ],
    ]);
    expect(flow(first, 'dim_customers').metrics).toEqual({ num_upserted_rows: 4, num_deleted_rows: 0 });
    const fact =
      'SELECT order_id, order_date::VARCHAR, customer_id, city, amount::VARCHAR, status FROM fact_sales ORDER BY order_id';
    expect(await rows(fact)).toEqual([
      [100, '2024-01-05', 1, 'Paris', '20.00', 'paid'],
      [101, '2024-01-16', 1, 'Paris', '30.50', 'paid'],
      [102, '2024-01-15', 2, 'Lyon', '15.25', 'shipped'],
      [103, '2024-02-15', 2, 'Marseille', '40.00', 'paid'],
      [105, '2024-02-20', 3, 'Unknown', '12.00', 'refunded'],
      [107, '2024-03-01', 4, null, '8.00', 'paid'],
    ]);
    const monthly =
      'SELECT month, city, revenue::VARCHAR, orders, customers FROM sales_by_month_city ORDER BY month, city';
    expect(await rows(monthly)).toEqual([
      ['2024-01', 'Lyon', '15.25', 1, 1],
      ['2024-01', 'Paris', '50.50', 2, 1],
      ['2024-02', 'Marseille', '40.00', 1, 1],
      ['2024-02', 'Unknown', '12.00', 1, 1],
      ['2024-03', 'Unknown', '8.00', 1, 1],
    ]);

    // A late change: Alice lived in Nice from 15 January, before the address change of the 20th.
    mkdirSync(path.join(dir, 'landing', 'customers'), { recursive: true });
    cpSync(
      path.join(EXAMPLE, 'later', 'customers', 'customers_2.csv'),
      path.join(dir, 'landing', 'customers', 'customers_2.csv'),
    );
    const second = await run();
    expect(await rows(dim)).toEqual([
      [
        1,
        'Alice Smith',
        'alice@x.com',
        'Paris',
        '2024-01-01 09:00:00+00',
        '2024-01-01 09:00:00+00',
        '2024-01-15 12:00:00+00',
      ],
      [
        1,
        'Alice Smith',
        'alice@new.com',
        'Nice',
        '2024-01-15 12:00:00+00',
        '2024-01-15 12:00:00+00',
        '2024-01-20 10:00:00+00',
      ],
      [1, 'Alice Smith', 'alice@new.com', 'Paris', '2024-01-20 10:00:00+00', '2024-01-20 10:00:00+00', null],
      [
        2,
        'Bob Jones',
        'bob@x.com',
        'Lyon',
        '2024-01-01 09:00:00+00',
        '2024-01-01 09:00:00+00',
        '2024-02-10 08:00:00+00',
      ],
      [2, 'Bob Jones', 'bob@x.com', 'Marseille', '2024-02-10 08:00:00+00', '2024-02-10 08:00:00+00', null],
      [
        3,
        'Carol',
        'carol@x.com',
        'Unknown',
        '2024-01-01 09:00:00+00',
        '2024-01-01 09:00:00+00',
        '2024-03-01 00:00:00+00',
      ],
    ]);
    // An UPDATE placed in the history: no key deleted (Databricks counts deletes only).
    expect(flow(second, 'dim_customers').metrics).toEqual({ num_upserted_rows: 3, num_deleted_rows: 0 });
    expect((await rows(fact))[1]).toEqual([101, '2024-01-16', 1, 'Nice', '30.50', 'paid']);
    expect(await rows(monthly)).toEqual([
      ['2024-01', 'Lyon', '15.25', 1, 1],
      ['2024-01', 'Nice', '30.50', 1, 1],
      ['2024-01', 'Paris', '20.00', 1, 1],
      ['2024-02', 'Marseille', '40.00', 1, 1],
      ['2024-02', 'Unknown', '12.00', 1, 1],
      ['2024-03', 'Unknown', '8.00', 1, 1],
    ]);
  });
});
