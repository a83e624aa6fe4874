// The ledger of ingested files. Of record: each ingest commit of a target
// table, whose commitInfo lists the batch's files. Indexed: the Delta table
// lake/_system/ingest_files (SQL system.ingest_files), appended after each
// batch and caught up from the target's log when it lags.
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tableExists, tableHasCommits, type Catalog } from '../catalog/index.js';
import { StrataError } from '../core/index.js';
import {
  createTable,
  deleteRows,
  loadSnapshot,
  planScan,
  readCommitInfos,
  writeTable,
  type Snapshot,
} from '../delta/index.js';
import { quoteIdent, quoteLiteral, type Session } from '../engine/index.js';
import { legacyFiles, legacyTables, recordedFile, recordedTable } from './paths.js';

/** The app id of ingest commits' txn actions (version = batch id). */
export const INGEST_APP_ID = 'strata-ingest';

/** commitInfo field of a commit that starts a table's ledger over (a pipeline's full refresh, which also gives the table a new id). */
export const LEDGER_RESET = 'strataLedgerReset';

/**
 * commitInfo field of a commit that undoes the commits after a version (`{ version: n }`): a
 * cancelled pipeline update's rollback. The files those commits loaded were not loaded.
 */
export const LEDGER_ROLLBACK = 'strataRollback';

/** A target table, as the ledger knows it. */
export interface LedgerTable {
  location: string;
  name: string;
  /** Where the ledger index is (`system.ingest_files`). */
  catalog: Catalog;
}

export interface LedgerFile {
  /**
   * As the ledger records it: relative to the project (absolute only for a file outside it).
   * While a batch is loaded (and in what a transform is given), the absolute path.
   */
  path: string;
  size: number;
  modified: number;
  hash: string;
  /**
   * 'skipped': present when a stream started with includeExistingFiles = false (never loaded).
   * 'changed': a loaded file found changed (size and time as found), so that the change is
   * reported once (an entry of the index only: not in the table's commits).
   */
  status: 'loaded' | 'failed' | 'skipped' | 'changed';
  rows: number;
  rescued: number;
  quarantined: number;
  error?: string;
}

/** Entries with their paths as the ledger records them (commitInfo, the index). */
export function recordedEntries(catalog: Catalog, entries: LedgerFile[]): LedgerFile[] {
  return entries.map((e) => ({ ...e, path: recordedFile(catalog, e.path) }));
}

const LEDGER_COLUMNS = `table_path VARCHAR, table_id VARCHAR, table_version BIGINT, batch_id BIGINT, file_path VARCHAR, size BIGINT, modification_time TIMESTAMPTZ,
  content_hash VARCHAR, status VARCHAR, rows_loaded BIGINT, rows_rescued BIGINT, rows_quarantined BIGINT, error VARCHAR, ingested_at TIMESTAMPTZ`;

export async function appendLedger(
  session: Session,
  req: Pick<LedgerTable, 'location' | 'catalog'>,
  tableId: string,
  version: number,
  batchId: number,
  entries: LedgerFile[],
  at: number,
): Promise<void> {
  const location = req.catalog.system('ingest_files');
  if (!tableHasCommits(location)) {
    await fs.mkdir(location, { recursive: true });
    await session.exec(`CREATE OR REPLACE TEMP TABLE __strata_ledger_shape (${LEDGER_COLUMNS})`);
    await createTable(session, {
      location,
      name: 'system.ingest_files',
      ifNotExists: true,
      select: 'SELECT * FROM temp.__strata_ledger_shape',
    }).catch((err: unknown) => {
      // Another loader (a parallel flow) created it first: append to theirs.
      if (!(err instanceof StrataError && err.code === 'ALREADY_EXISTS')) throw err;
    });
  }
  const table = recordedTable(req.catalog, req.location);
  const values = entries
    .map(
      (e) =>
        `(${quoteLiteral(table)}, ${quoteLiteral(tableId)}, ${version}, ${batchId}, ${quoteLiteral(recordedFile(req.catalog, e.path))}, ${e.size}, make_timestamptz(${e.modified * 1000}::BIGINT), ${quoteLiteral(e.hash)}, ${quoteLiteral(e.status)}, ${e.rows}, ${e.rescued}, ${e.quarantined}, ${e.error === undefined ? 'NULL' : quoteLiteral(e.error)}, make_timestamptz(${at * 1000}::BIGINT))`,
    )
    .join(',\n');
  await writeTable(session, {
    location,
    name: 'system.ingest_files',
    mode: 'append',
    select: `SELECT * FROM (VALUES ${values}) AS v(${LEDGER_COLUMNS.split(',')
      .map((c) => c.trim().split(/\s+/)[0])
      .join(', ')})`,
    storeAssignment: true,
  });
}

/** A ledger entry with the table version and the batch that wrote it. */
export type LedgerEntry = LedgerFile & { version: number; batch: number };

/** Which entries a look-up wants: files by recorded path, files loaded with one of these sizes, or files loaded by these batches. */
type LedgerQuery = { paths: string[] } | { sizes: number[] } | { batches: number[] } | 'all';

/**
 * What the ledger says of files of a table (latest entry per path, paths as
 * recorded): the index, plus any target commits it lags behind (read from the
 * target's log, and indexed unless `repair` is false). Only the given paths
 * (as recorded) are looked up, so a pass costs the same whatever the number of
 * files loaded before; 'all' gives every file (to describe a table). Entries
 * that earlier versions recorded with absolute paths in the project match too.
 */
export async function readLedger(
  session: Session,
  req: LedgerTable,
  paths: string[] | 'all',
  { repair = true }: { repair?: boolean } = {},
): Promise<Map<string, LedgerEntry>> {
  const out = new Map<string, LedgerEntry>();
  const entries = await scanLedger(session, req, paths === 'all' ? 'all' : { paths }, repair);
  for (const e of entries) out.set(e.path, e);
  return out;
}

/**
 * The files of a table loaded with one of these sizes, by content hash: the entry
 * (path as recorded) that first loaded each content. A new path with a loaded content
 * is a file renamed (or copied) after loading.
 */
export async function readLoadedContent(
  session: Session,
  req: LedgerTable,
  sizes: number[],
): Promise<Map<string, LedgerEntry>> {
  const out = new Map<string, LedgerEntry>();
  if (sizes.length === 0) return out;
  for (const e of await scanLedger(session, req, { sizes }, false))
    if (e.status === 'loaded' && e.hash && !out.has(e.hash)) out.set(e.hash, e);
  return out;
}

/**
 * The files of a table as last loaded (latest 'loaded' entry per recorded path, with its batch):
 * what a reload replaces. Paths not loaded are absent.
 */
export async function readLoaded(
  session: Session,
  req: LedgerTable,
  paths: string[],
): Promise<Map<string, LedgerEntry>> {
  const out = new Map<string, LedgerEntry>();
  for (const e of await scanLedger(session, req, { paths }, false)) if (e.status === 'loaded') out.set(e.path, e);
  return out;
}

/** The files these batches of the table loaded ('loaded' entries), paths as recorded. */
export async function readBatchFiles(session: Session, req: LedgerTable, batches: number[]): Promise<LedgerEntry[]> {
  if (batches.length === 0) return [];
  return (await scanLedger(session, req, { batches }, false)).filter((e) => e.status === 'loaded');
}

/** The ledger entries of a table matching the query, oldest first, paths as recorded. */
async function scanLedger(
  session: Session,
  req: LedgerTable,
  query: LedgerQuery,
  repair: boolean,
): Promise<LedgerEntry[]> {
  if (!tableExists(req.location)) return [];
  const target = await loadSnapshot(req.location, { session, name: req.name });
  const { entries, indexed } = await scanIndex(session, req, target, query, repair);
  // Commits of the target the index has not seen.
  if (target.version > indexed) {
    const infos = await readCommitInfos(target.store, req.name, indexed + 1, target.version);
    // A pipeline's full refresh starts the table's ledger over (the commit says so): what came before is not this table's.
    const reset = infos.map((c) => Boolean(c.info[LEDGER_RESET])).lastIndexOf(true);
    const undone = await undoneVersions(session, req, target.metadata.id, infos.slice(reset + 1), indexed, repair);
    if (undone.length > 0) {
      const kept = entries.filter((e) => !undone.some(([from, to]) => e.version > from && e.version < to));
      entries.splice(0, entries.length, ...kept);
    }
    const wanted = typeof query === 'object' && 'paths' in query ? new Set(query.paths) : undefined;
    const sizes = typeof query === 'object' && 'sizes' in query ? new Set(query.sizes) : undefined;
    const batches = typeof query === 'object' && 'batches' in query ? new Set(query.batches) : undefined;
    for (const { version, info } of infos.slice(reset + 1)) {
      const ingest = info.strataIngest as { batchId: number; files: LedgerFile[] } | undefined;
      if (!ingest || undone.some(([from, to]) => version > from && version < to)) continue;
      for (const f of ingest.files) {
        const file = { ...f, path: recordedFile(req.catalog, f.path), version, batch: ingest.batchId };
        if (
          (!wanted || wanted.has(file.path)) &&
          (!sizes || sizes.has(file.size)) &&
          (!batches || batches.has(file.batch))
        )
          entries.push(file);
      }
      if (repair)
        await appendLedger(session, req, target.metadata.id, version, ingest.batchId, ingest.files, Date.now());
    }
  }
  return entries;
}

/** The index's entries of the table matching the query (oldest first), and the last table version it has. */
async function scanIndex(
  session: Session,
  req: LedgerTable,
  target: Snapshot,
  query: LedgerQuery,
  repair: boolean,
): Promise<{ entries: LedgerEntry[]; indexed: number }> {
  const tableId = target.metadata.id;
  const location = req.catalog.system('ingest_files');
  const entries: LedgerEntry[] = [];
  if (!tableHasCommits(location)) return { entries, indexed: -1 };
  const snap = await loadSnapshot(location, { session, name: 'system.ingest_files' });
  if (snap.files.length === 0) return { entries, indexed: -1 };
  // Entries of this table, not of an earlier table at the same path (deleted and created again).
  const tables = [recordedTable(req.catalog, req.location), ...legacyTables(req.catalog, req.location)];
  const ofTable = `table_path IN (${tables.map(quoteLiteral).join(', ')}) AND table_id = ${quoteLiteral(tableId)}`;
  const id = randomUUID().replace(/-/g, '').slice(0, 12);
  const scan = await planScan(snap, session, { id });
  const candidates = `__strata_ledger_paths_${id}`;
  try {
    const [top] = await session.rows<{ v: bigint | null }>(
      `SELECT max(table_version) AS v FROM (${scan.sql}) AS l WHERE ${ofTable}`,
    );
    let indexed = top?.v === null || top?.v === undefined ? -1 : Number(top.v);
    if (indexed > target.version) {
      // The table lost its newest commits (deleted, damaged): their files' rows are gone, so
      // their entries are not true any more — the files load again.
      if (repair) await forgetLostVersions(session, location, ofTable, target.version);
      indexed = target.version;
    }
    const known = `${ofTable} AND table_version <= ${target.version}`;
    let only = '';
    if (query !== 'all' && 'paths' in query) {
      if (query.paths.length === 0) return { entries, indexed };
      const all = query.paths.flatMap((p) => [p, ...legacyFiles(req.catalog, p)]);
      await session.exec(
        `CREATE OR REPLACE TEMP TABLE ${quoteIdent(candidates)} AS SELECT unnest(from_json(${quoteLiteral(JSON.stringify(all))}, '["VARCHAR"]')) AS p`,
      );
      only = `SEMI JOIN temp.${quoteIdent(candidates)} AS c ON c.p = l.file_path`;
    }
    const bySize =
      query !== 'all' && 'sizes' in query ? ` AND status = 'loaded' AND size IN (${query.sizes.join(', ')})` : '';
    const byBatch =
      query !== 'all' && 'batches' in query
        ? ` AND status = 'loaded' AND batch_id IN (${query.batches.map((b) => Number(b)).join(', ')})`
        : '';
    const rows = await session.rows<IndexRow>(
      `SELECT file_path, size, epoch_ms(modification_time) AS modified, content_hash, status, rows_loaded, rows_rescued, rows_quarantined, error, table_version, batch_id
       FROM (${scan.sql}) AS l ${only} WHERE ${known}${bySize}${byBatch} ORDER BY table_version, ingested_at`,
    );
    for (const r of rows) entries.push(entryOf(req.catalog, r));
    return { entries, indexed };
  } finally {
    await session.exec(`DROP TABLE IF EXISTS temp.${quoteIdent(candidates)}`).catch(() => undefined);
    for (const c of scan.cleanup) await session.exec(c).catch(() => undefined);
  }
}

/**
 * The version ranges (exclusive) that rollback commits among `infos` undid. Index entries of
 * those versions (indexed before the rollback) are deleted when `repair`.
 */
async function undoneVersions(
  session: Session,
  req: LedgerTable,
  tableId: string,
  infos: { version: number; info: Record<string, unknown> }[],
  indexed: number,
  repair: boolean,
): Promise<[number, number][]> {
  const out: [number, number][] = [];
  for (const { version, info } of infos) {
    const back = (info[LEDGER_ROLLBACK] as { version?: number } | undefined)?.version;
    if (typeof back !== 'number') continue;
    out.push([back, version]);
    if (repair && back < indexed) {
      const tables = [recordedTable(req.catalog, req.location), ...legacyTables(req.catalog, req.location)];
      const ofTable = `table_path IN (${tables.map(quoteLiteral).join(', ')}) AND table_id = ${quoteLiteral(tableId)} AND table_version < ${version}`;
      await forgetLostVersions(session, req.catalog.system('ingest_files'), ofTable, back);
    }
  }
  return out;
}

/** Deletes the index entries of versions a table no longer has (after `version`). */
async function forgetLostVersions(session: Session, location: string, ofTable: string, version: number) {
  await deleteRows(session, {
    location,
    name: 'system.ingest_files',
    where: `${ofTable} AND table_version > ${version}`,
  }).catch((err: unknown) => {
    // Another loader repaired it at the same moment: the look-up above already ignores them.
    if (!(err instanceof StrataError && err.code === 'CONFLICT')) throw err;
  });
}

/** A row of the index, as scanIndex reads it. */
interface IndexRow {
  file_path: string;
  size: bigint;
  modified: bigint;
  content_hash: string;
  status: string;
  rows_loaded: bigint;
  rows_rescued: bigint;
  rows_quarantined: bigint;
  error: string | null;
  table_version: bigint;
  batch_id: bigint;
}

/** An index row as a ledger entry, its path as recorded (an earlier version's absolute path made relative). */
function entryOf(catalog: Catalog, r: IndexRow): LedgerEntry {
  return {
    path: recordedFile(catalog, r.file_path),
    size: Number(r.size),
    modified: Number(r.modified),
    hash: r.content_hash,
    status: r.status as LedgerFile['status'],
    rows: Number(r.rows_loaded),
    rescued: Number(r.rows_rescued),
    quarantined: Number(r.rows_quarantined),
    ...(r.error ? { error: r.error } : {}),
    version: Number(r.table_version),
    batch: Number(r.batch_id),
  };
}

/** The source and options of a table's last load (from its log), if it was ever loaded. */
export async function lastIngestSource(
  session: Session,
  location: string,
  name: string,
): Promise<{ source: string; options: Record<string, string> } | undefined> {
  if (!tableExists(location)) return undefined;
  const snapshot = await loadSnapshot(location, { session, name });
  if (!snapshot.txns.has(INGEST_APP_ID)) return undefined;
  for (let v = snapshot.version; v >= 0; v -= 20) {
    const infos = await readCommitInfos(snapshot.store, name, Math.max(0, v - 19), v);
    for (const { info } of infos.reverse()) {
      const ingest = info.strataIngest as { source?: string; options?: Record<string, string> } | undefined;
      if (ingest?.source) return { source: ingest.source, options: ingest.options ?? {} };
    }
  }
  return undefined;
}
