// AUTO CDC benchmark (the CDC issue's target): an SCD type 2 dimension over N keys
// (default 1 million); each round, 10% of the keys change (half of them in a
// tracked column — a new version —, half only in an untracked one — in place),
// within a window of the key space as real change feeds tend to be. Measured
// against a plain MERGE of the same changes into a table of the same rows
// (same run, same file size; the median of three): the update should cost ≤ 3× the MERGE, and
// rewrite only the dimension's files that hold a changed key.
//
//   npm run build && node bench/cdc.mjs [--rows 1m (keys)] [--rounds 3]
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSnapshot } from '../dist/delta/index.js';
import { Engine, quoteLiteral } from '../dist/engine/index.js';
import { loadPipeline, runPipeline } from '../dist/pipeline/index.js';
import { createCatalog } from '../dist/catalog/index.js';
import { fileSources } from '../dist/ingest/index.js';
import { executeQuery } from '../dist/sql/index.js';
import { fmtMs, machineLine, markdownTable, median, parseArgsOrExit, timeIt } from './lib/util.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = parseArgsOrExit(process.argv.slice(2), { rows: 1_000_000, rounds: 3, fileSize: '4MB' });
const root = path.join(here, 'data', 'cdc');
const log = (m) => process.stderr.write(`${m}\n`);
const N = args.rows; // keys
const K = Math.round(N / 10);

rmSync(root, { recursive: true, force: true });
mkdirSync(path.join(root, 'pipelines', 'main'), { recursive: true });
writeFileSync(
  path.join(root, 'pipelines', 'main', 'main.sql'),
  `CREATE OR REFRESH STREAMING TABLE dim TBLPROPERTIES ('delta.targetFileSize' = '${args.fileSize}');
CREATE FLOW dim_flow AS AUTO CDC INTO dim FROM STREAM(changes) KEYS (id) SEQUENCE BY seq
COLUMNS * EXCEPT (seq) STORED AS SCD TYPE 2 TRACK HISTORY ON * EXCEPT (w);`,
);

const engine = await Engine.create({});
await engine.withSession(async (s) => {
  const q = (sql) => executeQuery(s, sql, { baseDir: root, files: fileSources });
  const run = async () => {
    const pipeline = await loadPipeline(createCatalog({ projectDir: root }), 'main');
    if (pipeline.problems.length) throw new Error(JSON.stringify(pipeline.problems));
    const outcome = await runPipeline(s, pipeline, { catalog: createCatalog({ projectDir: root }) });
    if (outcome.status !== 'COMPLETED') throw new Error(outcome.error);
    return outcome;
  };
  console.log(
    `# AUTO CDC: SCD type 2 over ${N.toLocaleString('en-US')} keys, ${K.toLocaleString('en-US')} changed per round\n`,
  );
  console.log(`Machine: ${await machineLine(s)}\n`);

  // The change feed (a Delta table), and the plain table the reference MERGE updates.
  await q(
    `CREATE TABLE changes AS SELECT i AS id, 'v' || (i % 7) AS v, CAST(i % 100 AS INT) AS w, CAST(1 AS BIGINT) AS seq FROM range(1, ${N + 1}) t(i)`,
  );
  await q(
    `CREATE TABLE plain TBLPROPERTIES ('delta.targetFileSize' = '${args.fileSize}') AS SELECT id, v, w FROM changes ORDER BY id`,
  );
  const initial = await timeIt(run);
  log(`initial load: ${fmtMs(initial.ms)} ms`);

  const rows = [];
  for (let r = 1; r <= args.rounds; r++) {
    // 10% of the keys: every other key of a window of 20% of the key space.
    const lo = 1 + Math.floor(((r * 0.37) % 0.8) * N);
    const batch = path.join(root, `batch-${r}.parquet`);
    await s.exec(
      `COPY (SELECT id, CASE WHEN hash(id) % 2 = 0 THEN 'r${r}' ELSE 'v' || (id % 7) END AS v, CAST((id + ${r}) % 100 AS INT) AS w, CAST(${r + 1} AS BIGINT) AS seq
             FROM range(${lo}, ${lo + 2 * K}, 2) t(id)) TO ${quoteLiteral(batch)} (FORMAT parquet)`,
    );
    await q(`INSERT INTO changes SELECT * FROM read_parquet(${quoteLiteral(batch)})`);
    // The dimension's files that hold a changed key, found independently of the flow.
    const dimLocation = path.join(root, 'lake', 'default', 'dim');
    const before = await loadSnapshot(dimLocation, { session: s });
    const files = before.files.map((f) => path.join(dimLocation, decodeURIComponent(f.path)));
    const [holding] = await s.rows(
      `SELECT count(DISTINCT filename) AS n FROM read_parquet([${files.map(quoteLiteral).join(', ')}], filename = true)
       WHERE id IN (SELECT id FROM read_parquet(${quoteLiteral(batch)}))`,
    );
    const cdc = await timeIt(run);
    const flow = cdc.result.flows.find((f) => f.flow === 'dim_flow');
    const after = await loadSnapshot(dimLocation, { session: s });
    const removed = [...before.files].filter((f) => !after.files.some((g) => g.path === f.path)).length;
    // The reference, three times (the same changes again match the same rows and rewrite the same
    // files): its median steadies the ratio on a noisy machine.
    const merges = [];
    for (let i = 0; i < 3; i++) {
      const m = await timeIt(() =>
        q(`MERGE INTO plain t USING (SELECT id, v, w FROM read_parquet(${quoteLiteral(batch)})) s ON t.id = s.id
           WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *`),
      );
      merges.push(m.ms);
    }
    const merge = { ms: median(merges) };
    log(`round ${r}: AUTO CDC ${fmtMs(cdc.ms)} ms, MERGE ${fmtMs(merge.ms)} ms`);
    rows.push({
      r,
      cdc: cdc.ms,
      merge: merge.ms,
      removed,
      holding: Number(holding.n),
      total: before.files.length,
      upserted: flow.metrics.num_upserted_rows,
      deleted: flow.metrics.num_deleted_rows,
    });
  }
  const [[versions, current]] = (await q('SELECT count(*), count(*) FILTER (WHERE __END_AT IS NULL) FROM dim')).rows;

  console.log(`Initial load of ${N.toLocaleString('en-US')} keys through the flow: ${fmtMs(initial.ms)} ms.\n`);
  console.log(
    markdownTable(
      [
        'round',
        'AUTO CDC update (ms)',
        'plain MERGE (ms)',
        'ratio',
        'dim files rewritten',
        'files holding a changed key',
        'dim files',
        'upserted rows',
        'deleted rows',
      ],
      rows.map((x) => [
        x.r,
        fmtMs(x.cdc),
        fmtMs(x.merge),
        `${(x.cdc / x.merge).toFixed(2)}×`,
        x.removed,
        x.holding,
        x.total,
        x.upserted.toLocaleString('en-US'),
        x.deleted.toLocaleString('en-US'),
      ]),
      'rrrrrrrrr',
    ),
  );
  console.log(
    `\nMedian ratio: **${median(rows.map((x) => x.cdc / x.merge)).toFixed(2)}×** (target ≤ 3×). The dimension ends with ${Number(versions).toLocaleString('en-US')} versions, ${Number(current).toLocaleString('en-US')} current.`,
  );
  const exact = rows.every((x) => x.removed === x.holding);
  console.log(`Files rewritten = files holding a changed key in every round: ${exact ? 'yes' : 'NO'}.`);
  if (!exact || Number(current) !== N) process.exitCode = 1;
});
engine.close();
