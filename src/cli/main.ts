// The strata command line: one file per command, wired here.
import { Command, CommanderError } from 'commander';
import { EXIT_OK, EXIT_USAGE, reportError, type GlobalOptions } from './context.js';
import { registerDemo } from './demo.js';
import { registerEvents } from './events.js';
import { registerExport } from './export.js';
import { registerIngest } from './ingest.js';
import { registerJobs } from './jobs.js';
import { registerServe } from './serve.js';
import { registerWatch } from './watch.js';
import { registerInit } from './init.js';
import { registerRun } from './run.js';
import { registerQuarantine } from './quarantine.js';
import { registerQuery } from './query.js';
import { registerTable } from './table.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('strata')
    .description(
      'A lakehouse for sales analytics on one machine: Delta Lake tables, Lakeflow SQL pipelines, DuckDB compute.',
    )
    .version('0.1.0')
    .option('--project <dir>', 'the project folder (default: the current folder)')
    .option('--verbose', 'show stack traces and details on errors')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `\nExamples:\n  $ strata init my-lakehouse && cd my-lakehouse\n  $ strata run\n  $ strata query "SELECT * FROM gold.monthly_sales LIMIT 10"`,
    );
  const globals = () => program.opts<GlobalOptions>();
  registerInit(program, globals);
  registerQuery(program, globals);
  registerRun(program, globals);
  registerTable(program, globals);
  registerIngest(program, globals);
  registerEvents(program, globals);
  registerQuarantine(program, globals);
  registerDemo(program, globals);
  registerExport(program, globals);
  registerJobs(program, globals);
  registerServe(program, globals);
  registerWatch(program, globals);
  // Every subcommand reports usage errors instead of exiting on its own.
  const exitOverride = (cmd: Command) => {
    cmd.exitOverride();
    cmd.commands.forEach(exitOverride);
  };
  exitOverride(program);
  return program;
}

/** Runs the CLI and exits with 0 (success), 1 (failure) or 2 (usage error). */
export async function main(argv: string[]): Promise<void> {
  // A reader that stops early (`strata events | head`) closes the pipe: stop quietly, as
  // command-line tools do, instead of failing with a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? EXIT_OK);
      throw err;
    });
  }
  const program = buildProgram();
  let code = EXIT_OK;
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      code =
        err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version'
          ? EXIT_OK
          : EXIT_USAGE;
    } else {
      code = reportError(err, Boolean(program.opts<GlobalOptions>().verbose) || process.argv.includes('--verbose'));
    }
  }
  // A command may have set a failure status itself (e.g. ingest when a file failed).
  process.exitCode = code === EXIT_OK ? (process.exitCode ?? EXIT_OK) : code;
}
