// Expired log cleanup: after a checkpoint, log files older than the log
// retention (delta.logRetentionDuration, default 30 days) are deleted — but only
// those before a checkpoint that is itself expired, so every version inside the
// retention window stays reconstructable.
import type { ObjectStore } from '../storage/index.js';
import { parseInterval } from './checkpoint-writer.js';
import { LOG_DIR } from './log-segment.js';

const VERSIONED = /^(\d{20})\.(json|crc|checkpoint\..*)$/;

export async function cleanUpExpiredLogs(
  store: ObjectStore,
  configuration: Record<string, string>,
  now = Date.now(),
): Promise<number> {
  if (configuration['delta.enableExpiredLogCleanup']?.toLowerCase() === 'false') return 0;
  const retention = parseInterval(configuration['delta.logRetentionDuration']) ?? 30 * 24 * 3600 * 1000;
  const cutoff = now - retention;
  const entries = await store.list(`${LOG_DIR}/`);
  const files = entries
    .map((e) => ({ e, m: VERSIONED.exec(e.key.slice(LOG_DIR.length + 1)) }))
    .filter((x) => x.m !== null)
    .map((x) => ({ key: x.e.key, version: Number(x.m![1]), kind: x.m![2], modified: x.e.modified }));
  // The newest checkpoint whose commit is older than the cutoff.
  const commitTime = new Map(files.filter((f) => f.kind === 'json').map((f) => [f.version, f.modified]));
  const expiredCheckpoints = files
    .filter((f) => f.kind.startsWith('checkpoint') && (commitTime.get(f.version) ?? f.modified) < cutoff)
    .map((f) => f.version);
  if (expiredCheckpoints.length === 0) return 0;
  const keepFrom = Math.max(...expiredCheckpoints);
  const doomed = files.filter((f) => f.version < keepFrom && f.modified < cutoff);
  for (const f of doomed) await store.delete(f.key);
  return doomed.length;
}
