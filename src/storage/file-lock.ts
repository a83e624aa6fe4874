// A lock held by one process at a time, on a local file, with a heartbeat.
//
// Taken by creating the file exclusively (O_EXCL); it holds who took it (token, pid,
// host, purpose, start). While held, the holder touches it every `heartbeatMs`. It is
// stale, and taken over, when its holder is a process of this machine that no longer
// exists (killed: taken over at once) or its heartbeat stopped for `staleMs` (another
// machine's holder, a hung process). Taking over renames the stale file aside and checks
// it was the one judged stale; a fresh lock moved by mistake (two takers at once) is put
// back with link(), which fails if a third process took the lock meanwhile — then the
// rare double holder is still caught by the commits' own conflict checks. The next holder
// tells `onTakeover` of each lock set aside (to close what its holder left open) and only
// then deletes it, so a taker killed in between loses nothing.
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StrataError } from '../core/index.js';
import { storageError, TEMP_FILE_GRACE_MS } from './local-store.js';

export interface LockHolder {
  token: string;
  pid: number;
  host: string;
  /** What holds it, for people: `strata run retail`. */
  purpose: string;
  /** Milliseconds since the epoch. */
  since: number;
  /** Anything the holder wants the next one to know (the update id, to close it after a crash). */
  info?: Record<string, unknown>;
}

export interface LockOptions {
  purpose: string;
  info?: Record<string, unknown>;
  /** Wait for the lock: true (as long as it takes, the default), false (fail at once), or milliseconds. */
  wait?: boolean | number;
  /** Called once when the lock is busy and we wait, with who holds it. */
  onWait?: (holder: LockHolder) => void;
  /** Stops waiting (the error is the signal's reason). */
  signal?: AbortSignal;
  /** Called when a stale lock is taken over, with its holder (to close what it left open). */
  onTakeover?: (stale: LockHolder) => void | Promise<void>;
  staleMs?: number;
  heartbeatMs?: number;
  pollMs?: number;
}

export class LockBusyError extends StrataError {
  constructor(
    readonly file: string,
    readonly holder: LockHolder,
  ) {
    super('CONFLICT', `${holder.purpose} is running (${describeHolder(holder)}); wait for it, or try again later`, {
      context: { file },
    });
    this.name = 'LockBusyError';
  }
}

export function describeHolder(h: LockHolder): string {
  return `process ${h.pid} on ${h.host}, since ${new Date(h.since).toISOString()}`;
}

/** A held lock. `release()` gives it up; `lost` turns true if another process took it over. */
export class FileLock {
  lost = false;
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    readonly file: string,
    readonly holder: LockHolder,
    heartbeatMs: number,
  ) {
    this.timer = setInterval(() => void this.beat(), heartbeatMs);
    this.timer.unref();
  }

  /** Takes the lock at `file`, waiting (by default) while another live process holds it. */
  static async acquire(file: string, options: LockOptions): Promise<FileLock> {
    const staleMs = options.staleMs ?? 30_000;
    const pollMs = options.pollMs ?? 200;
    const holder: LockHolder = {
      token: randomUUID(),
      pid: process.pid,
      host: os.hostname(),
      purpose: options.purpose,
      since: Date.now(),
      ...(options.info ? { info: options.info } : {}),
    };
    await fs.mkdir(path.dirname(file), { recursive: true });
    const deadline =
      options.wait === false ? 0 : typeof options.wait === 'number' ? Date.now() + options.wait : Infinity;
    let told = false;
    for (;;) {
      if (await create(file, holder)) {
        const lock = new FileLock(file, holder, options.heartbeatMs ?? 5_000);
        await closeStale(file, options.onTakeover);
        return lock;
      }
      const current = await read(file);
      if (!current) continue; // released meanwhile (or half-written by a crash: see read)
      if (await isStale(file, current.holder, current.mtimeMs, staleMs)) {
        await takeOver(file, current.holder);
        continue;
      }
      if (Date.now() >= deadline) throw new LockBusyError(file, current.holder);
      if (options.signal?.aborted)
        throw new StrataError(
          'CANCELLED',
          `stopped waiting for ${current.holder.purpose} (${describeHolder(current.holder)}): ${String((options.signal.reason as Error)?.message ?? options.signal.reason)}`,
        );
      if (!told) options.onWait?.(current.holder);
      told = true;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  /** Who holds the lock at `file` now, if anyone live does. */
  static async holder(file: string, staleMs = 30_000): Promise<LockHolder | undefined> {
    const current = await read(file);
    if (!current || (await isStale(file, current.holder, current.mtimeMs, staleMs))) return undefined;
    return current.holder;
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    const current = await read(this.file);
    if (current?.holder.token === this.holder.token) await fs.rm(this.file, { force: true });
  }

  /**
   * Stops holding the lock without deleting it: the next holder takes it over (at once when
   * this process has ended) and is told of it (`onTakeover`), to close what this one could not.
   */
  abandon(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async beat(): Promise<void> {
    const current = await read(this.file);
    if (current?.holder.token !== this.holder.token) {
      this.lost = true;
      clearInterval(this.timer);
      return;
    }
    const now = new Date();
    await fs.utimes(this.file, now, now).catch(() => undefined);
  }
}

async function create(file: string, holder: LockHolder): Promise<boolean> {
  // Written to a private file first, then linked into place: the lock appears whole or not at all.
  const temp = `${file}.${holder.token}.tmp`;
  try {
    await fs.writeFile(temp, JSON.stringify(holder));
  } catch (err) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw storageError(`cannot take the lock ${file}`, err);
  }
  try {
    await fs.link(temp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await fs.rm(temp, { force: true });
  }
}

async function read(file: string): Promise<{ holder: LockHolder; mtimeMs: number } | undefined> {
  try {
    const [text, st] = await Promise.all([fs.readFile(file, 'utf8'), fs.stat(file)]);
    return { holder: JSON.parse(text) as LockHolder, mtimeMs: st.mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (err instanceof SyntaxError) {
      // Not a lock we wrote (locks appear whole): treat it as a dead holder's.
      const st = await fs.stat(file).catch(() => undefined);
      if (!st) return undefined;
      return { holder: { token: '', pid: 0, host: '', purpose: 'an unknown process', since: 0 }, mtimeMs: 0 };
    }
    throw err;
  }
}

async function isStale(file: string, holder: LockHolder, mtimeMs: number, staleMs: number): Promise<boolean> {
  if (holder.host === os.hostname() && !alive(holder.pid)) return true;
  return Date.now() - mtimeMs > staleMs && (await fs.stat(file).catch(() => undefined)) !== undefined;
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const STALE = '.stale-';

/**
 * Moves a stale lock aside (`<file>.stale-<uuid>`), where the next holder finds it and closes
 * what its holder left open (closeStale): kept until that is done, so a taker killed meanwhile
 * loses nothing. A fresh lock moved by mistake (another taker was first) is put back.
 */
async function takeOver(file: string, stale: LockHolder): Promise<void> {
  const aside = `${file}${STALE}${randomUUID()}`;
  try {
    await fs.rename(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const moved = await read(aside);
  if (moved && moved.holder.token !== stale.token) {
    await fs.link(aside, file).catch(() => undefined);
    await fs.rm(aside, { force: true });
  }
}

/** As the new holder: tells `onTakeover` of each stale lock moved aside, then deletes it. */
async function closeStale(file: string, onTakeover: LockOptions['onTakeover']): Promise<void> {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}${STALE}`;
  const all = await fs.readdir(dir).catch(() => [] as string[]);
  // A taker killed between writing its lock's private file and linking it left that file.
  for (const name of all.filter((n) => n.startsWith(`${path.basename(file)}.`) && n.endsWith('.tmp'))) {
    const st = await fs.stat(path.join(dir, name)).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > TEMP_FILE_GRACE_MS) await fs.rm(path.join(dir, name), { force: true });
  }
  const names = all.filter((n) => n.startsWith(prefix)).sort();
  for (const name of names) {
    const aside = path.join(dir, name);
    try {
      const stale = await read(aside);
      if (stale) await onTakeover?.(stale.holder);
      await fs.rm(aside, { force: true });
    } catch {
      // Kept for the next holder to try again.
    }
  }
}
