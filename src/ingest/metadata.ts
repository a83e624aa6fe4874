// Databricks' hidden `_metadata` column of file sources: the file facts of each row
// (file_path, file_name, file_size, file_block_start, file_block_length,
// file_modification_time), which no file column can clash with because they are not
// columns of the rows — a query gets the struct only when it names `_metadata`
// (https://docs.databricks.com/en/ingestion/file-metadata-column.html). A file is
// read whole, as one block (start 0, length its size), as Spark does for files it
// does not split. Paths are as recorded (relative to the project: paths.ts).
import * as path from 'node:path';
import type { Catalog } from '../catalog/index.js';
import { quoteIdent, quoteLiteral } from '../engine/index.js';
import { recordedFile } from './paths.js';

type Roots = Pick<Catalog, 'projectDir' | 'lakeRoot'>;

/** A file as listed (read.ts's SourceFile). */
interface SourceFile {
  path: string;
  size: number;
  modified: number;
}

/** The name of the hidden column. */
export const METADATA_COLUMN = '_metadata';

/** The facts of one file as SQL values, in the struct's order. */
function facts(roots: Roots | undefined, f: SourceFile): string[] {
  return [
    quoteLiteral(roots ? recordedFile(roots, f.path) : f.path),
    quoteLiteral(path.basename(f.path)),
    `${f.size}::BIGINT`,
    '0::BIGINT',
    `${f.size}::BIGINT`,
    `make_timestamptz(${f.modified * 1000}::BIGINT)`,
  ];
}

const FIELDS = [
  'file_path',
  'file_name',
  'file_size',
  'file_block_start',
  'file_block_length',
  'file_modification_time',
] as const;

/** SQL: one file's `_metadata` struct (a constant). */
export function metadataLiteral(roots: Roots | undefined, f: SourceFile): string {
  const values = facts(roots, f);
  return `struct_pack(${FIELDS.map((k, i) => `${k} := ${values[i]}`).join(', ')})`;
}

/**
 * SQL: `rows` (a relation whose column `fileColumn` is each row's absolute path) with each
 * row's `_metadata` struct added and `fileColumn` left out; every row is kept (each of
 * `files` is a row of the joined list).
 */
export function withMetadataJoin(
  roots: Roots | undefined,
  rows: string,
  columns: string[],
  fileColumn: string,
  files: SourceFile[],
): string {
  const values = files.map((f) => `(${quoteLiteral(f.path)}, ${facts(roots, f).join(', ')})`).join(', ');
  const struct = `struct_pack(${FIELDS.map((k, i) => `${k} := __m.v${i}`).join(', ')})`;
  return `SELECT ${columns.map((c) => `__r.${quoteIdent(c)}`).join(', ')}, ${struct} AS ${METADATA_COLUMN} FROM (${rows}) AS __r JOIN (VALUES ${values}) AS __m(p, ${FIELDS.map((_, i) => `v${i}`).join(', ')}) ON __r.${quoteIdent(fileColumn)} = __m.p`;
}

/**
 * Whether the files have a column named `_metadata`: then, as in Databricks, that name is the
 * column's, and the file facts are not given.
 */
export function hasMetadataColumn(columns: { name: string }[]): boolean {
  return columns.some((c) => c.name.toLowerCase() === METADATA_COLUMN);
}
