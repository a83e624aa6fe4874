// The commit protocol. A commit is put-if-absent of _delta_log/<version>.json:
// exactly one writer wins each version. A writer that loses reads the winning
// commit, checks it for a real conflict (conflicts.ts) and, if there is none,
// tries the next version, up to a limit.
//
//   read snapshot (v) ──► write data files ──► put-if-absent v+1.json
//                                                │ won: done
//                                                └ lost: read v+1, conflict? ──yes──► fail
//                                                                  └ no: try v+2 ...
import { randomUUID } from 'node:crypto';
import { StrataError } from '../core/index.js';
import type { ObjectStore } from '../storage/index.js';
import type { Action, CommitInfo } from './actions.js';
import { checkConflicts, type TransactionFootprint } from './conflicts.js';
import { readCommit } from './log-reader.js';
import { commitKey } from './log-segment.js';

export const ENGINE_INFO = 'Strata/0.1.0';

export interface CommitRequest {
  /** Spark's operation names: 'WRITE', 'CREATE TABLE', 'CREATE TABLE AS SELECT', 'DELETE', ... */
  operation: string;
  operationParameters?: Record<string, unknown>;
  operationMetrics?: Record<string, unknown>;
  /** The actions, commitInfo excluded. */
  actions: Action[];
  footprint: TransactionFootprint;
  /** Extra commitInfo fields (the protocol lets writers add their own; readers ignore them). */
  info?: Record<string, unknown>;
}

export interface CommitOptions {
  /** Attempts after the first lost race. */
  maxRetries?: number;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
}

export interface CommitResult {
  version: number;
  /** Lost races that were retried. */
  retries: number;
  commitInfo: CommitInfo;
}

/**
 * Commits actions on top of `readVersion` (-1 when creating the table).
 * Throws ConcurrentModificationError on a real conflict, ALREADY_EXISTS when
 * creating a table someone else created first.
 */
export async function commit(
  store: ObjectStore,
  table: string,
  readVersion: number,
  request: CommitRequest,
  options: CommitOptions = {},
): Promise<CommitResult> {
  const maxRetries = options.maxRetries ?? 20;
  const now = options.now ?? Date.now;
  const txnId = randomUUID();
  let version = readVersion + 1;
  for (let retries = 0; ; retries++) {
    const commitInfo: CommitInfo = {
      timestamp: now(),
      operation: request.operation,
      operationParameters: stringValues(request.operationParameters ?? {}),
      ...(request.operationMetrics ? { operationMetrics: stringValues(request.operationMetrics) } : {}),
      readVersion: readVersion >= 0 ? readVersion : undefined,
      isolationLevel: 'Serializable',
      isBlindAppend: isBlindAppend(request),
      engineInfo: ENGINE_INFO,
      txnId,
      ...(request.info ?? {}),
    };
    const lines = [{ commitInfo }, ...request.actions].map((a) => JSON.stringify(a));
    if (await store.putIfAbsent(commitKey(version), `${lines.join('\n')}\n`)) {
      return { version, retries, commitInfo };
    }
    if (version === 0) {
      throw new StrataError('ALREADY_EXISTS', `table ${table} already exists (another writer created it first)`, {
        context: { table },
      });
    }
    if (retries >= maxRetries) {
      throw new StrataError(
        'CONFLICT',
        `table ${table}: gave up after ${maxRetries} lost races for version ${version}`,
        { context: { table, version } },
      );
    }
    const winning = await readCommit(store, commitKey(version), table);
    checkConflicts(table, store.root, request.footprint, winning, version);
    version++;
  }
}

function isBlindAppend(request: CommitRequest): boolean {
  const f = request.footprint;
  return (
    !f.readWholeTable && f.readFiles.size === 0 && f.removedFiles.size === 0 && !request.actions.some((a) => a.remove)
  );
}

/** Spark records operation parameters and metrics as strings. */
function stringValues(obj: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

/** A footprint for a blind append. */
export function blindAppend(appIds: string[] = []): TransactionFootprint {
  return {
    readWholeTable: false,
    readFiles: new Set(),
    removedFiles: new Set(),
    changesMetadata: false,
    appIds: new Set(appIds),
  };
}
