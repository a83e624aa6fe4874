// Ingestion killed at random moments (SIGKILL) — loading new files, or loading
// every file again with force (each reload replacing its rows) — restarted, with new files
// landing in between: after the last run every row of every file is in bronze
// exactly once, every bad row in the quarantine exactly once, and the table is
// readable after every kill.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSnapshot } from '../../src/delta/index.js';
import { executeQuery } from '../../src/sql/index.js';
import { tableHasCommits } from '../../src/catalog/index.js';
import { rng, useTestBed } from '../helpers/harness.js';
import { expectValidLog } from '../helpers/delta-log.js';

const bed = useTestBed('ingest-crash');

describe('crash safety of ingestion', () => {
  it.each([
    ['triggered', 'ingest-worker.mjs', 50],
    ['continuous', 'ingest-watch-worker.mjs', 30],
    // Every run loads every file again first (force): each reload replaces its batch's rows.
    ['forced', 'ingest-worker.mjs', 20],
  ])(
    'after SIGKILLs while loading (%s), every row is in bronze exactly once',
    async (mode, fixture, kills) => {
      const worker = path.resolve('test/fixtures', fixture);
      const base = path.join(bed.dir, mode);
      const landing = path.join(base, 'landing');
      mkdirSync(landing, { recursive: true });
      const next = rng(11);
      let files = 0;
      let goodRows = 0;
      let badRows = 0;
      const land = (count: number) => {
        for (let k = 0; k < count; k++, files++) {
          // 30 good rows, and every third file one row with a column too many.
          const lines = [
            'id,file,amount',
            ...Array.from({ length: 30 }, (_, r) => `${files * 100 + r},${files},${r * 1.5}`),
          ];
          goodRows += 30;
          if (files % 3 === 0) {
            lines.push(`${files * 100 + 99},${files},1,extra`);
            badRows++;
          }
          writeFileSync(path.join(landing, `f${String(files).padStart(4, '0')}.csv`), `${lines.join('\n')}\n`);
        }
      };
      land(10);
      const run = (killAfter?: number) =>
        new Promise<string>((resolve, reject) => {
          const args = mode === 'forced' ? [worker, base, 'force'] : [worker, base];
          const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          let err = '';
          child.stdout.on('data', (d) => (out += d));
          child.stderr.on('data', (d) => (err += d));
          const timer = killAfter === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfter);
          child.on('exit', (code, signal) => {
            clearTimeout(timer);
            if (signal === 'SIGKILL' || code === 0) resolve(out);
            else reject(new Error(`worker failed (${code}): ${err}`));
          });
        });
      const table = path.join(base, 'lake/bronze/orders');
      for (let i = 0; i < kills; i++) {
        await run(150 + Math.floor(next() * 700));
        if (i % 5 === 0) land(2);
        // Not created yet: no log, or a log folder whose first commit a kill stopped.
        if (!tableHasCommits(table)) continue;
        if ((await loadSnapshot(table)).schema.fields.length === 0) continue; // created, nothing loaded yet
        // Readable, and never a row twice, whatever moment the kill hit.
        const r = await bed.engine.withSession((s) =>
          executeQuery(s, `SELECT count(*), count(DISTINCT id) FROM delta_scan('${table}')`),
        );
        const [n, ids] = r.rows[0] as number[];
        expect(n).toBe(ids);
      }
      // A last triggered run to the end (the continuous worker never ends by itself).
      const finisher = path.resolve('test/fixtures/ingest-worker.mjs');
      const last = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, [finisher, base], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`finisher failed (${code})`))));
      });
      expect(last).toMatch(/done/);
      const check = await bed.engine.withSession(async (s) => {
        const q = async (sql: string) => (await executeQuery(s, sql, { baseDir: base })).rows;
        return {
          // Rows carry no file of their own: each is told by its id (unique in the files), and its
          // file by its `file` column; every id is one a file holds (file * 100 + row, row < 30).
          rows: await q(
            `SELECT count(*), count(DISTINCT id), count(DISTINCT file), count(*) FILTER (WHERE id::BIGINT // 100 <> file::BIGINT OR id::BIGINT % 100 >= 30) FROM bronze.orders`,
          ),
          perFile: await q(`SELECT min(n), max(n) FROM (SELECT file, count(*) AS n FROM bronze.orders GROUP BY 1)`),
          quarantine: await q(
            `SELECT count(*), count(DISTINCT _raw), count(DISTINCT _source_file) FROM delta_scan('lake/bronze/orders_quarantine')`,
          ),
          ledger: await q(
            `SELECT count(*), count(DISTINCT file_path), sum(rows_loaded), sum(rows_quarantined), min(rows_loaded), max(rows_loaded) FROM (SELECT DISTINCT ON (file_path) * FROM system.ingest_files ORDER BY file_path, table_version DESC)`,
          ),
        };
      });
      expect(check.rows).toEqual([[goodRows, goodRows, files, 0]]);
      expect(check.perFile).toEqual([[30, 30]]);
      expect(check.quarantine).toEqual([[badRows, badRows, badRows]]);
      expect(check.ledger).toEqual([[files, files, goodRows, badRows, 30, 30]]);
      expectValidLog(table);
      void mode;
    },
    240_000,
  );
});
