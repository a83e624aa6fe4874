// Column mapping in id mode: a reader must find columns by Parquet field id,
// even where the file's column names are not the physical names in the schema
// (as in tables converted from Iceberg). Built here with DuckDB's FIELD_IDS.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Engine } from '../../src/engine/index.js';
import { executeQuery } from '../../src/sql/index.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'strata-idmode-'));
let engine: Engine;
beforeAll(async () => {
  engine = await Engine.create({ threads: 2 });
});
afterAll(() => {
  engine.close();
  rmSync(tmp, { recursive: true, force: true });
});

const field = (name: string, type: unknown, id: number, physical: string) => ({
  name,
  type,
  nullable: true,
  metadata: { 'delta.columnMapping.id': id, 'delta.columnMapping.physicalName': physical },
});

it('reads columns and nested fields by field id in id mode', async () => {
  const table = path.join(tmp, 't');
  mkdirSync(path.join(table, '_delta_log'), { recursive: true });
  const file = path.join(table, 'part-0.parquet');
  await engine.withSession((s) =>
    s.exec(
      `COPY (SELECT 7 AS renamed_a, {'inner_x': 'hello'} AS renamed_s) TO '${file}' ` +
        `(FORMAT parquet, FIELD_IDS {renamed_a: 1, renamed_s: {__duckdb_field_id: 2, inner_x: 3}})`,
    ),
  );
  const schema = {
    type: 'struct',
    fields: [
      field('a', 'integer', 1, 'col-a'),
      field('s', { type: 'struct', fields: [field('x', 'string', 3, 'col-x')] }, 2, 'col-s'),
    ],
  };
  const log = [
    { protocol: { minReaderVersion: 2, minWriterVersion: 5 } },
    {
      metaData: {
        id: 'test',
        format: { provider: 'parquet', options: {} },
        schemaString: JSON.stringify(schema),
        partitionColumns: [],
        configuration: { 'delta.columnMapping.mode': 'id', 'delta.columnMapping.maxColumnId': '3' },
      },
    },
    {
      add: {
        path: 'part-0.parquet',
        partitionValues: {},
        size: statSync(file).size,
        modificationTime: 0,
        dataChange: true,
      },
    },
  ];
  writeFileSync(path.join(table, '_delta_log/00000000000000000000.json'), log.map((a) => JSON.stringify(a)).join('\n'));
  const r = await engine.withSession((s) => executeQuery(s, `SELECT a, s, s.x AS x FROM delta_scan('${table}')`));
  expect(r.columns.map((c) => `${c.name} ${c.type.replace(/"/g, '')}`)).toEqual([
    'a INTEGER',
    's STRUCT(x VARCHAR)',
    'x VARCHAR',
  ]);
  expect(r.rows).toEqual([[7, { x: 'hello' }, 'hello']]);
});
