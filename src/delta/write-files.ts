// Writing data files: DuckDB writes Parquet straight into the table folder
// (partition folders included) under unique names, and returns per-file stats,
// from which the add actions are built. Files are invisible until a commit
// names them; a crash leaves only unreferenced files, which VACUUM removes.
// DuckDB writes by path, so this needs a LocalPathStore: a remote store will need
// a staging step here (COPY into a local folder, then put each file).
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { StrataError } from '../core/index.js';
import { quoteIdent, quoteLiteral, type Session } from '../engine/index.js';
import type { LocalPathStore } from '../storage/index.js';
import type { AddAction } from './actions.js';
import type { StructType } from './schema.js';
import { buildStats, DEFAULT_INDEXED_COLUMNS, type ColumnStats } from './stats.js';

export const DEFAULT_TARGET_FILE_SIZE = 128 * 1024 * 1024;

export interface WriteFilesOptions {
  table: string;
  store: LocalPathStore;
  schema: StructType;
  partitionColumns: string[];
  configuration: Record<string, string>;
  /** Milliseconds since the epoch for modificationTime. */
  now?: () => number;
  /** Write under this folder of the table (e.g. `_change_data`); paths stay relative to the table. */
  subdir?: string;
  /** File name prefix (default `part`). */
  prefix?: string;
}

export interface WrittenFiles {
  adds: AddAction[];
  numRows: number;
  numBytes: number;
}

/**
 * Writes the rows of `select` (columns named and typed as the table's, in
 * schema order) as data files, and returns their add actions.
 */
export async function writeDataFiles(
  session: Session,
  select: string,
  options: WriteFilesOptions,
): Promise<WrittenFiles> {
  const { store, schema, partitionColumns, configuration } = options;
  const root = store.localPath('');
  const target = await store.localFolder(options.subdir ?? '');
  const targetSize = parseSize(configuration['delta.targetFileSize'], DEFAULT_TARGET_FILE_SIZE, options.table);
  // The files of this write share a name prefix: if DuckDB fails midway (a full disk), what it
  // wrote is found and deleted, not left to hold the space until a VACUUM.
  const prefix = `${options.prefix ?? 'part'}-${randomUUID().slice(0, 8)}`;
  const copyOptions = [
    'FORMAT parquet',
    "COMPRESSION 'snappy'",
    `FILENAME_PATTERN '${prefix}-{uuid}'`,
    'RETURN_STATS',
    'APPEND',
    partitionColumns.length > 0
      ? `PARTITION_BY (${partitionColumns.map(quoteIdent).join(', ')})`
      : `FILE_SIZE_BYTES ${targetSize}`,
    // DuckDB rotates files between row groups: small targets need small row groups.
    `ROW_GROUP_SIZE ${Math.min(122_880, Math.max(2_048, Math.round(targetSize / 64)))}`,
  ];
  let rows: FileRow[];
  try {
    rows = await session.rows<FileRow>(`COPY (${select}) TO ${quoteLiteral(target)} (${copyOptions.join(', ')})`);
  } catch (err) {
    await deletePartialFiles(store, options.subdir ?? '', `${prefix}-`);
    throw err;
  }
  const indexed = Number(configuration['delta.dataSkippingNumIndexedCols'] ?? DEFAULT_INDEXED_COLUMNS);
  const skip = new Set(partitionColumns);
  const now = options.now ?? Date.now;
  const adds: AddAction[] = [];
  let numRows = 0;
  let numBytes = 0;
  const files: FileRow[] = [...rows];
  for (let i = 0; i < files.length; i++) {
    const row = files[i];
    const count = Number(row.count);
    if (count === 0) {
      await store.delete(localKey(root, row.filename)); // DuckDB writes an empty file for an empty result
      continue;
    }
    const size = Number(row.file_size_bytes);
    if (partitionColumns.length > 0 && size > targetSize * 1.5 && !row.split) {
      // DuckDB cannot split partitioned output by size: split this one partition's file.
      files.push(...(await splitFile(session, store, row, targetSize, copyOptions.slice(0, 4))));
      continue;
    }
    const stats = buildStats(schema, count, toColumnStats(row.column_statistics), skip, indexed);
    adds.push({
      path: relativeLogPath(root, row.filename),
      partitionValues: partitionValues(schema, partitionColumns, toPairs(row.partition_keys)),
      size,
      modificationTime: now(),
      dataChange: true,
      stats: JSON.stringify(stats),
    });
    numRows += count;
    numBytes += size;
  }
  return { adds, numRows, numBytes };
}

/** Deletes the files under `subdir` (partition folders included) whose names start with `prefix`. */
async function deletePartialFiles(store: LocalPathStore, subdir: string, prefix: string): Promise<void> {
  const listed = await store.list(subdir === '' ? '' : `${subdir}/`).catch(() => []);
  for (const f of listed.filter((m) => path.posix.basename(m.key).startsWith(prefix)))
    await store.delete(f.key).catch(() => undefined);
}

interface FileRow {
  filename: string;
  count: bigint;
  file_size_bytes: bigint;
  column_statistics: unknown;
  partition_keys: unknown;
  /** Already the result of a split (never split twice). */
  split?: boolean;
}

/**
 * Rewrites an oversized file of one partition into files of about the target
 * size, in the same folder; the new files keep the old one's partition values.
 */
async function splitFile(
  session: Session,
  store: LocalPathStore,
  row: FileRow,
  targetSize: number,
  baseOptions: string[],
): Promise<FileRow[]> {
  const folder = path.dirname(row.filename);
  const options = [
    ...baseOptions,
    'APPEND',
    `FILE_SIZE_BYTES ${targetSize}`,
    `ROW_GROUP_SIZE ${Math.min(122_880, Math.max(2_048, Math.round(targetSize / 64)))}`,
  ];
  const parts = await session.rows<FileRow>(
    `COPY (SELECT * FROM read_parquet(${quoteLiteral(row.filename)})) TO ${quoteLiteral(folder)} (${options.join(', ')})`,
  );
  await store.delete(localKey(store.localPath(''), row.filename));
  return parts.map((p) => ({ ...p, partition_keys: row.partition_keys, split: true }));
}

/** The store key of a file DuckDB wrote under the table folder: its path relative to the root, '/'-separated. */
function localKey(root: string, file: string): string {
  const rel = path.relative(root, file);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new StrataError('INTERNAL', `data file ${file} was written outside the table folder ${root}`);
  }
  return rel.split(path.sep).join('/');
}

/** The log's form of a file path: relative to the root, each segment URL-encoded. */
export function relativeLogPath(root: string, file: string): string {
  return localKey(root, file)
    .split('/')
    .map((seg) => encodeURIComponent(seg).replace(/%3D/g, '='))
    .join('/');
}

/** Serializes partition values as the protocol wants them (timestamps in UTC, ISO-8601). */
function partitionValues(
  schema: StructType,
  columns: string[],
  pairs: [string, string | null][],
): Record<string, string | null> {
  const byName = new Map(pairs.map(([k, v]) => [k.toLowerCase(), v]));
  const out: Record<string, string | null> = {};
  for (const column of columns) {
    const raw = byName.get(column.toLowerCase()) ?? null;
    const field = schema.fields.find((f) => f.name === column);
    if (raw === null || raw === '') {
      out[column] = null;
    } else if (field?.type.kind === 'primitive' && field.type.name === 'timestamp') {
      const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)?(\+00)?$/.exec(raw);
      out[column] = m ? `${m[1]}T${m[2]}${m[3] ? m[3].padEnd(7, '0').slice(0, 7) : '.000000'}Z` : raw;
    } else if (field?.type.kind === 'primitive' && field.type.name === 'binary') {
      // DuckDB prints blobs with \xNN escapes; Delta stores the bytes as a (UTF-8) string.
      out[column] = Buffer.from(unescapeBlob(raw)).toString('utf8');
    } else {
      out[column] = raw;
    }
  }
  return out;
}

/** Bytes of DuckDB's blob text ('ab\\x00'). */
function unescapeBlob(text: string): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && text[i + 1] === 'x') {
      bytes.push(parseInt(text.slice(i + 2, i + 4), 16));
      i += 3;
    } else {
      bytes.push(...Buffer.from(text[i], 'utf8'));
    }
  }
  return Uint8Array.from(bytes);
}

/** DuckDB gives a MAP to JS as an array of {key, value} entries. */
function mapEntries(value: unknown): [string, unknown][] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.map((e: { key: unknown; value: unknown }) => [String(e.key), e.value]);
  const entries = (value as { entries?: unknown }).entries;
  if (Array.isArray(entries)) return mapEntries(entries);
  return Object.entries(value as Record<string, unknown>);
}

function toPairs(value: unknown): [string, string | null][] {
  return mapEntries(value).map(([k, v]) => [k, v === null || v === undefined ? null : String(v)]);
}

function toColumnStats(value: unknown): ColumnStats {
  const out: ColumnStats = new Map();
  for (const [column, inner] of mapEntries(value)) out.set(column, Object.fromEntries(toPairs(inner)));
  return out;
}

/** '128MB', '1g', '1048576' → bytes. */
export function parseSize(text: string | undefined, fallback: number, table: string): number {
  if (text === undefined) return fallback;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g)?\s*$/i.exec(text);
  if (!m) throw new StrataError('USAGE', `table ${table}: delta.targetFileSize '${text}' is not a size (e.g. 128MB)`);
  const unit = (m[2] ?? 'b').toLowerCase();
  const mult = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 ** 2 : unit.startsWith('g') ? 1024 ** 3 : 1;
  return Math.round(Number(m[1]) * mult);
}
