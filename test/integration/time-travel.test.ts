// Time travel over a table Spark wrote: by version and by commit timestamp.
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/index.js';
import { executeQuery } from '../../src/sql/index.js';

const CORPUS = path.resolve(process.env.STRATA_CONFORMANCE_DIR ?? '../shared/conformance/delta');
// Commits: v0 at 2023-01-25T01:50:13.970Z (3 rows), v1 at 2023-01-25T01:50:22.877Z (5 rows).
const TABLE = path.join(CORPUS, 'dat/basic_append/delta');
let engine: Engine;
beforeAll(async () => {
  engine = await Engine.create({ threads: 2 });
});
afterAll(() => engine.close());

const count = (args: string) =>
  engine.withSession(
    async (s) => (await executeQuery(s, `SELECT count(*) FROM delta_scan('${TABLE}'${args})`)).rows[0][0],
  );

describe('time travel', () => {
  it('by version', async () => {
    expect(await count(', version => 0')).toBe(3);
    expect(await count(', version => 1')).toBe(5);
    expect(await count('')).toBe(5);
  });

  it('by timestamp: the newest commit at or before the time (UTC)', async () => {
    expect(await count(", timestamp => '2023-01-25 01:50:13.970'")).toBe(3);
    expect(await count(", timestamp => '2023-01-25 01:50:22'")).toBe(3);
    expect(await count(", timestamp => '2023-01-25T01:50:22.877Z'")).toBe(5);
    expect(await count(", timestamp => '2030-01-01'")).toBe(5);
  });

  it('a time before the first commit names the earliest version', async () => {
    await expect(count(", timestamp => '2023-01-25 01:50:00'")).rejects.toThrow(
      /no version exists at 2023-01-25T01:50:00.000Z; the earliest available version 0 was committed at 2023-01-25T01:50:13.970Z/,
    );
  });

  it('a malformed timestamp is a clear error', async () => {
    await expect(count(", timestamp => 'yesterday'")).rejects.toThrow(/'yesterday' is not a timestamp/);
  });

  it('versions of one table can be compared in one query', async () => {
    const r = await engine.withSession((s) =>
      executeQuery(
        s,
        `SELECT number FROM delta_scan('${TABLE}') EXCEPT SELECT number FROM delta_scan('${TABLE}', version => 0) ORDER BY 1`,
      ),
    );
    expect(r.rows).toEqual([[4], [5]]);
  });
});
