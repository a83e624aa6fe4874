// COPY INTO <table> FROM '<source>' FILEFORMAT = ... : the statement's checks and
// Databricks' result columns; the files are loaded by the wired-in file sources.
import * as path from 'node:path';
import { tableExists } from '../catalog/index.js';
import { StrataError, UserSqlError } from '../core/index.js';
import type { QueryResult, Session } from '../engine/index.js';
import type { ReadContext } from './read-context.js';
import type { Statement } from './statement.js';

const COPY_OPTIONS = new Set(['mergeschema', 'force']);

export async function copyInto(
  session: Session,
  stmt: Extract<Statement, { kind: 'copy-into' }>,
  ctx: ReadContext,
): Promise<QueryResult> {
  const { location, display } = ctx.catalog.resolve(stmt.table);
  if (!tableExists(location)) {
    throw new StrataError(
      'TABLE_NOT_FOUND',
      `COPY INTO ${display}: the table does not exist; create it first (CREATE TABLE IF NOT EXISTS ${display} creates one without columns that takes the files' schema)`,
      {
        context: { table: display },
      },
    );
  }
  const copy = new Map(Object.entries(stmt.copyOptions).map(([k, v]) => [k.toLowerCase(), v.toLowerCase()]));
  for (const k of copy.keys())
    if (!COPY_OPTIONS.has(k))
      throw new UserSqlError(`COPY INTO ${display}: unknown COPY_OPTIONS '${k}' (mergeSchema, force)`);
  if (stmt.source.trim() === '') {
    throw new UserSqlError(
      `COPY INTO ${display}: FROM '' names no files; give the folder or glob the files land in, e.g. FROM 'landing/orders/'`,
    );
  }
  if (!ctx.files)
    throw new StrataError('INTERNAL', 'COPY INTO cannot be used here: no file reader was wired into this SQL session');
  const outcome = await ctx.files.copyInto(session, {
    location,
    name: display,
    source: path.resolve(ctx.catalog.projectDir, stmt.source),
    options: { ...stmt.formatOptions, format: stmt.format },
    mergeSchema: copy.get('mergeschema') === 'true',
    force: copy.get('force') === 'true',
    catalog: ctx.catalog,
  });
  // Databricks' result columns, and what a bronze load needs to know.
  const notices = [
    ...outcome.filesFailed.map((f) => `not loaded: ${f.path}: ${f.error}`),
    ...outcome.filesChanged.map(
      (f) => `changed since it was loaded (not loaded again; COPY_OPTIONS ('force' = 'true') reloads): ${f}`,
    ),
    ...outcome.filesPutOff.map((f) => `still being written (changed within the settling time): put off: ${f}`),
    ...outcome.filesRenamed.map(
      (f) =>
        `${f.path} has the content of ${f.earlier}, loaded before: not loaded again (FORMAT_OPTIONS ('loadRenamedFiles' = 'true') loads it)`,
    ),
  ];
  return {
    columns: [
      'num_affected_rows',
      'num_inserted_rows',
      'num_skipped_corrupt_files',
      'num_files_loaded',
      'num_files_skipped',
      'num_rows_rescued',
      'num_rows_quarantined',
    ].map((name) => ({
      name,
      type: 'BIGINT',
    })),
    rows: [
      [
        outcome.rows,
        outcome.rows,
        outcome.filesFailed.length,
        outcome.filesLoaded,
        outcome.filesSkipped,
        outcome.rescued,
        outcome.quarantined,
      ],
    ],
    ...(notices.length ? { notices } : {}),
  };
}
