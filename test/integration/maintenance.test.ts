// RESTORE, VACUUM and OPTIMIZE: readers see the right rows after each, the log
// stays valid, and VACUUM never deletes a file the table still needs.
import { readdirSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalPath, loadSnapshot, vacuumTable } from '../../src/delta/index.js';
import { executeQuery } from '../../src/sql/index.js';
import { useTestBed } from '../helpers/harness.js';
import { expectValidLog, readLog } from '../helpers/delta-log.js';

const bed = useTestBed('maint');
const sql = (q: string, settings?: Map<string, string>) =>
  bed.engine.withSession((s) => executeQuery(s, q, { baseDir: bed.dir, settings }));
const rows = async (q: string) => (await sql(q)).rows;

describe('RESTORE', () => {
  it('brings back an older version as a new commit, history kept', async () => {
    await sql(`CREATE TABLE m.r (id INT, v STRING)`);
    await sql(`INSERT INTO m.r VALUES (1, 'a'), (2, 'b')`); // v1
    await sql(`DELETE FROM m.r WHERE id = 1`); // v2
    await sql(`INSERT INTO m.r VALUES (3, 'c')`); // v3
    const r = await sql(`RESTORE TABLE m.r TO VERSION AS OF 1`);
    expect(r.rows[0].slice(2)).toEqual([4, 1]);
    expect(await rows(`SELECT id, v FROM m.r ORDER BY id`)).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
    expect(await rows(`SELECT count(*) FROM m.r VERSION AS OF 3`)).toEqual([[2]]);
    const history = await rows(`DESCRIBE HISTORY m.r LIMIT 1`);
    expect(history[0][2]).toBe('RESTORE');
    expectValidLog(path.join(bed.dir, 'lake/m/r'));
    await expect(sql(`RESTORE TABLE m.r TO VERSION AS OF 9`)).rejects.toThrow(/version 9 does not exist/);
  });

  it('restores the schema of the older version', async () => {
    await sql(`CREATE TABLE m.s (id INT)`);
    await sql(`INSERT INTO m.s VALUES (1)`);
    await sql(`ALTER TABLE m.s ADD COLUMNS (extra STRING)`);
    await sql(`RESTORE m.s TO VERSION AS OF 1`);
    expect((await sql(`SELECT * FROM m.s`)).columns.map((c) => c.name)).toEqual(['id']);
  });
});

describe('VACUUM', () => {
  it('deletes only unreferenced files older than the retention, and dry run lists them', async () => {
    await sql(`CREATE TABLE m.v (id INT) TBLPROPERTIES ('delta.deletedFileRetentionDuration' = 'interval 1 hours')`);
    await sql(`INSERT INTO m.v VALUES (1)`);
    await sql(`INSERT OVERWRITE m.v SELECT 2`); // the first file becomes a tombstone
    const table = path.join(bed.dir, 'lake/m/v');
    const orphan = path.join(table, 'part-orphan.parquet'); // a write that never committed
    writeFileSync(orphan, 'x');
    const tombstoned = readLog(table)
      .at(-1)!
      .actions.find((a) => a.remove)!.remove.path as string;
    const old = (Date.now() - 3 * 3600_000) / 1000;
    for (const f of readdirSync(table)) if (f.endsWith('.parquet')) utimesSync(path.join(table, f), old, old);
    // The tombstone is recent (removed just now): kept within the retention.
    let dry = await sql(`VACUUM m.v DRY RUN`);
    expect(dry.rows).toEqual([['part-orphan.parquet']]);
    // Two hours later the tombstone has expired too.
    const later = await bed.engine.withSession((s) =>
      vacuumTable(s, { location: table, dryRun: true, now: () => Date.now() + 2 * 3600_000 }),
    );
    expect(later.files).toEqual([tombstoned, 'part-orphan.parquet'].sort());
    await sql(`VACUUM m.v`);
    expect(readdirSync(table).includes('part-orphan.parquet')).toBe(false);
    expect(await rows(`SELECT id FROM m.v`)).toEqual([[2]]);
    dry = await sql(`VACUUM m.v DRY RUN`);
    expect(dry.rows).toEqual([]);
  });

  it("refuses a retention shorter than the table's unless the check is turned off", async () => {
    await sql(`CREATE TABLE m.w (id INT)`);
    await sql(`INSERT INTO m.w VALUES (1)`);
    await sql(`INSERT OVERWRITE m.w SELECT 2`);
    await expect(sql(`VACUUM m.w RETAIN 0 HOURS`)).rejects.toThrow(
      /retention of 0 hours is shorter than the table's 168 hours/,
    );
    const settings = new Map<string, string>();
    await sql(`SET strata.vacuum.retentionDurationCheck.enabled = false`, settings);
    const table = path.join(bed.dir, 'lake/m/w');
    const old = (Date.now() - 60_000) / 1000;
    for (const f of readdirSync(table)) if (f.endsWith('.parquet')) utimesSync(path.join(table, f), old, old);
    const r = await sql(`VACUUM m.w RETAIN 0 HOURS`, settings);
    expect(r.rows).toHaveLength(1);
    expect(await rows(`SELECT id FROM m.w`)).toEqual([[2]]);
    // Time travel to the vacuumed version now fails, naming the missing file.
    await expect(sql(`SELECT * FROM m.w VERSION AS OF 1`)).rejects.toThrow(/data file .* is missing/);
    await expect(sql(`RESTORE m.w TO VERSION AS OF 1`)).rejects.toThrow(/no longer exists \(removed by VACUUM\)/);
  });
});

describe('OPTIMIZE', () => {
  it('bin-packs small files per partition with dataChange = false; readers see the same rows', async () => {
    await sql(`CREATE TABLE m.o (day DATE, id INT, v DOUBLE) PARTITIONED BY (day)`);
    for (let i = 0; i < 6; i++)
      await sql(
        `INSERT INTO m.o SELECT DATE '2024-01-01' + (id % 2)::INT, id::INT + ${i * 100}, id * 0.5 FROM range(50)`,
      );
    const table = path.join(bed.dir, 'lake/m/o');
    const before = await rows(`SELECT day, count(*), sum(id), sum(v) FROM m.o GROUP BY ALL ORDER BY 1`);
    const snapBefore = await bed.engine.withSession((s) => loadSnapshot(table, { session: s }));
    expect(snapBefore.files).toHaveLength(12);
    const r = await sql(`OPTIMIZE m.o`);
    expect(r.rows[0].slice(1, 3)).toEqual([12, 2]);
    expect(await rows(`SELECT day, count(*), sum(id), sum(v) FROM m.o GROUP BY ALL ORDER BY 1`)).toEqual(before);
    const last = readLog(table).at(-1)!.actions;
    expect(last.filter((a) => a.add).every((a) => a.add.dataChange === false)).toBe(true);
    expect(last.filter((a) => a.remove).every((a) => a.remove.dataChange === false)).toBe(true);
    expect(last.find((a) => a.commitInfo)!.commitInfo.operation).toBe('OPTIMIZE');
    // Nothing left to compact.
    expect((await sql(`OPTIMIZE m.o`)).rows[0].slice(1, 3)).toEqual([0, 0]);
    expectValidLog(table);
  });

  it('compacts only the partitions a WHERE selects, and refuses non-partition columns there', async () => {
    await sql(`CREATE TABLE m.p (day DATE, id INT) PARTITIONED BY (day)`);
    for (let i = 0; i < 3; i++)
      await sql(`INSERT INTO m.p SELECT DATE '2024-01-01' + (id % 2)::INT, id::INT FROM range(10)`);
    const r = await sql(`OPTIMIZE m.p WHERE day = DATE '2024-01-01'`);
    expect(r.rows[0].slice(1, 3)).toEqual([3, 1]);
    await expect(sql(`OPTIMIZE m.p WHERE id > 3`)).rejects.toThrow(/may only use partition columns \(day\), not id/);
  });

  it('ZORDER BY clusters rows so min/max stats skip files on each column', async () => {
    await sql(`CREATE TABLE m.z (x INT, y INT, pad STRING) TBLPROPERTIES ('delta.targetFileSize' = '64kb')`);
    await sql(
      `INSERT INTO m.z SELECT (hash(id) % 1000)::INT, (hash(id * 7) % 1000)::INT, repeat('p', 20) || id FROM range(40000)`,
    );
    await sql(`OPTIMIZE m.z ZORDER BY (x, y)`);
    const table = path.join(bed.dir, 'lake/m/z');
    const scans: { filesScanned: number; filesTotal: number }[] = [];
    const r = await bed.engine.withSession((s) =>
      executeQuery(s, `SELECT count(*) FROM m.z WHERE x < 100 AND y < 100`, {
        baseDir: bed.dir,
        onScan: (i) => scans.push(i),
      }),
    );
    const expected = await rows(`SELECT count(*) FROM m.z VERSION AS OF 1 WHERE x < 100 AND y < 100`);
    expect(r.rows).toEqual(expected);
    expect(scans[0].filesTotal).toBeGreaterThan(3);
    expect(scans[0].filesScanned).toBeLessThan(scans[0].filesTotal);
    const snap = await bed.engine.withSession((s) => loadSnapshot(table, { session: s }));
    expect(snap.files.every((f) => canonicalPath(table, f.path).endsWith('.parquet'))).toBe(true);
  });
});

describe('deletion vectors through maintenance', () => {
  it('RESTORE brings back old vectors, VACUUM keeps the live ones, OPTIMIZE purges heavily deleted files', async () => {
    await sql(
      `CREATE TABLE m.dv (id INT, v STRING) TBLPROPERTIES ('delta.enableDeletionVectors' = 'true', 'delta.deletedFileRetentionDuration' = 'interval 1 hours')`,
    );
    await sql(`INSERT INTO m.dv SELECT id::INT, 'v' || id FROM range(1000)`); // v1: one file
    await sql(`DELETE FROM m.dv WHERE id < 10`); // v2: a vector of 10 rows (1%)
    await sql(`UPDATE m.dv SET v = 'changed' WHERE id BETWEEN 500 AND 549`); // v3: 60 rows marked, 50 rewritten
    const table = path.join(bed.dir, 'lake/m/dv');
    const dvFiles = () =>
      readdirSync(table)
        .filter((f) => f.startsWith('deletion_vector_'))
        .sort();
    expect(dvFiles()).toHaveLength(2);
    expect(await rows(`SELECT count(*), count(*) FILTER (WHERE v = 'changed') FROM m.dv`)).toEqual([[990, 50]]);

    // RESTORE to v2: the file comes back with its v2 vector.
    await sql(`RESTORE TABLE m.dv TO VERSION AS OF 2`); // v4
    expect(await rows(`SELECT count(*), min(id), count(*) FILTER (WHERE v = 'changed') FROM m.dv`)).toEqual([
      [990, 10, 0],
    ]);
    const live = (await loadSnapshot(table)).files;
    expect(live).toHaveLength(1);
    expect(live[0].deletionVector?.cardinality).toBe(10);
    expectValidLog(table);

    // VACUUM (hours later): the v3 vector and file are gone, the live vector stays.
    const old = (Date.now() - 3 * 3600_000) / 1000;
    for (const f of readdirSync(table)) if (!f.startsWith('_')) utimesSync(path.join(table, f), old, old);
    const vacuumed = await bed.engine.withSession((s) =>
      vacuumTable(s, { location: table, now: () => Date.now() + 2 * 3600_000 }),
    );
    expect(vacuumed.files.filter((f) => f.startsWith('deletion_vector_'))).toHaveLength(1);
    expect(dvFiles()).toHaveLength(1);
    expect(await rows(`SELECT count(*) FROM m.dv`)).toEqual([[990]]);

    // 1% deleted: OPTIMIZE leaves the single file alone; at 20% it is rewritten without them.
    expect((await sql(`OPTIMIZE m.dv`)).rows[0].slice(0, 3)).toEqual([null, 0, 0]);
    await sql(`DELETE FROM m.dv WHERE id < 200`);
    const o = await sql(`OPTIMIZE m.dv`);
    expect(o.rows[0].slice(1, 3)).toEqual([1, 1]);
    const after = (await loadSnapshot(table)).files;
    expect(after).toHaveLength(1);
    expect(after[0].deletionVector ?? undefined).toBeUndefined();
    expect(await rows(`SELECT count(*), min(id), max(id) FROM m.dv`)).toEqual([[800, 200, 999]]);
  });
});
