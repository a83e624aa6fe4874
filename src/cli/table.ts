// strata table describe|history <path>: what a Delta table is, and how it got there.
import * as path from 'node:path';
import type { Command } from 'commander';
import { describeSnapshot, loadSnapshot, tableHistory, type TableDetail } from '../delta/index.js';
import { StrataError } from '../core/index.js';
import { projectDir, withEngine, type GlobalOptions } from './context.js';
import { render } from './output.js';

export function registerTable(program: Command, globals: () => GlobalOptions): void {
  const table = program.command('table').description('inspect Delta tables');
  table
    .command('describe')
    .description('schema, partitioning, protocol and features, properties, files, size and version of a table')
    .argument('<table>', 'the table folder (holding _delta_log)')
    .option('--version <n>', 'describe this version instead of the latest')
    .option('--json', 'print as JSON')
    .addHelpText('after', '\nExample:\n  $ strata table describe lake/silver/orders')
    .action(async (name: string, options: { version?: string; json?: boolean }) => {
      const version = parseVersion(options.version);
      const location = path.resolve(projectDir(globals()), name);
      const detail = await withEngine((engine) =>
        engine.withSession(async (session) => describeSnapshot(await loadSnapshot(location, { version, session }))),
      );
      process.stdout.write(options.json ? `${JSON.stringify(detail, null, 2)}\n` : formatDetail(detail));
    });
  table
    .command('history')
    .description('the commits of a table: version, time, operation, parameters, metrics')
    .argument('<table>', 'the table folder (holding _delta_log)')
    .option('--limit <n>', 'newest N commits only')
    .option('--json', 'print as JSON, one commit per line')
    .addHelpText('after', '\nExample:\n  $ strata table history lake/silver/orders --limit 10')
    .action(async (name: string, options: { limit?: string; json?: boolean }) => {
      const limit = options.limit === undefined ? undefined : parseVersion(options.limit);
      const entries = await tableHistory(path.resolve(projectDir(globals()), name), limit);
      if (options.json) {
        process.stdout.write(entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
        return;
      }
      process.stdout.write(
        render(
          {
            columns: ['version', 'timestamp', 'operation', 'parameters', 'metrics'].map((n) => ({ name: n, type: n === 'version' ? 'BIGINT' : 'VARCHAR' })),
            rows: entries.map((e) => [e.version, e.timestamp, e.operation, compact(e.operationParameters), compact(e.operationMetrics)]),
          },
          'table',
          Infinity,
          false,
        ),
      );
    });
}

function parseVersion(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new StrataError('USAGE', `expected a whole number, got '${text}'`);
  return Number(text);
}

function compact(obj: Record<string, unknown>): string {
  return Object.entries(obj)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}

function formatDetail(d: TableDetail): string {
  const lines = [
    `table      ${d.location}`,
    `version    ${d.version}${d.lastModified ? ` (committed ${d.lastModified})` : ''}`,
    `id         ${d.id}`,
  ];
  if (d.name) lines.push(`name       ${d.name}`);
  if (d.description) lines.push(`comment    ${d.description}`);
  if (d.createdAt) lines.push(`created    ${d.createdAt}`);
  lines.push(
    `files      ${d.numFiles} (${formatBytes(d.sizeInBytes)})${d.numRecords === null ? '' : `, ${d.numRecords} rows`}`,
    `partitions ${d.partitionColumns.length ? d.partitionColumns.join(', ') : '(none)'}`,
    `protocol   reader ${d.protocol.minReaderVersion}, writer ${d.protocol.minWriterVersion}`,
  );
  if (d.protocol.readerFeatures.length) lines.push(`           reader features: ${d.protocol.readerFeatures.join(', ')}`);
  if (d.protocol.writerFeatures.length) lines.push(`           writer features: ${d.protocol.writerFeatures.join(', ')}`);
  const props = Object.entries(d.properties);
  lines.push(`properties ${props.length ? props.map(([k, v]) => `${k}=${v}`).join('\n           ') : '(none)'}`, '', 'columns');
  const w = Math.max(4, ...d.columns.map((c) => c.name.length));
  for (const c of d.columns) {
    const notes = [c.nullable ? '' : 'NOT NULL', c.partition ? 'partition' : '', c.comment ? `-- ${c.comment}` : ''].filter(Boolean).join('  ');
    lines.push(`  ${c.name.padEnd(w)}  ${c.type}${notes ? `  ${notes}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}
