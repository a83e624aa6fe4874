// Running user SQL: DuckDB SQL plus the Delta statements of Spark SQL
// (statements.ts). Queries may read Delta tables by name (table-refs.ts) or by
// delta_scan(path); each read becomes a subquery over the snapshot's files
// (delta/scan), and temporary tables a scan needs are dropped after the statement.
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createCatalog, type Catalog } from '../catalog/index.js';
import { StrataError, UserSqlError } from '../core/index.js';
import { translateQuery, userSqlFailure } from './spark.js';
import { quoteIdent, quoteLiteral, type QueryResult, type Session } from '../engine/index.js';
import {
  alterTable,
  createTable,
  deleteRows,
  describeSnapshot,
  duckdbType,
  loadSnapshot,
  mergeInto,
  optimizeTable,
  planScan,
  planTableChanges,
  pruneFiles,
  restoreTable,
  tableHistory,
  updateRows,
  vacuumTable,
  writeTable,
  type Predicate,
  type WriteOutcome,
} from '../delta/index.js';
import { findDeltaScanCalls, findReadFilesCalls, findTableChangesCalls } from './delta-scan-calls.js';
import { extractScanPredicates, mergeKeyPairs } from './predicates.js';
import { parseStatement, splitStatements, type Statement, type TableName } from './statements.js';
import { rewriteTableRefs } from './table-refs.js';
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
}

/** Setting names that turn on schema evolution for writes. */
const AUTO_MERGE_KEYS = ['strata.schema.automerge', 'spark.databricks.delta.schema.automerge.enabled'];

/** Runs SQL (one or more statements) and returns the last statement's result. */
export async function executeQuery(session: Session, sql: string, options: ExecuteOptions = {}): Promise<QueryResult> {
  const ctx: ReadContext = {
    catalog:
      options.catalog ?? createCatalog({ projectDir: options.baseDir ?? process.cwd(), lakeRoot: options.lakeRoot }),
    files: options.files,
    onScan: options.onScan,
  };
  const settings = options.settings ?? new Map<string, string>();
  const statements = splitStatements(translateQuery(sql));
  if (statements.length === 0) throw new UserSqlError('no SQL statement given');
  // The statements as written, for messages (the rewrite adds or drops no semicolon).
  const written = splitStatements(sql);
  let result: QueryResult = { columns: [], rows: [] };
  for (const [i, text] of statements.entries()) {
    try {
      result = await runStatement(session, parseStatement(text), ctx, settings);
    } catch (err) {
      // The user wrote this statement: an engine failure in it is theirs, told in their text.
      throw userSqlFailure(err, written.length === statements.length ? written[i] : text);
    }
  }
  return result;
}

async function runStatement(
  session: Session,
  stmt: Statement,
  ctx: ReadContext,
  settings: Map<string, string>,
): Promise<QueryResult> {
  switch (stmt.kind) {
    case 'query':
      return withReads(session, stmt.sql, ctx, (sql) => session.query(sql));
    case 'set':
      settings.set(stmt.key, stmt.value);
      return { columns: [], rows: [] };
    case 'create': {
      const { location, display } = ctx.catalog.resolve(stmt.table);
      const outcome = await withReads(session, stmt.select ?? '', ctx, (select) =>
        createTable(session, {
          location,
          name: display,
          schema: stmt.columns ? { kind: 'struct', fields: stmt.columns } : undefined,
          select: stmt.select === undefined ? undefined : select,
          partitionColumns: stmt.partitionedBy,
          properties: stmt.properties,
          description: stmt.comment,
          ifNotExists: stmt.ifNotExists,
          replace: stmt.replace,
        }),
      );
      return outcomeResult(outcome);
    }
    case 'insert': {
      const { location, display } = ctx.catalog.resolve(stmt.table);
      const snapshot = await loadSnapshot(location, { session, name: display });
      const outcome = await withReads(session, stmt.select, ctx, async (select) => {
        let query = select;
        let replaceWhere = stmt.replaceWhere;
        const partition = stmt.partition ?? [];
        const fields = snapshot.schema.fields;
        const staticCols = new Set(partition.map(([c]) => c.toLowerCase()));
        if (!stmt.byName) {
          // Spark matches INSERT columns by position.
          const targets =
            stmt.columns ?? fields.filter((f) => !staticCols.has(f.name.toLowerCase())).map((f) => f.name);
          const source = await session.describe(select);
          if (source.length !== targets.length) {
            throw new UserSqlError(
              `INSERT into ${display}: the query returns ${source.length} column${source.length === 1 ? '' : 's'} but ${targets.length} ${stmt.columns ? 'are listed' : 'are expected'} (${targets.join(', ')})`,
            );
          }
          query = `SELECT * FROM (${select}) AS __src(${targets.map(quoteIdent).join(', ')})`;
        }
        if (partition.length > 0) {
          const values = partition.map(([col, value]) => {
            const field = fields.find((f) => f.name.toLowerCase() === col.toLowerCase());
            if (!field || !snapshot.partitionColumns.includes(field.name))
              throw new UserSqlError(`INSERT into ${display}: ${col} is not a partition column`);
            const literal = value === null ? 'NULL' : `CAST(${quoteLiteral(value)} AS ${duckdbType(field.type)})`;
            return { name: field.name, literal };
          });
          query = `SELECT *, ${values.map((v) => `${v.literal} AS ${quoteIdent(v.name)}`).join(', ')} FROM (${query}) AS __p`;
          if (stmt.overwrite) {
            const pred = values
              .map((v) =>
                v.literal === 'NULL' ? `${quoteIdent(v.name)} IS NULL` : `${quoteIdent(v.name)} = ${v.literal}`,
              )
              .join(' AND ');
            replaceWhere = replaceWhere ? `(${replaceWhere}) AND ${pred}` : pred;
          }
        }
        return writeTable(session, {
          location,
          name: display,
          select: query,
          mode: stmt.overwrite ? 'overwrite' : 'append',
          replaceWhere,
          mergeSchema: autoMerge(settings),
          storeAssignment: true,
        });
      });
      return outcomeResult(outcome);
    }
    case 'delete':
    case 'update': {
      const { location, display } = ctx.catalog.resolve(stmt.table);
      let prune: Predicate | undefined;
      if (stmt.where !== undefined) {
        // File skipping understands the predicate as it would in a query.
        const probe = `SELECT * FROM delta_scan('t') WHERE ${stmt.where}`;
        prune = (await extractScanPredicates(session, probe)).get(probe.indexOf('delta_scan'));
      }
      const outcome = await withReads(session, stmt.where ?? '', ctx, async (resolvedWhere) => {
        // Subqueries in the predicate may read other tables: they are resolved like any query.
        const base = { location, name: display, where: stmt.where === undefined ? undefined : resolvedWhere, prune };
        return stmt.kind === 'delete' ? deleteRows(session, base) : updateRows(session, { ...base, set: stmt.set });
      });
      return {
        columns: [
          { name: 'version', type: 'BIGINT' },
          { name: 'num_affected_rows', type: 'BIGINT' },
        ],
        rows: outcome.version === undefined ? [[null, 0]] : [[outcome.version, outcome.numAffectedRows]],
      };
    }
    case 'merge': {
      const { location, display } = ctx.catalog.resolve(stmt.table);
      const targetAlias =
        stmt.targetAlias ?? (stmt.table.kind === 'name' ? stmt.table.parts[stmt.table.parts.length - 1] : 'target');
      const sourceAlias = stmt.sourceAlias ?? 'source';
      const keyPairs = await mergeKeyPairs(session, stmt.on, targetAlias, sourceAlias);
      const r = await withReads(session, stmt.source, ctx, (source) =>
        mergeInto(session, {
          location,
          name: display,
          targetAlias,
          source,
          sourceAlias,
          on: stmt.on,
          clauses: stmt.clauses,
          keyPairs,
        }),
      );
      return {
        columns: ['version', 'num_affected_rows', 'num_updated_rows', 'num_deleted_rows', 'num_inserted_rows'].map(
          (name) => ({ name, type: 'BIGINT' }),
        ),
        rows: [
          [
            r.version ?? null,
            r.numTargetRowsUpdated + r.numTargetRowsDeleted + r.numTargetRowsInserted,
            r.numTargetRowsUpdated,
            r.numTargetRowsDeleted,
            r.numTargetRowsInserted,
          ],
        ],
      };
    }
    case 'restore': {
      const { location, display } = ctx.catalog.resolve(stmt.table);
      const r = await restoreTable(
        session,
        { location, name: display },
        { version: stmt.version, timestamp: stmt.timestamp },
      );
      return {
        columns: ['num_removed_files', 'num_restored_files', 'version', 'restored_version'].map((name) => ({
          name,
          type: 'BIGINT',
        })),
        rows: [[r.numRemovedFiles, r.numRestoredFiles, r.version, r.restoredVersion]],
      };
    }
    case 'vacuum': {
      const { location, display } = ctx.catalog.resolve(stmt.table);
      const check = [
        'strata.vacuum.retentiondurationcheck.enabled',
        'spark.databricks.delta.retentiondurationcheck.enabled',
      ];
      const r = await vacuumTable(session, {
        location,
        name: display,
        retentionHours: stmt.retainHours,
        dryRun: stmt.dryRun,
        allowShortRetention: check.some((k) => settings.get(k)?.toLowerCase() === 'false'),
      });
      return { columns: [{ name: 'path', type: 'VARCHAR' }], rows: r.files.map((f) => [f]) };
    }
    case 'optimize': {
      const { location, display } = ctx.catalog.resolve(stmt.table);
      let prune: Predicate | undefined;
      if (stmt.where !== undefined) {
        const probe = `SELECT * FROM delta_scan('t') WHERE ${stmt.where}`;
        prune = (await extractScanPredicates(session, probe)).get(probe.indexOf('delta_scan'));
        if (!prune)
          throw new UserSqlError(
            `OPTIMIZE ${display}: the WHERE clause must be simple comparisons of partition columns with constants`,
          );
      }
      const r = await optimizeTable(session, {
        location,
        name: display,
        where: stmt.where,
        prune,
        whereColumns: stmt.whereColumns,
        zOrderBy: stmt.zOrderBy,
      });
      return {
        columns: ['version', 'num_removed_files', 'num_added_files', 'num_removed_bytes', 'num_added_bytes'].map(
          (name) => ({ name, type: 'BIGINT' }),
        ),
        rows: [[r.version ?? null, r.numRemovedFiles, r.numAddedFiles, r.numRemovedBytes, r.numAddedBytes]],
      };
    }
    case 'describe-history': {
      const { location, display } = ctx.catalog.resolve(stmt.table);
      const entries = await tableHistory(location, stmt.limit, display);
      return {
        columns: [
          { name: 'version', type: 'BIGINT' },
          { name: 'timestamp', type: 'TIMESTAMP WITH TIME ZONE' },
          { name: 'operation', type: 'VARCHAR' },
          { name: 'operationParameters', type: 'MAP(VARCHAR, VARCHAR)' },
          { name: 'readVersion', type: 'BIGINT' },
          { name: 'isolationLevel', type: 'VARCHAR' },
          { name: 'isBlindAppend', type: 'BOOLEAN' },
          { name: 'operationMetrics', type: 'MAP(VARCHAR, VARCHAR)' },
          { name: 'engineInfo', type: 'VARCHAR' },
        ],
        rows: entries.map((e) => [
          e.version,
          e.timestamp,
          e.operation,
          e.operationParameters,
          e.readVersion,
          e.isolationLevel,
          e.isBlindAppend,
          e.operationMetrics,
          e.engineInfo,
        ]),
      };
    }
    case 'describe-detail': {
      const { location, display } = ctx.catalog.resolve(stmt.table);
      const d = describeSnapshot(await loadSnapshot(location, { session, name: display }));
      const features = [...new Set([...d.protocol.readerFeatures, ...d.protocol.writerFeatures])];
      return {
        columns: [
          ['format', 'VARCHAR'],
          ['id', 'VARCHAR'],
          ['name', 'VARCHAR'],
          ['description', 'VARCHAR'],
          ['location', 'VARCHAR'],
          ['createdAt', 'TIMESTAMP WITH TIME ZONE'],
          ['lastModified', 'TIMESTAMP WITH TIME ZONE'],
          ['partitionColumns', 'VARCHAR[]'],
          ['numFiles', 'BIGINT'],
          ['sizeInBytes', 'BIGINT'],
          ['properties', 'MAP(VARCHAR, VARCHAR)'],
          ['minReaderVersion', 'INTEGER'],
          ['minWriterVersion', 'INTEGER'],
          ['tableFeatures', 'VARCHAR[]'],
          ['version', 'BIGINT'],
        ].map(([name, type]) => ({ name, type })),
        rows: [
          [
            'delta',
            d.id,
            display,
            d.description,
            d.location,
            d.createdAt,
            d.lastModified,
            d.partitionColumns,
            d.numFiles,
            d.sizeInBytes,
            d.properties,
            d.protocol.minReaderVersion,
            d.protocol.minWriterVersion,
            features,
            d.version,
          ],
        ],
      };
    }
    case 'copy-into':
      return copyInto(session, stmt, ctx);
    default: {
      const { location, display } = ctx.catalog.resolve(stmt.table);
      const ref = { location, name: display };
      const change =
        stmt.kind === 'alter-add-columns'
          ? { kind: 'add-columns' as const, columns: stmt.columns }
          : stmt.kind === 'alter-set-properties'
            ? { kind: 'set-properties' as const, properties: stmt.properties }
            : stmt.kind === 'alter-unset-properties'
              ? { kind: 'unset-properties' as const, keys: stmt.keys, ifExists: stmt.ifExists }
              : stmt.kind === 'alter-add-constraint'
                ? { kind: 'add-constraint' as const, name: stmt.name, expr: stmt.expr }
                : { kind: 'drop-constraint' as const, name: stmt.name, ifExists: stmt.ifExists };
      const version = await alterTable(session, ref, change);
      return { columns: [{ name: 'version', type: 'BIGINT' }], rows: version === undefined ? [] : [[version]] };
    }
  }
}

function autoMerge(settings: Map<string, string>): boolean {
  return AUTO_MERGE_KEYS.some((k) => settings.get(k)?.toLowerCase() === 'true');
}

function outcomeResult(o: WriteOutcome): QueryResult {
  return {
    columns: [
      { name: 'version', type: 'BIGINT' },
      { name: 'num_affected_rows', type: 'BIGINT' },
      { name: 'num_inserted_rows', type: 'BIGINT' },
    ],
    rows: o.version === undefined ? [] : [[o.version, o.numRows, o.numRows]],
  };
}

/**
 * Runs `fn` with `sql` made readable by DuckDB: table_changes(...), read_files(...),
 * project table names and delta_scan(...) calls replaced by the scans that read them.
 */
export async function withReads<T>(
  session: Session,
  sql: string,
  ctx: ReadContext,
  fn: (sql: string) => Promise<T>,
): Promise<T> {
  if (sql === '') return fn(sql);
  const cleanup: string[] = [];
  try {
    // table_changes(...) first: its subqueries read files directly.
    let withChanges = '';
    let at = 0;
    for (const call of findTableChangesCalls(sql)) {
      const ref: TableName = /[/\\]/.test(call.table)
        ? { kind: 'path', path: call.table }
        : { kind: 'name', parts: call.table.split('.') };
      const { location, display } = ctx.catalog.resolve(ref);
      const plan = await planTableChanges(session, location, display, call.from, call.to);
      cleanup.push(...plan.cleanup);
      withChanges += sql.slice(at, call.start) + `(${plan.sql})${call.hasAlias ? '' : ' AS table_changes'}`;
      at = call.end;
    }
    withChanges += sql.slice(at);
    // read_files(...): the files read into a temporary table (rows that cannot be parsed are
    // left out here; COPY INTO and streaming tables keep them in the quarantine).
    let withFiles = '';
    at = 0;
    for (const call of findReadFilesCalls(withChanges)) {
      if (!ctx.files)
        throw new StrataError(
          'INTERNAL',
          'read_files(...) cannot be used here: no file reader was wired into this SQL session',
        );
      const read = await ctx.files.read(
        session,
        path.resolve(ctx.catalog.projectDir, call.source),
        call.source,
        call.options,
      );
      cleanup.push(...read.cleanup);
      withFiles +=
        withChanges.slice(at, call.start) +
        `(SELECT * FROM temp.${quoteIdent(read.table)})${call.hasAlias ? '' : ' AS read_files'}`;
      at = call.end;
    }
    withFiles += withChanges.slice(at);
    const named = rewriteTableRefs(withFiles, ctx.catalog);
    const calls = findDeltaScanCalls(named);
    if (calls.length === 0) return await fn(named);
    const id = randomUUID().replace(/-/g, '').slice(0, 12);
    const predicates = await extractScanPredicates(session, named);
    let rewritten = '';
    let cursor = 0;
    for (const [n, call] of calls.entries()) {
      const location = path.resolve(ctx.catalog.projectDir, call.path);
      const name = (path.isAbsolute(call.path) && ctx.catalog.nameOf(location)) || call.path;
      const snapshot = await loadSnapshot(location, {
        version: call.version,
        timestamp: call.timestamp,
        session,
        name,
      });
      const files = pruneFiles(snapshot, predicates.get(call.start));
      const scan = await planScan(snapshot, session, { id: `${id}_${n}`, files });
      ctx.onScan?.({
        table: name,
        version: snapshot.version,
        filesTotal: scan.filesTotal,
        filesScanned: scan.filesScanned,
      });
      cleanup.push(...scan.cleanup);
      rewritten += named.slice(cursor, call.start) + `(${scan.sql})${call.hasAlias ? '' : ' AS delta_scan'}`;
      cursor = call.end;
    }
    rewritten += named.slice(cursor);
    return await fn(rewritten);
  } finally {
    for (const statement of cleanup) await session.exec(statement).catch(() => undefined);
  }
}
