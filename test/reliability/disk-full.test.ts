// A full disk: the project lives on a 12 MB tmpfs and its landing files need more than that once
// loaded, so the first `strata run` runs out of space partway (bronze's data files, the ledger or
// the event log). It exits 1 with one line saying the disk is full (no stack trace); a run killed
// (SIGKILL) while the disk fills changes nothing of that; every table stays readable at its last
// commit, holding whole files only (no partial commit), and every update gets a final state.
// Then the disk grows and the next run completes: every row there exactly once, gold what a
// plain DuckDB query over the files gives. Needs root (mount); the tmpfs is unmounted after.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statfsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableHasCommits } from '../../src/catalog/index.js';
import { loadSnapshot } from '../../src/delta/index.js';
import { executeQuery } from '../../src/sql/index.js';
import { expectValidLog } from '../helpers/delta-log.js';
import { rng, useTestBed } from '../helpers/harness.js';
import { CRASH_PIPELINE, CRASH_TABLES, strataRun, type StrataRun } from '../helpers/strata-run.js';

const bed = useTestBed('disk-full');

const FILES = 30;
const ROWS = 5000;

let disk = '';
let mounted = false;

beforeAll(() => {
  // Not skipped when not root: the check would silently not run (CI runs as root: .ci/run).
  if (process.getuid?.() !== 0)
    throw new Error('disk-full.test.ts mounts a tmpfs: run the tests as root (uid 0), as CI does');
  disk = path.join(bed.dir, 'disk');
  mkdirSync(disk, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=12m', 'tmpfs', disk]);
  mounted = true;
});

afterAll(() => {
  if (mounted) execFileSync('umount', ['-l', disk]);
});

/** The run failed with one line saying the disk is full: no stack trace, no other error. */
function expectDiskFullError(r: StrataRun): void {
  expect(r.killed).toBe(false);
  expect(r.code, r.err).toBe(1);
  const lines = r.err.split('\n').filter((l) => l.trim() !== '');
  expect(lines, r.err).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: .*no space left on device \(the disk is full\)/i);
  // (Not placed in the pipeline's SQL as if the query were wrong.)
  expect(lines[0]).not.toMatch(/\.sql:\d+:\d+/);
}

describe('a full disk', () => {
  it('fails the run with one clear message, keeps every table whole, and the next run after growing the disk completes', async () => {
    const dir = path.join(disk, 'p');
    const landing = path.join(dir, 'landing');
    const lake = path.join(dir, 'lake');
    mkdirSync(landing, { recursive: true });
    mkdirSync(path.join(dir, 'pipelines/main'), { recursive: true });
    writeFileSync(path.join(dir, 'pipelines/main/orders.sql'), CRASH_PIPELINE);
    // 30 files of 5000 rows (about 7 MB; as much again once in bronze: the notes hardly compress).
    // In each, one row without id (dropped), one with a negative amount (quarantined).
    const next = rng(18);
    const hex = () =>
      Math.floor(next() * 0xffffffff)
        .toString(16)
        .padStart(8, '0');
    for (let f = 0; f < FILES; f++) {
      const lines = ['id,file,amount,note'];
      for (let r = 0; r < ROWS; r++)
        lines.push(
          `${r === 7 ? '' : f * 100_000 + r},${f},${r === 13 ? -1 : (r % 1000) + 0.25},${hex()}${hex()}${hex()}${hex()}`,
        );
      writeFileSync(path.join(landing, `f${String(f).padStart(2, '0')}.csv`), `${lines.join('\n')}\n`);
    }
    const free = () => {
      const s = statfsSync(disk);
      return s.bavail * s.bsize;
    };
    expect(free()).toBeLessThan(5 * 1024 * 1024); // bronze alone needs more than is left

    const q = (sql: string) => bed.engine.withSession(async (s) => (await executeQuery(s, sql, { baseDir: dir })).rows);
    /** Every table that exists reads, with valid commits; bronze holds whole files, each once. */
    const expectWhole = async (complete = false) => {
      for (const t of CRASH_TABLES) if (tableHasCommits(path.join(lake, t))) expectValidLog(path.join(lake, t));
      const bronze = path.join(lake, 'bronze/orders');
      if (tableHasCommits(bronze) && (await loadSnapshot(bronze)).schema.fields.length > 0) {
        // Rows of a file (`src`) told apart by their id (unique but for one row per file without
        // id); each row's `file` column names the file it came from.
        const [[files, min, max, distinct, misplaced]] = await q(
          `SELECT count(*), min(n), max(n), sum(d), sum(m) FROM (SELECT src, count(*) AS n, count(DISTINCT (src, id)) AS d, count(*) FILTER (WHERE src IS DISTINCT FROM 'landing/f' || lpad(file, 2, '0') || '.csv') AS m FROM bronze.orders GROUP BY 1)`,
        );
        if (Number(files) > 0)
          expect([min, max, Number(distinct), Number(misplaced)]).toEqual([ROWS, ROWS, Number(files) * ROWS, 0]);
        // The ledger records whole files of bronze (it is written after bronze's commit: a kill in
        // between leaves it a batch behind, caught up by the next run), and at the end all of them.
        const [[recorded, loaded]] = tableHasCommits(path.join(lake, '_system/ingest_files'))
          ? await q(
              `SELECT count(DISTINCT file_path), coalesce(sum(rows_loaded), 0) FROM (SELECT DISTINCT ON (file_path) * FROM system.ingest_files ORDER BY file_path, table_version DESC)`,
            )
          : [[0, 0]];
        expect(Number(loaded)).toBe(Number(recorded) * ROWS);
        if (complete) expect(Number(recorded)).toBe(Number(files));
        else expect(Number(recorded)).toBeLessThanOrEqual(Number(files));
      }
    };

    // Killed while the disk fills (less than 2 MB left): at least once.
    let kills = 0;
    for (let attempt = 0; attempt < 4 && kills === 0; attempt++) {
      const lock = path.join(lake, '_system/update.lock');
      const r = await strataRun(dir, {
        trigger: () => existsSync(lock) && free() < 2 * 1024 * 1024,
        delay: Math.floor(next() * 200),
      });
      if (r.killed) kills++;
      else expectDiskFullError(r);
      await expectWhole();
    }
    expect(kills).toBe(1);

    // Runs on the full disk fail, each with one line saying so; nothing is half-written.
    for (let i = 0; i < 2; i++) {
      expectDiskFullError(await strataRun(dir));
      await expectWhole();
    }
    expect(free()).toBeLessThan(1024 * 1024);

    // More space: the next run completes, and every row is there once.
    execFileSync('mount', ['-o', 'remount,size=256m', disk]);
    const last = await strataRun(dir);
    expect(last.code, last.err).toBe(0);
    for (const t of CRASH_TABLES) expectValidLog(path.join(lake, t));
    await expectWhole(true);
    expect(await q(`SELECT count(*), count(DISTINCT (src, id)), count(DISTINCT src) FROM bronze.orders`)).toEqual([
      [FILES * ROWS, FILES * ROWS, FILES],
    ]);
    expect(await q(`SELECT count(*), count(DISTINCT id) FROM silver.orders`)).toEqual([
      [FILES * (ROWS - 2), FILES * (ROWS - 2)],
    ]);
    // Each file's one bad row once (its row, with its id and file, is in _raw).
    expect(
      await q(
        `SELECT count(*), count(DISTINCT _raw), count(DISTINCT json_extract_string(_raw, '$.src')) FROM silver.orders_quarantine`,
      ),
    ).toEqual([[FILES, FILES, FILES]]);
    const expected = await q(
      `SELECT file::INT % 3 AS bucket, count(*) AS n, sum(amount::DECIMAL(10,2)) AS amount FROM read_csv('${landing}/*.csv', all_varchar = true) WHERE id IS NOT NULL AND amount::DECIMAL(10,2) > 0 GROUP BY 1 ORDER BY 1`,
    );
    expect(await q(`SELECT bucket, n, amount FROM gold.totals ORDER BY 1`)).toEqual(expected);

    // Every update has exactly one final state: the last COMPLETED; each other one FAILED, as the
    // disk was full or as killed (closed by the next update).
    const finals = await q(
      `SELECT origin.update_id, count(*) FILTER (WHERE event_type = 'update_progress' AND json_extract_string(details, '$.update_progress.state') IN ('COMPLETED', 'FAILED', 'CANCELED')) AS n,
         any_value(json_extract_string(details, '$.update_progress.state')) FILTER (WHERE event_type = 'update_progress' AND json_extract_string(details, '$.update_progress.state') IN ('COMPLETED', 'FAILED', 'CANCELED')) AS state,
         any_value(json_extract_string(error, '$.exceptions[0].message')) FILTER (WHERE event_type = 'update_progress') AS error,
         min(\`timestamp\`) AS started
       FROM system.event_log GROUP BY 1 ORDER BY started`,
    );
    expect(finals.length).toBeGreaterThan(1);
    for (const [update, n, state, error] of finals.slice(0, -1)) {
      expect(n, `update ${update}`).toBe(1);
      expect(state, `update ${update}`).toBe('FAILED');
      expect(error, `update ${update}`).toMatch(/the disk is full|ended before it did \(killed or crashed\)/);
    }
    expect(finals.at(-1)!.slice(1, 3)).toEqual([1, 'COMPLETED']);
  }, 120_000);
});
