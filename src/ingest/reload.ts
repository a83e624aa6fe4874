// Loading again a file loaded before (forced, or failed and changed since):
// the rows it loaded earlier are replaced, in the same commit, never doubled.
// Rows carry no file column, so what ties rows to files is the batch: every
// ingest commit tags its data files with its batch id (Delta's `add.tags`), and
// a reload takes that batch's live files out while adding the rows of all the
// batch's files read again. A batch is therefore reloaded whole — its other
// files come along, unchanged — and a reload is refused, before anything is
// written, when one of them is gone from the source or the batch's files have
// been rewritten since (OPTIMIZE, or an UPDATE/DELETE/MERGE that rewrote them).
import { StrataError } from '../core/index.js';
import { loadSnapshot, readCommit, readCommitInfos, type AddAction, type Snapshot } from '../delta/index.js';
import { tableExists } from '../catalog/index.js';
import { dropBatchesFromQuarantine } from './quarantine.js';
import type { Session } from '../engine/index.js';
import { INGEST_APP_ID, readBatchFiles, readLoaded, type LedgerEntry } from './ledger.js';
import { recordedFile } from './paths.js';
import type { SourceFile } from './read.js';
import type { IngestRequest } from './request.js';

/** The tag each ingest commit puts on its data files: the batch id. */
export const BATCH_TAG = 'strata.ingestBatch';

/** What a reload's commit replaces: the batches, and their live files (taken out in the same commit). */
export interface Replacing {
  batches: number[];
  remove: AddAction[];
}

/** Files loaded before, to load again together: the batches whose rows they replace. */
export interface ReloadGroup {
  files: SourceFile[];
  batches: number[];
}

/**
 * Splits the files to load into groups that replace earlier batches (a file loaded before,
 * with the other files of its batch) and files never loaded. The other files of a batch are
 * taken from `listed`; one gone from the source makes the reload an error naming it.
 */
export async function planReloads(
  session: Session,
  req: IngestRequest,
  listed: SourceFile[],
  todo: SourceFile[],
): Promise<{ groups: ReloadGroup[]; fresh: SourceFile[] }> {
  if (todo.length === 0) return { groups: [], fresh: [] };
  const rec = (f: SourceFile) => recordedFile(req.catalog, f.path);
  const loaded = await readLoaded(session, req, todo.map(rec));
  if (loaded.size === 0) return { groups: [], fresh: todo };
  const batches = [...new Set([...loaded.values()].map((e) => e.batch))];
  const mates = await readBatchFiles(session, req, batches);
  const byPath = new Map(listed.map((f) => [rec(f), f]));
  // Where each mate's rows are now: a mate loaded again later has its rows in that later batch.
  const latest = await readLoaded(
    session,
    req,
    mates.map((m) => m.path),
  );
  const groups = new Map<number, Map<string, SourceFile>>();
  for (const m of mates) {
    if (latest.get(m.path)?.batch !== m.batch) continue; // its rows in this batch are a copy made before reloads replaced
    const f = byPath.get(m.path);
    if (!f) throw goneMate(req, m, [...loaded.entries()].find(([, e]) => e.batch === m.batch)![0]);
    const group = groups.get(m.batch) ?? new Map<string, SourceFile>();
    group.set(m.path, f);
    groups.set(m.batch, group);
  }
  return {
    groups: [...groups].map(([batch, files]) => ({ files: [...files.values()], batches: [batch] })),
    fresh: todo.filter((f) => !loaded.has(rec(f))),
  };
}

function goneMate(req: IngestRequest, mate: LedgerEntry, reloaded: string): StrataError {
  return new StrataError(
    'USAGE',
    `${req.name}: ${reloaded} was loaded in batch ${mate.batch} (version ${mate.version}) together with ${mate.path}, which is no longer in the source; loading ${reloaded} again would drop ${mate.path}'s rows with its own. Put ${mate.path} back, or load without force.`,
    { context: { table: req.name, file: mate.path } },
  );
}

/**
 * The live files holding the rows of these batches, as of `snapshot`: those tagged with the
 * batch (or, for a batch loaded before tags, those its commit added). Their rows must be
 * exactly what the ledger says the batch loaded — else the files were rewritten since and
 * the batch's rows cannot be told apart any more: an error.
 */
export async function reloadRemovals(
  session: Session,
  req: IngestRequest,
  snapshot: Snapshot,
  group: ReloadGroup,
): Promise<AddAction[]> {
  const out: AddAction[] = [];
  // Another loader reloaded these files since the plan: plan again.
  const now = await readLoaded(
    session,
    req,
    group.files.map((f) => recordedFile(req.catalog, f.path)),
  );
  for (const e of now.values())
    if (!group.batches.includes(e.batch))
      throw new StrataError('CONFLICT', `${req.name}: ${e.path} was loaded again by another loader`, {
        context: { table: req.name, file: e.path },
      });
  const entries = await readBatchFiles(session, req, group.batches);
  for (const batch of group.batches) {
    const ofBatch = entries.filter((e) => e.batch === batch);
    const expected = ofBatch.reduce((n, e) => n + e.rows, 0);
    let files = snapshot.files.filter((f) => f.tags?.[BATCH_TAG] === String(batch));
    if (files.length === 0 && expected > 0 && ofBatch.length > 0)
      files = await addedBy(snapshot, req, ofBatch[0].version);
    const found = files.reduce((n, f) => n + numRecords(f), 0);
    if (found !== expected) {
      const first = ofBatch[0];
      throw new StrataError(
        'USAGE',
        `${req.name}: the rows batch ${batch} loaded (version ${first?.version ?? '?'}, ${ofBatch.map((e) => e.path).join(', ')}) have been rewritten since (OPTIMIZE, or an UPDATE, DELETE or MERGE that rewrote files): they can no longer be replaced file by file. Load without force, or rebuild the table (CREATE OR REPLACE TABLE, then load again).`,
        { context: { table: req.name, file: first?.path } },
      );
    }
    out.push(...files);
  }
  return out;
}

/**
 * The quarantined lines of the batches a reload replaced leave the quarantine right after its
 * commit; a load first finishes that for the table's last ingest commit, in case a crash came
 * in between (it deletes nothing when it was done).
 */
export async function finishReplacement(session: Session, req: IngestRequest): Promise<void> {
  if (!tableExists(req.location)) return;
  const snapshot = await loadSnapshot(req.location, { session, name: req.name });
  const batch = snapshot.txns.get(INGEST_APP_ID)?.version;
  if (batch === undefined) return;
  // Once per last batch in this process: a watch's passes do not read the log again and again.
  const key = `${req.location}\0${snapshot.metadata.id}`;
  if (finished.get(key) === batch) return;
  // The last ingest commit: the newest one with the ledger's record (other writes may follow it).
  for (let v = snapshot.version; v >= Math.max(0, snapshot.version - 50); v -= 10) {
    const infos = await readCommitInfos(snapshot.store, req.name, Math.max(0, v - 9), v);
    const last = infos.reverse().find((c) => c.info.strataIngest);
    if (!last) continue;
    const replaces = (last.info.strataIngest as { replaces?: number[] }).replaces ?? [];
    await dropBatchesFromQuarantine(session, req, replaces);
    break;
  }
  if (finished.size >= 1000) finished.clear();
  finished.set(key, batch);
}

/** Per table (folder and id): the last ingest batch whose replacement is known finished. */
const finished = new Map<string, number>();

/** The live files that the commit at `version` added (a batch loaded before tags); none if that commit is gone. */
async function addedBy(snapshot: Snapshot, req: IngestRequest, version: number): Promise<AddAction[]> {
  const key = `_delta_log/${String(version).padStart(20, '0')}.json`;
  if (!(await snapshot.store.head(key))) return [];
  const added = new Set((await readCommit(snapshot.store, key, req.name)).filter((a) => a.add).map((a) => a.add!.path));
  return snapshot.files.filter((f) => added.has(f.path));
}

/** A file's row count from its stats (NaN when it has none: it then cannot be accounted for). */
function numRecords(f: AddAction): number {
  try {
    const n = (JSON.parse(f.stats ?? '{}') as { numRecords?: number }).numRecords;
    return typeof n === 'number' ? n : NaN;
  } catch {
    return NaN;
  }
}
