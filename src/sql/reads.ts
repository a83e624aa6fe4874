// Reads in a statement: table_changes(...), read_files(...), project table names and
// delta_scan(...) calls replaced by subqueries over the snapshots' files, pruned by the
// statement's filters; what the scans created is dropped afterwards.
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { StrataError } from '../core/index.js';
import { quoteIdent, type Session } from '../engine/index.js';
import { loadSnapshot, planScan, planTableChanges, pruneFiles } from '../delta/index.js';
import { findDeltaScanCalls, findReadFilesCalls, findTableChangesCalls } from './delta-scan-calls.js';
import { extractScanPredicates } from './predicates.js';
import type { TableName } from './statement.js';
import { rewriteTableRefs } from './table-refs.js';
import type { ReadContext } from './read-context.js';
import { hideMetadata, isQuery, mentionsMetadata } from './hidden-columns.js';
import { sparkArithmetic } from './spark-decimal.js';

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
    const calls = findReadFilesCalls(withChanges);
    const metadata = calls.length > 0 && mentionsMetadata(sql);
    let carried = false;
    for (const call of calls) {
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
        { metadata, catalog: ctx.catalog },
      );
      carried ||= read.metadata;
      cleanup.push(...read.cleanup);
      withFiles +=
        withChanges.slice(at, call.start) +
        `(SELECT * FROM temp.${quoteIdent(read.table)})${call.hasAlias ? '' : ' AS read_files'}`;
      at = call.end;
    }
    withFiles += withChanges.slice(at);
    const named = rewriteTableRefs(withFiles, ctx.catalog);
    // `_metadata` is hidden: the copies `*` brought are left out of a query's output.
    // Then Spark's decimal arithmetic where the rewrite marked it (its types asked of DuckDB).
    const hide = async (resolved: string) =>
      sparkArithmetic(session, carried && isQuery(resolved) ? await hideMetadata(session, resolved, sql) : resolved);
    const scans = findDeltaScanCalls(named);
    if (scans.length === 0) return await fn(await hide(named));
    const id = randomUUID().replace(/-/g, '').slice(0, 12);
    const predicates = await extractScanPredicates(session, named);
    let rewritten = '';
    let cursor = 0;
    let basis: Map<string, number> | undefined;
    for (const [n, call] of scans.entries()) {
      const location = path.resolve(ctx.catalog.projectDir, call.path);
      const name = (path.isAbsolute(call.path) && ctx.catalog.nameOf(location)) || call.path;
      const travels = call.version !== undefined || call.timestamp !== undefined;
      let version = call.version;
      if (!travels && !ctx.asOf && ctx.pins) {
        version = ctx.pins.get(location);
        if (version === undefined) {
          basis ??= (await ctx.basis?.()) ?? new Map<string, number>();
          version = basis.get(location);
        }
      }
      const snapshot = await loadSnapshot(location, {
        version,
        timestamp: call.timestamp ?? (travels ? undefined : ctx.asOf),
        session,
        name,
      });
      if (!travels && !ctx.asOf) ctx.pins?.set(location, snapshot.version);
      const files = pruneFiles(snapshot, predicates.get(call.start));
      const scan = await planScan(snapshot, session, { id: `${id}_${n}`, files });
      ctx.onScan?.({
        table: name,
        location,
        version: snapshot.version,
        filesTotal: scan.filesTotal,
        filesScanned: scan.filesScanned,
      });
      cleanup.push(...scan.cleanup);
      rewritten += named.slice(cursor, call.start) + `(${scan.sql})${call.hasAlias ? '' : ' AS delta_scan'}`;
      cursor = call.end;
    }
    rewritten += named.slice(cursor);
    return await fn(await hide(rewritten));
  } finally {
    for (const statement of cleanup) await session.exec(statement).catch(() => undefined);
  }
}
