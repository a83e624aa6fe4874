// What every command shares: global options, the project (opened through the
// composition root), and one place that turns failures into one clear line
// (a stack only with --verbose) and an exit code.
import * as path from 'node:path';
import { classifyUnclaimed, engineFailure, InternalSqlError, isDiskFull, StrataError } from '../core/index.js';
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
export async function withProject<T>(
  options: GlobalOptions | string,
  fn: (project: Project) => Promise<T>,
): Promise<T> {
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

/**
 * Prints an error the way every command does, and returns the exit code. An engine
 * failure that no boundary claimed ran SQL Strata generated (the user's statements
 * and flows are claimed where they run): `classifyUnclaimed` makes it INTERNAL_SQL
 * when DuckDB refused the SQL's text, and leaves data and machine failures DuckDB's.
 * The SQL DuckDB ran (rewritten, or Strata's own) is shown only with --verbose.
 */
export function reportError(err: unknown, verbose: boolean): number {
  const shown = classifyUnclaimed(err);
  let message = (shown instanceof Error ? shown.message : String(shown)).trim();
  // A full disk is said in words, with what to do (every commit is whole: what was committed stays).
  if (isDiskFull(err)) {
    if (!/the disk is full/i.test(message)) message = `${message} (the disk is full)`;
    message = `${message}; free some space and try again`;
  }
  process.stderr.write(`error: ${message}\n`);
  if (verbose && shown instanceof Error && shown.stack) {
    process.stderr.write(`${shown.stack}\n`);
    for (let cause = shown.cause, depth = 0; cause instanceof Error && depth < 4; cause = cause.cause, depth++) {
      if (cause.stack) process.stderr.write(`caused by: ${cause.stack}\n`);
    }
    const sql = failedSql(shown);
    if (sql) process.stderr.write(`the SQL DuckDB ran:\n${sql}\n`);
  } else if (!(shown instanceof StrataError)) {
    process.stderr.write('(run with --verbose for details)\n');
  }
  return err instanceof CliUsageError ? EXIT_USAGE : EXIT_FAILURE;
}

/** The statement DuckDB refused, as it ran (rewritten, or Strata's own): for --verbose only. */
function failedSql(err: Error): string | undefined {
  return (err instanceof InternalSqlError ? err.sql : engineFailure(err)?.sql) || undefined;
}
