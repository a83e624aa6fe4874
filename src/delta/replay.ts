// Log replay: folding actions, oldest first, into the table state at a version.
// A file is identified by its canonical path plus its deletion vector's id (the
// protocol's primary key), so a remove always cancels exactly the add it names.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StrataError } from '../core/index.js';
import { objectAt, type ObjectStore } from '../storage/index.js';
import type {
  Action,
  AddAction,
  CommitInfo,
  DomainMetadataAction,
  MetadataAction,
  ProtocolAction,
  RemoveAction,
  TxnAction,
} from './actions.js';
import { dvUniqueId } from './deletion-vector.js';

export interface ReplayState {
  protocol?: ProtocolAction;
  metadata?: MetadataAction;
  files: Map<string, AddAction>;
  tombstones: Map<string, RemoveAction>;
  txns: Map<string, TxnAction>;
  domains: Map<string, DomainMetadataAction>;
}

export function emptyState(): ReplayState {
  return { files: new Map(), tombstones: new Map(), txns: new Map(), domains: new Map() };
}

/**
 * The absolute, percent-decoded path a log path names. Relative paths in the
 * log are URL-encoded and relative to the table root; absolute ones may be
 * `file:` URIs or bare paths, and both name the same file.
 */
export function canonicalPath(root: string, logPath: string): string {
  // The common case, a plain relative path, needs no parsing.
  if (PLAIN.test(logPath)) return `${root}/${logPath}`;
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(logPath)) {
    if (logPath.startsWith('file:')) {
      // file:/a/b and file:///a/b are both absolute local paths.
      const normalized = logPath.replace(/^file:\/*/, 'file:///');
      return fileURLToPath(normalized);
    }
    return decodeURIComponentSafe(logPath);
  }
  if (logPath.startsWith('/')) return path.normalize(logPath);
  return path.join(root, ...decodeURIComponentSafe(logPath).split('/'));
}

/**
 * The key under a store root of an absolute path (as canonicalPath gives it),
 * or undefined when the path lies outside the root.
 */
export function keyUnder(root: string, absolute: string): string | undefined {
  const prefix = root.endsWith('/') ? root : `${root}/`;
  if (!absolute.startsWith(prefix) || absolute.length === prefix.length) return undefined;
  const rest = absolute.slice(prefix.length);
  return path.sep === '/' ? rest : rest.split(path.sep).join('/');
}

/**
 * Where the file a log path names is stored: a key of the table's store, or,
 * for an absolute path outside the table folder, a key of the store holding it.
 */
export function fileObject(store: ObjectStore, logPath: string): { store: ObjectStore; key: string } {
  const absolute = canonicalPath(store.root, logPath);
  const key = keyUnder(store.root, absolute);
  return key === undefined ? objectAt(absolute) : { store, key };
}

/** Relative paths with nothing to decode or normalize. */
const PLAIN = /^(?!\/)(?!\.{1,2}(\/|$))(?!.*\/\.{1,2}(\/|$))(?!.*\/\/)(?!.*\/$)[A-Za-z0-9_\-=.+/]+$/;

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function fileKey(root: string, p: string, dv: AddAction['deletionVector']): string {
  const id = dv ? dvUniqueId(dv) : '';
  return `${canonicalPath(root, p)}\u0000${id}`;
}

/** Applies one commit's (or checkpoint's) actions to the state. */
export function applyActions(state: ReplayState, actions: Action[], root: string, source: string, table: string): void {
  for (const action of actions) {
    if (action.add) {
      const add = action.add;
      if (typeof add.path !== 'string') throw corrupt(table, source, 'an add action has no path');
      const key = fileKey(root, add.path, add.deletionVector);
      state.tombstones.delete(key);
      state.files.set(key, { ...add, partitionValues: add.partitionValues ?? {} });
    } else if (action.remove) {
      const remove = action.remove;
      if (typeof remove.path !== 'string') throw corrupt(table, source, 'a remove action has no path');
      const key = fileKey(root, remove.path, remove.deletionVector);
      state.files.delete(key);
      state.tombstones.set(key, remove);
    } else if (action.metaData) {
      state.metadata = action.metaData;
    } else if (action.protocol) {
      state.protocol = action.protocol;
    } else if (action.txn) {
      state.txns.set(action.txn.appId, action.txn);
    } else if (action.domainMetadata) {
      const dm = action.domainMetadata;
      if (dm.removed) state.domains.delete(dm.domain);
      else state.domains.set(dm.domain, dm);
    }
  }
}

/** The commitInfo of a commit, if it has one. */
export function findCommitInfo(actions: Action[]): CommitInfo | undefined {
  return actions.find((a) => a.commitInfo)?.commitInfo;
}

function corrupt(table: string, source: string, what: string): StrataError {
  return new StrataError('LOG_CORRUPT', `table ${table}: ${source}: ${what}`, { context: { table, file: source } });
}
