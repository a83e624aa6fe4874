// MERGE whose ON condition also tests one side alone — an SCD2 merge's "current row"
// (`AND t.current`), a source filter (`AND s.op <> 'D'`) — against a plain key-only MERGE
// of the same source into the same table (same run). DuckDB runs an outer join with such a
// condition as a nested loop; the MERGE plan must not use one (it joins the pairs first).
//
//   npm run build && node bench/merge-on.mjs [--rows 300k] [--rounds 3]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Engine } from '../dist/engine/index.js';
import { executeQuery } from '../dist/sql/index.js';
import { fmtMs, machineLine, markdownTable, median, parseArgsOrExit, timeIt } from './lib/util.mjs';

const args = parseArgsOrExit(process.argv.slice(2), { rows: 300_000, rounds: 3 });
const N = args.rows;
const engine = await Engine.create({ threads: 2 });
const STATEMENTS = [
  [
    'key only (reference)',
    `ON t.id = s.id WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT (id, v, cur) VALUES (s.id, s.v, true)`,
  ],
  [
    "ON … AND s.op <> 'D' (source alone)",
    `ON t.id = s.id AND s.op <> 'D' WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT (id, v, cur) VALUES (s.id, s.v, true)`,
  ],
  [
    'ON … AND t.cur, NOT MATCHED BY SOURCE (target alone)',
    `ON t.id = s.id AND t.cur WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED BY SOURCE AND t.id < 10 THEN UPDATE SET cur = false`,
  ],
];
try {
  await engine.withSession(async (session) => {
    console.log(
      `# MERGE with an ON condition that tests one side alone (${N.toLocaleString('en-US')} target rows, ${(N / 2).toLocaleString('en-US')} source rows)\n`,
    );
    console.log(`${await machineLine(session)}\n`);
    const times = STATEMENTS.map(() => []);
    for (let round = 1; round <= args.rounds; round++) {
      for (const [i, [, clause]] of STATEMENTS.entries()) {
        // A fresh table each time, so every statement merges into the same rows.
        const dir = mkdtempSync(path.join(tmpdir(), 'strata-merge-on-'));
        const q = (sql) => executeQuery(session, sql, { baseDir: dir });
        await q(`CREATE TABLE t AS SELECT i AS id, 'v' || i AS v, true AS cur FROM range(${N}) r(i)`);
        await session.exec(
          `CREATE OR REPLACE TEMP TABLE merge_src AS SELECT i * 3 AS id, 'n' || i AS v, CASE WHEN i % 5 = 0 THEN 'D' ELSE 'U' END AS op FROM range(${N / 2}) r(i)`,
        );
        const m = await timeIt(() => q(`MERGE INTO t USING merge_src AS s ${clause}`));
        times[i].push(m.ms);
        rmSync(dir, { recursive: true, force: true });
      }
      process.stderr.write(`round ${round}: ${times.map((t) => `${fmtMs(t.at(-1))} ms`).join(', ')}\n`);
    }
    const ref = median(times[0]);
    console.log(
      markdownTable(
        ['statement', 'median (ms)', 'vs key only'],
        STATEMENTS.map(([name], i) => [name, fmtMs(median(times[i])), `${(median(times[i]) / ref).toFixed(2)}×`]),
        'lrr',
      ),
    );
  });
} finally {
  engine.close();
}
