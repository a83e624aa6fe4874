import { describe, expect, it } from 'vitest';
import { StrataError } from '../core/index.js';
import { buildSegment, parseListing, versionStem } from './log-segment.js';

const entry = (name: string) => ({ key: `_delta_log/${name}`, size: 1, modified: 0 });
const commit = (v: number) => entry(`${versionStem(v)}.json`);

describe('log segment', () => {
  it('uses commits 0..n when there is no checkpoint', () => {
    const listing = parseListing([commit(0), commit(1), commit(2)], 't');
    const seg = buildSegment(listing, 't');
    expect(seg.version).toBe(2);
    expect(seg.checkpoint).toBeUndefined();
    expect(seg.commits.map((c) => c.version)).toEqual([0, 1, 2]);
  });

  it('starts from the newest checkpoint at or below the wanted version', () => {
    const entries = [0, 1, 2, 3, 4, 5].map(commit);
    entries.push(entry(`${versionStem(2)}.checkpoint.parquet`), entry(`${versionStem(4)}.checkpoint.parquet`));
    const listing = parseListing(entries, 't');
    expect(buildSegment(listing, 't').checkpoint?.version).toBe(4);
    expect(buildSegment(listing, 't').commits.map((c) => c.version)).toEqual([5]);
    const at3 = buildSegment(listing, 't', 3);
    expect(at3.checkpoint?.version).toBe(2);
    expect(at3.commits.map((c) => c.version)).toEqual([3]);
  });

  it('ignores an incomplete multi-part checkpoint', () => {
    const entries = [0, 1, 2].map(commit);
    entries.push(entry(`${versionStem(1)}.checkpoint.0000000001.0000000002.parquet`));
    const listing = parseListing(entries, 't');
    expect(buildSegment(listing, 't').checkpoint).toBeUndefined();
    entries.push(entry(`${versionStem(1)}.checkpoint.0000000002.0000000002.parquet`));
    const full = buildSegment(parseListing(entries, 't'), 't');
    expect(full.checkpoint?.kind).toBe('multi-part');
    expect(full.checkpoint?.keys).toHaveLength(2);
  });

  it('reports a gap in versions naming the missing commit', () => {
    const listing = parseListing([commit(0), commit(1), commit(3)], 'lake/t');
    expect(() => buildSegment(listing, 'lake/t')).toThrowError(/lake\/t.*00000000000000000002\.json is missing/);
  });

  it('refuses a version beyond the latest, naming both', () => {
    const listing = parseListing([commit(0), commit(1)], 't');
    expect(() => buildSegment(listing, 't', 7)).toThrowError(/version 7 does not exist; the latest version is 1/);
  });

  it('refuses a version whose log was cleaned up', () => {
    const entries = [5, 6].map(commit);
    const listing = parseListing(entries, 't');
    try {
      buildSegment(listing, 't', 6);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(StrataError);
      expect((err as StrataError).code).toBe('VERSION_NOT_FOUND');
      expect((err as Error).message).toMatch(/log starts at version 5/);
    }
  });

  it('says an empty log is not a table', () => {
    expect(() => parseListing([entry('foo.txt')], 't')).toThrowError(/not a Delta table/);
  });
});
