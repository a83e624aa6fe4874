// strata run [pipeline]: one update of a pipeline — or, with --dry-run, its checks and plan.
import type { Command } from 'commander';
import {
  describeHolder,
  formatProblems,
  kindName,
  type BindReport,
  type Pipeline,
  type Project,
  type RunOutcome,
} from '../project/index.js';
import { StrataError } from '../core/index.js';
import { CliUsageError, EXIT_FAILURE, withProject, type GlobalOptions } from './context.js';
import { FlowDisplay, refuseProblems } from './flows.js';
import { renderTable } from './output.js';

interface RunFlags {
  dryRun?: boolean;
  select?: string;
  fullRefresh?: string;
  fullRefreshAll?: boolean;
  force?: boolean;
  maxParallel: string;
  wait: boolean;
}

export function registerRun(program: Command, globals: () => GlobalOptions): void {
  program
    .command('run')
    .description('one update of a pipeline: every table brought up to date, only new data processed')
    .argument('[pipeline]', 'the folder under pipelines/ (default: the only one)')
    .option('--select <tables>', 'update only these datasets (comma-separated) and what they read')
    .option('--full-refresh <tables>', 'rebuild these datasets from scratch (comma-separated)')
    .option('--full-refresh-all', 'rebuild every dataset from scratch')
    .option('--force', 'allow a full refresh of tables that load files (the landing files may be gone)')
    .option('--max-parallel <n>', 'flows that may run at the same time when independent', '2')
    .option('--dry-run', 'check the definitions and print the plan; write nothing')
    .option('--no-wait', 'fail at once when another update of the project is running, instead of waiting for it')
    .addHelpText(
      'after',
      "\nExamples:\n  $ strata run                       # the project's only pipeline\n  $ strata run retail --dry-run\n  $ strata run retail --select gold.monthly_sales\n  $ strata run retail --full-refresh silver.orders",
    )
    .action(async (name: string | undefined, flags: RunFlags) => {
      await withProject(globals(), async (project) => {
        const pipeline = await openPipeline(project, name);
        if (flags.dryRun) {
          process.stdout.write(formatPlan(pipeline));
          const report = await project.checkPipeline(pipeline);
          process.stdout.write(formatUnchecked(report));
          if (report.problems.length > 0) {
            process.stderr.write(`${formatProblems(report.problems)}\n`);
            throw new StrataError(
              'USAGE',
              `pipeline ${pipeline.name}: ${report.problems.length} problem(s) found by binding its queries (listed above); nothing was run`,
            );
          }
          return;
        }
        const list = (s?: string) =>
          s
            ?.split(',')
            .map((x) => x.trim())
            .filter(Boolean);
        if (flags.fullRefresh && flags.fullRefreshAll)
          throw new CliUsageError('use either --full-refresh <tables> or --full-refresh-all');
        const max = Number(flags.maxParallel);
        if (!Number.isInteger(max) || max < 1)
          throw new CliUsageError(`--max-parallel must be a whole number of at least 1, not '${flags.maxParallel}'`);
        const display = new FlowDisplay(process.stderr);
        // Ctrl-C stops the update and restores what it wrote; a second one quits at once (each
        // commit is all-or-nothing either way).
        const cancel = new AbortController();
        const onSignal = () => {
          if (cancel.signal.aborted) process.exit(130);
          process.stderr.write(
            '\nstopping: the tables this update wrote go back to their versions before it (Ctrl-C again to quit now)\n',
          );
          cancel.abort(new Error('interrupted (Ctrl-C)'));
        };
        process.on('SIGINT', onSignal);
        const outcome = await project
          .runPipeline(pipeline, {
            select: list(flags.select),
            fullRefresh: flags.fullRefreshAll ? 'all' : list(flags.fullRefresh),
            force: flags.force,
            maxParallel: max,
            wait: flags.wait,
            onWait: (holder) =>
              process.stderr.write(`waiting for ${holder.purpose} to finish (${describeHolder(holder)})…\n`),
            onFlow: (f) => display.update(f),
            signal: cancel.signal,
          })
          .finally(() => {
            display.stop();
            process.off('SIGINT', onSignal);
          });
        process.stdout.write(formatOutcome(pipeline.name, outcome));
        if (outcome.status === 'CANCELED') {
          process.stderr.write(`stopped: ${outcome.error}\n`);
          process.exitCode = 130;
        }
        if (outcome.status === 'FAILED') {
          const failed = outcome.flows.filter((x) => x.status === 'FAILED');
          for (const f of failed) process.stderr.write(`error: ${f.flow}: ${f.message}\n`);
          // An update refused before its flows (its queries did not bind): the problems.
          if (failed.length === 0 && outcome.error) process.stderr.write(`error: ${outcome.error}\n`);
          process.exitCode = EXIT_FAILURE;
        }
      });
    });
}

/** Loads a pipeline; every problem of its definitions is printed, then the command fails. */
async function openPipeline(project: Project, name: string | undefined): Promise<Pipeline> {
  if (!name) {
    const pipelines = await project.listPipelines();
    if (pipelines.length !== 1) {
      throw new CliUsageError(
        pipelines.length === 0
          ? `no pipelines in ${project.dir}/pipelines (strata init makes one)`
          : `name the pipeline to run: ${pipelines.join(', ')}`,
      );
    }
    name = pipelines[0];
  }
  const pipeline = await project.loadPipeline(name);
  refuseProblems(pipeline, 'run');
  return pipeline;
}

/** The queries the dry run could not bind, and why; or that all were. */
function formatUnchecked(report: BindReport): string {
  if (report.unchecked.length === 0)
    return report.problems.length === 0 ? 'every query bound against its sources: no problem found\n' : '';
  const lines = report.unchecked.map((u) => `  ${u.flow ? `flow ${u.flow} → ` : ''}${u.target}: ${u.reason}`);
  return `not checked (${report.unchecked.length}):\n${lines.join('\n')}\n`;
}

function formatPlan(p: Pipeline): string {
  const lines = [
    `pipeline ${p.name}: ${p.datasets.size} dataset(s), ${p.nodes.filter((n) => n.kind === 'flow').length} flow(s) in ${p.files.length} file(s); update order:`,
  ];
  p.order.forEach((n, i) => {
    const what =
      n.kind === 'flow' ? `flow ${n.flow!.name} → ${n.target}` : `${n.target} (${kindName(n.dataset!.kind)})`;
    const reads = [
      ...n.reads.map((r) => `${r.streaming ? 'STREAM ' : ''}${r.name}`),
      ...n.files.map((f) => `${f.streaming ? 'STREAM ' : ''}${f.call}`),
    ];
    const rules = n.dataset?.expectations.length ? `; ${n.dataset.expectations.length} expectation(s)` : '';
    lines.push(`  ${String(i + 1).padStart(2)}. ${what}${reads.length ? ` ← ${reads.join(', ')}` : ''}${rules}`);
  });
  return `${lines.join('\n')}\n`;
}

const num = (n: number) => n.toLocaleString('en-US');

/** The end-of-run table: every flow with rows read, written, dropped, quarantined, duration and version. */
export function formatOutcome(name: string, outcome: RunOutcome): string {
  const rows = outcome.flows.map((f) => [
    f.dataset,
    f.flow === f.dataset ? '' : f.flow,
    f.status.toLowerCase(),
    num(f.rowsRead),
    num(f.rowsWritten),
    num(f.dropped),
    num(f.quarantined),
    f.status === 'EXCLUDED' ? '' : `${(f.durationMs / 1000).toFixed(1)} s`,
    f.version === undefined ? '' : String(f.version),
  ]);
  const table = renderTable(
    {
      columns: ['dataset', 'flow', 'status', 'read', 'written', 'dropped', 'quarantined', 'time', 'version'].map(
        (n) => ({ name: n, type: n === 'dataset' || n === 'flow' || n === 'status' ? 'VARCHAR' : 'BIGINT' }),
      ),
      rows,
    },
    Infinity,
    false,
  ).replace(/\n\d+ rows?\n$/, '\n');
  const failedRules = outcome.flows.flatMap((f) =>
    f.expectations
      .filter((e) => e.failed_records > 0)
      .map(
        (e) =>
          `  ${e.dataset}: ${e.name} failed for ${num(e.failed_records)} of ${num(e.passed_records + e.failed_records)} row(s)`,
      ),
  );
  const notes = outcome.flows
    .filter(
      (f) =>
        f.message &&
        f.status !== 'FAILED' &&
        f.status !== 'SKIPPED' &&
        f.message !== 'no new data' &&
        f.message !== 'sources unchanged',
    )
    .map((f) => `  ${f.flow}: ${f.message}`);
  return [
    `update ${outcome.updateId} of pipeline ${name}: ${outcome.status} in ${(outcome.durationMs / 1000).toFixed(1)} s`,
    table.trimEnd(),
    ...(failedRules.length ? ['expectations with failures:', ...failedRules] : []),
    ...(notes.length ? ['notes:', ...notes] : []),
    '',
  ].join('\n');
}
