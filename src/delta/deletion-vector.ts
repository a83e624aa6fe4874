// Deletion vectors (PROTOCOL.md, "Deletion Vectors"): the row indexes of a data
// file that are deleted, as a 64-bit Roaring bitmap ("RoaringBitmapArray",
// portable format), stored inline in the log (Z85 text) or in a .bin file
// beside the data, framed by a size and a CRC-32.
import { randomUUID } from 'node:crypto';
import * as zlib from 'node:zlib';
import { StrataError } from '../core/index.js';
import { objectAt, type ObjectStore } from '../storage/index.js';
import type { AddAction, DeletionVectorDescriptor } from './actions.js';

export type { DeletionVectorDescriptor } from './actions.js';

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

/** The deleted row indexes of a data file, ascending (as numbers: exact below 2^53). */
export async function readDeletionVector(
  store: ObjectStore,
  dv: DeletionVectorDescriptor,
  table: string,
): Promise<Float64Array> {
  return expandRuns(await readDeletionVectorRuns(store, dv, table));
}

/** The deleted rows of a data file as ascending runs [first, last] of consecutive row indexes. */
export async function readDeletionVectorRuns(
  store: ObjectStore,
  dv: DeletionVectorDescriptor,
  table: string,
): Promise<[number, number][]> {
  const where = describe(dv);
  const fail = (what: string, cause?: unknown): never => {
    throw new StrataError('DELETION_VECTOR_INVALID', `deletion vector ${where} of table ${table}: ${what}`, {
      cause,
      context: { table, file: where },
    });
  };
  let data: Uint8Array;
  if (dv.storageType === 'i') {
    try {
      data = z85Decode(dv.pathOrInlineDv).subarray(0, dv.sizeInBytes);
    } catch (err) {
      return fail(`inline data is not valid Z85 (${(err as Error).message})`, err);
    }
  } else if (dv.storageType === 'u' || dv.storageType === 'p') {
    data = await readFramed(store, dv, fail);
  } else {
    return fail(`unknown storage type '${dv.storageType}'`);
  }
  let runs: [number, number][];
  try {
    runs = decodeRoaringRuns(data);
  } catch (err) {
    return fail((err as Error).message, err);
  }
  const cardinality = runs.reduce((n, [lo, hi]) => n + hi - lo + 1, 0);
  if (cardinality !== dv.cardinality) fail(`holds ${cardinality} rows but the log says ${dv.cardinality}`);
  return runs;
}

/** Runs [first, last] to the row indexes they hold. */
export function expandRuns(runs: readonly (readonly [number, number])[]): Float64Array {
  const out = new Float64Array(runs.reduce((n, [lo, hi]) => n + hi - lo + 1, 0));
  let at = 0;
  for (const [lo, hi] of runs) for (let v = lo; v <= hi; v++) out[at++] = v;
  return out;
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
async function readFramed(
  store: ObjectStore,
  dv: DeletionVectorDescriptor,
  fail: (what: string, cause?: unknown) => never,
): Promise<Uint8Array> {
  const offset = dv.offset ?? 1; // after the format version byte
  let framed: Uint8Array;
  try {
    if (dv.storageType === 'u') {
      framed = await store.getRange(relativeDvPath(dv.pathOrInlineDv), offset, dv.sizeInBytes + 8);
    } else {
      // 'p': an absolute path or URI, perhaps outside the table: read through the store that holds it.
      const at = objectAt(dv.pathOrInlineDv);
      framed = await at.store.getRange(at.key, offset, dv.sizeInBytes + 8);
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
  if (stored !== computed)
    fail(`checksum mismatch (stored 0x${stored.toString(16)}, computed 0x${computed.toString(16)})`);
  return data;
}

function crc32(data: Uint8Array): number {
  return (zlib as unknown as { crc32(d: Uint8Array): number }).crc32(data) >>> 0;
}

/** Decodes magic + RoaringBitmapArray (portable) into sorted row indexes. */
export function decodeRoaringBitmapArray(data: Uint8Array): Float64Array {
  return expandRuns(decodeRoaringRuns(data));
}

/** Decodes magic + RoaringBitmapArray (portable) into ascending runs [first, last] of row indexes. */
export function decodeRoaringRuns(data: Uint8Array): [number, number][] {
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
  // Row indexes as numbers: exact below 2^53, far beyond any file's row count.
  const runs: [number, number][] = [];
  const emit = (lo: number, hi: number) => {
    const last = runs[runs.length - 1];
    if (last && lo === last[1] + 1) last[1] = hi;
    else if (last && lo <= last[1]) throw new Error('bitmap values are not ascending');
    else runs.push([lo, hi]);
  };
  for (let b = 0; b < count; b++) {
    need(4);
    const high = view.getUint32(pos, true) * 2 ** 32;
    pos += 4;
    const at = { pos };
    decodeRoaring32(view, at, (lo, hi) => emit(high + lo, high + hi));
    pos = at.pos;
  }
  return runs;
}

/** One portable 32-bit Roaring bitmap at `at.pos`, emitted as runs; advances `at.pos`. */
function decodeRoaring32(view: DataView, at: { pos: number }, emit: (lo: number, hi: number) => void): void {
  const need = (n: number) => {
    if (at.pos + n > view.byteLength)
      throw new Error(`bitmap data is truncated (needs ${at.pos + n} bytes, has ${view.byteLength})`);
  };
  const u16 = () => {
    need(2);
    const v = view.getUint16(at.pos, true);
    at.pos += 2;
    return v;
  };
  const u32 = () => {
    need(4);
    const v = view.getUint32(at.pos, true);
    at.pos += 4;
    return v;
  };
  const cookie = u32();
  let size: number;
  let runFlags: Uint8Array | undefined;
  if ((cookie & 0xffff) === SERIAL_COOKIE) {
    size = (cookie >>> 16) + 1;
    const bytes = Math.ceil(size / 8);
    need(bytes);
    runFlags = new Uint8Array(view.buffer, view.byteOffset + at.pos, bytes);
    at.pos += bytes;
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
    at.pos += 4 * size; // container offsets: containers follow in order anyway
  }
  for (let i = 0; i < size; i++) {
    const base = keys[i] * 65536; // not << 16: keys from 32768 up would turn negative
    const isRun = runFlags ? (runFlags[i >> 3] >> (i & 7)) & 1 : 0;
    if (isRun) {
      const runs = u16();
      for (let r = 0; r < runs; r++) {
        const start = u16();
        const len = u16();
        emit(base + start, base + start + len);
      }
    } else if (cards[i] <= 4096) {
      need(2 * cards[i]);
      let lo = -1;
      let hi = -2;
      for (let j = 0; j < cards[i]; j++) {
        const v = view.getUint16(at.pos + 2 * j, true);
        if (v === hi + 1) hi = v;
        else {
          if (lo >= 0) emit(base + lo, base + hi);
          lo = hi = v;
        }
      }
      if (lo >= 0) emit(base + lo, base + hi);
      at.pos += 2 * cards[i];
    } else {
      need(8192);
      let start = -1; // start of the open run of set bits
      for (let w = 0; w < 2048; w++) {
        const word = view.getUint32(at.pos + w * 4, true);
        if (word === 0xffffffff) {
          if (start < 0) start = w * 32;
          continue;
        }
        if (word === 0 && start < 0) continue;
        for (let bit = 0; bit < 32; bit++) {
          const v = w * 32 + bit;
          if (word & (1 << bit)) {
            if (start < 0) start = v;
          } else if (start >= 0) {
            emit(base + start, base + v - 1);
            start = -1;
          }
        }
      }
      if (start >= 0) emit(base + start, base + 65535);
      at.pos += 8192;
    }
  }
}

/** Row indexes sorted ascending without repeats, as numbers. */
export function sortedRows(rows: Iterable<number | bigint> | ArrayLike<number | bigint>): Float64Array {
  let all: Float64Array;
  if (rows instanceof Float64Array) all = rows;
  else if ('length' in rows) {
    all = new Float64Array(rows.length);
    for (let i = 0; i < rows.length; i++) all[i] = Number(rows[i]);
  } else all = Float64Array.from(rows, Number);
  let ordered = true;
  let repeats = false;
  for (let i = 1; i < all.length && ordered; i++) {
    ordered = all[i - 1] <= all[i];
    repeats ||= all[i - 1] === all[i];
  }
  if (ordered && !repeats) return all;
  const sorted = all === rows ? all.slice().sort() : all.sort(); // never reorder the caller's array
  let n = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[n - 1]) sorted[n++] = sorted[i];
  return sorted.subarray(0, n);
}

/** Encodes row indexes as magic + RoaringBitmapArray (array and bitmap containers). */
export function encodeRoaringBitmapArray(rows: Iterable<number | bigint>): Uint8Array {
  return encodeRoaringRuns(toRuns(sortedRows(rows)));
}

/** Encodes sorted, disjoint runs [first, last] of row indexes as magic + RoaringBitmapArray. */
export function encodeRoaringRuns(runs: readonly (readonly [number, number])[]): Uint8Array {
  // Split the runs at 2^16 boundaries: each piece lies in one container (high 48 bits).
  const containers: { key: number; pieces: [number, number][]; cardinality: number }[] = [];
  for (const [first, last] of runs) {
    for (let lo = first; lo <= last;) {
      const key = Math.floor(lo / 65536);
      const hi = Math.min(last, key * 65536 + 65535);
      const c = containers[containers.length - 1];
      const piece: [number, number] = [lo - key * 65536, hi - key * 65536];
      if (c && c.key === key) {
        c.pieces.push(piece);
        c.cardinality += hi - lo + 1;
      } else containers.push({ key, pieces: [piece], cardinality: hi - lo + 1 });
      lo = hi + 1;
    }
  }
  const parts: Buffer[] = [];
  const head = Buffer.alloc(12);
  head.writeUInt32LE(MAGIC, 0);
  parts.push(head);
  let buckets = 0;
  for (let i = 0; i < containers.length;) {
    // One 32-bit bitmap per distinct high 32 bits (2^16 containers).
    const high = Math.floor(containers[i].key / 65536);
    let j = i;
    while (j < containers.length && Math.floor(containers[j].key / 65536) === high) j++;
    const key = Buffer.alloc(4);
    key.writeUInt32LE(high, 0);
    parts.push(key, encodeRoaring32(containers.slice(i, j)));
    buckets++;
    i = j;
  }
  head.writeBigUInt64LE(BigInt(buckets), 4);
  return Buffer.concat(parts);
}

/** A portable 32-bit Roaring bitmap (no run containers, as Spark writes small ones). */
function encodeRoaring32(containers: { key: number; pieces: [number, number][]; cardinality: number }[]): Buffer {
  const size = containers.length;
  const header = Buffer.alloc(8 + 4 * size + 4 * size);
  header.writeUInt32LE(SERIAL_COOKIE_NO_RUNCONTAINER, 0);
  header.writeUInt32LE(size, 4);
  const bodies: Buffer[] = [];
  let offset = header.length;
  containers.forEach((c, i) => {
    header.writeUInt16LE(c.key % 65536, 8 + 4 * i);
    header.writeUInt16LE(c.cardinality - 1, 10 + 4 * i);
    header.writeUInt32LE(offset, 8 + 4 * size + 4 * i);
    let body: Buffer;
    if (c.cardinality <= 4096) {
      body = Buffer.alloc(2 * c.cardinality);
      let at = 0;
      for (const [lo, hi] of c.pieces) for (let v = lo; v <= hi; v++, at += 2) body.writeUInt16LE(v, at);
    } else {
      body = Buffer.alloc(8192);
      for (const [lo, hi] of c.pieces) {
        let v = lo;
        for (; v <= hi && v & 7; v++) body[v >> 3] |= 1 << (v & 7);
        if (hi - v >= 8) {
          const end = (hi + 1) >> 3; // whole bytes [v/8, end)
          body.fill(0xff, v >> 3, end);
          v = end << 3;
        }
        for (; v <= hi; v++) body[v >> 3] |= 1 << (v & 7);
      }
    }
    bodies.push(body);
    offset += body.length;
  });
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

/** Rows of one data file to mark deleted: runs [first, last] of physical row indexes (`file_row_number`). */
export interface RowsToDelete {
  file: AddAction;
  runs: readonly (readonly [number, number])[];
}

/** Sorted row indexes as runs [first, last] of consecutive rows. */
export function toRuns(rows: ArrayLike<number>): [number, number][] {
  const runs: [number, number][] = [];
  for (let i = 0; i < rows.length;) {
    let j = i;
    while (j + 1 < rows.length && rows[j + 1] === rows[j] + 1) j++;
    runs.push([rows[i], rows[j]]);
    i = j + 1;
  }
  return runs;
}

/** The union of runs, sorted, overlapping and adjacent runs joined. */
export function unionRuns(...lists: (readonly (readonly [number, number])[])[]): [number, number][] {
  const all = lists
    .flat()
    .slice()
    .sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of all) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

export interface DeletionVectorWrite {
  /** The files again, each with its new deletion vector (old and new rows). */
  adds: AddAction[];
  /** Files whose every row is now deleted: removed, no new entry. */
  emptied: AddAction[];
  /** The DV file written (relative to the table), if any — delete it if the commit fails. */
  path?: string;
}

/**
 * Writes the deletion vectors of one commit into one new file, as Spark does:
 * `deletion_vector_<uuid>.bin` beside the data, holding a version byte then,
 * per file, `size | RoaringBitmapArray | CRC-32`. A file's old deletion vector
 * is read and merged in. The returned entries re-add each file (same path) with
 * its new descriptor; their stats become wide (`tightBounds: false`) since they
 * still count the deleted rows.
 */
export async function writeDeletionVectors(
  store: ObjectStore,
  table: string,
  entries: RowsToDelete[],
): Promise<DeletionVectorWrite> {
  const adds: AddAction[] = [];
  const emptied: AddAction[] = [];
  const frames: Buffer[] = [Buffer.from([1])];
  let offset = 1;
  const uuid = randomUUID();
  const pathOrInlineDv = z85Encode(Buffer.from(uuid.replace(/-/g, ''), 'hex'));
  for (const { file, runs } of entries) {
    if (runs.length === 0) continue;
    const old = file.deletionVector ? await readDeletionVectorRuns(store, file.deletionVector, table) : [];
    const all = unionRuns(old, runs);
    const data = encodeRoaringRuns(all);
    const cardinality = all.reduce((n, [lo, hi]) => n + hi - lo + 1, 0);
    const stats = parseStats(file.stats);
    if (stats?.numRecords !== undefined && cardinality >= stats.numRecords) {
      emptied.push(file);
      continue;
    }
    const frame = Buffer.alloc(4 + data.length + 4);
    frame.writeUInt32BE(data.length, 0);
    Buffer.from(data).copy(frame, 4);
    frame.writeUInt32BE(crc32(data), 4 + data.length);
    frames.push(frame);
    const deletionVector: DeletionVectorDescriptor = {
      storageType: 'u',
      pathOrInlineDv,
      offset,
      sizeInBytes: data.length,
      cardinality,
    };
    offset += frame.length;
    adds.push({
      ...file,
      dataChange: true,
      ...(stats ? { stats: JSON.stringify({ ...stats, tightBounds: false }) } : {}),
      deletionVector,
    });
  }
  if (adds.length === 0) return { adds, emptied };
  const relative = relativeDvPath(pathOrInlineDv);
  await store.putIfAbsent(relative, Buffer.concat(frames));
  return { adds, emptied, path: relative };
}

function parseStats(stats: string | null | undefined): { numRecords?: number; [k: string]: unknown } | undefined {
  if (!stats) return undefined;
  try {
    return JSON.parse(stats) as { numRecords?: number };
  } catch {
    return undefined;
  }
}
