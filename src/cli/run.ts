// strata run [pipeline] --dry-run: check a pipeline and print its plan. (Running updates is
// the rest of the pipelines issue; without --dry-run the command says so and changes nothing.)
import type { Command } from 'commander';
import { StrataError } from '../core/index.js';
import { kindName } from '../pipeline/parse.js';
import { formatProblems, listPipelines, loadPipeline, type Pipeline } from '../pipeline/project.js';
import { CliUsageError, projectDir, type GlobalOptions } from './context.js';

export function registerRun(program: Command, globals: () => GlobalOptions): void {
  program
    .command('run')
    .description('one update of a pipeline (for now: --dry-run checks it and prints the plan)')
    .argument('[pipeline]', 'the folder under pipelines/ (default: the only one)')
    .option('--dry-run', 'check the definitions and print the plan; write nothing')
    .addHelpText('after', '\nExample:\n  $ strata run retail --dry-run')
    .action(async (name: string | undefined, options: { dryRun?: boolean }) => {
      const project = projectDir(globals());
      const pipelines = await listPipelines(project);
      if (!name) {
        if (pipelines.length !== 1) {
          throw new CliUsageError(pipelines.length === 0 ? `no pipelines in ${project}/pipelines (strata init makes one)` : `name the pipeline to run: ${pipelines.join(', ')}`);
        }
        name = pipelines[0];
      }
      const pipeline = await loadPipeline(project, name);
      if (pipeline.problems.length > 0) {
        process.stderr.write(`${formatProblems(pipeline.problems)}\n`);
        throw new StrataError('USAGE', `pipeline ${name}: ${pipeline.problems.length} problem(s) in its definitions (listed above); nothing was run`);
      }
      process.stdout.write(formatPlan(pipeline));
      if (!options.dryRun) {
        throw new StrataError('USAGE', `pipeline ${name} is valid, but this version of Strata does not run pipelines yet (use --dry-run to check them)`);
      }
    });
}

function formatPlan(p: Pipeline): string {
  const lines = [`pipeline ${p.name}: ${p.datasets.size} dataset(s), ${p.nodes.filter((n) => n.kind === 'flow').length} flow(s) in ${p.files.length} file(s); update order:`];
  p.order.forEach((n, i) => {
    const what = n.kind === 'flow' ? `flow ${n.flow!.name} → ${n.target}` : `${n.target} (${kindName(n.dataset!.kind)})`;
    const reads = [
      ...n.reads.map((r) => `${r.streaming ? 'STREAM ' : ''}${r.name}`),
      ...n.files.map((f) => `${f.streaming ? 'STREAM ' : ''}${f.call}`),
    ];
    const rules = n.dataset?.expectations.length ? `; ${n.dataset.expectations.length} expectation(s)` : '';
    lines.push(`  ${String(i + 1).padStart(2)}. ${what}${reads.length ? ` ← ${reads.join(', ')}` : ''}${rules}`);
  });
  return `${lines.join('\n')}\n`;
}
