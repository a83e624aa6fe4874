// The latest snapshot of a table is kept between reads and brought up to date
// by replaying only newer commits. Whatever happens to the table in between —
// commits by another writer, a checkpoint, the table deleted and created
// again, a commit going missing — a read must give what a fresh process gives.
import { appendFileSync, cpSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSnapshot } from '../../src/delta/index.js';
import { executeQuery } from '../../src/sql/index.js';
import { useTestBed } from '../helpers/harness.js';
import { readLog } from '../helpers/delta-log.js';

const bed = useTestBed('snapcache');
const CORPUS = path.resolve(process.env.STRATA_CONFORMANCE_DIR ?? '../shared/conformance/delta');

describe('snapshot cache', () => {
  it('sees every later commit, from this process or written straight into the log', async () => {
    await bed.engine.withSession(async (s) => {
      const q = (sql: string) => executeQuery(s, sql, { baseDir: bed.dir });
      const table = path.join(bed.dir, 'lake/c/t');
      await q(`CREATE TABLE c.t (n INT) TBLPROPERTIES ('delta.checkpointInterval' = '3')`);
      for (let i = 1; i <= 7; i++) {
        await q(`INSERT INTO c.t VALUES (${i})`);
        expect((await q(`SELECT count(*), sum(n) FROM c.t`)).rows[0]).toEqual([i, (i * (i + 1)) / 2]);
        expect((await loadSnapshot(table, { session: s })).version).toBe(i);
      }
      // Another writer's commit (here: a DELETE of every file, written by hand).
      const live = await loadSnapshot(table, { session: s });
      const removes = live.files.map((f) =>
        JSON.stringify({ remove: { path: f.path, deletionTimestamp: Date.now(), dataChange: true } }),
      );
      appendFileSync(path.join(table, '_delta_log/00000000000000000008.json'), `${removes.join('\n')}\n`);
      expect((await q(`SELECT count(*) FROM c.t`)).rows[0][0]).toBe(0);
      // Time travel is not served from the cache.
      expect((await q(`SELECT count(*) FROM c.t VERSION AS OF 4`)).rows[0][0]).toBe(4);
    });
  });

  it('starts over when the table is deleted and created again', async () => {
    await bed.engine.withSession(async (s) => {
      const q = (sql: string) => executeQuery(s, sql, { baseDir: bed.dir });
      await q(`CREATE TABLE c.again AS SELECT id AS n FROM range(5)`);
      await q(`INSERT INTO c.again VALUES (100)`);
      expect((await q(`SELECT count(*) FROM c.again`)).rows[0][0]).toBe(6);
      rmSync(path.join(bed.dir, 'lake/c/again'), { recursive: true });
      await q(`CREATE TABLE c.again AS SELECT id AS n FROM range(2)`);
      expect((await q(`SELECT count(*) FROM c.again`)).rows[0][0]).toBe(2);
      await q(`INSERT INTO c.again VALUES (7)`); // version 1 again, a different commit
      expect((await q(`SELECT list(n::INT ORDER BY n) FROM c.again`)).rows[0][0]).toEqual([0, 1, 7]);
    });
  });

  it('a table replaced by another one under the same path reads as the new table', async () => {
    const t = path.join(bed.dir, 'swap');
    cpSync(path.join(CORPUS, 'dat/basic_append/delta'), t, { recursive: true });
    await bed.engine.withSession(async (s) => {
      expect((await loadSnapshot(t, { session: s })).version).toBe(1);
      rmSync(t, { recursive: true });
      cpSync(path.join(CORPUS, 'dat/basic_partitioned/delta'), t, { recursive: true });
      const snap = await loadSnapshot(t, { session: s });
      expect(snap.version).toBe(readLog(t).at(-1)!.version);
      expect(snap.partitionColumns).toEqual(['letter']);
    });
  });
});
