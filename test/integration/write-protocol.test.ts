// Protocol duties of the writer: features it cannot write are refused by name,
// type widening is recorded as the protocol requires, app transactions make
// retried writes idempotent, lost commit races are retried, old logs expire
// only behind a checkpoint, and tables Spark wrote round-trip through our writer.
import { cpSync, readdirSync, utimesSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  blindAppendFootprint,
  cleanUpExpiredLogs,
  commit,
  createTable,
  loadSnapshot,
  writeTable,
} from '../../src/delta/index.js';
import { quoteLiteral } from '../../src/engine/index.js';
import { LocalStore } from '../../src/storage/index.js';
import { executeQuery } from '../../src/sql/index.js';
import { useTestBed } from '../helpers/harness.js';
import { expectValidLog, readLog } from '../helpers/delta-log.js';

const CORPUS = path.resolve(process.env.STRATA_CONFORMANCE_DIR ?? '../shared/conformance/delta');
const bed = useTestBed('wproto');
const sql = (q: string, settings?: Map<string, string>) =>
  bed.engine.withSession((s) => executeQuery(s, q, { baseDir: bed.dir, settings }));

describe('writer protocol duties', () => {
  it('refuses to write a table with a writer feature it does not implement, naming it', async () => {
    const t = path.join(bed.dir, 'v2cp');
    cpSync(path.join(CORPUS, 'kernel-rs-data/v2-checkpoints-parquet-without-sidecars/delta'), t, { recursive: true });
    const before = readLog(t).at(-1)!.version;
    await expect(sql(`INSERT INTO delta.\`${t}\` VALUES (1)`)).rejects.toThrow(
      /uses the writer feature 'v2Checkpoint', which Strata cannot write yet/,
    );
    expect(readLog(t).at(-1)!.version).toBe(before);
  });

  it('deletes from a table Databricks wrote with deletion vectors, merging its vector with ours', async () => {
    // The table holds 0..9 with 0 and 9 deleted by Databricks (a DV file beside the data).
    const t = path.join(bed.dir, 'dv');
    cpSync(path.join(CORPUS, 'kernel-rs-data/table-with-dv-small/delta'), t, { recursive: true });
    const r = await sql(`DELETE FROM delta.\`${t}\` WHERE value IN (3, 4, 9)`);
    expect(r.rows[0][1]).toBe(2); // 9 was already gone
    expect((await sql(`SELECT list(value ORDER BY value) FROM delta.\`${t}\``)).rows[0][0]).toEqual([1, 2, 5, 6, 7, 8]);
    const last = readLog(t).at(-1)!.actions;
    const add = last.find((a) => a.add)!.add;
    expect(add.deletionVector).toMatchObject({ storageType: 'u', cardinality: 4 });
    expect(last.find((a) => a.remove)!.remove.deletionVector.pathOrInlineDv).toBe('vBn[lx{q8@P<9BNH/isA');
    expect(last.find((a) => a.commitInfo)!.commitInfo.operationMetrics).toMatchObject({
      numDeletedRows: '2',
      numCopiedRows: '0',
      numRemovedFiles: '0',
      numDeletionVectorsAdded: '1',
      numDeletionVectorsRemoved: '1',
    });
    // The earlier version still reads Databricks' own vector.
    expect((await sql(`SELECT count(*) FROM delta_scan('${t}', version => 1)`)).rows[0][0]).toBe(8);
  });

  it('widens a column type under schema evolution, recording it as the type widening feature', async () => {
    await sql(`CREATE TABLE w.t (n INT, s STRING)`);
    await sql(`INSERT INTO w.t VALUES (1, 'a')`);
    const settings = new Map([['strata.schema.automerge', 'true']]);
    await sql(`INSERT INTO w.t BY NAME SELECT 5000000000::BIGINT AS n, 'b' AS s`, settings);
    const log = readLog(path.join(bed.dir, 'lake/w/t'));
    const last = log.at(-1)!.actions;
    expect(last.find((a) => a.protocol)!.protocol).toEqual({
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: ['typeWidening'],
      writerFeatures: ['appendOnly', 'invariants', 'typeWidening'],
    });
    const field = JSON.parse(last.find((a) => a.metaData)!.metaData.schemaString).fields[0];
    expect(field).toMatchObject({
      name: 'n',
      type: 'long',
      metadata: { 'delta.typeChanges': [{ fromType: 'integer', toType: 'long' }] },
    });
    expect((await sql(`SELECT n FROM w.t ORDER BY n`)).rows).toEqual([[1], [5000000000]]);
    // Without evolution, INSERT casts as Spark's ANSI store assignment does: a value that does not fit fails.
    await sql(`CREATE TABLE w.u (n INT)`);
    await sql(`INSERT INTO w.u BY NAME SELECT 5::BIGINT AS n`);
    await expect(sql(`INSERT INTO w.u BY NAME SELECT 5000000000::BIGINT AS n`)).rejects.toThrow(
      /cannot write to table w\.u: Conversion Error: Type INT64 with value 5000000000 can't be cast because the value is out of range for the destination type INT32/,
    );
  });

  it('skips a write whose application transaction was already committed', async () => {
    const t = path.join(bed.dir, 'idem');
    await bed.engine.withSession(async (s) => {
      await createTable(s, { location: t, select: 'SELECT 1 AS n WHERE false' });
      const first = await writeTable(s, {
        location: t,
        mode: 'append',
        select: 'SELECT 1 AS n',
        txn: { appId: 'loader', version: 7 },
      });
      expect(first.version).toBe(1);
      const again = await writeTable(s, {
        location: t,
        mode: 'append',
        select: 'SELECT 1 AS n',
        txn: { appId: 'loader', version: 7 },
      });
      expect(again.version).toBeUndefined();
      const older = await writeTable(s, {
        location: t,
        mode: 'append',
        select: 'SELECT 1 AS n',
        txn: { appId: 'loader', version: 6 },
      });
      expect(older.version).toBeUndefined();
      const snap = await loadSnapshot(t, { session: s });
      expect(snap.txns.get('loader')?.version).toBe(7);
      expect(snap.version).toBe(1);
    });
    expect((await sql(`SELECT count(*) FROM delta_scan('${t}')`)).rows).toEqual([[1]]);
  });

  it('retries a lost race for a version when the winner does not conflict', async () => {
    const t = path.join(bed.dir, 'race');
    await bed.engine.withSession((s) => createTable(s, { location: t, select: 'SELECT 1 AS n WHERE false' }));
    const store = new LocalStore(t);
    const request = (name: string) => ({
      operation: 'WRITE',
      actions: [{ add: { path: name, partitionValues: {}, size: 1, modificationTime: 0, dataChange: true } }],
      footprint: blindAppendFootprint(),
    });
    // Both read version 0; one wins version 1, the other lands on 2.
    const [a, b] = await Promise.all([
      commit(store, 'race', 0, request('a.parquet')),
      commit(store, 'race', 0, request('b.parquet')),
    ]);
    expect([a.version, b.version].sort()).toEqual([1, 2]);
    expect(a.retries + b.retries).toBe(1);
  });

  it('expires old log files only behind a checkpoint older than the retention', async () => {
    const t = path.join(bed.dir, 'expire');
    await bed.engine.withSession(async (s) => {
      await createTable(s, {
        location: t,
        select: 'SELECT 1 AS n',
        properties: { 'delta.checkpointInterval': '2', 'delta.logRetentionDuration': 'interval 1 days' },
      });
      for (let i = 0; i < 4; i++) await writeTable(s, { location: t, mode: 'append', select: `SELECT ${i} AS n` });
    });
    const log = path.join(t, '_delta_log');
    // Versions 0-2 (and checkpoint 2) are two days old; 3-4 and checkpoint 4 are new.
    const old = (Date.now() - 2 * 86_400_000) / 1000;
    for (const f of readdirSync(log)) if (/^0{19}[0-2]\./.test(f)) utimesSync(path.join(log, f), old, old);
    const deleted = await cleanUpExpiredLogs(new LocalStore(t), { 'delta.logRetentionDuration': 'interval 1 days' });
    expect(deleted).toBe(2); // commits 0 and 1; checkpoint 2 is kept as the start of the log
    expect(
      readdirSync(log)
        .filter((f) => f.endsWith('.json'))
        .sort(),
    ).toEqual(['00000000000000000002.json', '00000000000000000003.json', '00000000000000000004.json']);
    expect((await sql(`SELECT count(*) FROM delta_scan('${t}')`)).rows).toEqual([[5]]);
    expect((await sql(`SELECT count(*) FROM delta_scan('${t}', version => 2)`)).rows).toEqual([[3]]);
    await expect(sql(`SELECT count(*) FROM delta_scan('${t}', version => 1)`)).rejects.toThrow(
      /version 1 can no longer be reconstructed/,
    );
  });
});

describe('round trip of tables Spark wrote', () => {
  const cases = [
    'dat/all_primitive_types',
    'dat/basic_partitioned',
    'dat/multi_partitioned',
    'dat/with_schema_change',
    'kernel-rs-golden/basic-decimal-table',
    'kernel-rs-golden/data-reader-array-primitives',
    'kernel-rs-golden/data-reader-map',
    'kernel-rs-golden/data-reader-nested-struct',
    'kernel-rs-golden/data-reader-primitives',
    'kernel-rs-golden/decimal-various-scale-precision',
    'kernel-rs-golden/data-reader-escaped-chars',
    'kernel-rs-golden/kernel-timestamp-int96',
    'kernel-rs-golden/data-reader-date-types-Asia',
  ];
  it.each(cases)('%s: read, written by Strata with the same partitioning, read back equal', async (id) => {
    const source = path.join(CORPUS, id, 'delta');
    const target = path.join(bed.dir, 'roundtrip', id.replace('/', '__'));
    await bed.engine.withSession(async (s) => {
      const snap = await loadSnapshot(source, { session: s });
      const parts = snap.partitionColumns.map((c) => `\`${c}\``).join(', ');
      await executeQuery(
        s,
        `CREATE TABLE delta.\`${target}\`${parts ? ` PARTITIONED BY (${parts})` : ''} AS SELECT * FROM delta_scan(${quoteLiteral(source)})`,
        { baseDir: bed.dir },
      );
      const diff = await executeQuery(
        s,
        `SELECT (SELECT count(*) FROM (SELECT * FROM delta_scan(${quoteLiteral(source)}) EXCEPT ALL SELECT * FROM delta_scan(${quoteLiteral(target)}))),
                (SELECT count(*) FROM (SELECT * FROM delta_scan(${quoteLiteral(target)}) EXCEPT ALL SELECT * FROM delta_scan(${quoteLiteral(source)})))`,
      );
      expect(diff.rows[0]).toEqual([0, 0]);
      const back = await loadSnapshot(target, { session: s });
      expect(back.schema.fields.map((f) => [f.name, f.type])).toEqual(snap.schema.fields.map((f) => [f.name, f.type]));
      expect(back.partitionColumns).toEqual(snap.partitionColumns);
    });
    expectValidLog(target);
  });
});
