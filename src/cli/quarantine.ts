// strata quarantine list | show <table>: the rows a table set aside (bronze: lines that did not
// parse; pipelines: rows that failed an expectation), kept in the Delta table <table>_quarantine.
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { describeSnapshot, loadSnapshot } from '../delta/index.js';
import { quarantineLocation } from '../ingest/index.js';
import { quoteLiteral } from '../engine/index.js';
import { executeQuery } from '../sql/index.js';
import { resolveTableName } from '../sql/table-refs.js';
import { normalizeName } from '../pipeline/graph.js';
import { listPipelines, loadPipeline, type Pipeline } from '../pipeline/project.js';
import { replayQuarantine } from '../pipeline/replay.js';
import { CliUsageError, projectDir, withEngine, type GlobalOptions } from './context.js';
import { render } from './output.js';
import { refuseProblems } from './run.js';

export function registerQuarantine(program: Command, globals: () => GlobalOptions): void {
  const quarantine = program.command('quarantine').description("rows tables set aside: lines that did not parse, rows that failed a rule");
  quarantine
    .command('list')
    .description('the quarantine tables of the project (lake/<schema>/<table>_quarantine), with their row counts')
    .addHelpText('after', '\nExample:\n  $ strata quarantine list')
    .action(async () => {
      const lake = path.join(projectDir(globals()), 'lake');
      const rows: unknown[][] = [];
      await withEngine((engine) =>
        engine.withSession(async (session) => {
          for (const schema of (await fs.readdir(lake, { withFileTypes: true }).catch(() => [])).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
            for (const t of (await fs.readdir(path.join(lake, schema), { withFileTypes: true })).filter((d) => d.isDirectory() && d.name.endsWith('_quarantine')).map((d) => d.name).sort()) {
              const location = path.join(lake, schema, t);
              if (!existsSync(path.join(location, '_delta_log'))) continue;
              const d = describeSnapshot(await loadSnapshot(location, { session, name: `${schema}.${t}` }));
              rows.push([`${schema}.${t.slice(0, -'_quarantine'.length)}`, `${schema}.${t}`, d.numRecords, d.lastModified]);
            }
          }
        }),
      );
      const columns = [
        { name: 'table', type: 'VARCHAR' },
        { name: 'quarantine', type: 'VARCHAR' },
        { name: 'rows', type: 'BIGINT' },
        { name: 'last_modified', type: 'VARCHAR' },
      ];
      process.stdout.write(rows.length ? render({ columns, rows }, 'table', Infinity, false) : `no quarantine tables under ${lake}\n`);
    });
  quarantine
    .command('show')
    .description("a table's quarantined rows, newest batch first")
    .argument('<table>', 'the table (schema.table) whose quarantine to show')
    .option('--limit <n>', 'rows to show', '50')
    .addHelpText('after', '\nExample:\n  $ strata quarantine show bronze.orders --limit 20')
    .action(async (name: string, options: { limit: string }) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit <= 0) throw new CliUsageError(`--limit must be a positive whole number, not '${options.limit}'`);
      const project = projectDir(globals());
      const { location, display } = resolveTableName({ kind: 'name', parts: name.split('.') }, { baseDir: project, lakeRoot: path.join(project, 'lake') });
      const q = quarantineLocation(location);
      if (!existsSync(path.join(q, '_delta_log'))) {
        process.stdout.write(`${display} has no quarantined rows\n`);
        return;
      }
      const result = await withEngine((engine) =>
        engine.withSession((session) =>
          executeQuery(session, `SELECT * FROM delta_scan(${quoteLiteral(q)}) ORDER BY _batch_id DESC, _source_file, _file_line LIMIT ${limit}`, { baseDir: project }),
        ),
      );
      process.stdout.write(render(result, 'table', Infinity));
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
      const project = projectDir(globals());
      const candidates = options.pipeline ? [options.pipeline] : await listPipelines(project);
      let pipeline: Pipeline | undefined;
      for (const p of candidates) {
        const loaded = await loadPipeline(project, p);
        if (loaded.datasets.has(normalizeName(name))) {
          pipeline = loaded;
          break;
        }
      }
      if (!pipeline) throw new CliUsageError(`no pipeline of ${project} defines ${name}${options.pipeline ? ` (looked in ${options.pipeline})` : ''}`);
      refuseProblems(pipeline, 'replayed');
      const out = await withEngine((engine) => engine.withSession((session) => replayQuarantine(session, pipeline!, name, { project, lakeRoot: path.join(project, 'lake') })));
      process.stdout.write(
        `${name}: ${out.replayed} quarantined row(s) replayed: ${out.restored} restored to the table${out.version !== undefined ? ` (version ${out.version})` : ''}, ${out.dropped} dropped, ${out.kept} still failing (kept)` +
          `${out.unparsed ? `; ${out.unparsed} row(s) that did not parse when loaded were left (fix the file and load it again)` : ''}\n`,
      );
    });
}
