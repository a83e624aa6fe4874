// Ingestion as the SQL front-end's file sources: `read_files(...)` in a query
// reads every matching file once into a temporary table; `COPY INTO` loads the
// files not loaded before. The project wires this into every SQL session.
import { randomUUID } from 'node:crypto';
import { StrataError } from '../core/index.js';
import { quoteIdent, type Session } from '../engine/index.js';
import type { CopyIntoRequest, FileSources, FilesRead } from '../sql/index.js';
import { ingestFiles, listSourceFiles } from './ingest.js';
import { detectFormat, parseReadOptions } from './options.js';
import { batchRows, readBatch } from './read.js';
import { hasMetadataColumn } from './metadata.js';
import type { Catalog } from '../catalog/index.js';
import { streamedRelation } from './stream-csv.js';

/** A one-off read_files: every file the source matches, all columns, `_rescued_data`, and `_metadata` if asked. */
async function readFilesOnce(
  session: Session,
  source: string,
  written: string,
  raw: Record<string, string>,
  extra: { metadata: boolean; catalog: Catalog },
  sampleRows?: number,
): Promise<FilesRead> {
  const glob = Object.entries(raw).find(([k]) => k.toLowerCase() === 'pathglobfilter')?.[1];
  const files = await listSourceFiles(session, source, glob);
  const options = parseReadOptions(withFormat(raw, source, files, 'read_files', written), 'read_files', {
    inferColumnTypes: true,
  });
  if (files.length === 0)
    throw new StrataError('STORAGE', `read_files: no files match ${written}`, { context: { file: written } });
  const id = randomUUID().replace(/-/g, '').slice(0, 12);
  // CSV streams from the files as the query runs; the careful path reads them into memory first.
  const streamed = await streamedRelation(session, files, options, id, { ...extra, sampleRows });
  if (streamed) {
    const view = `__strata_read_files_${id}`;
    await session.exec(`CREATE OR REPLACE TEMP VIEW ${quoteIdent(view)} AS ${streamed.sql}`);
    return {
      table: view,
      cleanup: [`DROP VIEW IF EXISTS temp.${quoteIdent(view)}`, ...streamed.cleanup],
      metadata: streamed.metadata,
    };
  }
  const read = await readBatch(
    session,
    files,
    options,
    { known: [], addNewColumns: options.schemaEvolutionMode !== 'rescue' },
    id,
    extra.catalog,
  );
  const failed = [...read.files].filter(([, f]) => f.error);
  if (failed.length === files.length) {
    for (const statement of read.cleanup) await session.exec(statement).catch(() => undefined);
    throw new StrataError('STORAGE', `read_files: no file could be read (${failed[0][0]}: ${failed[0][1].error})`, {
      context: { file: failed[0][0] },
    });
  }
  const metadata = extra.metadata && !hasMetadataColumn(read.columns);
  const view = `__strata_read_files_${id}`;
  await session.exec(
    `CREATE OR REPLACE TEMP VIEW ${quoteIdent(view)} AS ${batchRows(read, options, files, metadata, extra.catalog)}`,
  );
  return { table: view, cleanup: [`DROP VIEW IF EXISTS temp.${quoteIdent(view)}`, ...read.cleanup], metadata };
}

async function copyInto(session: Session, req: CopyIntoRequest) {
  return ingestFiles(session, {
    location: req.location,
    name: req.name,
    source: req.source,
    catalog: req.catalog,
    options: parseReadOptions(req.options, `COPY INTO ${req.name}`),
    rawOptions: req.options,
    mergeSchema: req.mergeSchema,
    force: req.force,
  });
}

/** read_files and COPY INTO for SQL sessions. */
export const fileSources: FileSources = { read: readFilesOnce, copyInto };

/**
 * read_files whose CSV column types are inferred from the first `rows` rows only: for binding
 * queries before a run (their columns, not their rows), where reading every file would cost a load.
 */
export function sampledFileSources(rows: number): FileSources {
  return { read: (s, source, written, raw, extra) => readFilesOnce(s, source, written, raw, extra, rows), copyInto };
}

/** The options with `format` detected when not given (read_files; a CSV when nothing tells). */
export function withFormat(
  raw: Record<string, string>,
  source: string,
  files: { path: string }[],
  where: string,
  shown = source,
): Record<string, string> {
  if (Object.keys(raw).some((k) => k.toLowerCase() === 'format')) return raw;
  const format = detectFormat(
    source,
    files.map((f) => f.path),
    where,
    shown,
  );
  return format ? { ...raw, format } : raw;
}
