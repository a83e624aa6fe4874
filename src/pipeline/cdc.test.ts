// The SCD replay against a plain model of Databricks' semantics, over thousands of
// random event streams (fixed seed): same rows, whatever the order of the events.
import { describe, expect, it } from 'vitest';
import { useSession } from '../../test/helpers/harness.js';
import { quoteLiteral } from '../engine/index.js';
import { scdSql, type ScdShape } from './cdc.js';

import { cmp, model, rng, streams, type Ev, type Row } from '../../test/helpers/scd-model.js';

const values = (events: Ev[]) =>
  `SELECT * FROM (VALUES ${events.map((e) => `(${e.s}, ${e.k ?? 'NULL'}, ${e.seq}, '${e.op}', ${e.a === null ? 'NULL' : quoteLiteral(e.a)}, ${e.b ?? 'NULL'})`).join(', ')}) AS v(s, k, __seq, __op, a, b)`;

const held = useSession(2);

async function run(events: Ev[], shape: ScdShape): Promise<Row[]> {
  const rows = await held.session.rows<Record<string, unknown>>(
    `SELECT * FROM (${scdSql(shape, values(events))}) ORDER BY ALL`,
  );
  return rows
    .map((r) => Object.values(r).map((v) => (typeof v === 'bigint' ? Number(v) : (v as string | number | null))))
    .sort(cmp);
}

describe('SCD replay', () => {
  const events = streams(2000, 20261123);
  for (const type of [1, 2] as const) {
    for (const ignoreNull of [false, true]) {
      it(`SCD type ${type}${ignoreNull ? ', IGNORE NULL UPDATES' : ''}: equals the model on 2,000 random streams, in any order`, async () => {
        const shape: ScdShape = {
          type,
          keys: ['s', 'k'],
          columns: ['a', 'b'],
          tracked: ['a'],
          ignoreNullUpdates: ignoreNull,
        };
        const expected = model(events, type, ignoreNull);
        expect(await run(events, shape)).toEqual(expected);
        // Shuffled: the same.
        const r = rng(7);
        expect(
          await run(
            [...events].sort(() => r() - 0.5),
            shape,
          ),
        ).toEqual(expected);
        if (type === 2) {
          // At most one current row per key, no overlapping intervals.
          const rows = await run(events, shape);
          const byKey = new Map<string, Row[]>();
          for (const row of rows) byKey.set(`${row[0]}/${row[1]}`, [...(byKey.get(`${row[0]}/${row[1]}`) ?? []), row]);
          for (const versions of byKey.values()) {
            expect(versions.filter((v) => v[5] === null).length).toBeLessThanOrEqual(1);
            versions.sort((x, y) => Number(x[4]) - Number(y[4]));
            for (let i = 1; i < versions.length; i++)
              expect(Number(versions[i - 1][5])).toBeLessThanOrEqual(Number(versions[i][4]));
          }
        }
      });
    }
  }

  it('a worked example: a late event splits the version it falls into; a delete closes the current one', async () => {
    const ev = (seq: number, op: 'upsert' | 'delete', a: string | null, b: number | null): Ev => ({
      s: 0,
      k: 1,
      seq,
      op,
      a,
      b,
    });
    const shape: ScdShape = {
      type: 2,
      keys: ['s', 'k'],
      columns: ['a', 'b'],
      tracked: ['a'],
      ignoreNullUpdates: false,
    };
    // Paris from 10, Lyon from 30, b updated in place at 40; the late Nice at 20 splits Paris; deleted at 50.
    expect(
      await run(
        [
          ev(10, 'upsert', 'Paris', 1),
          ev(30, 'upsert', 'Lyon', 1),
          ev(40, 'upsert', 'Lyon', 2),
          ev(50, 'delete', null, null),
          ev(20, 'upsert', 'Nice', 1),
        ],
        shape,
      ),
    ).toEqual([
      [0, 1, 'Lyon', 2, 30, 50],
      [0, 1, 'Nice', 1, 20, 30],
      [0, 1, 'Paris', 1, 10, 20],
    ]);
    // SCD1 of the same: deleted (the tombstone at 50 wins over the late upsert at 20).
    expect(
      await run([ev(10, 'upsert', 'Paris', 1), ev(50, 'delete', null, null), ev(20, 'upsert', 'Nice', 1)], {
        ...shape,
        type: 1,
      }),
    ).toEqual([]);
  });

  it('ties on the sequence are broken the same way whatever the order', async () => {
    const shape: ScdShape = {
      type: 2,
      keys: ['s', 'k'],
      columns: ['a', 'b'],
      tracked: ['a'],
      ignoreNullUpdates: false,
    };
    const tie: Ev[] = [
      { s: 0, k: 1, seq: 10, op: 'upsert', a: 'x', b: 1 },
      { s: 0, k: 1, seq: 10, op: 'upsert', a: 'y', b: 2 },
      { s: 0, k: 1, seq: 10, op: 'delete', a: null, b: null },
      { s: 0, k: 1, seq: 20, op: 'upsert', a: 'z', b: 3 },
    ];
    const first = await run(tie, shape);
    expect(await run([...tie].reverse(), shape)).toEqual(first);
    expect(first.filter((r) => r[5] === null)).toEqual([[0, 1, 'z', 3, 20, null]]);
  });
});
