// project: a Strata project opened — strata.yaml validated, one catalog, one engine,
// and what commands and servers use, wired together (the composition root). The CLI
// and the servers import this folder and `core` only.
export {
  openProject,
  withProject,
  type Project,
  type OpenProjectOptions,
  type QueryOptions,
  type UpdateOptions,
  type LockWait,
  type LoadRequest,
} from './project.js';
export { loadConfig, parseConfig, ConfigError, CONFIG_FILE, type ProjectConfig, type ConfigProblem } from './config.js';
export { openReadOnlyLake, type ReadOnlyLake, type ReadOnlyQueryOptions } from './read-only.js';
export { latestVersion } from './read-point.js';
export { strataJsonSchema } from './config-schema.js';
export { TASK_KINDS, type JobSettings, type TaskSettings, type TaskKind } from './config-jobs.js';
export type { AlertSettings } from './config-alerts.js';
export { strataYaml, schemaRefFor, addSchemaLine, STRATA_SCHEMA_FILE } from './templates.js';

// What applications use of the layers below, handed out here so that they depend on one surface.
export {
  createCatalog,
  quarantineLocation,
  quarantinedTableOf,
  tableExists,
  SYSTEM_TABLES,
  type Catalog,
  type ResolvedTable,
  type TableEntry,
} from '../catalog/index.js';
export {
  createTable,
  describeSnapshot,
  loadSnapshot,
  tableHistory,
  type TableDetail,
  type HistoryEntry,
  type Snapshot,
} from '../delta/index.js';
export {
  appendRows,
  quoteIdent,
  quoteLiteral,
  type Engine,
  type ChunkVector,
  type ColumnInfo,
  type QueryResult,
  type RowChunk,
  type RowSink,
  type Session,
} from '../engine/index.js';
export { describeHolder, type LockHolder } from '../storage/index.js';
export {
  INGEST_APP_ID,
  lastIngestSource,
  parseReadOptions,
  readLedger,
  type IngestOutcome,
  type IngestPlan,
  type IngestRequest,
} from '../ingest/index.js';
export {
  formatProblems,
  kindName,
  type BindReport,
  normalizeName,
  type FlowResult,
  type Pipeline,
  type ReplayOutcome,
  type RunOutcome,
  type ViolationAction,
} from '../pipeline/index.js';
export {
  addLiveStoreJob,
  LIVE_STORE_JOB,
  copyRetailTemplate,
  landRetailDay,
  landRetailHistory,
  readRetailSettings,
  RETAIL_DEFAULTS,
  type RetailTruth,
} from '../retail/index.js';
export { exportDatabricks, type ExportedBundle } from './export-databricks.js';
export {
  listDashboards,
  loadDashboard,
  bindMarkers,
  markers,
  parameterVariable,
  dashboardSchema,
  DASHBOARDS_DIR,
  type Dashboard,
  type DashboardWidget,
} from './dashboards.js';
