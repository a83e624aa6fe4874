import { DuckDBInstance } from '@duckdb/node-api';
const db = await DuckDBInstance.create(':memory:', { threads: '2' });
const c = await db.connect();
const dir = '/work/main/bench/data/pipeline/landing/orders/';
const files = Array.from({length: 8}, (_, i) => `${dir}orders-${String(i).padStart(5,'0')}.csv`);
const cols = `columns = {'order_id':'VARCHAR','order_date':'VARCHAR','customer_id':'VARCHAR','product_id':'VARCHAR','quantity':'VARCHAR','price':'VARCHAR','channel':'VARCHAR'}`;
const rc = (fs) => `read_csv([${fs.map(f => `'${f}'`).join(',')}], auto_detect=false, header=true, ${cols}, filename=true)`;
const t = async (name, q) => { const s = performance.now(); await c.run(q); console.log(name, (performance.now()-s).toFixed(0)); };
for (let round = 0; round < 2; round++) {
await t('A insert temp', `CREATE OR REPLACE TEMP TABLE r AS SELECT * EXCLUDE (__g), __g - min(__g) OVER (PARTITION BY filename) + 1 AS __row FROM (SELECT *, row_number() OVER () AS __g FROM ${rc(files)})`);
await t('A copy', `COPY r TO '/tmp/a.parquet' (FORMAT parquet)`);
await t('B union copy', `COPY (${files.map(f => `SELECT *, row_number() OVER () AS __row FROM ${rc([f])}`).join(' UNION ALL ')}) TO '/tmp/b.parquet' (FORMAT parquet)`);
await t('B2 single rownum copy', `COPY (SELECT *, row_number() OVER () AS __g FROM ${rc(files)}) TO '/tmp/b2.parquet' (FORMAT parquet)`);
await t('C plain copy', `COPY (SELECT * FROM ${rc(files)}) TO '/tmp/c.parquet' (FORMAT parquet)`);
await t('C2 plain copy per file threads', `COPY (SELECT * FROM ${rc(files)}) TO '/tmp/c2' (FORMAT parquet, PER_THREAD_OUTPUT true, OVERWRITE true)`);
}
const r = await c.runAndReadAll(`SELECT filename, min(__row), max(__row), count(*) FROM '/tmp/b.parquet' GROUP BY 1 ORDER BY 1 LIMIT 3`); console.log(r.getRows());
const r2 = await c.runAndReadAll(`SELECT count(*) FROM '/tmp/b.parquet' b JOIN r USING (filename, __row) WHERE b.order_id IS DISTINCT FROM r.order_id`); console.log(r2.getRows());
