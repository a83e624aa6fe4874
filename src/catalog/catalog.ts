// The catalog: the one place that knows where a project's tables live. A name
// `schema.table` is the folder <lake>/<schema>/<table>; `system.<table>` is one
// of Strata's own tables in <lake>/_system; `delta.`path`` is a folder relative to
// the project. Everything else (queries, pipelines, ingestion, the CLI) asks here.
import { existsSync, promises as fs, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { UserSqlError } from '../core/index.js';

/** A table as a statement or a command names it: `schema.table` (parts) or a path. */
export type TableRef = { kind: 'name'; parts: string[] } | { kind: 'path'; path: string };

/** A table as a pipeline names it: `schema.table` (dotted parts), or a Delta table by path, ``delta.`path` ``. */
export function tableRefOf(name: string): TableRef {
  const m = /^delta\.`([\s\S]*)`$/i.exec(name);
  return m ? { kind: 'path', path: m[1] } : { kind: 'name', parts: name.split('.') };
}

/** Where a table is, and the name to show for it. */
export interface ResolvedTable {
  location: string;
  display: string;
}

/** A table of the project, as listed. */
export interface TableEntry {
  /** The SQL name: `schema.table`, `system.event_log`. */
  name: string;
  schema: string;
  table: string;
  location: string;
  /** One of Strata's own tables (`system.*`). */
  system: boolean;
}

/** Strata's own tables, in `<lake>/_system`, read as `system.<name>`. */
export const SYSTEM_TABLES = {
  event_log: 'the pipeline event log: every update, flow progress and expectation count',
  ingest_files: 'the ingest ledger index: every file loaded, with its table, version, counts and hash',
  job_runs: 'every run of a job: trigger, parameters, state, result, start and end',
  job_task_runs: 'every attempt of every task of a job run: state, result, error, output and task values',
  job_notifications: 'every notification of a job run: e-mail or webhook, sent or failed, with its attempts',
} as const;

export type SystemTable = keyof typeof SYSTEM_TABLES;

/** The schema name Strata's own tables are read under, and its folder. */
export const SYSTEM_SCHEMA = 'system';
const SYSTEM_FOLDER = '_system';
/** Unqualified names are in this schema, as in Spark. */
export const DEFAULT_SCHEMA = 'default';
const QUARANTINE_SUFFIX = '_quarantine';

/** The catalog a project's tables are in when strata.yaml names none (Databricks' default catalog is `main` too). */
export const DEFAULT_CATALOG = 'main';

export interface Catalog {
  /** The project folder: `delta.`path`` and relative paths resolve against it. */
  readonly projectDir: string;
  /** The catalog name of the project's tables: `catalog.schema.table` names them too. */
  readonly name: string;
  /** The schema of one-part names (`default`, or what USE SCHEMA or a pipeline's target schema set). */
  readonly currentSchema: string;
  /** The same catalog with another schema for one-part names (USE SCHEMA; a pipeline's target schema). */
  withSchema(schema: string): Catalog;
  /** The lake folder: `<lakeRoot>/<schema>/<table>`. */
  readonly lakeRoot: string;
  /** The folder and display name of a table a statement names; throws on an invalid name. */
  resolve(ref: TableRef): ResolvedTable;
  /** The folder of `schema.table` (or `table`, in the default schema). */
  locationOf(name: string): string;
  /** The folder of a table reference if it is an existing table, else undefined (CTEs, DuckDB's own tables). */
  find(ref: TableRef): string | undefined;
  /** The SQL name of a table folder under the lake, if it is one. */
  nameOf(location: string): string | undefined;
  /** The folder of one of Strata's own tables. */
  system(table: SystemTable): string;
  /** The file of one of the lake's locks (`update`: held by whatever writes the pipelines' tables). */
  lockFile(name: 'update' | 'scheduler'): string;
  /** The tables of the project: every folder under the lake that holds a Delta log. */
  listTables(): Promise<TableEntry[]>;
  /** Whether a table exists (by name or folder). */
  exists(nameOrLocation: string): boolean;
}

/**
 * Whether the folder holds a Delta table: its `_delta_log` has a commit or a checkpoint. A log
 * folder with nothing committed (a first commit killed, or a parallel writer still creating the
 * table) is no table yet: the next write creates it.
 */
export function tableExists(location: string): boolean {
  const log = path.join(location, '_delta_log');
  return existsSync(log) && readdirSync(log).some((f) => /^\d{20}\.(json|checkpoint)/.test(f));
}

/** The same as tableExists: the table's first commit has landed. */
export const tableHasCommits = tableExists;

/** The quarantine of a table: `<table>_quarantine` beside it. */
export function quarantineLocation(location: string): string {
  return `${location.replace(/[\\/]+$/, '')}${QUARANTINE_SUFFIX}`;
}

/** Whether a listed table is a quarantine table, and whose. */
export function quarantinedTableOf(name: string): string | undefined {
  return name.endsWith(QUARANTINE_SUFFIX) ? name.slice(0, -QUARANTINE_SUFFIX.length) : undefined;
}

/** A catalog over a project folder and its lake (`lakeRoot`, default `<projectDir>/lake`). */
export function createCatalog(options: {
  projectDir: string;
  lakeRoot?: string;
  /** The catalog's name (strata.yaml `catalog`; default `main`). */
  name?: string;
  /** The schema of one-part names (default `default`). */
  schema?: string;
  /** Tables by path only inside the lake (a read-only session from outside: the SQL editor, the Postgres endpoint). */
  confined?: boolean;
}): Catalog {
  const projectDir = path.resolve(options.projectDir);
  const lakeRoot = path.resolve(projectDir, options.lakeRoot ?? 'lake');
  const name = options.name ?? DEFAULT_CATALOG;
  const currentSchema = options.schema ?? DEFAULT_SCHEMA;
  const folderOf = (schema: string) => (schema.toLowerCase() === SYSTEM_SCHEMA ? SYSTEM_FOLDER : schema);

  const byPath = (p: string): string => {
    const location = path.resolve(projectDir, p);
    const rel = path.relative(lakeRoot, location);
    if (options.confined && (rel.startsWith('..') || path.isAbsolute(rel)))
      throw new UserSqlError(`delta.\`${p}\` is outside the lake: this session reads only the project's tables`);
    return location;
  };

  const resolve = (ref: TableRef): ResolvedTable => {
    if (ref.kind === 'path') return { location: byPath(ref.path), display: ref.path };
    let parts = ref.parts.length === 1 ? [currentSchema, ref.parts[0]] : ref.parts;
    // catalog.schema.table: the project's catalog is the only one.
    if (parts.length === 3) {
      if (parts[0].toLowerCase() !== name.toLowerCase())
        throw new UserSqlError(
          `table ${ref.parts.join('.')}: catalog ${parts[0]} is not this project's; its tables are in catalog ${name} (strata.yaml: catalog)`,
        );
      parts = parts.slice(1);
    }
    if (parts.length !== 2) {
      throw new UserSqlError(
        `table name ${ref.parts.join('.')} has too many parts: use [catalog.]schema.table (a folder ${path.join(path.relative(projectDir, lakeRoot) || '.', 'schema', 'table')}) or delta.\`path\``,
      );
    }
    for (const part of parts) {
      if (part === '' || part === '.' || part === '..' || /[/\\]/.test(part)) {
        throw new UserSqlError(
          `table name ${ref.parts.join('.')} is not valid: names cannot contain '/' or be '.' or '..'`,
        );
      }
    }
    const display = ref.parts.length === 1 && currentSchema !== DEFAULT_SCHEMA ? parts.join('.') : ref.parts.join('.');
    return { location: path.join(lakeRoot, folderOf(parts[0]), parts[1]), display };
  };

  const find = (ref: TableRef): string | undefined => {
    if (ref.kind === 'path') return byPath(ref.path);
    try {
      const { location } = resolve(ref);
      return tableExists(location) ? location : undefined;
    } catch {
      return undefined;
    }
  };

  const nameOf = (location: string): string | undefined => {
    const rel = path.relative(lakeRoot, path.resolve(projectDir, location));
    const parts = rel.split(path.sep);
    if (parts.length !== 2 || parts[0] === '..' || path.isAbsolute(rel)) return undefined;
    const schema = parts[0] === SYSTEM_FOLDER ? SYSTEM_SCHEMA : parts[0];
    return `${schema}.${parts[1]}`;
  };

  const lockFile = (name: 'update' | 'scheduler') => path.join(lakeRoot, SYSTEM_FOLDER, `${name}.lock`);

  const listTables = async (): Promise<TableEntry[]> => {
    const out: TableEntry[] = [];
    const dirs = async (dir: string) =>
      (await fs.readdir(dir, { withFileTypes: true }).catch(() => []))
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort();
    for (const folder of await dirs(lakeRoot)) {
      const schema = folder === SYSTEM_FOLDER ? SYSTEM_SCHEMA : folder;
      for (const table of await dirs(path.join(lakeRoot, folder))) {
        const location = path.join(lakeRoot, folder, table);
        if (!tableExists(location)) continue;
        out.push({ name: `${schema}.${table}`, schema, table, location, system: schema === SYSTEM_SCHEMA });
      }
    }
    return out;
  };

  return {
    projectDir,
    lakeRoot,
    name,
    currentSchema,
    withSchema: (schema) => createCatalog({ ...options, schema }),
    resolve,
    locationOf: (name) => resolve(tableRefOf(name)).location,
    find,
    nameOf,
    system: (table) => path.join(lakeRoot, SYSTEM_FOLDER, table),
    lockFile,
    listTables,
    exists: (nameOrLocation) =>
      tableExists(
        /[/\\]/.test(nameOrLocation)
          ? path.resolve(projectDir, nameOrLocation)
          : resolve({ kind: 'name', parts: nameOrLocation.split('.') }).location,
      ),
  };
}
