// Incremental refresh of aggregate materialized views (what Databricks' Enzyme
// does for the same shape): when the only source that changed since the last
// update gained rows by appends alone, the view is the old aggregate merged with
// the aggregate of the new rows — sums and counts added, minimums and maximums
// kept — instead of a recomputation over every row.
//
// It applies to one SELECT with GROUP BY (or a global aggregate) whose output
// columns are grouping expressions or top-level sum / count / min / max, over a
// join tree of inner joins (or left joins with the changed source on the left);
// anything else — avg, DISTINCT aggregates, HAVING, windows, LIMIT, subqueries
// reading the changed source, a source with deletes or updates, a schema change,
// expectations on the view — is recomputed in full, as before.
import { aggregateNames } from './aggregate-names.js';
import { randomUUID } from 'node:crypto';
import {
  duckdbType,
  loadSnapshot,
  planScan,
  type AddAction,
  type MergeClause,
  type Snapshot,
  readCommit,
  commitKey,
} from '../delta/index.js';
import { quoteIdent, quoteLiteral, type Session } from '../engine/index.js';
import { NONDETERMINISTIC } from './context.js';
import type { DatasetDefinition } from './parse.js';

/** How the new aggregate is made from the old one and the new rows. */
export interface IncrementalPlan {
  /** The source that gained rows, and the files it gained. */
  source: { name: string; snapshot: Snapshot; adds: AddAction[] };
  /** Per output column: a grouping key, or how two partial aggregates combine. */
  combine: ('key' | 'sum' | 'min' | 'max')[];
  /** The view's query with the changed source read as a placeholder table. */
  sql: string;
}

const PLACEHOLDER = '__strata_incremental_source';
const COMBINABLE: Record<string, 'sum' | 'min' | 'max'> = {
  sum: 'sum',
  count: 'sum',
  count_star: 'sum',
  min: 'min',
  max: 'max',
};

const aggregates = aggregateNames;

/**
 * Whether the view can be refreshed incrementally, and how. `previous` is the view's
 * snapshot; `state` holds each source table's id@version now, `locations` its folder;
 * `queryWith(name, placeholder)` is the query with source `name` read as table `placeholder`.
 */
export async function planIncremental(
  session: Session,
  def: DatasetDefinition,
  previous: Snapshot,
  previousState: string | undefined,
  state: { definition: string; sources: Record<string, string> },
  locations: Record<string, string>,
  queryWith: (changed: string, placeholder: string) => Promise<string>,
): Promise<IncrementalPlan | undefined> {
  if (!previousState || def.expectations.length > 0 || def.columns.length > 0) return undefined;
  let before: { definition: string; sources: Record<string, string> };
  try {
    before = JSON.parse(previousState);
  } catch {
    return undefined;
  }
  if (before.definition !== state.definition) return undefined;
  const names = Object.keys(state.sources);
  if (names.length !== Object.keys(before.sources).length) return undefined;
  const changed = names.filter((n) => before.sources[n] !== state.sources[n]);
  if (changed.length !== 1) return undefined;
  const [name] = changed;
  const [oldId, oldVersion] = splitState(before.sources[name]);
  const [newId] = splitState(state.sources[name] ?? '');
  if (oldId === undefined || oldId !== newId) return undefined;

  // The query's shape (DuckDB's own parser).
  const sql = await queryWith(name, PLACEHOLDER);
  if (NONDETERMINISTIC.test(sql)) return undefined; // the old rows' values would not be the new ones'
  const combine = await shape(session, sql);
  if (!combine || combine.length !== previous.schema.fields.length) return undefined;

  // Appends only since the version the view was computed from.
  const snapshot = await loadSnapshot(locations[name], { session, name });
  const adds: AddAction[] = [];
  for (let v = oldVersion + 1; v <= snapshot.version; v++) {
    const actions = await readCommit(snapshot.store, commitKey(v), name).catch(() => undefined);
    if (!actions) return undefined; // cleaned up: recompute
    if (actions.some((a) => (a.remove && a.remove.dataChange !== false) || a.metaData || a.protocol || a.cdc))
      return undefined;
    for (const a of actions) if (a.add && a.add.dataChange !== false) adds.push(a.add);
  }
  return { source: { name, snapshot, adds }, combine, sql };
}

/**
 * The refresh as a MERGE (an upsert per group): the aggregate of the new rows is the
 * source; a group already in the view gets its sums added and its minimums and maximums
 * kept, a new group is inserted. Only the view's files holding a touched group are rewritten.
 */
export function upsertPlan(
  plan: IncrementalPlan,
  previous: Snapshot,
): { on: string; clauses: MergeClause[]; keyPairs: [string, string][] } {
  const fields = previous.schema.fields;
  const keys = fields.filter((_, i) => plan.combine[i] === 'key').map((f) => f.name);
  const combined: [string, string][] = fields.flatMap((f, i) => {
    const c = plan.combine[i];
    const t = `__t.${quoteIdent(f.name)}`;
    const s = `__s.${quoteIdent(f.name)}`;
    if (c === 'key') return [];
    // sum: NULL (no value) on one side leaves the other; least/greatest skip NULLs.
    const expr =
      c === 'sum'
        ? `CASE WHEN ${t} IS NULL THEN ${s} WHEN ${s} IS NULL THEN ${t} ELSE ${t} + ${s} END`
        : c === 'min'
          ? `least(${t}, ${s})`
          : `greatest(${t}, ${s})`;
    return [[f.name, `CAST(${expr} AS ${duckdbType(f.type)})`]];
  });
  return {
    on: keys.length
      ? keys.map((k) => `__t.${quoteIdent(k)} IS NOT DISTINCT FROM __s.${quoteIdent(k)}`).join(' AND ')
      : 'TRUE',
    clauses: [
      ...(combined.length ? [{ when: 'matched' as const, action: 'update' as const, set: combined }] : []),
      { when: 'not-matched', action: 'insert' },
    ],
    keyPairs: keys.map((k) => [k, k]),
  };
}

/** The view's query over the rows of the added files only; the SQL and its cleanup. */
export async function deltaQuery(session: Session, plan: IncrementalPlan): Promise<{ sql: string; cleanup: string[] }> {
  const scan = await planScan(plan.source.snapshot, session, {
    id: randomUUID().replace(/-/g, '').slice(0, 10),
    files: plan.source.adds,
  });
  return { sql: plan.sql.replace(new RegExp(`\\b${PLACEHOLDER}\\b`), `(${scan.sql})`), cleanup: scan.cleanup };
}

function splitState(s: string): [string | undefined, number] {
  const at = s.lastIndexOf('@');
  return at < 0 ? [undefined, -1] : [s.slice(0, at), Number(s.slice(at + 1))];
}

type Node = Record<string, unknown>;

/** Per output column, key or combine function; undefined when the query is not an incrementally maintainable aggregate. */
async function shape(session: Session, sql: string): Promise<('key' | 'sum' | 'min' | 'max')[] | undefined> {
  let parsed: { error?: boolean; statements?: { node: Node }[] };
  try {
    const [row] = await session.rows<{ j: string }>(`SELECT json_serialize_sql(${quoteLiteral(sql)}) AS j`);
    parsed = JSON.parse(row.j);
  } catch {
    return undefined;
  }
  if (parsed.error || parsed.statements?.length !== 1) return undefined;
  const node = parsed.statements[0].node;
  if (node.type !== 'SELECT_NODE' || node.having || node.qualify || node.sample) return undefined;
  if (((node.cte_map as { map?: unknown[] } | undefined)?.map ?? []).length > 0) return undefined;
  if ((node.modifiers as Node[]).some((m) => m.type !== 'ORDER_MODIFIER')) return undefined;
  if ((node.group_sets as unknown[]).length > 1) return undefined;
  // The changed source: once, in the join tree, never on the side a join may leave out.
  if (JSON.stringify(node).split(PLACEHOLDER).length !== 2 || !safeJoinTree(node.from_table as Node)) return undefined;
  const aggs = await aggregates(session);
  const hasAggregate = (n: unknown): boolean => {
    if (!n || typeof n !== 'object') return false;
    const o = n as Node;
    if (o.class === 'WINDOW' || o.class === 'SUBQUERY') return true; // treated as not combinable
    if (o.class === 'FUNCTION' && aggs.has(String(o.function_name).toLowerCase())) return true;
    return Object.values(o).some((v) => (Array.isArray(v) ? v.some(hasAggregate) : hasAggregate(v)));
  };
  const out: ('key' | 'sum' | 'min' | 'max')[] = [];
  for (const item of node.select_list as Node[]) {
    if (item.class === 'STAR') return undefined;
    if (!hasAggregate(item)) {
      out.push('key');
      continue;
    }
    const fn = String(item.function_name ?? '').toLowerCase();
    const combine = item.class === 'FUNCTION' ? COMBINABLE[fn] : undefined;
    if (!combine || item.distinct || ((item.order_bys as { orders?: unknown[] } | undefined)?.orders ?? []).length > 0)
      return undefined;
    if ((item.children as unknown[]).some(hasAggregate)) return undefined;
    out.push(combine);
  }
  // Without aggregates it is not an aggregate view (a projection is recomputed).
  return out.some((c) => c !== 'key') ? out : undefined;
}

/** Joins whose output over a union of the changed source's rows is the union of the outputs. */
function safeJoinTree(t: Node): boolean {
  const has = (n: Node) => JSON.stringify(n).includes(PLACEHOLDER);
  if (t.type === 'BASE_TABLE' || t.type === 'TABLE_FUNCTION') return true;
  if (t.type !== 'JOIN') return false;
  if (!['REGULAR', 'NATURAL', 'CROSS'].includes(String(t.ref_type))) return false;
  const left = t.left as Node;
  const right = t.right as Node;
  if (t.join_type === 'INNER') return safeJoinTree(left) && safeJoinTree(right);
  if (t.join_type === 'LEFT') return !has(right) && safeJoinTree(left) && safeJoinTree(right);
  return !has(left) && !has(right) && safeJoinTree(left) && safeJoinTree(right);
}
