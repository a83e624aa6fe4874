// The very first `strata run` of a fresh project killed (SIGKILL) at random moments — while
// the update lock, the event log, the ingest ledger, the tables and their quarantine are being
// created — once to three times, then run to the end. After the run that completes, in every
// project: every table's log is valid, bronze holds every landing line once, silver every good
// row once, the quarantine every bad row once, gold what a plain DuckDB query over the files
// gives, every update in the event log has exactly one final state (a killed one closed as
// FAILED by the next update), and what a kill left of an interrupted commit (.strata-tmp-*) is
// swept once older than a minute. The test makes at least 15 kills (25 with STRATA_SOAK=1).
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tableHasCommits } from '../../src/catalog/index.js';
import { loadSnapshot } from '../../src/delta/index.js';
import { executeQuery } from '../../src/sql/index.js';
import { expectValidLog } from '../helpers/delta-log.js';
import { rng, soak, useTestBed } from '../helpers/harness.js';
import { CRASH_PIPELINE, CRASH_TABLES, strataRun } from '../helpers/strata-run.js';

const bed = useTestBed('fresh-crash');

/** The `.strata-tmp-*` files under `dir`, at any depth. */
function tempFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => path.basename(f).startsWith('.strata-tmp-'))
    .map((f) => path.join(dir, f));
}

/** Whether the table at `dir` exists with columns (it is readable by name). */
async function loaded(dir: string): Promise<boolean> {
  return tableHasCommits(dir) && (await loadSnapshot(dir)).schema.fields.length > 0;
}

const KILLS = soak(15, 25);

describe('crash safety of the first run of a fresh project', () => {
  it('after SIGKILLs during the first strata run, every table is readable and every row is there once', async () => {
    const next = rng(2026);
    const q = (dir: string, sql: string) =>
      bed.engine.withSession(async (s) => (await executeQuery(s, sql, { baseDir: dir })).rows);
    let kills = 0;
    let projects = 0;
    let leftovers = 0;
    const stages = new Map<number, number>(); // kills by how many of the 6 tables existed after them
    for (; projects < soak(8, 12) || kills < KILLS; projects++) {
      expect(projects, 'too many projects completed before their planned kills').toBeLessThan(30);
      const dir = path.join(bed.dir, `p${projects}`);
      const landing = path.join(dir, 'landing');
      const lake = path.join(dir, 'lake');
      mkdirSync(landing, { recursive: true });
      mkdirSync(path.join(dir, 'pipelines/main'), { recursive: true });
      writeFileSync(path.join(dir, 'pipelines/main/orders.sql'), CRASH_PIPELINE);
      // 3 to 6 files of 40 rows; in each, one without id (dropped), one with a negative amount (quarantined).
      const files = 3 + Math.floor(next() * 4);
      for (let f = 0; f < files; f++) {
        const lines = [
          'id,file,amount',
          ...Array.from({ length: 40 }, (_, r) => `${r === 7 ? '' : f * 100 + r},${f},${r === 13 ? -1 : r + 0.25}`),
        ];
        writeFileSync(path.join(landing, `f${f}.csv`), `${lines.join('\n')}\n`);
      }

      // 1 to 3 kills; each at a random moment after the spawn, or after the update lock appeared.
      const planned = 1 + Math.floor(next() * 3);
      const swept: string[] = []; // left by a kill in a log with no commit yet: must go when the table is created
      for (let k = 0; k < planned; k++) {
        const afterLock = next() < 0.75;
        const lock = path.join(lake, '_system/update.lock');
        const r = await strataRun(
          dir,
          afterLock
            ? { trigger: () => existsSync(lock), delay: Math.floor(next() * 500) }
            : { trigger: () => true, delay: 600 + Math.floor(next() * 1000) },
        );
        if (!r.killed) {
          expect(r.code, r.err).toBe(0); // the run ended before the kill: this project is done
          break;
        }
        kills++;
        const stage = CRASH_TABLES.filter((t) => tableHasCommits(path.join(lake, t))).length;
        stages.set(stage, (stages.get(stage) ?? 0) + 1);
        // Readable after every kill, never a row twice (a table whose first commit a kill stopped is
        // not there yet; one created with no columns has had nothing loaded yet).
        if (await loaded(path.join(lake, 'bronze/orders'))) {
          const [[n, distinct]] = await q(dir, `SELECT count(*), count(DISTINCT (src, id)) FROM bronze.orders`);
          expect(n).toBe(distinct);
        }
        if (await loaded(path.join(lake, 'silver/orders'))) {
          const [[n, distinct]] = await q(dir, `SELECT count(*), count(DISTINCT id) FROM silver.orders`);
          expect(n).toBe(distinct);
        }
        // What the kill left of an interrupted commit is made a minute old: the next run may sweep it.
        for (const file of tempFiles(lake)) {
          const old = new Date(Date.now() - 2 * 60_000);
          utimesSync(file, old, old);
          const log = path.dirname(file);
          if (path.basename(log) === '_delta_log' && !tableHasCommits(path.dirname(log))) swept.push(file);
          leftovers++;
        }
      }

      const last = await strataRun(dir);
      expect(last.code, last.err).toBe(0);
      for (const t of CRASH_TABLES) expectValidLog(path.join(lake, t));
      // Every line once (a file's id is unique but for its one row without id), each row with the
      // file it came from (its `file` column names it).
      expect(
        await q(
          dir,
          `SELECT count(*), count(DISTINCT (src, id)), count(DISTINCT src), count(*) FILTER (WHERE src IS DISTINCT FROM 'landing/f' || file || '.csv') FROM bronze.orders`,
        ),
      ).toEqual([[files * 40, files * 40, files, 0]]);
      expect(await q(dir, `SELECT count(*), count(DISTINCT id) FROM silver.orders`)).toEqual([
        [files * 38, files * 38],
      ]);
      // Each file's one bad row once (its row, with its id and file, is in _raw).
      expect(
        await q(
          dir,
          `SELECT count(*), count(DISTINCT _raw), count(DISTINCT json_extract_string(_raw, '$.src')) FROM delta_scan('lake/silver/orders_quarantine')`,
        ),
      ).toEqual([[files, files, files]]);
      const expected = await q(
        dir,
        `SELECT file::INT % 3 AS bucket, count(*) AS n, sum(amount::DECIMAL(10,2)) AS amount FROM read_csv('${landing}/*.csv', all_varchar = true) WHERE id IS NOT NULL AND amount::DECIMAL(10,2) > 0 GROUP BY 1 ORDER BY 1`,
      );
      expect(await q(dir, `SELECT bucket, n, amount FROM gold.totals ORDER BY 1`)).toEqual(expected);
      // The ledger holds every file once, with its rows.
      expect(
        await q(
          dir,
          `SELECT count(*), count(DISTINCT file_path), sum(rows_loaded) FROM (SELECT DISTINCT ON (file_path) * FROM system.ingest_files ORDER BY file_path, table_version DESC)`,
        ),
      ).toEqual([[files, files, files * 40]]);

      // Every update has exactly one final state; the last one COMPLETED, every FAILED one a
      // killed update closed by the next (no other failure).
      const finals = await q(
        dir,
        `SELECT origin.update_id, count(*) FILTER (WHERE event_type = 'update_progress' AND json_extract_string(details, '$.update_progress.state') IN ('COMPLETED', 'FAILED', 'CANCELED')) AS n,
           any_value(json_extract_string(details, '$.update_progress.state')) FILTER (WHERE event_type = 'update_progress' AND json_extract_string(details, '$.update_progress.state') IN ('COMPLETED', 'FAILED', 'CANCELED')) AS state,
           any_value(json_extract_string(error, '$.exceptions[0].class_name')) FILTER (WHERE event_type = 'update_progress') AS code,
           min(\`timestamp\`) AS started
         FROM system.event_log GROUP BY 1 ORDER BY started`,
      );
      for (const [update, n, state, code] of finals) {
        expect(n, `update ${update}`).toBe(1);
        if (state === 'FAILED') expect(code, `update ${update}`).toBe('ABANDONED');
        else expect(state, `update ${update}`).toBe('COMPLETED');
      }
      expect(finals.at(-1)![2]).toBe('COMPLETED');

      // A kill's temporary file in the log of a table not yet created was swept when the table was.
      for (const file of swept) expect(existsSync(file), file).toBe(false);
      // Any other is in a log (never a data or system folder), where the table's next checkpoint sweeps it.
      for (const file of tempFiles(lake)) {
        if (Date.now() - statSync(file).mtimeMs < 60_000) continue;
        expect(path.basename(path.dirname(file)), file).toBe('_delta_log');
      }
    }
    expect(kills).toBeGreaterThanOrEqual(KILLS);
    // What the kills hit, for the record: how many of the 6 tables existed after each.
    const hit = [...stages].sort((a, b) => a[0] - b[0]).map(([n, k]) => `${n} tables: ${k}`);
    process.stdout.write(
      `fresh-crash: ${projects} projects, ${kills} kills (${hit.join(', ')}), ${leftovers} temporary files left\n`,
    );
  }, 150_000);
});
