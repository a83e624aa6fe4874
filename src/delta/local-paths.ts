// DuckDB reads and writes table files by path (read_parquet, read_json, COPY ...
// TO), so the code that has it do so needs a store whose objects are local files
// (LocalPathStore). A remote store will need a staging step in those places:
// download what DuckDB reads into a local folder, and upload what it writes
// there with put/putIfAbsent. Everything else in delta/ goes through ObjectStore.
import { StrataError } from '../core/index.js';
import { hasLocalPaths, type LocalPathStore, type ObjectStore } from '../storage/index.js';

/** The store, if DuckDB can open its objects by path; a clear error otherwise. */
export function localPathStore(store: ObjectStore, table: string): LocalPathStore {
  if (hasLocalPaths(store)) return store;
  throw new StrataError(
    'STORAGE',
    `table ${table}: ${store.root} is not on the local filesystem; DuckDB reads and writes table files by path, and remote stores need a staging step Strata does not have yet`,
    { context: { table } },
  );
}
