import { DuckDBInstance } from '@duckdb/node-api';
const db = await DuckDBInstance.create(':memory:', { threads: '2' });
const c = await db.connect(); const c2 = await db.connect();
const dir = '/work/main/bench/data/pipeline/landing/orders/';
const files = Array.from({length: 16}, (_, i) => `${dir}orders-${String(i).padStart(5,'0')}.csv`);
const cols = `columns = {'order_id':'VARCHAR','order_date':'VARCHAR','customer_id':'VARCHAR','product_id':'VARCHAR','quantity':'VARCHAR','price':'VARCHAR','channel':'VARCHAR'}`;
const rc = (fs) => `read_csv([${fs.map(f => `'${f}'`).join(',')}], auto_detect=false, header=true, ${cols}, filename=true)`;
const B = (fs, out) => `COPY (${fs.map(f => `SELECT *, row_number() OVER () AS __row FROM ${rc([f])}`).join(' UNION ALL ')}) TO '${out}' (FORMAT parquet)`;
const t = async (name, fn) => { const s = performance.now(); await fn(); console.log(name, (performance.now()-s).toFixed(0)); };
for (let round = 0; round < 2; round++) {
await t('B 16 files serial', async () => { await c.run(B(files.slice(0,8), '/tmp/x1.parquet')); await c.run(B(files.slice(8), '/tmp/x2.parquet')); });
await t('B 16 files two connections', () => Promise.all([c.run(B(files.slice(0,8), '/tmp/y1.parquet')), c2.run(B(files.slice(8), '/tmp/y2.parquet'))]));
await t('C 16 plain', () => c.run(`COPY (SELECT * FROM ${rc(files)}) TO '/tmp/z.parquet' (FORMAT parquet)`));
await t('B 16 one union', () => c.run(B(files, '/tmp/w.parquet')));
await t('B 16 one union threads1', async () => { await c.run(`SET threads=1`); await c.run(B(files, '/tmp/w.parquet')); await c.run(`SET threads=2`); });
}
