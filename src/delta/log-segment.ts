// The log segment: which files of _delta_log make up a snapshot. From a listing
// of the log it picks the newest complete checkpoint at or below the wanted
// version and the contiguous commits after it. _last_checkpoint is only a hint
// (the listing is the truth), so a stale or missing hint never changes a result.
import { StrataError } from '../core/index.js';
import type { ObjectMeta, ObjectStore } from '../storage/index.js';

export const LOG_DIR = '_delta_log';

export interface CommitFile {
  version: number;
  key: string;
  modified: number;
}

export interface CheckpointFiles {
  version: number;
  kind: 'classic' | 'multi-part' | 'v2';
  /** Keys of all parts, in part order. */
  keys: string[];
}

export interface LogListing {
  commits: CommitFile[];
  checkpoints: CheckpointFiles[];
}

export interface LogSegment {
  version: number;
  checkpoint?: CheckpointFiles;
  /** Commits after the checkpoint (or from 0), ascending and contiguous. */
  commits: CommitFile[];
}

const COMMIT_RE = /^(\d{20})\.json$/;
const CLASSIC_RE = /^(\d{20})\.checkpoint\.parquet$/;
const MULTI_RE = /^(\d{20})\.checkpoint\.(\d{10})\.(\d{10})\.parquet$/;
const V2_RE = /^(\d{20})\.checkpoint\.[0-9a-fA-F-]{36}\.(json|parquet)$/;

/** Formats a version as the 20-digit zero-padded log file stem. */
export function versionStem(version: number): string {
  return String(version).padStart(20, '0');
}

export function commitKey(version: number): string {
  return `${LOG_DIR}/${versionStem(version)}.json`;
}

/**
 * Reads the log folder's listing into commits and complete checkpoints; with
 * `fromVersion`, only the files of that version and later.
 */
export async function listLog(store: ObjectStore, table: string, fromVersion = 0): Promise<LogListing> {
  const startAfter = fromVersion > 0 ? `${LOG_DIR}/${versionStem(fromVersion - 1)}.~` : undefined;
  const entries = await store.list(`${LOG_DIR}/`, { startAfter });
  return parseListing(entries, table);
}

/** The version `_last_checkpoint` points at, if it exists and parses; only a hint. */
export async function lastCheckpointHint(store: ObjectStore): Promise<number | undefined> {
  try {
    if (!(await store.head(`${LOG_DIR}/_last_checkpoint`))) return undefined;
    const hint = JSON.parse(new TextDecoder().decode(await store.get(`${LOG_DIR}/_last_checkpoint`))) as {
      version?: unknown;
    };
    return typeof hint.version === 'number' && Number.isInteger(hint.version) && hint.version >= 0
      ? hint.version
      : undefined;
  } catch {
    return undefined;
  }
}

export function parseListing(entries: ObjectMeta[], table: string): LogListing {
  const commits: CommitFile[] = [];
  const multi = new Map<string, { version: number; total: number; parts: Map<number, string> }>();
  const checkpoints: CheckpointFiles[] = [];
  for (const entry of entries) {
    const rel = entry.key.slice(LOG_DIR.length + 1);
    if (rel.includes('/')) continue; // _sidecars, _staged_commits, ...
    let m: RegExpExecArray | null;
    if ((m = COMMIT_RE.exec(rel))) {
      commits.push({ version: Number(m[1]), key: entry.key, modified: entry.modified });
    } else if ((m = CLASSIC_RE.exec(rel))) {
      checkpoints.push({ version: Number(m[1]), kind: 'classic', keys: [entry.key] });
    } else if ((m = MULTI_RE.exec(rel))) {
      const version = Number(m[1]);
      const part = Number(m[2]);
      const total = Number(m[3]);
      const id = `${version}/${total}`;
      const group = multi.get(id) ?? { version, total, parts: new Map<number, string>() };
      group.parts.set(part, entry.key);
      multi.set(id, group);
    } else if ((m = V2_RE.exec(rel))) {
      checkpoints.push({ version: Number(m[1]), kind: 'v2', keys: [entry.key] });
    }
  }
  for (const group of multi.values()) {
    // A multi-part checkpoint counts only when every part is present.
    if (group.parts.size !== group.total) continue;
    const keys: string[] = [];
    for (let i = 1; i <= group.total; i++) {
      const key = group.parts.get(i);
      if (key === undefined) break;
      keys.push(key);
    }
    if (keys.length === group.total) checkpoints.push({ version: group.version, kind: 'multi-part', keys });
  }
  commits.sort((a, b) => a.version - b.version);
  // Newest first; at one version prefer v2, then classic, then multi-part (all equivalent).
  const rank = { v2: 0, classic: 1, 'multi-part': 2 } as const;
  checkpoints.sort((a, b) => b.version - a.version || rank[a.kind] - rank[b.kind]);
  if (commits.length === 0 && checkpoints.length === 0) {
    throw new StrataError('NOT_A_TABLE', `${table} is not a Delta table: ${LOG_DIR} holds no commits`, {
      context: { table },
    });
  }
  return { commits, checkpoints };
}

/** The newest version the listing can reach. */
export function latestVersion(listing: LogListing): number {
  const lastCommit = listing.commits.at(-1)?.version ?? -1;
  const lastCheckpoint = listing.checkpoints[0]?.version ?? -1;
  return Math.max(lastCommit, lastCheckpoint);
}

/**
 * The segment for `version` (default: latest), skipping the checkpoints in
 * `exclude` (keys of the first part), used to fall back past a bad one.
 */
export function buildSegment(
  listing: LogListing,
  table: string,
  version?: number,
  exclude: ReadonlySet<string> = new Set(),
): LogSegment {
  const latest = latestVersion(listing);
  const target = version ?? latest;
  if (!Number.isInteger(target) || target < 0) {
    throw new StrataError('VERSION_NOT_FOUND', `table ${table}: version ${target} is not a valid version`, {
      context: { table, version: target },
    });
  }
  if (target > latest) {
    throw new StrataError(
      'VERSION_NOT_FOUND',
      `table ${table}: version ${target} does not exist; the latest version is ${latest}`,
      {
        context: { table, version: target },
      },
    );
  }
  const checkpoint = listing.checkpoints.find((c) => c.version <= target && !exclude.has(c.keys[0]));
  const from = checkpoint ? checkpoint.version + 1 : 0;
  const commits = listing.commits.filter((c) => c.version >= from && c.version <= target);
  if (
    !checkpoint &&
    (commits.length === 0 || commits[0].version > 0) &&
    listing.commits.length > 0 &&
    listing.commits[0].version > 0
  ) {
    throw new StrataError(
      'VERSION_NOT_FOUND',
      `table ${table}: version ${target} can no longer be reconstructed: the log starts at version ${listing.commits[0].version} (older log files were cleaned up) and no checkpoint covers it`,
      { context: { table, version: target } },
    );
  }
  let expected = from;
  for (const commit of commits) {
    if (commit.version !== expected) {
      throw new StrataError(
        'LOG_CORRUPT',
        `table ${table}: the log has a gap: commit ${versionStem(expected)}.json is missing (found ${versionStem(commit.version)}.json next)`,
        { context: { table, version: expected } },
      );
    }
    expected++;
  }
  if (expected !== target + 1) {
    const what =
      !checkpoint && from === 0 && commits.length === 0
        ? `commit ${versionStem(0)}.json is missing and no checkpoint covers version ${target}`
        : `commit ${versionStem(expected)}.json is missing`;
    throw new StrataError('LOG_CORRUPT', `table ${table}: cannot reconstruct version ${target}: ${what}`, {
      context: { table, version: target },
    });
  }
  return { version: target, checkpoint, commits };
}
