import { DuckDBInstance } from '@duckdb/node-api';
const db = await DuckDBInstance.create(':memory:', { threads: '2' });
const c = await db.connect();
const dir = '/work/main/bench/data/pipeline/landing/orders/';
const files = Array.from({length: 16}, (_, i) => `${dir}orders-${String(i).padStart(5,'0')}.csv`);
const cols = `columns = {'order_id':'VARCHAR','order_date':'VARCHAR','customer_id':'VARCHAR','product_id':'VARCHAR','quantity':'VARCHAR','price':'VARCHAR','channel':'VARCHAR'}`;
const rc = (fs) => `read_csv([${fs.map(f => `'${f}'`).join(',')}], auto_detect=false, header=true, ${cols}, filename=true)`;
const B = (fs, out) => `COPY (${fs.map(f => `SELECT *, row_number() OVER () AS __row FROM ${rc([f])}`).join(' UNION ALL ')}) TO '${out}' (FORMAT parquet)`;
const t = async (name, fn) => { const s = performance.now(); await fn(); console.log(name, (performance.now()-s).toFixed(0)); };
for (let round = 0; round < 2; round++) {
await t('B 16 union pio=true', () => c.run(B(files, '/tmp/w.parquet')));
await c.run('SET preserve_insertion_order=false');
await t('B 16 union pio=false', () => c.run(B(files, '/tmp/w2.parquet')));
await t('B2 16 single rownum pio=false', () => c.run(`COPY (SELECT *, row_number() OVER () AS __g FROM ${rc(files)}) TO '/tmp/w3.parquet' (FORMAT parquet)`));
await t('C 16 plain pio=false', () => c.run(`COPY (SELECT * FROM ${rc(files)}) TO '/tmp/z.parquet' (FORMAT parquet)`));
await c.run('SET preserve_insertion_order=true');
}
const r = await c.runAndReadAll(`SELECT count(*) FROM '/tmp/w2.parquet' b JOIN '/tmp/w.parquet' r USING (filename, __row) WHERE b.order_id IS DISTINCT FROM r.order_id`); console.log(r.getRows());
