// Running user SQL: DuckDB SQL in which delta_scan(...) reads a Delta table.
// Each call is replaced by a subquery over the snapshot's files (see delta/scan);
// temporary tables a scan needs are dropped after the statement.
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { QueryResult, Session } from '../engine/index.js';
import { loadSnapshot, planScan, pruneFiles } from '../delta/index.js';
import { findDeltaScanCalls } from './delta-scan-calls.js';
import { extractScanPredicates } from './predicates.js';

export interface ExecuteOptions {
  /** Folder that relative table paths resolve against (default: the working folder). */
  baseDir?: string;
  /** Told, for each delta_scan, how many files it reads out of how many. */
  onScan?: (info: ScanInfo) => void;
}

export interface ScanInfo {
  table: string;
  version: number;
  filesTotal: number;
  filesScanned: number;
}

/** Runs SQL (one or more statements) and returns the last statement's result. */
export async function executeQuery(session: Session, sql: string, options: ExecuteOptions = {}): Promise<QueryResult> {
  const calls = findDeltaScanCalls(sql);
  if (calls.length === 0) return session.query(sql);
  const id = randomUUID().replace(/-/g, '').slice(0, 12);
  const cleanup: string[] = [];
  try {
    const predicates = await extractScanPredicates(session, sql);
    let rewritten = '';
    let cursor = 0;
    for (const [n, call] of calls.entries()) {
      const location = path.resolve(options.baseDir ?? process.cwd(), call.path);
      const snapshot = await loadSnapshot(location, { version: call.version, timestamp: call.timestamp, session, name: call.path });
      const files = pruneFiles(snapshot, predicates.get(call.start));
      const scan = await planScan(snapshot, session, { id: `${id}_${n}`, files });
      options.onScan?.({ table: call.path, version: snapshot.version, filesTotal: scan.filesTotal, filesScanned: scan.filesScanned });
      cleanup.push(...scan.cleanup);
      rewritten += sql.slice(cursor, call.start) + `(${scan.sql})${call.hasAlias ? '' : ' AS delta_scan'}`;
      cursor = call.end;
    }
    rewritten += sql.slice(cursor);
    return await session.query(rewritten);
  } finally {
    for (const statement of cleanup) await session.exec(statement).catch(() => undefined);
  }
}
