// A pipeline of a project: the .sql files of pipelines/<name>/, parsed and
// checked as one graph. Tables outside the pipeline may be read if the catalog
// has them. The pipeline's configuration (strata.yaml `pipelines.<name>.configuration`)
// fills `${key}` in its SQL, as Databricks pipeline configuration does.
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { tableExists, tableRefOf, type Catalog } from '../catalog/index.js';
import { StrataError } from '../core/index.js';
import { ansiFrom } from '../sql/index.js';
import { buildGraph, type PipelineGraph } from './graph.js';
import { parsePipelineSql, type DatasetDefinition, type FlowDefinition, type Problem } from './parse.js';

export interface Pipeline extends PipelineGraph {
  name: string;
  folder: string;
  files: string[];
  /** The target schema: where its one-part names are (`default` unless configured). */
  schema: string;
}

/** The pipelines of a project: the folders under pipelines/ that hold .sql files. */
export async function listPipelines(project: string): Promise<string[]> {
  const root = path.join(project, 'pipelines');
  const out: string[] = [];
  for (const d of (await fs.readdir(root, { withFileTypes: true }).catch(() => []))
    .filter((e) => e.isDirectory())
    .sort((a, b) => a.name.localeCompare(b.name))) {
    const files = await fs.readdir(path.join(root, d.name)).catch(() => []);
    if (files.some((f) => f.endsWith('.sql'))) out.push(d.name);
  }
  return out;
}

/** Configuration values for `${key}` in a pipeline's SQL. */
export type PipelineConfiguration = Record<string, string | number | boolean>;

/** `${key}` replaced by the configuration's value; other text (and unknown keys) left as written. */
export function applyConfiguration(text: string, configuration: PipelineConfiguration): string {
  if (Object.keys(configuration).length === 0) return text;
  return text.replace(/\$\{([A-Za-z_][\w.-]*)\}/g, (whole, key: string) =>
    Object.hasOwn(configuration, key) ? String(configuration[key]) : whole,
  );
}

/** Loads and checks one pipeline; problems are in `problems` (all of them, not just the first). */
export async function loadPipeline(
  catalog: Catalog,
  name: string,
  configuration: PipelineConfiguration = {},
): Promise<Pipeline> {
  const project = catalog.projectDir;
  const folder = path.join(project, 'pipelines', name);
  if (!existsSync(folder)) {
    const known = await listPipelines(project);
    throw new StrataError(
      'USAGE',
      `no pipeline ${name} in ${path.join(project, 'pipelines')}${known.length ? ` (pipelines: ${known.join(', ')})` : ''}`,
    );
  }
  const files = (await fs.readdir(folder, { recursive: true }))
    .map(String)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  const datasets: DatasetDefinition[] = [];
  const flows: FlowDefinition[] = [];
  const problems: Problem[] = [];
  const texts = new Map<string, string>();
  // ANSI mode (on unless the configuration's spark.sql.ansi.enabled turns it off).
  let ansi: boolean;
  try {
    ansi = ansiFrom(Object.entries(configuration).map(([k, v]) => [k, String(v)]));
  } catch (err) {
    throw new StrataError('CONFIG', `strata.yaml: pipelines.${name}.configuration: ${(err as Error).message}`);
  }
  for (const f of files) {
    const rel = path.join('pipelines', name, f);
    const text = applyConfiguration(await fs.readFile(path.join(folder, f), 'utf8'), configuration);
    texts.set(rel, text);
    const parsed = parsePipelineSql(text, rel, { ansi });
    datasets.push(...parsed.datasets);
    flows.push(...parsed.flows);
    problems.push(...parsed.problems);
  }
  problems.push(...invalidNames(catalog, datasets));
  const graph = buildGraph(
    datasets,
    flows,
    texts,
    (table) => {
      const location = catalog.find(tableRefOf(table));
      return location !== undefined && tableExists(location);
    },
    catalog.currentSchema.toLowerCase(),
  );
  return {
    name,
    folder,
    files: files.map((f) => path.join('pipelines', name, f)),
    schema: catalog.currentSchema.toLowerCase(),
    ...graph,
    problems: [...problems, ...graph.problems],
  };
}

/** Datasets whose name the catalog cannot place (too many parts, '/', '..'): found before anything runs. */
function invalidNames(catalog: Catalog, datasets: DatasetDefinition[]): Problem[] {
  const out: Problem[] = [];
  for (const d of datasets) {
    if (d.kind === 'temporary-view') continue;
    try {
      catalog.resolve({ kind: 'name', parts: d.name.split('.') });
    } catch (err) {
      out.push({ code: 'INVALID_NAME', message: (err as Error).message, where: d.where });
    }
  }
  return out;
}

/** Problems as lines `file:line:column: CODE message`, in file order. */
export function formatProblems(problems: Problem[]): string {
  return [...problems]
    .sort(
      (a, b) =>
        a.where.file.localeCompare(b.where.file) || a.where.line - b.where.line || a.where.column - b.where.column,
    )
    .map((p) => `${p.where.file}:${p.where.line}:${p.where.column}: ${p.code} ${p.message}`)
    .join('\n');
}
