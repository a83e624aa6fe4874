// Delta's `void` type (Spark's NullType): a column of NULLs. Spark writes no
// Parquet column for it (SchemaUtils.dropNullTypeColumns, nested fields too), so
// the reader must produce it from nothing. The corpus has no such table, so these
// are built by hand the way Spark lays them out: a commit whose schema declares
// void columns, Parquet files (written by DuckDB) without them — and one file of
// another writer that does carry the column, all NULL. Void reads as INTEGER.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StrataError } from '../../src/core/index.js';
import { loadSnapshot, writeTable } from '../../src/delta/index.js';
import { Engine, quoteLiteral, type Session } from '../../src/engine/index.js';
import { executeQuery } from '../../src/sql/index.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'strata-void-'));
let engine: Engine;

beforeAll(async () => {
  engine = await Engine.create({ threads: 2 });
});
afterAll(() => {
  engine.close();
  rmSync(tmp, { recursive: true, force: true });
});

type Json = Record<string, unknown>;

/** A table folder with one commit per entry of `commits`; each commit's data files are written first. */
async function makeTable(
  s: Session,
  name: string,
  schema: Json,
  opts: { configuration?: Record<string, string>; protocol?: Json; partitionColumns?: string[] },
  commits: {
    files: { name: string; select: string; rows: number; partitionValues?: Record<string, string | null> }[];
  }[],
): Promise<string> {
  const root = path.join(tmp, name);
  mkdirSync(path.join(root, '_delta_log'), { recursive: true });
  for (const [version, c] of commits.entries()) {
    const actions: Json[] = [{ commitInfo: { timestamp: 1_700_000_000_000 + version, operation: 'WRITE' } }];
    if (version === 0) {
      actions.push({ protocol: opts.protocol ?? { minReaderVersion: 1, minWriterVersion: 2 } });
      actions.push({
        metaData: {
          id: `void-${name}`,
          format: { provider: 'parquet', options: {} },
          schemaString: JSON.stringify(schema),
          partitionColumns: opts.partitionColumns ?? [],
          configuration: opts.configuration ?? {},
          createdTime: 1_700_000_000_000,
        },
      });
    }
    for (const f of c.files) {
      const file = path.join(root, f.name);
      mkdirSync(path.dirname(file), { recursive: true });
      await s.exec(`COPY (${f.select}) TO ${quoteLiteral(file)} (FORMAT parquet)`);
      actions.push({
        add: {
          path: f.name,
          partitionValues: f.partitionValues ?? {},
          size: 1,
          modificationTime: 1_700_000_000_000,
          dataChange: true,
          stats: JSON.stringify({ numRecords: f.rows }),
        },
      });
    }
    writeFileSync(
      path.join(root, '_delta_log', `${String(version).padStart(20, '0')}.json`),
      actions.map((a) => JSON.stringify(a)).join('\n') + '\n',
    );
  }
  return root;
}

const field = (name: string, type: unknown, metadata: Json = {}) => ({ name, type, nullable: true, metadata });

async function query(
  s: Session,
  sql: string,
): Promise<{ columns: { name: string; type: string }[]; rows: unknown[][] }> {
  const r = await executeQuery(s, sql);
  return { columns: r.columns.map((c) => ({ name: c.name, type: String(c.type) })), rows: r.rows };
}

describe('void columns', () => {
  it('read as INTEGER NULLs, whether the Parquet files lack the column (Spark) or hold it all NULL', async () => {
    await engine.withSession(async (s) => {
      const schema = {
        type: 'struct',
        fields: [
          field('id', 'long'),
          field('v', 'void'),
          field('s', { type: 'struct', fields: [field('a', 'integer'), field('n', 'void')] }),
        ],
      };
      const table = await makeTable(s, 'plain', schema, {}, [
        // As Spark writes it: no v, and s without n.
        {
          files: [
            {
              name: 'part-0.parquet',
              select: `SELECT i::BIGINT AS id, {'a': i::INTEGER} AS s FROM range(3) t(i)`,
              rows: 3,
            },
          ],
        },
        // Another writer kept the column, all NULL.
        {
          files: [
            {
              name: 'part-1.parquet',
              select: `SELECT 10::BIGINT AS id, NULL::INTEGER AS v, {'a': 10, 'n': NULL::INTEGER} AS s`,
              rows: 1,
            },
          ],
        },
      ]);
      const snap = await loadSnapshot(table, { session: s });
      expect(snap.schema.fields.map((f) => f.type)).toContainEqual({ kind: 'primitive', name: 'void' });

      const described = await query(s, `DESCRIBE SELECT * FROM delta_scan(${quoteLiteral(table)})`);
      expect(described.rows.map((r) => [r[0], r[1]])).toEqual([
        ['id', 'BIGINT'],
        ['v', 'INTEGER'],
        ['s', 'STRUCT(a INTEGER, n INTEGER)'],
      ]);
      const all = await query(s, `SELECT id, v, s.a, s.n FROM delta_scan(${quoteLiteral(table)}) ORDER BY id`);
      expect(all.rows).toEqual([
        [0, null, 0, null],
        [1, null, 1, null],
        [2, null, 2, null],
        [10, null, 10, null],
      ]);
      // Filters on the void column (pruning must not skip on it).
      expect((await query(s, `SELECT count(*) FROM delta_scan(${quoteLiteral(table)}) WHERE v IS NULL`)).rows).toEqual([
        [4],
      ]);
      expect(
        (await query(s, `SELECT count(*) FROM delta_scan(${quoteLiteral(table)}) WHERE v = 1 OR s.n IS NOT NULL`)).rows,
      ).toEqual([[0]]);
      // Time travel to the version with only Spark's file.
      expect(
        (await query(s, `SELECT count(*), count(v) FROM delta_scan(${quoteLiteral(table)}, version => 0)`)).rows,
      ).toEqual([[3, 0]]);
    });
  });

  it('read under column mapping (name mode), and as the only data column of a partitioned table', async () => {
    await engine.withSession(async (s) => {
      const cm = (id: number, physical: string) => ({
        'delta.columnMapping.id': id,
        'delta.columnMapping.physicalName': physical,
      });
      const schema = {
        type: 'struct',
        fields: [
          field('id', 'long', cm(1, 'col-1')),
          field('v', 'void', cm(2, 'col-2')),
          field(
            's',
            { type: 'struct', fields: [field('a', 'integer', cm(4, 'col-4')), field('n', 'void', cm(5, 'col-5'))] },
            cm(3, 'col-3'),
          ),
          field('p', 'string', cm(6, 'col-6')),
        ],
      };
      const table = await makeTable(
        s,
        'mapped',
        schema,
        {
          protocol: { minReaderVersion: 2, minWriterVersion: 5 },
          configuration: { 'delta.columnMapping.mode': 'name', 'delta.columnMapping.maxColumnId': '6' },
          partitionColumns: ['p'],
        },
        [
          {
            files: [
              {
                name: 'col-6=x/part-0.parquet',
                select: `SELECT 1::BIGINT AS "col-1", {'col-4': 7} AS "col-3"`,
                rows: 1,
                partitionValues: { 'col-6': 'x' },
              },
              {
                name: 'col-6=y/part-1.parquet',
                select: `SELECT 2::BIGINT AS "col-1", NULL::STRUCT("col-4" INTEGER) AS "col-3"`,
                rows: 1,
                partitionValues: { 'col-6': 'y' },
              },
            ],
          },
        ],
      );
      const r = await query(s, `SELECT id, v, s, p FROM delta_scan(${quoteLiteral(table)}) ORDER BY id`);
      expect(r.rows).toEqual([
        [1, null, { a: 7, n: null }, 'x'],
        [2, null, null, 'y'],
      ]);

      const onlyVoid = await makeTable(
        s,
        'only-void',
        { type: 'struct', fields: [field('v', 'void'), field('p', 'integer')] },
        { partitionColumns: ['p'] },
        // With every data column void, Spark's files hold no columns at all; DuckDB needs one, so one unrelated column stands in.
        [
          {
            files: [
              {
                name: 'p=1/part-0.parquet',
                select: `SELECT 0 AS unrelated FROM range(2)`,
                rows: 2,
                partitionValues: { p: '1' },
              },
            ],
          },
        ],
      );
      expect((await query(s, `SELECT v, p FROM delta_scan(${quoteLiteral(onlyVoid)})`)).rows).toEqual([
        [null, 1],
        [null, 1],
      ]);
    });
  });

  it('a table with a void column is refused for writing, naming the column', async () => {
    await engine.withSession(async (s) => {
      const table = await makeTable(
        s,
        'write',
        { type: 'struct', fields: [field('id', 'long'), field('v', 'void')] },
        {},
        [{ files: [{ name: 'part-0.parquet', select: 'SELECT 1::BIGINT AS id', rows: 1 }] }],
      );
      const err = await writeTable(s, {
        location: table,
        name: 'lake/void',
        select: 'SELECT 2::BIGINT AS id, NULL AS v',
        mode: 'append',
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StrataError);
      expect((err as StrataError).code).toBe('PROTOCOL_UNSUPPORTED');
      expect((err as StrataError).message).toMatch(
        /lake\/void: column v has type void, which Strata reads \(as NULLs\) but cannot write yet/,
      );
      expect((await query(s, `SELECT count(*) FROM delta_scan(${quoteLiteral(table)})`)).rows).toEqual([[1]]);
    });
  });
});
