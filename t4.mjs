import { DuckDBInstance } from '@duckdb/node-api';
const db = await DuckDBInstance.create(':memory:', { threads: '2' });
const c = await db.connect();
const src = (f) => `read_csv('${f}', auto_detect=false, header=true, columns={'a':'VARCHAR','b':'VARCHAR'}, filename=true, store_rejects=true, rejects_table='rt', rejects_scan='rs')`;
const q = `COPY (SELECT *, row_number() OVER () AS __row FROM ${src('/tmp/rj/f1.csv')} UNION ALL SELECT *, row_number() OVER () AS __row FROM ${src('/tmp/rj/f2.csv')}) TO '/tmp/rj/o.parquet'`;
try { await c.run(q); console.log((await c.runAndReadAll(`SELECT * FROM '/tmp/rj/o.parquet'`)).getRows()); console.log((await c.runAndReadAll(`SELECT e.line, s.file_path, e.error_message FROM rt e JOIN rs s USING (scan_id, file_id)`)).getRows()); } catch (e) { console.log('ERR', e.message); }
