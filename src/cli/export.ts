// strata export databricks [--out DIR]: the project as a Databricks Asset Bundle.
import * as path from 'node:path';
import type { Command } from 'commander';
import { exportDatabricks, loadConfig } from '../project/index.js';
import { CliUsageError, projectDir, type GlobalOptions } from './context.js';

export function registerExport(program: Command, globals: () => GlobalOptions): void {
  program
    .command('export')
    .description('write the project for another platform: databricks (a Databricks Asset Bundle)')
    .argument('<target>', 'databricks')
    .option('--out <dir>', 'the folder to write the bundle to', 'databricks-bundle')
    .addHelpText(
      'after',
      `
Writes databricks.yml, resources/<pipeline>.pipeline.yml and src/<pipeline>/*.sql (your SQL as written;
Strata's ON VIOLATION QUARANTINE as Databricks' quarantine pattern). Deploy it with the Databricks CLI.

Examples:
  $ strata export databricks
  $ strata export databricks --out ../sales-bundle && cd ../sales-bundle && databricks bundle deploy --target dev`,
    )
    .action(async (target: string, options: { out: string }) => {
      if (target.toLowerCase() !== 'databricks')
        throw new CliUsageError(`unknown export target '${target}' (use databricks)`);
      const dir = projectDir(globals());
      const config = await loadConfig(dir);
      const out = path.resolve(dir, options.out);
      const bundle = await exportDatabricks(config, out);
      process.stdout.write(`Wrote a Databricks Asset Bundle to ${path.relative(process.cwd(), out) || '.'}:\n`);
      for (const f of bundle.files) process.stdout.write(`  ${f}\n`);
      if (bundle.notes.length) {
        process.stdout.write('\nTo know before deploying:\n');
        for (const n of bundle.notes) process.stdout.write(`  - ${n}\n`);
      }
    });
}
