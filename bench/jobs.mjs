// Jobs benchmarks (issue 20's targets), each against a reference measured in the same run:
//   1. a job of five trivial SQL tasks in a chain: the run's time against the same five SQL
//      files run one after another by `strata query`'s path (the tasks' own time); the scheduler's
//      overhead per task (target ≤ 100 ms);
//   2. file arrival: from the last write of a file to the start of the run its trigger starts
//      (target ≤ wait_after_last_change_seconds + 1 s).
//
//   node bench/jobs.mjs [--rounds 5] [--wait 2]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { openProject } from '../dist/project/index.js';
import { runJob, Scheduler } from '../dist/orchestrate/index.js';
import { fmtMs, machineLine, markdownTable, median, parseArgsOrExit, timeIt } from './lib/util.mjs';

const args = parseArgsOrExit(process.argv.slice(2), { rounds: 5, wait: 2 });
const log = (m) => process.stderr.write(`${m}\n`);
const dir = mkdtempSync(path.join(tmpdir(), 'strata-bench-jobs-'));
mkdirSync(path.join(dir, 'sql'));
mkdirSync(path.join(dir, 'landing'));
const keys = ['a', 'b', 'c', 'd', 'e'];
for (const k of keys) writeFileSync(path.join(dir, 'sql', `${k}.sql`), `SELECT ${keys.indexOf(k)} AS n;\n`);
writeFileSync(
  path.join(dir, 'strata.yaml'),
  `jobs:
  chain:
    tasks:
${keys.map((k, i) => `      - { task_key: ${k}, sql_task: { file: { path: sql/${k}.sql } }${i ? `, depends_on: [{ task_key: ${keys[i - 1]} }]` : ''} }`).join('\n')}
  arrival:
    trigger: { file_arrival: { url: landing, wait_after_last_change_seconds: ${args.wait} } }
    tasks:
      - { task_key: a, sql_task: { file: { path: sql/a.sql } } }
`,
);
const project = await openProject(dir);
const machine = await project.withSession((s) => machineLine(s));

// 1. Five chained SQL tasks against the same SQL run directly.
await runJob(project, 'chain'); // warm: tables created, code loaded
const job = [];
const direct = [];
for (let r = 0; r < args.rounds; r++) {
  job.push((await timeIt(() => runJob(project, 'chain'))).ms);
  direct.push(
    (
      await timeIt(async () => {
        for (const k of keys) await project.queryAll(`SELECT ${keys.indexOf(k)} AS n;`);
      })
    ).ms,
  );
}
const perTask = (median(job) - median(direct)) / keys.length;
log(`chain: job ${fmtMs(median(job))} ms, SQL alone ${fmtMs(median(direct))} ms → ${fmtMs(perTask)} ms per task`);

// 2. File arrival latency, with the system clock.
const latencies = [];
for (let r = 0; r < args.rounds; r++) {
  let fired;
  const started = new Promise((resolve) => (fired = resolve));
  const scheduler = new Scheduler(project, {
    onEvent: (e) => {
      if (e.kind === 'fired' && e.job === 'arrival') fired(Date.now());
    },
  });
  await scheduler.start();
  await new Promise((r2) => setTimeout(r2, 1200)); // the first look registers what is there
  writeFileSync(path.join(dir, 'landing', `f${r}.csv`), 'id\n1\n');
  const written = Date.now();
  const at = await started;
  latencies.push(at - written);
  await scheduler.stop();
}
const latency = median(latencies);
log(`file arrival: ${fmtMs(latency)} ms from the write to the run (wait ${args.wait} s)`);
project.close();
rmSync(dir, { recursive: true, force: true });

console.log(`\n${machine}\n`);
console.log(
  markdownTable(
    ['measurement', 'result', 'reference (same run)', 'target', 'met'],
    [
      [
        'five chained SQL tasks: scheduler overhead per task',
        `${fmtMs(perTask)} ms (job ${fmtMs(median(job))} ms)`,
        `the five SQL statements alone: ${fmtMs(median(direct))} ms`,
        '≤ 100 ms',
        perTask <= 100 ? 'yes' : 'no',
      ],
      [
        'file arrival: last write → run start',
        `${fmtMs(latency)} ms`,
        `wait_after_last_change_seconds: ${args.wait * 1000} ms`,
        `≤ ${args.wait * 1000 + 1000} ms`,
        latency <= args.wait * 1000 + 1000 ? 'yes' : 'no',
      ],
    ],
  ),
);
