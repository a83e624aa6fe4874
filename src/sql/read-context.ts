// What the statements of a session share to read tables and files: the catalog,
// the wired-in file sources, and who is told about each scan.
import type { Catalog } from '../catalog/index.js';
import type { FileSources } from './file-sources.js';
import type { RowSink } from '../engine/index.js';

/** What reading tables and files in a statement needs: where tables are, how files are read. */
export interface ReadContext {
  catalog: Catalog;
  files?: FileSources;
  onScan?: (info: ScanInfo) => void;
  /** Only reads: statements other than queries, SHOW, DESCRIBE and SET are refused, queries must be SELECTs. */
  readOnly?: boolean;
  /** A query's rows streamed to this instead of returned (engine's QueryOptions.onRows). */
  onRows?: RowSink;
}

export interface ScanInfo {
  table: string;
  /** The table's folder. */
  location: string;
  version: number;
  filesTotal: number;
  filesScanned: number;
}
