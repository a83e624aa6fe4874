// VACUUM: deletes files in the table folder that the table no longer needs —
// not live in the current version, not removed within the retention period
// (so time travel inside it still works), and not written within it (so a
// commit in flight never loses its files). Options in, metrics out; the clock
// is injectable so retention needs no sleeping in tests.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { StrataError } from '../core/index.js';
import type { Session } from '../engine/index.js';
import { parseInterval } from './checkpoint-writer.js';
import { relativeDvPath } from './deletion-vector.js';
import { canonicalPath } from './replay.js';
import { loadSnapshot } from './snapshot.js';
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
  const configured = parseInterval(snapshot.metadata.configuration['delta.deletedFileRetentionDuration']) ?? DEFAULT_RETENTION_HOURS * 3.6e6;
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
  const root = snapshot.store.root;
  const keep = new Set<string>();
  for (const f of snapshot.files) {
    keep.add(canonicalPath(root, f.path));
    if (f.deletionVector?.storageType === 'u') keep.add(path.join(root, relativeDvPath(f.deletionVector.pathOrInlineDv)));
  }
  for (const r of snapshot.tombstones) {
    if ((r.deletionTimestamp ?? 0) >= cutoff) {
      keep.add(canonicalPath(root, r.path));
      if (r.deletionVector?.storageType === 'u') keep.add(path.join(root, relativeDvPath(r.deletionVector.pathOrInlineDv)));
    }
  }
  const doomed: { file: string; size: number }[] = [];
  await walk(root, root, async (file, st) => {
    if (keep.has(file) || st.mtimeMs >= cutoff) return;
    doomed.push({ file, size: st.size });
  });
  if (!options.dryRun) for (const d of doomed) await fs.rm(d.file, { force: true });
  return { files: doomed.map((d) => path.relative(root, d.file)).sort(), bytes: doomed.reduce((s, d) => s + d.size, 0), dryRun: Boolean(options.dryRun) };
}

/** Data files under the table folder; _delta_log and hidden ('.', '_') entries are left alone. */
async function walk(root: string, dir: string, visit: (file: string, st: import('node:fs').Stats) => Promise<void>): Promise<void> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || (entry.name.startsWith('_') && !entry.name.includes('='))) continue;
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) await walk(root, p, visit);
    else if (entry.isFile()) await visit(p, await fs.stat(p));
  }
}
