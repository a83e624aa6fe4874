// Describing a table and its history: the facts `strata table describe` and
// `strata table history` print, as plain data.
import { StrataError } from '../core/index.js';
import { findCommitInfo } from './replay.js';
import { readCommit } from './log-reader.js';
import { listLog } from './log-segment.js';
import { commitTimestamp, openTableStore, type Snapshot } from './snapshot.js';
import { deltaTypeText } from './schema.js';

export interface TableDetail {
  location: string;
  id: string;
  name: string | null;
  description: string | null;
  version: number;
  createdAt: string | null;
  lastModified: string | null;
  columns: { name: string; type: string; nullable: boolean; comment: string | null; partition: boolean }[];
  partitionColumns: string[];
  protocol: { minReaderVersion: number; minWriterVersion: number; readerFeatures: string[]; writerFeatures: string[] };
  properties: Record<string, string>;
  numFiles: number;
  sizeInBytes: number;
  numRecords: number | null;
}

export function describeSnapshot(snapshot: Snapshot): TableDetail {
  const { metadata, protocol } = snapshot;
  let numRecords: number | null = 0;
  for (const file of snapshot.files) {
    const count = recordCount(file.stats);
    if (count === undefined || numRecords === null) numRecords = null;
    else numRecords += count - (file.deletionVector?.cardinality ?? 0);
  }
  const partition = new Set(snapshot.partitionColumns);
  return {
    location: snapshot.store.root,
    id: metadata.id,
    name: metadata.name ?? null,
    description: metadata.description ?? null,
    version: snapshot.version,
    createdAt: metadata.createdTime ? new Date(metadata.createdTime).toISOString() : null,
    lastModified: snapshot.timestamp !== undefined ? new Date(snapshot.timestamp).toISOString() : null,
    columns: snapshot.schema.fields.map((f) => ({
      name: f.name,
      type: deltaTypeText(f.type),
      nullable: f.nullable,
      comment: typeof f.metadata.comment === 'string' ? f.metadata.comment : null,
      partition: partition.has(f.name),
    })),
    partitionColumns: snapshot.partitionColumns,
    protocol: {
      minReaderVersion: protocol.minReaderVersion,
      minWriterVersion: protocol.minWriterVersion,
      readerFeatures: protocol.readerFeatures ?? [],
      writerFeatures: protocol.writerFeatures ?? [],
    },
    properties: metadata.configuration,
    numFiles: snapshot.files.length,
    sizeInBytes: snapshot.files.reduce((s, f) => s + (Number(f.size) || 0), 0),
    numRecords,
  };
}

function recordCount(stats: string | null | undefined): number | undefined {
  if (!stats) return undefined;
  try {
    const n = (JSON.parse(stats) as { numRecords?: number }).numRecords;
    return typeof n === 'number' ? n : undefined;
  } catch {
    return undefined;
  }
}

export interface HistoryEntry {
  version: number;
  timestamp: string | null;
  operation: string | null;
  operationParameters: Record<string, unknown>;
  operationMetrics: Record<string, unknown>;
  engineInfo: string | null;
  isBlindAppend: boolean | null;
  readVersion: number | null;
  isolationLevel: string | null;
}

/** The commits still in the log, newest first. */
export async function tableHistory(location: string, limit?: number, name = location): Promise<HistoryEntry[]> {
  const store = await openTableStore(location, name);
  const listing = await listLog(store, name);
  const commits = [...listing.commits].reverse().slice(0, limit ?? Infinity);
  if (commits.length === 0) {
    throw new StrataError('LOG_CORRUPT', `table ${name}: the log holds only checkpoints, no commits to show`, {
      context: { table: name },
    });
  }
  const out: HistoryEntry[] = [];
  for (const commit of commits) {
    const info = findCommitInfo(await readCommit(store, commit.key, name));
    const ts = commitTimestamp(info, commit.modified);
    out.push({
      version: commit.version,
      timestamp: ts === undefined ? null : new Date(ts).toISOString(),
      operation: info?.operation ?? null,
      operationParameters: (info?.operationParameters as Record<string, unknown>) ?? {},
      operationMetrics: (info?.operationMetrics as Record<string, unknown>) ?? {},
      engineInfo: info?.engineInfo ?? null,
      isBlindAppend: typeof info?.isBlindAppend === 'boolean' ? info.isBlindAppend : null,
      readVersion: typeof info?.readVersion === 'number' ? info.readVersion : null,
      isolationLevel: typeof info?.isolationLevel === 'string' ? info.isolationLevel : null,
    });
  }
  return out;
}
