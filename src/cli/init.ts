// strata init [dir]: an empty project — strata.yaml, pipelines/, landing/, lake/.
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { StrataError } from '../core/index.js';
import {
  addSchemaLine,
  copyRetailTemplate,
  landRetailHistory,
  RETAIL_DEFAULTS,
  schemaRefFor,
  strataYaml,
} from '../project/index.js';
import { CliUsageError, projectDir, type GlobalOptions } from './context.js';

const EXAMPLE = `-- An example pipeline: files in landing/orders/ become bronze.orders.
-- Rename or delete this file; every .sql file in this folder belongs to the pipeline.

CREATE OR REFRESH STREAMING TABLE bronze.orders
COMMENT 'raw order lines, one row per CSV line'
AS SELECT * FROM STREAM read_files('landing/orders/*.csv', format => 'csv');
`;

export function registerInit(program: Command, globals: () => GlobalOptions): void {
  program
    .command('init')
    .description('create a project: strata.yaml, pipelines/, landing/, lake/ (empty, or the retail reference pipeline)')
    .argument('[dir]', 'the project folder (created if missing; default: --project or the current folder)')
    .option(
      '--template <name>',
      "start from a template: 'retail' (the reference pipeline, with 90 days of generated landing files)",
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ strata init my-lakehouse\n  $ cd my-lakehouse && strata ingest bronze.orders --from landing/orders\n  $ strata init shop --template retail && strata run --project shop',
    )
    .action(async (dir: string | undefined, flags: { template?: string }) => {
      const root = dir ? path.resolve(projectDir(globals()), dir) : projectDir(globals());
      if (existsSync(path.join(root, 'strata.yaml'))) {
        throw new StrataError(
          'ALREADY_EXISTS',
          `${root} is already a Strata project (it has a strata.yaml); nothing was changed`,
        );
      }
      if (flags.template !== undefined) {
        if (flags.template !== 'retail')
          throw new CliUsageError(`unknown template '${flags.template}'; the templates are: retail`);
        copyRetailTemplate(root);
        addSchemaLine(root);
        const truth = landRetailHistory(root, {});
        process.stdout.write(
          `created the retail project in ${root}\n` +
            `  pipelines/retail/*.sql   bronze, silver and gold (Lakeflow SQL)\n` +
            `  reference/               cities, city aliases, categories\n` +
            `  landing/                 ${RETAIL_DEFAULTS.days} days of generated files (${truth.first} to ${truth.last})\n` +
            `next: strata run --project ${dir ?? '.'}\n`,
        );
        return;
      }
      for (const sub of ['pipelines/main', 'landing', 'lake'])
        await fs.mkdir(path.join(root, sub), { recursive: true });
      await fs.writeFile(path.join(root, 'strata.yaml'), strataYaml(path.basename(root), schemaRefFor(root)));
      const example = path.join(root, 'pipelines/main/bronze.sql');
      if (!existsSync(example)) await fs.writeFile(example, EXAMPLE);
      const gitignore = path.join(root, '.gitignore');
      if (!existsSync(gitignore))
        await fs.writeFile(gitignore, '# Tables and landed files are data, not code\nlake/\nlanding/\n');
      process.stdout.write(
        `created a Strata project in ${root}\n` +
          `  strata.yaml              project settings\n` +
          `  pipelines/main/*.sql     a pipeline (Lakeflow SQL)\n` +
          `  landing/                 where files arrive\n` +
          `  lake/                    the Delta tables\n`,
      );
    });
}
