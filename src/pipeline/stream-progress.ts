// What a streaming read's progress says of its source, checked before reading on.
//
// The progress of a flow reading table x as a stream is the last version of x it read (a
// txn action). If x's log loses commits (the newest deleted, or cut off and removed) or a
// version is written again with other rows, "the versions after v" no longer means what the
// flow thinks: reading on would skip or repeat rows. So each commit carrying progress also
// records, in its commitInfo, a stamp of the source commit it read up to (its timestamp and
// transaction id); the next read checks the source still has that version, with that stamp,
// and fails — asking for a full refresh — when it does not.
import { StrataError } from '../core/index.js';
import { commitKey, readCommit, type CommitInfo, type Snapshot } from '../delta/index.js';

/** commitInfo field: per progress app id, the stamp of the source version read. */
export const STREAM_SOURCES_INFO = 'strataStreamSources';

export interface SourceStamp {
  version: number;
  timestamp?: number;
  txnId?: string;
}

/** How far back the commits holding a flow's progress are searched for its stamp. */
const STAMP_SEARCH = 20;

/** The stamp of version `version` of a source (undefined when its commit file is gone: cleaned up). */
export async function commitStamp(source: Snapshot, name: string, version: number): Promise<SourceStamp | undefined> {
  const key = commitKey(version);
  if (version < 0 || !(await source.store.head(key))) return undefined;
  const info = (await readCommit(source.store, key, name)).find((a) => a.commitInfo)?.commitInfo;
  return { version, ...stampOf(info) };
}

function stampOf(info: CommitInfo | undefined): Omit<SourceStamp, 'version'> {
  return {
    ...(typeof info?.timestamp === 'number' ? { timestamp: info.timestamp } : {}),
    ...(typeof info?.txnId === 'string' ? { txnId: info.txnId } : {}),
  };
}

/** The stamp recorded with `appId`'s progress by the table holding it (searched in its last commits). */
async function recordedStamp(holder: Snapshot, appId: string): Promise<SourceStamp | undefined> {
  for (let v = holder.version; v >= 0 && v > holder.version - STAMP_SEARCH; v--) {
    const key = commitKey(v);
    if (!(await holder.store.head(key))) return undefined;
    const actions = await readCommit(holder.store, key, holder.table);
    const info = actions.find((a) => a.commitInfo)?.commitInfo;
    const stamp = (info?.[STREAM_SOURCES_INFO] as Record<string, SourceStamp> | undefined)?.[appId];
    if (stamp) return stamp;
    // The commit that set this progress, without a stamp (written before stamps were kept).
    if (actions.some((a) => a.txn?.appId === appId)) return undefined;
  }
  return undefined;
}

/**
 * Fails when the source no longer has the version `from` the flow read up to, as it was read.
 * `holder` is the table whose commits carry the progress (the target, or AUTO CDC's state).
 * Returns the stamp of version `from` when it read it (the next progress's, if nothing is new).
 */
export async function checkSourceProgress(
  holder: Snapshot | undefined,
  appId: string,
  from: number,
  source: Snapshot,
  names: { flow: string; source: string; target: string },
): Promise<SourceStamp | undefined> {
  if (from < 0) return undefined;
  const fix = `run --full-refresh ${names.target} to rebuild ${names.target} from ${names.source}`;
  if (source.version < from) {
    throw new StrataError(
      'PIPELINE',
      `${names.flow} read ${names.source} up to version ${from}, but ${names.source} is now at version ${source.version}: versions ${source.version + 1}–${from} of its log are gone (deleted or damaged). ${names.target} no longer matches it; ${fix}`,
      { context: { table: names.source, version: from } },
    );
  }
  if (!holder) return undefined;
  const recorded = await recordedStamp(holder, appId);
  if (!recorded || recorded.version !== from) return undefined;
  const now = await commitStamp(source, names.source, from);
  if (!now) return undefined;
  const differs =
    (recorded.txnId !== undefined && now.txnId !== undefined && recorded.txnId !== now.txnId) ||
    (recorded.timestamp !== undefined && now.timestamp !== undefined && recorded.timestamp !== now.timestamp);
  if (differs) {
    throw new StrataError(
      'PIPELINE',
      `${names.flow} read ${names.source} up to version ${from}, but that version has been written again since (it was committed at ${iso(recorded.timestamp)}, the one there now at ${iso(now.timestamp)}): the log lost a commit and another took its place. ${names.target} no longer matches it; ${fix}`,
      { context: { table: names.source, version: from } },
    );
  }
  return now;
}

const iso = (ms: number | undefined) => (ms === undefined ? 'an unknown time' : new Date(ms).toISOString());
