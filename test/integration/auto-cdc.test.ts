// AUTO CDC flows run by strata run: Databricks' documented example (SCD1 and
// SCD2 over the same change rows, with a delete, out-of-order updates and a
// truncate), the older APPLY CHANGES INTO statement, a NULL sequence value,
// the event log's metrics, and the stream progress kept across runs.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunOutcome, UpdateOptions } from '../../src/project/index.js';
import { executeQuery } from '../../src/sql/index.js';
import { projectAt, useTestBed } from '../helpers/harness.js';
import { cmp, model, rng, streams, type Ev, type Row } from '../helpers/scd-model.js';

const bed = useTestBed('auto-cdc');

function project(name: string, sql: string): string {
  const dir = path.join(bed.dir, name);
  mkdirSync(path.join(dir, 'pipelines', 'main'), { recursive: true });
  writeFileSync(path.join(dir, 'pipelines', 'main', 'main.sql'), sql);
  return dir;
}
function land(dir: string, file: string, text: string): void {
  mkdirSync(path.join(dir, 'landing'), { recursive: true });
  writeFileSync(path.join(dir, 'landing', file), text);
}
async function run(dir: string, options: UpdateOptions = {}): Promise<RunOutcome> {
  const project = await projectAt(bed, dir);
  const pipeline = await project.loadPipeline('main');
  expect(pipeline.problems).toEqual([]);
  return project.runPipeline(pipeline, options);
}
const rows = async (dir: string, q: string) =>
  (await bed.engine.withSession((s) => executeQuery(s, q, { baseDir: dir }))).rows;

// The change rows of Databricks' AUTO CDC documentation ("Example: SCD type 1 and SCD type 2 processing").
const USERS = `userId,name,city,operation,sequenceNum
124,Raul,Oaxaca,INSERT,1
123,Isabel,Monterrey,INSERT,1
125,Mercedes,Tijuana,INSERT,2
126,Lily,Cancun,INSERT,2
123,,,DELETE,6
125,Mercedes,Guadalajara,UPDATE,6
125,Mercedes,Mexicali,UPDATE,5
123,Isabel,Chihuahua,UPDATE,5
`;

const PIPELINE = `
CREATE OR REFRESH STREAMING TABLE users_cdc AS
SELECT * FROM STREAM read_files('landing/*.csv', format => 'csv');

CREATE TEMPORARY VIEW users_changes AS
SELECT userId, name, city, operation, sequenceNum FROM STREAM(users_cdc);

CREATE OR REFRESH STREAMING TABLE users_scd1;
CREATE FLOW users_scd1_flow AS AUTO CDC INTO users_scd1
FROM STREAM(users_changes)
KEYS (userId)
APPLY AS DELETE WHEN operation = "DELETE"
APPLY AS TRUNCATE WHEN operation = "TRUNCATE"
SEQUENCE BY sequenceNum
COLUMNS * EXCEPT (operation, sequenceNum)
STORED AS SCD TYPE 1;

CREATE OR REFRESH STREAMING TABLE users_scd2;
APPLY CHANGES INTO LIVE.users_scd2
FROM STREAM(LIVE.users_changes)
KEYS (userId)
APPLY AS DELETE WHEN operation = 'DELETE'
SEQUENCE BY sequenceNum
COLUMNS * EXCEPT (operation, sequenceNum)
STORED AS SCD TYPE 2;
`;

describe('AUTO CDC', () => {
  it("gives Databricks' documented SCD1 and SCD2 results, then applies a late truncate", async () => {
    const dir = project('docs-example', PIPELINE);
    land(dir, 'users-1.csv', USERS);
    const first = await run(dir);
    expect(first.status, first.error).toBe('COMPLETED');
    expect(await rows(dir, 'SELECT userId, name, city FROM users_scd1 ORDER BY userId')).toEqual([
      [124, 'Raul', 'Oaxaca'],
      [125, 'Mercedes', 'Guadalajara'],
      [126, 'Lily', 'Cancun'],
    ]);
    expect(
      await rows(dir, 'SELECT userId, name, city, __START_AT, __END_AT FROM users_scd2 ORDER BY userId, __START_AT'),
    ).toEqual([
      [123, 'Isabel', 'Monterrey', 1, 5],
      [123, 'Isabel', 'Chihuahua', 5, 6],
      [124, 'Raul', 'Oaxaca', 1, null],
      [125, 'Mercedes', 'Tijuana', 2, 5],
      [125, 'Mercedes', 'Mexicali', 5, 6],
      [125, 'Mercedes', 'Guadalajara', 6, null],
      [126, 'Lily', 'Cancun', 2, null],
    ]);
    const scd1 = first.flows.find((f) => f.flow === 'users_scd1_flow')!;
    expect(scd1.metrics).toEqual({ num_upserted_rows: 3, num_deleted_rows: 0 });
    expect(scd1.rowsRead).toBe(8);
    // In the event log, as Databricks reports them; the flow is a CHANGE flow.
    expect(
      await rows(
        dir,
        `SELECT origin.flow_name, json_extract(details, '$.flow_progress.metrics.num_upserted_rows')::INT, json_extract(details, '$.flow_progress.metrics.num_deleted_rows')::INT
        FROM system.event_log WHERE event_type = 'flow_progress' AND json_extract_string(details, '$.flow_progress.status') = 'COMPLETED' AND origin.update_id = '${first.updateId}' AND origin.flow_name LIKE 'users_scd%' ORDER BY 1`,
      ),
    ).toEqual([
      ['users_scd1_flow', 3, 0],
      ['users_scd2', 7, 0],
    ]);
    expect(
      await rows(
        dir,
        `SELECT DISTINCT json_extract_string(details, '$.flow_definition.flow_type') FROM system.event_log WHERE event_type = 'flow_definition' AND origin.flow_name = 'users_scd2'`,
      ),
    ).toEqual([['CHANGE']]);

    // Nothing new: nothing read, nothing written.
    const second = await run(dir);
    expect(second.flows.find((f) => f.flow === 'users_scd1_flow')!.message).toBe('no new data');

    // A truncate at sequence 3 empties what came before it: only 125's update at 6 is left.
    land(dir, 'users-2.csv', 'userId,name,city,operation,sequenceNum\n,,,TRUNCATE,3\n');
    const third = await run(dir);
    expect(third.status, third.error).toBe('COMPLETED');
    expect(await rows(dir, 'SELECT userId, name, city FROM users_scd1 ORDER BY userId')).toEqual([
      [125, 'Mercedes', 'Guadalajara'],
    ]);
    expect(third.flows.find((f) => f.flow === 'users_scd1_flow')!.metrics).toEqual({
      num_upserted_rows: 0,
      num_deleted_rows: 2,
    });
  });

  it('gives the same tables as the model whatever the order and batching (1,500 random streams, shuffled, split into random batches)', async () => {
    const events = streams(1500, 424242);
    const targets = [
      { name: 'scd1', clauses: 'STORED AS SCD TYPE 1', type: 1, ignoreNull: false },
      { name: 'scd1_nulls', clauses: 'IGNORE NULL UPDATES STORED AS SCD TYPE 1', type: 1, ignoreNull: true },
      { name: 'scd2', clauses: 'STORED AS SCD TYPE 2 TRACK HISTORY ON (a)', type: 2, ignoreNull: false },
      {
        name: 'scd2_nulls',
        clauses: 'IGNORE NULL UPDATES STORED AS SCD TYPE 2 TRACK HISTORY ON * EXCEPT (b)',
        type: 2,
        ignoreNull: true,
      },
    ] as const;
    const sql = [
      "CREATE OR REFRESH STREAMING TABLE changes AS SELECT * FROM STREAM read_files('landing/*.csv', format => 'csv', schemaHints => 's INT, k INT, seq INT, op STRING, a STRING, b INT');",
      ...targets.map(
        (t) => `CREATE OR REFRESH STREAMING TABLE ${t.name};
CREATE FLOW ${t.name}_flow AS AUTO CDC INTO ${t.name} FROM STREAM(changes) KEYS (s, k)
APPLY AS DELETE WHEN op = 'delete' SEQUENCE BY seq COLUMNS s, k, a, b ${t.clauses};`,
      ),
    ].join('\n');
    const csv = (evs: Ev[]) =>
      `s,k,seq,op,a,b\n${evs.map((e) => `${e.s},${e.k ?? ''},${e.seq},${e.op},${e.a ?? ''},${e.b ?? ''}`).join('\n')}\n`;
    const tables = async (dir: string) => {
      const out: Record<string, Row[]> = {};
      for (const t of targets) {
        const cols = t.type === 1 ? 's, k, a, b' : 's, k, a, b, __START_AT, __END_AT';
        const got = await rows(dir, `SELECT ${cols} FROM ${t.name}`);
        out[t.name] = (got as unknown[][])
          .map((r) => r.map((v) => (v === null ? null : /^-?\d+$/.test(String(v)) ? Number(v) : String(v))))
          .sort(cmp);
      }
      return out;
    };
    const results: Record<string, Row[]>[] = [];
    for (const [i, seed] of [11, 29].entries()) {
      // Shuffled, then cut into 2-5 batches of random sizes, one run each.
      const r = rng(seed);
      const shuffled = [...events].sort(() => r() - 0.5);
      const cuts = [
        0,
        ...Array.from({ length: 1 + Math.floor(r() * 4) }, () => Math.floor(r() * shuffled.length)).sort(
          (x, y) => x - y,
        ),
        shuffled.length,
      ];
      const dir = project(`random-${i}`, sql);
      for (let b = 0; b + 1 < cuts.length; b++) {
        land(dir, `batch-${b}.csv`, csv(shuffled.slice(cuts[b], cuts[b + 1])));
        const outcome = await run(dir);
        expect(outcome.status, outcome.error).toBe('COMPLETED');
      }
      results.push(await tables(dir));
    }
    expect(results[1]).toEqual(results[0]);
    for (const t of targets) expect(results[0][t.name], t.name).toEqual(model(events, t.type, t.ignoreNull));
    // SCD2: at most one current row per key, and no overlapping intervals.
    for (const t of targets.filter((x) => x.type === 2)) {
      const byKey = new Map<string, Row[]>();
      for (const row of results[0][t.name])
        byKey.set(`${row[0]}/${row[1]}`, [...(byKey.get(`${row[0]}/${row[1]}`) ?? []), row]);
      for (const versions of byKey.values()) {
        expect(versions.filter((v) => v[5] === null).length).toBeLessThanOrEqual(1);
        versions.sort((x, y) => Number(x[4]) - Number(y[4]));
        for (let i = 1; i < versions.length; i++)
          expect(Number(versions[i - 1][5])).toBeLessThanOrEqual(Number(versions[i][4]));
      }
    }
  });

  it.each([
    ['several changes per key in a batch', [0, 30, 60, 90, 120]],
    ['one change per key in a batch', [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]],
  ])(
    'continues SCD2 histories from the current versions when batches come in sequence order (%s), with the same tables as the model',
    async (kind, bounds) => {
      // No NULL key part (a NULL key takes the full recompute); batches cut at sequence boundaries,
      // so each batch comes after everything before it. Each key has one change per sequence
      // value, so batches of one value have one change per key (the join instead of windows).
      const events = streams(1500, 97).filter((e) => e.k !== null);
      const targets = [
        { name: 'scd2', clauses: 'STORED AS SCD TYPE 2 TRACK HISTORY ON (a)', ignoreNull: false },
        {
          name: 'scd2_nulls',
          clauses: 'IGNORE NULL UPDATES STORED AS SCD TYPE 2 TRACK HISTORY ON * EXCEPT (b)',
          ignoreNull: true,
        },
      ] as const;
      const dir = project(
        `in-order-${bounds.length}`,
        [
          "CREATE OR REFRESH STREAMING TABLE changes AS SELECT * FROM STREAM read_files('landing/*.csv', format => 'csv', schemaHints => 's INT, k INT, seq INT, op STRING, a STRING, b INT');",
          ...targets.map(
            (t) => `CREATE OR REFRESH STREAMING TABLE ${t.name};
CREATE FLOW ${t.name}_flow AS AUTO CDC INTO ${t.name} FROM STREAM(changes) KEYS (s, k)
APPLY AS DELETE WHEN op = 'delete' SEQUENCE BY seq COLUMNS s, k, a, b ${t.clauses};`,
          ),
        ].join('\n'),
      );
      const r = rng(5);
      const shuffled = [...events].sort(() => r() - 0.5);
      for (let b = 0; b + 1 < bounds.length; b++) {
        const batch = shuffled.filter((e) => e.seq > bounds[b] && e.seq <= bounds[b + 1]);
        land(
          dir,
          `batch-${String(b).padStart(2, '0')}.csv`,
          `s,k,seq,op,a,b\n${batch.map((e) => `${e.s},${e.k},${e.seq},${e.op},${e.a ?? ''},${e.b ?? ''}`).join('\n')}\n`,
        );
        const outcome = await run(dir);
        expect(outcome.status, outcome.error).toBe('COMPLETED');
        for (const t of targets) {
          const f = outcome.flows.find((x) => x.flow === `${t.name}_flow`)!;
          // The first batch builds the target; every later one continues the current versions.
          expect(
            (f.message ?? '').includes('current versions continued'),
            `${kind}: ${t.name}, batch ${b}: ${f.message}`,
          ).toBe(b > 0);
          expect(f.metrics!.num_upserted_rows).toBe(f.rowsWritten);
        }
      }
      for (const t of targets) {
        const got = (await rows(dir, `SELECT s, k, a, b, __START_AT, __END_AT FROM ${t.name}`)) as Row[];
        expect(
          got
            .map((x) => x.map((v) => (v === null ? null : /^-?\d+$/.test(String(v)) ? Number(v) : String(v))))
            .sort(cmp),
          `${kind}: ${t.name}`,
        ).toEqual(model(events, 2, t.ignoreNull));
      }
      // The last update is a MERGE that recorded its batch: a second run has nothing to do.
      const again = await run(dir);
      expect(again.flows.find((x) => x.flow === 'scd2_flow')!.message).toBe('no new data');
    },
  );

  it('names the row of a NULL sequence value, and writes nothing of its batch', async () => {
    const dir = project('null-seq', PIPELINE);
    land(dir, 'users-1.csv', 'userId,name,city,operation,sequenceNum\n1,Ana,Lima,INSERT,1\n2,Bo,Oslo,INSERT,\n');
    const outcome = await run(dir);
    expect(outcome.status).toBe('FAILED');
    expect(outcome.flows.find((f) => f.flow === 'users_scd1_flow')!.message).toBe(
      'users_scd1_flow: a row of STREAM(users_changes) has a NULL SEQUENCE BY value (sequenceNum): the row with key {"userId":2}; every change needs a sequence value to be ordered',
    );
    expect(await rows(dir, 'SELECT count(*) FROM users_scd1')).toEqual([[0]]);
  });

  it('a run killed between the state commit and the target commit is finished by the next run', async () => {
    const dir = project('resume', PIPELINE);
    land(dir, 'users-1.csv', USERS);
    expect((await run(dir)).status).toBe('COMPLETED');
    const before = await rows(dir, 'SELECT * FROM users_scd2 ORDER BY ALL');
    // The target's last commit never happened: the state is a batch ahead of it.
    const log = path.join(dir, 'lake', 'default', 'users_scd2', '_delta_log');
    const last = readdirSync(log)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .at(-1)!;
    rmSync(path.join(log, last));
    expect(await rows(dir, 'SELECT count(*) FROM users_scd2')).toEqual([[0]]);
    const again = await run(dir);
    expect(again.status, again.error).toBe('COMPLETED');
    expect(again.flows.find((f) => f.flow === 'users_scd2')!.rowsRead).toBe(0); // nothing read twice
    expect(await rows(dir, 'SELECT * FROM users_scd2 ORDER BY ALL')).toEqual(before);
    // A full refresh rebuilds it from the source, state included.
    const refreshed = await run(dir, { fullRefresh: ['users_scd2'] });
    expect(refreshed.status, refreshed.error).toBe('COMPLETED');
    expect(refreshed.flows.find((f) => f.flow === 'users_scd2')!.rowsRead).toBe(8);
    expect(await rows(dir, 'SELECT * FROM users_scd2 ORDER BY ALL')).toEqual(before);
  });

  it('a delete keeps a late, older upsert out until its tombstone expires', async () => {
    const sql = (seconds?: number) => `
CREATE OR REFRESH STREAMING TABLE changes AS SELECT * FROM STREAM read_files('landing/*.csv', format => 'csv');
CREATE OR REFRESH STREAMING TABLE dim${seconds === undefined ? '' : ` TBLPROPERTIES ('pipelines.cdc.tombstoneGCThresholdInSeconds' = '${seconds}')`};
CREATE FLOW dim_flow AS AUTO CDC INTO dim FROM STREAM(changes) KEYS (id) APPLY AS DELETE WHEN op = 'D' SEQUENCE BY seq COLUMNS id, v;`;
    for (const [name, seconds, expected] of [
      ['kept', undefined, []],
      ['expired', 0, [[1, 'late']]],
    ] as const) {
      const dir = project(`tombstone-${name}`, sql(seconds));
      land(dir, 'a.csv', 'id,v,op,seq\n1,first,U,10\n1,,D,20\n');
      expect((await run(dir)).status).toBe('COMPLETED');
      expect(await rows(dir, 'SELECT count(*) FROM dim')).toEqual([[0]]);
      land(dir, 'b.csv', 'id,v,op,seq\n1,late,U,15\n');
      const outcome = await run(dir);
      expect(outcome.status, outcome.error).toBe('COMPLETED');
      expect(await rows(dir, 'SELECT id, v FROM dim')).toEqual(expected);
    }
  });

  it('adds the columns the source gains to the target', async () => {
    const dir = project(
      'evolve',
      `
CREATE OR REFRESH STREAMING TABLE changes AS SELECT * FROM STREAM read_files('landing/*.csv', format => 'csv');
CREATE OR REFRESH STREAMING TABLE dim;
CREATE FLOW dim_flow AS AUTO CDC INTO dim FROM STREAM(changes) KEYS (id) SEQUENCE BY seq COLUMNS * EXCEPT (seq, _rescued_data) STORED AS SCD TYPE 2;`,
    );
    land(dir, 'a.csv', 'id,v,seq\n1,a,1\n2,b,1\n');
    const first = await run(dir);
    expect(first.status, first.error).toBe('COMPLETED');
    land(dir, 'b.csv', 'id,v,seq,tier\n1,a2,2,gold\n');
    const outcome = await run(dir);
    expect(outcome.status, outcome.error).toBe('COMPLETED');
    expect(await rows(dir, 'SELECT id, v, tier, __START_AT, __END_AT FROM dim ORDER BY ALL')).toEqual([
      [1, 'a', null, 1, 2],
      [1, 'a2', 'gold', 2, null],
      [2, 'b', null, 1, null],
    ]);
    // The target has the source's columns but those excepted (bronze has no audit columns).
    expect(await rows(dir, `SELECT column_name FROM (DESCRIBE SELECT * FROM dim) ORDER BY column_name`)).toEqual([
      ['__END_AT'],
      ['__START_AT'],
      ['id'],
      ['tier'],
      ['v'],
    ]);
  });

  it('writes the change data feed of a target that has it: the rows each update removed and added', async () => {
    const dir = project(
      'cdf',
      `
CREATE OR REFRESH STREAMING TABLE changes AS SELECT * FROM STREAM read_files('landing/*.csv', format => 'csv', schemaHints => 'id INT, seq INT');
CREATE OR REFRESH STREAMING TABLE dim TBLPROPERTIES ('delta.enableChangeDataFeed' = 'true');
CREATE FLOW dim_flow AS AUTO CDC INTO dim FROM STREAM(changes) KEYS (id) APPLY AS DELETE WHEN op = 'D' SEQUENCE BY seq COLUMNS id, v;`,
    );
    land(dir, 'a.csv', 'id,v,op,seq\n1,a,U,1\n2,b,U,1\n3,c,U,1\n');
    expect((await run(dir)).status).toBe('COMPLETED');
    land(dir, 'b.csv', 'id,v,op,seq\n1,a2,U,2\n2,,D,2\n');
    const second = await run(dir);
    expect(second.status, second.error).toBe('COMPLETED');
    expect(await rows(dir, 'SELECT id, v FROM dim ORDER BY id')).toEqual([
      [1, 'a2'],
      [3, 'c'],
    ]);
    // Databricks' num_deleted_rows counts the deleted keys (2), not the updated one (1).
    expect(second.flows.find((f) => f.flow === 'dim_flow')!.metrics).toEqual({
      num_upserted_rows: 1,
      num_deleted_rows: 1,
    });
    expect(
      await rows(
        dir,
        `SELECT id, v, _change_type FROM table_changes('dim', ${second.flows.find((f) => f.flow === 'dim_flow')!.version}) ORDER BY id, _change_type`,
      ),
    ).toEqual([
      [1, 'a', 'delete'],
      [1, 'a2', 'insert'],
      [2, 'b', 'delete'],
    ]);
  });

  // "You define data quality constraints for the target using the same CONSTRAINT clause as other
  // pipeline queries" (Databricks, AUTO CDC INTO): they apply to the source rows. The source may be
  // a view that joins a table (a lookup), read as a stream.
  it("applies the target's expectations to the source rows (drop, quarantine), from a view joining a table", async () => {
    const dir = project(
      'view-expectations',
      `CREATE OR REFRESH STREAMING TABLE lines AS SELECT * FROM STREAM read_files('landing/*.csv', format => 'csv');
CREATE OR REFRESH MATERIALIZED VIEW prices AS SELECT * FROM (VALUES ('a', 10), ('b', 20)) AS t(product, price);
CREATE TEMPORARY VIEW priced AS
SELECT l.order_id, l.product, CAST(l.qty AS INT) AS qty, CAST(l.day AS DATE) AS day, p.price
FROM STREAM(lines) l LEFT JOIN prices p ON p.product = l.product;
CREATE OR REFRESH STREAMING TABLE fact (
  CONSTRAINT priced EXPECT (price IS NOT NULL) ON VIOLATION QUARANTINE,
  CONSTRAINT some_qty EXPECT (qty > 0) ON VIOLATION DROP ROW
);
CREATE FLOW fact_changes AS AUTO CDC INTO fact FROM STREAM(priced) KEYS (order_id, product) SEQUENCE BY day;
`,
    );
    // A line sent twice, a product without a price, a line without quantity.
    land(
      dir,
      'a.csv',
      'order_id,product,qty,day\n1,a,2,2026-01-01\n1,a,2,2026-01-01\n2,b,3,2026-01-01\n2,z,3,2026-01-01\n3,a,0,2026-01-01\n',
    );
    const first = await run(dir);
    expect(first.status, first.error).toBe('COMPLETED');
    const flow = first.flows.find((f) => f.flow === 'fact_changes')!;
    expect([flow.rowsRead, flow.dropped, flow.quarantined]).toEqual([5, 1, 1]);
    expect(flow.expectations.map((e) => [e.name, e.failed_records])).toEqual([
      ['priced', 1],
      ['some_qty', 1],
    ]);
    expect(await rows(dir, 'SELECT order_id, product, qty, price FROM fact ORDER BY ALL')).toEqual([
      [1, 'a', 2, 10],
      [2, 'b', 3, 20],
    ]);
    expect(await rows(dir, "SELECT _raw::JSON->>'product', _rules FROM fact_quarantine")).toEqual([['z', ['priced']]]);
  });
});
