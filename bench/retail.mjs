// The retail demo at scale (the retail issue's target): the reference pipeline
// (examples/retail) over generated files of 10 million order lines, the full
// first run, then one new day landed and processed. The target: the incremental
// run costs ≤ 5% of the full run (both measured in this run, on this machine).
//
//   npm run build && node bench/retail.mjs [--lines 10m] [--days 100]
//
// The order lines per day are chosen so that the history holds at least --lines lines
// (the startup sends nothing in its missing months).
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../dist/engine/index.js';
import { loadPipeline, runPipeline } from '../dist/pipeline/index.js';
import { createCatalog } from '../dist/catalog/index.js';
import { RETAIL_DEFAULTS } from '../dist/retail/generate.js';
import { startupMissesMonth } from '../dist/retail/world.js';
import { copyRetailTemplate, landRetailDay, landRetailHistory } from '../dist/retail/project.js';
import { fmtMs, machineLine, markdownTable, parseArgsOrExit, timeIt } from './lib/util.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = parseArgsOrExit(process.argv.slice(2), { lines: 10_000_000, days: 100, seed: 42 });
// Lines per day: all of them on a normal day, the parent's 60% in a month the startup misses.
const start = Date.parse(`${RETAIL_DEFAULTS.start}T00:00:00Z`);
let weight = 0;
for (let d = 0; d < args.days; d++) weight += startupMissesMonth(start, start + d * 86_400_000) ? 0.6 : 1;
args.rowsPerDay = Math.ceil(args.lines / weight);
while (retailLines(args.rowsPerDay) < args.lines) args.rowsPerDay++;
function retailLines(perDay) {
  let n = 0;
  for (let d = 0; d < args.days; d++)
    n += startupMissesMonth(start, start + d * 86_400_000) ? perDay - Math.round(perDay * 0.4) : perDay;
  return n;
}
const dir = path.join(here, 'data', 'retail');
const log = (m) => process.stderr.write(`${m}\n`);

rmSync(dir, { recursive: true, force: true });
copyRetailTemplate(dir);
const gen = await timeIt(async () =>
  landRetailHistory(dir, { seed: args.seed, days: args.days, rowsPerDay: args.rowsPerDay }),
);
const truth = gen.result;
log(`generated ${truth.orderLines.toLocaleString('en-US')} order lines in ${fmtMs(gen.ms)} ms`);

const engine = await Engine.create({});
const catalog = createCatalog({ projectDir: dir });
const pipeline = await loadPipeline(catalog, 'retail');
if (pipeline.problems.length) throw new Error(JSON.stringify(pipeline.problems));
const run = () =>
  engine.withSession(async (s) => {
    const outcome = await runPipeline(s, pipeline, {
      catalog,
      parallel: { engine, max: 2 },
    });
    if (outcome.status !== 'COMPLETED') throw new Error(outcome.error);
    return outcome;
  });
const machine = await engine.withSession((s) => machineLine(s));
const full = await timeIt(run);
log(`full run: ${fmtMs(full.ms)} ms`);
landRetailDay(dir);
const next = await timeIt(run);
log(`one new day: ${fmtMs(next.ms)} ms`);
engine.close();

/** Order lines the run wrote to the fact table (its flows into gold.fact_sales). */
const lines = (o) => o.flows.filter((f) => f.dataset === 'gold.fact_sales').reduce((n, f) => n + f.rowsWritten, 0);
if (process.env.BENCH_VERBOSE)
  for (const [name, o] of [
    ['full', full.result],
    ['new day', next.result],
  ])
    log(
      `${name}: ${[...o.flows]
        .sort((a, b) => b.durationMs - a.durationMs)
        .map((f) => `${f.flow} ${fmtMs(f.durationMs)}`)
        .join(', ')}`,
    );
const slowest = (o) =>
  [...o.flows]
    .sort((a, b) => b.durationMs - a.durationMs)
    .slice(0, 5)
    .map((f) => `${f.flow} ${fmtMs(f.durationMs)} ms`)
    .join(', ');
console.log(
  `# The retail demo: ${truth.orderLines.toLocaleString('en-US')} order lines (${args.days} days × ${args.rowsPerDay.toLocaleString('en-US')}), then one new day\n`,
);
console.log(`Machine: ${machine}\n`);
console.log(
  markdownTable(
    ['run', 'order lines processed', 'time (ms)', 'share of the full run'],
    [
      ['full first run', lines(full.result).toLocaleString('en-US'), fmtMs(full.ms), '100%'],
      [
        'one new day',
        lines(next.result).toLocaleString('en-US'),
        fmtMs(next.ms),
        `${((100 * next.ms) / full.ms).toFixed(1)}%`,
      ],
    ],
    'lrrr',
  ),
);
console.log(
  `\nIncremental / full: **${((100 * next.ms) / full.ms).toFixed(1)}%** (target ≤ 5%). Generating the files took ${fmtMs(gen.ms)} ms.`,
);
console.log(`\nSlowest flows, full run: ${slowest(full.result)}.`);
console.log(`Slowest flows, new day: ${slowest(next.result)}.`);
