// The statements Strata runs itself, as values: what the parser (statements.ts,
// parse-dml.ts) produces and execute.ts carries out. Queries inside stay text.
import type { MergeClause, StructField } from '../delta/index.js';

import type { TableRef } from '../catalog/index.js';

/** A table as a statement names it: `schema.table` (parts) or `delta.\`path\``. */
export type TableName = TableRef;

export type Statement =
  | {
      kind: 'create';
      table: TableName;
      ifNotExists: boolean;
      replace: boolean;
      columns?: StructField[];
      partitionedBy: string[];
      properties: Record<string, string>;
      comment?: string;
      select?: string;
    }
  | {
      kind: 'insert';
      table: TableName;
      overwrite: boolean;
      columns?: string[];
      byName: boolean;
      partition?: [string, string | null][];
      replaceWhere?: string;
      select: string;
    }
  | { kind: 'describe-history'; table: TableName; limit?: number }
  | { kind: 'describe-detail'; table: TableName }
  | { kind: 'alter-add-columns'; table: TableName; columns: StructField[] }
  | { kind: 'alter-set-properties'; table: TableName; properties: Record<string, string> }
  | { kind: 'alter-unset-properties'; table: TableName; keys: string[]; ifExists: boolean }
  | { kind: 'alter-add-constraint'; table: TableName; name: string; expr: string }
  | { kind: 'alter-drop-constraint'; table: TableName; name: string; ifExists: boolean }
  | { kind: 'delete'; table: TableName; where?: string }
  | { kind: 'update'; table: TableName; set: [string, string][]; where?: string }
  | { kind: 'restore'; table: TableName; version?: number; timestamp?: string }
  | { kind: 'vacuum'; table: TableName; retainHours?: number; dryRun: boolean }
  | { kind: 'optimize'; table: TableName; where?: string; whereColumns: string[]; zOrderBy: string[] }
  | {
      kind: 'merge';
      table: TableName;
      targetAlias?: string;
      source: string;
      sourceAlias?: string;
      on: string;
      clauses: MergeClause[];
    }
  | { kind: 'set'; key: string; value: string }
  | {
      kind: 'copy-into';
      table: TableName;
      source: string;
      format: string;
      formatOptions: Record<string, string>;
      copyOptions: Record<string, string>;
    }
  | { kind: 'use'; catalog?: string; schema?: string }
  | { kind: 'create-schema'; catalog?: string; schema: string; ifNotExists: boolean }
  | { kind: 'show-tables'; schema?: string; like?: string }
  | { kind: 'show-schemas'; like?: string }
  | { kind: 'describe-table'; table: TableName; extended: boolean }
  | { kind: 'show-create-table'; table: TableName }
  | { kind: 'show-tblproperties'; table: TableName; key?: string }
  | { kind: 'query'; sql: string };
