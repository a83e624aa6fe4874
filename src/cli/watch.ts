// strata watch [pipeline]: a pipeline kept up to date as files land, until Ctrl-C.
import type { Command } from 'commander';
import { watchPipeline, type WatchEvent } from '../orchestrate/index.js';
import { withProject, type GlobalOptions } from './context.js';

export function registerWatch(program: Command, globals: () => GlobalOptions): void {
  program
    .command('watch')
    .description('keep a pipeline up to date: an update now, then one per batch of files landing, until Ctrl-C')
    .argument('[pipeline]', 'the folder under pipelines/ (default: the only one)')
    .addHelpText(
      'after',
      `
Files in the landing folder are loaded once they have stopped changing for a second (files still
being written wait for a later update); a failed update is retried after 1 s, 2 s, 4 s, ... (at
most a minute), or when new files land.

Example:
  $ strata watch retail`,
    )
    .action(async (name: string | undefined) => {
      await withProject(globals(), async (project) => {
        const stop = new AbortController();
        const onSignal = () => stop.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(0, 19)}Z ${line}\n`);
        try {
          await watchPipeline(project, name, { signal: stop.signal, onEvent: (e) => void log(describe(e)) });
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
        log('stopped');
      });
    });
}

function describe(e: WatchEvent): string {
  switch (e.kind) {
    case 'update': {
      const rows = e.outcome.flows.reduce((n, f) => n + f.rowsWritten, 0);
      const why = e.reason === 'start' ? 'start' : e.reason === 'retry' ? 'retry' : `${e.files} new file(s)`;
      return `update ${e.outcome.updateId.slice(0, 8)} (${why}): ${e.outcome.status}, ${rows} row(s) written${e.outcome.error ? ` — ${e.outcome.error}` : ''}`;
    }
    case 'retry':
      return `the update failed (${e.error.split('\n')[0]}); retrying in ${Math.round(e.inMs / 1000)} s`;
    case 'error':
      return e.message;
  }
}
