// Builds the CLI once before the suite, so end-to-end tests run what users run.
// A failed build removes dist/: the CLI tests then fail with that reason, while
// unit tests still run.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

export default function setup(): void {
  try {
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'pipe' });
  } catch (err) {
    rmSync('dist', { recursive: true, force: true });
    const out = (err as { stdout?: Buffer }).stdout?.toString() ?? '';
    process.stderr.write(`global setup: the build failed; CLI tests will fail.\n${out}\n`);
  }
}
