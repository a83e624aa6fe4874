// Databricks' `_metadata` column of file sources is hidden: `SELECT *` over
// read_files(...) does not return it, only a query that names it does
// (https://docs.databricks.com/en/ingestion/file-metadata-column.html). DuckDB has no
// hidden columns for subqueries, so a read that carries the struct (because the query
// names it) exposes it to `*` too; the query's output then drops the copies `*` brought.
import { tokenize, type Token } from '../dialect/index.js';
import { quoteIdent, type Session } from '../engine/index.js';

const METADATA = '_metadata';

/** Whether `sql` names `_metadata` (as an identifier, not in a string or comment). */
export function mentionsMetadata(sql: string): boolean {
  return tokenize(sql).some((t) => isMetadata(t));
}

function isMetadata(t: Token | undefined): boolean {
  return (t?.kind === 'ident' || t?.kind === 'quoted') && t.value.toLowerCase() === METADATA;
}

/**
 * How many output columns the query names `_metadata` itself: a bare `_metadata` in a select
 * list that is not given another name (`_metadata,`, `_metadata FROM`, at the end).
 */
function namedOutputs(tokens: Token[]): number {
  let n = 0;
  for (const [i, t] of tokens.entries()) {
    if (!isMetadata(t) || tokens[i - 1]?.text === '.') continue;
    const next = tokens[i + 1];
    if (next === undefined || next.text === ',' || next.text === ';' || next.text === ')') n++;
    else if (next.kind === 'ident' && next.value.toLowerCase() === 'from') n++;
    else if (next.kind === 'ident' && next.value.toLowerCase() === 'as' && isMetadata(tokens[i + 2])) n++;
  }
  return n;
}

/**
 * A query (`sql`, reads resolved) whose file reads carried `_metadata` because `written` (the
 * query as the user wrote it) names it: its output keeps as many `_metadata` columns as the
 * query names itself (the first ones), the others — brought by `*` — are left out.
 */
export async function hideMetadata(session: Session, sql: string, written: string): Promise<string> {
  const columns = await session.describe(sql);
  const keep = namedOutputs(tokenize(written));
  let seen = 0;
  const kept: string[] = [];
  let dropped = false;
  for (const [i, c] of columns.entries()) {
    if (c.name.toLowerCase() === METADATA && ++seen > keep) {
      dropped = true;
      continue;
    }
    kept.push(`#${i + 1} AS ${quoteIdent(c.name)}`);
  }
  return dropped ? `SELECT ${kept.join(', ')} FROM (${sql}) AS __strata_q` : sql;
}

/** Whether a statement is a query (its output can be wrapped). */
export function isQuery(sql: string): boolean {
  const [first] = tokenize(sql);
  return first !== undefined && ['select', 'with', 'from', '(', 'values'].includes(first.text.toLowerCase());
}
