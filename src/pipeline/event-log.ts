// The event log: a Delta table, lake/_system/event_log (SQL `system.event_log`),
// whose columns mirror the Databricks pipeline event log — id, sequence, origin,
// timestamp, message, level, error, details, event_type — so that monitoring SQL
// written for Databricks reads it. `details` and `error` are JSON text, as there.
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tableExists } from '../catalog/index.js';
import { createTable, loadSnapshot, planScan, writeTable } from '../delta/index.js';
import { quoteLiteral, type Session } from '../engine/index.js';

export type EventType = 'create_update' | 'flow_definition' | 'flow_progress' | 'update_progress' | 'user_action';
export type EventLevel = 'INFO' | 'WARN' | 'ERROR' | 'METRICS';

export interface EventOrigin {
  pipeline_id: string;
  pipeline_name: string;
  update_id: string;
  flow_id?: string;
  flow_name?: string;
  dataset_name?: string;
  batch_id?: number;
}

export interface PipelineEvent {
  id: string;
  sequence: number;
  origin: EventOrigin;
  timestamp: number;
  message: string;
  level: EventLevel;
  error?: { message: string; code?: string };
  details: Record<string, unknown>;
  event_type: EventType;
}

const COLUMNS = `id VARCHAR, "sequence" VARCHAR,
  origin STRUCT(pipeline_id VARCHAR, pipeline_name VARCHAR, update_id VARCHAR, flow_id VARCHAR, flow_name VARCHAR, dataset_name VARCHAR, batch_id BIGINT),
  "timestamp" TIMESTAMPTZ, message VARCHAR, level VARCHAR, error VARCHAR, details VARCHAR, event_type VARCHAR, maturity_level VARCHAR`;

/** Collects a run's events and appends them to the event log in one commit per flush. */
export class EventLog {
  private pending: PipelineEvent[] = [];
  private seq = 0;
  readonly all: PipelineEvent[] = [];

  constructor(
    /** The event log table's folder (the catalog's `system.event_log`). */
    private readonly location: string,
    private readonly origin: Pick<EventOrigin, 'pipeline_id' | 'pipeline_name' | 'update_id'>,
    private readonly now: () => number = Date.now,
  ) {}

  add(
    event_type: EventType,
    message: string,
    details: Record<string, unknown>,
    extra: { level?: EventLevel; origin?: Partial<EventOrigin>; error?: PipelineEvent['error'] } = {},
  ): PipelineEvent {
    const event: PipelineEvent = {
      id: randomUUID(),
      sequence: ++this.seq,
      origin: { ...this.origin, ...(extra.origin ?? {}) },
      timestamp: this.now(),
      message,
      level: extra.level ?? (extra.error ? 'ERROR' : 'INFO'),
      error: extra.error,
      details: { [event_type]: details },
      event_type,
    };
    this.pending.push(event);
    this.all.push(event);
    return event;
  }

  /** Appends the pending events (one commit). */
  async flush(session: Session): Promise<void> {
    if (this.pending.length === 0) return;
    const events = this.pending;
    this.pending = [];
    const location = this.location;
    if (!tableExists(location)) {
      await fs.mkdir(location, { recursive: true });
      await session.exec(`CREATE OR REPLACE TEMP TABLE __strata_event_shape (${COLUMNS})`);
      await createTable(session, {
        location,
        name: 'system.event_log',
        ifNotExists: true,
        select: 'SELECT * FROM temp.__strata_event_shape',
        description: 'Strata pipeline event log (columns as the Databricks event log)',
      });
    }
    const str = (v: string | undefined) => (v === undefined ? 'NULL::VARCHAR' : quoteLiteral(v));
    const values = events.map((e) => {
      const o = e.origin;
      const origin = `struct_pack(pipeline_id := ${str(o.pipeline_id)}, pipeline_name := ${str(o.pipeline_name)}, update_id := ${str(o.update_id)}, flow_id := ${str(o.flow_id)}, flow_name := ${str(o.flow_name)}, dataset_name := ${str(o.dataset_name)}, batch_id := ${o.batch_id === undefined ? 'NULL' : o.batch_id}::BIGINT)`;
      const sequence = JSON.stringify({
        data_plane_id: { instance: o.update_id, seq_no: e.sequence },
        control_plane_seq_no: e.timestamp * 1000 + e.sequence,
      });
      return `(${str(e.id)}, ${str(sequence)}, ${origin}, make_timestamptz(${e.timestamp * 1000}::BIGINT), ${str(e.message)}, ${str(e.level)}, ${str(e.error ? JSON.stringify({ fatal: true, exceptions: [{ message: e.error.message, class_name: e.error.code ?? 'StrataError' }] }) : undefined)}, ${str(JSON.stringify(e.details))}, ${str(e.event_type)}, 'STABLE')`;
    });
    const names = [
      'id',
      '"sequence"',
      'origin',
      '"timestamp"',
      'message',
      'level',
      'error',
      'details',
      'event_type',
      'maturity_level',
    ];
    await writeTable(session, {
      location,
      name: 'system.event_log',
      mode: 'append',
      select: `SELECT * FROM (VALUES ${values.join(',\n')}) AS v(${names.join(', ')})`,
      operation: 'WRITE',
    });
  }
}

/** The final states of an update (Databricks' terminal update states). */
const FINAL_STATES = ['COMPLETED', 'FAILED', 'CANCELED'];

/**
 * Records that an update ended without saying so (its process was killed): an
 * `update_progress` FAILED event, unless the log already has its final state.
 */
export async function closeAbandonedUpdate(
  session: Session,
  location: string,
  origin: Pick<EventOrigin, 'pipeline_id' | 'pipeline_name' | 'update_id'>,
  reason: string,
  now: () => number = Date.now,
  code = 'ABANDONED',
): Promise<boolean> {
  if (!tableExists(location)) return false;
  const snap = await loadSnapshot(location, { session, name: 'system.event_log' });
  const scan = await planScan(snap, session, { id: randomUUID().replace(/-/g, '').slice(0, 12) });
  try {
    const [row] = await session.rows<{ started: bigint; ended: bigint }>(
      `SELECT count(*) FILTER (WHERE event_type = 'create_update') AS started,
        count(*) FILTER (WHERE event_type = 'update_progress' AND json_extract_string(details, '$.update_progress.state') IN (${FINAL_STATES.map(quoteLiteral).join(', ')})) AS ended
       FROM (${scan.sql}) AS e WHERE e.origin.update_id = ${quoteLiteral(origin.update_id)}`,
    );
    if (Number(row.started) === 0 || Number(row.ended) > 0) return false;
  } finally {
    for (const c of scan.cleanup) await session.exec(c).catch(() => undefined);
  }
  const log = new EventLog(location, origin, now);
  log.add(
    'update_progress',
    `Update ${origin.update_id.slice(0, 6)} is FAILED.`,
    { state: 'FAILED' },
    { level: 'ERROR', error: { message: reason, code } },
  );
  await log.flush(session);
  return true;
}
