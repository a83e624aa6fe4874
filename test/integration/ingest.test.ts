// COPY INTO and read_files: each file loaded exactly once, every row kept (in
// the table, in _rescued_data, or in the quarantine with file, line and
// reason), unreadable files recorded as failed, and the real datasets loading
// with their published row counts and figures.
import { cpSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/index.js';
import { executeQuery } from '../../src/sql/index.js';
import { fileSources } from '../../src/ingest/index.js';
import { useTestBed } from '../helpers/harness.js';
import { expectValidLog, readLog } from '../helpers/delta-log.js';

const bed = useTestBed('ingest');
const DATASETS = path.resolve(process.env.STRATA_DATASETS_DIR ?? '../shared/datasets');
const sql = (q: string) => bed.engine.withSession((s) => executeQuery(s, q, { baseDir: bed.dir, files: fileSources }));
const rows = async (q: string) => (await sql(q)).rows;
const landing = (name: string) => {
  const dir = path.join(bed.dir, 'landing', name);
  mkdirSync(dir, { recursive: true });
  return dir;
};
/** COPY INTO's result as an object. */
const copy = async (q: string) => {
  const r = await sql(q);
  return Object.fromEntries(r.columns.map((c, i) => [c.name, r.rows[0][i]])) as Record<string, number>;
};

describe('COPY INTO', () => {
  it('loads each file once: a second run loads nothing, new files load on the next run', async () => {
    const dir = landing('once');
    writeFileSync(path.join(dir, 'day1.csv'), 'order_id,amount\n1,10.5\n2,20\n');
    writeFileSync(path.join(dir, 'day2.csv.gz'), gzipSync('order_id,amount\n3,30\n'));
    await sql(`CREATE TABLE IF NOT EXISTS bronze.once`);
    expect(await copy(`COPY INTO bronze.once FROM 'landing/once' FILEFORMAT = CSV`)).toMatchObject({
      num_inserted_rows: 3,
      num_files_loaded: 2,
    });
    expect(await copy(`COPY INTO bronze.once FROM 'landing/once' FILEFORMAT = CSV`)).toMatchObject({
      num_inserted_rows: 0,
      num_files_loaded: 0,
      num_files_skipped: 2,
    });
    writeFileSync(path.join(dir, 'day3.csv'), 'order_id,amount\n4,40\n');
    expect(await copy(`COPY INTO bronze.once FROM 'landing/once' FILEFORMAT = CSV`)).toMatchObject({
      num_inserted_rows: 1,
      num_files_loaded: 1,
      num_files_skipped: 2,
    });
    // Strings, as Auto Loader reads CSV; the files' columns and _rescued_data only (no audit
    // columns such as _source_file, _file_row, _ingested_at, _batch_id: as in Databricks).
    const r = await sql(`SELECT * FROM bronze.once ORDER BY order_id`);
    expect(r.columns.map((c) => [c.name, c.type])).toEqual([
      ['order_id', 'VARCHAR'],
      ['amount', 'VARCHAR'],
      ['_rescued_data', 'VARCHAR'],
    ]);
    expect(r.rows).toEqual([
      ['1', '10.5', null],
      ['2', '20', null],
      ['3', '30', null],
      ['4', '40', null],
    ]);
    // Each row's file is in read_files' hidden _metadata, when named (SELECT * leaves it out).
    expect(
      await rows(
        `SELECT order_id, _metadata.file_path, _metadata.file_name FROM read_files('landing/once', format => 'csv') ORDER BY order_id`,
      ),
    ).toEqual([
      [1, 'landing/once/day1.csv', 'day1.csv'],
      [2, 'landing/once/day1.csv', 'day1.csv'],
      [3, 'landing/once/day2.csv.gz', 'day2.csv.gz'],
      [4, 'landing/once/day3.csv', 'day3.csv'],
    ]);
    // The ledger: in the commit with the rows (commitInfo and a txn action), and in system.ingest_files.
    const table = path.join(bed.dir, 'lake/bronze/once');
    const commits = readLog(table).filter((c) => c.actions.some((a) => a.commitInfo?.strataIngest));
    expect(commits).toHaveLength(2);
    expect(commits[1].actions.find((a) => a.txn)!.txn).toMatchObject({ appId: 'strata-ingest', version: 2 });
    expect(
      commits[1].actions
        .find((a) => a.commitInfo)!
        .commitInfo.strataIngest.files.map((f: { path: string }) => path.basename(f.path)),
    ).toEqual(['day3.csv']);
    // Each file's rows and batch: in the ledger (the table has no _batch_id).
    const ledger = await rows(
      `SELECT file_path, status, rows_loaded, batch_id, length(content_hash) FROM system.ingest_files WHERE table_path = 'bronze/once' ORDER BY file_path`,
    );
    expect(ledger).toEqual([
      ['landing/once/day1.csv', 'loaded', 2, 1, 64],
      ['landing/once/day2.csv.gz', 'loaded', 1, 1, 64],
      ['landing/once/day3.csv', 'loaded', 1, 2, 64],
    ]);
    expectValidLog(table);
  });

  it('keeps every row: bad rows in the quarantine with file, line and reason; unreadable files failed, the others loaded', async () => {
    const dir = landing('bad');
    writeFileSync(path.join(dir, 'a.csv'), 'id,name,price\r\n1,"x, y",3.5\r\n2,b,4,extra\r\n3,c,5\r\n');
    writeFileSync(path.join(dir, 'empty.csv'), '');
    writeFileSync(path.join(dir, 'garbage.csv'), Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7919) % 256)));
    writeFileSync(path.join(dir, 'truncated.csv.gz'), gzipSync('id,name,price\n9,z,1\n'.repeat(50)).subarray(0, 30));
    writeFileSync(path.join(dir, 'bom.csv'), '\uFEFFid,name,price\n4,"multi\nline",6\n');
    writeFileSync(path.join(dir, 'quote.csv'), 'id,name,price\n5,ok,1\n6,"broken,2\n');
    await sql(`CREATE TABLE IF NOT EXISTS bronze.bad`);
    const r = await copy(`COPY INTO bronze.bad FROM 'landing/bad' FILEFORMAT = CSV`);
    expect(r).toMatchObject({
      num_inserted_rows: 4,
      num_skipped_corrupt_files: 3,
      num_files_loaded: 3,
      num_rows_quarantined: 2,
    });
    expect(await rows(`SELECT id, name, price FROM bronze.bad ORDER BY id`)).toEqual([
      ['1', 'x, y', '3.5'],
      ['3', 'c', '5'],
      ['4', 'multi\nline', '6'],
      ['5', 'ok', '1'],
    ]);
    const q = await rows(
      `SELECT _source_file, _file_line, _reason, _raw FROM delta_scan('lake/bronze/bad_quarantine') ORDER BY _source_file`,
    );
    expect(q.map((x) => [path.basename(String(x[0])), x[1], x[3]])).toEqual([
      ['a.csv', 3, '2,b,4,extra'],
      ['quote.csv', 3, '6,"broken,2'],
    ]);
    expect(String(q[0][2])).toMatch(/Expected Number of Columns: 3 Found: 4/);
    expect(String(q[1][2])).toMatch(/unterminated quote/);
    const failed = await rows(
      `SELECT file_path, error FROM system.ingest_files WHERE status = 'failed' AND table_path = 'bronze/bad' ORDER BY file_path`,
    );
    expect(failed.map((f) => path.basename(String(f[0])))).toEqual(['empty.csv', 'garbage.csv', 'truncated.csv.gz']);
    expect(failed.map((f) => String(f[1]))).toEqual([
      expect.stringMatching(/empty/),
      expect.stringMatching(/cannot read/),
      expect.stringMatching(/gzip data is damaged/),
    ]);
    // For every file: rows in the file = rows in bronze + rows quarantined (per file, from the
    // ledger: a.csv has ids 1 and 3 in bronze, bom.csv 4, quote.csv 5), and the ledger's rows
    // are the table's.
    const perFile = await rows(
      `SELECT file_path, rows_loaded, rows_quarantined FROM system.ingest_files WHERE status = 'loaded' AND table_path = 'bronze/bad' ORDER BY file_path`,
    );
    expect(perFile).toEqual([
      ['landing/bad/a.csv', 2, 1],
      ['landing/bad/bom.csv', 1, 0],
      ['landing/bad/quote.csv', 1, 1],
    ]);
    expect(await rows(`SELECT count(*) FROM bronze.bad`)).toEqual([[perFile.reduce((n, p) => n + Number(p[1]), 0)]]);
    expect(perFile.map((p) => [path.basename(String(p[0])), Number(p[1]) + Number(p[2])])).toEqual([
      ['a.csv', 3],
      ['bom.csv', 1],
      ['quote.csv', 2],
    ]);
    // A failed file is not tried again until it changes.
    expect(await copy(`COPY INTO bronze.bad FROM 'landing/bad' FILEFORMAT = CSV`)).toMatchObject({
      num_files_loaded: 0,
      num_files_skipped: 6,
    });
  });

  it('new columns go to _rescued_data, or become columns with mergeSchema; values that do not fit a hinted type are rescued', async () => {
    const dir = landing('evolve');
    writeFileSync(path.join(dir, '1.csv'), 'id,price\n1,2.50\n2,oops\n');
    utimesSync(path.join(dir, '1.csv'), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    await sql(`CREATE TABLE IF NOT EXISTS bronze.evolve`);
    await sql(
      `COPY INTO bronze.evolve FROM 'landing/evolve' FILEFORMAT = CSV FORMAT_OPTIONS ('schemaHints' = 'id INT, price DECIMAL(10,2)')`,
    );
    expect(await rows(`SELECT id, price, _rescued_data FROM bronze.evolve ORDER BY id`)).toEqual([
      [1, '2.50', null],
      [2, null, expect.stringContaining('"price":"oops"')],
    ]);
    writeFileSync(path.join(dir, '2.csv'), 'id,price,channel\n3,1.00,web\n');
    await sql(`COPY INTO bronze.evolve FROM 'landing/evolve' FILEFORMAT = CSV`);
    const rescued = await rows(`SELECT _rescued_data FROM bronze.evolve WHERE id = 3`);
    expect(JSON.parse(String(rescued[0][0]))).toMatchObject({ channel: 'web', _file_path: 'landing/evolve/2.csv' });
    writeFileSync(path.join(dir, '3.csv'), 'id,price,channel\n4,2.00,shop\n');
    await sql(`COPY INTO bronze.evolve FROM 'landing/evolve' FILEFORMAT = CSV COPY_OPTIONS ('mergeSchema' = 'true')`);
    expect(await rows(`SELECT id, channel, _rescued_data FROM bronze.evolve WHERE id = 4`)).toEqual([
      [4, 'shop', null],
    ]);
  });

  it('a file changed after loading is reported, and loaded again only with force, replacing its rows', async () => {
    const dir = landing('changed');
    const file = path.join(dir, 'x.csv');
    writeFileSync(file, 'id\n1\n');
    await sql(`CREATE TABLE IF NOT EXISTS bronze.changed`);
    await sql(`COPY INTO bronze.changed FROM 'landing/changed' FILEFORMAT = CSV`);
    writeFileSync(file, 'id\n1\n2\n');
    const again = await sql(`COPY INTO bronze.changed FROM 'landing/changed' FILEFORMAT = CSV`);
    expect(again.rows[0][1]).toBe(0);
    expect(again.notices).toEqual([expect.stringMatching(/changed since it was loaded/)]);
    expect(
      (await sql(`COPY INTO bronze.changed FROM 'landing/changed' FILEFORMAT = CSV COPY_OPTIONS ('force' = 'true')`))
        .rows[0][1],
    ).toBe(2);
    expect(await rows(`SELECT id FROM bronze.changed ORDER BY id`)).toEqual([['1'], ['2']]);
  });

  it('the ledger index catches up from the table log after a crash between the two writes', async () => {
    const dir = landing('repair');
    writeFileSync(path.join(dir, 'a.csv'), 'id\n1\n');
    await sql(`CREATE TABLE IF NOT EXISTS bronze.repair`);
    await sql(`COPY INTO bronze.repair FROM 'landing/repair' FILEFORMAT = CSV`);
    rmSync(path.join(bed.dir, 'lake/_system/ingest_files'), { recursive: true }); // as if the index write never happened
    expect(await copy(`COPY INTO bronze.repair FROM 'landing/repair' FILEFORMAT = CSV`)).toMatchObject({
      num_inserted_rows: 0,
      num_files_skipped: 1,
    });
    expect(
      await rows(`SELECT status, rows_loaded FROM system.ingest_files WHERE table_path = 'bronze/repair'`),
    ).toEqual([['loaded', 1]]);
  });

  it('a table deleted and created again loads the files again (the ledger is per table, not per path)', async () => {
    const dir = landing('recreated');
    writeFileSync(path.join(dir, 'a.csv'), 'id\n1\n');
    await sql(`CREATE TABLE IF NOT EXISTS bronze.recreated`);
    await sql(`COPY INTO bronze.recreated FROM 'landing/recreated' FILEFORMAT = CSV`);
    rmSync(path.join(bed.dir, 'lake/bronze/recreated'), { recursive: true });
    await sql(`CREATE TABLE IF NOT EXISTS bronze.recreated`);
    expect(await copy(`COPY INTO bronze.recreated FROM 'landing/recreated' FILEFORMAT = CSV`)).toMatchObject({
      num_inserted_rows: 1,
      num_files_loaded: 1,
    });
  });

  it('two loads at once on the same folder load no file twice', async () => {
    const dir = landing('race');
    for (let i = 0; i < 20; i++) writeFileSync(path.join(dir, `f${i}.csv`), `id\n${i}\n`);
    await sql(`CREATE TABLE IF NOT EXISTS bronze.race`);
    const other = await Engine.create({ threads: 1 });
    try {
      const run = (engine: Engine) =>
        engine.withSession((s) =>
          executeQuery(
            s,
            `COPY INTO bronze.race FROM 'landing/race' FILEFORMAT = CSV FORMAT_OPTIONS ('maxFilesPerTrigger' = '3')`,
            { baseDir: bed.dir, files: fileSources },
          ),
        );
      await Promise.all([run(bed.engine), run(other)]);
    } finally {
      other.close();
    }
    expect(await rows(`SELECT count(*), count(DISTINCT id) FROM bronze.race`)).toEqual([[20, 20]]);
    expectValidLog(path.join(bed.dir, 'lake/bronze/race'));
  });

  it('loads JSON lines and Parquet; a line that is not JSON goes to the quarantine', async () => {
    const dir = landing('json');
    writeFileSync(
      path.join(dir, 'a.json'),
      '{"id": 1, "tags": ["x"], "who": {"n": "a"}}\n{"id": 2, "extra": true}\nnot json\n\n',
    );
    await sql(`CREATE TABLE IF NOT EXISTS bronze.events`);
    expect(await copy(`COPY INTO bronze.events FROM 'landing/json' FILEFORMAT = JSON`)).toMatchObject({
      num_inserted_rows: 2,
      num_rows_quarantined: 1,
    });
    expect(await rows(`SELECT id, tags, who, extra FROM bronze.events ORDER BY id`)).toEqual([
      ['1', '["x"]', '{"n":"a"}', null],
      ['2', null, null, 'true'],
    ]);
    expect(await rows(`SELECT _file_line, _raw FROM delta_scan('lake/bronze/events_quarantine')`)).toEqual([
      [3, 'not json'],
    ]);
    expect(
      await rows(
        `SELECT file_path, rows_loaded, rows_quarantined FROM system.ingest_files WHERE table_path = 'bronze/events'`,
      ),
    ).toEqual([['landing/json/a.json', 2, 1]]);
    const pq = landing('parquet');
    await bed.engine.withSession((s) =>
      s.exec(
        `COPY (SELECT range::INT AS id, range * 1.5 AS amount FROM range(5)) TO '${path.join(pq, 'p.parquet')}' (FORMAT parquet)`,
      ),
    );
    await sql(`CREATE TABLE IF NOT EXISTS bronze.pq`);
    await sql(`COPY INTO bronze.pq FROM 'landing/parquet' FILEFORMAT = PARQUET`);
    // Parquet keeps its types; the table has the file's columns and _rescued_data only.
    const r = await sql(`SELECT * FROM bronze.pq ORDER BY id`);
    expect(r.columns.map((c) => c.name)).toEqual(['id', 'amount', '_rescued_data']);
    expect(r.columns[0].type).toBe('INTEGER');
    expect(r.rows.map((x) => [x[0], Number(x[1]), x[2]])).toEqual([
      [0, 0, null],
      [1, 1.5, null],
      [2, 3, null],
      [3, 4.5, null],
      [4, 6, null],
    ]);
    expect(await rows(`SELECT file_path, rows_loaded FROM system.ingest_files WHERE table_path = 'bronze/pq'`)).toEqual(
      [['landing/parquet/p.parquet', 5]],
    );
  });

  it('refuses clearly: a missing table, an unknown option, a bad hint', async () => {
    await expect(sql(`COPY INTO bronze.nothing FROM 'landing' FILEFORMAT = CSV`)).rejects.toThrow(
      /table does not exist; create it first/,
    );
    await sql(`CREATE TABLE IF NOT EXISTS bronze.opts`);
    await expect(
      sql(`COPY INTO bronze.opts FROM 'landing/once' FILEFORMAT = CSV FORMAT_OPTIONS ('hedaer' = 'true')`),
    ).rejects.toThrow(/unknown option 'hedaer'/);
    await expect(
      sql(`COPY INTO bronze.opts FROM 'landing/once' FILEFORMAT = CSV FORMAT_OPTIONS ('schemaHints' = 'id BANANA')`),
    ).rejects.toThrow(/schemaHints/);
    await expect(sql(`COPY INTO bronze.opts FROM 'landing/once' FILEFORMAT = XML`)).rejects.toThrow(
      /FILEFORMAT must be CSV, JSON or PARQUET/,
    );
  });
});

describe('read options', () => {
  it('infers types, parses Spark date patterns, filters names, reads latin-1, fails on new columns when asked', async () => {
    const dir = landing('opts');
    writeFileSync(path.join(dir, 'a.csv'), 'id;day;amount;note\n1;31/01/2024;2.5;ok\n2;01/02/2024;3;ok\n');
    writeFileSync(path.join(dir, 'skip.txt'), 'not a csv');
    writeFileSync(path.join(dir, 'latin.csv'), Buffer.from('id;day;amount;note\n3;02/02/2024;1;caf\xe9\n', 'latin1'));
    const r = await sql(
      `SELECT id, day, amount, note FROM read_files('landing/opts', format => 'csv', delimiter => ';', pathGlobFilter => 'a.csv', inferColumnTypes => true, dateFormat => 'dd/MM/yyyy') ORDER BY id`,
    );
    expect(r.columns.map((c) => c.type)).toEqual(['INTEGER', 'DATE', 'DOUBLE', 'VARCHAR']);
    expect(r.rows).toEqual([
      [1, '2024-01-31', 2.5, 'ok'],
      [2, '2024-02-01', 3, 'ok'],
    ]);
    expect(
      await rows(`SELECT note FROM read_files('landing/opts/latin.csv', delimiter => ';', encoding => 'latin-1')`),
    ).toEqual([['café']]);
    // Hints with a Spark date pattern; a day that does not parse is rescued.
    writeFileSync(path.join(dir, 'b.csv'), 'id;day\n5;2024-13-45\n6;05/03/2024\n');
    expect(
      await rows(
        `SELECT id, day, _rescued_data IS NOT NULL FROM read_files('landing/opts/b.csv', delimiter => ';', schemaHints => 'id INT, day DATE', dateFormat => 'dd/MM/yyyy') ORDER BY id`,
      ),
    ).toEqual([
      [5, null, true],
      [6, '2024-03-05', false],
    ]);
    // failOnNewColumns stops before writing, naming the file and the column.
    const fail = landing('fail');
    writeFileSync(path.join(fail, '1.csv'), 'id\n1\n');
    await sql(`CREATE TABLE IF NOT EXISTS bronze.strict`);
    await sql(`COPY INTO bronze.strict FROM 'landing/fail' FILEFORMAT = CSV`);
    writeFileSync(path.join(fail, '2.csv'), 'id,surprise\n2,x\n');
    await expect(
      sql(
        `COPY INTO bronze.strict FROM 'landing/fail' FILEFORMAT = CSV FORMAT_OPTIONS ('schemaEvolutionMode' = 'failOnNewColumns')`,
      ),
    ).rejects.toThrow(/2\.csv has a new column surprise \(schemaEvolutionMode = failOnNewColumns\)/);
    expect(await rows(`SELECT count(*) FROM bronze.strict`)).toEqual([[1]]);
  });

  it('includeExistingFiles = false: files already there when loading starts are recorded as skipped, later ones load', async () => {
    const dir = landing('existing');
    writeFileSync(path.join(dir, 'old.csv'), 'id\n1\n');
    await sql(`CREATE TABLE IF NOT EXISTS bronze.fresh`);
    const first = await copy(
      `COPY INTO bronze.fresh FROM 'landing/existing' FILEFORMAT = CSV FORMAT_OPTIONS ('includeExistingFiles' = 'false')`,
    );
    expect(first).toMatchObject({ num_inserted_rows: 0, num_files_loaded: 0, num_files_skipped: 1 });
    writeFileSync(path.join(dir, 'new.csv'), 'id\n2\n');
    const second = await copy(
      `COPY INTO bronze.fresh FROM 'landing/existing' FILEFORMAT = CSV FORMAT_OPTIONS ('includeExistingFiles' = 'false')`,
    );
    expect(second).toMatchObject({ num_inserted_rows: 1, num_files_loaded: 1, num_files_skipped: 1 });
    expect(await rows(`SELECT id FROM bronze.fresh`)).toEqual([['2']]);
    expect(
      await rows(`SELECT status FROM system.ingest_files WHERE table_path = 'bronze/fresh' ORDER BY file_path`),
    ).toEqual([['loaded'], ['skipped']]);
  });

  it('headerless CSV (_c0, _c1, ...), tabs, zstd; a JSON array with multiLine', async () => {
    const dir = landing('shapes');
    writeFileSync(path.join(dir, 'a.tsv'), '1\tx\n2\ty\n');
    expect(
      await rows(
        `SELECT _c0, _c1 FROM read_files('landing/shapes/a.tsv', header => false, delimiter => '\\t') ORDER BY 1`,
      ),
    ).toEqual([
      [1, 'x'],
      [2, 'y'],
    ]);
    await bed.engine.withSession((s) =>
      s.exec(`COPY (SELECT 7 AS id, 'z' AS name) TO '${path.join(dir, 'b.csv.zst')}' (HEADER, COMPRESSION zstd)`),
    );
    expect(await rows(`SELECT id, name FROM read_files('landing/shapes/b.csv.zst')`)).toEqual([[7, 'z']]);
    writeFileSync(path.join(dir, 'c.json'), '[\n  {"id": 1, "tags": ["a"]},\n  {"id": 2}\n]\n');
    expect(
      await rows(
        `SELECT id, tags FROM read_files('landing/shapes/c.json', format => 'json', multiLine => true) ORDER BY id`,
      ),
    ).toEqual([
      [1, ['a']],
      [2, null],
    ]);
  });

  it('maxFilesPerTrigger and maxBytesPerTrigger bound the batches (one commit each)', async () => {
    const dir = landing('batches');
    for (let i = 0; i < 7; i++) writeFileSync(path.join(dir, `${i}.csv`), `id\n${i}\n`);
    await sql(`CREATE TABLE IF NOT EXISTS bronze.batches`);
    await sql(
      `COPY INTO bronze.batches FROM 'landing/batches' FILEFORMAT = CSV FORMAT_OPTIONS ('maxFilesPerTrigger' = '3')`,
    );
    // The batches are the ledger's (the table has no _batch_id): 7 files, three at most per batch.
    const ledger = `SELECT count(DISTINCT batch_id), max(batch_id), count(*), max(n) FROM (SELECT batch_id, count(*) OVER (PARTITION BY batch_id) AS n FROM system.ingest_files WHERE table_path = 'bronze/batches')`;
    expect(await rows(ledger)).toEqual([[3, 3, 7, 3]]);
    expect(await rows(`SELECT count(*), count(DISTINCT id) FROM bronze.batches`)).toEqual([[7, 7]]);
    const commits = () =>
      readLog(path.join(bed.dir, 'lake/bronze/batches')).filter((c) =>
        c.actions.some((a) => a.commitInfo?.strataIngest),
      );
    expect(commits()).toHaveLength(3);
    for (let i = 7; i < 10; i++) writeFileSync(path.join(dir, `${i}.csv`), `id\n${i}\n`);
    await sql(
      `COPY INTO bronze.batches FROM 'landing/batches' FILEFORMAT = CSV FORMAT_OPTIONS ('maxBytesPerTrigger' = '10b')`,
    );
    // 5-byte files: two per batch (7 to 9 take two batches).
    expect(await rows(ledger)).toEqual([[5, 5, 10, 3]]);
    expect(
      await rows(
        `SELECT count(*) FROM system.ingest_files WHERE table_path = 'bronze/batches' AND batch_id > 3 GROUP BY batch_id ORDER BY batch_id`,
      ),
    ).toEqual([[2], [1]]);
    expect(await rows(`SELECT count(*), count(DISTINCT id) FROM bronze.batches`)).toEqual([[10, 10]]);
    expect(commits()).toHaveLength(5);
  });
});

describe('the real datasets load whole', () => {
  it('sql_dwh_crm_erp (CRLF): every file with its published row count', async () => {
    const dir = landing('crm');
    cpSync(path.join(DATASETS, 'sql_dwh_crm_erp/source_crm'), dir, { recursive: true });
    await sql(`CREATE TABLE IF NOT EXISTS bronze.crm_sales`);
    await sql(`COPY INTO bronze.crm_sales FROM 'landing/crm/sales_details.csv' FILEFORMAT = CSV`);
    expect(await rows(`SELECT count(*), count(DISTINCT sls_ord_num) FROM bronze.crm_sales`)).toEqual([[60398, 27659]]);
    const counts: [string, number][] = [
      ['cust_info.csv', 18494],
      ['prd_info.csv', 397],
    ];
    for (const [file, n] of counts) {
      expect(await rows(`SELECT count(*) FROM read_files('landing/crm/${file}', format => 'csv')`)).toEqual([[n]]);
    }
  });

  it('olist (quoted multi-line reviews): row counts and the reference revenue', async () => {
    const dir = landing('olist');
    cpSync(path.join(DATASETS, 'olist_sample'), dir, { recursive: true });
    rmSync(path.join(dir, 'README.md'));
    await sql(`CREATE TABLE IF NOT EXISTS bronze.olist_items`);
    await sql(
      `COPY INTO bronze.olist_items FROM 'landing/olist/olist_order_items_dataset.csv' FILEFORMAT = CSV FORMAT_OPTIONS ('schemaHints' = 'price DECIMAL(12,2), freight_value DECIMAL(12,2)')`,
    );
    expect(
      await rows(`SELECT count(*), sum(price + freight_value)::VARCHAR, count(_rescued_data) FROM bronze.olist_items`),
    ).toEqual([[8365, '1265552.74', 0]]);
    expect(
      await rows(`SELECT count(*) FROM read_files('landing/olist/olist_order_reviews_dataset.csv', format => 'csv')`),
    ).toEqual([[8225]]);
  });

  it('amazon synthetic: 10,000 orders and the published revenue', async () => {
    expect(
      await rows(
        `SELECT count(*), count(DISTINCT order_id), round(sum(total_sales), 2)::VARCHAR FROM read_files('${path.join(DATASETS, 'amazon_sales_synthetic/amazon_sales_dataset.csv')}', format => 'csv', schemaHints => 'total_sales DOUBLE')`,
      ),
    ).toEqual([[10000, 10000, '642129105.55']]);
  });
});
