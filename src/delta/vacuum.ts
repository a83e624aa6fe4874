// VACUUM: deletes files in the table folder that the table no longer needs —
// not live in the current version, not removed within the retention period
// (so time travel inside it still works), and not written within it (so a
// commit in flight never loses its files). Options in, metrics out; the clock
// is injectable so retention needs no sleeping in tests.
import * as path from 'node:path';
import { StrataError } from '../core/index.js';
import type { Session } from '../engine/index.js';
import { hasLocalPaths, sweepTempFiles } from '../storage/index.js';
import { parseInterval } from './checkpoint-writer.js';
import { relativeDvPath } from './deletion-vector.js';
import { canonicalPath, keyUnder } from './replay.js';
import { loadSnapshot } from './snapshot.js';
import { looksLikeData } from './data-files.js';
import type { TableRef } from './write.js';

export const DEFAULT_RETENTION_HOURS = 7 * 24;

export interface VacuumOptions extends TableRef {
  /** RETAIN n HOURS; default: the table's delta.deletedFileRetentionDuration (7 days). */
  retentionHours?: number;
  dryRun?: boolean;
  /** Allow a retention shorter than the table's (Spark: retentionDurationCheck.enabled = false). */
  allowShortRetention?: boolean;
  now?: () => number;
}

export interface VacuumOutcome {
  /** Files deleted (or, in a dry run, that would be). Paths relative to the table. */
  files: string[];
  bytes: number;
  dryRun: boolean;
}

export async function vacuumTable(session: Session, options: VacuumOptions): Promise<VacuumOutcome> {
  const table = options.name ?? options.location;
  const snapshot = await loadSnapshot(options.location, { session, name: table });
  const now = (options.now ?? Date.now)();
  const configured =
    parseInterval(snapshot.metadata.configuration['delta.deletedFileRetentionDuration']) ??
    DEFAULT_RETENTION_HOURS * 3.6e6;
  const retentionMs = options.retentionHours === undefined ? configured : options.retentionHours * 3.6e6;
  if (!(retentionMs >= 0)) throw new StrataError('USAGE', `VACUUM ${table}: RETAIN takes a number of hours ≥ 0`);
  if (retentionMs < configured && !options.allowShortRetention) {
    throw new StrataError(
      'USAGE',
      `VACUUM ${table}: a retention of ${retentionMs / 3.6e6} hours is shorter than the table's ${configured / 3.6e6} hours; ` +
        'files that readers or writers in flight still need could be deleted. To do it anyway: SET strata.vacuum.retentionDurationCheck.enabled = false',
      { context: { table } },
    );
  }
  const cutoff = now - retentionMs;
  const store = snapshot.store;
  const root = store.root;
  // Keys of the files to keep; a file outside the table folder is never vacuumed.
  const keep = new Set<string>();
  const keepFile = (absolute: string) => {
    const key = keyUnder(root, absolute);
    if (key !== undefined) keep.add(key);
  };
  for (const f of snapshot.files) {
    keepFile(canonicalPath(root, f.path));
    if (f.deletionVector?.storageType === 'u')
      keepFile(path.join(root, relativeDvPath(f.deletionVector.pathOrInlineDv)));
  }
  for (const r of snapshot.tombstones) {
    if ((r.deletionTimestamp ?? 0) >= cutoff) {
      keepFile(canonicalPath(root, r.path));
      if (r.deletionVector?.storageType === 'u')
        keepFile(path.join(root, relativeDvPath(r.deletionVector.pathOrInlineDv)));
    }
  }
  const listed = await store.list('');
  const nested = nestedTables(listed.map((f) => f.key));
  // Only files the writer could have made: never a project's files, landing files or another
  // table's, whatever folder the table was (wrongly) created in.
  const doomed = listed.filter(
    (f) =>
      !hidden(f.key) && looksLikeData(f.key) && !insideAny(f.key, nested) && !keep.has(f.key) && f.modified < cutoff,
  );
  if (!options.dryRun) {
    for (const d of doomed) await store.delete(d.key);
    // What writers killed mid-write left (commits, checkpoints, deletion vectors).
    if (hasLocalPaths(store))
      for (const dir of [store.localPath(''), store.localPath('_delta_log')]) await sweepTempFiles(dir);
  }
  return {
    files: doomed.map((d) => d.key).sort(),
    bytes: doomed.reduce((s, d) => s + d.size, 0),
    dryRun: Boolean(options.dryRun),
  };
}

/** Folders below the table root that are tables of their own (they hold a `_delta_log/`). */
function nestedTables(keys: string[]): string[] {
  const out = new Set<string>();
  for (const key of keys) {
    const at = key.indexOf('/_delta_log/');
    if (at > 0) out.add(key.slice(0, at));
  }
  return [...out];
}

function insideAny(key: string, folders: string[]): boolean {
  return folders.some((d) => key.startsWith(`${d}/`));
}

/** Whether a key lies in _delta_log or another hidden entry ('.', or '_' without '=', at any level): VACUUM leaves those alone. */
function hidden(key: string): boolean {
  return key.split('/').some((name) => name.startsWith('.') || (name.startsWith('_') && !name.includes('=')));
}
