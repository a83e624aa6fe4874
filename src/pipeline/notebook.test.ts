// Pipeline files as Databricks exports them (issue 19): notebook sources whose cells end
// statements without semicolons, SET statements, and Spark's quoting (double-quoted strings in
// COMMENT, TBLPROPERTIES, read_files arguments and expectations).
import { describe, expect, it } from 'vitest';
import { parsePipelineSql } from './parse.js';

// The shape of a SQL notebook exported from a Databricks workspace ("Export > Source file").
const NOTEBOOK = `-- Databricks notebook source
-- MAGIC %md
-- MAGIC # Orders pipeline
-- MAGIC Loads orders; no semicolons, as notebooks are written.

-- COMMAND ----------

SET spark.sql.ansi.enabled = false

-- COMMAND ----------

CREATE OR REFRESH STREAMING TABLE orders_bronze
COMMENT "raw orders, as landed"
TBLPROPERTIES ("quality" = "bronze", "delta.enableChangeDataFeed" = "true")
AS SELECT * FROM STREAM read_files("landing/orders", format => "csv")

-- COMMAND ----------

CREATE OR REFRESH MATERIALIZED VIEW orders_by_status (
  CONSTRAINT known_status EXPECT (status IN ("open", "shipped")) ON VIOLATION DROP ROW
)
AS SELECT status, count(*) AS n FROM orders_bronze GROUP BY status
`;

describe('pipeline files exported from Databricks', () => {
  const p = parsePipelineSql(NOTEBOOK, 'pipelines/orders/orders.sql');

  it('reads a notebook source: one statement per cell, markdown cells as comments', () => {
    expect(p.problems).toEqual([]);
    expect(p.datasets.map((d) => [d.kind, d.name])).toEqual([
      ['streaming-table', 'orders_bronze'],
      ['materialized-view', 'orders_by_status'],
    ]);
    expect(p.datasets[0].where).toEqual({ file: 'pipelines/orders/orders.sql', line: 12, column: 35 }); // at its name
  });

  it('takes "..." as strings (Spark), in COMMENT, TBLPROPERTIES, read_files and expectations', () => {
    const [bronze, view] = p.datasets;
    expect(bronze.comment).toBe('raw orders, as landed');
    expect(bronze.properties).toEqual({ quality: 'bronze', 'delta.enableChangeDataFeed': 'true' });
    expect(bronze.query).toContain(`read_files('landing/orders', format => 'csv')`);
    expect(view.expectations[0].expr).toBe(`status IN ('open', 'shipped')`);
  });

  it('records SET, and gives each dataset the settings made above it in its file', () => {
    expect(p.settings.map((x) => [x.key, x.value, x.where.line])).toEqual([['spark.sql.ansi.enabled', 'false', 8]]);
    expect(p.datasets.map((d) => d.settings)).toEqual([
      { 'spark.sql.ansi.enabled': 'false' },
      { 'spark.sql.ansi.enabled': 'false' },
    ]);
  });

  it('still ends statements at semicolons in a plain file, and reports a statement cut by a cell', () => {
    const cut = parsePipelineSql(
      `CREATE MATERIALIZED VIEW a AS SELECT 1 AS x; CREATE MATERIALIZED VIEW b AS\n-- COMMAND ----------\nSELECT 2 AS y`,
      'pipelines/p/x.sql',
    );
    expect(cut.datasets.map((d) => d.name)).toEqual(['a']);
    expect(cut.problems.map((x) => [x.where.line, x.message])).toEqual([
      [1, expect.stringMatching(/expected/)],
      [3, expect.stringMatching(/expected CREATE/)],
    ]);
  });
});
