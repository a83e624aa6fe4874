import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StrataError } from '../core/index.js';
import { LocalStore } from '../storage/index.js';
import {
  decodeRoaringBitmapArray,
  encodeRoaringBitmapArray,
  frameDeletionVectorFile,
  readDeletionVector,
  relativeDvPath,
  z85Decode,
  z85Encode,
  encodeRoaringRuns,
  toRuns,
  unionRuns,
  writeDeletionVectors,
  type DeletionVectorDescriptor,
} from './deletion-vector.js';

const CORPUS = path.resolve(process.env.STRATA_CONFORMANCE_DIR ?? '../shared/conformance/delta');
const SMALL = path.join(CORPUS, 'kernel-rs-data/table-with-dv-small/delta');
// From that table's log: DELETE value IN (0, 9) on a 10-row file.
const SMALL_DV: DeletionVectorDescriptor = {
  storageType: 'u',
  pathOrInlineDv: 'vBn[lx{q8@P<9BNH/isA',
  offset: 1,
  sizeInBytes: 36,
  cardinality: 2,
};

async function failure(p: Promise<unknown>): Promise<StrataError> {
  const err = (await p.catch((e: unknown) => e)) as StrataError;
  expect(err).toBeInstanceOf(StrataError);
  expect(err.code).toBe('DELETION_VECTOR_INVALID');
  return err;
}

describe('deletion vectors', () => {
  it('derives the file of a UUID descriptor as Spark named it', () => {
    expect(relativeDvPath(SMALL_DV.pathOrInlineDv)).toBe('deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin');
    expect(relativeDvPath(`ab${SMALL_DV.pathOrInlineDv}`)).toBe(
      'ab/deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin',
    );
  });

  it('writes the same bytes Spark wrote for the same rows, and merges an old vector', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dv-write-'));
    const store = new LocalStore(dir);
    const file = {
      path: 'part-0.parquet',
      partitionValues: {},
      size: 635,
      modificationTime: 1,
      dataChange: true,
      stats: '{"numRecords":10,"minValues":{"value":0},"maxValues":{"value":9},"nullCount":{"value":0}}',
    };
    const written = await writeDeletionVectors(store, 't', [
      {
        file,
        runs: [
          [0, 0],
          [9, 9],
        ],
      },
    ]);
    expect(written.emptied).toEqual([]);
    const dv = written.adds[0].deletionVector!;
    expect(dv).toMatchObject({ storageType: 'u', offset: 1, sizeInBytes: 36, cardinality: 2 });
    expect(JSON.parse(written.adds[0].stats!).tightBounds).toBe(false);
    // The whole file — version byte, size, bitmap, CRC — is byte for byte Spark's.
    const spark = readFileSync(path.join(SMALL, relativeDvPath(SMALL_DV.pathOrInlineDv)));
    expect(Buffer.from(readFileSync(path.join(dir, written.path!)))).toEqual(spark);
    // A second delete on the file keeps the first one's rows; deleting the rest empties it.
    const again = await writeDeletionVectors(store, 't', [{ file: written.adds[0], runs: [[4, 4]] }]);
    expect([...(await readDeletionVector(store, again.adds[0].deletionVector!, 't'))]).toEqual([0, 4, 9]);
    const rest = await writeDeletionVectors(store, 't', [
      {
        file: again.adds[0],
        runs: [
          [1, 3],
          [5, 8],
        ],
      },
    ]);
    expect(rest.adds).toEqual([]);
    expect(rest.emptied).toEqual([again.adds[0]]);
  });

  it('reads a Spark-written DV file: rows 0 and 9 are deleted', async () => {
    const rows = await readDeletionVector(new LocalStore(SMALL), SMALL_DV, 't');
    expect([...rows]).toEqual([0, 9]);
  });

  it('reads inline DVs (Z85 of the bitmap data)', async () => {
    const data = encodeRoaringBitmapArray([3n, 5n, 70000n]);
    const padded = new Uint8Array(Math.ceil(data.length / 4) * 4);
    padded.set(data);
    const dv: DeletionVectorDescriptor = {
      storageType: 'i',
      pathOrInlineDv: z85Encode(padded),
      sizeInBytes: data.length,
      cardinality: 3,
    };
    expect([...(await readDeletionVector(new LocalStore('/tmp'), dv, 't'))]).toEqual([3, 5, 70000]);
  });

  it('Z85 round-trips and matches the ZeroMQ reference vector', () => {
    // ZeroMQ RFC 32: 0x86 0x4F 0xD2 0x6F 0xB5 0x59 0xF7 0x5B encodes to "HelloWorld".
    const bytes = new Uint8Array([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]);
    expect(z85Encode(bytes)).toBe('HelloWorld');
    expect([...z85Decode('HelloWorld')]).toEqual([...bytes]);
  });

  it('joins runs of rows', () => {
    expect(toRuns([1, 2, 3, 7, 9, 10])).toEqual([
      [1, 3],
      [7, 7],
      [9, 10],
    ]);
    expect(
      unionRuns(
        [
          [0, 0],
          [9, 9],
        ],
        [
          [1, 3],
          [8, 8],
          [20, 30],
        ],
        [[25, 40]],
      ),
    ).toEqual([
      [0, 3],
      [8, 9],
      [20, 40],
    ]);
  });

  it('encodes runs across container and 2^32 boundaries', () => {
    const runs: [number, number][] = [
      [65530, 65545],
      [70000, 80000],
      [2 ** 32 - 3, 2 ** 32 + 2],
    ];
    const rows = runs.flatMap(([lo, hi]) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i));
    expect([...decodeRoaringBitmapArray(encodeRoaringRuns(runs))]).toEqual(rows);
  });

  it('round-trips bitmaps: sparse, dense (bitmap containers), above 2^31 and 2^32', () => {
    const rows = [0n, 1n, 65535n, 65536n, 2n ** 31n + 5n, 2n ** 32n - 1n, 2n ** 32n + 7n, 2n ** 40n];
    for (let i = 100000n; i < 110000n; i++) rows.push(i); // > 4096 in one container
    const decoded = decodeRoaringBitmapArray(encodeRoaringBitmapArray(rows));
    expect([...decoded]).toEqual([...new Set(rows)].sort((a, b) => (a < b ? -1 : 1)).map(Number));
  });

  it('decodes run containers (the format Spark writes for ranges)', () => {
    // Portable format with the run cookie: 1 container, key 0, one run 10..14.
    const roaring = Buffer.alloc(4 + 1 + 4 + 2 + 4);
    roaring.writeUInt32LE(12347 | (0 << 16), 0); // SERIAL_COOKIE, size - 1 = 0
    roaring[4] = 1; // container 0 is a run container
    roaring.writeUInt16LE(0, 5); // key
    roaring.writeUInt16LE(4, 7); // cardinality - 1
    roaring.writeUInt16LE(1, 9); // one run
    roaring.writeUInt16LE(10, 11); // start
    roaring.writeUInt16LE(4, 13); // length - 1
    const head = Buffer.alloc(16);
    head.writeUInt32LE(1681511377, 0);
    head.writeBigUInt64LE(1n, 4);
    head.writeUInt32LE(0, 12);
    expect([...decodeRoaringBitmapArray(Buffer.concat([head, roaring.subarray(0, 15)]))]).toEqual([10, 11, 12, 13, 14]);
  });

  describe('malformed', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'strata-dv-'));
    const file = path.join(dir, 'deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin');
    const store = new LocalStore(dir);
    const original = readFileSync(path.join(SMALL, 'deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin'));

    it('a checksum mismatch names the file', async () => {
      const bad = Buffer.from(original);
      bad[10] ^= 0xff;
      writeFileSync(file, bad);
      const err = await failure(readDeletionVector(store, SMALL_DV, 'lake/t'));
      expect(err.message).toMatch(
        /deletion vector deletion_vector_61d16c75.*\.bin of table lake\/t: checksum mismatch/,
      );
    });

    it('a truncated file', async () => {
      writeFileSync(file, original.subarray(0, 20));
      const err = await failure(readDeletionVector(store, SMALL_DV, 'lake/t'));
      expect(err.message).toMatch(/expected 44 bytes at offset 1/);
    });

    it('a size that disagrees with the log', async () => {
      cpSync(path.join(SMALL, 'deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin'), file);
      const err = await failure(readDeletionVector(store, { ...SMALL_DV, sizeInBytes: 30 }, 'lake/t'));
      expect(err.message).toMatch(/the file says 36 bytes at offset 1, the log says 30/);
    });

    it('a cardinality that disagrees with the log', async () => {
      const err = await failure(readDeletionVector(store, { ...SMALL_DV, cardinality: 3 }, 'lake/t'));
      expect(err.message).toMatch(/holds 2 rows but the log says 3/);
    });

    it('a bad magic number', async () => {
      const data = Buffer.from(encodeRoaringBitmapArray([1n]));
      data.writeUInt32LE(42, 0);
      writeFileSync(file, frameDeletionVectorFile(data));
      const err = await failure(
        readDeletionVector(store, { ...SMALL_DV, sizeInBytes: data.length, cardinality: 1 }, 'lake/t'),
      );
      expect(err.message).toMatch(/bad magic number 42/);
    });

    it('a missing file', async () => {
      const err = await failure(readDeletionVector(new LocalStore(path.join(dir, 'nope')), SMALL_DV, 'lake/t'));
      expect(err.message).toMatch(/cannot read the file/);
    });
  });
});
