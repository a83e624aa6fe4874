// Materialized views: recomputed from their sources in one replacing commit, or
// skipped when neither their definition nor any source table changed.
import { createHash } from 'node:crypto';
import { createTable, loadSnapshot, mergeInto, type Snapshot } from '../delta/index.js';
import { quoteIdent, quoteLiteral } from '../engine/index.js';
import { appendQuarantine, deleteQuarantineRows, INGEST_APP_ID } from '../ingest/index.js';
import { withReads } from '../sql/index.js';
import {
  aliasOf,
  pipelineInfo,
  recordWrite,
  tableExists,
  tableOf,
  type FlowResult,
  type RunContext,
  readContext,
} from './context.js';
import { applyExpectations } from './expectations.js';
import { rewriteReferences } from './graph.js';
import { deltaQuery, planIncremental, upsertPlan } from './incremental.js';
import type { DatasetDefinition } from './parse.js';

/** Table property of a materialized view: its definition and the source versions it was computed from. */
export const MV_STATE = 'strata.pipeline.state';

export async function runMaterializedView(
  ctx: RunContext,
  def: DatasetDefinition,
  location: string,
  query: string,
  result: FlowResult,
): Promise<void> {
  const { session } = ctx;
  // What the view is computed from: its definition and each source table's id and version.
  const sources: Record<string, string> = {};
  const locations: Record<string, string> = {};
  let volatile = false;
  const resolved = await rewriteReferences(query, async (span) => {
    if (span.call) {
      volatile = true; // files: always recomputed
      return span.call + (span.hasAlias ? '' : ' AS read_files');
    }
    const loc = tableOf(ctx, def, span);
    if (!loc) return undefined;
    const snap = await loadSnapshot(loc, { session, name: span.name });
    sources[span.name!] = `${snap.metadata.id}@${snap.version}`;
    locations[span.name!] = loc;
    return `delta_scan(${quoteLiteral(loc)}, version => ${snap.version})${span.hasAlias ? '' : ` AS ${quoteIdent(aliasOf(span))}`}`;
  });
  const state = JSON.stringify({ definition: definitionHash(def, query), sources });
  const previous = tableExists(location) ? await loadSnapshot(location, { session, name: def.name }) : undefined;
  if (!volatile && previous && previous.metadata.configuration[MV_STATE] === state) {
    result.status = 'SKIPPED';
    result.message = 'sources unchanged';
    result.version = previous.version;
    return;
  }
  if (!volatile && previous) {
    const done = await refreshIncrementally(
      ctx,
      def,
      location,
      query,
      previous,
      { definition: definitionHash(def, query), sources },
      locations,
      state,
      result,
    );
    if (done) return;
  }
  await withReads(session, resolved, readContext(ctx), async (sql) => {
    const checked = await applyExpectations(
      ctx,
      def,
      sql,
      result,
      (previous?.txns.get(INGEST_APP_ID)?.version ?? 0) + 1,
    );
    try {
      if (checked.quarantine !== undefined) {
        await deleteQuarantineRows(session, { location, name: def.name }, `_flow = ${quoteLiteral(result.flow)}`);
        await appendQuarantine(session, { location, name: def.name }, checked.quarantine);
      }
      result.quarantined = checked.quarantined;
      const written = await createTable(session, {
        location,
        name: def.name,
        replace: Boolean(previous),
        schema: def.columns.length ? { kind: 'struct', fields: def.columns } : undefined,
        select: checked.select,
        partitionColumns: def.partitionedBy,
        properties: { ...def.properties, [MV_STATE]: state },
        description: def.comment,
        info: pipelineInfo(ctx, result.flow),
      });
      recordWrite(result, written, checked.total);
    } finally {
      for (const s of checked.cleanup) await session.exec(s).catch(() => undefined);
    }
  });
}

/**
 * An aggregate view whose one changed source only gained rows: the old aggregate merged
 * with the new rows' (see incremental.ts). False when it does not apply.
 */
async function refreshIncrementally(
  ctx: RunContext,
  def: DatasetDefinition,
  location: string,
  query: string,
  previous: Snapshot,
  now: { definition: string; sources: Record<string, string> },
  locations: Record<string, string>,
  state: string,
  result: FlowResult,
): Promise<boolean> {
  const { session } = ctx;
  const queryWith = (changed: string, placeholder: string) =>
    rewriteReferences(query, async (span) => {
      const loc = span.name ? locations[span.name] : undefined;
      if (!loc) return undefined;
      const alias = span.hasAlias ? '' : ` AS ${quoteIdent(aliasOf(span))}`;
      const version = Number(now.sources[span.name!]?.split('@').at(-1));
      if (span.name === changed) return `${placeholder}${alias}`;
      return `delta_scan(${quoteLiteral(loc)}, version => ${version})${alias}`;
    });
  const plan = await planIncremental(
    session,
    def,
    previous,
    previous.metadata.configuration[MV_STATE],
    now,
    locations,
    queryWith,
  );
  if (!plan) return false;
  const delta = await deltaQuery(session, plan);
  try {
    const upsert = upsertPlan(plan, previous);
    await withReads(session, delta.sql, readContext(ctx), async (sql) => {
      const merged = await mergeInto(session, {
        location,
        name: def.name,
        targetAlias: '__t',
        source: sql,
        sourceAlias: '__s',
        on: upsert.on,
        clauses: upsert.clauses,
        keyPairs: upsert.keyPairs,
        configuration: { [MV_STATE]: state },
        // Merged on the aggregate of `previous`: another update's merge since then conflicts.
        readVersion: previous.version,
        info: {
          ...pipelineInfo(ctx, result.flow),
          strataIncremental: { source: plan.source.name, files: plan.source.adds.length },
        },
        now: ctx.now,
      });
      result.rowsRead = merged.numSourceRows;
      result.rowsWritten = merged.numTargetRowsInserted + merged.numTargetRowsUpdated;
      result.version = merged.version;
      result.message = `incremental: the aggregate of ${plan.source.adds.length} new file(s) of ${plan.source.name} merged in (${merged.numTargetRowsUpdated} group(s) updated, ${merged.numTargetRowsInserted} added)`;
    });
  } finally {
    for (const c of delta.cleanup) await session.exec(c).catch(() => undefined);
  }
  return true;
}

function definitionHash(def: DatasetDefinition, query: string): string {
  return createHash('sha256')
    .update(
      JSON.stringify([query, def.columns, def.expectations, def.partitionedBy, def.properties, def.comment ?? null]),
    )
    .digest('hex')
    .slice(0, 16);
}
