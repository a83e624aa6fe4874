// Runs every benchmark in bench/ (each *.mjs file here except this one), one
// after the other in its own process, passing on the command-line options
// (e.g. `npm run bench -- --rows 1000000`). Exits non-zero if any fails.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const self = path.basename(fileURLToPath(import.meta.url));
const benchmarks = readdirSync(here)
  .filter((name) => name.endsWith('.mjs') && name !== self)
  .sort();
const args = process.argv.slice(2);

let failed = 0;
for (const name of benchmarks) {
  console.error(`\n=== ${name} ${args.join(' ')}`.trimEnd());
  const started = performance.now();
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(here, name), ...args], { stdio: 'inherit' });
    child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
    child.on('error', () => resolve(1));
  });
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  console.error(`=== ${name}: ${code === 0 ? 'done' : `FAILED (exit ${code})`} in ${secs} s`);
  if (code !== 0) failed++;
}
if (failed) process.exitCode = 1;
