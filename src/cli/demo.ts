// strata demo: until the retail demo lands, a short tour of what works today.
import type { Command } from 'commander';

const TOUR = `Strata — a lakehouse for sales analytics on one machine.

What works today:
  • Reading Delta Lake tables written by Spark, Databricks and delta-rs
    (checkpoints, time travel, partitions, column mapping, deletion vectors,
    type widening, timestamp_ntz, v2 checkpoints).
  • Writing Delta tables they read: CREATE TABLE [AS SELECT], INSERT INTO /
    OVERWRITE, ALTER TABLE, constraints, schema evolution, checkpoints.
  • Changing them: DELETE, UPDATE, MERGE INTO (copy-on-write, or deletion
    vectors), the change data feed (table_changes), RESTORE, OPTIMIZE [ZORDER BY],
    VACUUM.
  • Loading files exactly once: COPY INTO, read_files(...), strata ingest
    [--plan | --watch]; audit columns, _rescued_data, a quarantine, a ledger.
  • strata query "<sql>"        DuckDB SQL plus Spark's Delta statements; tables by
                                name (lake/<schema>/<table>) or delta_scan('<path>')
  • strata table describe <t>  schema, partitions, protocol, properties, files, size
  • strata table history <t>   every commit: version, time, operation, metrics
  • strata ingest <t> --from <folder>   load new files into a bronze table

Try it:
  $ npx strata query "CREATE TABLE sales.orders AS SELECT range AS id, range % 7 AS store FROM range(1000)"
  $ npx strata query "SELECT store, count(*) FROM sales.orders GROUP BY ALL ORDER BY 1"
  $ npx strata query "DESCRIBE HISTORY sales.orders"
  $ npx strata table describe lake/sales/orders

Coming next: Lakeflow SQL pipelines, and the retail demo.
`;

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the retail demo (for now: a tour of what works)')
    .addHelpText('after', '\nExample:\n  $ strata demo')
    .action(() => {
      process.stdout.write(TOUR);
    });
}
