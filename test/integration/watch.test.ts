// strata watch (watchPipeline): files that stopped changing are loaded while others keep
// arriving — a steady stream is processed as it comes, not once it pauses — and a file still
// being written waits until it is complete, then loads once.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { watchPipeline, type WatchEvent } from '../../src/orchestrate/index.js';
import { projectAt, useTestBed } from '../helpers/harness.js';

const bed = useTestBed('watch');

describe('watchPipeline', () => {
  it('loads settled files while another is still being written; that one loads once complete', async () => {
    const dir = path.join(bed.dir, 'stream');
    mkdirSync(path.join(dir, 'pipelines', 'p'), { recursive: true });
    mkdirSync(path.join(dir, 'landing'), { recursive: true });
    writeFileSync(
      path.join(dir, 'pipelines', 'p', 'main.sql'),
      "CREATE OR REFRESH STREAMING TABLE orders AS SELECT * FROM STREAM read_files('landing/*.csv', format => 'csv');\n",
    );
    const project = await projectAt(bed, dir);
    const stop = new AbortController();
    const events: { e: WatchEvent; writing: boolean }[] = [];
    let writing = false;
    const count = async () => Number((await project.query('SELECT count(*) FROM orders')).rows[0][0]);
    const watching = watchPipeline(project, 'p', {
      signal: stop.signal,
      pollMs: 50,
      settleMs: 300,
      onEvent: (e) => void events.push({ e, writing }),
    });
    const updates = () => events.filter((x) => x.e.kind === 'update' && x.e.reason === 'files');
    const until = async (cond: () => boolean) => {
      for (let i = 0; i < 600 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
      expect(cond()).toBe(true);
    };
    // A file that lands whole, and one written line by line, every 100 ms, for as long as it takes.
    writeFileSync(path.join(dir, 'landing', 'a.csv'), 'id\n1\n2\n');
    writing = true;
    let slow = 'id\n';
    writeFileSync(path.join(dir, 'landing', 'b.csv'), slow);
    let n = 10;
    while (updates().length === 0 && n < 200) {
      slow += `${n++}\n`;
      writeFileSync(path.join(dir, 'landing', 'b.csv'), slow);
      await new Promise((r) => setTimeout(r, 100));
    }
    writing = false;
    // a.csv was loaded while b.csv was still changing; b.csv not yet.
    expect(updates()[0].writing).toBe(true);
    expect(await count()).toBe(2);
    await until(() => updates().length === 2);
    expect(await count()).toBe(2 + (n - 10));
    stop.abort();
    await watching;
    expect(
      events
        .filter((x) => x.e.kind === 'update')
        .every((x) => (x.e as { outcome: { status: string } }).outcome.status === 'COMPLETED'),
    ).toBe(true);
  });
});
