// strata demo: the retail lakehouse on generated data. Makes a project from the
// reference pipeline (examples/retail), lands 90 days of both companies' files,
// runs the pipeline with a live display, prints the KPIs and the data-quality
// summary, then serves the dashboard (http://127.0.0.1:4000) and plays a live
// store: a new day of orders lands every few seconds and the scheduler's
// live_store job processes it as it lands, until Ctrl-C (`--once` stops after
// the first run).
import { existsSync, readdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { StrataError } from '../core/index.js';
import {
  addLiveStoreJob,
  addSchemaLine,
  copyRetailTemplate,
  LIVE_STORE_JOB,
  landRetailDay,
  landRetailHistory,
  readRetailSettings,
  RETAIL_DEFAULTS,
  type Pipeline,
  type Project,
  type RunOutcome,
  type ViolationAction,
} from '../project/index.js';
import { runJob, Scheduler, systemClock } from '../orchestrate/index.js';
import { startServer } from '../serve/index.js';
import { CliUsageError, EXIT_FAILURE, projectDir, withProject, type GlobalOptions } from './context.js';
import { FlowDisplay } from './flows.js';

interface DemoFlags {
  dir: string;
  port: string;
  once?: boolean;
  reset?: boolean;
  seed: string;
  days: string;
  rowsPerDay: string;
  interval: string;
}

const PIPELINE = 'retail';
const num = (n: number | bigint | string, digits = 0) =>
  Number(n).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export function registerDemo(program: Command, globals: () => GlobalOptions): void {
  program
    .command('demo')
    .description("the retail demo: two companies' sales files, the pipeline, its KPIs, then a live store")
    .option('--dir <dir>', 'the demo project folder', 'strata-demo')
    .option('--once', 'stop after the first full run (no live store)')
    .option('--reset', 'delete the demo project first and start again')
    .option('--seed <n>', "the generator's seed (the same seed gives the same files)", String(RETAIL_DEFAULTS.seed))
    .option('--days <n>', 'days of history to generate', String(RETAIL_DEFAULTS.days))
    .option('--rows-per-day <n>', 'order lines per day, both companies together', String(RETAIL_DEFAULTS.rowsPerDay))
    .option('--interval <seconds>', 'seconds between two days of the live store', '5')
    .option('--port <port>', 'the port of the dashboard (127.0.0.1)', '4000')
    .addHelpText(
      'after',
      '\nExamples:\n  $ strata demo                     # ./strata-demo, 90 days, then a new day every 5 s until Ctrl-C\n  $ strata demo --once --dir /tmp/retail --days 30 --rows-per-day 500\n  $ strata query "SELECT * FROM gold.kpi_overview" --project strata-demo',
    )
    .action(async (flags: DemoFlags) => {
      const whole = (name: string, v: string, min: number) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < min)
          throw new CliUsageError(`--${name} must be a whole number of at least ${min}, not '${v}'`);
        return n;
      };
      const seed = whole('seed', flags.seed, 0);
      const days = whole('days', flags.days, 1);
      const rowsPerDay = whole('rows-per-day', flags.rowsPerDay, 1);
      const interval = Number(flags.interval);
      const port = Number(flags.port);
      if (!(Number.isInteger(port) && port >= 0 && port <= 65535))
        throw new CliUsageError(`--port must be a port number (0 to 65535), not '${flags.port}'`);
      if (!(interval >= 0)) throw new CliUsageError(`--interval must be a number of seconds, not '${flags.interval}'`);
      const dir = path.resolve(projectDir(globals()), flags.dir);
      const out = process.stdout;

      const continued = prepare(dir, { seed, days, rowsPerDay, reset: Boolean(flags.reset) }, out);
      addLiveStoreJob(dir); // (a project of an earlier demo gets it too)
      await withProject(dir, async (project) => {
        const pipeline = await project.loadPipeline(PIPELINE);
        if (pipeline.problems.length)
          throw new StrataError(
            'PIPELINE',
            `the demo pipeline in ${dir} has problems: ${pipeline.problems.map((p) => p.message).join('; ')}`,
          );
        out.write(`\nRunning pipeline ${PIPELINE} (bronze → silver → gold)…\n`);
        const first = await update(project, pipeline);
        out.write(`${summary(first)}\n`);
        if (first.status === 'FAILED') return;
        // (A continued project's first update usually finds nothing new: no quality summary then.)
        const dq = quality(pipeline, [first]);
        out.write(`\n${await kpis(project)}\n${continued && !dq.caught ? '' : `\n${dq.text}\n`}`);
        if (flags.once) {
          out.write(
            `\nThe project is in ${dir}. Try:\n  strata query "SELECT * FROM gold.kpi_monthly_revenue" --project ${flags.dir}\n  strata events --project ${flags.dir}\n  strata run --project ${flags.dir}\n`,
          );
          return;
        }
        const server = await startServer(project, { port, host: '127.0.0.1' });
        out.write(`\nDashboard: ${server.url}  (pipelines, runs, data quality and tables beside it)\n`);
        try {
          await liveStore(project, interval, out);
        } finally {
          await server.close();
        }
      });
    });
}

/** A new demo project, or the one a previous demo left (continued). */
function prepare(
  dir: string,
  o: { seed: number; days: number; rowsPerDay: number; reset: boolean },
  out: NodeJS.WritableStream,
): boolean {
  const isProject = existsSync(path.join(dir, 'strata.yaml'));
  const settings = isProject ? readRetailSettings(dir) : undefined;
  if (isProject && !settings)
    throw new StrataError(
      'ALREADY_EXISTS',
      `${dir} is a Strata project that strata demo did not make; choose another folder with --dir`,
    );
  if (!isProject && existsSync(dir) && readdirSync(dir).length > 0)
    throw new StrataError('ALREADY_EXISTS', `${dir} is not empty; choose another folder with --dir`);
  if (settings && o.reset) {
    rmSync(dir, { recursive: true, force: true });
  } else if (settings) {
    out.write(`Continuing the demo project in ${dir} (${settings.nextDay} days landed; --reset starts over).\n`);
    return true;
  }
  out.write(`Creating the demo project in ${dir}…\n`);
  copyRetailTemplate(dir);
  addSchemaLine(dir);
  const t0 = Date.now();
  const truth = landRetailHistory(dir, o);
  out.write(
    `Landed ${o.days} days of files (${truth.first} to ${truth.last}, seed ${o.seed}): ${num(truth.orderLines + truth.defects.duplicateOrderLines)} order lines from two companies, ` +
      `with the startup's defects planted, in ${((Date.now() - t0) / 1000).toFixed(1)} s.\n`,
  );
  return false;
}

async function update(project: Project, pipeline: Pipeline): Promise<RunOutcome> {
  const display = new FlowDisplay(process.stderr);
  return project
    .runPipeline(pipeline, { maxParallel: 2, onFlow: (f) => display.update(f) })
    .finally(() => display.stop());
}

function summary(o: RunOutcome): string {
  if (o.status === 'FAILED') {
    process.exitCode = EXIT_FAILURE;
    return `The update failed: ${o.error ?? 'see strata events'}`;
  }
  const lines = o.flows.find((f) => f.dataset === 'gold.fact_sales');
  return `Update ${o.updateId} completed in ${(o.durationMs / 1000).toFixed(1)} s: ${num(lines?.rowsWritten ?? 0)} new order line(s) in gold.fact_sales.`;
}

async function rows(project: Project, sql: string): Promise<unknown[][]> {
  return (await project.query(sql)).rows;
}

/** The KPIs, from the gold views. */
async function kpis(project: Project): Promise<string> {
  const [[revenue, quantity, customers, asp, lines]] = await rows(
    project,
    'SELECT total_revenue, total_quantity, unique_customers, average_selling_price, order_lines FROM gold.kpi_overview',
  );
  const months = await rows(
    project,
    `SELECT strftime(month, '%Y-%m'), revenue, change_pct FROM gold.kpi_monthly_revenue ORDER BY month`,
  );
  const channels = await rows(project, 'SELECT channel, share_pct FROM gold.kpi_channel_share ORDER BY revenue DESC');
  const products = await rows(
    project,
    'SELECT product_name, revenue FROM gold.kpi_top_products ORDER BY rank, product_name LIMIT 5',
  );
  const customersTop = await rows(
    project,
    'SELECT customer_name, revenue FROM gold.kpi_top_customers ORDER BY rank, customer_name LIMIT 5',
  );
  return [
    'KPIs (gold)',
    `  total revenue         ${num(String(revenue), 2)}`,
    `  total quantity        ${num(String(quantity))}`,
    `  unique customers      ${num(String(customers))}`,
    `  average selling price ${num(String(asp), 2)}`,
    `  order lines           ${num(String(lines))}`,
    '  revenue by month      ' +
      months
        .map(([m, r, c]) => `${m} ${num(String(r), 0)}${c === null ? '' : ` (${Number(c) >= 0 ? '+' : ''}${c}%)`}`)
        .join(' · '),
    '  share by channel      ' + channels.map(([c, p]) => `${c} ${p}%`).join(' · '),
    '  top products          ' + products.map(([n, r]) => `${n} ${num(String(r), 0)}`).join(' · '),
    '  top customers         ' + customersTop.map(([n, r]) => `${n} ${num(String(r), 0)}`).join(' · '),
  ].join('\n');
}

/** Each expectation that caught rows in these updates, with what it did to them. */
function quality(pipeline: Pipeline, outcomes: RunOutcome[]): { text: string; caught: boolean } {
  const actions = new Map<string, ViolationAction>();
  for (const d of pipeline.datasets.values())
    for (const e of d.expectations) actions.set(`${d.name}\0${e.name}`, e.action);
  const caught = new Map<string, { dataset: string; name: string; failed: number; checked: number }>();
  for (const o of outcomes) {
    for (const f of o.flows) {
      for (const e of f.expectations) {
        const key = `${e.dataset}\0${e.name}`;
        const c = caught.get(key) ?? { dataset: e.dataset, name: e.name, failed: 0, checked: 0 };
        c.failed += e.failed_records;
        c.checked += e.failed_records + e.passed_records;
        caught.set(key, c);
      }
    }
  }
  const did: Record<ViolationAction, string> = {
    warn: 'kept, counted',
    drop: 'dropped',
    quarantine: 'quarantined',
    fail: 'failed the update',
  };
  const list = [...caught.values()].filter((c) => c.failed > 0);
  if (list.length === 0) return { text: 'Data quality: every row passed every expectation.', caught: false };
  const w = Math.max(...list.map((c) => `${c.dataset} ${c.name}`.length));
  const text = [
    'Data quality (expectations that caught rows)',
    ...list.map(
      (c) =>
        `  ${`${c.dataset} ${c.name}`.padEnd(w)}  ${num(c.failed).padStart(7)} of ${num(c.checked).padStart(9)}  ${did[actions.get(`${c.dataset}\0${c.name}`) ?? 'warn']}`,
    ),
    '  (quarantined rows: strata quarantine list; every count is in the event log: strata events)',
  ].join('\n');
  return { text, caught: true };
}

/**
 * A new day of orders every `interval` seconds, until Ctrl-C, processed as it lands by the
 * scheduler (as under `strata serve`): the live_store job's file-arrival trigger starts a pipeline
 * update for the files that have settled, its runs queued one behind another, retried on failure.
 */
async function liveStore(project: Project, interval: number, out: NodeJS.WritableStream): Promise<void> {
  const dir = project.dir;
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // Reports in the order of the updates, all written before the demo stops.
  let reporting = Promise.resolve();
  const onUpdate = (outcome: RunOutcome) => {
    reporting = reporting.then(() => report(project, outcome, out)).catch(() => undefined);
  };
  const scheduler = new Scheduler(project, {
    run: (key, trigger) => runJob(project, key, { trigger, onUpdate }),
    onEvent: (e) => {
      if (e.kind === 'error') out.write(`  ${e.job}: ${e.message}\n`);
      if (e.kind === 'finished' && e.outcome.result !== 'SUCCESS')
        out.write(`  ${e.job}: run ${e.outcome.runId} ${e.outcome.result} (strata jobs runs; the Jobs page)\n`);
    },
  });
  await scheduler.start();
  out.write(
    `\nLive store: a new day of orders lands every ${interval} s; the scheduler's ${LIVE_STORE_JOB} job processes each as it lands. Ctrl-C to stop.\n`,
  );
  try {
    while (!stop.signal.aborted) {
      await systemClock.sleepUntil(Date.now() + interval * 1000, stop.signal);
      if (!stop.signal.aborted) landRetailDay(dir);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await scheduler.stop(); // the run in progress finishes (a run is never left half-recorded)
    await reporting;
  }
  process.exitCode = undefined; // a failed update on the way was retried; stopping is not a failure
  out.write(`\nStopped. The project is in ${dir}; strata demo continues it, strata demo --reset starts over.\n`);
}

/** One line per update that brought new order lines (or failed), with the KPIs after it. */
async function report(project: Project, outcome: RunOutcome, out: NodeJS.WritableStream): Promise<void> {
  const lines = outcome.flows.find((f) => f.dataset === 'gold.fact_sales')?.rowsWritten ?? 0;
  if (outcome.status === 'COMPLETED' && lines === 0) return; // nothing new (files another run took)
  const [[through, revenue, quantity, orderLines]] = await rows(
    project,
    `SELECT (SELECT strftime(max(order_date), '%Y-%m-%d') FROM gold.fact_sales), total_revenue, total_quantity, order_lines FROM gold.kpi_overview`,
  );
  out.write(`\n[through ${String(through)}] ${summary(outcome)}\n`);
  if (outcome.status !== 'COMPLETED') return;
  out.write(
    `  total revenue ${num(String(revenue), 2)} · quantity ${num(String(quantity))} · order lines ${num(String(orderLines))}\n`,
  );
}
