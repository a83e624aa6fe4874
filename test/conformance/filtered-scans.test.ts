// File skipping against independent truth: filtered reads of tables others
// wrote (partitioned, with deletion vectors, with stats) return exactly the
// rows of their published expected data under the same filter.
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, quoteLiteral } from '../../src/engine/index.js';
import { executeQuery as runSql } from '../../src/sql/index.js';
import type { Session } from '../../src/engine/index.js';

/** The checks' SQL is DuckDB's (names quoted with quoteIdent): run as such, not as Spark SQL. */
const executeQuery = (s: Session, sql: string) => runSql(s, sql, { dialect: 'duckdb' });
import { CORPUS_DIR } from '../helpers/corpus.js';

const CASES: [string, string[]][] = [
  [
    'kernel-rs-golden/dv-partitioned-with-checkpoint',
    ['part = 0', 'part IN (1, 2)', 'col1 > 5', 'col1 < 3 OR part = 1', 'col2 IS NULL'],
  ],
  [
    'kernel-rs-golden/data-skipping-partition-and-data-column',
    ['part = 1', 'id > 2', 'id = 1 OR part = 0', 'id BETWEEN 1 AND 2'],
  ],
  ['dat/basic_partitioned', ["letter = 'a'", 'letter IS NULL', 'letter IS NOT NULL AND number > 2', "letter <> 'a'"]],
  ['kernel-rs-golden/basic-decimal-table', ['part > 0', 'col1 < 0']],
  [
    'kernel-rs-golden/kernel-timestamp-timestamp_micros',
    ["time > TIMESTAMPTZ '2020-01-01 00:00:00+00'", 'part IS NULL'],
  ],
];

let engine: Engine;
beforeAll(async () => {
  engine = await Engine.create({ threads: 2 });
});
afterAll(() => engine.close());

describe.each(CASES)('%s', (id, filters) => {
  it.each(filters)('WHERE %s: same rows as the expected data', async (where) => {
    const table = path.join(CORPUS_DIR, id, 'delta');
    // DAT cases keep the expected rows under expected/latest/table_content.
    const expected = path.join(
      CORPUS_DIR,
      id,
      ...(id.startsWith('dat/') ? ['expected', 'latest', 'table_content'] : ['expected']),
      '*.parquet',
    );
    await engine.withSession(async (s) => {
      const columns = (await executeQuery(s, `SELECT * FROM delta_scan(${quoteLiteral(table)}) LIMIT 0`)).columns;
      const cols = columns.map((c) => `"${c.name}"`).join(', ');
      const exp = `SELECT ${columns.map((c) => `CAST("${c.name}" AS ${c.type}) AS "${c.name}"`).join(', ')} FROM read_parquet(${quoteLiteral(expected)})`;
      const act = `SELECT ${cols} FROM delta_scan(${quoteLiteral(table)}) WHERE ${where}`;
      const r = await executeQuery(
        s,
        `SELECT (SELECT count(*) FROM (${act} EXCEPT ALL SELECT * FROM (${exp}) WHERE ${where})), (SELECT count(*) FROM (SELECT * FROM (${exp}) WHERE ${where} EXCEPT ALL ${act}))`,
      );
      expect(r.rows[0]).toEqual([0, 0]);
    });
  });
});
