// The DuckDB adapter: one instance per process, connections closed in finally,
// results as plain rows, engine failures wrapped in typed errors.
import { DuckDBConnection, DuckDBInstance, type DuckDBType } from '@duckdb/node-api';
import { StrataError, UserSqlError } from '../core/index.js';
import { quoteLiteral } from './quote.js';

export interface EngineSettings {
  /** Worker threads; default: DuckDB's (all cores). */
  threads?: number;
  /** e.g. '4GB'; default: DuckDB's (80% of RAM). */
  memoryLimit?: string;
  /** Where DuckDB spills; default: DuckDB's. */
  tempDirectory?: string;
  /** Session time zone; Delta timestamps are instants, shown in this zone. Default UTC. */
  timeZone?: string;
}

export interface ColumnInfo {
  name: string;
  /** DuckDB's type text, e.g. `DECIMAL(12,2)`, `STRUCT(a INTEGER)`. */
  type: string;
}

/** A fully read result: column names, types and rows as JSON-safe values. */
export interface QueryResult {
  columns: ColumnInfo[];
  /** Values as JSON: numbers where exact, big integers and decimals as strings, nested as objects. */
  rows: unknown[][];
  /** Things the user should know that are not errors (files skipped, ...), one line each. */
  notices?: string[];
}

/** Runs SQL on one DuckDB connection. */
export interface Session {
  /** Runs statements, discarding results. */
  exec(sql: string): Promise<void>;
  /** Runs a statement and returns the whole result as JSON-safe values. */
  query(sql: string): Promise<QueryResult>;
  /** Runs a statement and returns rows as objects keyed by column name. */
  rows<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  /** Column names and engine types a query would return, without running it. */
  describe(sql: string): Promise<{ name: string; type: DuckDBType }[]>;
  /** The native connection, for appenders and streaming. */
  readonly connection: DuckDBConnection;
}

export class Engine {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly settings: EngineSettings,
  ) {}

  /** Opens an in-memory engine with the given settings; built-in extensions only. */
  static async create(settings: EngineSettings = {}): Promise<Engine> {
    const options: Record<string, string> = {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    };
    if (settings.threads !== undefined) options.threads = String(settings.threads);
    if (settings.memoryLimit !== undefined) options.memory_limit = settings.memoryLimit;
    if (settings.tempDirectory !== undefined) options.temp_directory = settings.tempDirectory;
    const instance = await DuckDBInstance.create(':memory:', options);
    return new Engine(instance, settings);
  }

  /** Opens a session (connection) and closes it after `fn`, whatever happens. */
  async withSession<T>(fn: (session: Session) => Promise<T>): Promise<T> {
    const connection = await this.instance.connect();
    try {
      const session = new DuckSession(connection);
      await session.exec(`SET TimeZone = ${quoteLiteral(this.settings.timeZone ?? 'UTC')}`);
      // Delta data files never change once written, so their footers can be cached.
      await session.exec('SET parquet_metadata_cache = true');
      return await fn(session);
    } finally {
      connection.closeSync();
    }
  }

  close(): void {
    this.instance.closeSync();
  }
}

/** With STRATA_TRACE_SQL=1, every statement is written to stderr with its time (for profiling). */
const TRACE = process.env.STRATA_TRACE_SQL === '1';

async function traced<T>(sql: string, run: () => Promise<T>): Promise<T> {
  if (!TRACE) return run();
  const start = performance.now();
  try {
    return await run();
  } finally {
    process.stderr.write(`[sql ${(performance.now() - start).toFixed(1)} ms] ${sql.replace(/\s+/g, ' ').slice(0, Number(process.env.STRATA_TRACE_WIDTH ?? 160))}\n`);
  }
}

class DuckSession implements Session {
  constructor(readonly connection: DuckDBConnection) {}

  async exec(sql: string): Promise<void> {
    try {
      await traced(sql, () => this.connection.run(sql));
    } catch (err) {
      throw wrapEngineError(err);
    }
  }

  async query(sql: string): Promise<QueryResult> {
    try {
      const reader = await traced(sql, () => this.connection.runAndReadAll(sql));
      const names = reader.columnNames();
      const types = reader.columnTypes();
      const columns = names.map((name, i) => ({ name, type: types[i].toString() }));
      const rows = reader.getRowsJson() as unknown[][];
      // Big integers come as strings; give numbers where they are exact.
      const wide = columns.map((c, i) => (/^(BIGINT|HUGEINT|UBIGINT|UHUGEINT)$/.test(c.type) ? i : -1)).filter((i) => i >= 0);
      if (wide.length > 0) {
        for (const row of rows) {
          for (const i of wide) {
            const v = row[i];
            if (typeof v === 'string' && Number.isSafeInteger(Number(v))) row[i] = Number(v);
          }
        }
      }
      return { columns, rows };
    } catch (err) {
      throw wrapEngineError(err);
    }
  }

  async describe(sql: string): Promise<{ name: string; type: DuckDBType }[]> {
    try {
      const prepared = await this.connection.prepare(sql);
      try {
        return Array.from({ length: prepared.columnCount }, (_, i) => ({ name: prepared.columnName(i), type: prepared.columnType(i) }));
      } finally {
        prepared.destroySync();
      }
    } catch (err) {
      throw wrapEngineError(err);
    }
  }

  async rows<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    try {
      const reader = await traced(sql, () => this.connection.runAndReadAll(sql));
      return reader.getRowObjectsJS() as T[];
    } catch (err) {
      throw wrapEngineError(err);
    }
  }
}

/** DuckDB's messages are already clear ("Binder Error: ..."); keep them, typed. */
export function wrapEngineError(err: unknown): StrataError {
  if (err instanceof StrataError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/^(Parser|Binder|Catalog|Conversion|Invalid Input|Constraint|Not implemented|Out of Range) Error/i.test(message)) {
    return new UserSqlError(message, { cause: err });
  }
  return new StrataError('SQL_ERROR', message, { cause: err });
}

/** Engine settings from the environment: STRATA_THREADS, STRATA_MEMORY_LIMIT, STRATA_TEMP_DIR, STRATA_TIMEZONE. */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): EngineSettings {
  const settings: EngineSettings = {};
  if (env.STRATA_THREADS) {
    const n = Number(env.STRATA_THREADS);
    if (!Number.isInteger(n) || n < 1) throw new StrataError('USAGE', `STRATA_THREADS must be a whole number ≥ 1, not '${env.STRATA_THREADS}'`);
    settings.threads = n;
  }
  if (env.STRATA_MEMORY_LIMIT) settings.memoryLimit = env.STRATA_MEMORY_LIMIT;
  if (env.STRATA_TEMP_DIR) settings.tempDirectory = env.STRATA_TEMP_DIR;
  if (env.STRATA_TIMEZONE) settings.timeZone = env.STRATA_TIMEZONE;
  return settings;
}

let shared: Promise<Engine> | undefined;

/** The process-wide engine, created on first use. */
export function sharedEngine(settings: EngineSettings = settingsFromEnv()): Promise<Engine> {
  shared ??= Engine.create(settings);
  return shared;
}
