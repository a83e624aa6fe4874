// strata quarantine list | show <table>: the rows a table set aside (bronze: lines that did not
// parse; pipelines: rows that failed an expectation), kept in the Delta table <table>_quarantine.
import type { Command } from 'commander';
import { internal } from '../core/index.js';
import {
  describeHolder,
  describeSnapshot,
  loadSnapshot,
  quarantinedTableOf,
  quarantineLocation,
  quoteLiteral,
  tableExists,
} from '../project/index.js';
import { CliUsageError, withProject, type GlobalOptions } from './context.js';
import { render } from './output.js';
import { refuseProblems } from './flows.js';

export function registerQuarantine(program: Command, globals: () => GlobalOptions): void {
  const quarantine = program
    .command('quarantine')
    .description('rows tables set aside: lines that did not parse, rows that failed a rule')
    .addHelpText(
      'after',
      '\nExamples:\n  $ strata quarantine list\n  $ strata quarantine show silver.orders\n  $ strata quarantine replay silver.orders',
    );
  quarantine
    .command('list')
    .description(
      'the quarantine tables of the project (<schema>.<table>_quarantine in its lake), with their row counts',
    )
    .addHelpText('after', '\nExample:\n  $ strata quarantine list')
    .action(async () => {
      const rows: unknown[][] = [];
      const lake = await withProject(globals(), (project) =>
        project.withSession(async (session) => {
          for (const t of await project.catalog.listTables()) {
            const of = quarantinedTableOf(t.name);
            if (of === undefined) continue;
            const d = describeSnapshot(await loadSnapshot(t.location, { session, name: t.name }));
            rows.push([of, t.name, d.numRecords, d.lastModified]);
          }
          return project.catalog.lakeRoot;
        }),
      );
      const columns = [
        { name: 'table', type: 'VARCHAR' },
        { name: 'quarantine', type: 'VARCHAR' },
        { name: 'rows', type: 'BIGINT' },
        { name: 'last_modified', type: 'VARCHAR' },
      ];
      process.stdout.write(
        rows.length ? render({ columns, rows }, 'table', Infinity, false) : `no quarantine tables under ${lake}\n`,
      );
    });
  quarantine
    .command('show')
    .description("a table's quarantined rows, newest batch first")
    .argument('<table>', 'the table (schema.table) whose quarantine to show')
    .option('--limit <n>', 'rows to show', '50')
    .addHelpText('after', '\nExample:\n  $ strata quarantine show bronze.orders --limit 20')
    .action(async (name: string, options: { limit: string }) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit <= 0)
        throw new CliUsageError(`--limit must be a positive whole number, not '${options.limit}'`);
      await withProject(globals(), async (project) => {
        const { location, display } = project.catalog.resolve({ kind: 'name', parts: name.split('.') });
        const q = quarantineLocation(location);
        if (!tableExists(q)) {
          process.stdout.write(`${display} has no quarantined rows\n`);
          return;
        }
        const result = await internal(
          project.query(
            `SELECT * FROM delta_scan(${quoteLiteral(q)}) ORDER BY _batch_id DESC, _source_file, _file_line LIMIT ${limit}`,
            { dialect: 'duckdb' },
          ),
          'reading the quarantine',
        );
        process.stdout.write(render(result, 'table', Infinity));
      });
    });
  quarantine
    .command('replay')
    .description("send a streaming table's quarantined rows through its rules again (after fixing a rule or the rows)")
    .argument('<table>', 'the streaming table (schema.table) whose quarantine to replay')
    .option('--pipeline <name>', 'the pipeline that defines the table (default: the one that does)')
    .addHelpText(
      'after',
      `
Rows that now pass are appended to the table and leave the quarantine; rows a DROP ROW rule
rejects are dropped; the others stay. Rows that did not parse when loaded are not replayed
(fix the file and load it again).

Example:
  $ strata quarantine replay silver.orders`,
    )
    .action(async (name: string, options: { pipeline?: string }) => {
      const out = await withProject(globals(), async (project) => {
        const pipeline = await project.pipelineDefining(name, options.pipeline ? [options.pipeline] : undefined);
        refuseProblems(pipeline, 'replayed');
        return project.replayQuarantine(pipeline, name, {
          onWait: (holder) =>
            process.stderr.write(`waiting for ${holder.purpose} to finish (${describeHolder(holder)})…\n`),
        });
      });
      process.stdout.write(
        `${name}: ${out.replayed} quarantined row(s) replayed: ${out.restored} restored to the table${out.version !== undefined ? ` (version ${out.version})` : ''}, ${out.dropped} dropped, ${out.kept} still failing (kept)` +
          `${out.unparsed ? `; ${out.unparsed} row(s) that did not parse when loaded were left (fix the file and load it again)` : ''}\n`,
      );
    });
}
