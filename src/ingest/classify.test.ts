// hashFile counts a file's non-empty lines in the pass that hashes it (the CSV reconciliation
// needs them, and a second read of a big file costs as much as the load): line ends as DuckDB's
// CSV reader sees them (LF, CRLF, a lone CR), a gzip file's decompressed lines, none for other
// compressions (their bytes are not text).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { hashFile } from './classify.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-hash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hashFile', () => {
  it.each([
    ['a\nb\n', 2],
    ['a\n\nb', 2],
    ['\n\n', 0],
    ['a\r\nb\r\n\r\n', 2],
    ['a\rb\r\n c', 3],
    ['', 0],
    ['x', 1],
    ['a\n\r\n  \n', 2],
  ])('counts the non-empty lines of %j: %i', async (text, lines) => {
    const file = path.join(dir, `f${lines}-${text.length}.csv`);
    writeFileSync(file, text);
    expect((await hashFile(file)).lines).toBe(lines);
  });

  it('counts across read chunks, and in gzip files after decompressing; not in zstd files', async () => {
    const text = `id,name\n${Array.from({ length: 300_000 }, (_, i) => `${i},name ${i}`).join('\n')}\n`;
    writeFileSync(path.join(dir, 'big.csv'), text);
    writeFileSync(path.join(dir, 'big.csv.gz'), gzipSync(text));
    writeFileSync(path.join(dir, 'big.csv.zst'), 'not text');
    expect((await hashFile(path.join(dir, 'big.csv'))).lines).toBe(300_001);
    expect((await hashFile(path.join(dir, 'big.csv.gz'))).lines).toBe(300_001);
    expect((await hashFile(path.join(dir, 'big.csv.zst'))).lines).toBeUndefined();
  });
});
