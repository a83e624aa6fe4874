// Conflict detection for optimistic concurrency (PROTOCOL.md and Delta's
// ConflictChecker): when another writer won the race for a version, decide from
// what that commit did whether ours may simply take the next version.
import { StrataError } from '../core/index.js';
import type { Action, AddAction } from './actions.js';
import { canonicalPath } from './replay.js';

/** What our transaction did and depended on. */
export interface TransactionFootprint {
  /** Blind appends (no file read, none removed) never conflict with data changes. */
  readWholeTable: boolean;
  /** Files we read to decide what to write (canonical paths). */
  readFiles: Set<string>;
  /** Files we removed (canonical paths). */
  removedFiles: Set<string>;
  /** Whether we change metadata or protocol. */
  changesMetadata: boolean;
  /** App ids of our txn actions. */
  appIds: Set<string>;
  /** For partition-level reads: does an added file fall in what we read? Default: all do. */
  readsFile?: (add: AddAction) => boolean;
}

export class ConcurrentModificationError extends StrataError {
  constructor(table: string, version: number, reason: string) {
    super('CONFLICT', `table ${table}: a concurrent commit (version ${version}) conflicts with this one: ${reason}`, {
      context: { table, version },
    });
    this.name = 'ConcurrentModificationError';
  }
}

/** Throws ConcurrentModificationError if the winning commit conflicts with ours. */
export function checkConflicts(
  table: string,
  root: string,
  ours: TransactionFootprint,
  winning: Action[],
  winningVersion: number,
): void {
  const fail = (reason: string) => {
    throw new ConcurrentModificationError(table, winningVersion, reason);
  };
  for (const action of winning) {
    if (action.protocol) fail('it changed the table protocol');
    if (action.metaData) fail('it changed the table metadata (schema, partitioning or properties)');
    if (action.txn && ours.appIds.has(action.txn.appId))
      fail(`it committed for the same application id '${action.txn.appId}'`);
  }
  const readsAnything =
    ours.readWholeTable || ours.readFiles.size > 0 || ours.removedFiles.size > 0 || ours.changesMetadata;
  if (!readsAnything) return; // a blind append
  for (const action of winning) {
    if (action.remove) {
      const p = canonicalPath(root, action.remove.path);
      if (ours.removedFiles.has(p)) fail(`it also removed ${action.remove.path}`);
      if (ours.readFiles.has(p)) fail(`it removed ${action.remove.path}, which this commit read`);
    }
    if (action.add && action.add.dataChange !== false && (ours.readWholeTable || ours.changesMetadata)) {
      if (!ours.readsFile || ours.readsFile(action.add)) fail(`it added ${action.add.path} to data this commit read`);
    }
  }
}
