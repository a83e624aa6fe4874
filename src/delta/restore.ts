// RESTORE TABLE ... TO VERSION AS OF n: a new commit whose state equals an
// older version's — files added since are removed, files removed since are
// added back (their data must still be there: VACUUM may have deleted it).
import { StrataError } from '../core/index.js';
import type { Session } from '../engine/index.js';
import type { ObjectStore } from '../storage/index.js';
import type { Action, AddAction } from './actions.js';
import { blindAppend, commit } from './commit.js';
import { dvUniqueId } from './deletion-vector.js';
import { localPathStore } from './local-paths.js';
import { canonicalPath, fileObject } from './replay.js';
import { loadSnapshot } from './snapshot.js';
import { checkWritable, mergeProtocol, protocolCovers } from './table-features.js';
import { afterCommit, removeOf, type TableRef } from './write.js';

export interface RestoreOutcome {
  version: number;
  restoredVersion: number;
  numRemovedFiles: number;
  numRestoredFiles: number;
}

/** What a restore that undoes an unfinished operation (a cancelled pipeline update) adds to a plain RESTORE. */
export interface RollbackOptions {
  /**
   * The target version's stream progress too: every txn action (application id → version) set
   * back to what the target version had — one the target did not have goes back to `absent(appId)`.
   * A plain RESTORE keeps them, as Delta's does.
   */
  txns?: { absent: (appId: string) => number };
  /** Extra commitInfo fields (say why, for readers that care). */
  info?: Record<string, unknown>;
}

export async function restoreTable(
  session: Session,
  ref: TableRef,
  to: { version?: number; timestamp?: string },
  now: () => number = Date.now,
  rollback: RollbackOptions = {},
): Promise<RestoreOutcome> {
  const table = ref.name ?? ref.location;
  const current = await loadSnapshot(ref.location, { session, name: table });
  checkWritable(table, current.protocol, current.schema);
  const target = await loadSnapshot(ref.location, {
    session,
    name: table,
    version: to.version,
    timestamp: to.timestamp,
  });
  if (target.version === current.version) {
    throw new StrataError('USAGE', `table ${table} is already at version ${target.version}`, { context: { table } });
  }
  const key = (f: AddAction) =>
    `${canonicalPath(current.store.root, f.path)}\u0000${f.deletionVector ? dvUniqueId(f.deletionVector) : ''}`;
  const now0 = now();
  const inTarget = new Map(target.files.map((f) => [key(f), f]));
  const inCurrent = new Map(current.files.map((f) => [key(f), f]));
  const toRemove = current.files.filter((f) => !inTarget.has(key(f)));
  const toAdd = target.files.filter((f) => !inCurrent.has(key(f)));
  for (const f of toAdd) {
    if (!(await exists(current.store, f.path))) {
      throw new StrataError(
        'STORAGE',
        `cannot restore table ${table} to version ${target.version}: its data file ${f.path} no longer exists (removed by VACUUM)`,
        { context: { table, version: target.version, file: f.path } },
      );
    }
  }
  const actions: Action[] = [];
  const metadataChanged =
    target.metadata.schemaString !== current.metadata.schemaString ||
    JSON.stringify(target.metadata.partitionColumns) !== JSON.stringify(current.metadata.partitionColumns) ||
    JSON.stringify(target.metadata.configuration) !== JSON.stringify(current.metadata.configuration);
  // The protocol never goes down: a reader of the newer version must still be able to read.
  if (!protocolCovers(current.protocol, target.protocol))
    actions.push({ protocol: mergeProtocol(current.protocol, target.protocol) });
  if (metadataChanged) actions.push({ metaData: target.metadata });
  for (const f of toRemove) actions.push({ remove: removeOf(f, now0) });
  for (const f of toAdd) actions.push({ add: { ...f, dataChange: true, modificationTime: now0 } });
  if (rollback.txns)
    for (const [appId, t] of current.txns) {
      const version = target.txns.get(appId)?.version ?? rollback.txns.absent(appId);
      if (version !== t.version) actions.push({ txn: { appId, version, lastUpdated: now0 } });
    }
  const size = (files: AddAction[]) => files.reduce((s, f) => s + (Number(f.size) || 0), 0);
  const result = await commit(current.store, table, current.version, {
    operation: 'RESTORE',
    operationParameters: to.version !== undefined ? { version: to.version } : { timestamp: to.timestamp },
    operationMetrics: {
      tableSizeAfterRestore: size(target.files),
      numOfFilesAfterRestore: target.files.length,
      numRemovedFiles: toRemove.length,
      numRestoredFiles: toAdd.length,
      removedFilesSize: size(toRemove),
      restoredFilesSize: size(toAdd),
    },
    actions,
    footprint: { ...blindAppend(), readWholeTable: true, changesMetadata: metadataChanged },
    info: rollback.info,
  });
  await afterCommit(
    session,
    localPathStore(current.store, table),
    table,
    result.version,
    target.metadata.configuration,
  );
  return {
    version: result.version,
    restoredVersion: target.version,
    numRemovedFiles: toRemove.length,
    numRestoredFiles: toAdd.length,
  };
}

/** Whether the file a log path names is there (in the table folder or wherever an absolute path points). */
async function exists(store: ObjectStore, logPath: string): Promise<boolean> {
  try {
    const at = fileObject(store, logPath);
    return (await at.store.head(at.key)) !== undefined;
  } catch {
    return false;
  }
}
