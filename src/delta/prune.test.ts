import { describe, expect, it } from 'vitest';
import { LocalStore } from '../storage/index.js';
import type { AddAction } from './actions.js';
import { pruneFiles, type Predicate } from './prune.js';
import { parseSchema } from './schema.js';
import type { Snapshot } from './snapshot.js';

const schema = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: true, metadata: {} },
    { name: 'city', type: 'string', nullable: true, metadata: {} },
    { name: 'day', type: 'date', nullable: true, metadata: {} },
    { name: 'ts', type: 'timestamp', nullable: true, metadata: {} },
    { name: 'channel', type: 'string', nullable: true, metadata: {} },
  ],
};

function file(path: string, channel: string | null, stats?: object): AddAction {
  return {
    path,
    partitionValues: { channel },
    size: 1,
    modificationTime: 0,
    dataChange: true,
    stats: stats ? JSON.stringify(stats) : undefined,
  };
}

const files = [
  file('a', 'online', {
    numRecords: 10,
    minValues: { id: 1, city: 'Berlin', day: '2024-01-01', ts: '2024-01-01T00:00:00.000Z' },
    maxValues: { id: 10, city: 'Paris', day: '2024-01-31', ts: '2024-01-31T23:59:59.999Z' },
    nullCount: { id: 0, city: 0, day: 0, ts: 0 },
  }),
  file('b', 'retail', {
    numRecords: 10,
    minValues: { id: 11, city: 'Rome', day: '2024-02-01' },
    maxValues: { id: 20, city: 'Zurich', day: '2024-02-29' },
    nullCount: { id: 0, city: 10, day: 0 },
  }),
  file('c', null, { numRecords: 5, minValues: {}, maxValues: {}, nullCount: { id: 5 } }),
  file('d', 'online'), // no stats: always read
];

const snapshot = {
  table: 't',
  store: new LocalStore('/tmp'),
  version: 0,
  timestamp: 0,
  protocol: { minReaderVersion: 1, minWriterVersion: 2 },
  metadata: {
    id: 'x',
    format: { provider: 'parquet' },
    schemaString: JSON.stringify(schema),
    partitionColumns: ['channel'],
    configuration: {},
  },
  schema: parseSchema(JSON.stringify(schema), 't'),
  partitionColumns: ['channel'],
  columnMapping: 'none',
  files,
  tombstones: [],
  txns: new Map(),
  domains: new Map(),
} as Snapshot;

const kept = (p: Predicate) => pruneFiles(snapshot, p).map((f) => f.path);

describe('file skipping', () => {
  it('keeps only files whose min/max range can hold the value', () => {
    expect(kept({ kind: 'cmp', column: 'id', op: '=', value: 15n })).toEqual(['b', 'd']);
    expect(kept({ kind: 'cmp', column: 'id', op: '>', value: 10n })).toEqual(['b', 'd']);
    expect(kept({ kind: 'cmp', column: 'id', op: '>=', value: 10n })).toEqual(['a', 'b', 'd']);
    expect(kept({ kind: 'cmp', column: 'id', op: '<', value: 1n })).toEqual(['d']);
  });

  it('skips files where the column is all NULL, and uses null counts for IS NULL', () => {
    // b's city is all NULL; c has no city stats at all, so it must be read.
    expect(kept({ kind: 'cmp', column: 'city', op: '=', value: 'Rome' })).toEqual(['c', 'd']);
    expect(kept({ kind: 'null', column: 'city', negated: false })).toEqual(['b', 'c', 'd']);
    expect(kept({ kind: 'null', column: 'id', negated: true })).toEqual(['a', 'b', 'd']);
  });

  it('prunes partitions exactly, NULL partitions only by IS NULL', () => {
    expect(kept({ kind: 'cmp', column: 'channel', op: '=', value: 'online' })).toEqual(['a', 'd']);
    expect(kept({ kind: 'cmp', column: 'CHANNEL', op: '<>', value: 'online' })).toEqual(['b']);
    expect(kept({ kind: 'null', column: 'channel', negated: false })).toEqual(['c']);
    expect(kept({ kind: 'in', column: 'channel', values: ['retail', 'web'] })).toEqual(['b']);
  });

  it('compares dates and timestamps, widening millisecond max stats', () => {
    expect(kept({ kind: 'cmp', column: 'day', op: '>=', value: '2024-02-15' })).toEqual(['b', 'c', 'd']);
    // ts max is .999 ms; a value within that last millisecond must not be skipped.
    expect(kept({ kind: 'cmp', column: 'ts', op: '=', value: '2024-01-31 23:59:59.999500' })).toContain('a');
    expect(kept({ kind: 'cmp', column: 'ts', op: '>', value: '2024-02-01T00:00:01Z' })).not.toContain('a');
  });

  it('combines AND and OR conservatively', () => {
    const online: Predicate = { kind: 'cmp', column: 'channel', op: '=', value: 'online' };
    const late: Predicate = { kind: 'cmp', column: 'id', op: '>', value: 15n };
    expect(kept({ kind: 'and', items: [online, late] })).toEqual(['d']);
    expect(kept({ kind: 'or', items: [online, late] })).toEqual(['a', 'b', 'd']);
  });

  it('keeps every file for unknown columns or incomparable literals', () => {
    expect(kept({ kind: 'cmp', column: 'nope', op: '=', value: 1n })).toEqual(['a', 'b', 'c', 'd']);
    // c is still skipped: its id is all NULL, so no comparison can be true.
    expect(kept({ kind: 'cmp', column: 'id', op: '=', value: 'not a number' })).toEqual(['a', 'b', 'd']);
  });
});
