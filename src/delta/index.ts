// delta: the Delta Lake protocol — log, replay, snapshots, scans.
export * from './actions.js';
export * from './schema.js';
export * from './snapshot.js';
export * from './log-segment.js';
export { checkReadable, SUPPORTED_READER_FEATURES } from './protocol.js';
export { canonicalPath } from './replay.js';
export { planScan, type ScanPlan } from './scan.js';
export { describeSnapshot, tableHistory, type TableDetail, type HistoryEntry } from './describe.js';
export { pruneFiles, type Predicate, type Literal } from './prune.js';
export {
  createTable,
  writeTable,
  type WriteOutcome,
  type CreateTableOptions,
  type WriteTableOptions,
} from './write.js';
export { commit, type CommitRequest } from './commit.js';
export { ConcurrentModificationError } from './conflicts.js';
export { writeCheckpoint } from './checkpoint-writer.js';
export { alterTable, type AlterChange } from './alter.js';
export { blindAppend as blindAppendFootprint } from './commit.js';
export { cleanUpExpiredLogs } from './log-cleanup.js';
export { deleteRows, updateRows, type DmlOutcome } from './dml.js';
export { FILE_COLUMN } from './scan.js';
export { restoreTable, type RestoreOutcome } from './restore.js';
export { vacuumTable, type VacuumOutcome } from './vacuum.js';
export { optimizeTable, type OptimizeOutcome } from './optimize.js';
export { mergeInto, type MergeClause, type MergeOutcome } from './merge.js';
export { planTableChanges } from './table-changes.js';
export { changeDataFeedEnabled } from './change-data.js';
export { readCommit, readCommitInfos } from './log-reader.js';
export { deltaTypeOf, schemaToJson } from './schema-from-engine.js';
export { filesForKeys, replaceKeys, type ReplaceKeysOutcome } from './replace-keys.js';
