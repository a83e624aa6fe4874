// strata jobs: the jobs of strata.yaml (the job settings of a Databricks bundle) — list them, run
// one now, list its runs, show a run's tasks and attempts.
import type { Command } from 'commander';
import {
  describeStart,
  isPaused,
  kindOf,
  repairRun,
  runJob,
  RunsStore,
  setPaused,
  type JobRunOutcome,
  type TaskEvent,
} from '../orchestrate/index.js';
import type { Project, QueryResult } from '../project/index.js';
import { CliUsageError, withProject, type GlobalOptions } from './context.js';
import { render, type OutputFormat } from './output.js';

interface RunFlags {
  param?: string[];
  format: string;
}

export function registerJobs(program: Command, globals: () => GlobalOptions): void {
  const jobs = program
    .command('jobs')
    .description(
      'jobs: tasks run in dependency order, with retries (strata.yaml jobs.<key>, as in a Databricks bundle)',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ strata jobs list
  $ strata jobs run daily --param day=2026-12-01
  $ strata jobs runs daily
  $ strata jobs show 1764762345123456
  $ strata jobs repair 1764762345123456 --all-failed

Runs and attempts are Delta tables too:
  $ strata query "SELECT * FROM system.job_runs ORDER BY start_time DESC"`,
    );

  jobs
    .command('list')
    .description("the jobs of the project: tasks, trigger, next fire time (in the job's time zone), paused")
    .option('-f, --format <format>', 'table, csv or json', 'table')
    .addHelpText('after', '\nExample:\n  $ strata jobs list')
    .action(async (flags: { format: string }) => {
      const format = formatOf(flags.format);
      await withProject(globals(), async (project) => {
        const entries = Object.entries(project.config.jobs ?? {});
        if (entries.length === 0) {
          process.stdout.write('no jobs: define them in strata.yaml under jobs: (see docs/jobs.md)\n');
          return;
        }
        const rows = [];
        const now = Date.now();
        for (const [key, job] of entries) {
          const start = await describeStart(project, key, job, now);
          const paused = start.pausedInConfig
            ? 'paused (strata.yaml)'
            : (await isPaused(project, key))
              ? 'paused (strata jobs resume)'
              : '';
          rows.push([
            key,
            job.name ?? key,
            job.tasks.map((t) => t.task_key).join(' → '),
            start.trigger,
            paused ? '' : (start.next ?? ''),
            paused,
          ]);
        }
        process.stdout.write(
          render(table(['job', 'name', 'tasks', 'trigger', 'next', 'paused'], rows), format, Infinity, false),
        );
      });
    });

  jobs
    .command('run')
    .description('run a job now and wait for it (exit 1 when the run fails)')
    .argument('<job>', 'the job key in strata.yaml')
    .option('--param <name=value...>', 'a job parameter for this run (repeatable)')
    .option('-f, --format <format>', 'table, csv or json (the tasks of the run)', 'table')
    .addHelpText(
      'after',
      '\nExamples:\n  $ strata jobs run daily\n  $ strata jobs run daily --param day=2026-12-01 --param region=EU',
    )
    .action(async (key: string, flags: RunFlags) => {
      const format = formatOf(flags.format);
      const parameters = parseParams(flags.param ?? []);
      await withProject(globals(), async (project) => {
        const progress = process.stderr.isTTY ? (e: TaskEvent) => process.stderr.write(progressLine(e)) : undefined;
        const out = await runJob(project, key, { parameters, onTask: progress });
        report(out, format, 'run');
      });
    });

  for (const [verb, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const)
    jobs
      .command(verb)
      .description(
        paused
          ? "stop a job's schedule and triggers from starting runs (strata jobs run still runs it)"
          : "let a paused job's schedule and triggers start runs again",
      )
      .argument('<job>', 'the job key in strata.yaml')
      .addHelpText('after', `\nExample:\n  $ strata jobs ${verb} daily`)
      .action(async (key: string) => {
        await withProject(globals(), async (project) => {
          await setPaused(project, key, paused);
          const still = !paused && (await isPaused(project, key));
          process.stdout.write(
            still
              ? `${key} is still paused by strata.yaml (pause_status: PAUSED)\n`
              : `${key} ${paused ? 'paused' : 'resumed'}\n`,
          );
        });
      });

  jobs
    .command('repair')
    .description("run some of a run's tasks again, inside the same run, with the job's current definition")
    .argument('<run>', 'the run id (strata jobs runs lists them)')
    .option('--task <keys>', 'these tasks (comma-separated)')
    .option('--all-failed', 'every task that failed, timed out or did not run for an upstream failure')
    .option('--dependents', 'and every task downstream of those')
    .option('-f, --format <format>', 'table, csv or json (the tasks of the run)', 'table')
    .addHelpText(
      'after',
      '\nExamples:\n  $ strata jobs repair 1764762345123456 --all-failed\n  $ strata jobs repair 1764762345123456 --task transform --dependents',
    )
    .action(
      async (runArg: string, flags: { task?: string; allFailed?: boolean; dependents?: boolean; format: string }) => {
        const format = formatOf(flags.format);
        if (!/^\d+$/.test(runArg)) throw new CliUsageError(`a run id is a number, not '${runArg}'`);
        if (!flags.task && !flags.allFailed)
          throw new CliUsageError('say which tasks to run again: --task k,... or --all-failed');
        const tasks = flags.task
          ?.split(',')
          .map((t) => t.trim())
          .filter(Boolean);
        await withProject(globals(), async (project) => {
          const progress = process.stderr.isTTY ? (e: TaskEvent) => process.stderr.write(progressLine(e)) : undefined;
          const out = await repairRun(project, BigInt(runArg), {
            tasks,
            allFailed: flags.allFailed,
            dependents: flags.dependents,
            onTask: progress,
          });
          report(out, format, 'repaired');
        });
      },
    );

  jobs
    .command('runs')
    .description('the runs of a job (or of every job), newest first')
    .argument('[job]', 'the job key')
    .option('--last <n>', 'how many runs', '20')
    .option('-f, --format <format>', 'table, csv or json', 'table')
    .addHelpText('after', '\nExamples:\n  $ strata jobs runs\n  $ strata jobs runs daily --last 5')
    .action(async (key: string | undefined, flags: { last: string; format: string }) => {
      const format = formatOf(flags.format);
      const last = Number(flags.last);
      if (!Number.isInteger(last) || last <= 0)
        throw new CliUsageError(`--last must be a positive whole number, not '${flags.last}'`);
      await withProject(globals(), async (project) => {
        const runs = await project.withSession((s) => new RunsStore(project.catalog).runs(s, key, last));
        const rows = runs.map((r) => [
          String(r.run_id),
          r.job_key,
          r.trigger,
          r.state,
          r.result ?? '',
          iso(r.start_time),
          r.end_time === null ? '' : `${((r.end_time - r.start_time) / 1000).toFixed(1)} s`,
          r.error ?? '',
        ]);
        process.stdout.write(
          render(
            table(['run', 'job', 'trigger', 'state', 'result', 'started', 'took', 'error'], rows),
            format,
            Infinity,
            false,
          ),
        );
      });
    });

  jobs
    .command('show')
    .description("a run: its tasks, each attempt's result, duration and error")
    .argument('<run>', 'the run id (strata jobs runs lists them)')
    .option('-f, --format <format>', 'table, csv or json', 'table')
    .addHelpText('after', '\nExample:\n  $ strata jobs show 1764762345123456')
    .action(async (runArg: string, flags: { format: string }) => {
      const format = formatOf(flags.format);
      if (!/^\d+$/.test(runArg)) throw new CliUsageError(`a run id is a number, not '${runArg}'`);
      await withProject(globals(), async (project) => show(project, BigInt(runArg), format));
    });
}

async function show(project: Project, runId: bigint, format: OutputFormat): Promise<void> {
  const store = new RunsStore(project.catalog);
  const [runs, attempts] = await project.withSession(
    async (s) => [await store.runs(s, undefined, 100000), await store.taskRuns(s, runId)] as const,
  );
  const run = runs.find((r) => r.run_id === runId);
  if (!run) throw new CliUsageError(`no run ${runId} (strata jobs runs lists them)`);
  const job = project.config.jobs?.[run.job_key];
  process.stdout.write(
    `run ${run.run_id} of ${run.job_key} (${run.trigger}): ${run.state}${run.result ? ` ${run.result}` : ''}, started ${iso(run.start_time)}\n`,
  );
  const deps = new Map(
    (job?.tasks ?? []).map((t) => [t.task_key, (t.depends_on ?? []).map((d) => d.task_key).join(', ')]),
  );
  const kinds = new Map((job?.tasks ?? []).map((t) => [t.task_key, kindOf(t)]));
  const rows = attempts.map((a) => [
    a.task_key,
    kinds.get(a.task_key) ?? a.kind,
    deps.get(a.task_key) ?? '',
    a.attempt,
    a.result ?? a.state,
    a.end_time === null ? '' : `${((a.end_time - a.start_time) / 1000).toFixed(1)} s`,
    a.error ?? '',
  ]);
  process.stdout.write(
    render(table(['task', 'kind', 'after', 'attempt', 'result', 'took', 'error'], rows), format, Infinity, false),
  );
}

/** A run's outcome: a line, its tasks, exit status 1 unless it succeeded. */
function report(out: JobRunOutcome, format: OutputFormat, verb: 'run' | 'repaired'): void {
  const head = verb === 'run' ? `run ${out.runId} of ${out.jobKey}` : `run ${out.runId} of ${out.jobKey} repaired`;
  process.stdout.write(`${head}: ${out.result} in ${(out.durationMs / 1000).toFixed(1)} s\n`);
  const rows = out.tasks.map((t) => [t.taskKey, t.result, t.attempts, t.error ?? '']);
  process.stdout.write(render(table(['task', 'result', 'attempts', 'error'], rows), format, Infinity, false));
  if (out.result !== 'SUCCESS' && out.result !== 'SUCCESS_WITH_FAILURES') process.exitCode = 1;
}

function table(names: string[], rows: unknown[][]): QueryResult {
  return { columns: names.map((name) => ({ name, type: 'VARCHAR' })), rows };
}

function formatOf(text: string): OutputFormat {
  const format = text.toLowerCase() as OutputFormat;
  if (!['table', 'csv', 'json'].includes(format))
    throw new CliUsageError(`unknown --format '${text}' (use table, csv or json)`);
  return format;
}

function parseParams(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of list) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new CliUsageError(`--param takes name=value, not '${p}'`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

function progressLine(e: TaskEvent): string {
  const attempt = e.attempt > 0 ? ` (retry ${e.attempt})` : '';
  if (e.phase === 'start') return `  ${e.taskKey}${attempt} …\n`;
  return `  ${e.taskKey}${attempt}: ${e.result}${e.error ? ` — ${e.error.split('\n')[0]}` : ''}\n`;
}
