// A streaming flow reads its progress (txn actions) at one version and commits at a
// later one: every commit since the read is checked for the same app ids, as Delta's
// conflict checker does for SetTransaction (PROTOCOL.md, "Transaction Identifiers":
// a writer "must check the latest version of the appId" it writes — Delta's
// ConflictChecker.checkForUpdatedApplicationTransactionIdsThatCurrentTxnDependsOn).
// Written to fail on the main before issue 18 item 1: only a race lost at commit
// time was checked, so a flow whose progress another run advanced meanwhile
// committed the same rows a second time.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StrataError } from '../../src/core/index.js';
import { loadSnapshot, writeTable } from '../../src/delta/index.js';
import { executeQuery } from '../../src/sql/index.js';
import { useTestBed } from '../helpers/harness.js';

const bed = useTestBed('txn-progress');
const sql = (q: string) => bed.engine.withSession((s) => executeQuery(s, q, { baseDir: bed.dir }));

describe('progress carried by a commit is checked since it was read', () => {
  it('fails a commit whose app id another writer committed after the read', async () => {
    await sql(`CREATE TABLE t.p (id INT)`);
    const location = path.join(bed.dir, 'lake/t/p');
    const read = await bed.engine.withSession((s) => loadSnapshot(location, { session: s }));
    // Another run of the same flow, from the same progress, commits first.
    await bed.engine.withSession((s) =>
      writeTable(s, {
        location,
        mode: 'append',
        select: 'SELECT 1 AS id',
        txns: [{ appId: 'strata-stream:f:src', version: 3 }],
        readVersion: read.version,
      }),
    );
    const err = await bed.engine
      .withSession((s) =>
        writeTable(s, {
          location,
          mode: 'append',
          select: 'SELECT 1 AS id',
          txns: [{ appId: 'strata-stream:f:src', version: 3 }],
          readVersion: read.version,
        }),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StrataError);
    expect((err as StrataError).code).toBe('CONFLICT');
    expect((err as Error).message).toMatch(/version 1\b.*same application id 'strata-stream:f:src'/);
    expect((await sql(`SELECT count(*) FROM t.p`)).rows).toEqual([[1]]);
  });

  it('lets a commit through when what landed since carries other app ids', async () => {
    await sql(`CREATE TABLE t.q (id INT)`);
    const location = path.join(bed.dir, 'lake/t/q');
    const read = await bed.engine.withSession((s) => loadSnapshot(location, { session: s }));
    await sql(`INSERT INTO t.q VALUES (7)`);
    const out = await bed.engine.withSession((s) =>
      writeTable(s, {
        location,
        mode: 'append',
        select: 'SELECT 1 AS id',
        txns: [{ appId: 'strata-stream:g:src', version: 1 }],
        readVersion: read.version,
      }),
    );
    expect(out.version).toBe(2);
    expect((await sql(`SELECT count(*) FROM t.q`)).rows).toEqual([[2]]);
  });
});
