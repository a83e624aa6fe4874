// Structured Streaming's rules (streaming-rules.ts) held at run time: before a streaming table's
// flow writes anything, its query is planned over empty stand-ins of its sources (the stream's
// relation marked), and an operator Spark refuses in an append stream fails the flow with
// Spark's reason, at its place in the user's text — where Strata would otherwise give each
// update's answer, and Databricks an error. `--dry-run` reports the same (bind.ts).
import { aggregateNames } from './aggregate-names.js';
import { randomUUID } from 'node:crypto';
import type { Catalog } from '../catalog/index.js';
import { LocatedError, type Where } from '../core/index.js';
import { duckdbType, loadSnapshot, type StructField } from '../delta/index.js';
import { isKeyword, lineColumn, tokenize } from '../dialect/index.js';
import { quoteIdent, quoteLiteral, type Session } from '../engine/index.js';
import { withReads, type ReadContext, type WrittenSql } from '../sql/index.js';
import { aliasOf, tableExists } from './context.js';
import { rewriteReferences } from './graph.js';
import { streamingViolations, type PlanNode, type StreamingViolation } from './streaming-rules.js';

/** DuckDB's logical plan of `sql` (unoptimized: the operators as written). */
export async function logicalPlan(session: Session, sql: string): Promise<PlanNode | undefined> {
  const [row] = await session.rows<{ plan: string }>(`SELECT json_serialize_plan(${quoteLiteral(sql)}) AS plan`);
  return (JSON.parse(row.plan) as { plans?: PlanNode[] }).plans?.[0];
}

export interface StreamingCheck {
  session: Session;
  catalog: Catalog;
  reads: ReadContext;
  /** The streaming table. */
  target: string;
  /** Its query (temporary views inlined) and where it was written. */
  query: string;
  written: WrittenSql[];
  where: Where;
  /** The rows of a file stream's batch, standing for `STREAM read_files(...)`. */
  fileRows?: string;
}

/**
 * Fails (a LocatedError at the operator's keyword) when the query uses an operator Spark refuses
 * over a stream. A query that cannot be planned here is left to the run, which reports why.
 */
export async function assertStreamingRules(check: StreamingCheck): Promise<void> {
  const { session } = check;
  if (!(await mayBeRefused(session, check.query))) return;
  const temps: string[] = [];
  const streams = new Set<string>();
  const id = randomUUID().replace(/-/g, '').slice(0, 8);
  const stand = async (columns: string): Promise<string> => {
    const name = `__strata_stream_check_${id}_${temps.length}`;
    temps.push(name);
    await session.exec(`CREATE TEMP TABLE ${quoteIdent(name)} ${columns}`);
    return name;
  };
  let violation: StreamingViolation | undefined;
  try {
    const sql = await rewriteReferences(check.query, async (span) => {
      const alias = span.hasAlias ? '' : ` AS ${quoteIdent(aliasOf(span))}`;
      if (span.call) {
        if (!span.streaming || check.fileRows === undefined) return undefined;
        const table = await stand(`AS SELECT * FROM (${check.fileRows}) AS __rows LIMIT 0`);
        streams.add(table);
        return `${quoteIdent(table)}${alias}`;
      }
      const location = check.catalog.locationOf(span.name!);
      if (!tableExists(location)) throw new Error(`${span.name} has no table`);
      const snap = await loadSnapshot(location, { session, name: span.name });
      const table = await stand(columnsDdl(snap.schema.fields));
      if (span.streaming) streams.add(table);
      return `${quoteIdent(table)}${alias}`;
    });
    const plan = await withReads(session, sql, check.reads, (resolved) => logicalPlan(session, resolved));
    if (plan)
      [violation] = streamingViolations(plan, check.target, (scan) => streams.has(scan.function_data?.table ?? ''));
  } catch {
    return; // (Not plannable here: the run itself says why.)
  } finally {
    for (const t of temps) await session.exec(`DROP TABLE IF EXISTS temp.${quoteIdent(t)}`).catch(() => undefined);
  }
  if (violation)
    throw new LocatedError('PIPELINE', violation.message, {
      where: placed(violation.keyword, check.written, check.where),
    });
}

/**
 * Words without which a query has none of the operators Spark refuses over a stream: grouping,
 * DISTINCT, windows, sorts, samples, OFFSET, set operations, joins; a subquery is a second SELECT.
 */
const TRIGGERS = new Set(
  'group distinct over window qualify order tablesample sample offset union intersect except minus join pivot unpivot'.split(
    ' ',
  ),
);

/** Calls known not to be aggregates (the common ones of bronze and silver queries, and type names with their sizes): no need to ask DuckDB's list. */
const SCALARS = new Set(
  `read_files cloud_files stream cast try_cast lower upper trim ltrim rtrim btrim initcap lpad rpad concat concat_ws substr
  substring replace regexp_replace regexp_extract split length coalesce nvl nvl2 ifnull nullif if iff round floor ceil abs
  to_date to_timestamp date_format date_trunc date_add date_sub datediff year month day hour minute second
  current_date current_timestamp now make_date struct named_struct array map element_at md5 sha1 sha2 hash xxhash64
  from_json to_json get_json_object sequence explode
  decimal numeric dec varchar char string int integer bigint smallint tinyint double float real boolean binary
  timestamp timestamp_ntz date interval`.split(/\s+/),
);

/**
 * Whether the query could use an operator the rules refuse: one of TRIGGERS, a subquery, or a call
 * of an aggregate function (DuckDB's list, asked once). Most streaming queries (a projection, a
 * filter) have none, and are not planned at all: the check costs nothing on each update.
 */
async function mayBeRefused(session: Session, query: string): Promise<boolean> {
  const tokens = tokenize(query);
  if (tokens.some((t) => t.kind === 'ident' && TRIGGERS.has(t.value.toLowerCase()))) return true;
  if (tokens.filter((t) => isKeyword(t, 'select')).length > 1) return true;
  const calls = tokens.filter((t, i) => t.kind === 'ident' && tokens[i + 1]?.text === '(');
  if (calls.every((t) => SCALARS.has(t.value.toLowerCase()))) return false;
  const known = await aggregateNames(session).catch(() => undefined);
  if (!known) return true; // (not known: check in full)
  return tokens.some((t, i) => t.kind === 'ident' && tokens[i + 1]?.text === '(' && known.has(t.value.toLowerCase()));
}

/** `(name type, ...)` of a table's columns, for an empty stand-in of it. */
export function columnsDdl(fields: StructField[]): string {
  return `(${fields.map((f) => `${quoteIdent(f.name)} ${duckdbType(f.type)}`).join(', ') || '__empty INTEGER'})`;
}

/** Where the first `keyword` of the written query is (else where the query starts). */
export function placed(keyword: string, written: WrittenSql[], where: Where): Where {
  for (const piece of written) {
    const t = tokenize(piece.sql, { spark: true }).find((x) => x.kind === 'ident' && x.value.toLowerCase() === keyword);
    if (t && piece.where) {
      const { line, column } = lineColumn(piece.sql, t.start);
      return {
        file: piece.where.file,
        line: piece.where.line + line - 1,
        column: line === 1 ? piece.where.column + column - 1 : column,
      };
    }
  }
  return written.find((p) => p.where)?.where ?? where;
}
