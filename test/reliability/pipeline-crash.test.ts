// `strata run` killed at random moments (SIGKILL) and run again, with new files
// landing in between: after the last run, bronze holds every line once, silver
// every good row once, the quarantine every bad row once, and the gold view the
// totals a plain DuckDB query over the files gives. Every table stays readable
// after every kill.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { executeQuery } from '../../src/sql/index.js';
import { tableHasCommits } from '../../src/catalog/index.js';
import { loadSnapshot } from '../../src/delta/index.js';
import { expectValidLog } from '../helpers/delta-log.js';
import { rng, useTestBed } from '../helpers/harness.js';
import { CRASH_PIPELINE, holdsUpdateLock, strataRun } from '../helpers/strata-run.js';

const bed = useTestBed('pipeline-crash');

/** Whether the table at `dir` exists with columns (a table is created with none before its first load). */
async function loaded(dir: string): Promise<boolean> {
  return tableHasCommits(dir) && (await loadSnapshot(dir)).schema.fields.length > 0;
}

describe('crash safety of pipeline updates', () => {
  it('after SIGKILLs during strata run, every row is where it belongs exactly once', async () => {
    const base = path.join(bed.dir, 'p');
    const landing = path.join(base, 'landing');
    mkdirSync(landing, { recursive: true });
    mkdirSync(path.join(base, 'pipelines/main'), { recursive: true });
    writeFileSync(path.join(base, 'pipelines/main/orders.sql'), CRASH_PIPELINE);
    const next = rng(23);
    let files = 0;
    const land = (count: number) => {
      for (let k = 0; k < count; k++, files++) {
        // 40 rows; one without id (dropped), one with a negative amount (quarantined).
        const lines = [
          'id,file,amount',
          ...Array.from(
            { length: 40 },
            (_, r) => `${r === 7 ? '' : files * 100 + r},${files},${r === 13 ? -1 : r + 0.25}`,
          ),
        ];
        writeFileSync(path.join(landing, `f${String(files).padStart(4, '0')}.csv`), `${lines.join('\n')}\n`);
      }
    };
    land(12);
    // Most kills land a random time after the run took the update lock (its update under way,
    // whatever the machine's load); the others a random time after the spawn.
    const lake = path.join(base, 'lake');
    const run = (killAfter?: number) =>
      strataRun(
        base,
        killAfter === undefined
          ? undefined
          : next() < 0.75
            ? { trigger: (pid) => holdsUpdateLock(lake, pid), delay: killAfter % 900 }
            : { trigger: () => true, delay: killAfter },
      );
    const q = (sql: string) =>
      bed.engine.withSession(async (s) => (await executeQuery(s, sql, { baseDir: base })).rows);
    let killed = 0;
    for (let i = 0; i < 24; i++) {
      const r = await run(300 + Math.floor(next() * 1500));
      if (r.killed) killed++;
      else expect(r.code, r.err).toBe(0);
      if (i % 6 === 0) land(3);
      // Readable after every kill, never a row twice (a table whose first commit a kill stopped is not there
      // yet; one created with no columns has had nothing loaded yet).
      if (await loaded(path.join(base, 'lake/bronze/orders'))) {
        const [[n, distinct]] = await q(`SELECT count(*), count(DISTINCT (src, id)) FROM bronze.orders`);
        expect(n).toBe(distinct);
      }
      if (await loaded(path.join(base, 'lake/silver/orders'))) {
        const [[n, distinct]] = await q(`SELECT count(*), count(DISTINCT id) FROM silver.orders`);
        expect(n).toBe(distinct);
      }
      if (await loaded(path.join(base, 'lake/silver/orders_quarantine'))) {
        const [[n, distinct]] = await q(`SELECT count(*), count(DISTINCT _raw) FROM silver.orders_quarantine`);
        expect(n).toBe(distinct);
      }
    }
    expect(killed).toBeGreaterThan(5);
    const last = await run();
    expect(last.code, last.err).toBe(0);
    // Bronze: every line of every file once (a file's id is unique but for its one row without
    // id), each row with the file it came from (its `file` column names it).
    expect(
      await q(
        `SELECT count(*), count(DISTINCT (src, id)), count(DISTINCT src), count(*) FILTER (WHERE src IS DISTINCT FROM 'landing/f' || lpad(file, 4, '0') || '.csv') FROM bronze.orders`,
      ),
    ).toEqual([[files * 40, files * 40, files, 0]]);
    expect(await q(`SELECT count(*), count(DISTINCT id) FROM silver.orders`)).toEqual([[files * 38, files * 38]]);
    // The quarantine: each file's one bad row once (its row, with its id and file, is in _raw).
    expect(
      await q(
        `SELECT count(*), count(DISTINCT _raw), count(DISTINCT json_extract_string(_raw, '$.src')) FROM silver.orders_quarantine`,
      ),
    ).toEqual([[files, files, files]]);
    // The ledger holds every file once, with its rows.
    expect(
      await q(
        `SELECT count(*), count(DISTINCT file_path), sum(rows_loaded) FROM (SELECT DISTINCT ON (file_path) * FROM system.ingest_files ORDER BY file_path, table_version DESC)`,
      ),
    ).toEqual([[files, files, files * 40]]);
    const expected = await q(
      `SELECT file::INT % 3 AS bucket, count(*) AS n, sum(amount::DECIMAL(10,2)) AS amount FROM read_csv('${landing}/*.csv', all_varchar = true) WHERE id IS NOT NULL AND amount::DECIMAL(10,2) > 0 GROUP BY 1 ORDER BY 1`,
    );
    expect(await q(`SELECT bucket, n, amount FROM gold.totals ORDER BY 1`)).toEqual(expected);
    // Every update has a final state in the event log: a killed one is closed as FAILED by the
    // next update, which takes over its lock (issue 18 item 10).
    const open = await q(
      `SELECT origin.update_id FROM system.event_log GROUP BY 1 HAVING count(*) FILTER (WHERE event_type = 'update_progress' AND json_extract_string(details, '$.update_progress.state') IN ('COMPLETED', 'FAILED', 'CANCELED')) = 0`,
    );
    expect(open).toEqual([]);
    const [[abandoned]] = await q(
      `SELECT count(*) FROM system.event_log WHERE event_type = 'update_progress' AND message LIKE 'Update % is FAILED.' AND error LIKE '%ended before it did (killed or crashed)%'`,
    );
    expect(Number(abandoned)).toBeGreaterThan(0);
    for (const t of ['bronze/orders', 'silver/orders', 'silver/orders_quarantine', 'gold/totals', '_system/event_log'])
      expectValidLog(path.join(base, 'lake', t));
  }, 300_000);
});
