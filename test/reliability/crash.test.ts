// Crash safety and concurrency of commits, with real processes: a writer is
// killed (SIGKILL) at random moments, and after every kill the table must open,
// every commit must be all-or-nothing, and the rows must be exactly those of
// the commits that completed. Two writers appending at once must both land.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSnapshot } from '../../src/delta/index.js';
import { executeQuery } from '../../src/sql/index.js';
import { rng, soak, useTestBed } from '../helpers/harness.js';
import { expectDeletionVectorsUsed, expectValidLog } from '../helpers/delta-log.js';

const WORKER = path.resolve('test/fixtures/append-worker.mjs');
const bed = useTestBed('crash');

/**
 * Kills the worker `ms` after it says it has started (its 'ready' line on stderr: Node, the modules
 * and DuckDB loaded), so that the kills fall in its work on a loaded machine too. Returns a stop.
 */
function killAfter(child: ChildProcess, ms: number | undefined): () => void {
  if (ms === undefined) return () => undefined;
  let timer: NodeJS.Timeout | undefined;
  const onData = (d: Buffer) => {
    if (timer === undefined && d.toString().includes('ready')) timer = setTimeout(() => child.kill('SIGKILL'), ms);
  };
  child.stderr?.on('data', onData);
  return () => {
    if (timer) clearTimeout(timer);
    child.stderr?.off('data', onData);
  };
}

function runWorker(
  table: string,
  tag: string,
  count: string,
  killAfterMs?: number,
): Promise<{ completed: number; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, table, tag, count, '50'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    const stop = killAfter(child, killAfterMs);
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code, signal) => {
      stop();
      const completed = out.split('\n').filter(Boolean).length;
      if (signal === 'SIGKILL') resolve({ completed, killed: true });
      else if (code === 0) resolve({ completed, killed: false });
      else reject(new Error(`worker failed (${code}): ${err}`));
    });
  });
}

/** The batches in the table, with their row counts. */
async function batches(table: string): Promise<Map<string, number>> {
  const r = await bed.engine.withSession((s) =>
    executeQuery(s, `SELECT batch, count(*) FROM delta_scan('${table}') GROUP BY batch`),
  );
  return new Map(r.rows.map((row) => [row[0] as string, row[1] as number]));
}

describe('crash safety', () => {
  it('after SIGKILLs at random moments, every commit is whole and only completed commits are visible', async () => {
    const table = path.join(bed.dir, 'killed');
    await runWorker(table, 'init', '0'); // the table exists before the first kill
    const next = rng(42);
    let confirmed = 0; // batches the worker reported done, over all runs
    for (let iteration = 0; iteration < soak(30, 50); iteration++) {
      const tag = `run${iteration}`;
      const { completed } = await runWorker(table, tag, 'forever', 150 + Math.floor(next() * 500));
      confirmed += completed;
      const seen = await batches(table);
      // Every batch present is whole...
      for (const [batch, n] of seen) expect(n, `batch ${batch}`).toBe(50);
      // ...every batch the worker reported is present...
      for (let k = 1; k <= completed; k++) expect(seen.has(`${tag}:${k}`), `${tag}:${k}`).toBe(true);
      // ...and at most one more (committed, killed before it could report).
      const ofRun = [...seen.keys()].filter((b) => b.startsWith(`${tag}:`)).length;
      expect(ofRun - completed).toBeGreaterThanOrEqual(0);
      expect(ofRun - completed).toBeLessThanOrEqual(1);
    }
    expect(confirmed).toBeGreaterThan(0);
    expectValidLog(table);
    const snap = await bed.engine.withSession((s) => loadSnapshot(table, { session: s }));
    const total = [...(await batches(table)).values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(snap.files.length * 50);
  }, 240_000);
});

describe('crash safety of MERGE and OPTIMIZE', () => {
  it.each([
    ['copy-on-write', 'cow', soak(15, 25)],
    ['deletion vectors', 'dv', soak(10, 15)],
  ])(
    'after SIGKILLs during upserts and compactions (%s), the table always shows one whole round',
    async (_mode, kind, kills) => {
      const table = path.join(bed.dir, `merged-${kind}`);
      const worker = path.resolve('test/fixtures/merge-worker.mjs');
      const next = rng(7);
      let round = 1;
      let lastSeen = 0;
      for (let iteration = 0; iteration < kills; iteration++) {
        const completed = await new Promise<number>((resolve, reject) => {
          const child = spawn(process.execPath, [worker, table, String(round), kind], {
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let out = '';
          let err = '';
          child.stdout.on('data', (d) => (out += d));
          const stop = killAfter(child, 300 + Math.floor(next() * 900));
          child.stderr.on('data', (d) => (err += d));
          child.on('exit', (_code, signal) => {
            stop();
            if (signal !== 'SIGKILL') reject(new Error(`worker stopped by itself: ${err}`));
            else resolve(out.split('\n').filter(Boolean).length);
          });
        });
        round += completed + 1; // rounds of a killed run may have committed: never reuse them
        if (!existsSync(path.join(table, '_delta_log/00000000000000000000.json'))) continue; // killed before creating it
        const r = await bed.engine.withSession((s) =>
          executeQuery(
            s,
            `SELECT sum(n), sum(ids), max(rounds), max(top), count(DISTINCT top) FROM (
             SELECT id % 5 AS cls, count(*) AS n, count(DISTINCT id) AS ids, count(DISTINCT round) AS rounds, max(round) AS top FROM delta_scan('${table}') GROUP BY cls)`,
          ),
        );
        const [n, ids, roundsPerClass, max, distinctTops] = r.rows[0] as number[];
        if (n === null || n === 0) continue;
        // Every key once, each class of keys updated by one whole round (copy-on-write: all keys).
        expect({ n, ids, roundsPerClass }).toEqual({ n: 200, ids: 200, roundsPerClass: 1 });
        if (kind === 'cow') expect(distinctTops).toBe(1);
        expect(max).toBeGreaterThanOrEqual(lastSeen);
        lastSeen = max;
      }
      expect(lastSeen).toBeGreaterThan(0);
      expectValidLog(table);
      if (kind === 'dv') expectDeletionVectorsUsed(table);
    },
    240_000,
  );
});

describe('concurrency', () => {
  it('two processes appending at once: every commit lands, versions contiguous', async () => {
    const table = path.join(bed.dir, 'concurrent');
    await runWorker(table, 'init', '1');
    const [a, b] = await Promise.all([runWorker(table, 'a', '15'), runWorker(table, 'b', '15')]);
    expect(a.completed).toBe(15);
    expect(b.completed).toBe(15);
    const seen = await batches(table);
    for (let k = 1; k <= 15; k++) {
      expect(seen.get(`a:${k}`)).toBe(50);
      expect(seen.get(`b:${k}`)).toBe(50);
    }
    expectValidLog(table); // checks versions are contiguous
    const snap = await bed.engine.withSession((s) => loadSnapshot(table, { session: s }));
    expect(snap.version).toBe(31);
  }, 120_000);
});
