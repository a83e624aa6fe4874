// A snapshot: the state of a table at one version — protocol, metadata, schema
// and live files — built from the newest checkpoint plus the commits after it.
import * as path from 'node:path';
import { StrataError } from '../core/index.js';
import { sharedEngine, type Session } from '../engine/index.js';
import { LocalStore, type ObjectStore } from '../storage/index.js';
import type {
  AddAction,
  CommitInfo,
  DomainMetadataAction,
  MetadataAction,
  ProtocolAction,
  RemoveAction,
  TxnAction,
} from './actions.js';
import {
  buildSegment,
  lastCheckpointHint,
  listLog,
  LOG_DIR,
  type CommitFile,
  type LogListing,
  versionStem,
} from './log-segment.js';
import { duckdbRowReader, readCheckpoint, readCommit, type ParquetRowReader } from './log-reader.js';
import { checkReadable } from './protocol.js';
import { applyActions, emptyState, findCommitInfo, type ReplayState } from './replay.js';
import { columnMappingMode, parseSchema, type ColumnMappingMode, type StructType } from './schema.js';

export interface Snapshot {
  /** The table as the user named it (for messages). */
  readonly table: string;
  readonly store: ObjectStore;
  readonly version: number;
  /** Commit timestamp of this version, ms since the epoch (undefined if unknown). */
  readonly timestamp: number | undefined;
  readonly protocol: ProtocolAction;
  readonly metadata: MetadataAction;
  readonly schema: StructType;
  readonly partitionColumns: string[];
  readonly columnMapping: ColumnMappingMode;
  /** Live data files. */
  readonly files: AddAction[];
  /** Removed files not yet expired from the log. */
  readonly tombstones: RemoveAction[];
  readonly txns: Map<string, TxnAction>;
  readonly domains: Map<string, DomainMetadataAction>;
}

export interface SnapshotOptions {
  /** Read this version instead of the latest. */
  version?: number;
  /** Read the latest version committed at or before this time. */
  timestamp?: string | number | Date;
  /** DuckDB session for Parquet checkpoints (default: the process engine). */
  session?: Session;
  /** The store to read through (default: a LocalStore on the path). */
  store?: ObjectStore;
  /** How messages name the table (default: the location). */
  name?: string;
}

/**
 * Opens a store on a table path, with clear errors for missing or non-Delta
 * folders. Keys are flat: a folder is there when an object lies under it, so an
 * empty folder counts as missing, and an empty _delta_log as no _delta_log.
 */
export async function openTableStore(location: string, name = location): Promise<LocalStore> {
  const root = location.startsWith('file:') ? new URL(location.replace(/^file:\/*/, 'file:///')).pathname : location;
  const abs = path.resolve(root);
  const store = new LocalStore(abs);
  if ((await store.list(`${LOG_DIR}/`, { limit: 1 })).length > 0) return store;
  // Not a table: say why.
  if (await new LocalStore(path.dirname(abs)).head(path.basename(abs))) {
    throw new StrataError('NOT_A_TABLE', `${name} is not a Delta table: it is a file, not a folder`, {
      context: { table: name },
    });
  }
  if ((await store.list('', { limit: 1 })).length === 0) {
    throw new StrataError('TABLE_NOT_FOUND', `no table at ${name}: the folder does not exist`, {
      context: { table: name },
    });
  }
  throw new StrataError('NOT_A_TABLE', `${name} is not a Delta table: it has no ${LOG_DIR} folder`, {
    context: { table: name },
  });
}

/** Loads the snapshot of a table at the latest version, a version, or a timestamp. */
export async function loadSnapshot(location: string, options: SnapshotOptions = {}): Promise<Snapshot> {
  const table = options.name ?? location;
  const store = options.store ?? (await openTableStore(location, table));
  let version = options.version;
  const latest = version === undefined && options.timestamp === undefined;
  if (latest) {
    const cached = await fromCache(store, table);
    if (cached) return cached;
  }
  let listing: LogListing | undefined;
  if (options.timestamp !== undefined) {
    if (version !== undefined)
      throw new StrataError('USAGE', `table ${table}: give a version or a timestamp, not both`);
    listing = await listLog(store, table);
    version = await versionAtTimestamp(store, listing, table, options.timestamp);
  } else {
    listing = await listFromHint(store, table, version);
  }
  listing ??= await listLog(store, table);
  const run = async (reader: ParquetRowReader) => {
    const replayed = await replaySegment(store, listing, table, version, reader);
    if (latest) remember(store, listing, replayed);
    return toSnapshot(store, table, replayed);
  };
  if (options.session) return run(duckdbRowReader(options.session));
  const engine = await sharedEngine();
  return engine.withSession((session) => run(duckdbRowReader(session)));
}

/**
 * A long log is listed from the checkpoint `_last_checkpoint` names, not from
 * version 0. The hint is checked against the listing; if it is stale or wrong,
 * the caller lists everything.
 */
async function listFromHint(
  store: ObjectStore,
  table: string,
  version: number | undefined,
): Promise<LogListing | undefined> {
  const hint = await lastCheckpointHint(store);
  if (hint === undefined || hint === 0 || (version !== undefined && version < hint)) return undefined;
  try {
    const listing = await listLog(store, table, hint);
    buildSegment(listing, table, version);
    return listing;
  } catch {
    return undefined;
  }
}

/** A replayed log: the state at a version, with what dates it. */
interface Replayed {
  version: number;
  state: ReplayState;
  lastInfo: CommitInfo | undefined;
  lastModified: number | undefined;
}

async function replaySegment(
  store: ObjectStore,
  listing: LogListing,
  table: string,
  version: number | undefined,
  reader: ParquetRowReader,
): Promise<Replayed> {
  const segment = buildSegment(listing, table, version);
  const state = emptyState();
  if (segment.checkpoint) {
    const actions = await readCheckpoint(store, segment.checkpoint.keys, reader, table);
    applyActions(state, actions, store.root, segment.checkpoint.keys[0], table);
    const name = `checkpoint ${versionStem(segment.checkpoint.version)}`;
    if (!state.protocol)
      throw new StrataError('CHECKPOINT_INVALID', `table ${table}: ${name} has no protocol action`, {
        context: { table, version: segment.checkpoint.version },
      });
    if (!state.metadata)
      throw new StrataError('CHECKPOINT_INVALID', `table ${table}: ${name} has no metaData action`, {
        context: { table, version: segment.checkpoint.version },
      });
  }
  const replayed: Replayed = { version: segment.version, state, lastInfo: undefined, lastModified: undefined };
  await applyCommits(store, table, replayed, segment.commits);
  if (segment.commits.length === 0) {
    // The snapshot sits on a checkpoint; its commit may still be in the log.
    const commit = listing.commits.find((c) => c.version === segment.version);
    if (commit) {
      replayed.lastInfo = findCommitInfo(await readCommit(store, commit.key, table));
      replayed.lastModified = commit.modified;
    }
  }
  return replayed;
}

/**
 * Applies commits in version order. They are read ahead in parallel (a long
 * log without a checkpoint is many small files) and applied strictly in order.
 */
async function applyCommits(
  store: ObjectStore,
  table: string,
  replayed: Replayed,
  commits: CommitFile[],
): Promise<void> {
  const READ_AHEAD = 32;
  for (let i = 0; i < commits.length; i += READ_AHEAD) {
    const batch = commits.slice(i, i + READ_AHEAD);
    const read = await Promise.all(batch.map((c) => readCommit(store, c.key, table)));
    batch.forEach((commit, j) => {
      applyActions(replayed.state, read[j], store.root, commit.key, table);
      replayed.lastInfo = findCommitInfo(read[j]);
      replayed.lastModified = commit.modified;
      replayed.version = commit.version;
    });
  }
}

function toSnapshot(store: ObjectStore, table: string, { version, state, lastInfo, lastModified }: Replayed): Snapshot {
  if (!state.protocol)
    throw new StrataError('LOG_CORRUPT', `table ${table}: no protocol action found up to version ${version}`, {
      context: { table, version },
    });
  if (!state.metadata)
    throw new StrataError('LOG_CORRUPT', `table ${table}: no metaData action found up to version ${version}`, {
      context: { table, version },
    });
  checkReadable(table, state.protocol, state.metadata);
  const metadata = {
    ...state.metadata,
    configuration: state.metadata.configuration ?? {},
    partitionColumns: state.metadata.partitionColumns ?? [],
  };
  let schema: StructType | undefined;
  return {
    table,
    store,
    version,
    timestamp: commitTimestamp(lastInfo, lastModified),
    protocol: state.protocol,
    metadata,
    // Parsed on first use: log-only tools (history, file listings) need no schema.
    get schema() {
      return (schema ??= parseSchema(metadata.schemaString, table));
    },
    partitionColumns: metadata.partitionColumns,
    columnMapping: columnMappingMode(metadata.configuration),
    files: [...state.files.values()],
    tombstones: [...state.tombstones.values()],
    txns: new Map(state.txns),
    domains: new Map(state.domains),
  };
}

/**
 * The latest state of recently read tables, so that the next read of a table
 * replays only the commits since (a statement reads its table several times,
 * and a process reads the same tables again and again). An entry is used only
 * while the commit it was built from is still in the log, unchanged (same
 * modification time): a table deleted and created again starts over.
 */
interface CacheEntry {
  replayed: Replayed;
  /** Modification time of the commit file of `replayed.version`. */
  modified: number;
}
const snapshotCache = new Map<string, CacheEntry>();
const SNAPSHOT_CACHE_LIMIT = 64;

function cloneState(state: ReplayState): ReplayState {
  return {
    ...state,
    files: new Map(state.files),
    tombstones: new Map(state.tombstones),
    txns: new Map(state.txns),
    domains: new Map(state.domains),
  };
}

function remember(store: ObjectStore, listing: LogListing, replayed: Replayed): void {
  const commit = listing.commits.find((c) => c.version === replayed.version);
  if (!commit || commit.modified === undefined || !store.root) return;
  snapshotCache.delete(store.root);
  if (snapshotCache.size >= SNAPSHOT_CACHE_LIMIT) snapshotCache.delete(snapshotCache.keys().next().value!);
  snapshotCache.set(store.root, {
    replayed: { ...replayed, state: cloneState(replayed.state) },
    modified: commit.modified,
  });
}

async function fromCache(store: ObjectStore, table: string): Promise<Snapshot | undefined> {
  const entry = snapshotCache.get(store.root);
  if (!entry) return undefined;
  const listing = await listLog(store, table, entry.replayed.version).catch(() => undefined);
  const base = listing?.commits.find((c) => c.version === entry.replayed.version);
  if (!listing || !base || base.modified !== entry.modified) {
    snapshotCache.delete(store.root);
    return undefined;
  }
  const newer = listing.commits.filter((c) => c.version > entry.replayed.version).sort((a, b) => a.version - b.version);
  if (newer.some((c, i) => c.version !== entry.replayed.version + 1 + i)) return undefined; // a gap: let the full path report it
  const replayed: Replayed = {
    ...entry.replayed,
    state: newer.length > 0 ? cloneState(entry.replayed.state) : entry.replayed.state,
  };
  await applyCommits(store, table, replayed, newer);
  if (newer.length > 0) remember(store, listing, replayed);
  return toSnapshot(store, table, replayed);
}

/** A commit's time: in-commit timestamp, else commitInfo.timestamp, else the file's mtime. */
export function commitTimestamp(info: CommitInfo | undefined, modified: number | undefined): number | undefined {
  const ict = info?.inCommitTimestamp;
  if (typeof ict === 'number') return ict;
  if (typeof info?.timestamp === 'number') return info.timestamp;
  return modified === undefined ? undefined : Math.floor(modified);
}

/** Parses a user timestamp: ISO text (no zone = UTC), epoch ms, or a Date. */
export function parseTimestamp(value: string | number | Date, table: string): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  const text = value.trim();
  const iso = /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(text)
    ? `${text.replace(' ', 'T')}${text.length <= 10 ? 'T00:00:00' : ''}Z`
    : text;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms))
    throw new StrataError('USAGE', `table ${table}: '${value}' is not a timestamp (use 'YYYY-MM-DD HH:MM:SS', UTC)`, {
      context: { table },
    });
  return ms;
}

/** The version current at a point in time: the last commit at or before it. */
async function versionAtTimestamp(
  store: ObjectStore,
  listing: LogListing,
  table: string,
  at: string | number | Date,
): Promise<number> {
  const ms = parseTimestamp(at, table);
  const history = await commitTimestamps(store, listing, table);
  let found: number | undefined;
  for (const entry of history) if (entry.timestamp <= ms) found = entry.version;
  if (found === undefined) {
    const first = history[0];
    throw new StrataError(
      'VERSION_NOT_FOUND',
      `table ${table}: no version exists at ${new Date(ms).toISOString()}; the earliest available version ${first?.version ?? 0} was committed at ${first ? new Date(first.timestamp).toISOString() : 'an unknown time'}`,
      { context: { table } },
    );
  }
  return found;
}

/** Commit timestamps of every commit still in the log, ascending by version. */
export async function commitTimestamps(
  store: ObjectStore,
  listing: LogListing,
  table: string,
): Promise<{ version: number; timestamp: number }[]> {
  const out: { version: number; timestamp: number }[] = [];
  let previous = -Infinity;
  for (const commit of listing.commits) {
    const info = findCommitInfo(await readCommit(store, commit.key, table));
    // Like Spark, keep timestamps monotonic so that time travel is well defined.
    const ts = Math.max(commitTimestamp(info, commit.modified) ?? 0, previous + 1);
    out.push({ version: commit.version, timestamp: ts });
    previous = ts;
  }
  return out;
}
