// What the crash suites share: the pipeline they kill (bronze from files, keeping each row's
// file from the hidden `_metadata` column as `src`; silver with a dropped and a quarantined
// rule; a gold aggregate), its tables, and `strata run` as a process of its own that can be
// killed with SIGKILL at a chosen moment. Rows carry no audit columns: the suites tell a row
// twice from a row once by its file (`src`) and its `id` (unique in the generated files but
// for one row per file without id, which is dropped from silver).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const BIN = path.resolve('bin/strata.js');

export const CRASH_PIPELINE = `
CREATE OR REFRESH STREAMING TABLE bronze.orders
AS SELECT *, _metadata.file_path AS src FROM STREAM read_files('landing/*.csv', format => 'csv', maxFilesPerTrigger => 2);

CREATE OR REFRESH STREAMING TABLE silver.orders (
  CONSTRAINT has_id EXPECT (id IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT positive EXPECT (amount > 0) ON VIOLATION QUARANTINE
) AS SELECT CAST(id AS BIGINT) AS id, CAST(file AS INT) AS file, CAST(amount AS DECIMAL(10,2)) AS amount, src
FROM STREAM(bronze.orders);

CREATE OR REFRESH MATERIALIZED VIEW gold.totals AS
SELECT file % 3 AS bucket, count(*) AS n, sum(amount) AS amount FROM silver.orders GROUP BY 1;
`;

/** The crash pipeline's tables and Strata's own, as folders under the lake. */
export const CRASH_TABLES = [
  'bronze/orders',
  'silver/orders',
  'silver/orders_quarantine',
  'gold/totals',
  '_system/event_log',
  '_system/ingest_files',
];

export interface StrataRun {
  code: number | null;
  killed: boolean;
  err: string;
}

/** Whether the lake's update lock is held by the process `pid` (its update has started). */
export function holdsUpdateLock(lake: string, pid: number | undefined): boolean {
  try {
    return JSON.parse(readFileSync(path.join(lake, '_system', 'update.lock'), 'utf8')).pid === pid;
  } catch {
    return false;
  }
}

/**
 * `strata run` in `dir` (one DuckDB thread), killed with SIGKILL `delay` ms after `trigger`
 * holds (checked every 2 ms from the spawn; told the child's pid), if given.
 */
export function strataRun(
  dir: string,
  kill?: { trigger: (pid: number | undefined) => boolean; delay: number },
): Promise<StrataRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, '--project', dir, 'run'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, STRATA_THREADS: '1' },
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    let timer: NodeJS.Timeout | undefined;
    const poll = kill
      ? setInterval(() => {
          if (timer || !kill.trigger(child.pid)) return;
          timer = setTimeout(() => child.kill('SIGKILL'), kill.delay);
        }, 2)
      : undefined;
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve({ code, killed: signal === 'SIGKILL', err });
    });
  });
}
