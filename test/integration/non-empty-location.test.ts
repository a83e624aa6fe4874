// CREATE TABLE over a folder that holds other files was accepted, and VACUUM then deleted the
// project's files (strata.yaml, landing files). Now: Delta's DELTA_CREATE_TABLE_WITH_NON_EMPTY_LOCATION
// refusal, and VACUUM deletes only data files it could have written, never another table's.
// (Both parts fail on the main before this change.)
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectAt, useTestBed } from '../helpers/harness.js';

const bed = useTestBed('non-empty');

describe('a table folder holding other files', () => {
  it('CREATE TABLE over a non-empty folder that is not a table is refused, naming the files', async () => {
    const dir = path.join(bed.dir, 'p1');
    mkdirSync(path.join(dir, 'landing'), { recursive: true });
    writeFileSync(path.join(dir, 'strata.yaml'), 'name: p1\n');
    writeFileSync(path.join(dir, 'landing/a.csv'), 'id\n1\n');
    const project = await projectAt(bed, dir);
    await expect(project.query('CREATE TABLE delta.`.` (id INT)')).rejects.toThrow(
      /cannot create table .*: its folder .* is not empty and is not a Delta table \(.*strata\.yaml.*\).*DELTA_CREATE_TABLE_WITH_NON_EMPTY_LOCATION/,
    );
    expect(existsSync(path.join(dir, '_delta_log'))).toBe(false);
    // An empty folder, or one an interrupted first write left (log folder, data files), is fine.
    mkdirSync(path.join(dir, 'lake/s/t/_delta_log'), { recursive: true });
    writeFileSync(path.join(dir, 'lake/s/t/part-00000-x.snappy.parquet'), 'left by a killed write');
    await project.query('CREATE TABLE s.t (id INT)');
    expect((await project.query('SELECT count(*) FROM s.t')).rows).toEqual([[0]]);
  });

  it('VACUUM deletes only stale data files: never project files, landing files or a nested table', async () => {
    const dir = path.join(bed.dir, 'p2');
    mkdirSync(dir, { recursive: true });
    const project = await projectAt(bed, dir);
    // A table whose folder holds a nested table and foreign files (as an older version allowed).
    await project.query('CREATE TABLE delta.`outer` (id INT)');
    await project.query('CREATE TABLE delta.`outer/inner` (id INT)');
    await project.query('INSERT INTO delta.`outer/inner` VALUES (1), (2)');
    await project.query('INSERT INTO delta.`outer` VALUES (1)');
    await project.query('DELETE FROM delta.`outer` WHERE id = 1'); // its data file is now stale
    writeFileSync(path.join(dir, 'outer/strata.yaml'), 'name: x\n');
    mkdirSync(path.join(dir, 'outer/landing'), { recursive: true });
    writeFileSync(path.join(dir, 'outer/landing/orders.csv'), 'id\n1\n');
    const settings = new Map([['spark.databricks.delta.retentiondurationcheck.enabled', 'false']]);
    const vacuumed = await project.query('VACUUM delta.`outer` RETAIN 0 HOURS', { settings });
    const deleted = vacuumed.rows.map((r) => String(r[0]));
    expect(deleted.length).toBe(1);
    expect(deleted[0]).toMatch(/\.parquet$/);
    expect(existsSync(path.join(dir, 'outer/strata.yaml'))).toBe(true);
    expect(existsSync(path.join(dir, 'outer/landing/orders.csv'))).toBe(true);
    expect(readdirSync(path.join(dir, 'outer/inner')).some((f) => f.endsWith('.parquet'))).toBe(true);
    expect((await project.query('SELECT count(*) FROM delta.`outer/inner`')).rows).toEqual([[2]]);
  });

  it("COPY INTO refuses FROM '' and sources inside the lake (or the project folder that holds it)", async () => {
    const dir = path.join(bed.dir, 'p3');
    mkdirSync(dir, { recursive: true });
    const project = await projectAt(bed, dir);
    await project.query('CREATE TABLE bronze.orders (id INT)');
    await project.query('INSERT INTO bronze.orders VALUES (1)');
    await expect(project.query("COPY INTO bronze.orders FROM '' FILEFORMAT = CSV")).rejects.toThrow(
      /FROM '' names no files/,
    );
    await expect(project.query("COPY INTO bronze.orders FROM 'lake/bronze' FILEFORMAT = PARQUET")).rejects.toThrow(
      /the source .* is inside the lake/,
    );
    await expect(project.query("COPY INTO bronze.orders FROM '.' FILEFORMAT = CSV")).rejects.toThrow(
      /is around the lake/,
    );
    expect((await project.query('SELECT count(*) FROM bronze.orders')).rows).toEqual([[1]]);
  });
});
