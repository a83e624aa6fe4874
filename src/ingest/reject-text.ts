// The text of a rejected CSV line, as it is in the file. DuckDB's reject report
// gives each bad line's byte position (where the line starts) and a line number
// that counts records, not lines (a quoted field over two lines counts once),
// and its quoted text can be wrong after a broken quote. So the line is read
// from the file itself at that position: its physical line number, and its text
// exactly — trailing blanks, tabs, non-ASCII — without its line end (LF or CRLF).
import { createReadStream } from 'node:fs';
import * as zlib from 'node:zlib';
import { quoteIdent, quoteLiteral, type Session } from '../engine/index.js';
import { LINE } from './csv-reconcile.js';
import type { ReadOptions } from './options.js';

/** A line found at a position: its number (1-based, physical) and text (line end aside). */
export interface LineAt {
  line: number;
  text: string;
}

/**
 * The lines at the given positions of a UTF-8 or latin-1 file (gunzipped if .gz), in one
 * pass that stops after the last. A position is DuckDB's `line_byte_position` less one: in
 * bytes of the text as UTF-8 (for latin-1, a byte ≥ 0x80 counts two), at the line's first
 * byte or at the end of the line before it (after a CRLF).
 */
export async function linesAt(file: string, positions: number[], encoding: string): Promise<Map<number, LineAt>> {
  const targets = [...new Set(positions)].sort((a, b) => a - b);
  const found = new Map<number, LineAt>();
  const latin = encoding === 'latin-1';
  const width = (chunk: Buffer, from: number, to: number) => {
    let n = to - from;
    if (latin) for (let i = from; i < to; i++) if (chunk[i] >= 0x80) n++;
    return n;
  };
  let [off, line, t] = [0, 1, 0];
  let state: 'scan' | 'skip' | 'take' = 'scan';
  let text: Buffer[] = [];
  const take = () => {
    const bytes = Buffer.concat(text);
    found.set(targets[t++], { line, text: bytes.toString(latin ? 'latin1' : 'utf8') });
    while (t < targets.length && targets[t] < off) t++; // inside the line just taken
    [state, text] = ['scan', []];
  };
  const input = createReadStream(file);
  const stream = /\.gz$/i.test(file) ? input.pipe(zlib.createGunzip()) : input;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let i = 0;
      while (i < chunk.length && t < targets.length) {
        if (state === 'scan') {
          // Up to the target (for latin-1, byte by byte: its positions are in UTF-8 bytes).
          let [end, w] = [i, 0];
          if (latin) for (; end < chunk.length && off + w < targets[t]; end++) w += chunk[end] >= 0x80 ? 2 : 1;
          else [end, w] = [Math.min(chunk.length, i + Math.max(0, targets[t] - off)), 0];
          line += newlines(chunk, i, end);
          off += latin ? w : end - i;
          i = end;
          if (off >= targets[t]) state = 'skip';
        } else if (state === 'skip') {
          // The line end before the line (DuckDB's position after a CRLF), if any.
          if (chunk[i] === 10 || chunk[i] === 13) {
            if (chunk[i] === 10) line++;
            off++;
            i++;
          } else state = 'take';
        } else {
          let e = i;
          while (e < chunk.length && chunk[e] !== 10 && chunk[e] !== 13) e++;
          text.push(chunk.subarray(i, e));
          off += width(chunk, i, e);
          i = e;
          if (i < chunk.length) take();
        }
      }
      if (t >= targets.length) break;
    }
    if (state === 'take') take();
  } finally {
    input.destroy();
    if (stream !== input) stream.destroy();
  }
  return found;
}

function newlines(chunk: Buffer, from: number, to: number): number {
  let n = 0;
  for (let p = chunk.indexOf(10, from); p !== -1 && p < to; p = chunk.indexOf(10, p + 1)) n++;
  return n;
}

/**
 * Each rejected line's number and text (table `rejected`: _source_file, _file_line, _error,
 * _raw, _pos) taken from the file itself: by position (`_pos`, DuckDB's line_byte_position)
 * in UTF-8 and latin-1 files, plain or .gz — exact; otherwise by line number (DuckDB's
 * reader, lines as plain text), keeping DuckDB's text when the file cannot be read so.
 */
export async function fixRejectedText(session: Session, rejected: string, o: ReadOptions): Promise<void> {
  const table = `temp.${quoteIdent(rejected)}`;
  const withRejects = await session.rows<{ f: string }>(`SELECT DISTINCT _source_file AS f FROM ${table}`);
  for (const { f } of withRejects) {
    const where = `_source_file = ${quoteLiteral(f)}`;
    const exact = (o.encoding === 'utf-8' || o.encoding === 'latin-1') && !/\.(zst|zstd|bz2|xz|lz4)$/i.test(f);
    if (exact) {
      const positions = await session.rows<{ p: bigint }>(
        `SELECT DISTINCT _pos AS p FROM ${table} WHERE ${where} AND _pos IS NOT NULL`,
      );
      const found = await linesAt(
        f,
        positions.map((p) => Number(p.p) - 1),
        o.encoding,
      ).catch(() => new Map<number, LineAt>());
      if (found.size > 0) {
        const values = [...found].map(([p, l]) => `(${p + 1}, ${l.line}, ${quoteLiteral(l.text)})`).join(', ');
        await session.exec(
          `UPDATE ${table} AS q SET _raw = x.t, _file_line = x.l FROM (VALUES ${values}) AS x(p, l, t) WHERE q.${where} AND q._pos = x.p`,
        );
      }
    }
    // The others by line number (a copy's rejects, lines cut out, other encodings).
    const rest = `q.${where}${exact ? ' AND q._pos IS NULL' : ''}`;
    const [{ n }] = await session.rows<{ n: bigint }>(`SELECT count(*) AS n FROM ${table} AS q WHERE ${rest}`);
    if (Number(n) === 0) continue;
    await session
      .exec(
        `UPDATE ${table} AS q SET _raw = x.l FROM (
           SELECT l, row_number() OVER () AS n FROM read_csv(${quoteLiteral(f)}, ${LINE}, encoding = ${quoteLiteral(o.encoding)}, max_line_size = 10000000)) AS x
         WHERE ${rest} AND x.n = q._file_line`,
      )
      .catch(() => undefined); // keep DuckDB's text
  }
}
