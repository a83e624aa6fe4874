// Pipelines, from their definitions and the event log (no second store): each pipeline's graph
// with each table's last state, rows and duration; the events; the expectations' results per
// update (data quality); the quarantine of a table, row by row with its failed rules, and its replay.
import { Hono } from 'hono';
import { quoteLiteral, tableExists, type Project } from '../project/index.js';
import { json, problem, type Env, type ServeContext } from './http.js';
import { intParam, sparkIdent } from './json.js';
import { findTable } from './api-tables.js';

async function rows(project: Project, sql: string): Promise<Record<string, unknown>[]> {
  const r = await project.query(sql, { dialect: 'duckdb' });
  return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]])));
}

/** Whether any update has written the event log yet (one look at its folder). */
const hasEventLog = async (project: Project) => tableExists(project.catalog.system('event_log'));

/** The last flow of each dataset of a pipeline: status, rows written, when, how long. */
async function lastFlows(project: Project, pipeline: string): Promise<Record<string, unknown>[]> {
  if (!(await hasEventLog(project))) return [];
  return rows(
    project,
    `WITH f AS (
       SELECT origin.update_id AS update_id, origin.dataset_name AS dataset, origin.flow_name AS flow, "timestamp" AS ts,
              json_extract_string(details, '$.flow_progress.status') AS status,
              TRY_CAST(json_extract_string(details, '$.flow_progress.metrics.num_output_rows') AS BIGINT) AS rows_written,
              TRY_CAST(json_extract_string(details, '$.flow_progress.metrics.delta_version') AS BIGINT) AS version
       FROM system.event_log
       WHERE event_type = 'flow_progress' AND origin.pipeline_name = ${quoteLiteral(pipeline)}),
     ended AS (SELECT * FROM f WHERE status NOT IN ('RUNNING', 'QUEUED', 'STARTING')),
     last AS (SELECT * FROM ended QUALIFY row_number() OVER (PARTITION BY dataset ORDER BY ts DESC) = 1)
     SELECT last.dataset, last.flow, last.update_id, last.status, last.rows_written, last.version, last.ts AS ended_at,
            epoch_ms(last.ts) - epoch_ms((SELECT max(ts) FROM f WHERE f.update_id = last.update_id AND f.flow = last.flow AND f.status = 'RUNNING')) AS duration_ms
     FROM last ORDER BY dataset`,
  );
}

export function pipelineRoutes(s: ServeContext): Hono<Env> {
  const r = new Hono<Env>();

  r.get('/pipelines', async (c) => {
    const out = [];
    for (const name of await s.project.listPipelines()) {
      const p = await s.project.loadPipeline(name);
      const last = new Map((await lastFlows(s.project, p.name)).map((f) => [String(f.dataset), f]));
      const datasets = [...p.datasets.values()]
        .filter((d) => d.kind !== 'temporary-view')
        .map((d) => {
          const nodes = p.nodes.filter((n) => pdName(p, n.target) === d.name);
          return {
            name: d.name,
            kind: d.kind,
            reads: [...new Set(nodes.flatMap((n) => n.reads.map((x) => pdName(p, x.name))))],
            files: [...new Set(nodes.flatMap((n) => n.files.map((f) => f.call)))],
            expectations: d.expectations.map((e) => ({ name: e.name, action: e.action })),
            last: last.get(d.name) ?? null,
          };
        });
      out.push({ name: p.name, problems: p.problems.map((x) => x.message), datasets });
    }
    return json(c, out);
  });

  r.get('/events', async (c) => {
    const limit = intParam(c.req.query('limit'), 1, 5000, 200);
    if (limit === undefined) return problem(c, 400, 'limit is a whole number from 1 to 5000');
    if (!(await hasEventLog(s.project))) return json(c, []);
    const where = [
      c.req.query('pipeline') !== undefined ? `origin.pipeline_name = ${quoteLiteral(c.req.query('pipeline')!)}` : '',
      c.req.query('update') !== undefined ? `origin.update_id = ${quoteLiteral(c.req.query('update')!)}` : '',
      c.req.query('type') !== undefined ? `event_type = ${quoteLiteral(c.req.query('type')!)}` : '',
    ].filter(Boolean);
    return json(
      c,
      await rows(
        s.project,
        `SELECT id, "timestamp", event_type, level, message, origin, error, details FROM system.event_log
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY "timestamp" DESC, "sequence" DESC LIMIT ${limit}`,
      ),
    );
  });

  r.get('/quality', async (c) => {
    if (!(await hasEventLog(s.project))) return json(c, []);
    const pipeline = c.req.query('pipeline');
    return json(
      c,
      await rows(
        s.project,
        `WITH f AS (
           SELECT origin.pipeline_name AS pipeline, origin.update_id AS update_id, origin.dataset_name AS dataset, "timestamp" AS ts,
                  unnest(from_json(json_extract(details, '$.flow_progress.data_quality.expectations'),
                         '[{"name":"VARCHAR","dataset":"VARCHAR","passed_records":"BIGINT","failed_records":"BIGINT"}]')) AS e,
                  TRY_CAST(json_extract_string(details, '$.flow_progress.data_quality.dropped_records') AS BIGINT) AS dropped,
                  TRY_CAST(json_extract_string(details, '$.flow_progress.data_quality.quarantined_records') AS BIGINT) AS quarantined
           FROM system.event_log
           WHERE event_type = 'flow_progress' AND json_extract(details, '$.flow_progress.data_quality') IS NOT NULL
             ${pipeline !== undefined ? `AND origin.pipeline_name = ${quoteLiteral(pipeline)}` : ''})
         SELECT pipeline, update_id, dataset, ts AS at, e.name AS expectation, e.passed_records AS passed, e.failed_records AS failed, dropped, quarantined
         FROM f ORDER BY ts, dataset, expectation`,
      ),
    );
  });

  r.get('/quarantine/:table', async (c) => {
    const name = c.req.param('table');
    const t = await findTable(s.project, `${name}_quarantine`);
    if (!t) return problem(c, 404, `${name} has no quarantine (no QUARANTINE expectation has set rows aside)`);
    const limit = intParam(c.req.query('limit'), 1, 1000, 100);
    if (limit === undefined) return problem(c, 400, 'limit is a whole number from 1 to 1000');
    const result = await s.project.query(`SELECT * FROM ${sparkIdent(t.schema)}.${sparkIdent(t.table)} LIMIT ${limit}`);
    return json(c, { table: name, columns: result.columns, rows: result.rows });
  });

  // Replay (an action: signed in): the quarantined rows through the table's rules again, as
  // `strata quarantine replay` does.
  r.post('/quarantine/:table/replay', async (c) => {
    const name = c.req.param('table');
    const pipeline = await s.project.pipelineDefining(name);
    if (pipeline.problems.length)
      return problem(
        c,
        400,
        `pipeline ${pipeline.name} has problems in its definitions; nothing was replayed: ${pipeline.problems.map((p) => p.message).join('; ')}`,
      );
    const out = await s.project.replayQuarantine(pipeline, name);
    return json(c, { table: name, pipeline: pipeline.name, ...out });
  });
  return r;
}

/** A pipeline dataset's display name from a graph node's target. */
function pdName(p: { datasets: Map<string, { name: string }> }, target: string): string {
  return p.datasets.get(target)?.name ?? target;
}
