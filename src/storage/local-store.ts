// The local filesystem store. put-if-absent is atomic through link(2): the data
// is written to a private temporary file first, then linked under its final
// name, which fails if the name exists; a reader never sees a partial file.
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DISK_FULL, StrataError } from '../core/index.js';
import type { LocalPathStore, ObjectMeta } from './object-store.js';

export class LocalStore implements LocalPathStore {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  localPath(key: string): string {
    return key === '' ? this.root : path.join(this.root, ...key.split('/'));
  }

  async localFolder(prefix: string): Promise<string> {
    const dir = this.localPath(prefix.replace(/\/+$/, ''));
    try {
      await fs.mkdir(dir, { recursive: true });
    } catch (err) {
      throw storageError(`cannot create folder ${dir}`, err);
    }
    return dir;
  }

  async list(prefix: string, options: { startAfter?: string; limit?: number } = {}): Promise<ObjectMeta[]> {
    // List the deepest folder the prefix names, then filter by the rest.
    const slash = prefix.lastIndexOf('/');
    const folder = slash >= 0 ? prefix.slice(0, slash) : '';
    const out: ObjectMeta[] = [];
    const limit = options.limit ?? Infinity;
    if (limit <= 0) return out;
    await this.walk(folder, prefix, out, options.startAfter ?? '', limit);
    return out;
  }

  private async walk(
    folder: string,
    prefix: string,
    out: ObjectMeta[],
    startAfter: string,
    limit: number,
  ): Promise<void> {
    let entries: Iterable<import('node:fs').Dirent> | AsyncIterable<import('node:fs').Dirent>;
    try {
      // With a limit (a probe such as "has this table a log?"), read the folder only as far as
      // needed: a log of 10,000 commits is not read whole to find one entry.
      entries = Number.isFinite(limit)
        ? await fs.opendir(this.localPath(folder), { bufferSize: 64 })
        : await fs.readdir(this.localPath(folder), { withFileTypes: true });
    } catch (err) {
      if (isCode(err, 'ENOENT') || isCode(err, 'ENOTDIR')) return;
      throw storageError(`cannot list ${this.localPath(folder)}`, err);
    }
    for await (const entry of entries) {
      if (out.length >= limit) return;
      const key = folder === '' ? entry.name : `${folder}/${entry.name}`;
      if (entry.isDirectory()) {
        if (prefix.startsWith(`${key}/`) || key.startsWith(prefix))
          await this.walk(key, prefix, out, startAfter, limit);
      } else if (
        entry.isFile() &&
        key.startsWith(prefix) &&
        key > startAfter &&
        !entry.name.startsWith('.strata-tmp-')
      ) {
        try {
          const st = await fs.stat(this.localPath(key));
          out.push({ key, size: st.size, modified: st.mtimeMs });
        } catch (err) {
          if (!isCode(err, 'ENOENT')) throw storageError(`cannot stat ${this.localPath(key)}`, err);
        }
      }
    }
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      return await fs.readFile(this.localPath(key));
    } catch (err) {
      throw storageError(`cannot read ${this.localPath(key)}`, err);
    }
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    let handle: import('node:fs/promises').FileHandle | undefined;
    try {
      handle = await fs.open(this.localPath(key), 'r');
      const buf = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buf, 0, length, offset);
      if (bytesRead < length) {
        throw new StrataError(
          'STORAGE',
          `${this.localPath(key)}: expected ${length} bytes at offset ${offset}, file holds ${bytesRead}`,
        );
      }
      return buf;
    } catch (err) {
      if (err instanceof StrataError) throw err;
      throw storageError(`cannot read ${this.localPath(key)}`, err);
    } finally {
      await handle?.close();
    }
  }

  async head(key: string): Promise<ObjectMeta | undefined> {
    try {
      const st = await fs.stat(this.localPath(key));
      return st.isFile() ? { key, size: st.size, modified: st.mtimeMs } : undefined;
    } catch (err) {
      if (isCode(err, 'ENOENT') || isCode(err, 'ENOTDIR')) return undefined;
      throw storageError(`cannot stat ${this.localPath(key)}`, err);
    }
  }

  async putIfAbsent(key: string, data: Uint8Array | string): Promise<boolean> {
    const target = this.localPath(key);
    const tmp = await this.writeTemp(target, data);
    try {
      await fs.link(tmp, target);
      return true;
    } catch (err) {
      if (isCode(err, 'EEXIST')) return false;
      throw storageError(`cannot write ${target}`, err);
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  async put(key: string, data: Uint8Array | string): Promise<void> {
    const target = this.localPath(key);
    const tmp = await this.writeTemp(target, data);
    try {
      await fs.rename(tmp, target);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw storageError(`cannot write ${target}`, err);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await fs.rm(this.localPath(key), { force: true });
    } catch (err) {
      throw storageError(`cannot delete ${this.localPath(key)}`, err);
    }
  }

  /**
   * Writes and fsyncs a temporary file beside `target`; returns its path. A write that fails
   * (a full disk) deletes what it wrote: a partial file would hold the space the next try needs.
   */
  private async writeTemp(target: string, data: Uint8Array | string): Promise<string> {
    const dir = path.dirname(target);
    const tmp = path.join(dir, `.strata-tmp-${randomUUID()}`);
    try {
      await fs.mkdir(dir, { recursive: true });
      const handle = await fs.open(tmp, 'wx');
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (err) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw storageError(`cannot write ${target}`, err);
    }
    return tmp;
  }
}

function isCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === code;
}

/** A failed file operation as a STORAGE error: `message` and the reason, worded for people on a full disk. */
export function storageError(message: string, cause: unknown): StrataError {
  const reason = isCode(cause, 'ENOENT')
    ? 'no such file'
    : isCode(cause, 'ENOSPC') || isCode(cause, 'EDQUOT')
      ? DISK_FULL
      : cause instanceof Error
        ? cause.message
        : String(cause);
  return new StrataError('STORAGE', `${message}: ${reason}`, {
    cause,
    context: { errno: (cause as { code?: string })?.code },
  });
}

/** How old a temporary file must be before it counts as left by a killed writer (writes take milliseconds). */
export const TEMP_FILE_GRACE_MS = 60_000;

/**
 * Deletes the temporary files (`.strata-tmp-*`) in `dir` (not below it) that a writer killed
 * mid-write left: those older than `olderThanMs`. Returns the names deleted.
 */
export async function sweepTempFiles(dir: string, olderThanMs = TEMP_FILE_GRACE_MS): Promise<string[]> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const deleted: string[] = [];
  for (const name of names.filter((n) => n.startsWith('.strata-tmp-'))) {
    const file = path.join(dir, name);
    const st = await fs.stat(file).catch(() => undefined);
    if (!st?.isFile() || Date.now() - st.mtimeMs < olderThanMs) continue;
    await fs.rm(file, { force: true });
    deleted.push(name);
  }
  return deleted;
}
