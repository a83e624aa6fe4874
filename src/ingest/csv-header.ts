// A CSV file's column names, from its first line: split as the reader splits
// (quotes, escapes), empty names `_c<position>`, names given twice renamed as
// Spark does (makeSafeHeader), and a first line too long to be a header refused
// without reading the file into memory.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import * as zlib from 'node:zlib';
import { StrataError } from '../core/index.js';
import { quoteLiteral, type Session } from '../engine/index.js';
import { LINE } from './csv-reconcile.js';
import type { ReadOptions } from './options.js';

/** A header line longer than this is not one (a file with no line end, a binary file): the file fails. */
export const MAX_HEADER_BYTES = 1024 * 1024;

/** The column names of a CSV file (its header, or _c0, _c1, ... without one); undefined when empty. */
export async function csvHeader(session: Session, f: { path: string }, o: ReadOptions): Promise<string[] | undefined> {
  let line: string | undefined;
  if (o.encoding === 'utf-8' && !/\.(zst|zstd|bz2|xz)$/i.test(f.path)) line = await firstTextLine(f.path, o);
  else {
    const r = await session
      .rows<{ l: string | null }>(
        `SELECT l FROM read_csv(${quoteLiteral(f.path)}, ${LINE}, encoding = ${quoteLiteral(o.encoding)}, max_line_size = ${MAX_HEADER_BYTES}) LIMIT 1`,
      )
      .catch((err: unknown) => {
        if (/maximum line size/i.test(String(err))) throw headerTooLong(f.path, o);
        throw err;
      });
    line = r[0]?.l ?? undefined;
  }
  if (line === undefined || line.trim() === '') return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(line))
    throw new Error(`the first line is not text (binary data, or not ${o.encoding})`);
  const fields = splitCsvLine(line, o);
  if (!o.header) return fields.map((_, i) => `_c${i}`);
  return safeHeader(fields.map((name) => name.trim()));
}

/**
 * Column names as Spark makes them from a header (CSVUtils.makeSafeHeader): an empty name
 * is `_c<position>`; a name that occurs more than once, compared lower-cased (Spark's
 * default, spark.sql.caseSensitive = false), gets its 0-based position appended at every
 * occurrence: `id,name,NAME,price` → id, name1, NAME2, price.
 */
export function safeHeader(names: string[]): string[] {
  const seen = new Map<string, number>();
  for (const n of names) if (n !== '') seen.set(n.toLowerCase(), (seen.get(n.toLowerCase()) ?? 0) + 1);
  return names.map((n, i) => (n === '' ? `_c${i}` : (seen.get(n.toLowerCase()) ?? 0) > 1 ? `${n}${i}` : n));
}

function headerTooLong(file: string, o: Pick<ReadOptions, 'header'>): StrataError {
  const what = o.header ? 'the header line' : 'the first line';
  return new StrataError(
    'STORAGE',
    `${file}: ${what} is longer than 1 MB (no line end in its first ${MAX_HEADER_BYTES} bytes): not a CSV header; the file is not loaded`,
    { context: { file } },
  );
}

/**
 * The first line of a (possibly gzipped) UTF-8 file, without BOM and line end: read in
 * chunks until a line end, at most MAX_HEADER_BYTES (of text, after gunzip).
 */
async function firstTextLine(path: string, o: Pick<ReadOptions, 'header'>): Promise<string | undefined> {
  const head = await readHead(path);
  if (head.length === 0) return undefined;
  const end = head.findIndex((b) => b === 10 || b === 13);
  if (end < 0 && head.length > MAX_HEADER_BYTES) throw headerTooLong(path, o);
  let text = (end < 0 ? head : head.subarray(0, end)).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text;
}

/** The file's first bytes (gunzipped if gzip): up to its first line end, or just over MAX_HEADER_BYTES. */
async function readHead(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  const magic = Buffer.alloc(2);
  try {
    await handle.read(magic, 0, 2, 0);
  } finally {
    await handle.close();
  }
  const input = createReadStream(path, { highWaterMark: 64 * 1024 });
  const gzip = magic[0] === 0x1f && magic[1] === 0x8b;
  const stream = gzip ? input.pipe(zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH })) : input;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (chunk.includes(10) || chunk.includes(13) || size > MAX_HEADER_BYTES) break;
    }
  } catch (err) {
    // A damaged or truncated gzip: what was decompressed before the damage, if anything.
    if (size === 0) throw err;
  } finally {
    input.destroy();
    if (stream !== input) stream.destroy();
  }
  return Buffer.concat(chunks);
}

/** Splits one CSV line into fields (quotes and escapes as configured). */
export function splitCsvLine(line: string, o: Pick<ReadOptions, 'delimiter' | 'quote' | 'escape'>): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === o.escape && line[i + 1] === o.quote && o.escape !== '') {
        field += o.quote;
        i++;
      } else if (ch === o.quote) quoted = false;
      else field += ch;
    } else if (ch === o.quote && o.quote !== '') quoted = true;
    else if (ch === o.delimiter) {
      out.push(field);
      field = '';
    } else field += ch;
  }
  out.push(field);
  return out;
}
