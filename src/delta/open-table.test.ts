// Opening a table folder through the object store: a folder is there when an
// object lies under it, so each failure is told apart by listing, not stat.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StrataError } from '../core/index.js';
import { openTableStore } from './snapshot.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'strata-open-'));

async function failure(location: string): Promise<StrataError> {
  const err = await openTableStore(location, 'lake/t').then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StrataError);
  return err as StrataError;
}

describe('openTableStore', () => {
  it('opens a folder with a log, by path or file: URL', async () => {
    const t = path.join(tmp, 'table');
    mkdirSync(path.join(t, '_delta_log'), { recursive: true });
    writeFileSync(path.join(t, '_delta_log', '00000000000000000000.json'), '{}\n');
    expect((await openTableStore(t)).root).toBe(t);
    expect((await openTableStore(`file://${t}`)).root).toBe(t);
  });

  it('a missing folder', async () => {
    const err = await failure(path.join(tmp, 'nope'));
    expect(err.code).toBe('TABLE_NOT_FOUND');
    expect(err.message).toBe('no table at lake/t: the folder does not exist');
  });

  it('a file', async () => {
    const f = path.join(tmp, 'file.parquet');
    writeFileSync(f, 'x');
    const err = await failure(f);
    expect(err.code).toBe('NOT_A_TABLE');
    expect(err.message).toBe('lake/t is not a Delta table: it is a file, not a folder');
  });

  it('a folder of files with no _delta_log (or an empty one)', async () => {
    const t = path.join(tmp, 'no-log');
    mkdirSync(path.join(t, '_delta_log'), { recursive: true });
    writeFileSync(path.join(t, 'part-0.parquet'), 'x');
    const err = await failure(t);
    expect(err.code).toBe('NOT_A_TABLE');
    expect(err.message).toBe('lake/t is not a Delta table: it has no _delta_log folder');
  });

  it('an empty folder counts as missing (keys are flat)', async () => {
    const t = path.join(tmp, 'empty');
    mkdirSync(t);
    expect((await failure(t)).code).toBe('TABLE_NOT_FOUND');
  });
});
