// DELETE and UPDATE against a reference: the same random statements (fixed
// seed) run on a Delta table through Strata and on a plain DuckDB table; after
// each, both hold the same multiset of rows, the log stays valid, and the
// reader agrees with DuckDB reading the live files.
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSnapshot } from '../../src/delta/index.js';
import { type Session } from '../../src/engine/index.js';
import { executeQuery } from '../../src/sql/index.js';
import { rng, useTestBed } from '../helpers/harness.js';
import { expectDeletionVectorsUsed, expectReaderAgrees, expectValidLog, readLog } from '../helpers/delta-log.js';

const bed = useTestBed('dml');

async function sameRows(s: Session, table: string): Promise<void> {
  const diff = await executeQuery(
    s,
    `SELECT (SELECT count(*) FROM (SELECT * FROM ${table} EXCEPT ALL SELECT * FROM ref)), (SELECT count(*) FROM (SELECT * FROM ref EXCEPT ALL SELECT * FROM ${table}))`,
    { baseDir: bed.dir },
  );
  expect(diff.rows[0]).toEqual([0, 0]);
}

describe('DELETE and UPDATE', () => {
  it.each([
    ['unpartitioned', ''],
    ['partitioned', 'PARTITIONED BY (region)'],
    ['dv', "TBLPROPERTIES ('delta.enableDeletionVectors' = 'true')"],
    ['dvpartitioned', "PARTITIONED BY (region) TBLPROPERTIES ('delta.enableDeletionVectors' = 'true')"],
  ])(
    'match a plain DuckDB table over 40 random statements (%s)',
    async (kind, partitioning) => {
      const table = `dml.${kind}`;
      const next = rng(kind.length * 7919);
      const pick = <T>(xs: T[]) => xs[Math.floor(next() * xs.length)];
      await bed.engine.withSession(async (s) => {
        const seed = `SELECT id::INT AS id, CASE WHEN id % 11 = 0 THEN NULL ELSE CASE id % 4 WHEN 0 THEN 'north' WHEN 1 THEN 'south' WHEN 2 THEN 'east' ELSE 'west' END END AS region,
                    CASE WHEN id % 7 = 0 THEN NULL ELSE (id * 37 % 100)::DOUBLE END AS amount FROM range(400) AS r(id)`;
        await executeQuery(s, `CREATE TABLE ${table} (id INT, region STRING, amount DOUBLE) ${partitioning}`, {
          baseDir: bed.dir,
        });
        await executeQuery(s, `INSERT INTO ${table} ${seed}`, { baseDir: bed.dir });
        await executeQuery(s, `INSERT INTO ${table} ${seed}`, { baseDir: bed.dir }); // duplicates
        await s.exec(`CREATE OR REPLACE TEMP TABLE ref AS SELECT * FROM (${seed}) UNION ALL SELECT * FROM (${seed})`);
        for (let i = 0; i < 40; i++) {
          const predicates = [
            `id < ${Math.floor(next() * 400)}`,
            `region = '${pick(['north', 'south', 'east', 'west'])}'`,
            `region IS NULL`,
            `amount > ${Math.floor(next() * 100)}`,
            `amount IS NULL AND id % 2 = 0`,
            `id BETWEEN ${Math.floor(next() * 400)} AND ${Math.floor(next() * 400)}`,
            `region IN ('east', 'west') OR amount < 10`,
            `id = -1`,
          ];
          const where = pick(predicates);
          const statement = pick([
            `DELETE FROM {t} WHERE ${where}`,
            `UPDATE {t} SET amount = amount + 1 WHERE ${where}`,
            `UPDATE {t} SET region = 'moved', amount = NULL WHERE ${where}`,
            `INSERT INTO {t} SELECT id + 1000, region, amount FROM ref WHERE ${where} LIMIT 5`,
          ]);
          if (statement.startsWith('INSERT')) {
            const rows = await s.query(`SELECT id + 1000, region, amount FROM ref WHERE ${where} ORDER BY ALL LIMIT 5`);
            await s.exec(
              `CREATE OR REPLACE TEMP TABLE batch AS SELECT id + 1000 AS id, region, amount FROM ref WHERE ${where} ORDER BY ALL LIMIT 5`,
            );
            await executeQuery(s, `INSERT INTO ${table} SELECT * FROM batch`, { baseDir: bed.dir });
            await s.exec(`INSERT INTO ref SELECT * FROM batch`);
            expect(rows.rows.length).toBeLessThanOrEqual(5);
          } else {
            const ours = await executeQuery(s, statement.replace('{t}', table), { baseDir: bed.dir });
            const before = await s.rows<{ n: bigint }>(`SELECT count(*) AS n FROM ref WHERE ${where}`);
            await s.exec(statement.replace('{t}', 'ref'));
            expect(ours.rows[0][1], `${statement}`).toBe(Number(before[0].n));
          }
          await sameRows(s, table);
        }
        const location = path.join(bed.dir, 'lake/dml', kind);
        expectValidLog(location);
        if (kind.startsWith('dv')) expectDeletionVectorsUsed(location);
        await expectReaderAgrees(s, table, location, bed.dir);
        const snap = await loadSnapshot(location, { session: s });
        expect(snap.version).toBeGreaterThan(10);
      });
    },
    120_000,
  );

  it('deleting a whole partition is a metadata-only commit', async () => {
    await bed.engine.withSession(async (s) => {
      await executeQuery(s, `CREATE TABLE dml.days (day DATE, n INT) PARTITIONED BY (day)`, { baseDir: bed.dir });
      await executeQuery(
        s,
        `INSERT INTO dml.days SELECT DATE '2024-01-01' + (id % 5)::INT, id::INT FROM range(100) AS r(id)`,
        { baseDir: bed.dir },
      );
      // The partition's data is never read (its row count comes from the stats): even
      // with its file gone from disk, the DELETE goes through.
      const table = path.join(bed.dir, 'lake/dml/days');
      const snap = await loadSnapshot(table, { session: s });
      const target = snap.files.find((f) => f.partitionValues.day === '2024-01-03')!;
      rmSync(path.join(table, decodeURIComponent(target.path)));
      const r = await executeQuery(s, `DELETE FROM dml.days WHERE day = DATE '2024-01-03'`, { baseDir: bed.dir });
      expect(r.rows[0]).toEqual([2, 20]);
      // Conditions on partition columns of any shape; NULL partitions never match a comparison.
      await executeQuery(s, `INSERT INTO dml.days VALUES (NULL, 1000)`, { baseDir: bed.dir });
      expect(
        (
          await executeQuery(s, `DELETE FROM dml.days WHERE day > DATE '2024-01-03' OR year(day) < 2000`, {
            baseDir: bed.dir,
          })
        ).rows[0],
      ).toEqual([4, 40]);
      expect(
        (await executeQuery(s, `SELECT count(*), count(day) FROM dml.days`, { baseDir: bed.dir })).rows[0],
      ).toEqual([41, 40]);
    });
    const log = readLog(path.join(bed.dir, 'lake/dml/days'));
    for (const last of [log.at(-3)!, log.at(-1)!]) {
      expect(last.actions.filter((a) => a.add)).toHaveLength(0);
      expect(last.actions.find((a) => a.commitInfo)!.commitInfo.operationMetrics).toMatchObject({
        numAddedFiles: '0',
        numCopiedRows: '0',
      });
    }
    expect(log.at(-3)!.actions.filter((a) => a.remove)).toHaveLength(1);
    expect(log.at(-3)!.actions.find((a) => a.commitInfo)!.commitInfo.operationMetrics).toMatchObject({
      numDeletedRows: '20',
    });
    expect(log.at(-1)!.actions.filter((a) => a.remove)).toHaveLength(2);
  });

  it('an UPDATE that breaks a constraint fails and changes nothing', async () => {
    await bed.engine.withSession(async (s) => {
      await executeQuery(s, `CREATE TABLE dml.checked (n INT NOT NULL, p DOUBLE)`, { baseDir: bed.dir });
      await executeQuery(s, `INSERT INTO dml.checked VALUES (1, 1.0), (2, 2.0)`, { baseDir: bed.dir });
      await executeQuery(s, `ALTER TABLE dml.checked ADD CONSTRAINT pos CHECK (p > 0)`, { baseDir: bed.dir });
      await expect(executeQuery(s, `UPDATE dml.checked SET p = -p WHERE n = 2`, { baseDir: bed.dir })).rejects.toThrow(
        /violate CHECK constraint pos/,
      );
      await expect(executeQuery(s, `UPDATE dml.checked SET n = NULL`, { baseDir: bed.dir })).rejects.toThrow(
        /column n is NOT NULL/,
      );
      const r = await executeQuery(s, `SELECT n, p FROM dml.checked ORDER BY n`, { baseDir: bed.dir });
      expect(r.rows).toEqual([
        [1, 1],
        [2, 2],
      ]);
      await expect(executeQuery(s, `UPDATE dml.checked SET nope = 1`, { baseDir: bed.dir })).rejects.toThrow(
        /has no column nope/,
      );
    });
  });

  it('append-only tables refuse DELETE and UPDATE', async () => {
    await bed.engine.withSession(async (s) => {
      await executeQuery(s, `CREATE TABLE dml.log (n INT) TBLPROPERTIES ('delta.appendOnly' = 'true')`, {
        baseDir: bed.dir,
      });
      await expect(executeQuery(s, `DELETE FROM dml.log`, { baseDir: bed.dir })).rejects.toThrow(
        /append-only .*DELETE is not allowed/,
      );
    });
  });
});
