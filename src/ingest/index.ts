// ingest: loading files exactly once — COPY INTO, read_files, continuous mode.
export { parseReadOptions, parseSchemaHints, type ReadOptions, type FileFormat, type SchemaEvolutionMode } from './options.js';
export { readBatch, type SourceFile, type BatchRead } from './read.js';
export {
  ingestFiles,
  planIngest,
  readLedger,
  lastIngestSource,
  listSourceFiles,
  quarantineLocation,
  appendQuarantine,
  deleteQuarantineRows,
  type BatchTransform,
  ledgerLocation,
  INGEST_APP_ID,
  LEDGER_RESET,
  type IngestRequest,
  type IngestOutcome,
  type IngestPlan,
  type LedgerFile,
} from './ingest.js';
export { watchIngest, type IngestWatch, type WatchOptions } from './watch.js';
