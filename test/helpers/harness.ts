// What most integration tests share: one engine and one temporary folder per
// file, and a seeded random sequence so that property tests reproduce.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { Engine, type Session } from '../../src/engine/index.js';
import { openProject, type Project } from '../../src/project/index.js';

export interface TestBed {
  readonly engine: Engine;
  readonly dir: string;
}

/** An engine (2 threads) and a temporary folder for the tests of one file, cleaned up after. */
export function useTestBed(prefix: string): TestBed {
  const bed = {} as { engine: Engine; dir: string };
  beforeAll(async () => {
    bed.engine = await Engine.create({ threads: 2 });
    bed.dir = mkdtempSync(path.join(tmpdir(), `strata-${prefix}-`));
  });
  afterAll(() => {
    bed.engine?.close();
    if (bed.dir) rmSync(bed.dir, { recursive: true, force: true });
  });
  return bed;
}

/**
 * How many rounds a randomized reliability test makes: `normal` in the suite, `soaked` with
 * STRATA_SOAK=1 (a longer run before a release or after touching the commit path).
 */
export function soak(normal: number, soaked: number): number {
  return process.env.STRATA_SOAK === '1' ? soaked : normal;
}

/** A deterministic pseudo-random sequence in [0, 1) (a fixed seed makes failures reproduce). */
export function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x / 0x7fffffff;
  };
}

/** One session held open for all the tests of a file (for tests that only run SQL). */
export function useSession(threads = 1): { readonly session: Session } {
  const held = {} as { session: Session; engine: Engine; release: () => void };
  beforeAll(async () => {
    held.engine = await Engine.create({ threads });
    await new Promise<void>((ready) => {
      void held.engine.withSession(async (s) => {
        held.session = s;
        ready();
        await new Promise<void>((done) => (held.release = done));
      });
    });
  });
  afterAll(() => {
    held.release?.();
    held.engine?.close();
  });
  return held;
}

/** The project in `dir`, opened through the composition root on the test bed's engine (not closed by the project). */
export function projectAt(bed: TestBed, dir: string, options: { env?: NodeJS.ProcessEnv } = {}): Promise<Project> {
  return openProject(dir, { engine: bed.engine, ...options });
}

/** A project folder of the test bed: strata.yaml and the given files (paths relative to it). */
export function projectFolder(bed: TestBed, name: string, yaml: string, files: Record<string, string> = {}): string {
  const dir = path.join(bed.dir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'strata.yaml'), yaml);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}
