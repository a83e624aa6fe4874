// A cancelled update (its job task timed out, the user pressed Ctrl-C) leaves the pipeline's tables
// as they were before it: the running statement is interrupted, no flow starts after, and every
// table the update had already committed to is restored to its version before the update — with
// its stream progress (txn actions) and, for tables that load files, its ledger (the files those
// commits loaded load again). A table the update created is removed.
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { quarantineLocation } from '../catalog/index.js';
import { loadSnapshot, restoreTable } from '../delta/index.js';
import { cancelled, type Session } from '../engine/index.js';
import { LEDGER_ROLLBACK } from '../ingest/index.js';
import { CDC_STATE_DIR } from './auto-cdc.js';
import { tableExists, type FlowResult, type RunOutcome } from './context.js';
import type { EventLog } from './event-log.js';
import type { Node } from './graph.js';
import type { Pipeline } from './project.js';
import { STREAM_APP } from './streaming.js';

/** A table an update may write: where it is, its name, and its version before the update (undefined: not there). */
export interface TableBefore {
  location: string;
  name: string;
  version: number | undefined;
}

/** The versions, before the update, of the tables it may write (each dataset, its quarantine, its AUTO CDC state). */
export async function versionsBefore(
  session: Session,
  tables: { location: string; name: string }[],
): Promise<TableBefore[]> {
  const out: TableBefore[] = [];
  for (const t of tables)
    for (const [location, name] of [
      [t.location, t.name],
      [quarantineLocation(t.location), `${t.name}_quarantine`],
      [path.join(t.location, CDC_STATE_DIR), `${t.name} (AUTO CDC state)`],
    ]) {
      const version = tableExists(location) ? (await loadSnapshot(location, { session, name })).version : undefined;
      out.push({ location, name, version });
    }
  return out;
}

/** What a rollback did to one table. */
export interface RolledBack {
  name: string;
  /** The version restored (undefined: the table was created by the update and is removed). */
  to: number | undefined;
  from: number;
}

/**
 * Restores every table the update changed to its version before it (a RESTORE commit that also
 * sets its stream progress back and tells the ingest ledger those commits loaded nothing).
 */
export async function rollBack(session: Session, before: TableBefore[], updateId: string): Promise<RolledBack[]> {
  const out: RolledBack[] = [];
  // Nested tables (AUTO CDC state) first: a removed table takes them with it.
  for (const t of [...before].reverse()) {
    if (!tableExists(t.location)) continue;
    const now = await loadSnapshot(t.location, { session, name: t.name });
    if (t.version !== undefined && now.version === t.version) continue;
    if (t.version === undefined) {
      await removeTable(t.location);
      out.push({ name: t.name, to: undefined, from: now.version });
      continue;
    }
    await restoreTable(session, { location: t.location, name: t.name }, { version: t.version }, Date.now, {
      txns: { absent: (appId) => (appId.startsWith(STREAM_APP) ? -1 : 0) },
      info: { [LEDGER_ROLLBACK]: { version: t.version }, strataCancelledUpdate: updateId },
    });
    out.push({ name: t.name, to: t.version, from: now.version });
  }
  return out.reverse();
}

/** Removes a table folder the cancelled update created: moved aside first (one rename), then deleted. */
async function removeTable(location: string): Promise<void> {
  const aside = path.join(path.dirname(location), `.${path.basename(location)}.cancelled-${randomUUID().slice(0, 8)}`);
  await fs.rename(location, aside);
  await fs.rm(aside, { recursive: true, force: true });
}

/** The end of a cancelled update: its tables restored, the event log told which, the outcome CANCELED. */
export async function cancelUpdate(
  session: Session,
  log: EventLog,
  u: {
    signal: AbortSignal;
    before: TableBefore[];
    results: Map<Node, FlowResult>;
    pipeline: Pipeline;
    updateId: string;
    started: number;
  },
): Promise<RunOutcome> {
  const { before, results, pipeline, updateId, started } = u;
  const restored = await rollBack(session, before, updateId);
  const reason = cancelled(u.signal).message;
  const what = restored.map((r) =>
    r.to === undefined ? `${r.name} removed (created by this update)` : `${r.name} v${r.from} → v${r.to}`,
  );
  const message = `cancelled (${reason})${what.length ? `; tables restored: ${what.join(', ')}` : ''}`;
  log.add('update_progress', `Update ${updateId.slice(0, 6)} is CANCELED: ${message}.`, {
    state: 'CANCELED',
    restored: restored.map((r) => ({ dataset: r.name, from_version: r.from, to_version: r.to ?? null })),
  });
  await log.flush(session);
  for (const r of results.values()) if (r.status === 'QUEUED') r.status = 'STOPPED';
  return {
    updateId,
    status: 'CANCELED',
    flows: pipeline.order
      .filter((n) => pipeline.datasets.get(n.target)!.kind !== 'temporary-view')
      .map((n) => results.get(n)!),
    durationMs: performance.now() - started,
    error: message,
    restored,
  };
}
