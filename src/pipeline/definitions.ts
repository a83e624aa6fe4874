// What a pipeline file defines, as parse.ts reads it: datasets (streaming tables, materialized
// views, views) with their expectations, flows, SET statements, and the problems found.
import type { Where } from '../core/index.js';
import type { StructField } from '../delta/index.js';
import type { WrittenSql } from '../sql/index.js';
import type { CdcSpec } from './cdc-parse.js';

export type { Where };

export type DatasetKind = 'streaming-table' | 'materialized-view' | 'temporary-view';
export type ViolationAction = 'warn' | 'drop' | 'fail' | 'quarantine';

export interface Expectation {
  name: string;
  /** The SQL predicate a row must satisfy (as DuckDB runs it: sparkExpressions types it). */
  expr: string;
  /** The predicate as written, for the event log. */
  text?: string;
  action: ViolationAction;
}

export interface DatasetDefinition {
  kind: DatasetKind;
  /** As written, without a `LIVE.` prefix: `schema.table` or `table`. */
  name: string;
  where: Where;
  columns: StructField[];
  expectations: Expectation[];
  comment?: string;
  partitionedBy: string[];
  properties: Record<string, string>;
  /** The defining query (AS ...), if any; a streaming table may have none and be fed by flows. */
  query?: string;
  /** Offset of the query in its file (for positions of problems inside it). */
  queryOffset?: number;
  /** The query (first, if there is one) and the expectations as written (before the Spark rewrite), each with where it starts: for messages. */
  written: WrittenSql[];
  /** Settings of the SET statements before it in its file (`spark.sql.ansi.enabled`, ...). */
  settings?: Record<string, string>;
}

export interface FlowDefinition {
  name: string;
  kind: 'append' | 'auto-cdc';
  target: string;
  where: Where;
  /** The SELECT that feeds the target (append flows); for auto-cdc, `SELECT * FROM <source>`. */
  query: string;
  queryOffset: number;
  /** AUTO CDC / APPLY CHANGES: the clauses after INTO target. */
  cdc?: CdcSpec;
  /** The query (for auto-cdc, the clauses) as written, with where it starts: for messages. */
  written: WrittenSql[];
  /** Settings of the SET statements before it in its file. */
  settings?: Record<string, string>;
}

export interface Problem {
  code: string;
  message: string;
  where: Where;
}

/** A `SET key = value` of a pipeline file (Spark and pipeline settings). */
export interface PipelineSetting {
  key: string;
  value: string;
  where: Where;
}

export interface ParsedFile {
  datasets: DatasetDefinition[];
  flows: FlowDefinition[];
  settings: PipelineSetting[];
  problems: Problem[];
}
