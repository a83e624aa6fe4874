import { DuckDBInstance } from '@duckdb/node-api';
const db = await DuckDBInstance.create(':memory:', { threads: '2' });
const c = await db.connect(); const c2 = await db.connect();
await c.run(`SELECT * FROM read_csv('/tmp/rj/f1.csv', auto_detect=false, header=true, columns={'a':'VARCHAR','b':'VARCHAR'}, store_rejects=true, rejects_table='rt', rejects_scan='rs')`);
console.log((await c.runAndReadAll(`SELECT database_name, schema_name, table_name, temporary FROM duckdb_tables() WHERE table_name IN ('rt','rs')`)).getRows());
try { console.log((await c2.runAndReadAll(`SELECT count(*) FROM rt`)).getRows()); } catch (e) { console.log('c2 ERR', e.message.split('\n')[0]); }
