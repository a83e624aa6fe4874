// Concurrent writers against DELETE and UPDATE: another commit lands between
// our read and our commit. Appends elsewhere are retried past; changes to what
// we read fail ours with a conflict naming the winning version.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StrataError } from '../../src/core/index.js';
import { deleteRows, updateRows, type Predicate } from '../../src/delta/index.js';
import { executeQuery } from '../../src/sql/index.js';
import { useTestBed } from '../helpers/harness.js';

const bed = useTestBed('conflicts');
const sql = (q: string) => bed.engine.withSession((s) => executeQuery(s, q, { baseDir: bed.dir }));
const day1: Predicate = { kind: 'cmp', column: 'day', op: '=', value: '2024-01-01' };

async function freshTable(name: string): Promise<string> {
  await sql(`CREATE TABLE c.${name} (day DATE, id INT) PARTITIONED BY (day)`);
  await sql(`INSERT INTO c.${name} SELECT DATE '2024-01-01' + (id % 2)::INT, id::INT FROM range(10)`);
  return path.join(bed.dir, 'lake/c', name);
}

describe('DML under concurrent writers', () => {
  it('a DELETE is retried past an append to another partition', async () => {
    const location = await freshTable('a');
    const r = await bed.engine.withSession((s) =>
      deleteRows(s, {
        location,
        where: `day = DATE '2024-01-01'`,
        prune: day1,
        beforeCommit: () => sql(`INSERT INTO c.a VALUES (DATE '2024-01-02', 100)`).then(() => undefined),
      }),
    );
    expect(r.version).toBe(3);
    expect((await sql(`SELECT count(*) FROM c.a`)).rows).toEqual([[6]]);
  });

  it('a DELETE fails when rows were appended to the partition it deletes from', async () => {
    const location = await freshTable('b');
    const err = await bed.engine
      .withSession((s) =>
        deleteRows(s, {
          location,
          where: `day = DATE '2024-01-01'`,
          prune: day1,
          beforeCommit: () => sql(`INSERT INTO c.b VALUES (DATE '2024-01-01', 100)`).then(() => undefined),
        }),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StrataError);
    expect((err as StrataError).code).toBe('CONFLICT');
    expect((err as Error).message).toMatch(
      /a concurrent commit \(version 2\) conflicts with this one: it added .* to data this commit read/,
    );
    expect((await sql(`SELECT count(*) FROM c.b`)).rows).toEqual([[11]]); // ours left no trace
  });

  it('an UPDATE fails when another commit deleted the same file', async () => {
    const location = await freshTable('c');
    const err = await bed.engine
      .withSession((s) =>
        updateRows(s, {
          location,
          where: 'id = 2',
          set: [['id', '200']],
          beforeCommit: () => sql(`DELETE FROM c.c WHERE id = 4`).then(() => undefined),
        }),
      )
      .catch((e: unknown) => e);
    expect((err as StrataError).code).toBe('CONFLICT');
    expect((err as Error).message).toMatch(/it also removed|which this commit read/);
    expect((await sql(`SELECT count(*) FROM c.c WHERE id = 200`)).rows).toEqual([[0]]);
  });

  it('a DELETE fails when OPTIMIZE compacted the files it read', async () => {
    const location = await freshTable('d');
    await sql(`INSERT INTO c.d SELECT DATE '2024-01-01', 50`);
    const err = await bed.engine
      .withSession((s) =>
        deleteRows(s, { location, where: 'id = 50', beforeCommit: () => sql(`OPTIMIZE c.d`).then(() => undefined) }),
      )
      .catch((e: unknown) => e);
    expect((err as StrataError).code).toBe('CONFLICT');
  });
});
