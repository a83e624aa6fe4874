// What the ledger records of files that are not loaded: files already in the source when a
// stream starts with includeExistingFiles = false (skipped, in one commit without rows), and
// loaded files found changed (noted in the index only, so that the change is told once).
import { StrataError } from '../core/index.js';
import { blindAppendFootprint, commit, loadSnapshot } from '../delta/index.js';
import type { Session } from '../engine/index.js';
import { tableExists } from '../catalog/index.js';
import { appendLedger, INGEST_APP_ID, type LedgerFile } from './ledger.js';
import { recordedFile } from './paths.js';
import type { SourceFile } from './read.js';
import type { IngestRequest } from './request.js';

/** A ledger entry of a file that is not loaded. */
function entryOf(f: SourceFile, path: string, status: LedgerFile['status'], error?: string): LedgerFile {
  return {
    path,
    size: f.size,
    modified: f.modified,
    hash: '',
    status,
    rows: 0,
    rescued: 0,
    quarantined: 0,
    ...(error ? { error } : {}),
  };
}

/** Notes in the ledger index that loaded files changed (as found now): the next pass does not report them again. */
export async function noteChanged(session: Session, req: IngestRequest, files: SourceFile[]): Promise<void> {
  if (files.length === 0 || !tableExists(req.location)) return;
  const snapshot = await loadSnapshot(req.location, { session, name: req.name });
  const entries = files.map((f) => entryOf(f, f.path, 'changed', 'changed since it was loaded; not loaded again'));
  const batchId = snapshot.txns.get(INGEST_APP_ID)?.version ?? 0;
  await appendLedger(session, req, snapshot.metadata.id, snapshot.version, batchId, entries, (req.now ?? Date.now)());
}

/**
 * includeExistingFiles = false: the first time a table is loaded from a source,
 * the files already there are recorded as skipped (one commit without rows), so
 * that only files landing afterwards are loaded.
 */
export async function skipExistingFiles(session: Session, req: IngestRequest, listed: SourceFile[]): Promise<void> {
  const snapshot = await loadSnapshot(req.location, { session, name: req.name });
  if (snapshot.txns.has(INGEST_APP_ID) || listed.length === 0) return;
  const now = req.now ?? Date.now;
  const entries = listed.map((f) => entryOf(f, recordedFile(req.catalog, f.path), 'skipped'));
  const batchId = 1;
  const source = recordedFile(req.catalog, req.source);
  const result = await commit(snapshot.store, req.name, snapshot.version, {
    operation: 'COPY INTO',
    operationParameters: { source, batchId, includeExistingFiles: false },
    actions: [{ txn: { appId: INGEST_APP_ID, version: batchId, lastUpdated: now() } }],
    footprint: { ...blindAppendFootprint([INGEST_APP_ID]) },
    info: {
      strataIngest: { batchId, source, ...(req.rawOptions ? { options: req.rawOptions } : {}), files: entries },
    },
  }).catch((err: unknown) => {
    if (err instanceof StrataError && err.code === 'CONFLICT') return undefined; // another loader did it
    throw err;
  });
  if (result) await appendLedger(session, req, snapshot.metadata.id, result.version, batchId, entries, now());
}
