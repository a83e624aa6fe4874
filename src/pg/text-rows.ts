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
  writeDate,
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
  at = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  ensure(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }
}

/** Writes row r's (valid) value with its length word. */
type Encode = (r: number, out: Out) => void;

/** The DataRows of rows [from, to) of a chunk with vectors, text format, as one buffer. */
export function chunkTextRows(chunk: RowChunk, from: number, to: number, types: PgType[], zone?: Zone): Buffer {
  const n = types.length;
  const vectors: ChunkVector[] = [];
  const encoders: Encode[] = [];
  for (let i = 0; i < n; i++) {
    vectors.push(chunk.vector(i)!);
    encoders.push(encoderOf(vectors[i], types[i], zone));
  }
  const out = new Out(Math.max(1024, (to - from) * (7 + 16 * n)));
  for (let r = from; r < to; r++) {
    out.ensure(7);
    const start = out.at;
    out.buf[start] = 0x44; // 'D'
    out.buf.writeInt16BE(n, start + 5);
    out.at += 7;
    for (let i = 0; i < n; i++) {
      if (vectors[i].valid(r)) encoders[i](r, out);
      else {
        out.ensure(4);
        out.buf.writeInt32BE(-1, out.at);
        out.at += 4;
      }
    }
    out.buf.writeInt32BE(out.at - start - 1, start + 1);
  }
  return out.buf.subarray(0, out.at);
}

/** A value of at most `max` ASCII bytes, written by `write` from `at`, returning its end. */
function fixed(max: number, write: (r: number, buf: Buffer, at: number) => number): Encode {
  return (r, out) => {
    out.ensure(4 + max);
    const start = out.at;
    const end = write(r, out.buf, start + 4);
    out.buf.writeInt32BE(end - start - 4, start);
    out.at = end;
  };
}

function encoderOf(vector: ChunkVector, type: PgType, zone: Zone | undefined): Encode {
  const d = vector.data;
  const t = vector.type;
  if (d) {
    const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(t);
    if (decimal) return decimalEncoder(vector, d, Number(decimal[2]));
    switch (t) {
      case 'BOOLEAN':
        return fixed(1, (r, buf, at) => ((buf[at] = d.getUint8(r) ? 0x74 : 0x66), at + 1));
      case 'TINYINT':
        return fixed(4, (r, buf, at) => writeInteger(buf, at, d.getInt8(r)));
      case 'UTINYINT':
        return fixed(3, (r, buf, at) => writeInteger(buf, at, d.getUint8(r)));
      case 'SMALLINT':
        return fixed(6, (r, buf, at) => writeInteger(buf, at, d.getInt16(r * 2, true)));
      case 'USMALLINT':
        return fixed(5, (r, buf, at) => writeInteger(buf, at, d.getUint16(r * 2, true)));
      case 'INTEGER':
        return fixed(11, (r, buf, at) => writeInteger(buf, at, d.getInt32(r * 4, true)));
      case 'UINTEGER':
        return fixed(10, (r, buf, at) => writeInteger(buf, at, d.getUint32(r * 4, true)));
      case 'BIGINT':
        return fixed(20, (r, buf, at) => int64(d, r, buf, at, 0));
      case 'UBIGINT':
        return fixed(20, (r, buf, at) => uint64(d, r, buf, at));
      case 'HUGEINT':
        return fixed(40, (r, buf, at) => int128(d, r, buf, at, 0));
      case 'FLOAT':
        return fixed(16, (r, buf, at) => writeAscii(buf, at, float4Text(d.getFloat32(r * 4, true))));
      case 'DOUBLE':
        return fixed(25, (r, buf, at) => writeAscii(buf, at, float8Text(d.getFloat64(r * 8, true))));
      case 'DATE':
        return fixed(20, (r, buf, at) => date(d.getInt32(r * 4, true), buf, at));
      case 'TIME':
        return fixed(15, (r, buf, at) => writeTime(buf, at, d.getUint32(r * 8, true) + d.getInt32(r * 8 + 4, true) * 2 ** 32));
      case 'TIMESTAMP':
        return fixed(40, (r, buf, at) => timestamp(d, r, buf, at, undefined));
      case 'TIMESTAMP WITH TIME ZONE':
        if (zone) return fixed(50, (r, buf, at) => timestamp(d, r, buf, at, zone));
        break;
      case 'VARCHAR':
        return (r, out) => {
          const bytes = vector.bytes(r);
          out.ensure(4 + bytes.length);
          out.buf.writeInt32BE(bytes.length, out.at);
          out.buf.set(bytes, out.at + 4);
          out.at += 4 + bytes.length;
        };
      case 'BLOB':
        return (r, out) => {
          const bytes = vector.bytes(r);
          out.ensure(6 + 2 * bytes.length);
          out.buf.writeInt32BE(2 + 2 * bytes.length, out.at);
          out.buf[out.at + 4] = 0x5c; // '\x', then hex
          out.buf[out.at + 5] = 0x78;
          out.at += 6 + out.buf.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex'), out.at + 6, 'latin1');
        };
    }
  }
  return (r, out) => {
    const text = textString(vector.value(r), type);
    if (text === null) {
      out.ensure(4);
      out.buf.writeInt32BE(-1, out.at);
      out.at += 4;
      return;
    }
    out.ensure(4 + 3 * text.length);
    const n = out.buf.write(text, out.at + 4, 'utf8');
    out.buf.writeInt32BE(n, out.at);
    out.at += 4 + n;
  };
}

function decimalEncoder(vector: ChunkVector, d: DataView, scale: number): Encode {
  switch (vector.width) {
    case 2:
      return fixed(8, (r, buf, at) => writeScaled(buf, at, d.getInt16(r * 2, true), scale));
    case 4:
      return fixed(13, (r, buf, at) => writeScaled(buf, at, d.getInt32(r * 4, true), scale));
    case 8:
      return fixed(22, (r, buf, at) => int64(d, r, buf, at, scale));
    default:
      return fixed(42, (r, buf, at) => int128(d, r, buf, at, scale));
  }
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
  at = writeDate(buf, at, days);
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
  at = writeDate(buf, at, days);
  buf[at++] = 0x20;
  at = writeTime(buf, at, micros);
  if (zone) at = writeOffset(buf, at, offset);
  return isBC(days) ? writeBC(buf, at) : at;
}
