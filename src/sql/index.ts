// sql: the statement front-end — Spark SQL's Delta statements, table names and
// time travel, delta_scan, read_files and COPY INTO (through wired-in file sources).
export { executeQuery, executeStatements, withReads, type ExecuteOptions } from './execute.js';
export { hideMetadata, mentionsMetadata } from './hidden-columns.js';
export type { ReadContext, ScanInfo } from './read-context.js';
export type { FileSources, FilesRead, CopyIntoOutcome, CopyIntoRequest } from './file-sources.js';
export {
  findDeltaScanCalls,
  findReadFilesCalls,
  aliasFollows,
  type DeltaScanCall,
  type ReadFilesCall,
} from './delta-scan-calls.js';
export {
  parseStatement,
  splitStatements,
  parseColumnDef,
  parseProperties,
  type Statement,
  type TableName,
} from './statements.js';
export { sparkToDuckdb, translateQuery } from './spark.js';
export { sparkExpressions } from './spark-decimal.js';
export { ansiFrom, ANSI_SETTINGS } from './spark-ansi.js';
export { userSqlFailure, withDialectHint, type WrittenSql } from './spark-errors.js';
