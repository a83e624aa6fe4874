// Deletion vectors (PROTOCOL.md, "Deletion Vectors"): the row indexes of a data
// file that are deleted, as a 64-bit Roaring bitmap ("RoaringBitmapArray",
// portable format), stored inline in the log (Z85 text) or in a .bin file
// beside the data, framed by a size and a CRC-32.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as zlib from 'node:zlib';
import { StrataError } from '../core/index.js';
import type { ObjectStore } from '../storage/index.js';

export interface DeletionVectorDescriptor {
  /** 'u': relative path derived from a UUID; 'i': inline; 'p': absolute path. */
  storageType: string;
  pathOrInlineDv: string;
  offset?: number | null;
  sizeInBytes: number;
  cardinality: number;
  maxRowIndex?: number | null;
}

const MAGIC = 1681511377;
const SERIAL_COOKIE = 12347;
const SERIAL_COOKIE_NO_RUNCONTAINER = 12346;
const NO_OFFSET_THRESHOLD = 4;
const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';

/** The protocol's unique id of a DV: storage type, path or data, and offset. */
export function dvUniqueId(dv: DeletionVectorDescriptor): string {
  return `${dv.storageType}${dv.pathOrInlineDv}${dv.offset !== undefined && dv.offset !== null ? `@${dv.offset}` : ''}`;
}

/** Z85 (ZeroMQ base-85) to bytes. */
export function z85Decode(text: string): Uint8Array {
  if (text.length % 5 !== 0) throw new Error(`Z85 text length ${text.length} is not a multiple of 5`);
  const out = new Uint8Array((text.length / 5) * 4);
  for (let i = 0, o = 0; i < text.length; i += 5, o += 4) {
    let value = 0;
    for (let j = 0; j < 5; j++) {
      const digit = Z85.indexOf(text[i + j]);
      if (digit < 0) throw new Error(`'${text[i + j]}' is not a Z85 character`);
      value = value * 85 + digit;
    }
    if (value > 0xffffffff) throw new Error('Z85 group out of range');
    out[o] = (value >>> 24) & 0xff;
    out[o + 1] = (value >>> 16) & 0xff;
    out[o + 2] = (value >>> 8) & 0xff;
    out[o + 3] = value & 0xff;
  }
  return out;
}

/** Bytes (length a multiple of 4) to Z85. */
export function z85Encode(bytes: Uint8Array): string {
  if (bytes.length % 4 !== 0) throw new Error('Z85 input length must be a multiple of 4');
  let out = '';
  for (let i = 0; i < bytes.length; i += 4) {
    let value = ((bytes[i] << 24) >>> 0) + (bytes[i + 1] << 16) + (bytes[i + 2] << 8) + bytes[i + 3];
    let chunk = '';
    for (let j = 0; j < 5; j++) {
      chunk = Z85[value % 85] + chunk;
      value = Math.floor(value / 85);
    }
    out += chunk;
  }
  return out;
}

/** The deleted row indexes of a data file, ascending. */
export async function readDeletionVector(store: ObjectStore, dv: DeletionVectorDescriptor, table: string): Promise<BigUint64Array> {
  const where = describe(dv);
  const fail = (what: string, cause?: unknown): never => {
    throw new StrataError('DELETION_VECTOR_INVALID', `deletion vector ${where} of table ${table}: ${what}`, { cause, context: { table, file: where } });
  };
  let data: Uint8Array;
  if (dv.storageType === 'i') {
    try {
      data = z85Decode(dv.pathOrInlineDv).subarray(0, dv.sizeInBytes);
    } catch (err) {
      return fail(`inline data is not valid Z85 (${(err as Error).message})`, err);
    }
  } else if (dv.storageType === 'u' || dv.storageType === 'p') {
    const framed = await readFramed(store, dv, fail);
    data = framed;
  } else {
    return fail(`unknown storage type '${dv.storageType}'`);
  }
  let rows: BigUint64Array;
  try {
    rows = decodeRoaringBitmapArray(data);
  } catch (err) {
    return fail((err as Error).message, err);
  }
  if (rows.length !== dv.cardinality) fail(`holds ${rows.length} rows but the log says ${dv.cardinality}`);
  return rows;
}

function describe(dv: DeletionVectorDescriptor): string {
  if (dv.storageType === 'i') return `(inline, ${dv.sizeInBytes} bytes)`;
  if (dv.storageType === 'u') {
    try {
      return relativeDvPath(dv.pathOrInlineDv);
    } catch {
      return dv.pathOrInlineDv;
    }
  }
  return dv.pathOrInlineDv;
}

/** The file of a 'u' descriptor: `<prefix>/deletion_vector_<uuid>.bin`, relative to the table. */
export function relativeDvPath(pathOrInlineDv: string): string {
  const prefix = pathOrInlineDv.slice(0, -20);
  const bytes = z85Decode(pathOrInlineDv.slice(-20));
  const hex = Buffer.from(bytes).toString('hex');
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return `${prefix ? `${prefix}/` : ''}deletion_vector_${uuid}.bin`;
}

/** Reads `size | data | crc` at the descriptor's offset, checking size and checksum. */
async function readFramed(store: ObjectStore, dv: DeletionVectorDescriptor, fail: (what: string, cause?: unknown) => never): Promise<Uint8Array> {
  const offset = dv.offset ?? 1; // after the format version byte
  let framed: Uint8Array;
  try {
    if (dv.storageType === 'u') {
      framed = await store.getRange(relativeDvPath(dv.pathOrInlineDv), offset, dv.sizeInBytes + 8);
    } else {
      const p = dv.pathOrInlineDv.startsWith('file:') ? fileURLToPath(dv.pathOrInlineDv.replace(/^file:\/*/, 'file:///')) : path.resolve(dv.pathOrInlineDv);
      const handle = await fs.open(p, 'r');
      try {
        framed = Buffer.alloc(dv.sizeInBytes + 8);
        const { bytesRead } = await handle.read(framed, 0, framed.length, offset);
        if (bytesRead < framed.length) fail(`file is truncated: expected ${framed.length} bytes at offset ${offset}, found ${bytesRead}`);
      } finally {
        await handle.close();
      }
    }
  } catch (err) {
    if (err instanceof StrataError && err.code === 'DELETION_VECTOR_INVALID') throw err;
    return fail(`cannot read the file: ${(err as Error).message}`, err);
  }
  const view = new DataView(framed.buffer, framed.byteOffset, framed.byteLength);
  const size = view.getUint32(0, false);
  if (size !== dv.sizeInBytes) fail(`the file says ${size} bytes at offset ${offset}, the log says ${dv.sizeInBytes}`);
  const data = framed.subarray(4, 4 + size);
  const stored = view.getUint32(4 + size, false);
  const computed = crc32(data);
  if (stored !== computed) fail(`checksum mismatch (stored 0x${stored.toString(16)}, computed 0x${computed.toString(16)})`);
  return data;
}

function crc32(data: Uint8Array): number {
  return (zlib as unknown as { crc32(d: Uint8Array): number }).crc32(data) >>> 0;
}

/** Decodes magic + RoaringBitmapArray (portable) into sorted row indexes. */
export function decodeRoaringBitmapArray(data: Uint8Array): BigUint64Array {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = 0;
  const need = (n: number) => {
    if (pos + n > data.length) throw new Error(`bitmap data is truncated (needs ${pos + n} bytes, has ${data.length})`);
  };
  need(12);
  const magic = view.getUint32(0, true);
  if (magic !== MAGIC) throw new Error(`bad magic number ${magic} (expected ${MAGIC})`);
  const count = Number(view.getBigUint64(4, true));
  pos = 12;
  const out: bigint[] = [];
  for (let b = 0; b < count; b++) {
    need(4);
    const high = BigInt(view.getUint32(pos, true)) << 32n;
    pos += 4;
    pos = decodeRoaring32(view, pos, need, (low) => out.push(high | BigInt(low)));
  }
  return BigUint64Array.from(out);
}

/** One portable 32-bit Roaring bitmap at `pos`; returns the position after it. */
function decodeRoaring32(view: DataView, start: number, need: (n: number) => void, emit: (v: number) => void): number {
  let pos = start;
  const u16 = () => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = () => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const cookie = u32();
  let size: number;
  let runFlags: Uint8Array | undefined;
  if ((cookie & 0xffff) === SERIAL_COOKIE) {
    size = (cookie >>> 16) + 1;
    const bytes = Math.ceil(size / 8);
    need(bytes);
    runFlags = new Uint8Array(view.buffer, view.byteOffset + pos, bytes);
    pos += bytes;
  } else if (cookie === SERIAL_COOKIE_NO_RUNCONTAINER) {
    size = u32();
  } else {
    throw new Error(`bad Roaring cookie ${cookie}`);
  }
  const keys: number[] = [];
  const cards: number[] = [];
  for (let i = 0; i < size; i++) {
    keys.push(u16());
    cards.push(u16() + 1);
  }
  if (!runFlags || size >= NO_OFFSET_THRESHOLD) {
    need(4 * size);
    pos += 4 * size; // container offsets: containers follow in order anyway
  }
  for (let i = 0; i < size; i++) {
    const base = keys[i] << 16;
    const isRun = runFlags ? (runFlags[i >> 3] >> (i & 7)) & 1 : 0;
    if (isRun) {
      const runs = u16();
      for (let r = 0; r < runs; r++) {
        const s = u16();
        const len = u16();
        for (let v = s; v <= s + len; v++) emit(base + v);
      }
    } else if (cards[i] <= 4096) {
      for (let j = 0; j < cards[i]; j++) emit(base + u16());
    } else {
      need(8192);
      for (let w = 0; w < 2048; w++) {
        const word = view.getUint32(pos + w * 4, true);
        if (word === 0) continue;
        for (let bit = 0; bit < 32; bit++) if (word & (1 << bit)) emit(base + w * 32 + bit);
      }
      pos += 8192;
    }
  }
  return pos;
}

/** Encodes row indexes as magic + RoaringBitmapArray (array and bitmap containers). */
export function encodeRoaringBitmapArray(rows: readonly bigint[]): Uint8Array {
  const sorted = [...new Set(rows)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const byHigh = new Map<number, number[]>();
  for (const r of sorted) {
    const high = Number(r >> 32n);
    const list = byHigh.get(high) ?? [];
    list.push(Number(r & 0xffffffffn));
    byHigh.set(high, list);
  }
  const parts: Buffer[] = [];
  const head = Buffer.alloc(12);
  head.writeUInt32LE(MAGIC, 0);
  head.writeBigUInt64LE(BigInt(byHigh.size), 4);
  parts.push(head);
  for (const [high, lows] of byHigh) {
    const key = Buffer.alloc(4);
    key.writeUInt32LE(high, 0);
    parts.push(key, encodeRoaring32(lows));
  }
  return Buffer.concat(parts);
}

function encodeRoaring32(values: number[]): Buffer {
  const containers = new Map<number, number[]>();
  for (const v of values) {
    const k = v >>> 16;
    const list = containers.get(k) ?? [];
    list.push(v & 0xffff);
    containers.set(k, list);
  }
  const size = containers.size;
  const header = Buffer.alloc(8 + 4 * size + 4 * size);
  header.writeUInt32LE(SERIAL_COOKIE_NO_RUNCONTAINER, 0);
  header.writeUInt32LE(size, 4);
  const bodies: Buffer[] = [];
  let i = 0;
  let offset = header.length;
  for (const [k, lows] of containers) {
    header.writeUInt16LE(k, 8 + 4 * i);
    header.writeUInt16LE(lows.length - 1, 10 + 4 * i);
    header.writeUInt32LE(offset, 8 + 4 * size + 4 * i);
    let body: Buffer;
    if (lows.length <= 4096) {
      body = Buffer.alloc(2 * lows.length);
      lows.forEach((v, j) => body.writeUInt16LE(v, 2 * j));
    } else {
      body = Buffer.alloc(8192);
      for (const v of lows) body[v >> 3] |= 1 << (v & 7);
    }
    bodies.push(body);
    offset += body.length;
    i++;
  }
  return Buffer.concat([header, ...bodies]);
}

/** Frames bitmap data as a DV file body: version byte, size, data, CRC-32. */
export function frameDeletionVectorFile(data: Uint8Array): Uint8Array {
  const out = Buffer.alloc(1 + 4 + data.length + 4);
  out[0] = 1;
  out.writeUInt32BE(data.length, 1);
  Buffer.from(data).copy(out, 5);
  out.writeUInt32BE(crc32(data), 5 + data.length);
  return out;
}
