// The statements that write rows: CREATE TABLE [AS SELECT], INSERT, DELETE, UPDATE, MERGE —
// each resolves its table through the catalog, its queries through withReads, and runs the
// Delta operation; the results are Databricks' columns.
import { UserSqlError } from '../core/index.js';
import { quoteIdent, quoteLiteral, type QueryResult, type Session } from '../engine/index.js';
import {
  createTable,
  deleteRows,
  duckdbType,
  loadSnapshot,
  mergeInto,
  updateRows,
  writeTable,
  type WriteOutcome,
} from '../delta/index.js';
import { wherePrune, mergeKeyPairs } from './predicates.js';
import type { Statement } from './statement.js';
import type { ReadContext } from './read-context.js';
import { withReads } from './reads.js';

/** Setting names that turn on schema evolution for writes. */
const AUTO_MERGE_KEYS = ['strata.schema.automerge', 'spark.databricks.delta.schema.automerge.enabled'];

export async function runCreate(
  session: Session,
  stmt: Extract<Statement, { kind: 'create' }>,
  ctx: ReadContext,
): Promise<QueryResult> {
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

export async function runInsert(
  session: Session,
  stmt: Extract<Statement, { kind: 'insert' }>,
  ctx: ReadContext,
  settings: Map<string, string>,
): Promise<QueryResult> {
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
      const targets = stmt.columns ?? fields.filter((f) => !staticCols.has(f.name.toLowerCase())).map((f) => f.name);
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
          .map((v) => (v.literal === 'NULL' ? `${quoteIdent(v.name)} IS NULL` : `${quoteIdent(v.name)} = ${v.literal}`))
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

export async function runDeleteUpdate(
  session: Session,
  stmt: Extract<Statement, { kind: 'delete' | 'update' }>,
  ctx: ReadContext,
): Promise<QueryResult> {
  const { location, display } = ctx.catalog.resolve(stmt.table);
  // File skipping understands the predicate as it would in a query.
  const prune = await wherePrune(session, stmt.where);
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

export async function runMerge(
  session: Session,
  stmt: Extract<Statement, { kind: 'merge' }>,
  ctx: ReadContext,
): Promise<QueryResult> {
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
