// What Structured Streaming refuses in a streaming table's query. A streaming table is written
// in Append output mode, and Spark checks the analyzed plan of its query before it runs
// (UnsupportedOperationChecker.checkForStreaming, apache/spark, sql/catalyst/.../analysis):
// an operator that needs all the stream's rows at once — an aggregation or DISTINCT without a
// watermark, a window function (OVER), a sort, a sample, INTERSECT — or a join that would have
// to wait for rows that may never come is refused there. Strata runs a streaming table's query
// on each update's new rows only, so such an operator would give per-update answers where
// Databricks gives an error: it is refused here too, before anything runs.
//
// The check walks DuckDB's logical plan of the query (json_serialize_plan, unoptimized: the
// operators as written), knowing which scans read a stream.

/** A node of DuckDB's serialized logical plan (the fields this check reads). */
export interface PlanNode {
  type: string;
  children?: PlanNode[];
  join_type?: string;
  function_data?: { table?: string };
  limit_val?: { type?: string };
  offset_val?: { type?: string };
  setop_all?: boolean;
  table_index?: number;
  cte_index?: number;
}

/** A refused operator: Spark's reason and what to write instead; `keyword` places it in the user's query. */
export interface StreamingViolation {
  message: string;
  keyword: string;
}

const AGGREGATE = (what: string, keyword: string, target: string): StreamingViolation => ({
  keyword,
  message:
    `${what} over a stream is not supported in a streaming table: Spark writes a streaming table in Append mode and refuses ` +
    `streaming aggregations without a watermark ("Append output mode not supported when there are streaming aggregations on ` +
    `streaming DataFrames/DataSets without watermark"). Make ${target} a MATERIALIZED VIEW (it sees every row at each update), ` +
    `or keep one row per key with AUTO CDC`,
});

/**
 * The operators of `plan` (the query of streaming table `target`) that Spark refuses in an append
 * stream; `streams` tells whether a scan reads a stream.
 */
export function streamingViolations(
  plan: PlanNode,
  target: string,
  streams: (scan: PlanNode) => boolean,
): StreamingViolation[] {
  const out = new Map<string, StreamingViolation>();
  const refuse = (v: StreamingViolation) => out.set(v.message, v);
  const ctes = new Map<number, boolean>();
  const walk = (node: PlanNode, parent?: PlanNode): boolean => {
    const kids = (node.children ?? []).map((c) => walk(c, node));
    const any = kids.some(Boolean);
    switch (node.type) {
      case 'LOGICAL_GET':
        return streams(node);
      case 'LOGICAL_CTE_REF':
        return ctes.get(node.cte_index ?? -1) ?? false;
      case 'LOGICAL_MATERIALIZED_CTE':
        ctes.set(node.table_index ?? -1, kids[0] ?? false);
        return kids[1] ?? any;
      case 'LOGICAL_AGGREGATE_AND_GROUP_BY':
        if (any) refuse(AGGREGATE('An aggregation (GROUP BY or an aggregate function)', 'group', target));
        return any;
      case 'LOGICAL_DISTINCT':
        // INTERSECT and UNION (without ALL) are planned as DISTINCT over the set operation: refused as that.
        if (any && !['LOGICAL_INTERSECT', 'LOGICAL_EXCEPT'].includes(node.children?.[0]?.type ?? ''))
          refuse(AGGREGATE('SELECT DISTINCT (or UNION without ALL)', 'distinct', target));
        return any;
      case 'LOGICAL_WINDOW':
        if (any)
          refuse({
            keyword: 'over',
            message:
              `A window function (OVER) over a stream is not supported in a streaming table: Spark supports only time windows ` +
              `on streams (NON_TIME_WINDOW_NOT_SUPPORTED_IN_STREAMING). Compute it in a MATERIALIZED VIEW, or deduplicate with AUTO CDC`,
          });
        return any;
      case 'LOGICAL_ORDER_BY':
      case 'LOGICAL_TOP_N':
        if (any)
          refuse({
            keyword: 'order',
            message:
              'ORDER BY over a stream is not supported in a streaming table ("Sorting is not supported on streaming ' +
              'DataFrames/Datasets, unless it is on aggregated DataFrame/Dataset in Complete output mode"): sort where the table is read',
          });
        return any;
      case 'LOGICAL_SAMPLE':
        if (any)
          refuse({
            keyword: 'tablesample',
            message:
              'Sampling a stream is not supported ("Sampling is not supported on streaming DataFrames/Datasets")',
          });
        return any;
      case 'LOGICAL_LIMIT':
        if (any && node.offset_val?.type && node.offset_val.type !== 'UNSET')
          refuse({
            keyword: 'offset',
            message:
              'OFFSET over a stream is not supported ("Offset is not supported on streaming DataFrames/Datasets")',
          });
        return any;
      case 'LOGICAL_INTERSECT':
        if (any)
          refuse({
            keyword: 'intersect',
            message:
              'INTERSECT with a stream is not supported ("Intersect of streaming DataFrames/Datasets is not supported")',
          });
        return any;
      case 'LOGICAL_EXCEPT':
        if (kids[1] || (kids[0] && parent?.type === 'LOGICAL_DISTINCT'))
          refuse({
            keyword: 'except',
            message: kids[1]
              ? 'EXCEPT with a stream on its right is not supported ("Except on a streaming DataFrame/Dataset on the right is not supported")'
              : 'EXCEPT (without ALL) over a stream removes duplicates, an aggregation Spark refuses in an append stream without a watermark; use EXCEPT ALL, or a MATERIALIZED VIEW',
          });
        return any;
      case 'LOGICAL_UNION':
        if (kids.length === 2 && kids[0] !== kids[1])
          refuse({
            keyword: 'union',
            message:
              'A UNION of a stream and a table is not supported ("Union between streaming and batch DataFrames/Datasets is not supported"): ' +
              'feed the streaming table from each source with its own flow (CREATE FLOW ... AS INSERT INTO ... BY NAME)',
          });
        return any;
      case 'LOGICAL_COMPARISON_JOIN':
      case 'LOGICAL_ANY_JOIN':
      case 'LOGICAL_DELIM_JOIN':
      case 'LOGICAL_ASOF_JOIN': {
        const v = joinViolation(node.join_type ?? 'INNER', kids[0] ?? false, kids[1] ?? false);
        if (v) refuse(v);
        return any;
      }
      default:
        return any;
    }
  };
  walk(plan);
  return [...out.values()];
}

/**
 * Spark's rules for a join with a stream on one side or both (append mode, no watermark):
 * stream–table inner, left outer, semi and anti joins with the stream on the left are
 * supported, as are inner joins of two streams; the outer side of an outer join, and the
 * right side of a semi or anti join, may not be a stream.
 */
function joinViolation(type: string, left: boolean, right: boolean): StreamingViolation | undefined {
  if (!left && !right) return undefined;
  const kind = type.toUpperCase();
  if (kind === 'INNER' || kind === 'CROSS') return undefined;
  const both = left && right;
  const say = (message: string): StreamingViolation => ({ keyword: 'join', message });
  if (both)
    return say(
      `A ${kind.toLowerCase()} join of two streams needs a watermark, which Strata does not support ("Stream-stream ${kind} join ` +
        `between two streaming DataFrame/Datasets is not supported without a watermark"): join the streams in a MATERIALIZED VIEW`,
    );
  if (kind === 'LEFT' || kind === 'SEMI' || kind === 'ANTI' || kind === 'MARK' || kind === 'SINGLE') {
    if (left) return undefined;
    return say(
      `A ${kind === 'LEFT' ? 'left outer' : kind === 'ANTI' ? 'NOT IN / NOT EXISTS / anti' : 'IN / EXISTS / semi'} join with the stream ` +
        `on its right and a table on its left is not supported by Spark: put the stream on the left`,
    );
  }
  if (kind === 'RIGHT') {
    if (right) return undefined;
    return say(
      'A right outer join with the stream on its left and a table on its right is not supported by Spark ("RightOuter join with a ' +
        'streaming DataFrame/Dataset on the left and a static DataFrame/DataSet on the right not supported"): write it as a LEFT JOIN with the stream on the left',
    );
  }
  return say(
    'A full outer join of a stream and a table is not supported by Spark ("FullOuter joins with streaming DataFrames/Datasets ... ' +
      'is not supported"): compute it in a MATERIALIZED VIEW',
  );
}
