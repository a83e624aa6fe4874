// A table's quarantine: `<table>_quarantine` beside it, a Delta table of the rows
// set aside — lines that did not parse (ingestion), rows that failed a QUARANTINE
// rule (pipelines, with more columns). Writes are keyed by batch or flow and
// deleted before being written again, so a retry never quarantines a row twice.
import { quarantineLocation, tableExists } from '../catalog/index.js';
import { createTable, deleteRows, loadSnapshot, writeTable, type Predicate } from '../delta/index.js';
import type { Session } from '../engine/index.js';

/** The table whose quarantine it is. */
export interface QuarantinedTable {
  location: string;
  name: string;
}

/**
 * The quarantine of an ingest batch: what an interrupted attempt at the same batch left
 * goes, then the batch's rejected rows (a query with _source_file, _file_line,
 * _error, _raw) come. Returns how many.
 */
export async function writeQuarantine(
  session: Session,
  table: QuarantinedTable,
  batchId: number,
  rejected: string,
  ingestedAt: string,
): Promise<number> {
  await deleteQuarantineRows(session, table, `_batch_id = ${batchId}`, {
    kind: 'cmp',
    column: '_batch_id',
    op: '=',
    value: String(batchId),
  });
  return appendQuarantine(
    session,
    table,
    `SELECT _source_file, _file_line, _error AS _reason, _raw, ${batchId}::BIGINT AS _batch_id, ${ingestedAt} AS _ingested_at FROM (${rejected})`,
    'COPY INTO',
  );
}

/** Deletes the quarantined rows of ingest batches (batches a reload replaced). */
export async function dropBatchesFromQuarantine(
  session: Session,
  table: QuarantinedTable,
  batches: number[],
): Promise<void> {
  if (batches.length === 0) return;
  const ids = batches.map((b) => String(Number(b)));
  await deleteQuarantineRows(session, table, `_batch_id IN (${ids.join(', ')})`, {
    kind: 'in',
    column: '_batch_id',
    values: ids,
  });
}

/** Deletes rows of the table's quarantine matching `where` (a retried batch, a recomputed view). */
export async function deleteQuarantineRows(
  session: Session,
  table: QuarantinedTable,
  where: string,
  prune?: Predicate,
): Promise<void> {
  const quarantine = quarantineLocation(table.location);
  if (!tableExists(quarantine)) return;
  const name = `${table.name}_quarantine`;
  if (/^_flow\b/.test(where)) {
    // Only pipelines' quarantines have the column.
    const snap = await loadSnapshot(quarantine, { session, name });
    if (!snap.schema.fields.some((f) => f.name === '_flow')) return;
  }
  await deleteRows(session, { location: quarantine, name, where, prune });
}

/** Appends rows (quarantine columns, maybe more: they are added) to the table's quarantine; returns how many. */
export async function appendQuarantine(
  session: Session,
  table: QuarantinedTable,
  rows: string,
  operation = 'WRITE',
): Promise<number> {
  const quarantine = quarantineLocation(table.location);
  const name = `${table.name}_quarantine`;
  const [{ n }] = await session.rows<{ n: bigint }>(`SELECT count(*) AS n FROM (${rows})`);
  if (Number(n) === 0) return 0;
  if (!tableExists(quarantine))
    await createTable(session, { location: quarantine, name, ifNotExists: true, schema: QUARANTINE_SCHEMA });
  await writeTable(session, { location: quarantine, name, mode: 'append', select: rows, mergeSchema: true, operation });
  return Number(n);
}

const string = { kind: 'primitive' as const, name: 'string' as const };
const long = { kind: 'primitive' as const, name: 'long' as const };
const QUARANTINE_SCHEMA = {
  kind: 'struct' as const,
  fields: [
    { name: '_source_file', type: string, nullable: true, metadata: {} },
    { name: '_file_line', type: long, nullable: true, metadata: {} },
    { name: '_reason', type: string, nullable: true, metadata: {} },
    { name: '_raw', type: string, nullable: true, metadata: {} },
    { name: '_batch_id', type: long, nullable: true, metadata: {} },
    {
      name: '_ingested_at',
      type: { kind: 'primitive' as const, name: 'timestamp' as const },
      nullable: true,
      metadata: {},
    },
  ],
};
