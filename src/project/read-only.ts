// The project's lake for SQL from outside Strata — the SQL editor of `strata serve` (and the Postgres
// endpoint): its own DuckDB instance that may read files only under the lake (DuckDB's
// `allowed_directories` with `enable_external_access` off, `lock_configuration` on: no other file,
// no ATTACH, INSTALL, LOAD nor setting), tables by path only inside the lake, and only reads: a write
// or any statement that is not a query is refused before it runs (READ_ONLY). No file sources are
// wired, so read_files and COPY INTO are refused too.
import * as os from 'node:os';
import {
  Engine,
  cancellable,
  defaultMemoryLimit,
  type QueryResult,
  type RowSink,
  type Session,
} from '../engine/index.js';
import { createCatalog, type Catalog } from '../catalog/index.js';
import { executeStatements, withReads, type ScanInfo } from '../sql/index.js';
import { StatementType } from '@duckdb/node-api';
import { StrataError } from '../core/index.js';
import type { Project } from './project.js';
import { readPoint } from './read-point.js';

export interface ReadOnlyQueryOptions {
  /** Settings changed by SET or USE, kept across calls (one per client session). */
  settings?: Map<string, string>;
  /** Stops the statement (interrupted); it fails with a CANCELLED error. */
  signal?: AbortSignal;
  /** Stops the statement after this long (default 60 s); it fails with a CANCELLED error. */
  timeoutMs?: number;
  onScan?: (info: ScanInfo) => void;
  /** Spark SQL (the default: the SQL editor) or DuckDB's, PostgreSQL-like SQL (the Postgres endpoint). */
  dialect?: 'spark' | 'duckdb';
  /** A query's rows streamed to this as they are made, not returned (flat memory). */
  onRows?: RowSink;
  /**
   * The versions this session reads tables at (a transaction's): a table is pinned at its first
   * read — at the version it had before a pipeline update under way — and read at it after.
   */
  pins?: Map<string, number>;
  /** Read tables as of this time (`SET strata.as_of`). */
  asOf?: string;
}

export interface ReadOnlyLake {
  /** Runs the statements and returns the last one's result. */
  query(sql: string, options?: ReadOnlyQueryOptions): Promise<QueryResult>;
  /** Runs the statements and returns each one's result, in order. */
  queryAll(sql: string, options?: ReadOnlyQueryOptions): Promise<{ statement: string; result: QueryResult }[]>;
  /**
   * The types of a query's $n parameters and of its columns, as DuckDB infers them from the
   * query (DuckDB's SQL, tables resolved), without running it; undefined for a statement that is
   * not a query.
   */
  describe(
    sql: string,
  ): Promise<{ parameters: (string | undefined)[]; columns: { name: string; type: string }[] } | undefined>;
  /**
   * Runs the server's own statements — never a client's — on the lake's engine, outside the
   * read-only checks (the Postgres endpoint keeps its catalog there). The sandbox still holds.
   */
  withEngineSession<T>(fn: (session: Session) => Promise<T>): Promise<T>;
  readonly catalog: Catalog;
  close(): void;
}

/** Opens the read-only lake of a project (a second DuckDB instance, a quarter of the memory by default). */
export async function openReadOnlyLake(
  project: Project,
  options: {
    /** PostgreSQL's arithmetic for the Postgres endpoint's SQL: `/` of integers is an integer. */
    postgres?: boolean;
  } = {},
): Promise<ReadOnlyLake> {
  const catalog: Catalog = createCatalog({
    projectDir: project.dir,
    lakeRoot: project.catalog.lakeRoot,
    name: project.catalog.name,
    confined: true,
  });
  const settings = project.engine.settings;
  const engine = await Engine.create({
    ...settings,
    memoryLimit: settings.memoryLimit ?? defaultMemoryLimit(os.totalmem() / 2),
    sandbox: { readable: [catalog.lakeRoot] },
    integerDivision: options.postgres,
  });
  const queryAll = async (sql: string, options: ReadOnlyQueryOptions = {}) => {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    try {
      return await engine.withSession((session) =>
        executeStatements(cancellable(session, signal), sql, {
          catalog,
          readOnly: true,
          settings: options.settings,
          onScan: options.onScan,
          dialect: options.dialect,
          onRows: options.onRows,
          pins: options.pins,
          basis: options.pins ? () => readPoint(catalog) : undefined,
          asOf: options.asOf,
        }),
      );
    } catch (err) {
      if (timeout.aborted && StrataError.is(err) && err.code === 'CANCELLED')
        throw new StrataError('CANCELLED', `the statement ran longer than ${timeoutMs / 1000} s and was stopped`);
      throw err;
    }
  };
  return {
    query: async (sql, options) => {
      const results = await queryAll(sql, options);
      return results[results.length - 1].result;
    },
    queryAll,
    describe: (sql) =>
      engine.withSession((session) =>
        withReads(session, sql, { catalog, readOnly: true }, async (resolved) => {
          const prepared = await session.connection.prepare(resolved).catch(() => undefined);
          if (!prepared || prepared.statementType !== StatementType.SELECT) return undefined;
          const typeText = (f: () => { toString(): string }) => {
            try {
              const t = f().toString();
              return t === 'ANY' || t === 'UNKNOWN' || t === 'NULL' ? undefined : t;
            } catch {
              return undefined;
            }
          };
          return {
            parameters: Array.from({ length: prepared.parameterCount }, (_, i) =>
              typeText(() => prepared.parameterType(i + 1)),
            ),
            columns: Array.from({ length: prepared.columnCount }, (_, i) => ({
              name: prepared.columnName(i),
              type: typeText(() => prepared.columnType(i)) ?? 'VARCHAR',
            })),
          };
        }),
      ),
    withEngineSession: (fn) => engine.withSession(fn),
    catalog,
    close: () => engine.close(),
  };
}
