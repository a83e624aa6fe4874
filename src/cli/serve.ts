// strata serve: the long-running side of a project. For now the scheduler: each job with a
// schedule runs at its times (one scheduler per project), until Ctrl-C. The dashboard, the HTTP
// API and the Postgres endpoint are to come (docs/jobs.md says what runs today).
import type { Command } from 'commander';
import { Scheduler, type SchedulerEvent } from '../orchestrate/index.js';
import { withProject, type GlobalOptions } from './context.js';

export function registerServe(program: Command, globals: () => GlobalOptions): void {
  program
    .command('serve')
    .description('run the scheduler: jobs at their schedules and on their triggers (files, tables), until Ctrl-C')
    .addHelpText(
      'after',
      `
Jobs with a schedule (strata.yaml jobs.<key>.schedule, a Quartz expression and a time zone) run
at their times; runs go to system.job_runs. One scheduler runs per project.

Example:
  $ strata serve
  $ strata jobs runs          # in another terminal: what ran`,
    )
    .action(async () => {
      await withProject(globals(), async (project) => {
        const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(0, 19)}Z ${line}\n`);
        const scheduler = new Scheduler(project, { onEvent: (e) => log(describe(e)) });
        await scheduler.start();
        await new Promise<void>((resolve) => {
          const stop = () => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            log('stopping: waiting for the runs in progress');
            resolve();
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
        await scheduler.stop();
      });
    });
}

function describe(e: SchedulerEvent): string {
  const at = (t: number) => new Date(t).toISOString();
  switch (e.kind) {
    case 'started':
      return e.jobs.length === 0
        ? 'scheduler started: no job has a schedule or a trigger (strata.yaml jobs.<key>.schedule, .trigger)'
        : `scheduler started: ${e.jobs
            .map((j) =>
              j.trigger
                ? `${j.key} on ${j.trigger.toLowerCase().replace('_', ' ')}`
                : `${j.key} next at ${j.next === undefined ? 'never' : at(j.next)}`,
            )
            .join(', ')}`;
    case 'fired':
      return `${e.job}: run started (scheduled ${at(e.at)})`;
    case 'finished':
      return `${e.job}: run ${e.outcome.runId} ${e.outcome.result} in ${(e.outcome.durationMs / 1000).toFixed(1)} s`;
    case 'queued':
      return `${e.job}: run queued (max_concurrent_runs reached)`;
    case 'skipped':
      return `${e.job}: ${e.reason}`;
    case 'error':
      return `${e.job}: the run could not start: ${e.message}`;
    case 'recovered':
      return `${e.job}: run ${e.runId} recorded as FAILED (${e.reason})${e.retried ? '; its interrupted tasks are retried' : ''}`;
  }
}
