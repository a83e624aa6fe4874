// Databricks SQL's catalog statements over a project's tables (issue 19): SHOW TABLES,
// SHOW SCHEMAS, DESCRIBE TABLE [EXTENDED], SHOW CREATE TABLE — with the columns the Databricks SQL
// reference gives them (SHOW TABLES: database, tableName, isTemporary; SHOW SCHEMAS: databaseName;
// DESCRIBE TABLE: col_name, data_type, comment; SHOW CREATE TABLE: createtab_stmt).
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectAt, useTestBed } from '../helpers/harness.js';

const bed = useTestBed('catalog-statements');

describe('catalog statements', () => {
  it('list, describe and re-create tables as Databricks shows them', async () => {
    const dir = path.join(bed.dir, 'p');
    mkdirSync(dir, { recursive: true });
    const project = await projectAt(bed, dir);
    const q = async (sql: string) => (await project.query(sql)).rows;
    await project.query(
      `CREATE TABLE sales.orders (id BIGINT NOT NULL COMMENT "the order", city STRING, price DECIMAL(12,2), day DATE, tags ARRAY<STRING>) PARTITIONED BY (day) COMMENT "orders" TBLPROPERTIES ("delta.appendOnly" = "true")`,
    );
    await project.query(`CREATE TABLE sales.customers (id INT)`);
    await project.query(`CREATE TABLE finance.ledger (n SMALLINT)`);

    expect(await q('SHOW TABLES IN sales')).toEqual([
      ['sales', 'customers', false],
      ['sales', 'orders', false],
    ]);
    expect(await q(`SHOW TABLES FROM sales LIKE 'ord*|x'`)).toEqual([['sales', 'orders', false]]);
    expect(await q('SHOW TABLES')).toEqual([]);
    expect(await q('SHOW SCHEMAS')).toEqual([['default'], ['finance'], ['sales']]);
    expect(await q(`SHOW DATABASES LIKE 'fin*'`)).toEqual([['finance']]);

    const described = await project.query('DESCRIBE TABLE sales.orders');
    expect(described.columns.map((c) => c.name)).toEqual(['col_name', 'data_type', 'comment']);
    expect(described.rows).toEqual([
      ['id', 'bigint', 'the order'],
      ['city', 'string', null],
      ['price', 'decimal(12,2)', null],
      ['day', 'date', null],
      ['tags', 'array<string>', null],
      ['# Partition Information', '', ''],
      ['# col_name', 'data_type', 'comment'],
      ['day', 'date', null],
    ]);
    const extended = await q('DESCRIBE EXTENDED sales.orders');
    expect(extended).toContainEqual(['Provider', 'delta', '']);
    expect(extended).toContainEqual(['Comment', 'orders', '']);
    expect(extended).toContainEqual(['Table Properties', '[delta.appendOnly=true]', '']);

    const [[ddl]] = await q('SHOW CREATE TABLE sales.orders');
    expect(ddl).toBe(
      [
        'CREATE TABLE sales.orders (',
        "  id BIGINT NOT NULL COMMENT 'the order',",
        '  city STRING,',
        '  price DECIMAL(12,2),',
        '  day DATE,',
        '  tags ARRAY<STRING>)',
        'USING delta',
        'PARTITIONED BY (day)',
        "COMMENT 'orders'",
        'TBLPROPERTIES (',
        "  'delta.appendOnly' = 'true')",
        '',
      ].join('\n'),
    );
    // The statement it shows makes the same table.
    await project.query(String(ddl).replace('sales.orders', 'sales.orders_copy'));
    expect(await q('DESCRIBE TABLE sales.orders_copy')).toEqual(described.rows);
    // DuckDB's DESCRIBE of a query is still DuckDB's.
    expect((await project.query('DESCRIBE SELECT 1 AS x')).rows[0][0]).toBe('x');

    // SHOW TBLPROPERTIES (Databricks SQL reference): key, value — the table's properties and the
    // protocol Delta adds; one key in parentheses; a missing key gives the sentence as value.
    const props = await project.query('SHOW TBLPROPERTIES sales.orders');
    expect(props.columns.map((c) => c.name)).toEqual(['key', 'value']);
    expect(props.rows).toContainEqual(['delta.appendOnly', 'true']);
    expect(props.rows).toContainEqual(['delta.minReaderVersion', '1']);
    expect(props.rows.map((r) => r[0])).toContain('delta.minWriterVersion');
    expect(await q('SHOW TBLPROPERTIES sales.orders (delta.appendOnly)')).toEqual([['delta.appendOnly', 'true']]);
    expect(await q(`SHOW TBLPROPERTIES sales.orders ('nope')`)).toEqual([
      ['nope', 'Table sales.orders does not have property: nope'],
    ]);
  });

  it('names tables catalog.schema.table; USE CATALOG / USE SCHEMA set where one-part names are', async () => {
    const dir = path.join(bed.dir, 'names');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'strata.yaml'), 'name: names\ncatalog: shop\n');
    const project = await projectAt(bed, dir);
    const settings = new Map<string, string>();
    const q = async (sql: string) => (await project.query(sql, { settings })).rows;
    await q('CREATE SCHEMA IF NOT EXISTS sales');
    await q('CREATE TABLE shop.sales.orders (id INT)');
    await q('INSERT INTO shop.sales.orders VALUES (1), (2)');
    expect(await q('SELECT count(*) FROM sales.orders')).toEqual([[2]]);
    expect(await q('SELECT sum(o.id) FROM shop.sales.orders AS o JOIN shop.sales.orders p ON o.id = p.id')).toEqual([
      [3],
    ]);
    await expect(q('SELECT * FROM main.sales.orders')).rejects.toThrow(/catalog main is not this project's/);
    await q('USE CATALOG shop');
    await q('USE SCHEMA sales');
    // One-part names are in sales now, for the rest of the session.
    expect(await q('SELECT count(*) FROM orders')).toEqual([[2]]);
    await q('CREATE TABLE customers (id INT)');
    expect(await q('SHOW TABLES IN sales')).toEqual([
      ['sales', 'customers', false],
      ['sales', 'orders', false],
    ]);
    await expect(q('USE SCHEMA nowhere')).rejects.toThrow(/schema nowhere does not exist/);
    await expect(q('USE CATALOG main')).rejects.toThrow(/catalog main is not this project's/);
    await expect(q('CREATE SCHEMA sales')).rejects.toThrow(/already exists/);
  });

  it("publishes a pipeline's one-part names to its target schema (pipelines.<name>.schema)", async () => {
    const dir = path.join(bed.dir, 'target');
    mkdirSync(path.join(dir, 'pipelines/p'), { recursive: true });
    writeFileSync(
      path.join(dir, 'strata.yaml'),
      'name: target\npipelines:\n  p:\n    catalog: main\n    schema: analytics\n',
    );
    writeFileSync(
      path.join(dir, 'pipelines/p/p.sql'),
      'CREATE OR REFRESH MATERIALIZED VIEW numbers AS SELECT 1 AS n;\nCREATE OR REFRESH MATERIALIZED VIEW doubled AS SELECT n * 2 AS n FROM numbers;\n',
    );
    const project = await projectAt(bed, dir);
    const run = await project.runPipeline(await project.loadPipeline());
    expect(run.status, run.error).toBe('COMPLETED');
    expect((await project.query('SELECT n FROM main.analytics.doubled')).rows).toEqual([[2]]);
    expect((await project.query('SHOW TABLES IN analytics')).rows.map((r) => r[1])).toEqual(['doubled', 'numbers']);
  });
});
