// Paths as the ledger and the tables record them: a file relative to the project
// (forward slashes; absolute only outside it), a table relative to the lake. A
// project moved, restored from a backup or opened through a symlink then still
// knows its files, and no table holds one machine's absolute paths. Files are
// read by their absolute paths (a recorded one resolves against the project
// folder): the conversion is at the record boundary.
import { realpathSync } from 'node:fs';
import * as path from 'node:path';
import type { Catalog } from '../catalog/index.js';
import { quoteIdent, quoteLiteral } from '../engine/index.js';

type Roots = Pick<Catalog, 'projectDir' | 'lakeRoot'>;

/** The folder, and the folder symlinks resolved when that differs. */
function forms(dir: string): string[] {
  let real = dir;
  try {
    real = realpathSync(dir);
  } catch {
    // not there (yet): its path only
  }
  return real === dir ? [dir] : [dir, real];
}

/** `abs` relative to `base` with forward slashes, if it is inside it. */
function inside(base: string, abs: string): string | undefined {
  const rel = path.relative(base, abs);
  if (rel === '') return '.';
  if (path.isAbsolute(rel) || rel === '..' || rel.startsWith(`..${path.sep}`)) return undefined;
  return rel.split(path.sep).join('/');
}

/** A file (or a source folder or glob) as recorded: relative to the project, or absolute outside it. */
export function recordedFile(roots: Roots, file: string): string {
  if (!path.isAbsolute(file)) return file.split(path.sep).join('/');
  for (const base of forms(roots.projectDir)) {
    const rel = inside(base, file);
    if (rel !== undefined) return rel;
  }
  return file;
}

/** A table as the ledger records it: relative to the lake, or absolute outside it. */
export function recordedTable(roots: Roots, location: string): string {
  const abs = path.resolve(roots.projectDir, location);
  for (const base of forms(roots.lakeRoot)) {
    const rel = inside(base, abs);
    if (rel !== undefined) return rel;
  }
  return abs;
}

/** What versions before relative paths recorded for a file: its absolute path(s). */
export function legacyFiles(roots: Roots, recorded: string): string[] {
  return path.isAbsolute(recorded) ? [] : forms(roots.projectDir).map((d) => path.join(d, recorded));
}

/** What versions before relative paths recorded for a table: its absolute path(s). */
export function legacyTables(roots: Roots, location: string): string[] {
  const rel = recordedTable(roots, location);
  return path.isAbsolute(rel) ? [] : forms(roots.lakeRoot).map((d) => path.join(d, rel));
}

/** SQL: an absolute file path (an expression) as recorded. */
export function recordedFileSql(roots: Roots, expr: string): string {
  const cases = forms(roots.projectDir).map((d) => {
    const prefix = quoteLiteral(`${d}${path.sep}`);
    const rest = `substr(${expr}, length(${prefix}) + 1)`;
    return `WHEN starts_with(${expr}, ${prefix}) THEN ${path.sep === '/' ? rest : `replace(${rest}, '\\', '/')`}`;
  });
  return `CASE ${cases.join(' ')} ELSE ${expr} END`;
}

/** The rejected rows of a batch (a temporary table with `_source_file`), paths recorded. */
export function recordedRejects(roots: Roots, table: string): string {
  return `SELECT * REPLACE (${recordedFileSql(roots, '_source_file')} AS _source_file) FROM temp.${quoteIdent(table)}`;
}
