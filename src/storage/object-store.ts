// The object-store interface: the few operations the Delta protocol needs.
// Keys are '/'-separated paths relative to the store's root. An S3-compatible
// store implements the same interface (put-if-absent through conditional writes).

export interface ObjectMeta {
  /** Key relative to the store root, '/'-separated. */
  key: string;
  size: number;
  /** Last modification, milliseconds since the epoch. */
  modified: number;
}

export interface ObjectStore {
  /** A readable name for messages: the root path or URL. */
  readonly root: string;
  /**
   * Objects whose key starts with `prefix` (a folder prefix ends with '/'), and,
   * with `startAfter`, whose key sorts after it (as S3's ListObjectsV2 does);
   * no order promised. With `limit`, at most that many of them, any ones (S3's
   * MaxKeys): `limit: 1` asks cheaply whether anything lies under a prefix.
   */
  list(prefix: string, options?: { startAfter?: string; limit?: number }): Promise<ObjectMeta[]>;
  /** The whole object; throws StrataError STORAGE (code NOT_FOUND in context) when absent. */
  get(key: string): Promise<Uint8Array>;
  /** Bytes [offset, offset + length) of an object. */
  getRange(key: string, offset: number, length: number): Promise<Uint8Array>;
  /** Metadata of one object, or undefined when absent. */
  head(key: string): Promise<ObjectMeta | undefined>;
  /**
   * Writes the object only if no object has that key, atomically: readers see
   * either nothing or the whole object. Returns false when the key existed.
   */
  putIfAbsent(key: string, data: Uint8Array | string): Promise<boolean>;
  /** Writes (or replaces) the object atomically. */
  put(key: string, data: Uint8Array | string): Promise<void>;
  delete(key: string): Promise<void>;
}

/**
 * A store whose objects are files DuckDB can open by path. Code that has DuckDB
 * read or write files by path (read_parquet, COPY ... TO) needs this capability;
 * a remote store will need a staging step there instead (download to, or write
 * into, a local folder, then get/put through the ObjectStore).
 */
export interface LocalPathStore extends ObjectStore {
  /** The absolute filesystem path of a key. */
  localPath(key: string): string;
  /**
   * The absolute path of the folder of a key prefix ('' = the root), created
   * with its parents if missing, for DuckDB to write files into (COPY ... TO a
   * folder). Keys are flat, so only path-based writers need folders made.
   */
  localFolder(prefix: string): Promise<string>;
}

/** Capability check: can DuckDB read this store's objects directly by path? */
export function hasLocalPaths(store: ObjectStore): store is LocalPathStore {
  return typeof (store as Partial<LocalPathStore>).localPath === 'function';
}
