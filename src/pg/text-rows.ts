// DataRows in text format written straight from a chunk's vectors (engine/chunk.ts): each value's
// PostgreSQL text form (text-format.ts) put in one buffer in place, no JS value made for it — the
// cost of a large result to psql. Types without a writer here (nested, intervals, UUIDs, ...) take
// the general way: the engine's value, then textString.
import type { ChunkVector, RowChunk } from '../project/index.js';
import {
  float4Text,
  float8Text,
  isBC,
  safeInt64,
  scaledText,
  splitMicros,
  writeAscii,
  writeBC,
  writeCachedDate,
  writeInteger,
  writeOffset,
  writeScaled,
  writeTime,
} from './text-format.js';
import { textString, type PgType } from './types.js';
import type { Zone } from './zone.js';

/** A growing output buffer. */
class Out {
  buf: Buffer;
  /** The end of the rows written (the row being written starts here). */
  at = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  /** Room for `n` bytes from `used`, the bytes before it kept. */
  ensure(used: number, n: number): void {
    if (used + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, used + n));
    this.buf.copy(bigger, 0, 0, used);
    this.buf = bigger;
  }
}

// How a column's values are written: one case each in chunkTextRows's switch (a call per value
// through a closure per column was a third slower: the call site saw every column's function).
const BOOL = 0;
const INT8 = 1;
const UINT8 = 2;
const INT16 = 3;
const UINT16 = 4;
const INT32 = 5;
const UINT32 = 6;
const INT64 = 7;
const UINT64 = 8;
const INT128 = 9;
const FLOAT = 10;
const DOUBLE = 11;
const DATE = 12;
const TIME = 13;
const TIMESTAMP = 14;
const TIMESTAMPTZ = 15;
const VARCHAR = 16;
const BLOB = 17;
const OTHER = 18;

const KINDS: Record<string, [kind: number, max: number]> = {
  BOOLEAN: [BOOL, 1],
  TINYINT: [INT8, 4],
  UTINYINT: [UINT8, 3],
  SMALLINT: [INT16, 6],
  USMALLINT: [UINT16, 5],
  INTEGER: [INT32, 11],
  UINTEGER: [UINT32, 10],
  BIGINT: [INT64, 20],
  UBIGINT: [UINT64, 20],
  HUGEINT: [INT128, 40],
  FLOAT: [FLOAT, 16],
  DOUBLE: [DOUBLE, 25],
  DATE: [DATE, 20],
  TIME: [TIME, 15],
  TIMESTAMP: [TIMESTAMP, 40],
  'TIMESTAMP WITH TIME ZONE': [TIMESTAMPTZ, 50],
  VARCHAR: [VARCHAR, 0],
  BLOB: [BLOB, 0],
};

/** A column as chunkTextRows writes it (one shape for all). */
interface Column {
  kind: number;
  /** Bytes at most for a value of a bounded kind (VARCHAR, BLOB, OTHER: 0, they make room themselves). */
  max: number;
  d: DataView;
  raw: Uint8Array;
  validity: Uint8Array | null;
  /** A decimal's scale (0 for integers). */
  scale: number;
  vector: ChunkVector;
  type: PgType;
}

const NO_BYTES = new Uint8Array(0);
const NO_VIEW = new DataView(new ArrayBuffer(0));

function columnOf(vector: ChunkVector, type: PgType, zone: Zone | undefined): Column {
  let [kind, max] = KINDS[vector.type] ?? [OTHER, 0];
  let scale = 0;
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(vector.type);
  if (decimal) {
    scale = Number(decimal[2]);
    [kind, max] =
      vector.width === 2
        ? [INT16, 8]
        : vector.width === 4
          ? [INT32, 13]
          : vector.width === 8
            ? [INT64, 22]
            : [INT128, 42];
  }
  if (!vector.data || (kind === TIMESTAMPTZ && !zone)) [kind, max] = [OTHER, 0];
  return {
    kind,
    max,
    d: vector.data ?? NO_VIEW,
    raw: vector.raw ?? NO_BYTES,
    validity: vector.validity,
    scale,
    vector,
    type,
  };
}

/**
 * The DataRows of rows [from, to) of a chunk with vectors, text format, as one buffer. (One long
 * function on purpose: the hot loop of a large result; with the value's switch in a function of
 * its own, the encoding was 10–15% slower, measured on 1M rows × 6 columns.)
 */
export function chunkTextRows(chunk: RowChunk, from: number, to: number, types: PgType[], zone?: Zone): Buffer {
  const n = types.length;
  const columns: Column[] = [];
  // The room a row needs besides its unbounded values: 'D', length, count, and each column's part.
  let room = 7;
  for (let i = 0; i < n; i++) {
    columns.push(columnOf(chunk.vector(i)!, types[i], zone));
    room += 4 + columns[i].max;
  }
  const out = new Out(Math.max(1024, (to - from) * (room + 8 * n)));
  for (let r = from; r < to; r++) {
    out.ensure(out.at, room);
    let buf = out.buf;
    const start = out.at;
    buf[start] = 0x44; // 'D'
    buf[start + 5] = n >> 8;
    buf[start + 6] = n & 0xff;
    let at = start + 7;
    for (let i = 0; i < n; i++) {
      const c = columns[i];
      if (c.validity !== null && (c.validity[r >> 3] & (1 << (r & 7))) === 0) {
        buf[at] = buf[at + 1] = buf[at + 2] = buf[at + 3] = 0xff; // -1: NULL
        at += 4;
        continue;
      }
      const s = at;
      at += 4;
      const d = c.d;
      switch (c.kind) {
        case BOOL:
          buf[at++] = d.getUint8(r) ? 0x74 : 0x66;
          break;
        case INT8:
          at = writeInteger(buf, at, d.getInt8(r));
          break;
        case UINT8:
          at = writeInteger(buf, at, d.getUint8(r));
          break;
        case INT16:
          at = writeScaled(buf, at, d.getInt16(r * 2, true), c.scale);
          break;
        case UINT16:
          at = writeInteger(buf, at, d.getUint16(r * 2, true));
          break;
        case INT32:
          at = writeScaled(buf, at, d.getInt32(r * 4, true), c.scale);
          break;
        case UINT32:
          at = writeInteger(buf, at, d.getUint32(r * 4, true));
          break;
        case INT64:
          at = int64(d, r, buf, at, c.scale);
          break;
        case UINT64:
          at = uint64(d, r, buf, at);
          break;
        case INT128:
          at = int128(d, r, buf, at, c.scale);
          break;
        case FLOAT:
          at = writeAscii(buf, at, float4Text(d.getFloat32(r * 4, true)));
          break;
        case DOUBLE:
          at = writeAscii(buf, at, float8Text(d.getFloat64(r * 8, true)));
          break;
        case DATE:
          at = date(d.getInt32(r * 4, true), buf, at);
          break;
        case TIME:
          at = writeTime(buf, at, d.getUint32(r * 8, true) + d.getInt32(r * 8 + 4, true) * 2 ** 32);
          break;
        case TIMESTAMP:
          at = timestamp(d, r, buf, at, undefined);
          break;
        case TIMESTAMPTZ:
          at = timestamp(d, r, buf, at, zone);
          break;
        case VARCHAR: {
          const length = d.getUint32(r * 16, true);
          if (length <= 12) for (let j = 0, o = r * 16 + 4; j < length; j++) buf[at++] = c.raw[o + j];
          else {
            out.ensure(at, length + room);
            buf = out.buf;
            buf.set(c.vector.bytes(r), at);
            at += length;
          }
          break;
        }
        default: {
          const bytes = c.kind === BLOB ? blobText(c.vector.bytes(r)) : textBytes(c.vector.value(r), c.type);
          if (bytes === null) {
            at = s;
            buf[at] = buf[at + 1] = buf[at + 2] = buf[at + 3] = 0xff;
            at += 4;
            continue;
          }
          out.ensure(at, bytes.length + room);
          buf = out.buf;
          buf.set(bytes, at);
          at += bytes.length;
        }
      }
      length32(buf, s, at - s - 4);
    }
    length32(buf, start + 1, at - start - 1);
    out.at = at;
  }
  return out.buf.subarray(0, out.at);
}

/** bytea's text form: \x and hex. */
function blobText(bytes: Uint8Array): Buffer {
  return Buffer.from(`\\x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex')}`, 'latin1');
}

function textBytes(v: unknown, type: PgType): Buffer | null {
  const text = textString(v, type);
  return text === null ? null : Buffer.from(text, 'utf8');
}

function length32(buf: Buffer, at: number, n: number): void {
  buf[at] = n >>> 24;
  buf[at + 1] = (n >>> 16) & 0xff;
  buf[at + 2] = (n >>> 8) & 0xff;
  buf[at + 3] = n & 0xff;
}

function int64(d: DataView, r: number, buf: Buffer, at: number, scale: number): number {
  const lo = d.getUint32(r * 8, true);
  const hi = d.getInt32(r * 8 + 4, true);
  const v = safeInt64(lo, hi);
  if (v !== undefined) return writeScaled(buf, at, v, scale);
  return writeAscii(buf, at, scaledText((BigInt(hi) << 32n) | BigInt(lo), scale));
}

function uint64(d: DataView, r: number, buf: Buffer, at: number): number {
  const lo = d.getUint32(r * 8, true);
  const hi = d.getUint32(r * 8 + 4, true);
  if (hi < 0x200000) return writeInteger(buf, at, hi * 2 ** 32 + lo);
  return writeAscii(buf, at, ((BigInt(hi) << 32n) | BigInt(lo)).toString());
}

/** A 128-bit integer (HUGEINT, DECIMAL(19..38)): upper 64 bits signed, lower unsigned. */
function int128(d: DataView, r: number, buf: Buffer, at: number, scale: number): number {
  const lower = d.getBigUint64(r * 16, true);
  const upper = d.getBigInt64(r * 16 + 8, true);
  const value = (upper << 64n) | lower;
  if (value >= -9007199254740991n && value <= 9007199254740991n) return writeScaled(buf, at, Number(value), scale);
  return writeAscii(buf, at, scaledText(value, scale));
}

const DATE_INFINITY = 2147483647;

function date(days: number, buf: Buffer, at: number): number {
  if (days === DATE_INFINITY) return writeAscii(buf, at, 'infinity');
  if (days === -DATE_INFINITY) return writeAscii(buf, at, '-infinity');
  at = writeCachedDate(buf, at, days);
  return isBC(days) ? writeBC(buf, at) : at;
}

const parts = { days: 0, micros: 0 };

/** A TIMESTAMP (zone undefined) or TIMESTAMPTZ shown in `zone`, as timestamp(tz)_out writes it. */
function timestamp(d: DataView, r: number, buf: Buffer, at: number, zone: Zone | undefined): number {
  const lo = d.getUint32(r * 8, true);
  const hi = d.getInt32(r * 8 + 4, true);
  // DuckDB's infinities: the largest int64, and its negation.
  if (hi === 0x7fffffff && lo === 0xffffffff) return writeAscii(buf, at, 'infinity');
  if (hi === -0x80000000 && lo === 1) return writeAscii(buf, at, '-infinity');
  splitMicros(lo, hi, parts);
  let { days, micros } = parts;
  let offset = 0;
  if (zone && !zone.utc) {
    offset = zone.offset(days * 86400 + Math.floor(micros / 1e6));
    micros += offset * 1e6;
    if (micros < 0) {
      days -= 1;
      micros += 86_400_000_000;
    } else if (micros >= 86_400_000_000) {
      days += 1;
      micros -= 86_400_000_000;
    }
  }
  at = writeCachedDate(buf, at, days);
  buf[at++] = 0x20;
  at = writeTime(buf, at, micros);
  if (zone) at = writeOffset(buf, at, offset);
  return isBC(days) ? writeBC(buf, at) : at;
}
