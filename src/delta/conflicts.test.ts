import { describe, expect, it } from 'vitest';
import type { Action } from './actions.js';
import { checkConflicts, ConcurrentModificationError, type TransactionFootprint } from './conflicts.js';

const root = '/t';
const add = (path: string): Action => ({
  add: { path, partitionValues: {}, size: 1, modificationTime: 0, dataChange: true },
});
const remove = (path: string): Action => ({ remove: { path, deletionTimestamp: 0, dataChange: true } });
const footprint = (over: Partial<TransactionFootprint> = {}): TransactionFootprint => ({
  readWholeTable: false,
  readFiles: new Set(),
  removedFiles: new Set(),
  changesMetadata: false,
  appIds: new Set(),
  ...over,
});
const check = (ours: TransactionFootprint, winning: Action[]) => () => checkConflicts('t', root, ours, winning, 5);

describe('conflict detection', () => {
  it('blind appends never conflict with appends or deletes', () => {
    expect(check(footprint(), [add('a'), remove('b')])).not.toThrow();
  });

  it('any commit conflicts with a protocol or metadata change', () => {
    expect(check(footprint(), [{ protocol: { minReaderVersion: 1, minWriterVersion: 2 } }])).toThrow(
      /changed the table protocol/,
    );
    expect(
      check(footprint(), [
        {
          metaData: {
            id: 'x',
            format: { provider: 'parquet' },
            schemaString: '',
            partitionColumns: [],
            configuration: {},
          },
        },
      ]),
    ).toThrow(ConcurrentModificationError);
  });

  it('two commits for the same application id conflict', () => {
    expect(check(footprint({ appIds: new Set(['ingest']) }), [{ txn: { appId: 'ingest', version: 3 } }])).toThrow(
      /same application id 'ingest'/,
    );
    expect(check(footprint({ appIds: new Set(['ingest']) }), [{ txn: { appId: 'other', version: 3 } }])).not.toThrow();
  });

  it('removing a file another commit removed conflicts (delete/delete)', () => {
    expect(check(footprint({ removedFiles: new Set(['/t/a']) }), [remove('a')])).toThrow(/version 5.*also removed a/);
  });

  it('reading a file another commit removed conflicts (delete/read)', () => {
    expect(check(footprint({ readFiles: new Set(['/t/a']) }), [remove('a')])).toThrow(
      /removed a, which this commit read/,
    );
    expect(check(footprint({ readFiles: new Set(['/t/a']) }), [remove('z')])).not.toThrow();
  });

  it('an overwrite (read the whole table) conflicts with a concurrent append', () => {
    expect(check(footprint({ readWholeTable: true }), [add('new')])).toThrow(/added new to data this commit read/);
  });

  it('a partition-level read conflicts only with appends to what it read', () => {
    const ours = footprint({ readWholeTable: true, readsFile: (a) => a.partitionValues.day === '1' });
    expect(
      check(ours, [
        { add: { path: 'x', partitionValues: { day: '2' }, size: 1, modificationTime: 0, dataChange: true } },
      ]),
    ).not.toThrow();
    expect(
      check(ours, [
        { add: { path: 'y', partitionValues: { day: '1' }, size: 1, modificationTime: 0, dataChange: true } },
      ]),
    ).toThrow();
  });

  it('compaction-style adds (dataChange false) do not conflict with readers', () => {
    expect(
      check(footprint({ readWholeTable: true }), [
        { add: { path: 'c', partitionValues: {}, size: 1, modificationTime: 0, dataChange: false } },
      ]),
    ).not.toThrow();
  });
});
