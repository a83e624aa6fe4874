// Running user SQL: DuckDB SQL plus the Delta statements of Spark SQL (statements.ts),
// each statement sent to its runner (run-writes, run-table-ops, copy-into) or, for a query,
// to DuckDB after withReads (reads.ts) has turned its table reads into scans. A failure of a
// statement is the user's, shown in their own text.
import { createCatalog, type Catalog } from '../catalog/index.js';
import { LocatedError, UserSqlError } from '../core/index.js';
import { translateQuery } from './spark.js';
import { ansiFrom } from './spark-ansi.js';
import { userSqlFailure } from './spark-errors.js';
import type { QueryResult, RowSink, Session } from '../engine/index.js';
import { parseStatement, splitStatements, type Statement } from './statements.js';
import type { FileSources } from './file-sources.js';
import type { ReadContext, ScanInfo } from './read-context.js';
export type { ReadContext, ScanInfo } from './read-context.js';
import { copyInto } from './copy-into.js';

export interface ExecuteOptions {
  /** Where tables are (default: a catalog over `baseDir` and `lakeRoot`). */
  catalog?: Catalog;
  /** Folder that relative table paths resolve against (default: the working folder); used without `catalog`. */
  baseDir?: string;
  /** Folder of named tables (default: `<baseDir>/lake`); used without `catalog`. */
  lakeRoot?: string;
  /** How read_files(...) and COPY INTO read files (the project wires ingestion in); without it they are refused. */
  files?: FileSources;
  /** Session settings changed by SET (kept by the caller across statements). */
  settings?: Map<string, string>;
  /** Told, for each delta_scan, how many files it reads out of how many. */
  onScan?: (info: ScanInfo) => void;
  /**
   * 'spark' (the default): Databricks SQL — Spark's quoting, functions and semantics (spark.ts).
   * 'duckdb': plain DuckDB SQL (table names and Delta statements still resolve).
   */
  dialect?: 'spark' | 'duckdb';
  /**
   * Reads only (the SQL editor, the Postgres endpoint): a statement that would write — or any that
   * is not a query, SHOW, DESCRIBE, USE or SET — is refused before it runs (READ_ONLY); a query
   * must be a SELECT by DuckDB's own parse. Without `files`, read_files and COPY INTO are refused.
   */
  readOnly?: boolean;
  /** Each query's rows streamed to this (the Postgres endpoint), not returned: flat memory. */
  onRows?: RowSink;
  /** Versions tables are read at, kept across statements (ReadContext.pins). */
  pins?: Map<string, number>;
  /** Versions a table is pinned at on its first read (ReadContext.basis). */
  basis?: () => Promise<Map<string, number> | undefined>;
  /** Tables read as of this time (ReadContext.asOf). */
  asOf?: string;
}

/** The statements a read-only session runs. */
const READS = new Set<Statement['kind']>([
  'query',
  'set',
  'use',
  'show-tables',
  'show-schemas',
  'describe-table',
  'describe-history',
  'describe-detail',
  'show-create-table',
  'show-tblproperties',
]);

/** Runs SQL (one or more statements) and returns the last statement's result. */
export async function executeQuery(session: Session, sql: string, options: ExecuteOptions = {}): Promise<QueryResult> {
  const results = await executeStatements(session, sql, options);
  return results[results.length - 1].result;
}

/** Runs SQL (one or more statements) and returns each statement (as written) with its result, in order. */
export async function executeStatements(
  session: Session,
  sql: string,
  options: ExecuteOptions = {},
): Promise<{ statement: string; result: QueryResult }[]> {
  const ctx: ReadContext = {
    catalog:
      options.catalog ?? createCatalog({ projectDir: options.baseDir ?? process.cwd(), lakeRoot: options.lakeRoot }),
    files: options.files,
    onScan: options.onScan,
    readOnly: options.readOnly,
    onRows: options.onRows,
    pins: options.pins,
    basis: options.basis,
    asOf: options.asOf,
  };
  const settings = options.settings ?? new Map<string, string>();
  // A USE SCHEMA earlier in the session (settings kept by the caller across calls).
  const current = settings.get(CURRENT_SCHEMA);
  if (current !== undefined) ctx.catalog = ctx.catalog.withSchema(current);
  // Each statement is read with the session's settings as they are when it runs (a SET of
  // spark.sql.ansi.enabled changes how the next ones read).
  let statements: string[];
  try {
    statements = splitStatements(sql, { spark: options.dialect !== 'duckdb' });
  } catch (err) {
    throw err instanceof LocatedError && err.text === undefined ? err.withText(sql) : err;
  }
  if (statements.length === 0) throw new UserSqlError('no SQL statement given');
  const out: { statement: string; result: QueryResult }[] = [];
  for (const statement of statements) {
    try {
      const text = options.dialect === 'duckdb' ? statement : translateQuery(statement, { ansi: ansiOf(settings) });
      out.push({ statement, result: await runStatement(session, parseStatement(text), ctx, settings) });
    } catch (err) {
      // The user wrote this statement: an engine failure in it is theirs, told in their text.
      throw userSqlFailure(err, statement, { ansi: ansiOf(settings) });
    }
  }
  return out;
}
import { runCreate, runDeleteUpdate, runInsert, runMerge } from './run-writes.js';
import {
  runAlter,
  runDescribeDetail,
  runDescribeHistory,
  runOptimize,
  runRestore,
  runVacuum,
} from './run-table-ops.js';
import { withReads } from './reads.js';
import {
  CURRENT_SCHEMA,
  runCreateSchema,
  runDescribeTable,
  runShowCreateTable,
  runShowTblproperties,
  runShowSchemas,
  runShowTables,
  runUse,
} from './run-catalog.js';
export { withReads } from './reads.js';

/** How a refused statement is named: its first word(s), as a user wrote them. */
function statementWord(stmt: Statement): string {
  const words: Partial<Record<Statement['kind'], string>> = {
    'copy-into': 'COPY INTO',
    'create-schema': 'CREATE SCHEMA',
  };
  return words[stmt.kind] ?? stmt.kind.split('-')[0].toUpperCase();
}

/** ANSI mode of a session: on unless a SET turned it off (a bad value was refused by its SET). */
function ansiOf(settings: Map<string, string>): boolean {
  try {
    return ansiFrom(settings.entries());
  } catch {
    return true;
  }
}

async function runStatement(
  session: Session,
  stmt: Statement,
  ctx: ReadContext,
  settings: Map<string, string>,
): Promise<QueryResult> {
  if (ctx.readOnly && !READS.has(stmt.kind))
    throw new UserSqlError(`${statementWord(stmt)} is a write: this session only reads the lake`, {
      code: 'READ_ONLY',
    });
  switch (stmt.kind) {
    case 'query':
      return withReads(session, stmt.sql, ctx, (sql) =>
        session.query(sql, { selectOnly: ctx.readOnly, onRows: ctx.onRows }),
      );
    case 'set':
      ansiFrom([[stmt.key, stmt.value]]); // (a value that is not true or false said now)
      settings.set(stmt.key, stmt.value);
      return { columns: [], rows: [] };
    case 'create':
      return runCreate(session, stmt, ctx);
    case 'insert':
      return runInsert(session, stmt, ctx, settings);
    case 'delete':
    case 'update':
      return runDeleteUpdate(session, stmt, ctx);
    case 'merge':
      return runMerge(session, stmt, ctx);
    case 'restore':
      return runRestore(session, stmt, ctx);
    case 'vacuum':
      return runVacuum(session, stmt, ctx, settings);
    case 'optimize':
      return runOptimize(session, stmt, ctx);
    case 'describe-history':
      return runDescribeHistory(session, stmt, ctx);
    case 'describe-detail':
      return runDescribeDetail(session, stmt, ctx);
    case 'copy-into':
      return copyInto(session, stmt, ctx);
    case 'use':
      return runUse(stmt, ctx, settings);
    case 'create-schema':
      return runCreateSchema(stmt, ctx);
    case 'show-tables':
      return runShowTables(stmt, ctx);
    case 'show-schemas':
      return runShowSchemas(stmt, ctx);
    case 'describe-table':
      return runDescribeTable(session, stmt, ctx);
    case 'show-create-table':
      return runShowCreateTable(session, stmt, ctx);
    case 'show-tblproperties':
      return runShowTblproperties(session, stmt, ctx);
    default:
      return runAlter(session, stmt, ctx);
  }
}
