// `strata export databricks`: the project as a Databricks Asset Bundle — databricks.yml with
// variables for the catalog and each pipeline's schema, a pipeline resource per pipeline
// (resources/<name>.pipeline.yml, as `databricks bundle init` lays them out) and its SQL files
// under src/<name>/, as written except Strata's QUARANTINE rules (pipeline/databricks-sql.ts);
// and a job resource per job of strata.yaml (export-jobs.ts).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { databricksSql, listPipelines } from '../pipeline/index.js';
import type { ProjectConfig } from './config.js';
import { exportAlerts, exportJobs } from './export-jobs.js';

export interface ExportedBundle {
  /** Files written, relative to the bundle's folder. */
  files: string[];
  /** What the export changed or what needs a hand on Databricks, one line each. */
  notes: string[];
}

/** A bundle or resource key: letters, digits and _ (Databricks' resource keys). */
const key = (name: string) => name.replace(/[^A-Za-z0-9_]/g, '_');

/** Writes the bundle of the project `config` into `out` (created; files of the same names replaced). */
export async function exportDatabricks(config: ProjectConfig, out: string): Promise<ExportedBundle> {
  const files: string[] = [];
  const notes: string[] = [];
  const write = async (rel: string, text: string) => {
    await fs.mkdir(path.dirname(path.join(out, rel)), { recursive: true });
    await fs.writeFile(path.join(out, rel), text);
    files.push(rel);
  };
  const variables: Record<string, { description: string; default: string }> = {
    catalog: { description: 'The Unity Catalog catalog of the tables (strata.yaml catalog).', default: config.catalog },
  };
  for (const name of await listPipelines(config.dir)) {
    const settings = config.pipelines[name] ?? {};
    const folder = path.join(config.dir, 'pipelines', name);
    const sources = (await fs.readdir(folder, { recursive: true }))
      .map(String)
      .filter((f) => f.endsWith('.sql'))
      .sort();
    const libraries = [];
    for (const f of sources) {
      const rel = path.join('pipelines', name, f);
      const original = await fs.readFile(path.join(folder, f), 'utf8');
      const converted = databricksSql(original, rel);
      notes.push(...converted.notes, ...relativeReads(original, rel));
      const target = path.posix.join('src', name, f.split(path.sep).join('/'));
      await write(target, converted.text);
      libraries.push({ file: { path: `../${target}` } });
    }
    const schemaVar = `${key(name)}_schema`;
    variables[schemaVar] = {
      description: `The schema pipeline ${name} publishes its tables to (strata.yaml pipelines.${name}.schema).`,
      default: settings.schema ?? settings.target ?? 'default',
    };
    const pipeline: Record<string, unknown> = {
      name,
      catalog: '${var.catalog}',
      schema: `\${var.${schemaVar}}`,
      serverless: true,
      channel: 'CURRENT',
      libraries,
    };
    if (settings.configuration && Object.keys(settings.configuration).length > 0)
      pipeline.configuration = Object.fromEntries(
        Object.entries(settings.configuration).map(([k, v]) => [k, String(v)]),
      );
    await write(
      `resources/${name}.pipeline.yml`,
      `# Pipeline ${name}, exported by strata export databricks.\n${stringify({ resources: { pipelines: { [key(name)]: pipeline } } })}`,
    );
  }
  const jobs = await exportJobs(config.jobs ?? {}, config.dir, write);
  notes.push(...jobs.notes);
  if (await exportAlerts(config.alerts, config.dir, write)) jobs.warehouse = true;
  if (jobs.warehouse) {
    notes.push(
      'the jobs have SQL tasks: on Databricks they run on a SQL warehouse — set the bundle variable warehouse_id (databricks bundle deploy --var warehouse_id=<id>)',
    );
    variables.warehouse_id = {
      description: 'The SQL warehouse that runs the SQL tasks of the jobs (Strata runs them itself).',
      default: '',
    };
  }
  const bundle = {
    bundle: { name: key(config.name) },
    include: ['resources/*.yml'],
    variables,
    targets: {
      dev: { mode: 'development', default: true },
      prod: { mode: 'production' },
    },
  };
  await write(
    'databricks.yml',
    `# The Strata project ${config.name} as a Databricks Asset Bundle (strata export databricks).\n# Deploy: databricks bundle deploy --target dev\n${stringify(bundle)}`,
  );
  return { files, notes };
}

/** Notes for file reads with a path relative to the project: on Databricks they need a Volume or cloud path. */
function relativeReads(sql: string, file: string): string[] {
  const out: string[] = [];
  for (const m of sql.matchAll(/\b(read_files|cloud_files)\s*\(\s*(['"])([^'"]+)\2/gi)) {
    const where = m[3];
    if (/^(\/|[a-z][a-z0-9+.-]*:|\$\{)/i.test(where)) continue;
    const line = sql.slice(0, m.index).split('\n').length;
    out.push(
      `${file}:${line}: ${m[1]}('${where}') reads a folder of the project; on Databricks give a Volume or cloud path (e.g. /Volumes/<catalog>/<schema>/${where}), or write it as \${landing}/... with landing in the pipeline's configuration`,
    );
  }
  return out;
}
