// What a load is asked to do and what it reports: the shapes shared by the batch
// loader (ingest.ts) and the streaming CSV path (stream-csv.ts).
import type { Catalog } from '../catalog/index.js';
import type { Session } from '../engine/index.js';
import type { LedgerFile } from './ledger.js';
import type { ReadOptions } from './options.js';

export interface IngestRequest {
  /** The target Delta table (it must exist; it may have no columns yet). */
  location: string;
  name: string;
  /** A folder (every file below it) or a glob. */
  source: string;
  /** Where the ledger index is (`system.ingest_files`). */
  catalog: Catalog;
  options: ReadOptions;
  /** The options as given (recorded with each batch, so a later run can reuse them). */
  rawOptions?: Record<string, string>;
  /** New columns in the files become table columns (else they go to the rescued data column). */
  mergeSchema: boolean;
  /** Load files again even when already loaded. */
  force?: boolean;
  /** Stop after this many batches (triggered runs: all). */
  maxBatches?: number;
  /** Called after each batch with the progress of the run. */
  onProgress?: (p: IngestProgress) => void;
  /**
   * Files modified less than this many milliseconds ago may still be being written
   * (default STRATA_SETTLE_MS, 500 ms): a one-off load waits for them to settle and puts
   * off those still changing; a watch (`settle: 'later'`) leaves them for a later pass.
   */
  settleMs?: number;
  settle?: 'wait' | 'later';
  now?: () => number;
  /**
   * A pipeline's streaming table: the batch's rows (`rows`, a SELECT of the file columns,
   * the rescued data column and, with `metadata`, `_metadata`) become what the returned `select`
   * makes of them (the flow's query and expectations). The read schema is then each
   * batch's own (the table's columns are the query's), new columns always evolve the table.
   * Throwing abandons the batch: nothing is committed.
   */
  transform?: (batch: {
    rows: string;
    batchId: number;
    files: LedgerFile[];
    ingestedAt: string;
    /** Whether `rows` carry `_metadata` (asked for, and no file column has that name). */
    metadata: boolean;
  }) => Promise<BatchTransform>;
  /** The rows given to the transform carry Databricks' hidden `_metadata` struct (metadata.ts). */
  metadata?: boolean;
  /**
   * The transform's output has one row per row it is given, with the rescued data column
   * as given: CSV batches then stream from the files to the table in one pass (the files'
   * counts come from their lines and what was written). The files' counts are not known
   * to the transform then.
   */
  transformKeepsRows?: boolean;
  /**
   * With a transform: the table property under which the source's columns are kept from one
   * batch to the next (source-schema.ts), so inferred types hold. Without it, each batch's own.
   */
  sourceSchemaKey?: string;
  /**
   * Runs `fn` on a second session (another connection of the same database): a big CSV
   * batch is then written in two halves at the same time, one on each. The transform
   * must then make SQL without temporary objects.
   */
  helper?: <T>(fn: (session: Session) => Promise<T>) => Promise<T>;
}

export interface BatchTransform {
  select: string;
  /** Rows for `<table>_quarantine` (columns as the quarantine's, extra ones added), written before the commit. */
  quarantine?: string;
  /** Extra txn actions and commitInfo fields for the batch's commit. */
  txns?: { appId: string; version: number }[];
  info?: Record<string, unknown>;
  /** Statements to run once the batch is done. */
  cleanup?: string[];
}

export interface IngestProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  rows: number;
}

export interface IngestOutcome {
  /** Last version written. */
  version?: number;
  batches: number;
  filesLoaded: number;
  /** Paths here are as the ledger records them: relative to the project (absolute only outside it). */
  filesFailed: { path: string; error: string }[];
  /** Files already loaded and unchanged (a modification time alone moved: the content is compared). */
  filesSkipped: number;
  /** Files loaded before that have changed since (loaded again only with force). */
  filesChanged: string[];
  /** Files still being written (changed within the settling time): left for the next run. */
  filesPutOff: string[];
  /** New paths whose content was loaded before under `earlier` (renamed): not loaded unless loadRenamedFiles. */
  filesRenamed: { path: string; earlier: string }[];
  rows: number;
  /** Rows written to the table (differs from `rows` with a transform). */
  rowsWritten: number;
  rescued: number;
  quarantined: number;
}
