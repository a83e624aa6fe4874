// Which files of a source a load takes: listed (hidden ones left out), then looked
// up in the ledger by their recorded paths. A file loaded and unchanged is
// skipped; one whose modification time alone moved (a restore that rounded
// times) is compared by content before being called changed; a new path whose
// content was loaded before (a file renamed) is skipped with a notice, unless
// `loadRenamedFiles`.
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { StrataError } from '../core/index.js';
import { quoteLiteral, type Session } from '../engine/index.js';
import { readLedger, readLoadedContent, type LedgerFile } from './ledger.js';
import { recordedFile } from './paths.js';
import type { SourceFile } from './read.js';
import type { IngestRequest } from './request.js';

export interface Classified {
  /** Files to load: new, forced, or failed and changed since. */
  waiting: SourceFile[];
  /** Files already loaded and unchanged. */
  skipped: number;
  /** Files loaded, then changed (paths as recorded): reported once, loaded again only with force. */
  changed: string[];
  /** The same files, as listed (their change is noted in the ledger, so that it is told once). */
  changedFiles: SourceFile[];
  /** New paths whose content was loaded before under `earlier` (paths as recorded). */
  renamed: { path: string; earlier: string }[];
}

type Verdict = 'waiting' | 'skipped' | 'changed' | 'new' | 'touched';
// ('skipped' also covers a change already reported: the ledger's latest entry notes it.)

/** The listed files against the ledger. */
export async function classifyFiles(
  session: Session,
  req: IngestRequest,
  listed: SourceFile[],
  { repair = true }: { repair?: boolean } = {},
): Promise<Classified> {
  const recorded = listed.map((f) => recordedFile(req.catalog, f.path));
  const ledger = await readLedger(session, req, recorded, { repair });
  const verdicts = listed.map((f, i) => verdict(f, ledger.get(recorded[i]), Boolean(req.force)));
  // A modification time alone moved: the same content is no change.
  for (const [i, f] of listed.entries()) {
    if (verdicts[i] !== 'touched') continue;
    const hash = await contentHash(f);
    verdicts[i] = hash !== '' && hash === ledger.get(recorded[i])!.hash ? 'skipped' : 'changed';
  }
  // A new path with the size of a loaded file: loaded before under another name if its content was.
  const earlier = new Map<number, string>();
  if (!req.options.loadRenamedFiles) {
    const sizes = [...new Set(listed.filter((_, i) => verdicts[i] === 'new').map((f) => f.size))];
    const loaded = await readLoadedContent(session, req, sizes);
    const loadedSizes = new Set([...loaded.values()].map((e) => e.size));
    for (const [i, f] of listed.entries()) {
      if (verdicts[i] !== 'new' || !loadedSizes.has(f.size)) continue;
      const hash = await contentHash(f);
      const before = hash === '' ? undefined : loaded.get(hash)?.path;
      if (before !== undefined && before !== recorded[i]) earlier.set(i, before);
    }
  }
  const out: Classified = { waiting: [], skipped: 0, changed: [], changedFiles: [], renamed: [] };
  for (const [i, f] of listed.entries()) {
    const v = verdicts[i];
    if (earlier.has(i)) out.renamed.push({ path: recorded[i], earlier: earlier.get(i)! });
    else if (v === 'skipped') out.skipped++;
    else if (v === 'changed') {
      out.changed.push(recorded[i]);
      out.changedFiles.push(f);
    } else out.waiting.push(f);
  }
  return out;
}

/** A file against its latest ledger entry (before any content is compared). */
function verdict(f: SourceFile, seen: LedgerFile | undefined, force: boolean): Verdict {
  if (force) return 'waiting';
  if (!seen) return 'new';
  if (seen.size === f.size && seen.modified === f.modified) return 'skipped';
  if (seen.status === 'failed') return 'waiting';
  if (seen.status === 'changed') return 'changed'; // changed again since its change was reported
  return seen.status === 'loaded' && seen.size === f.size ? 'touched' : 'changed';
}

/** Contents hashed, by path, size and time: a watch's passes do not read a touched or renamed file again. */
const hashed = new Map<string, string>();

async function contentHash(f: SourceFile): Promise<string> {
  const key = `${f.path}\0${f.size}\0${f.modified}`;
  let hash = hashed.get(key);
  if (hash === undefined) {
    hash = (await hashFile(f.path)).hash;
    if (hashed.size >= 10_000) hashed.clear();
    if (hash !== '') hashed.set(key, hash); // an unreadable file is read again next time
  }
  return hash;
}

/** The files of a folder (everything below it) or a glob, skipping hidden ones (`.x`, `_x`), oldest first. */
export async function listSourceFiles(session: Session, source: string, nameGlob?: string): Promise<SourceFile[]> {
  const isGlob = /[*?[{]/.test(source);
  const st = isGlob ? undefined : await fs.stat(source).catch(() => undefined);
  if (!isGlob && !st)
    throw new StrataError('STORAGE', `source ${source} does not exist`, { context: { file: source } });
  const pattern = isGlob ? source : st!.isDirectory() ? path.join(source, '**', '*') : source;
  let found: { file: string }[];
  try {
    found = await session.rows<{ file: string }>(`SELECT file FROM glob(${quoteLiteral(pattern)})`);
  } catch {
    found = [];
  }
  const nameRe = nameGlob ? globToRegExp(nameGlob) : undefined;
  const files: SourceFile[] = [];
  for (const { file } of found) {
    const abs = path.resolve(file);
    const base = path.basename(abs);
    const rel = isGlob ? abs : path.relative(path.resolve(source), abs);
    if (rel.split(path.sep).some((part) => part.startsWith('.') || part.startsWith('_')) && !isGlob) continue;
    if (base.startsWith('.') || base.startsWith('_')) continue;
    if (nameRe && !nameRe.test(base)) continue;
    const s = await fs.stat(abs).catch(() => undefined);
    if (!s?.isFile()) continue;
    files.push({ path: abs, size: s.size, modified: Math.floor(s.mtimeMs) });
  }
  return files.sort((a, b) => a.modified - b.modified || a.path.localeCompare(b.path));
}

function globToRegExp(glob: string): RegExp {
  const re = glob
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`);
}

/**
 * The file's SHA-256 and its non-empty lines (of the decompressed text for gzip; a line ends at
 * CR, LF or CRLF, as DuckDB's CSV reader sees them) — counted in the same pass, for a CSV
 * file's reconciliation; for a gzip file, also whether it decompresses to the end (DuckDB reads
 * a truncated one silently).
 */
export async function hashFile(file: string): Promise<{ hash: string; lines?: number; error?: string }> {
  const hash = createHash('sha256');
  const lines = new LineCounter();
  const gunzip = /\.gz$/i.test(file) ? zlib.createGunzip() : undefined;
  let error: string | undefined;
  const drained = gunzip
    ? new Promise<void>((resolve) => {
        gunzip.on('data', (chunk: Buffer) => lines.add(chunk));
        gunzip.on('error', (err) => {
          error = `the gzip data is damaged (${err.message})`;
          resolve();
        });
        gunzip.on('end', () => resolve());
      })
    : Promise.resolve();
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
      hash.update(chunk as Buffer);
      if (gunzip) {
        if (!error) gunzip.write(chunk);
      } else lines.add(chunk as Buffer);
    }
    gunzip?.end();
  } catch (err) {
    return { hash: '', error: `cannot read the file: ${(err as Error).message}` };
  }
  await drained;
  // (Lines of other compressed files are their compressed bytes': not counted here.)
  const countable = !/\.(zst|zstd|bz2|xz|lz4|snappy|zip|br|deflate)$/i.test(file);
  return { hash: hash.digest('hex'), ...(countable ? { lines: lines.total() } : {}), ...(error ? { error } : {}) };
}

/** Counts non-empty lines across chunks: runs of bytes other than CR and LF. */
class LineCounter {
  private count = 0;
  private open = false;

  add(chunk: Buffer): void {
    let n = this.count;
    let open = this.open;
    if (chunk.indexOf(13) === -1) {
      // LF only (the common case): between line ends found by memchr, a line has text if it is not empty.
      let start = 0;
      for (let lf = chunk.indexOf(10); lf !== -1; lf = chunk.indexOf(10, start)) {
        if (open || lf > start) n++;
        open = false;
        start = lf + 1;
      }
      this.count = n;
      this.open = open || start < chunk.length;
      return;
    }
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === 10 || b === 13) {
        if (open) n++;
        open = false;
      } else open = true;
    }
    this.count = n;
    this.open = open;
  }

  total(): number {
    return this.count + (this.open ? 1 : 0);
  }
}
