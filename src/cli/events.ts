// strata events: the pipeline event log (system.event_log), newest update last.
import type { Command } from 'commander';
import { internal } from '../core/index.js';
import { quoteLiteral, tableExists } from '../project/index.js';
import { CliUsageError, withProject, type GlobalOptions } from './context.js';
import { render, type OutputFormat } from './output.js';

interface EventsFlags {
  pipeline?: string;
  run?: string;
  type?: string;
  level?: string;
  last?: string;
  format: string;
}

export function registerEvents(program: Command, globals: () => GlobalOptions): void {
  program
    .command('events')
    .description('the pipeline event log (the table system.event_log): updates, flows, row counts, data quality')
    .option('--pipeline <name>', 'only this pipeline')
    .option('--run <update_id>', 'only this update (a prefix is enough)')
    .option(
      '--type <event_type>',
      'only this event type (create_update, flow_definition, flow_progress, update_progress, user_action)',
    )
    .option('--level <level>', 'only this level (INFO, WARN, ERROR)')
    .option('--last <n>', 'only the last n updates', '1')
    .option('-f, --format <format>', 'table, csv or json', 'table')
    .addHelpText(
      'after',
      `
The log is a Delta table with the Databricks event log's columns; query it with SQL too:
  $ strata query "SELECT origin.flow_name, details::JSON->'$.flow_progress.metrics.num_output_rows' AS out
                  FROM system.event_log WHERE event_type = 'flow_progress'"

Examples:
  $ strata events                      # the last update
  $ strata events --last 5 --type update_progress
  $ strata events --level ERROR --format json`,
    )
    .action(async (flags: EventsFlags) => {
      const format = flags.format.toLowerCase() as OutputFormat;
      if (!['table', 'csv', 'json'].includes(format))
        throw new CliUsageError(`unknown --format '${flags.format}' (use table, csv or json)`);
      const last = Number(flags.last);
      if (!Number.isInteger(last) || last <= 0)
        throw new CliUsageError(`--last must be a positive whole number, not '${flags.last}'`);
      await withProject(globals(), async (project) => {
        const location = project.catalog.system('event_log');
        if (!tableExists(location)) {
          process.stdout.write('the event log is empty: no pipeline has run in this project yet (strata run)\n');
          return;
        }
        const where = ['true'];
        if (flags.pipeline) where.push(`origin.pipeline_name = ${quoteLiteral(flags.pipeline)}`);
        if (flags.type) where.push(`event_type = ${quoteLiteral(flags.type)}`);
        if (flags.level) where.push(`level = ${quoteLiteral(flags.level.toUpperCase())}`);
        const updates = flags.run
          ? `origin.update_id LIKE ${quoteLiteral(`${flags.run.replace(/[%_]/g, '')}%`)}`
          : `origin.update_id IN (SELECT update_id FROM (SELECT origin.update_id AS update_id, min("timestamp") AS t FROM e WHERE ${where.join(' AND ')} GROUP BY 1 ORDER BY t DESC LIMIT ${last}))`;
        const columns =
          format === 'table'
            ? `strftime("timestamp", '%Y-%m-%d %H:%M:%S') AS time, left(origin.update_id, 8) AS "update", event_type, origin.flow_name AS flow, level, message`
            : '*';
        const sql = `WITH e AS (SELECT * FROM delta_scan(${quoteLiteral(location)})) SELECT ${columns} FROM e WHERE ${where.join(' AND ')} AND ${updates} ORDER BY "timestamp", json_extract("sequence", '$.data_plane_id.seq_no')::BIGINT`;
        const result = await internal(project.query(sql, { dialect: 'duckdb' }), 'reading the event log');
        process.stdout.write(render(result, format, Infinity, false));
      });
    });
}
