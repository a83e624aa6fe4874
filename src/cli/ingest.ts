// strata ingest <table> --from <folder|glob>: load files into a bronze table
// exactly once (COPY INTO's engine); --plan previews, --watch keeps loading.
import * as path from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import {
  createTable,
  lastIngestSource,
  parseReadOptions,
  tableExists,
  type IngestOutcome,
  type LoadRequest,
} from '../project/index.js';
import { CliUsageError, projectDir, withProject, type GlobalOptions } from './context.js';

interface IngestOptions {
  from?: string;
  format: string;
  option: string[];
  mergeSchema?: boolean;
  force?: boolean;
  plan?: boolean;
  watch?: boolean;
}

export function registerIngest(program: Command, globals: () => GlobalOptions): void {
  program
    .command('ingest')
    .description('load new files into a bronze table exactly once (rows, audit columns, quarantine, ledger)')
    .argument(
      '<table>',
      "the target: schema.table (in the project's lake) or delta.`path`; created if missing ('plan <table>' = --plan)",
    )
    .argument('[table]', 'with plan: the table')
    .option(
      '--from <source>',
      'a folder (every file below it) or a glob, relative to the project (default: the source of the last load)',
    )
    .option('--format <format>', "csv, json or parquet (default: csv, or the last load's)")
    .option(
      '-O, --option <key=value>',
      "a read option (Auto Loader's names), repeatable",
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option(
      '--merge-schema',
      'new columns in the files become table columns (the default, as Auto Loader; -O schemaEvolutionMode=rescue keeps them in _rescued_data)',
    )
    .option(
      '--force',
      'load every file again; a file loaded before replaces the rows it loaded (with the other files of its batch)',
    )
    .option('--plan', 'show what the waiting files would change, and write nothing')
    .option('--watch', 'keep watching the source and load files as they land (Ctrl-C stops)')
    .addHelpText(
      'after',
      `
Examples:
  $ strata ingest bronze.orders --from landing/orders --option schemaHints="price DECIMAL(12,2)"
  $ strata ingest bronze.orders --from 'landing/orders/*.csv' --plan
  $ strata ingest plan bronze.orders              # the last load's source and options
  $ strata ingest bronze.events --from landing/events --format json --watch`,
    )
    .action(async (first: string, second: string | undefined, o: IngestOptions) => {
      const project = projectDir(globals());
      if (second !== undefined) {
        if (first !== 'plan')
          throw new CliUsageError(`unexpected argument '${second}' (did you mean: strata ingest plan ${second}?)`);
        o.plan = true;
      }
      const target = second ?? first;
      await withProject(project, async (p) => {
        const ref = /^delta\.`(.+)`$/.exec(target);
        const { location, display } = p.catalog.resolve(
          ref ? { kind: 'path', path: ref[1] } : { kind: 'name', parts: target.split('.') },
        );
        if (!o.plan) p.assertCanLoad(location, display); // before the target is created
        // Without --from: the source and options of the table's last load.
        const last = o.from ? undefined : await p.withSession((s) => lastIngestSource(s, location, display));
        if (!o.from && !last)
          throw new CliUsageError(`ingest ${display}: give --from <folder or glob> (the table has never been loaded)`);
        // loadRenamedFiles is a one-off choice, like --force: not carried over from the last load.
        const kept = Object.entries(last?.options ?? {}).filter(([k]) => !/^(cloudfiles\.)?loadrenamedfiles$/i.test(k));
        const raw: Record<string, string> = { ...Object.fromEntries(kept), ...(o.format ? { format: o.format } : {}) };
        raw.format ??= 'csv';
        for (const kv of o.option) {
          const eq = kv.indexOf('=');
          if (eq <= 0) throw new CliUsageError(`--option must be key=value, not '${kv}'`);
          raw[kv.slice(0, eq).trim()] = kv.slice(eq + 1).trim();
        }
        // The last load's source is recorded relative to the project (wherever it is now).
        const from = path.resolve(project, o.from ?? last!.source);
        const options = parseReadOptions(raw, `ingest ${display}`);
        const req: LoadRequest = {
          location,
          name: display,
          source: from,
          options,
          rawOptions: raw,
          // Auto Loader's default, schemaEvolutionMode = addNewColumns: new columns join the table.
          mergeSchema: Boolean(o.mergeSchema) || options.schemaEvolutionMode === 'addNewColumns',
          force: Boolean(o.force),
        };
        {
          if (!tableExists(location) && !o.plan) {
            await p.withSession((s) => createTable(s, { location, name: display, ifNotExists: true }));
          }
          if (o.plan) {
            const plan = await p.planIngest(req);
            const lines = [
              `${plan.waiting.length} file(s) waiting (${formatBytes(plan.waiting.reduce((n, f) => n + f.size, 0))}), ${plan.skipped} already loaded, ${plan.changed.length} changed since loaded${plan.renamed.length ? `, ${plan.renamed.length} renamed` : ''}`,
              ...plan.waiting.slice(0, 20).map((f) => `  + ${path.relative(project, f.path)}`),
              ...(plan.waiting.length > 20 ? [`  ... and ${plan.waiting.length - 20} more`] : []),
              ...plan.changed.map((f) => `  ~ ${f} (changed; --force loads it again, replacing its rows)`),
              ...plan.reloads
                .slice(0, 20)
                .map((f) => `  ↻ ${f.path} (loaded before in batch ${f.batch}: its rows are replaced)`),
              ...plan.renamed.map((f) => `  = ${f.path} (${RENAMED(f.earlier)})`),
              plan.newColumns.length
                ? `${plan.tableHasColumns ? 'new columns' : 'columns'}: ${plan.newColumns.join(', ')} (${!plan.tableHasColumns ? 'the table takes them' : req.mergeSchema ? 'would be added to the table' : 'would go to _rescued_data; --merge-schema adds them'})`
                : 'no new columns',
              `a load would write ${plan.rows} row(s) (${plan.rescued} with rescued data), quarantine ${plan.quarantined}, and find ${plan.failed.length} unreadable file(s)`,
              ...plan.failed.map((f) => `  ! ${f.path}: ${f.error}`),
            ];
            process.stdout.write(`${lines.join('\n')}\n`);
            return;
          }
          if (o.watch) {
            process.stderr.write(`watching ${path.relative(project, req.source) || '.'} → ${display} (Ctrl-C stops)\n`);
            const w = p.watchIngest(req, {
              onRun: (outcome) => process.stdout.write(`${new Date().toISOString()} ${summary(outcome)}\n`),
              onError: (err) => process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`),
            });
            await new Promise<void>((resolve) => {
              const stop = () => resolve();
              process.once('SIGINT', stop);
              process.once('SIGTERM', stop);
            });
            await w.close();
            return;
          }
          const bar = process.stderr.isTTY
            ? new cliProgress.SingleBar(
                {
                  format: 'loading |{bar}| {value}/{total} files | {rows} rows | {speed} MB/s | ETA {eta}s',
                  hideCursor: true,
                  clearOnComplete: true,
                },
                cliProgress.Presets.shades_classic,
              )
            : undefined;
          const started = Date.now();
          let barStarted = false;
          const outcome = await p
            .ingest({
              ...req,
              onProgress: (progress) => {
                if (!bar) return;
                if (!barStarted) {
                  bar.start(progress.filesTotal, 0, { rows: 0, speed: '0.0' });
                  barStarted = true;
                }
                const seconds = Math.max((Date.now() - started) / 1000, 0.001);
                bar.update(progress.filesDone, {
                  rows: progress.rows,
                  speed: (progress.bytesDone / 1048576 / seconds).toFixed(1),
                });
              },
            })
            .finally(() => barStarted && bar?.stop());
          process.stdout.write(`${summary(outcome)}\n`);
          if (outcome.filesFailed.length > 0) process.exitCode = 1;
        }
      });
    });
}

/** What a file renamed after loading gets: a notice naming its earlier path. */
const RENAMED = (earlier: string) =>
  `the content of ${earlier}, loaded before: not loaded again; -O loadRenamedFiles=true loads it`;

/** The summary of a load (paths as the ledger records them: relative to the project). */
function summary(o: IngestOutcome): string {
  const lines = [
    `loaded ${o.filesLoaded} file(s): ${o.rows} row(s), ${o.rescued} with rescued data, ${o.quarantined} quarantined; ${o.filesFailed.length} failed, ${o.filesSkipped} already loaded` +
      (o.filesChanged.length ? `, ${o.filesChanged.length} changed since loaded (not loaded again; --force)` : '') +
      (o.filesRenamed.length ? `, ${o.filesRenamed.length} renamed (not loaded again)` : '') +
      (o.filesPutOff.length ? `, ${o.filesPutOff.length} still being written (put off to the next run)` : '') +
      (o.version !== undefined ? ` (table version ${o.version})` : ''),
    ...o.filesFailed.map((f) => `  failed: ${f.path}: ${f.error}`),
    ...o.filesRenamed.map((f) => `  renamed: ${f.path}: ${RENAMED(f.earlier)}`),
    ...o.filesPutOff.map((f) => `  put off: ${f}: still being written (changed within the settling time)`),
  ];
  return lines.join('\n');
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1048576).toFixed(1)} MB`;
}
