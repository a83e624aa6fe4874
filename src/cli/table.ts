// strata table describe|history <path>: what a Delta table is, and how it got there.
import type { Command } from 'commander';
import {
  describeSnapshot,
  INGEST_APP_ID,
  loadSnapshot,
  readLedger,
  tableHistory,
  type Catalog,
  type Session,
  type TableDetail,
} from '../project/index.js';
import { CliUsageError, withProject, type GlobalOptions } from './context.js';
import { render } from './output.js';

export function registerTable(program: Command, globals: () => GlobalOptions): void {
  const table = program
    .command('table')
    .description('inspect Delta tables')
    .addHelpText(
      'after',
      '\nExamples:\n  $ strata table list\n  $ strata table describe gold.fact_sales\n  $ strata table history silver.orders --limit 5',
    );
  table
    .command('list')
    .description(
      "the tables of the project (in its lake folder, Strata's own as system.*) with version, files and size",
    )
    .option('--json', 'print as JSON, one table per line')
    .addHelpText('after', '\nExample:\n  $ strata table list --project my-lakehouse')
    .action(async (options: { json?: boolean }) => {
      const rows: unknown[][] = [];
      const lake = await withProject(globals(), (project) =>
        project.withSession(async (session) => {
          for (const t of await project.catalog.listTables()) {
            const name = t.schema === 'default' ? t.table : t.name;
            try {
              const d = describeSnapshot(await loadSnapshot(t.location, { session, name }));
              rows.push([name, d.version, d.numFiles, d.sizeInBytes, d.numRecords, d.lastModified]);
            } catch (err) {
              rows.push([
                name,
                null,
                null,
                null,
                null,
                `unreadable: ${err instanceof Error ? err.message : String(err)}`,
              ]);
            }
          }
          return project.catalog.lakeRoot;
        }),
      );
      const columns = ['table', 'version', 'files', 'bytes', 'rows', 'last_modified'].map((n) => ({
        name: n,
        type: n === 'table' || n === 'last_modified' ? 'VARCHAR' : 'BIGINT',
      }));
      if (options.json)
        process.stdout.write(
          rows.map((r) => JSON.stringify(Object.fromEntries(columns.map((c, i) => [c.name, r[i]])))).join('\n') +
            (rows.length ? '\n' : ''),
        );
      else
        process.stdout.write(
          rows.length ? render({ columns, rows }, 'table', Infinity, false) : `no tables under ${lake}\n`,
        );
    });
  table
    .command('describe')
    .description('schema, partitioning, protocol and features, properties, files, size and version of a table')
    .argument('<table>', "a table name (schema.table, in the project's lake) or a table folder")
    .option('--version <n>', 'describe this version instead of the latest')
    .option('--json', 'print as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ strata table describe silver.orders\n  $ strata table describe path/to/table --json',
    )
    .action(async (name: string, options: { version?: string; json?: boolean }) => {
      const version = parseVersion(options.version);
      const { detail, ingest } = await withProject(globals(), (project) =>
        project.withSession(async (session) => {
          const t = tableArg(project.resolveTable(name));
          const snapshot = await loadSnapshot(t.location, { version, session, name: t.name });
          // A bronze table loaded by COPY INTO / ingest: what its ledger says.
          const batches = snapshot.txns.get(INGEST_APP_ID)?.version;
          let ingest: IngestSummary | undefined;
          if (batches !== undefined && version === undefined) {
            const files = await readLedgerSummary(session, t.location, t.name, project.catalog);
            ingest = { batches, ...files };
          }
          return { detail: describeSnapshot(snapshot), ingest };
        }),
      );
      process.stdout.write(
        options.json
          ? `${JSON.stringify(ingest ? { ...detail, ingest } : detail, null, 2)}\n`
          : formatDetail(detail) + (ingest ? formatIngest(ingest) : ''),
      );
    });
  table
    .command('history')
    .description('the commits of a table: version, time, operation, parameters, metrics')
    .argument('<table>', "a table name (schema.table, in the project's lake) or a table folder")
    .option('--limit <n>', 'newest N commits only')
    .option('--json', 'print as JSON, one commit per line')
    .addHelpText('after', '\nExample:\n  $ strata table history silver.orders --limit 10')
    .action(async (name: string, options: { limit?: string; json?: boolean }) => {
      const limit = options.limit === undefined ? undefined : parseVersion(options.limit);
      const entries = await withProject(globals(), async (project) => {
        const t = tableArg(project.resolveTable(name));
        return tableHistory(t.location, limit, t.name);
      });
      if (options.json) {
        process.stdout.write(entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
        return;
      }
      process.stdout.write(
        render(
          {
            columns: ['version', 'timestamp', 'operation', 'parameters', 'metrics'].map((n) => ({
              name: n,
              type: n === 'version' ? 'BIGINT' : 'VARCHAR',
            })),
            rows: entries.map((e) => [
              e.version,
              e.timestamp,
              e.operation,
              compact(e.operationParameters),
              compact(e.operationMetrics),
            ]),
          },
          'table',
          Infinity,
          false,
        ),
      );
    });
}

function tableArg(t: { location: string; display: string }): { location: string; name: string } {
  return { location: t.location, name: t.display };
}

function parseVersion(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new CliUsageError(`expected a whole number, got '${text}'`);
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
  if (d.protocol.readerFeatures.length)
    lines.push(`           reader features: ${d.protocol.readerFeatures.join(', ')}`);
  if (d.protocol.writerFeatures.length)
    lines.push(`           writer features: ${d.protocol.writerFeatures.join(', ')}`);
  const props = Object.entries(d.properties);
  lines.push(
    `properties ${props.length ? props.map(([k, v]) => `${k}=${v}`).join('\n           ') : '(none)'}`,
    '',
    'columns',
  );
  const w = Math.max(4, ...d.columns.map((c) => c.name.length));
  for (const c of d.columns) {
    const notes = [c.nullable ? '' : 'NOT NULL', c.partition ? 'partition' : '', c.comment ? `-- ${c.comment}` : '']
      .filter(Boolean)
      .join('  ');
    lines.push(`  ${c.name.padEnd(w)}  ${c.type}${notes ? `  ${notes}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

interface IngestSummary {
  batches: number;
  loaded: number;
  failed: number;
  rows: number;
  quarantined: number;
  lastLoadedAt?: string;
  failures: { path: string; error: string }[];
}

async function readLedgerSummary(
  session: Session,
  location: string,
  name: string,
  catalog: Catalog,
): Promise<Omit<IngestSummary, 'batches'>> {
  const ledger = await readLedger(session, { location, name, catalog }, 'all', { repair: false });
  const files = [...ledger.values()];
  const loaded = files.filter((f) => f.status === 'loaded');
  const failed = files.filter((f) => f.status === 'failed');
  return {
    loaded: loaded.length,
    failed: failed.length,
    rows: loaded.reduce((n, f) => n + f.rows, 0),
    quarantined: loaded.reduce((n, f) => n + f.quarantined, 0),
    failures: failed.slice(0, 10).map((f) => ({ path: f.path, error: f.error ?? '' })),
  };
}

function formatIngest(i: IngestSummary): string {
  const lines = [
    '',
    'ingestion (system.ingest_files)',
    `  ${i.batches} batch(es); ${i.loaded} file(s) loaded (${i.rows} rows, ${i.quarantined} quarantined), ${i.failed} failed`,
    ...i.failures.map((f) => `  failed: ${f.path}: ${f.error}`),
  ];
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
