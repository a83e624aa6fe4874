// The update lock: one holder at a time; a second waits (or fails naming the
// holder); a holder killed with SIGKILL is taken over at once; a holder whose
// heartbeat stopped (another machine, a hung process) after the stale time.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, utimesSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StrataError } from '../core/index.js';
import { FileLock, LockBusyError, type LockHolder } from './file-lock.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('FileLock', () => {
  it('lets one holder in at a time; the second waits until it is released', async () => {
    const file = path.join(dir, 'a.lock');
    const first = await FileLock.acquire(file, { purpose: 'strata run one' });
    const seen: LockHolder[] = [];
    let second: FileLock | undefined;
    const waiting = FileLock.acquire(file, { purpose: 'strata run two', pollMs: 20, onWait: (h) => seen.push(h) }).then(
      (l) => (second = l),
    );
    await new Promise((r) => setTimeout(r, 150));
    expect(second).toBeUndefined();
    expect(seen.map((h) => h.purpose)).toEqual(['strata run one']);
    await first.release();
    await waiting;
    expect(second!.holder.purpose).toBe('strata run two');
    expect((await FileLock.holder(file))?.token).toBe(second!.holder.token);
    await second!.release();
    expect(await FileLock.holder(file)).toBeUndefined();
    expect(readdirSync(dir).filter((f) => f.startsWith('a.lock'))).toEqual([]);
  });

  it('fails at once with wait: false, naming who holds it', async () => {
    const file = path.join(dir, 'b.lock');
    const first = await FileLock.acquire(file, { purpose: 'strata run retail' });
    const err = await FileLock.acquire(file, { purpose: 'x', wait: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockBusyError);
    expect((err as StrataError).code).toBe('CONFLICT');
    expect((err as Error).message).toMatch(
      new RegExp(`^strata run retail is running \\(process ${process.pid} on ${os.hostname()}, since \\d{4}-`),
    );
    await first.release();
  });

  it('takes over at once from a holder that was killed, and tells who it was', async () => {
    const file = path.join(dir, 'c.lock');
    const child = spawn(process.execPath, [path.resolve('test/fixtures/lock-holder.mjs'), file, 'u-123'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    expect((await FileLock.holder(file))?.pid).toBe(child.pid);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const stale: LockHolder[] = [];
    const started = Date.now();
    const lock = await FileLock.acquire(file, { purpose: 'next', wait: false, onTakeover: (h) => void stale.push(h) });
    expect(Date.now() - started).toBeLessThan(5_000); // not the 30 s stale time
    expect(stale.map((h) => [h.pid, h.info])).toEqual([[child.pid, { pipeline: 'main', updateId: 'u-123' }]]);
    await lock.release();
  });

  it('tells the next holder of a stale lock a killed taker had set aside', async () => {
    const file = path.join(dir, 'g.lock');
    const dead: LockHolder = { token: 'z', pid: 1, host: 'elsewhere', purpose: 'strata run main', since: 0 };
    writeFileSync(`${file}.stale-left`, JSON.stringify({ ...dead, info: { updateId: 'u-9' } }));
    writeFileSync(`${file}.killed-taker.tmp`, JSON.stringify(dead));
    const old = new Date(Date.now() - 120_000);
    utimesSync(`${file}.killed-taker.tmp`, old, old);
    const told: unknown[] = [];
    const lock = await FileLock.acquire(file, { purpose: 'x', onTakeover: (h) => void told.push(h.info) });
    expect(told).toEqual([{ updateId: 'u-9' }]);
    // (and the private file of a taker killed before it linked its lock, once a minute old)
    expect(readdirSync(dir).filter((f) => f.startsWith('g.lock'))).toEqual(['g.lock']);
    await lock.release();
  });

  it("takes over another machine's lock only when its heartbeat stopped for the stale time", async () => {
    const file = path.join(dir, 'd.lock');
    const other: LockHolder = { token: 't', pid: 1, host: 'elsewhere', purpose: 'strata run far', since: 0 };
    writeFileSync(file, JSON.stringify(other));
    const busy = await FileLock.acquire(file, { purpose: 'x', wait: false, staleMs: 60_000 }).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(LockBusyError);
    const old = new Date(Date.now() - 120_000);
    utimesSync(file, old, old);
    const lock = await FileLock.acquire(file, { purpose: 'x', wait: false, staleMs: 60_000 });
    expect(lock.holder.purpose).toBe('x');
    await lock.release();
  });

  it('keeps its heartbeat, and knows when it lost the lock', async () => {
    const file = path.join(dir, 'e.lock');
    const lock = await FileLock.acquire(file, { purpose: 'x', heartbeatMs: 20 });
    const old = new Date(Date.now() - 120_000);
    utimesSync(file, old, old);
    await new Promise((r) => setTimeout(r, 100));
    expect(await FileLock.holder(file, 60_000)).toBeDefined(); // the heartbeat touched it again
    rmSync(file);
    await FileLock.acquire(file, { purpose: 'y' });
    await new Promise((r) => setTimeout(r, 100));
    expect(lock.lost).toBe(true);
    await lock.release(); // does not remove y's lock
    expect((await FileLock.holder(file))?.purpose).toBe('y');
  });

  it('treats a damaged lock file as a dead holder', async () => {
    const file = path.join(dir, 'f.lock');
    writeFileSync(file, '{"tok');
    const lock = await FileLock.acquire(file, { purpose: 'x', wait: false });
    expect(lock.holder.purpose).toBe('x');
    await lock.release();
  });
});
