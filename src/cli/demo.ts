// strata demo: until the retail demo lands, a short tour of what works today.
import type { Command } from 'commander';

const TOUR = `Strata — a lakehouse for sales analytics on one machine.

What works today:
  • Reading Delta Lake tables written by Spark, Databricks and delta-rs
    (checkpoints, time travel, partitions, column mapping, deletion vectors,
    type widening, timestamp_ntz, v2 checkpoints).
  • strata query "<sql>"        DuckDB SQL; delta_scan('<path>'[, version => N]) reads a table
  • strata table describe <t>  schema, partitions, protocol, properties, files, size
  • strata table history <t>   every commit: version, time, operation, metrics

Try it on a table Spark wrote:
  $ npx strata query "SELECT * FROM delta_scan('../shared/conformance/delta/dat/basic_partitioned/delta')"
  $ npx strata table history ../shared/conformance/delta/dat/basic_append/delta

Coming next: writes, ingestion, Lakeflow SQL pipelines, and the retail demo.
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
