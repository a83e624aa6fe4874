// MERGE INTO against DuckDB's own MERGE on a plain table: random targets and
// sources (fixed seed) with NULL keys, duplicate keys, empty sources and
// partitioned tables; after each statement both hold the same rows, or both
// refuse it (several source rows matching one target row).
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Session } from '../../src/engine/index.js';
import { executeQuery } from '../../src/sql/index.js';
import { rng, useTestBed } from '../helpers/harness.js';
import { expectDeletionVectorsUsed, expectReaderAgrees, expectValidLog, readLog } from '../helpers/delta-log.js';

const bed = useTestBed('merge');

const MERGES = [
  `MERGE INTO {t} AS t USING src AS s ON t.k = s.k WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT (k, g, v) VALUES (s.k, s.g, s.v)`,
  `MERGE INTO {t} AS t USING src AS s ON t.k = s.k WHEN MATCHED AND s.v > 50 THEN UPDATE SET v = t.v + s.v WHEN MATCHED THEN DELETE`,
  `MERGE INTO {t} AS t USING src AS s ON t.k = s.k WHEN NOT MATCHED AND s.v < 30 THEN INSERT (k, g, v) VALUES (s.k, s.g, s.v)`,
  `MERGE INTO {t} AS t USING src AS s ON t.k = s.k WHEN MATCHED THEN UPDATE SET g = s.g WHEN NOT MATCHED BY SOURCE AND t.v < 20 THEN DELETE`,
  `MERGE INTO {t} AS t USING src AS s ON t.k = s.k AND t.g = s.g WHEN NOT MATCHED BY SOURCE THEN UPDATE SET v = -1 WHEN NOT MATCHED THEN INSERT (k, g, v) VALUES (s.k, s.g, s.v)`,
  `MERGE INTO {t} AS t USING src AS s ON t.k = s.k WHEN MATCHED THEN DELETE`,
  // ON conditions that test one side alone (an SCD2 merge's "current row"; a source filter).
  `MERGE INTO {t} AS t USING src AS s ON t.k = s.k AND t.v > 40 WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT (k, g, v) VALUES (s.k, s.g, s.v)`,
  `MERGE INTO {t} AS t USING src AS s ON t.k = s.k AND s.v < 70 WHEN MATCHED THEN DELETE WHEN NOT MATCHED BY SOURCE AND t.v > 90 THEN UPDATE SET v = 0`,
];

/**
 * Spark refuses a MERGE where several source rows match one target row (unless
 * its only matched action is an unconditional DELETE); DuckDB's MERGE does not,
 * so those statements are checked for our refusal instead of compared.
 */
async function runBoth(s: Session, table: string, statement: string): Promise<'compared' | 'refused'> {
  const on = /\bON (.*?) WHEN/.exec(statement)![1];
  const [{ n }] = await s.rows<{ n: bigint }>(
    `SELECT count(*) AS n FROM (SELECT t.rowid FROM ref t JOIN src s ON ${on} GROUP BY t.rowid HAVING count(*) > 1)`,
  );
  const onlyDelete = !/WHEN MATCHED (AND [^W]*)?THEN UPDATE/.test(statement) && !/WHEN MATCHED AND/.test(statement);
  const ours = await executeQuery(s, statement.replace('{t}', table), { baseDir: bed.dir }).then(
    () => undefined,
    (e: Error) => e,
  );
  if (Number(n) > 0 && /WHEN MATCHED/.test(statement) && !onlyDelete) {
    expect(ours?.message, statement).toMatch(/source rows match the same target row/);
    return 'refused';
  }
  await s.exec(statement.replace('{t}', 'ref'));
  expect(ours, statement).toBeUndefined();
  const diff = await executeQuery(
    s,
    `SELECT (SELECT count(*) FROM (SELECT k, g, v FROM ${table} EXCEPT ALL SELECT k, g, v FROM ref)), (SELECT count(*) FROM (SELECT k, g, v FROM ref EXCEPT ALL SELECT k, g, v FROM ${table}))`,
    { baseDir: bed.dir },
  );
  expect(diff.rows[0], statement).toEqual([0, 0]);
  return 'compared';
}

describe('MERGE INTO', () => {
  it.each([
    ['unpartitioned', ''],
    ['partitioned', 'PARTITIONED BY (g)'],
    ['dv', "TBLPROPERTIES ('delta.enableDeletionVectors' = 'true')"],
    ['dvpartitioned', "PARTITIONED BY (g) TBLPROPERTIES ('delta.enableDeletionVectors' = 'true')"],
  ])(
    'matches DuckDB MERGE over 30 random statements (%s)',
    async (kind, partitioning) => {
      const table = `mg.${kind}`;
      const next = rng(kind.length * 104729);
      await bed.engine.withSession(async (s) => {
        await executeQuery(s, `CREATE TABLE ${table} (k INT, g STRING, v INT) ${partitioning}`, { baseDir: bed.dir });
        const initial = `SELECT CASE WHEN id % 13 = 0 THEN NULL ELSE id END::INT AS k, CASE id % 3 WHEN 0 THEN 'a' WHEN 1 THEN 'b' ELSE 'c' END AS g, (id * 7 % 100)::INT AS v FROM range(120) AS r(id)`;
        await executeQuery(s, `INSERT INTO ${table} ${initial}`, { baseDir: bed.dir });
        await s.exec(`CREATE OR REPLACE TEMP TABLE ref AS ${initial}`);
        const outcomes: string[] = [];
        for (let i = 0; i < 30; i++) {
          const size = Math.floor(next() * 40); // sometimes empty
          const offset = Math.floor(next() * 150);
          const dupes = next() < 0.2; // sometimes duplicate keys in the source
          await s.exec(
            `CREATE OR REPLACE TEMP TABLE src AS SELECT CASE WHEN id % 11 = 5 THEN NULL ELSE (id${dupes ? ' % 10' : ''} + ${offset})::INT END AS k,
             CASE (id + ${i}) % 4 WHEN 0 THEN 'a' WHEN 1 THEN 'b' WHEN 2 THEN 'c' ELSE 'd' END AS g, ((id * 31 + ${i}) % 100)::INT AS v FROM range(${size}) AS r(id)`,
          );
          outcomes.push(await runBoth(s, table, MERGES[Math.floor(next() * MERGES.length)]));
        }
        await expectReaderAgrees(s, table, path.join(bed.dir, 'lake/mg', kind), bed.dir);
        // Most statements are compared with DuckDB; some hit the ambiguity rule.
        expect(outcomes.filter((x) => x === 'compared').length).toBeGreaterThanOrEqual(20);
      });
      expectValidLog(path.join(bed.dir, 'lake/mg', kind));
      if (kind.startsWith('dv')) expectDeletionVectorsUsed(path.join(bed.dir, 'lake/mg', kind));
    },
    180_000,
  );

  it('rewrites only the files holding matched rows and reports Spark metrics', async () => {
    await bed.engine.withSession(async (s) => {
      await executeQuery(s, `CREATE TABLE mg.days (day DATE, k INT, v INT) PARTITIONED BY (day)`, { baseDir: bed.dir });
      await executeQuery(
        s,
        `INSERT INTO mg.days SELECT DATE '2024-01-01' + (id % 4)::INT, id::INT, 0 FROM range(40) AS r(id)`,
        { baseDir: bed.dir },
      );
      const r = await executeQuery(
        s,
        `MERGE INTO mg.days t USING (SELECT 1 AS k, 5 AS v UNION ALL SELECT 1000, 9) s ON t.k = s.k
         WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT (day, k, v) VALUES (DATE '2024-01-02', s.k, s.v)`,
        { baseDir: bed.dir },
      );
      expect(r.columns.map((c) => c.name)).toEqual([
        'version',
        'num_affected_rows',
        'num_updated_rows',
        'num_deleted_rows',
        'num_inserted_rows',
      ]);
      expect(r.rows[0]).toEqual([2, 2, 1, 0, 1]);
    });
    const last = readLog(path.join(bed.dir, 'lake/mg/days')).at(-1)!.actions;
    expect(last.filter((a) => a.remove)).toHaveLength(1); // only day 2024-01-02's file
    expect(last.find((a) => a.commitInfo)!.commitInfo.operationMetrics).toMatchObject({
      numTargetRowsUpdated: '1',
      numTargetRowsInserted: '1',
      numTargetRowsDeleted: '0',
      numTargetRowsCopied: '9',
      numTargetFilesRemoved: '1',
      numSourceRows: '2',
    });
  });

  it('refuses several source rows matching one target row, as Spark does, leaving the table unchanged', async () => {
    await bed.engine.withSession(async (s) => {
      await executeQuery(s, `CREATE TABLE mg.amb (k INT, v INT)`, { baseDir: bed.dir });
      await executeQuery(s, `INSERT INTO mg.amb VALUES (1, 0), (2, 0)`, { baseDir: bed.dir });
      const src = `(SELECT 1 AS k, 10 AS v UNION ALL SELECT 1, 20)`;
      await expect(
        executeQuery(s, `MERGE INTO mg.amb t USING ${src} s ON t.k = s.k WHEN MATCHED THEN UPDATE SET v = s.v`, {
          baseDir: bed.dir,
        }),
      ).rejects.toThrow(/MERGE into mg\.amb: 2 source rows match the same target row .*deduplicate the source/);
      expect((await executeQuery(s, `DESCRIBE HISTORY mg.amb`, { baseDir: bed.dir })).rows).toHaveLength(2);
      // An unconditional DELETE is not ambiguous.
      await executeQuery(s, `MERGE INTO mg.amb t USING ${src} s ON t.k = s.k WHEN MATCHED THEN DELETE`, {
        baseDir: bed.dir,
      });
      expect((await executeQuery(s, `SELECT k FROM mg.amb`, { baseDir: bed.dir })).rows).toEqual([[2]]);
    });
  });

  it('supports UPDATE SET * and INSERT * by column name, and table sources by name', async () => {
    await bed.engine.withSession(async (s) => {
      await executeQuery(s, `CREATE TABLE mg.dim (id INT, name STRING)`, { baseDir: bed.dir });
      await executeQuery(s, `INSERT INTO mg.dim VALUES (1, 'old'), (2, 'keep')`, { baseDir: bed.dir });
      await executeQuery(
        s,
        `CREATE TABLE mg.changes AS SELECT * FROM (VALUES ('new', 1), ('added', 3)) AS v(name, id)`,
        { baseDir: bed.dir },
      );
      await executeQuery(
        s,
        `MERGE INTO mg.dim USING mg.changes ON dim.id = changes.id WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *`,
        { baseDir: bed.dir },
      );
      const r = await executeQuery(s, `SELECT id, name FROM mg.dim ORDER BY id`, { baseDir: bed.dir });
      expect(r.rows).toEqual([
        [1, 'new'],
        [2, 'keep'],
        [3, 'added'],
      ]);
    });
  });
});
