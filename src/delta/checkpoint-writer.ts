// Writing classic Parquet checkpoints: the live state of a table at a version
// (protocol, metaData, app transactions, domain metadata, live files and
// unexpired tombstones) in one Parquet file, then _last_checkpoint pointing at
// it. Checkpoints only speed up reading; a failed one leaves the table intact.
import { randomUUID } from 'node:crypto';
import { quoteLiteral, type Session } from '../engine/index.js';
import type { LocalPathStore } from '../storage/index.js';
import type { Action } from './actions.js';
import { LOG_DIR, versionStem } from './log-segment.js';
import type { Snapshot } from './snapshot.js';

const DV =
  'STRUCT(storageType VARCHAR, pathOrInlineDv VARCHAR, "offset" INTEGER, sizeInBytes INTEGER, cardinality BIGINT, maxRowIndex BIGINT)';
const MAP = 'MAP(VARCHAR, VARCHAR)';

/** The classic checkpoint schema (PROTOCOL.md, "Checkpoint Schema"). */
const CHECKPOINT_COLUMNS: Record<string, string> = {
  txn: 'STRUCT(appId VARCHAR, "version" BIGINT, lastUpdated BIGINT)',
  add: `STRUCT(path VARCHAR, partitionValues ${MAP}, size BIGINT, modificationTime BIGINT, dataChange BOOLEAN, stats VARCHAR, tags ${MAP}, deletionVector ${DV}, baseRowId BIGINT, defaultRowCommitVersion BIGINT, clusteringProvider VARCHAR)`,
  remove: `STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, extendedFileMetadata BOOLEAN, partitionValues ${MAP}, size BIGINT, tags ${MAP}, deletionVector ${DV}, baseRowId BIGINT, defaultRowCommitVersion BIGINT)`,
  metaData: `STRUCT(id VARCHAR, "name" VARCHAR, description VARCHAR, format STRUCT(provider VARCHAR, "options" ${MAP}), schemaString VARCHAR, partitionColumns VARCHAR[], "configuration" ${MAP}, createdTime BIGINT)`,
  protocol:
    'STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER, readerFeatures VARCHAR[], writerFeatures VARCHAR[])',
  domainMetadata: 'STRUCT(domain VARCHAR, "configuration" VARCHAR, removed BOOLEAN)',
};

export interface CheckpointResult {
  version: number;
  actions: number;
  sizeInBytes: number;
}

/** The actions a checkpoint of this snapshot holds. */
export function checkpointActions(snapshot: Snapshot, now: number): Action[] {
  const retentionMs =
    parseInterval(snapshot.metadata.configuration['delta.deletedFileRetentionDuration']) ?? 7 * 24 * 3600 * 1000;
  const actions: Action[] = [{ protocol: snapshot.protocol }, { metaData: snapshot.metadata }];
  for (const txn of snapshot.txns.values()) actions.push({ txn });
  for (const domainMetadata of snapshot.domains.values()) actions.push({ domainMetadata });
  for (const add of snapshot.files) actions.push({ add: { ...add, dataChange: false } });
  for (const remove of snapshot.tombstones) {
    // Tombstones are kept until VACUUM may delete their files.
    if ((remove.deletionTimestamp ?? 0) >= now - retentionMs)
      actions.push({ remove: { ...remove, dataChange: false } });
  }
  return actions;
}

/**
 * Writes `<version>.checkpoint.parquet` and `_last_checkpoint` for a snapshot.
 * DuckDB turns the actions (JSON lines) into Parquet by path, so the store needs
 * local paths: the two files are staged under temporary keys (which listings
 * skip) and the checkpoint is then put under its name whole, never seen half
 * written. A remote store will need these staging files in a local folder.
 */
export async function writeCheckpoint(
  session: Session,
  store: LocalPathStore,
  snapshot: Snapshot,
  now = Date.now(),
): Promise<CheckpointResult> {
  const actions = checkpointActions(snapshot, now);
  const stem = versionStem(snapshot.version);
  const tmpJsonKey = `${LOG_DIR}/.strata-tmp-${randomUUID()}.json`;
  const tmpParquetKey = `${LOG_DIR}/.strata-tmp-${randomUUID()}.parquet`;
  const finalKey = `${LOG_DIR}/${stem}.checkpoint.parquet`;
  try {
    await store.put(tmpJsonKey, actions.map((a) => JSON.stringify(a)).join('\n') + '\n');
    const columns = Object.entries(CHECKPOINT_COLUMNS)
      .map(([name, type]) => `${quoteLiteral(name)}: ${quoteLiteral(type)}`)
      .join(', ');
    await session.exec(
      `COPY (SELECT * FROM read_json(${quoteLiteral(store.localPath(tmpJsonKey))}, format = 'newline_delimited', columns = {${columns}}, maximum_object_size = 1073741824)) ` +
        `TO ${quoteLiteral(store.localPath(tmpParquetKey))} (FORMAT parquet, COMPRESSION 'snappy')`,
    );
    await store.put(finalKey, await store.get(tmpParquetKey));
  } finally {
    await store.delete(tmpJsonKey);
    await store.delete(tmpParquetKey);
  }
  const sizeInBytes = (await store.head(finalKey))?.size ?? 0;
  const numOfAddFiles = snapshot.files.length;
  await store.put(
    `${LOG_DIR}/_last_checkpoint`,
    JSON.stringify({ version: snapshot.version, size: actions.length, sizeInBytes, numOfAddFiles }),
  );
  return { version: snapshot.version, actions: actions.length, sizeInBytes };
}

/** Spark's interval text ('interval 7 days', '30 days', '168 hours') in milliseconds. */
export function parseInterval(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const m = /^\s*(?:interval\s+)?(\d+)\s*(millisecond|second|minute|hour|day|week)s?\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = { millisecond: 1, second: 1e3, minute: 6e4, hour: 3.6e6, day: 8.64e7, week: 6.048e8 }[
    m[2].toLowerCase() as 'day'
  ];
  return Number(m[1]) * unit;
}
