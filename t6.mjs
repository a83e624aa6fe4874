import { DuckDBInstance } from '@duckdb/node-api';
const db = await DuckDBInstance.create(':memory:', { threads: '2' });
const c = await db.connect();
await c.run(`SET TimeZone='UTC'`);
const g = `'/work/main/bench/data/pipeline/lake/bronze/orders/*.parquet'`;
const q = (ubn) => `SELECT CAST(order_id AS BIGINT) AS order_id, TRY_CAST(order_date AS DATE) AS order_date, customer_id, product_id, TRY_CAST(quantity AS INT) AS quantity, TRY_CAST(price AS DECIMAL(12,2)) AS price, lower(trim(channel)) AS channel FROM read_parquet(${g}${ubn ? ', union_by_name=true' : ''})`;
const w = `WHERE coalesce(order_id IS NOT NULL, false) AND coalesce(order_date IS NOT NULL, false) AND coalesce(quantity > 0, false)`;
const t = async (name, sql) => { const s = performance.now(); await c.run(sql); console.log(name, (performance.now()-s).toFixed(0)); };
await c.run(`SET preserve_insertion_order=true`);
for (let r = 0; r < 2; r++) {
await t('plain copy', `COPY (SELECT * FROM (${q(false)}) ${w}) TO '/tmp/s1.parquet' (FORMAT parquet)`);
await t('ubn copy', `COPY (SELECT * FROM (${q(true)}) ${w}) TO '/tmp/s2.parquet' (FORMAT parquet)`);
await t('ours opts', `COPY (SELECT * FROM (${q(true)}) ${w}) TO '/tmp/s3' (FORMAT parquet, COMPRESSION 'snappy', FILENAME_PATTERN 'part-{uuid}', RETURN_STATS, APPEND, FILE_SIZE_BYTES 134217728, ROW_GROUP_SIZE 122880)`);
await t('ours opts no stats', `COPY (SELECT * FROM (${q(true)}) ${w}) TO '/tmp/s4' (FORMAT parquet, COMPRESSION 'snappy', FILENAME_PATTERN 'part-{uuid}', APPEND, FILE_SIZE_BYTES 134217728, ROW_GROUP_SIZE 122880)`);
await t('ours opts no filesize', `COPY (SELECT * FROM (${q(true)}) ${w}) TO '/tmp/s5' (FORMAT parquet, COMPRESSION 'snappy', FILENAME_PATTERN 'part-{uuid}', RETURN_STATS, APPEND)`);
}
