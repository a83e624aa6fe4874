// What every command shares: global options, the project (opened through the
// composition root), and one place that turns failures into one clear line
// (a stack only with --verbose) and an exit code.
import * as path from 'node:path';
import { StrataError } from '../core/index.js';
import { withProject as openAndRun, type Project } from '../project/index.js';

export interface GlobalOptions {
  project?: string;
  verbose?: boolean;
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export function projectDir(options: GlobalOptions): string {
  return path.resolve(options.project ?? process.cwd());
}

/** Runs `fn` with the project of `--project` (or the current folder) open, closing it afterwards. */
export async function withProject<T>(options: GlobalOptions | string, fn: (project: Project) => Promise<T>): Promise<T> {
  const dir = typeof options === 'string' ? options : projectDir(options);
  return openAndRun(dir, async (project) => {
    for (const warning of project.warnings) process.stderr.write(`warning: ${warning}\n`);
    return fn(project);
  });
}

/** A mistake in how a command was called (flags, arguments): exit status 2. */
export class CliUsageError extends StrataError {
  constructor(message: string) {
    super('USAGE', message);
    this.name = 'CliUsageError';
  }
}

/** Prints an error the way every command does, and returns the exit code. */
export function reportError(err: unknown, verbose: boolean): number {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`error: ${message.trim()}\n`);
  if (verbose && err instanceof Error && err.stack) {
    process.stderr.write(`${err.stack}\n`);
    if (err.cause instanceof Error && err.cause.stack) process.stderr.write(`caused by: ${err.cause.stack}\n`);
  } else if (!(err instanceof StrataError)) {
    process.stderr.write('(run with --verbose for details)\n');
  }
  return err instanceof CliUsageError ? EXIT_USAGE : EXIT_FAILURE;
}
