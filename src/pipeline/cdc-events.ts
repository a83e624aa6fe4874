// AUTO CDC's columns and events: the target's columns from the source's (COLUMNS, KEYS, TRACK
// HISTORY), Databricks' double-quoted strings in its clauses, each source row as an event
// (`__seq`, `__op`), and the check that every event has a sequence value.
import { StrataError } from '../core/index.js';
import { quoteIdent, quoteLiteral, type Session } from '../engine/index.js';
import { tokenize } from '../dialect/index.js';
import type { CdcSpec } from './cdc-parse.js';
import type { FlowDefinition } from './parse.js';

const START = '__START_AT';
const END = '__END_AT';

/**
 * For --dry-run: the target's columns from the source's (COLUMNS applied, KEYS and TRACK HISTORY
 * checked), and the clauses with Spark's double-quoted strings as strings.
 */
export function cdcOutputColumns(flow: FlowDefinition, names: string[]): { columns: string[]; spec: CdcSpec } {
  const columns = selectColumns(flow, flow.cdc!, names);
  const spec = sparkStrings(flow.cdc!, names);
  const keys = spec.keys.map((k) => resolveColumn(flow, 'KEYS', k, columns));
  if (spec.scdType === 2)
    trackedColumns(
      flow,
      spec,
      columns.filter((c) => !keys.includes(c)),
    );
  return { columns, spec };
}

/** Output columns: the source's, as COLUMNS selects them (names as the source spells them). */
export function selectColumns(flow: FlowDefinition, spec: CdcSpec, names: string[]): string[] {
  const picked = spec.columns.only ? spec.columns.only.map((c) => resolveColumn(flow, 'COLUMNS', c, names)) : names;
  const except = new Set(spec.columns.except.map((c) => resolveColumn(flow, 'COLUMNS * EXCEPT', c, names)));
  const out = picked.filter((c) => !except.has(c));
  for (const reserved of [START, END]) {
    if (spec.scdType === 2 && out.some((c) => c.toLowerCase() === reserved.toLowerCase())) {
      throw new StrataError(
        'PIPELINE',
        `${flow.name}: the source has a column ${reserved}, which SCD TYPE 2 adds itself; leave it out with COLUMNS * EXCEPT (${reserved})`,
      );
    }
  }
  return out;
}

export function resolveColumn(flow: FlowDefinition, clause: string, name: string, columns: string[]): string {
  const found = columns.find((c) => c.toLowerCase() === name.toLowerCase());
  if (!found)
    throw new StrataError(
      'PIPELINE',
      `${flow.name}: ${clause} names ${name}, which is not a column of the ${clause === 'KEYS' || clause.startsWith('TRACK') ? 'selected columns' : 'source'} (${columns.join(', ')})`,
      { context: { column: name } },
    );
  return found;
}

/** SCD2: the columns whose change opens a version — TRACK HISTORY ON, else every output column but the keys (as in Databricks). */
export function trackedColumns(flow: FlowDefinition, spec: CdcSpec, nonKeys: string[]): string[] {
  const sel = spec.trackHistory;
  if (!sel) return nonKeys;
  const picked = sel.only ? sel.only.map((c) => resolveColumn(flow, 'TRACK HISTORY ON', c, nonKeys)) : nonKeys;
  const except = new Set(sel.except.map((c) => resolveColumn(flow, 'TRACK HISTORY ON * EXCEPT', c, nonKeys)));
  return picked.filter((c) => !except.has(c));
}

/**
 * Databricks' examples write `APPLY AS DELETE WHEN operation = "DELETE"`: in Spark a double-quoted
 * text is a string. In these clauses, one that names no column of the source is taken as a string
 * (it could only be an error otherwise).
 */
export function sparkStrings(spec: CdcSpec, columns: string[]): CdcSpec {
  const known = new Set(columns.map((c) => c.toLowerCase()));
  const fix = (expr: string | undefined) => {
    if (expr === undefined) return undefined;
    let out = '';
    let at = 0;
    for (const t of tokenize(expr)) {
      if (t.kind !== 'quoted' || !t.text.startsWith('"') || known.has(t.value.toLowerCase())) continue;
      out += expr.slice(at, t.start) + quoteLiteral(t.value);
      at = t.end;
    }
    return out + expr.slice(at);
  };
  return {
    ...spec,
    deleteWhen: fix(spec.deleteWhen),
    truncateWhen: fix(spec.truncateWhen),
    sequenceBy: fix(spec.sequenceBy)!,
  };
}

/** Each source row as an event: its selected columns, `__seq`, `__op`. */
export function eventsSql(spec: CdcSpec, columns: string[], rows: string): string {
  const whens = [
    spec.truncateWhen ? `WHEN coalesce((${spec.truncateWhen}), false) THEN 'truncate'` : '',
    spec.deleteWhen ? `WHEN coalesce((${spec.deleteWhen}), false) THEN 'delete'` : '',
  ].filter(Boolean);
  const op = whens.length ? `CASE ${whens.join(' ')} ELSE 'upsert' END` : `'upsert'`;
  return `SELECT ${columns.map(quoteIdent).join(', ')}, (${spec.sequenceBy}) AS __seq, ${op} AS __op FROM (${rows}) AS __src`;
}

/** A NULL sequence value is an error naming the row. */
export async function checkEvents(
  session: Session,
  flow: FlowDefinition,
  spec: CdcSpec,
  keys: string[],
  events: string,
  source: string,
): Promise<void> {
  const [bad] = await session.rows<{ row: string; n: bigint }>(
    `SELECT to_json(struct_pack(${keys.map((k) => `${quoteIdent(k)} := ${quoteIdent(k)}`).join(', ')}))::VARCHAR AS row, count(*) OVER () AS n FROM ${events} WHERE __seq IS NULL LIMIT 1`,
  );
  if (bad) {
    throw new StrataError(
      'CONSTRAINT_VIOLATED',
      `${flow.name}: a row of ${source} has a NULL SEQUENCE BY value (${spec.sequenceBy.trim()}): the row with key ${bad.row}${Number(bad.n) > 1 ? ` and ${Number(bad.n) - 1} more` : ''}; every change needs a sequence value to be ordered`,
      { context: { table: source } },
    );
  }
}
