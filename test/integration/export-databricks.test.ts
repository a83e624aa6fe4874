// strata export databricks (issue 19): the bundle validates against the JSON Schema Databricks
// publishes for bundles (../shared/databricks/bundle.schema.json, databricks/cli, read in place)
// with a JSON Schema validator; and the exported SQL — Databricks' quarantine pattern in place of
// Strata's ON VIOLATION QUARANTINE — run as a pipeline gives the same table and the same
// quarantined rows (with their rules) as the project itself.
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig, exportDatabricks } from '../../src/project/index.js';
import { parsePipelineSql } from '../../src/pipeline/index.js';
import { projectAt, useTestBed } from '../helpers/harness.js';

const bed = useTestBed('export-databricks');
const SCHEMA = JSON.parse(readFileSync(path.resolve('../shared/databricks/bundle.schema.json'), 'utf8'));

function validator() {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  return ajv.compile(SCHEMA);
}

/** Every YAML file of the bundle, parsed. */
function bundleFiles(dir: string): [string, unknown][] {
  const out: [string, unknown][] = [['databricks.yml', parse(readFileSync(path.join(dir, 'databricks.yml'), 'utf8'))]];
  for (const f of readdirSync(path.join(dir, 'resources')))
    out.push([`resources/${f}`, parse(readFileSync(path.join(dir, 'resources', f), 'utf8'))]);
  return out;
}

describe('strata export databricks', () => {
  it("writes a bundle of the examples that Databricks' bundle schema accepts, file by file", async () => {
    const validate = validator();
    // (The check has teeth: a field the schema does not know, or a wrong type, is refused.)
    expect(
      validate({ resources: { pipelines: { p: { name: 'p', libraries: [{ file: { path: 'a.sql' } }], bogus: 1 } } } }),
    ).toBe(false);
    expect(validate({ bundle: { name: 1 } })).toBe(false);
    for (const example of ['retail', 'olist_sample', 'databricks-cdc']) {
      const out = path.join(bed.dir, `bundle-${example}`);
      const bundle = await exportDatabricks(await loadConfig(path.resolve('examples', example)), out);
      expect(bundle.files).toContain('databricks.yml');
      for (const [file, doc] of bundleFiles(out)) {
        const ok = validate(doc);
        expect(ok ? [] : validate.errors, `${example}/${file}`).toEqual([]);
      }
      // Every exported SQL file parses as a pipeline, and no QUARANTINE is left for Databricks to refuse.
      for (const f of bundle.files.filter((x) => x.endsWith('.sql') && !x.startsWith('src/sql/'))) {
        const text = readFileSync(path.join(out, f), 'utf8');
        expect(parsePipelineSql(text, f).problems, f).toEqual([]);
        expect(text.replace(/--.*$/gm, '')).not.toMatch(/ON\s+VIOLATION\s+QUARANTINE/i);
      }
    }
  });

  it("exports the jobs with the bundle's references; Strata's command_task is left out with a note", async () => {
    const out = path.join(bed.dir, 'bundle-jobs');
    const bundle = await exportDatabricks(await loadConfig(path.resolve('examples/retail')), out);
    const validate = validator();
    const daily = parse(readFileSync(path.join(out, 'resources/daily_refresh.job.yml'), 'utf8'));
    expect(validate(daily) ? [] : validate.errors).toEqual([]);
    const job = daily.resources.jobs.daily_refresh;
    expect(job.schedule).toEqual({ quartz_cron_expression: '0 0 6 * * ?', timezone_id: 'Europe/Berlin' });
    expect(job.tasks.map((t: { task_key: string }) => t.task_key)).toEqual(['refresh', 'kpis', 'dq_alert']);
    expect(job.tasks[0].pipeline_task).toEqual({ pipeline_id: '${resources.pipelines.retail.id}' });
    expect(job.tasks[1].sql_task).toEqual({
      file: { path: '../src/sql/kpis.sql' },
      warehouse_id: '${var.warehouse_id}',
    });
    expect(job.tasks[2].alert_task).toEqual({
      alert_id: '${resources.alerts.orders_quarantined.id}',
      warehouse_id: '${var.warehouse_id}',
    });
    expect(readFileSync(path.join(out, 'src/sql/kpis.sql'), 'utf8')).toBe(
      readFileSync(path.resolve('examples/retail/sql/kpis.sql'), 'utf8'),
    );
    const alert = parse(readFileSync(path.join(out, 'resources/orders_quarantined.alert.yml'), 'utf8'));
    expect(validate(alert) ? [] : validate.errors).toEqual([]);
    expect(alert.resources.alerts.orders_quarantined.query_text).toBe(
      readFileSync(path.resolve('examples/retail/sql/dq_quarantined.sql'), 'utf8'),
    );
    const arrival = parse(readFileSync(path.join(out, 'resources/on_arrival.job.yml'), 'utf8'));
    expect(arrival.resources.jobs.on_arrival.tasks[0].run_job_task).toEqual({
      job_id: '${resources.jobs.daily_refresh.id}',
    });
    // A command_task (Strata's) is left out, with a note; what came after it depends on what it depended on.
    const dir = path.join(bed.dir, 'cmd-project');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'strata.yaml'),
      `jobs:\n  j:\n    tasks:\n      - { task_key: a, pipeline_task: { pipeline_id: p } }\n      - { task_key: b, depends_on: [{ task_key: a }], command_task: { command: [ls] } }\n      - { task_key: c, depends_on: [{ task_key: b }], pipeline_task: { pipeline_id: p } }\n`,
    );
    const cmd = await exportDatabricks(await loadConfig(dir), path.join(bed.dir, 'cmd-bundle'));
    const j = parse(readFileSync(path.join(bed.dir, 'cmd-bundle', 'resources/j.job.yml'), 'utf8')).resources.jobs.j;
    expect(j.tasks.map((t: { task_key: string }) => t.task_key)).toEqual(['a', 'c']);
    expect(j.tasks[1].depends_on).toEqual([{ task_key: 'a' }]);
    expect(cmd.notes).toContain(
      "jobs.j.tasks.b: a command_task (Strata's) has no Databricks equivalent; it is left out of the bundle — run it as a notebook or Python task there",
    );
    // A continuous job keeps its setting, valid for the bundle schema.
    const live = path.join(bed.dir, 'continuous-project');
    mkdirSync(live, { recursive: true });
    writeFileSync(
      path.join(live, 'strata.yaml'),
      `jobs:\n  live:\n    continuous: { pause_status: UNPAUSED, task_retry_mode: NEVER }\n    tasks:\n      - { task_key: a, pipeline_task: { pipeline_id: p } }\n`,
    );
    await exportDatabricks(await loadConfig(live), path.join(bed.dir, 'continuous-bundle'));
    const liveJob = parse(readFileSync(path.join(bed.dir, 'continuous-bundle', 'resources/live.job.yml'), 'utf8'));
    expect(validate(liveJob) ? [] : validate.errors).toEqual([]);
    expect(liveJob.resources.jobs.live.continuous).toEqual({ pause_status: 'UNPAUSED', task_retry_mode: 'NEVER' });
    expect(bundle.notes.some((n) => n.includes('warehouse_id'))).toBe(true);
    const main = parse(readFileSync(path.join(out, 'databricks.yml'), 'utf8'));
    expect(main.variables.warehouse_id.description).toMatch(/SQL warehouse/);
  });

  it('refers to the SQL files from the pipeline resource, with the catalog and schema as variables', async () => {
    const out = path.join(bed.dir, 'bundle-layout');
    await exportDatabricks(await loadConfig(path.resolve('examples/retail')), out);
    const main = parse(readFileSync(path.join(out, 'databricks.yml'), 'utf8'));
    expect(main.include).toEqual(['resources/*.yml']);
    expect(main.variables.catalog.default).toBe('main');
    const resource = parse(readFileSync(path.join(out, 'resources/retail.pipeline.yml'), 'utf8'));
    const p = resource.resources.pipelines.retail;
    expect([p.catalog, p.schema, p.serverless]).toEqual(['${var.catalog}', '${var.retail_schema}', true]);
    for (const lib of p.libraries)
      expect(readFileSync(path.join(out, 'resources', lib.file.path), 'utf8')).toBeTruthy();
  });

  it('the quarantine pattern keeps the same rows out of the table, and in <table>_quarantine with their rules', async () => {
    const dir = path.join(bed.dir, 'q');
    mkdirSync(path.join(dir, 'pipelines/p'), { recursive: true });
    mkdirSync(path.join(dir, 'landing/orders'), { recursive: true });
    writeFileSync(
      path.join(dir, 'landing/orders/1.csv'),
      'id,qty,price,channel\n1,2,10.5,web\n2,0,3,web\n3,1,-1,shop\n4,5,,shop\n5,1,2,phone\n',
    );
    writeFileSync(
      path.join(dir, 'pipelines/p/p.sql'),
      `CREATE OR REFRESH STREAMING TABLE raw AS SELECT * FROM STREAM read_files('landing/orders', format => 'csv');

CREATE OR REFRESH STREAMING TABLE orders (
  CONSTRAINT qty_positive EXPECT (qty > 0) ON VIOLATION QUARANTINE,
  CONSTRAINT price_positive EXPECT (price > 0) ON VIOLATION QUARANTINE,
  CONSTRAINT known_channel EXPECT (channel IN ('web', 'shop'))
) AS SELECT CAST(id AS INT) AS id, CAST(qty AS INT) AS qty, CAST(price AS DOUBLE) AS price, channel FROM STREAM(raw);

CREATE OR REFRESH STREAMING TABLE lines (
  CONSTRAINT qty_positive EXPECT (qty > 0) ON VIOLATION QUARANTINE
);
CREATE FLOW lines_web AS INSERT INTO lines BY NAME SELECT CAST(id AS INT) AS id, CAST(qty AS INT) AS qty FROM STREAM(raw) WHERE channel = 'web';
CREATE FLOW lines_other AS INSERT INTO lines BY NAME SELECT CAST(id AS INT) AS id, CAST(qty AS INT) AS qty FROM STREAM(raw) WHERE channel <> 'web';
`,
    );
    const strata = await projectAt(bed, dir);
    const first = await strata.runPipeline(await strata.loadPipeline());
    expect(first.status, first.error).toBe('COMPLETED');
    const q = async (p: typeof strata, sql: string) => (await p.query(sql)).rows;

    const out = path.join(bed.dir, 'q-bundle');
    const bundle = await exportDatabricks(await loadConfig(dir), out);
    expect(bundle.notes.join('\n')).toMatch(
      /orders: ON VIOLATION QUARANTINE \(qty_positive, price_positive\) written as DROP ROW/,
    );
    expect(bundle.notes.join('\n')).toMatch(/read_files\('landing\/orders'\) reads a folder of the project/);
    // The exported SQL, run as a pipeline of its own over the same files.
    const twin = path.join(bed.dir, 'q-twin');
    mkdirSync(path.join(twin, 'pipelines/p'), { recursive: true });
    cpSync(path.join(dir, 'landing'), path.join(twin, 'landing'), { recursive: true });
    cpSync(path.join(out, 'src/p'), path.join(twin, 'pipelines/p'), { recursive: true });
    const exported = await projectAt(bed, twin);
    const run = await exported.runPipeline(await exported.loadPipeline());
    expect(run.status, run.error).toBe('COMPLETED');

    for (const t of ['orders', 'lines'])
      expect(await q(exported, `SELECT * FROM ${t} ORDER BY id`)).toEqual(
        await q(strata, `SELECT * FROM ${t} ORDER BY id`),
      );
    for (const t of ['orders', 'lines']) {
      const ours = await q(
        strata,
        `SELECT CAST(json_extract_string(_raw, '$.id') AS INT) AS id, _rules FROM ${t}_quarantine ORDER BY id`,
      );
      const theirs = await q(exported, `SELECT id, _rules FROM ${t}_quarantine ORDER BY id`);
      expect(theirs, t).toEqual(ours);
    }
    expect(await q(exported, 'SELECT id, _rules FROM orders_quarantine ORDER BY id')).toEqual([
      [2, ['qty_positive']],
      [3, ['price_positive']],
      [4, ['price_positive']],
    ]);
  });
});
