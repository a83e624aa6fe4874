// The DuckDB adapter: one instance per process, connections closed in finally,
// results as plain rows, engine failures wrapped in one typed error (EngineError,
// with the statement and where DuckDB pointed in it; whose SQL it was, the user's
// or Strata's, is for the caller to say: core/errors.ts).
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DuckDBConnection,
  DuckDBInstance,
  LIST,
  StatementType,
  VARCHAR,
  type DuckDBDataChunk,
  type DuckDBType,
} from '@duckdb/node-api';
import { EngineError, StrataError, UserSqlError } from '../core/index.js';
import { quoteLiteral } from './quote.js';
import { duckChunk, exactNumbers, NO_ROWS, type ColumnInfo, type RowChunk } from './chunk.js';

export interface EngineSettings {
  /** Worker threads; default: DuckDB's (all cores). */
  threads?: number;
  /** e.g. '4GB'; default: DuckDB's (80% of RAM). */
  memoryLimit?: string;
  /** Where DuckDB spills; default: DuckDB's. */
  tempDirectory?: string;
  /** Session time zone; Delta timestamps are instants, shown in this zone. Default UTC. */
  timeZone?: string;
  /**
   * A sandbox for SQL from outside (the SQL editor, the Postgres endpoint): DuckDB may read files
   * only under these folders (`allowed_directories` with `enable_external_access` off), loads no
   * extension, attaches nothing, and no statement can change a setting (`lock_configuration`).
   */
  sandbox?: { readable: string[] };
  /** `/` of two integers is an integer, truncated (PostgreSQL's), not a double: the Postgres endpoint. */
  integerDivision?: boolean;
}

/** A fully read result: column names, types and rows as JSON-safe values. */
export interface QueryResult {
  columns: ColumnInfo[];
  /** Values as JSON: numbers where exact, big integers and decimals as strings, nested as objects. */
  rows: unknown[][];
  /** Things the user should know that are not errors (files skipped, ...), one line each. */
  notices?: string[];
}

export interface QueryOptions {
  /** DuckDB's own parse must classify the statement as a SELECT, or it is refused unrun (READ_ONLY). */
  selectOnly?: boolean;
  /**
   * Streams the rows instead of returning them: called once with the columns and no rows, then
   * with each chunk of rows as DuckDB makes them (awaited: a slow reader slows the query, memory
   * stays flat). The result then has no rows.
   */
  onRows?: RowSink;
}

/**
 * Where streamed rows go: first the columns with a chunk of no rows, then each chunk (its rows as
 * JS values, or its vectors read in place: chunk.ts).
 */
export type RowSink = (columns: ColumnInfo[], chunk: RowChunk) => void | Promise<void>;

/** Runs SQL on one DuckDB connection. */
export interface Session {
  /** Runs statements, discarding results. */
  exec(sql: string): Promise<void>;
  /**
   * Runs a statement and returns the whole result as JSON-safe values. `selectOnly`: DuckDB's own
   * parse must classify it as a SELECT, or it is refused unrun (READ_ONLY).
   */
  query(sql: string, options?: QueryOptions): Promise<QueryResult>;
  /** Runs a statement and returns rows as objects keyed by column name. */
  rows<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  /** Column names and engine types a query would return, without running it. */
  describe(sql: string): Promise<{ name: string; type: DuckDBType }[]>;
  /**
   * Sets a SQL variable, read as getvariable('name'), from a bound value: the value never becomes
   * SQL text (dashboard parameters).
   */
  setVariable(name: string, value: VariableValue): Promise<void>;
  /** The native connection, for appenders and streaming. */
  readonly connection: DuckDBConnection;
}

/** A bound variable's value and its SQL type. */
export type VariableValue =
  | { type: 'VARCHAR' | 'DATE'; value: string }
  | { type: 'DOUBLE'; value: number }
  | { type: 'VARCHAR[]'; value: string[] };

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
    options.memory_limit = settings.memoryLimit ?? defaultMemoryLimit();
    if (settings.tempDirectory !== undefined) options.temp_directory = settings.tempDirectory;
    const instance = await DuckDBInstance.create(':memory:', options);
    // Settings every session shares, set once (a locked sandbox could not set them per session).
    const setup = await instance.connect();
    try {
      await setup.run(`SET GLOBAL TimeZone = ${quoteLiteral(settings.timeZone ?? 'UTC')}`);
      // Delta data files never change once written, so their footers can be cached.
      await setup.run('SET GLOBAL parquet_metadata_cache = true');
      if (settings.integerDivision) await setup.run('SET GLOBAL integer_division = true');
      if (settings.sandbox) {
        const dirs = settings.sandbox.readable.map((d) => quoteLiteral(d.endsWith(path.sep) ? d : d + path.sep));
        await setup.run(`SET allowed_directories = [${dirs.join(', ')}]`);
        await setup.run('SET enable_external_access = false');
        await setup.run('SET lock_configuration = true');
      }
    } catch (err) {
      instance.closeSync();
      throw wrapEngineError(err);
    } finally {
      setup.closeSync();
    }
    return new Engine(instance, settings);
  }

  /** Opens a session (connection) and closes it after `fn`, whatever happens. */
  async withSession<T>(fn: (session: Session) => Promise<T>): Promise<T> {
    const connection = await this.instance.connect();
    try {
      return await fn(new DuckSession(connection));
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
    process.stderr.write(
      `[sql ${(performance.now() - start).toFixed(1)} ms] ${sql.replace(/\s+/g, ' ').slice(0, Number(process.env.STRATA_TRACE_WIDTH ?? 160))}\n`,
    );
  }
}

class DuckSession implements Session {
  constructor(readonly connection: DuckDBConnection) {}

  async setVariable(name: string, v: VariableValue): Promise<void> {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new StrataError('INTERNAL', `not a variable name: ${name}`);
    const sql = `SET VARIABLE ${name} = $1::${v.type}`;
    try {
      const prepared = await this.connection.prepare(sql);
      if (v.type === 'DOUBLE') prepared.bindDouble(1, v.value);
      else if (v.type === 'VARCHAR[]') prepared.bindList(1, v.value, LIST(VARCHAR));
      else prepared.bindVarchar(1, v.value);
      await traced(sql, () => prepared.run());
    } catch (err) {
      throw wrapEngineError(err, sql);
    }
  }

  async exec(sql: string): Promise<void> {
    try {
      await traced(sql, () => this.connection.run(sql));
    } catch (err) {
      throw wrapEngineError(err, sql);
    }
  }

  async query(sql: string, options: QueryOptions = {}): Promise<QueryResult> {
    try {
      if (options.onRows) return await traced(sql, () => this.stream(sql, options.onRows!, options.selectOnly));
      const reader = await traced(sql, () =>
        options.selectOnly ? this.selectOnly(sql) : this.connection.runAndReadAll(sql),
      );
      const names = reader.columnNames();
      const types = reader.columnTypes();
      const columns = names.map((name, i) => ({ name, type: types[i].toString() }));
      return { columns, rows: exactNumbers(columns, reader.getRowsJson() as unknown[][]) };
    } catch (err) {
      throw wrapEngineError(err, sql);
    }
  }

  private async stream(sql: string, sink: RowSink, selectOnly = false): Promise<QueryResult> {
    const prepared = await this.connection.prepare(sql);
    try {
      if (selectOnly && prepared.statementType !== StatementType.SELECT) throw notASelect();
      const result = await prepared.stream();
      const names = result.columnNames();
      const types = result.columnTypes();
      const columns = names.map((name, i) => ({ name, type: types[i].toString() }));
      await sink(columns, NO_ROWS);
      // The next chunk is made while the sink takes this one (DuckDB on its threads meanwhile).
      let next: Promise<DuckDBDataChunk | null> | undefined = result.fetchChunk();
      try {
        for (;;) {
          const chunk = await next;
          next = undefined;
          if (!chunk || chunk.rowCount === 0) break;
          next = result.fetchChunk();
          await sink(columns, duckChunk(chunk, columns));
        }
      } finally {
        await next?.catch(() => undefined); // (a sink that stopped: the fetch under way ends first)
      }
      return { columns, rows: [] };
    } finally {
      prepared.destroySync();
    }
  }

  private async selectOnly(sql: string) {
    const prepared = await this.connection.prepare(sql);
    try {
      if (prepared.statementType !== StatementType.SELECT) throw notASelect();
      return await prepared.runAndReadAll();
    } finally {
      prepared.destroySync();
    }
  }

  async describe(sql: string): Promise<{ name: string; type: DuckDBType }[]> {
    try {
      const prepared = await this.connection.prepare(sql);
      try {
        return Array.from({ length: prepared.columnCount }, (_, i) => ({
          name: prepared.columnName(i),
          type: prepared.columnType(i),
        }));
      } finally {
        prepared.destroySync();
      }
    } catch (err) {
      throw wrapEngineError(err, sql);
    }
  }

  async rows<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    try {
      const reader = await traced(sql, () => this.connection.runAndReadAll(sql));
      return reader.getRowObjectsJS() as T[];
    } catch (err) {
      throw wrapEngineError(err, sql);
    }
  }
}

/**
 * A DuckDB failure of `sql` as an EngineError: DuckDB's message kept (it is already
 * clear: "Binder Error: ..."), its error type and the place its `LINE n:` excerpt
 * points at read out. Not classified as the user's or Strata's: the caller knows.
 */
export function wrapEngineError(err: unknown, sql = ''): StrataError {
  if (err instanceof StrataError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new EngineError(message, { sql, ...readEngineMessage(message, sql) }, { cause: err });
}

/** DuckDB's error type, its message without the excerpt, and the offset in `sql` the excerpt's caret is under. */
export function readEngineMessage(
  message: string,
  sql: string,
): { kind: string; engineMessage: string; position?: number } {
  const kind = /^([A-Za-z][A-Za-z ]*?) Error: /.exec(message)?.[1] ?? '';
  const m = /\n*LINE (\d+): ([^\n]*)\n([ \t]*)\^[ \t]*\s*$/.exec(message);
  if (!m) return { kind, engineMessage: message };
  const engineMessage = message.slice(0, m.index).replace(/\s+$/, '');
  const lineNo = Number(m[1]);
  const lines = sql.split('\n');
  if (lineNo < 1 || lineNo > lines.length) return { kind, engineMessage };
  // The caret's column in the excerpt; the excerpt is the line, or a window of it between '...'.
  let caret = m[3].length - `LINE ${m[1]}: `.length;
  let snippet = m[2];
  if (snippet.startsWith('...')) {
    snippet = snippet.slice(3);
    caret -= 3;
  }
  const line = lines[lineNo - 1];
  if (snippet.endsWith('...') && !line.includes(snippet)) snippet = snippet.slice(0, -3);
  const at = line.indexOf(snippet);
  if (at < 0 || caret < 0 || at + caret > line.length) return { kind, engineMessage };
  const lineStart = lines.slice(0, lineNo - 1).reduce((n, l) => n + l.length + 1, 0);
  return { kind, engineMessage, position: lineStart + at + caret };
}

/**
 * The memory DuckDB may use unless told (STRATA_MEMORY_LIMIT, `engine.memory_limit`): half of the
 * machine's memory — DuckDB's own default, 80%, leaves too little for Node and everything else
 * running (a dashboard, a second run waiting). Past it DuckDB spills or fails the statement.
 */
export function defaultMemoryLimit(total = os.totalmem()): string {
  return `${Math.max(256, Math.floor(total / 2 / 2 ** 20))}MiB`;
}

/** Engine settings from the environment: STRATA_THREADS, STRATA_MEMORY_LIMIT, STRATA_TEMP_DIR, STRATA_TIMEZONE. */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): EngineSettings {
  const settings: EngineSettings = {};
  if (env.STRATA_THREADS) {
    const n = Number(env.STRATA_THREADS);
    if (!Number.isInteger(n) || n < 1)
      throw new StrataError('USAGE', `STRATA_THREADS must be a whole number ≥ 1, not '${env.STRATA_THREADS}'`);
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

function notASelect(): UserSqlError {
  return new UserSqlError(`only queries can run here: this session reads the lake and writes nothing`, {
    code: 'READ_ONLY',
  });
}
