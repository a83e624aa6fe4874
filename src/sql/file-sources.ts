// Reading files from SQL: `read_files(...)` in a query and `COPY INTO`. The SQL
// front-end parses them; reading files is ingestion's work, wired in from above
// (the project hands `ingest`'s implementation to every session), so this folder
// does not depend on ingestion.
import type { Catalog } from '../catalog/index.js';
import type { Session } from '../engine/index.js';

/** What a read_files(...) call became: a temporary table, and what to drop afterwards. */
export interface FilesRead {
  table: string;
  cleanup: string[];
  /** Whether its rows carry the hidden `_metadata` struct (asked for, and no file column has that name). */
  metadata: boolean;
}

/** What COPY INTO did, in the terms of Databricks' result columns. */
export interface CopyIntoOutcome {
  rows: number;
  filesLoaded: number;
  filesSkipped: number;
  filesFailed: { path: string; error: string }[];
  filesChanged: string[];
  /** Files still being written: left for the next load. */
  filesPutOff: string[];
  /** New paths whose content was loaded before under `earlier` (renamed): not loaded. */
  filesRenamed: { path: string; earlier: string }[];
  rescued: number;
  quarantined: number;
}

export interface CopyIntoRequest {
  location: string;
  name: string;
  /** The source folder or glob, absolute. */
  source: string;
  /** FORMAT_OPTIONS plus `format`, as written. */
  options: Record<string, string>;
  mergeSchema: boolean;
  force: boolean;
  catalog: Catalog;
}

export interface FileSources {
  /**
   * A one-off read of every file `source` (absolute) matches; `written` is the source as the user
   * wrote it; `metadata`: the rows carry Databricks' hidden `_metadata` struct (paths as the
   * catalog's project records them).
   */
  read(
    session: Session,
    source: string,
    written: string,
    options: Record<string, string>,
    extra: { metadata: boolean; catalog: Catalog },
  ): Promise<FilesRead>;
  /** Loads the files not loaded before into the table, once each. */
  copyInto(session: Session, req: CopyIntoRequest): Promise<CopyIntoOutcome>;
}
