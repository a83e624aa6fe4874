// A result as the protocol sends it: its RowDescription, its DataRows (each column in the text or
// binary format the Bind asked for), and the CommandComplete tag of the statement that made it.
import type { Writable } from 'node:stream';
import type { ColumnInfo, QueryResult, RowChunk } from '../project/index.js';
import * as m from './protocol.js';
import { binaryValue } from './binary.js';
import { pgTypeOf, textString, textValue, type PgType } from './types.js';
import { chunkTextRows } from './text-rows.js';
import type { Zone } from './zone.js';

/** The format of column (or parameter) `i` from a Bind's format codes: none = text, one = all. */
export function formatOf(formats: number[], i: number): 0 | 1 {
  const f = formats.length === 0 ? 0 : formats.length === 1 ? formats[0] : (formats[i] ?? 0);
  return f === 1 ? 1 : 0;
}

export function rowDescriptionOf(result: QueryResult, formats: number[]): Buffer {
  return m.rowDescription(
    result.columns.map((c, i) => {
      const { type, typmod } = pgTypeOf(c.type);
      return { name: c.name, typeOid: type.oid, typeLen: type.len, typeMod: typmod, format: formatOf(formats, i) };
    }),
  );
}

/** The DataRows of rows [from, to), handed to `send` in batches. */
export function sendDataRows(
  result: QueryResult,
  from: number,
  to: number,
  formats: number[],
  send: (...messages: Buffer[]) => void,
): void {
  const types = result.columns.map((c) => pgTypeOf(c.type).type);
  if (types.every((_, i) => formatOf(formats, i) === 0)) {
    for (let r = from; r < to; r += TEXT_BATCH) send(textDataRows(result.rows, r, Math.min(to, r + TEXT_BATCH), types));
    return;
  }
  const encoders = types.map((_, i) => (formatOf(formats, i) === 1 ? binaryValue : textValue));
  const out: Buffer[] = [];
  for (let r = from; r < to; r++) {
    out.push(m.dataRow(result.rows[r].map((v, i) => encoders[i](v, types[i]))));
    if (out.length >= 256) send(...out.splice(0));
  }
  if (out.length) send(...out);
}

const TEXT_BATCH = 512;

/**
 * The DataRows of rows [from, to) of a streamed chunk: all-text results written from the chunk's
 * vectors (text-rows.ts; timestamptz shown in `zone`), others through the rows' JS values.
 */
export function sendChunk(
  columns: ColumnInfo[],
  chunk: RowChunk,
  from: number,
  to: number,
  formats: number[],
  zone: Zone | undefined,
  send: (...messages: Buffer[]) => void,
): void {
  const types = columns.map((c) => pgTypeOf(c.type).type);
  const inPlace = columns.length > 0 && chunk.vector(0) !== undefined;
  if (inPlace && types.every((_, i) => formatOf(formats, i) === 0)) {
    for (let r = from; r < to; r += CHUNK_BATCH)
      send(chunkTextRows(chunk, r, Math.min(to, r + CHUNK_BATCH), types, zone));
    return;
  }
  sendDataRows({ columns, rows: chunk.rows(from, to) }, 0, to - from, formats, send);
}

/** Rows per buffer written from vectors (a DuckDB chunk is 2,048 rows: one buffer). */
const CHUNK_BATCH = 2048;

/**
 * DataRows of rows [from, to) in text format, as one buffer: each value made a string, then
 * written in place (no buffer per value: most of a large result's cost).
 */
function textDataRows(rows: unknown[][], from: number, to: number, types: PgType[]): Buffer {
  const texts: (string | null)[] = [];
  let size = 0;
  for (let r = from; r < to; r++) {
    const row = rows[r];
    size += 7; // 'D', length, column count
    for (let i = 0; i < types.length; i++) {
      const t = textString(row[i], types[i]);
      texts.push(t);
      size += 4 + (t === null ? 0 : Buffer.byteLength(t, 'utf8'));
    }
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  let k = 0;
  for (let r = from; r < to; r++) {
    const start = at;
    out[at] = 0x44; // 'D'
    at += 5;
    out.writeInt16BE(types.length, at);
    at += 2;
    for (let i = 0; i < types.length; i++) {
      const t = texts[k++];
      if (t === null) {
        out.writeInt32BE(-1, at);
        at += 4;
      } else {
        const n = out.write(t, at + 4, 'utf8');
        out.writeInt32BE(n, at);
        at += 4 + n;
      }
    }
    out.writeInt32BE(at - start - 1, start + 1);
  }
  return out;
}

/** The CommandComplete tag of a statement: SELECT n for rows, else its first word. */
export function commandTag(statement: string, result: QueryResult | undefined): string {
  const word = /^\s*(?:\/\*[\s\S]*?\*\/\s*|--[^\n]*\n\s*)*(\w+)/.exec(statement)?.[1]?.toUpperCase() ?? 'SELECT';
  if (word === 'SELECT' || word === 'WITH' || word === 'VALUES' || word === 'TABLE' || result?.columns.length)
    return `SELECT ${result?.rows.length ?? 0}`;
  return word;
}

/**
 * Waits while the client reads what was written (a full socket), so that a large result is not
 * buffered: the socket, corked while a packet's messages are answered, is uncorked meanwhile.
 */
export async function drained(socket: Writable): Promise<void> {
  if (!socket.writableNeedDrain) return;
  const corked = socket.writableCorked;
  for (let k = 0; k < corked; k++) socket.uncork();
  await new Promise<void>((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
  for (let k = 0; k < corked; k++) socket.cork();
}
