// The composition root: `openProject(dir)` reads and validates strata.yaml, opens
// the engine with its settings, and hands out what commands and servers need —
// the catalog, the pipelines (with their configuration), ingestion and SQL
// execution, all wired to the same lake. Nothing above this layer opens an
// engine or computes a table's folder itself.
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { createCatalog, type Catalog, type ResolvedTable } from '../catalog/index.js';
import { describeError, StrataError } from '../core/index.js';
import { cancellable, Engine, settingsFromEnv, type QueryResult, type Session } from '../engine/index.js';
import {
  fileSources,
  ingestFiles,
  planIngest,
  watchIngest,
  type IngestOutcome,
  type IngestPlan,
  type IngestRequest,
  type IngestWatch,
  type WatchOptions,
} from '../ingest/index.js';
import {
  closeAbandonedUpdate,
  listPipelines,
  loadPipeline,
  normalizeName,
  pipelineId,
  replayQuarantine,
  runPipeline,
  bindPipeline,
  type BindReport,
  type Pipeline,
  type ReplayOutcome,
  type RunOptions,
  type RunOutcome,
} from '../pipeline/index.js';
import { executeQuery, executeStatements, type ExecuteOptions, type FileSources, type ScanInfo } from '../sql/index.js';
import { describeHolder, FileLock, type LockHolder } from '../storage/index.js';
import { loadConfig, type ProjectConfig } from './config.js';
import { clearReadPoint, writeReadPoint } from './read-point.js';
import { writeParquet } from './export.js';

export interface OpenProjectOptions {
  /** Use this engine instead of opening one (tests, servers sharing one); the project does not close it. */
  engine?: Engine;
  /** The environment `${env:...}` and the STRATA_* settings come from (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface QueryOptions {
  /** Run on this session (default: a session of the project's engine). */
  session?: Session;
  /** Settings changed by SET, kept across calls. */
  settings?: Map<string, string>;
  onScan?: (info: ScanInfo) => void;
  /** Spark SQL (the default) or plain DuckDB SQL. */
  dialect?: 'spark' | 'duckdb';
  /** Stops the statements (the running one interrupted); they fail with a CANCELLED error. */
  signal?: AbortSignal;
}

/** What a pipeline update takes beyond the pipeline: the run's choices, not the wiring. */
export type UpdateOptions = Omit<RunOptions, 'catalog' | 'parallel'> &
  LockWait & {
    /** Independent flows that may run at the same time, each on its own connection (default 1). */
    maxParallel?: number;
  };

/** Whether to wait while another process updates the lake's tables (see `Project.runPipeline`). */
export interface LockWait {
  /** true: as long as it takes (default); false: fail at once, naming the holder; or milliseconds. */
  wait?: boolean | number;
  /** Stops waiting for the lake (the update is cancelled before it starts). */
  signal?: AbortSignal;
  /** Told once, when the update has to wait, who holds the lake. */
  onWait?: (holder: LockHolder) => void;
}

/** A request to load files: the target and the read, without the wiring. */
export type LoadRequest = Omit<IngestRequest, 'catalog' | 'helper'>;

/** A project opened: its validated settings, catalog and engine, and what runs on them. */
export interface Project {
  readonly dir: string;
  readonly config: ProjectConfig;
  readonly catalog: Catalog;
  readonly engine: Engine;
  /** Things the user should know about the configuration (sections not used by this version). */
  readonly warnings: string[];
  withSession<T>(fn: (session: Session) => Promise<T>): Promise<T>;
  /** Options for executeQuery on a session of one's own: the catalog and the file sources. */
  sqlOptions(extra?: Omit<ExecuteOptions, 'catalog' | 'files' | 'baseDir' | 'lakeRoot'>): ExecuteOptions;
  /** Runs SQL (Spark SQL and DuckDB SQL, tables by name, read_files, COPY INTO). */
  query(sql: string, options?: QueryOptions): Promise<QueryResult>;
  /** Runs SQL and returns every statement (as written) with its result, in order. */
  queryAll(sql: string, options?: QueryOptions): Promise<{ statement: string; result: QueryResult }[]>;
  /** Runs SQL and writes the last statement's rows to a Parquet file (any statement that returns rows). */
  queryToParquet(sql: string, file: string, options?: QueryOptions): Promise<number | undefined>;
  /** A table argument: `schema.table`, delta.`path`, or a table folder (a path with '/'). */
  resolveTable(arg: string): ResolvedTable;
  listPipelines(): Promise<string[]>;
  /** Loads a pipeline (the only one when no name is given) with its configuration. */
  loadPipeline(name?: string): Promise<Pipeline>;
  /**
   * One update of a pipeline. Updates of a lake take turns (its update lock, with a heartbeat):
   * a second one waits for the first, or fails naming it; a lock left by a killed process is
   * taken over, and the update it was running is recorded as FAILED in the event log.
   */
  runPipeline(pipeline: Pipeline, options?: UpdateOptions): Promise<RunOutcome>;
  /** `--dry-run`: every query bound against its sources' columns, streaming rules checked; nothing written. */
  checkPipeline(pipeline: Pipeline): Promise<BindReport>;
  replayQuarantine(pipeline: Pipeline, table: string, options?: LockWait): Promise<ReplayOutcome>;
  /** The pipeline that defines a table (looked for in `among`, default every pipeline); a USAGE error if none. */
  pipelineDefining(table: string, among?: string[]): Promise<Pipeline>;
  /**
   * Refuses a load (COPY INTO, ingest, watch) that would make a lake in a folder that is not a
   * project: without strata.yaml, a target outside the folder's lake (a table given by path)
   * would have its files recorded in `<folder>/lake/_system/ingest_files`.
   */
  assertCanLoad(location: string, name: string): void;
  ingest(req: LoadRequest): Promise<IngestOutcome>;
  planIngest(req: LoadRequest): Promise<IngestPlan>;
  watchIngest(req: LoadRequest, options: WatchOptions): IngestWatch;
  /** Closes the engine (unless it was given). */
  close(): void;
}

/** Opens the project in `dir`: strata.yaml validated (every problem reported at once), engine opened. */
export async function openProject(dir: string, options: OpenProjectOptions = {}): Promise<Project> {
  const env = options.env ?? process.env;
  const config = await loadConfig(dir, env);
  const catalog = createCatalog({ projectDir: config.dir, lakeRoot: config.lakeRoot, name: config.catalog });
  // The environment's STRATA_* settings win over strata.yaml's (a one-off override).
  const engine = options.engine ?? (await Engine.create({ ...config.engineSettings, ...settingsFromEnv(env) }));
  return new OpenedProject(config, catalog, engine, options.engine === undefined);
}

/** Runs `fn` with the project open, and closes it afterwards. */
export async function withProject<T>(
  dir: string,
  fn: (project: Project) => Promise<T>,
  options: OpenProjectOptions = {},
): Promise<T> {
  const project = await openProject(dir, options);
  try {
    return await fn(project);
  } finally {
    project.close();
  }
}

class OpenedProject implements Project {
  readonly warnings: string[];

  constructor(
    readonly config: ProjectConfig,
    readonly catalog: Catalog,
    readonly engine: Engine,
    private readonly ownsEngine: boolean,
  ) {
    this.warnings = config.reserved.map((s) => `strata.yaml: '${s}' is defined but not used by this version of Strata`);
  }

  get dir(): string {
    return this.config.dir;
  }

  withSession<T>(fn: (session: Session) => Promise<T>): Promise<T> {
    return this.engine.withSession(fn);
  }

  sqlOptions(extra: Omit<ExecuteOptions, 'catalog' | 'files' | 'baseDir' | 'lakeRoot'> = {}): ExecuteOptions {
    const files: FileSources = {
      ...fileSources,
      copyInto: (session, req) => {
        this.assertCanLoad(req.location, req.name);
        return fileSources.copyInto(session, req);
      },
    };
    return { ...extra, catalog: this.catalog, files };
  }

  query(sql: string, options: QueryOptions = {}): Promise<QueryResult> {
    const run = (session: Session) =>
      executeQuery(
        session,
        sql,
        this.sqlOptions({ settings: options.settings, onScan: options.onScan, dialect: options.dialect }),
      );
    return options.session
      ? run(cancellable(options.session, options.signal))
      : this.withSession((s) => run(cancellable(s, options.signal)));
  }

  queryAll(sql: string, options: QueryOptions = {}): Promise<{ statement: string; result: QueryResult }[]> {
    const run = (session: Session) =>
      executeStatements(
        session,
        sql,
        this.sqlOptions({ settings: options.settings, onScan: options.onScan, dialect: options.dialect }),
      );
    return options.session
      ? run(cancellable(options.session, options.signal))
      : this.withSession((s) => run(cancellable(s, options.signal)));
  }

  queryToParquet(sql: string, file: string, options: QueryOptions = {}): Promise<number | undefined> {
    const run = (session: Session) =>
      writeParquet(
        session,
        sql,
        file,
        this.sqlOptions({ settings: options.settings, onScan: options.onScan, dialect: options.dialect }),
      );
    return options.session
      ? run(cancellable(options.session, options.signal))
      : this.withSession((s) => run(cancellable(s, options.signal)));
  }

  resolveTable(arg: string): ResolvedTable {
    const quoted = /^delta\.`(.+)`$/.exec(arg);
    if (quoted) return this.catalog.resolve({ kind: 'path', path: quoted[1] });
    if (/[/\\]/.test(arg) || this.catalog.exists(path.resolve(this.dir, arg)))
      return { location: path.resolve(this.dir, arg), display: arg };
    return this.catalog.resolve({ kind: 'name', parts: arg.split('.') });
  }

  listPipelines(): Promise<string[]> {
    return listPipelines(this.dir);
  }

  async loadPipeline(name?: string): Promise<Pipeline> {
    if (name === undefined) {
      const names = await this.listPipelines();
      if (names.length !== 1) {
        throw new StrataError(
          'USAGE',
          names.length === 0
            ? `no pipelines in ${path.join(this.dir, 'pipelines')} (strata init makes one)`
            : `name the pipeline: ${names.join(', ')}`,
        );
      }
      name = names[0];
    }
    return loadPipeline(this.pipelineCatalog(name), name, this.config.pipelines[name]?.configuration ?? {});
  }

  /**
   * The catalog a pipeline's SQL resolves names in: one-part names in its target schema
   * (pipelines.<name>.schema, or the older target), as Databricks publishes a pipeline's datasets.
   */
  private pipelineCatalog(name: string): Catalog {
    const settings = this.config.pipelines[name] ?? {};
    if (settings.catalog !== undefined && settings.catalog.toLowerCase() !== this.catalog.name.toLowerCase())
      throw new StrataError(
        'CONFIG',
        `pipelines.${name}.catalog: ${settings.catalog} is not this project's catalog (${this.catalog.name}); a project has one catalog (strata.yaml: catalog)`,
      );
    const schema = settings.schema ?? settings.target;
    return schema === undefined ? this.catalog : this.catalog.withSchema(schema);
  }

  async runPipeline(pipeline: Pipeline, options: UpdateOptions = {}): Promise<RunOutcome> {
    const { maxParallel = 1, wait, onWait, ...rest } = options;
    const parallel = maxParallel > 1 ? { engine: this.engine, max: maxParallel } : undefined;
    const updateId = rest.updateId ?? randomUUID();
    return this.holdingLake(
      `strata run ${pipeline.name}`,
      { pipeline: pipeline.name, updateId },
      { wait, onWait, signal: rest.signal },
      () =>
        this.withSession((session) =>
          runPipeline(session, pipeline, {
            ...rest,
            updateId,
            catalog: this.pipelineCatalog(pipeline.name),
            parallel,
          }),
        ),
    );
  }

  checkPipeline(pipeline: Pipeline): Promise<BindReport> {
    return this.withSession((session) => bindPipeline(session, pipeline, this.pipelineCatalog(pipeline.name)));
  }

  async pipelineDefining(table: string, among?: string[]): Promise<Pipeline> {
    for (const name of among ?? (await this.listPipelines())) {
      const loaded = await this.loadPipeline(name);
      if (loaded.datasets.has(normalizeName(table, loaded.schema))) return loaded;
    }
    throw new StrataError(
      'USAGE',
      `no pipeline of ${this.dir} defines ${table}${among ? ` (looked in ${among.join(', ')})` : ''}`,
    );
  }

  replayQuarantine(pipeline: Pipeline, table: string, options: LockWait = {}): Promise<ReplayOutcome> {
    return this.holdingLake(`strata replay ${table}`, {}, options, () =>
      this.withSession((session) =>
        replayQuarantine(session, pipeline, table, { catalog: this.pipelineCatalog(pipeline.name) }),
      ),
    );
  }

  /** Runs `fn` holding the lake's update lock; a killed holder's update is closed in the event log. */
  private async holdingLake<T>(
    purpose: string,
    info: Record<string, unknown>,
    options: LockWait,
    fn: () => Promise<T>,
  ): Promise<T> {
    const lock = await FileLock.acquire(this.catalog.lockFile('update'), {
      purpose,
      info,
      wait: options.wait,
      onWait: options.onWait,
      signal: options.signal,
      onTakeover: (stale) => this.closeAbandoned(stale),
    });
    let keep = false;
    try {
      // Readers from outside see the lake as it was until the update ends (read-point.ts).
      await writeReadPoint(this.catalog);
      return await fn();
    } catch (err) {
      // An update that threw may lack its final state in the event log (the log could not be
      // written: a full disk). Close it now; if that fails too, leave the lock to the next
      // holder, which takes it over and closes the update (onTakeover).
      try {
        await this.closeAbandoned(lock.holder, `the update failed: ${describeError(err)}`);
      } catch {
        keep = true;
        lock.abandon();
      }
      throw err;
    } finally {
      await clearReadPoint(this.catalog).catch(() => undefined);
      if (!keep) await lock.release();
    }
  }

  /** Records the update `stale` held as FAILED, unless the event log has its end: killed (ABANDONED) or thrown (UPDATE_FAILED, with `reason`). */
  private async closeAbandoned(stale: LockHolder, reason?: string): Promise<void> {
    const { pipeline, updateId } = (stale.info ?? {}) as { pipeline?: string; updateId?: string };
    if (!pipeline || !updateId) return;
    await this.withSession((session) =>
      closeAbandonedUpdate(
        session,
        this.catalog.system('event_log'),
        { pipeline_id: pipelineId(pipeline), pipeline_name: pipeline, update_id: updateId },
        reason ??
          `the update did not finish: ${stale.purpose} (${describeHolder(stale)}) ended before it did (killed or crashed); the next update continues where its last commit left off`,
        undefined,
        reason === undefined ? 'ABANDONED' : 'UPDATE_FAILED',
      ),
    );
  }

  assertCanLoad(location: string, name: string): void {
    if (this.config.file !== undefined) return;
    const rel = path.relative(this.catalog.lakeRoot, path.resolve(this.dir, location));
    if (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)) return;
    throw new StrataError(
      'USAGE',
      `${name}: ${this.dir} is not a Strata project (no strata.yaml). A load records each file in the project's ledger (${path.join(this.catalog.lakeRoot, '_system', 'ingest_files')}), and Strata makes no lake in a folder that is not a project: run it from a project folder (strata init <dir>, or --project <dir>)`,
      { context: { table: name, file: this.dir } },
    );
  }

  ingest(req: LoadRequest): Promise<IngestOutcome> {
    this.assertCanLoad(req.location, req.name);
    return this.withSession((session) =>
      ingestFiles(session, { ...req, catalog: this.catalog, helper: (fn) => this.withSession(fn) }),
    );
  }

  planIngest(req: LoadRequest): Promise<IngestPlan> {
    return this.withSession((session) => planIngest(session, { ...req, catalog: this.catalog }));
  }

  watchIngest(req: LoadRequest, options: WatchOptions): IngestWatch {
    this.assertCanLoad(req.location, req.name);
    return watchIngest(this.engine, { ...req, catalog: this.catalog }, options);
  }

  close(): void {
    if (this.ownsEngine) this.engine.close();
  }
}
