// strata run [pipeline]: one update of a pipeline — or, with --dry-run, its checks and plan.
import * as path from 'node:path';
import type { Command } from 'commander';
import { StrataError } from '../core/index.js';
import { kindName } from '../pipeline/parse.js';
import { formatProblems, listPipelines, loadPipeline, type Pipeline } from '../pipeline/project.js';
import { runPipeline, type FlowResult, type RunOutcome } from '../pipeline/run.js';
import { CliUsageError, EXIT_FAILURE, projectDir, withEngine, type GlobalOptions } from './context.js';
import { renderTable } from './output.js';

interface RunFlags {
  dryRun?: boolean;
  select?: string;
  fullRefresh?: string;
  fullRefreshAll?: boolean;
  force?: boolean;
  maxParallel: string;
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
    .addHelpText(
      'after',
      '\nExamples:\n  $ strata run                       # the project\'s only pipeline\n  $ strata run retail --dry-run\n  $ strata run retail --select gold.monthly_sales\n  $ strata run retail --full-refresh silver.orders',
    )
    .action(async (name: string | undefined, flags: RunFlags) => {
      const project = projectDir(globals());
      const pipeline = await openPipeline(project, name);
      if (flags.dryRun) {
        process.stdout.write(formatPlan(pipeline));
        return;
      }
      const list = (s?: string) => s?.split(',').map((x) => x.trim()).filter(Boolean);
      if (flags.fullRefresh && flags.fullRefreshAll) throw new CliUsageError('use either --full-refresh <tables> or --full-refresh-all');
      const max = Number(flags.maxParallel);
      if (!Number.isInteger(max) || max < 1) throw new CliUsageError(`--max-parallel must be a whole number of at least 1, not '${flags.maxParallel}'`);
      const display = new FlowDisplay(process.stderr);
      const outcome = await withEngine((engine) =>
        engine.withSession((session) =>
          runPipeline(session, pipeline, {
            project,
            lakeRoot: path.join(project, 'lake'),
            select: list(flags.select),
            fullRefresh: flags.fullRefreshAll ? 'all' : list(flags.fullRefresh),
            force: flags.force,
            parallel: { engine, max },
            onFlow: (f) => display.update(f),
          }),
        ),
      ).finally(() => display.stop());
      process.stdout.write(formatOutcome(pipeline.name, outcome));
      if (outcome.status === 'FAILED') {
        for (const f of outcome.flows.filter((x) => x.status === 'FAILED')) process.stderr.write(`error: ${f.flow}: ${f.message}\n`);
        process.exitCode = EXIT_FAILURE;
      }
    });
}

/** Loads a pipeline; every problem of its definitions is printed, then the command fails. */
export async function openPipeline(project: string, name: string | undefined): Promise<Pipeline> {
  const pipelines = await listPipelines(project);
  if (!name) {
    if (pipelines.length !== 1) {
      throw new CliUsageError(pipelines.length === 0 ? `no pipelines in ${project}/pipelines (strata init makes one)` : `name the pipeline to run: ${pipelines.join(', ')}`);
    }
    name = pipelines[0];
  }
  const pipeline = await loadPipeline(project, name);
  refuseProblems(pipeline, 'run');
  return pipeline;
}

/** Prints every problem of a pipeline's definitions, then fails: nothing was `done`. */
export function refuseProblems(pipeline: Pipeline, done: string): void {
  if (pipeline.problems.length === 0) return;
  process.stderr.write(`${formatProblems(pipeline.problems)}\n`);
  throw new StrataError('USAGE', `pipeline ${pipeline.name}: ${pipeline.problems.length} problem(s) in its definitions (listed above); nothing was ${done}`);
}

function formatPlan(p: Pipeline): string {
  const lines = [`pipeline ${p.name}: ${p.datasets.size} dataset(s), ${p.nodes.filter((n) => n.kind === 'flow').length} flow(s) in ${p.files.length} file(s); update order:`];
  p.order.forEach((n, i) => {
    const what = n.kind === 'flow' ? `flow ${n.flow!.name} → ${n.target}` : `${n.target} (${kindName(n.dataset!.kind)})`;
    const reads = [...n.reads.map((r) => `${r.streaming ? 'STREAM ' : ''}${r.name}`), ...n.files.map((f) => `${f.streaming ? 'STREAM ' : ''}${f.call}`)];
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
      columns: ['dataset', 'flow', 'status', 'read', 'written', 'dropped', 'quarantined', 'time', 'version'].map((n) => ({ name: n, type: n === 'dataset' || n === 'flow' || n === 'status' ? 'VARCHAR' : 'BIGINT' })),
      rows,
    },
    Infinity,
    false,
  ).replace(/\n\d+ rows?\n$/, '\n');
  const failedRules = outcome.flows.flatMap((f) => f.expectations.filter((e) => e.failed_records > 0).map((e) => `  ${e.dataset}: ${e.name} failed for ${num(e.failed_records)} of ${num(e.passed_records + e.failed_records)} row(s)`));
  const notes = outcome.flows.filter((f) => f.message && f.status !== 'FAILED' && f.status !== 'SKIPPED' && f.message !== 'no new data' && f.message !== 'sources unchanged').map((f) => `  ${f.flow}: ${f.message}`);
  return [
    `update ${outcome.updateId} of pipeline ${name}: ${outcome.status} in ${(outcome.durationMs / 1000).toFixed(1)} s`,
    table.trimEnd(),
    ...(failedRules.length ? ['expectations with failures:', ...failedRules] : []),
    ...(notes.length ? ['notes:', ...notes] : []),
    '',
  ].join('\n');
}

/** A live view of the flows on a terminal (nothing when output is not a terminal). */
export class FlowDisplay {
  private flows = new Map<string, FlowResult>();
  private started = new Map<string, number>();
  private drawn = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly out: NodeJS.WriteStream) {}

  update(f: FlowResult): void {
    if (!this.out.isTTY) return;
    this.flows.set(f.flow, { ...f, expectations: [...f.expectations] });
    if (f.status === 'RUNNING') this.started.set(f.flow, Date.now());
    this.timer ??= setInterval(() => this.draw(), 250);
    this.draw();
  }

  private draw(): void {
    const mark: Record<string, string> = { QUEUED: '·', RUNNING: '▸', COMPLETED: '✓', SKIPPED: '–', FAILED: '✗', EXCLUDED: ' ' };
    const lines = [...this.flows.values()].map((f) => {
      const t = f.status === 'RUNNING' ? `${((Date.now() - (this.started.get(f.flow) ?? Date.now())) / 1000).toFixed(1)} s` : f.status === 'COMPLETED' ? `${num(f.rowsWritten)} rows` : f.message ?? '';
      return `${mark[f.status]} ${f.flow.padEnd(32)} ${f.status.toLowerCase().padEnd(10)} ${t}`.slice(0, (this.out.columns ?? 100) - 1);
    });
    this.out.write(`${this.drawn ? `\x1b[${this.drawn}A` : ''}${lines.map((l) => `\x1b[2K${l}`).join('\n')}\n`);
    this.drawn = lines.length;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.out.isTTY && this.flows.size) this.draw();
  }
}
