// ingest: loading files exactly once — COPY INTO, read_files, continuous mode.
export {
  parseReadOptions,
  parseSchemaHints,
  type ReadOptions,
  type FileFormat,
  type SchemaEvolutionMode,
} from './options.js';
export { readBatch, type SourceFile, type BatchRead } from './read.js';
export {
  ingestFiles,
  planIngest,
  readLedger,
  lastIngestSource,
  listSourceFiles,
  appendQuarantine,
  deleteQuarantineRows,
  INGEST_APP_ID,
  LEDGER_RESET,
  LEDGER_ROLLBACK,
  type IngestPlan,
  type LedgerFile,
} from './ingest.js';
export type { BatchTransform, IngestRequest, IngestOutcome, IngestProgress } from './request.js';
export { fileSources, sampledFileSources, withFormat } from './file-sources.js';
export { recordedFile, recordedTable } from './paths.js';
export { watchIngest, type IngestWatch, type WatchOptions } from './watch.js';
export { SOURCE_SCHEMA_PREFIX } from './source-schema.js';
