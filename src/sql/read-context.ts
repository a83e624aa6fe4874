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
  /**
   * The versions tables are read at, by location, kept by the caller (a transaction of the
   * Postgres endpoint): a table read without time travel is read at its pinned version, and
   * pinned at the version read the first time.
   */
  pins?: Map<string, number>;
  /** Versions to pin a table at on its first read (an update under way: the lake before it). */
  basis?: () => Promise<Map<string, number> | undefined>;
  /** Tables read without time travel are read as of this time (`SET strata.as_of`). */
  asOf?: string;
}

export interface ScanInfo {
  table: string;
  /** The table's folder. */
  location: string;
  version: number;
  filesTotal: number;
  filesScanned: number;
}
