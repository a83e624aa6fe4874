// Stores by location. A table's files are keys of the table's store, but the log
// may name a file elsewhere by an absolute path or URI (an absolute `add` path, a
// deletion vector of storage type 'p'); this opens a store that holds it. Local
// paths and file: URLs only, for now: a remote store plugs in here by scheme.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StrataError } from '../core/index.js';
import { LocalStore } from './local-store.js';
import type { ObjectStore } from './object-store.js';

/** The store holding the object at an absolute path or URI, and its key there. */
export function objectAt(location: string): { store: ObjectStore; key: string } {
  let file: string;
  if (location.startsWith('file:')) {
    file = fileURLToPath(location.replace(/^file:\/*/, 'file:///'));
  } else if (/^[a-zA-Z][a-zA-Z0-9+.-]+:/.test(location)) {
    throw new StrataError('STORAGE', `cannot open ${location}: Strata reads local paths and file: URLs only`, {
      context: { file: location },
    });
  } else {
    file = path.resolve(location);
  }
  return { store: new LocalStore(path.dirname(file)), key: path.basename(file) };
}
