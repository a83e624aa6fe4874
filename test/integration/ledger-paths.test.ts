// The ledger and the tables record paths relative to the project (files) and to
// the lake (tables): a project moved, restored or opened through a symlink loads
// nothing again, and no table holds a machine's absolute paths. A file renamed
// after loading is not loaded again (its content is in the ledger); a file whose
// modification time alone changed is not "changed".
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lastIngestSource, parseReadOptions, type IngestOutcome, type Project } from '../../src/project/index.js';
import { projectAt, useTestBed } from '../helpers/harness.js';

const bed = useTestBed('ledger-paths');

const A = 'id,amount\n1,10\n2,20\n';
const B = 'id,amount\n3,30\n4,abc\n5,50,extra\n';

/** A project with two landing files of orders, not loaded yet. */
function makeProject(name: string): string {
  const dir = path.join(bed.dir, name);
  mkdirSync(path.join(dir, 'landing/orders'), { recursive: true });
  writeFileSync(path.join(dir, 'strata.yaml'), 'name: shop\n');
  writeFileSync(path.join(dir, 'landing/orders/a.csv'), A);
  writeFileSync(path.join(dir, 'landing/orders/b.csv'), B);
  const old = new Date(Date.now() - 120_000);
  utimesSync(path.join(dir, 'landing/orders/a.csv'), old, old);
  return dir;
}

/** COPY INTO bronze.orders from landing/orders in the project at `dir`: its result columns and notices. */
async function copyInto(dir: string, options = '') {
  const p = await projectAt(bed, dir);
  await p.query('CREATE TABLE IF NOT EXISTS bronze.orders');
  const r = await p.query(
    `COPY INTO bronze.orders FROM 'landing/orders' FILEFORMAT = CSV FORMAT_OPTIONS ('schemaHints' = 'amount INT'${options})`,
  );
  const n = Object.fromEntries(r.columns.map((c, i) => [c.name, Number(r.rows[0][i])]));
  return {
    loaded: n.num_files_loaded,
    skipped: n.num_files_skipped,
    rows: n.num_inserted_rows,
    notices: r.notices ?? [],
  };
}

async function rows(dir: string, sql: string): Promise<unknown[][]> {
  return (await (await projectAt(bed, dir)).query(sql)).rows;
}

/** strata ingest's way in: the load request of the project API. */
function ingest(p: Project, raw: Record<string, string> = {}): Promise<IngestOutcome> {
  return p.ingest({
    location: p.catalog.locationOf('bronze.orders'),
    name: 'bronze.orders',
    source: path.join(p.dir, 'landing/orders'),
    options: parseReadOptions({ schemaHints: 'amount INT', ...raw }, 'test'),
    rawOptions: { schemaHints: 'amount INT', ...raw },
    mergeSchema: true,
  });
}

describe('paths in the ledger and the tables', () => {
  it('a project moved to another folder loads nothing again', async () => {
    const before = makeProject('moved-from');
    expect(await copyInto(before)).toEqual({ loaded: 2, skipped: 0, rows: 4, notices: [] });
    const after = path.join(bed.dir, 'moved-to');
    renameSync(before, after);
    expect(await copyInto(after)).toEqual({ loaded: 0, skipped: 2, rows: 0, notices: [] });
    expect(await rows(after, 'SELECT count(*), sum(amount) FROM bronze.orders')).toEqual([[4, 60]]);
    // strata ingest without --from reloads from the last load's source: in the project, wherever it is now.
    const p = await projectAt(bed, after);
    const last = await p.withSession((s) =>
      lastIngestSource(s, p.catalog.locationOf('bronze.orders'), 'bronze.orders'),
    );
    expect(last?.source).toBe('landing/orders');
  });

  it('a project opened through a symlink loads nothing again, and back through its folder', async () => {
    const real = makeProject('real');
    const link = path.join(bed.dir, 'link');
    symlinkSync(real, link);
    expect(await copyInto(real)).toEqual({ loaded: 2, skipped: 0, rows: 4, notices: [] });
    expect(await copyInto(link)).toEqual({ loaded: 0, skipped: 2, rows: 0, notices: [] });
    writeFileSync(path.join(link, 'landing/orders/c.csv'), 'id,amount\n6,60\n');
    expect(await copyInto(link)).toEqual({ loaded: 1, skipped: 2, rows: 1, notices: [] });
    expect(await copyInto(real)).toEqual({ loaded: 0, skipped: 3, rows: 0, notices: [] });
    expect(await rows(real, 'SELECT count(*), sum(amount) FROM bronze.orders')).toEqual([[5, 120]]);
  });

  it('no table records an absolute path: ledger, commits, rows, rescued data, quarantine', async () => {
    const dir = makeProject('relative');
    await copyInto(dir);
    // The careful path too (JSON files are not streamed).
    mkdirSync(path.join(dir, 'landing/events'));
    writeFileSync(path.join(dir, 'landing/events/e.json'), '{"id": 1}\n[2]\n');
    await (
      await projectAt(bed, dir)
    ).query(
      `CREATE TABLE IF NOT EXISTS bronze.events; COPY INTO bronze.events FROM 'landing/events' FILEFORMAT = JSON`,
    );
    expect(
      await rows(
        dir,
        'SELECT table_path, file_path, status, rows_loaded FROM system.ingest_files ORDER BY table_path, file_path',
      ),
    ).toEqual([
      ['bronze/events', 'landing/events/e.json', 'loaded', 1],
      ['bronze/orders', 'landing/orders/a.csv', 'loaded', 2],
      ['bronze/orders', 'landing/orders/b.csv', 'loaded', 2],
    ]);
    // The rows hold no path but the rescued data's _file_path (no _source_file column: the
    // tables have the files' columns and _rescued_data only).
    const orders = await (await projectAt(bed, dir)).query('SELECT * FROM bronze.orders ORDER BY id');
    expect(orders.columns.map((c) => c.name)).toEqual(['id', 'amount', '_rescued_data']);
    expect(orders.rows).toEqual([
      ['1', 10, null],
      ['2', 20, null],
      ['3', 30, null],
      ['4', null, '{"amount":"abc","_file_path":"landing/orders/b.csv"}'],
    ]);
    expect(await rows(dir, 'SELECT _source_file, _file_line FROM bronze.orders_quarantine')).toEqual([
      ['landing/orders/b.csv', 4],
    ]);
    const events = await (await projectAt(bed, dir)).query('SELECT * FROM bronze.events');
    expect(events.columns.map((c) => c.name)).toEqual(['id', '_rescued_data']);
    expect(events.rows).toEqual([['1', null]]);
    expect(await rows(dir, 'SELECT _source_file, _file_line FROM bronze.events_quarantine')).toEqual([
      ['landing/events/e.json', 2],
    ]);
    // The file facts of read_files (its hidden _metadata) are relative too, CSV and JSON.
    expect(
      await rows(dir, `SELECT id, _metadata.file_path FROM read_files('landing/orders', format => 'csv') ORDER BY id`),
    ).toEqual([
      [1, 'landing/orders/a.csv'],
      [2, 'landing/orders/a.csv'],
      [3, 'landing/orders/b.csv'],
      [4, 'landing/orders/b.csv'],
    ]);
    expect(
      await rows(dir, `SELECT id, _metadata.file_path FROM read_files('landing/events', format => 'json')`),
    ).toEqual([[1, 'landing/events/e.json']]);
    // The commits, ledger of record: the source and the files.
    const log = path.join(dir, 'lake/bronze/orders/_delta_log');
    const infos = readdirSync(log)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .flatMap((f) => readFileSync(path.join(log, f), 'utf8').trim().split('\n'))
      .map((l) => JSON.parse(l).commitInfo)
      .filter((c) => c?.strataIngest);
    expect(
      infos.map((c) => [
        c.operationParameters.source,
        c.strataIngest.source,
        c.strataIngest.files.map((f: { path: string }) => f.path),
      ]),
    ).toEqual([['landing/orders', 'landing/orders', ['landing/orders/a.csv', 'landing/orders/b.csv']]]);
    expect(readFileSync(path.join(log, '00000000000000000001.json'), 'utf8')).not.toContain(bed.dir);
  });

  it('a ledger written with absolute paths (by an earlier version) still matches the files', async () => {
    const dir = makeProject('legacy');
    await copyInto(dir);
    const table = path.join(dir, 'lake/bronze/orders');
    // The index as earlier versions wrote it: absolute table and file paths.
    await rows(dir, `UPDATE system.ingest_files SET table_path = '${table}', file_path = '${dir}/' || file_path`);
    expect(await copyInto(dir)).toEqual({ loaded: 0, skipped: 2, rows: 0, notices: [] });
    // The log as earlier versions wrote it, and no index: read from the log.
    const commit = path.join(table, '_delta_log/00000000000000000001.json');
    writeFileSync(commit, readFileSync(commit, 'utf8').replace(/"path":"landing\//g, `"path":"${dir}/landing/`));
    rmSync(path.join(dir, 'lake/_system/ingest_files'), { recursive: true });
    expect(await copyInto(dir)).toEqual({ loaded: 0, skipped: 2, rows: 0, notices: [] });
    expect(await rows(dir, 'SELECT table_path, file_path FROM system.ingest_files ORDER BY file_path')).toEqual([
      ['bronze/orders', 'landing/orders/a.csv'],
      ['bronze/orders', 'landing/orders/b.csv'],
    ]);
  });
});

describe('renamed and touched files', () => {
  it('a renamed file is not loaded again (a notice names the earlier path); loadRenamedFiles loads it', async () => {
    const dir = makeProject('renamed');
    const p = await projectAt(bed, dir);
    await p.query('CREATE TABLE IF NOT EXISTS bronze.orders');
    expect((await ingest(p)).filesLoaded).toBe(2);
    renameSync(path.join(dir, 'landing/orders/a.csv'), path.join(dir, 'landing/orders/a-2026-01-01.csv'));
    const again = await ingest(p);
    expect([again.filesLoaded, again.filesSkipped, again.filesChanged, again.filesRenamed]).toEqual([
      0,
      1,
      [],
      [{ path: 'landing/orders/a-2026-01-01.csv', earlier: 'landing/orders/a.csv' }],
    ]);
    expect((await copyInto(dir)).notices).toEqual([
      "landing/orders/a-2026-01-01.csv has the content of landing/orders/a.csv, loaded before: not loaded again (FORMAT_OPTIONS ('loadRenamedFiles' = 'true') loads it)",
    ]);
    expect(await rows(dir, 'SELECT count(*) FROM bronze.orders')).toEqual([[4]]);
    const forced = await ingest(p, { loadRenamedFiles: 'true' });
    expect([forced.filesLoaded, forced.rows, forced.filesRenamed]).toEqual([1, 2, []]);
    // Per file, from the ledger: the renamed file loaded as a file of its own.
    expect(
      await rows(
        dir,
        `SELECT file_path, rows_loaded FROM system.ingest_files WHERE status = 'loaded' ORDER BY file_path`,
      ),
    ).toEqual([
      ['landing/orders/a-2026-01-01.csv', 2],
      ['landing/orders/a.csv', 2],
      ['landing/orders/b.csv', 2],
    ]);
    // And by value: a's rows twice, b's once.
    expect(await rows(dir, 'SELECT id, count(*) FROM bronze.orders GROUP BY 1 ORDER BY 1')).toEqual([
      ['1', 2],
      ['2', 2],
      ['3', 1],
      ['4', 1],
    ]);
  });

  it('a file whose modification time alone changed (a restore) is not changed; new bytes of the same size are', async () => {
    const dir = makeProject('touched');
    const p = await projectAt(bed, dir);
    await p.query('CREATE TABLE IF NOT EXISTS bronze.orders');
    expect((await ingest(p)).filesLoaded).toBe(2);
    const file = path.join(dir, 'landing/orders/a.csv');
    const rounded = new Date(Math.floor(Date.now() / 2000) * 2000 - 60_000);
    utimesSync(file, rounded, rounded);
    const touched = await ingest(p);
    expect([touched.filesLoaded, touched.filesSkipped, touched.filesChanged, touched.filesRenamed]).toEqual([
      0,
      2,
      [],
      [],
    ]);
    writeFileSync(file, A.replace('10', '11'));
    const changed = await ingest(p);
    expect([changed.filesLoaded, changed.filesSkipped, changed.filesChanged]).toEqual([0, 1, ['landing/orders/a.csv']]);
    expect(await rows(dir, 'SELECT count(*), sum(amount) FROM bronze.orders')).toEqual([[4, 60]]);
  });
});
