// The change data feed, checked against the versions themselves: for every
// commit, (previous version − its deletes and pre-images + its inserts and
// post-images) must be exactly the new version, as multisets.
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { executeQuery } from '../../src/sql/index.js';
import { useTestBed } from '../helpers/harness.js';
import { expectDeletionVectorsUsed, expectValidLog, readLog } from '../helpers/delta-log.js';

const bed = useTestBed('cdf');
const sql = (q: string) => bed.engine.withSession((s) => executeQuery(s, q, { baseDir: bed.dir }));

describe('change data feed', () => {
  it.each([
    ['unpartitioned', '', ''],
    ['partitioned', 'PARTITIONED BY (g)', ''],
    ['dv', '', ", 'delta.enableDeletionVectors' = 'true'"],
  ])(
    "every commit's changes turn the previous version into the next (%s)",
    async (kind, partitioning, more) => {
      const t = `cdf.${kind}`;
      await sql(
        `CREATE TABLE ${t} (k INT, g STRING, v INT) ${partitioning} TBLPROPERTIES ('delta.enableChangeDataFeed' = 'true'${more})`,
      );
      const statements = [
        `INSERT INTO ${t} SELECT id::INT, CASE id % 3 WHEN 0 THEN 'a' WHEN 1 THEN 'b' ELSE 'c' END, (id * 7 % 50)::INT FROM range(60)`,
        `UPDATE ${t} SET v = v + 100 WHERE k % 5 = 0`,
        `DELETE FROM ${t} WHERE v < 10`,
        `DELETE FROM ${t} WHERE g = 'c'`,
        `MERGE INTO ${t} AS t USING (SELECT id::INT + 50 AS k, 'b' AS g, 1 AS v FROM range(20)) AS s ON t.k = s.k
         WHEN MATCHED AND t.v > 30 THEN DELETE WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT *`,
        `UPDATE ${t} SET g = 'moved' WHERE k < 10`,
        `INSERT OVERWRITE ${t} SELECT k, g, v FROM ${t} WHERE k > 20`,
        `OPTIMIZE ${t}`,
      ];
      for (const st of statements) await sql(st);
      const history = new Map((await sql(`DESCRIBE HISTORY ${t}`)).rows.map((r) => [r[0] as number, r[2] as string]));
      const last = Math.max(...history.keys());
      expect(last).toBeGreaterThanOrEqual(statements.length - 1); // OPTIMIZE may find nothing to do
      for (let v = 1; v <= last; v++) {
        const changes = `(SELECT * FROM table_changes('${t}', ${v}, ${v}))`;
        const rebuilt = `(SELECT k, g, v FROM ${t} VERSION AS OF ${v - 1} EXCEPT ALL SELECT k, g, v FROM ${changes} WHERE _change_type IN ('delete', 'update_preimage'))
                       UNION ALL SELECT k, g, v FROM ${changes} WHERE _change_type IN ('insert', 'update_postimage')`;
        const r = await sql(
          `SELECT (SELECT count(*) FROM (${rebuilt} EXCEPT ALL SELECT k, g, v FROM ${t} VERSION AS OF ${v})),
                (SELECT count(*) FROM (SELECT k, g, v FROM ${t} VERSION AS OF ${v} EXCEPT ALL (${rebuilt}))),
                (SELECT count(*) FROM (SELECT k, g, v FROM ${changes} WHERE _change_type IN ('delete', 'update_preimage') EXCEPT ALL SELECT k, g, v FROM ${t} VERSION AS OF ${v - 1})),
                (SELECT count(*) FROM ${changes}), (SELECT count(DISTINCT _commit_version) FROM ${changes}), (SELECT min(_commit_version) FROM ${changes})`,
        );
        const [extra, missing, phantom, n, versions, minVersion] = r.rows[0] as number[];
        expect({ v, extra, missing, phantom }).toEqual({ v, extra: 0, missing: 0, phantom: 0 });
        if (history.get(v) === 'OPTIMIZE')
          expect(n).toBe(0); // compaction changes nothing
        else {
          expect(n, history.get(v)).toBeGreaterThan(0);
          expect([versions, minVersion]).toEqual([1, v]);
        }
      }
      // Updates, deletes and merges wrote change files; appends and overwrites did not need to.
      const table = path.join(bed.dir, 'lake/cdf', kind);
      const log = readLog(table);
      expect(log[2].actions.some((a) => a.cdc)).toBe(true); // UPDATE
      expect(log[1].actions.some((a) => a.cdc)).toBe(false); // INSERT
      expect(readdirSync(table)).toContain('_change_data');
      expectValidLogWithCdc(table);
      if (kind === 'dv') expectDeletionVectorsUsed(table);
      // Types of the change columns.
      const cols = (await sql(`SELECT * FROM table_changes('${t}', 1) LIMIT 0`)).columns.map(
        (c) => `${c.name} ${c.type}`,
      );
      expect(cols).toEqual([
        'k INTEGER',
        'g VARCHAR',
        'v INTEGER',
        '_change_type VARCHAR',
        '_commit_version BIGINT',
        '_commit_timestamp TIMESTAMP WITH TIME ZONE',
      ]);
    },
    120_000,
  );

  it('refuses tables without the change data feed, naming the version and the fix', async () => {
    await sql(`CREATE TABLE cdf.off (k INT)`);
    await sql(`INSERT INTO cdf.off VALUES (1)`);
    await expect(sql(`SELECT * FROM table_changes('cdf.off', 0)`)).rejects.toThrow(
      /change data feed is not enabled at version 0; enable it with ALTER TABLE/,
    );
    await expect(sql(`SELECT * FROM table_changes('cdf.off', 5)`)).rejects.toThrow(
      /start version 5 is not between 0 and 1/,
    );
  });
});

/** expectValidLog, knowing cdc actions. */
function expectValidLogWithCdc(table: string): void {
  for (const { actions } of readLog(table)) {
    for (const a of actions) {
      if (!a.cdc) continue;
      expect(a.cdc.path).toMatch(/^_change_data\//);
      expect(a.cdc.dataChange).toBe(false);
      expect(typeof a.cdc.size).toBe('number');
    }
  }
  void expectValidLog;
}
