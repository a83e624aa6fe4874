// What the parts of a pipeline update share: the run's context, what a flow
// reports, and how a query's table names become table folders.
import { tableExists, type Catalog } from '../catalog/index.js';
import { StrataError } from '../core/index.js';
import { quoteIdent, type Engine, type Session } from '../engine/index.js';
import { fileSources } from '../ingest/index.js';
import type { ReadContext } from '../sql/index.js';
import type { EventLog } from './event-log.js';
import { referenceSpans, type ReferenceSpan } from './graph.js';
import type { DatasetDefinition } from './parse.js';
import type { Pipeline } from './project.js';

export type FlowStatus = 'QUEUED' | 'RUNNING' | 'COMPLETED' | 'SKIPPED' | 'FAILED' | 'EXCLUDED' | 'STOPPED';

export interface ExpectationResult {
  name: string;
  dataset: string;
  passed_records: number;
  failed_records: number;
}

/** What one flow (a dataset's query or a named flow) did in the update. */
export interface FlowResult {
  /** The flow's name: the dataset's for its own query, else the flow's. */
  flow: string;
  dataset: string;
  kind: string;
  status: FlowStatus;
  rowsRead: number;
  rowsWritten: number;
  dropped: number;
  quarantined: number;
  durationMs: number;
  /** The Delta version this update wrote. */
  version?: number;
  expectations: ExpectationResult[];
  /** More metrics for the event log (AUTO CDC: num_upserted_rows, num_deleted_rows). */
  metrics?: Record<string, number>;
  /** Why it was skipped, or the error. */
  message?: string;
}

export interface RunOptions {
  /** Where the project's tables are. */
  catalog: Catalog;
  /** Datasets to update (with the datasets they read); default all. */
  select?: string[];
  /** Datasets to rebuild from scratch, or 'all'. */
  fullRefresh?: string[] | 'all';
  /** Allow a full refresh of tables that read files. */
  force?: boolean;
  /** Run independent flows at the same time, each on its own connection of `engine`, at most `max`. */
  parallel?: { engine: Engine; max: number };
  /** Told whenever a flow changes state. */
  onFlow?: (flow: FlowResult) => void;
  /** The update's id (default: a new one). */
  updateId?: string;
  now?: () => number;
  /**
   * Cancels the update: the running statement is interrupted, no flow starts after, and the
   * tables it wrote are restored to their versions before it (the outcome is CANCELED).
   */
  signal?: AbortSignal;
}

export interface RunContext {
  session: Session;
  pipeline: Pipeline;
  options: RunOptions;
  updateId: string;
  log: EventLog;
  /** Datasets to rebuild (normalized names). */
  refresh: Set<string>;
  /** Those already emptied in this run (a table fed by two flows is emptied once). */
  refreshed: Set<string>;
  now: () => number;
}

export function locationOf(ctx: RunContext, name: string): string {
  return ctx.options.catalog.locationOf(name);
}

/** What a flow's queries need to read tables and files. */
export function readContext(ctx: RunContext): ReadContext {
  return { catalog: ctx.options.catalog, files: fileSources };
}

export { tableExists };

/**
 * The folder of a table a query reads: a dataset of the pipeline (which must exist by now,
 * its update came first) or a table of the lake; undefined for other names (CTEs, DuckDB's).
 */
export function tableOf(ctx: RunContext, def: DatasetDefinition, span: ReferenceSpan): string | undefined {
  if (!span.name) return undefined;
  let loc: string;
  try {
    loc = locationOf(ctx, span.name);
  } catch {
    return undefined;
  }
  if (tableExists(loc)) return loc;
  if (ctx.pipeline.datasets.has(span.name)) {
    throw new StrataError(
      'TABLE_NOT_FOUND',
      `${def.name} reads ${span.name}, which has no data yet (its update did not run or failed)`,
      { context: { table: span.name } },
    );
  }
  return undefined;
}

export function aliasOf(span: ReferenceSpan): string {
  const parts = (span.written ?? span.name ?? 'read_files').split('.');
  return parts[parts.length - 1];
}

/** What a flow's write did: rows in (before expectations), rows written, the version. */
export function recordWrite(
  result: FlowResult,
  written: { numRows: number; version?: number },
  total: number | undefined,
): void {
  result.rowsWritten = written.numRows;
  result.rowsRead = total ?? written.numRows;
  result.version = written.version;
}

/** SQL whose result differs from one evaluation to the next (random values, the clock, sampling). */
export const NONDETERMINISTIC =
  /\b(random|rand|randn|uuid|gen_random_uuid|setseed|nextval|shuffle|list_shuffle|now|get_current_time|get_current_timestamp)\s*\(|\b(current_timestamp|current_date|current_time|tablesample|using\s+sample)\b/i;

/** commitInfo of a pipeline's commits: which pipeline, update and flow wrote them. */
export function pipelineInfo(ctx: RunContext, flow: string): Record<string, unknown> {
  return { strataPipeline: { pipeline: ctx.pipeline.name, update_id: ctx.updateId, flow } };
}

/** Temporary views are inlined as subqueries where they are read (repeatedly: views may read views). */
export function inlineViews(pipeline: Pipeline, sql: string): string {
  for (let round = 0; round < 64; round++) {
    let changed = false;
    const spans = referenceSpans(sql, pipeline.schema);
    let out = '';
    let at = 0;
    for (const s of spans) {
      const view = s.name ? pipeline.datasets.get(s.name) : undefined;
      if (!view || view.kind !== 'temporary-view') continue;
      out += sql.slice(at, s.start) + `(${view.query})${s.hasAlias ? '' : ` AS ${quoteIdent(aliasOf(s))}`}`;
      at = s.end;
      changed = true;
    }
    if (!changed) return sql;
    sql = out + sql.slice(at);
  }
  return sql;
}

export interface RunOutcome {
  updateId: string;
  /** CANCELED: stopped by `options.signal`, its tables restored to their versions before it. */
  status: 'COMPLETED' | 'FAILED' | 'CANCELED';
  flows: FlowResult[];
  durationMs: number;
  /** The first failure. */
  error?: string;
  /** A cancelled update's tables, restored to their versions before it (`to` undefined: created by it, removed). */
  restored?: { name: string; from: number; to: number | undefined }[];
}
