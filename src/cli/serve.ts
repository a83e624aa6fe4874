// strata serve: the long-running side of a project — the dashboard and the HTTP API (127.0.0.1:4000
// by default) and the scheduler (jobs at their schedules and on their triggers), until Ctrl-C; with
// serve.pg.users (or --pg-port), the Postgres endpoint too.
import type { Command } from 'commander';
import { Scheduler, type SchedulerEvent } from '../orchestrate/index.js';
import { startServer } from '../serve/index.js';
import { pgTls, startPgServer, type RunningPgServer } from '../pg/index.js';
import { CliUsageError, withProject, type GlobalOptions } from './context.js';

export function registerServe(program: Command, globals: () => GlobalOptions): void {
  program
    .command('serve')
    .description('the dashboard and the HTTP API, and the scheduler (jobs on schedules and triggers), until Ctrl-C')
    .option('--port <port>', 'the HTTP port (default: serve.port in strata.yaml, else 4000)')
    .option('--host <host>', 'the address to bind (default: serve.host, else 127.0.0.1; another needs serve.auth)')
    .option(
      '--pg-port <port>',
      'also serve the Postgres endpoint on this port (default: serve.pg.port when serve.pg.users is set)',
    )
    .addHelpText(
      'after',
      `
The dashboard is at http://127.0.0.1:4000: the project's dashboards, data quality, pipelines,
jobs and tables, updated as tables change; the JSON API under /api (docs/serve.md). Jobs with a
schedule or a trigger run at their times; runs go to system.job_runs. One scheduler runs per
project.

Example:
  $ strata serve
  $ strata serve --port 8080
  $ strata serve --pg-port 5433   # BI tools and psql too (serve.pg.users in strata.yaml)
  $ strata jobs runs          # in another terminal: what ran`,
    )
    .action(async (flags: { port?: string; host?: string; pgPort?: string }) => {
      const port = portFlag('--port', flags.port);
      const pgPort = portFlag('--pg-port', flags.pgPort);
      await withProject(globals(), async (project) => {
        const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(0, 19)}Z ${line}\n`);
        const withPg = pgPort !== undefined || project.config.serve?.pg?.users !== undefined;
        // The endpoint's certificate and key checked before anything listens.
        const tls = withPg ? pgTls(project) : undefined;
        // The scheduler first: its lock makes this the project's one strata serve.
        const scheduler = new Scheduler(project, { onEvent: (e) => log(describe(e)) });
        await scheduler.start();
        const server = await startServer(project, { port, host: flags.host }).catch(async (err: unknown) => {
          await scheduler.stop();
          throw err;
        });
        log(`dashboard and API at ${server.url}`);
        let pg: RunningPgServer | undefined;
        if (withPg) {
          pg = await startPgServer(project, { port: pgPort, tls, log }).catch(async (err: unknown) => {
            await server.close();
            await scheduler.stop();
            throw err;
          });
          log(
            `Postgres endpoint at postgresql://${pg.host}:${pg.port}/ (psql -h ${pg.host} -p ${pg.port} -U <user>)${tls ? (tls.required ? ', TLS required' : ', TLS offered') : ''}`,
          );
        }
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
        await server.close();
        await pg?.close();
      });
    });
}

function portFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535))
    throw new CliUsageError(`${name} must be a port number (0 to 65535), not '${value}'`);
  return port;
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
