// pipeline: Lakeflow SQL pipelines — parsing and checking definitions, the dependency
// graph, running updates (streaming tables, materialized views, AUTO CDC), expectations,
// the event log and quarantine replay.
export {
  listPipelines,
  loadPipeline,
  formatProblems,
  applyConfiguration,
  type Pipeline,
  type PipelineConfiguration,
} from './project.js';
export { runPipeline, pipelineId, type RunOptions, type RunOutcome } from './run.js';
export type { FlowResult, FlowStatus, ExpectationResult } from './context.js';
export { replayQuarantine, type ReplayOutcome } from './replay.js';
export { closeAbandonedUpdate } from './event-log.js';
export {
  kindName,
  parsePipelineSql,
  type DatasetDefinition,
  type FlowDefinition,
  type Problem,
  type ViolationAction,
} from './parse.js';
export { normalizeName } from './graph.js';
export { bindPipeline, type BindReport } from './bind.js';
export { databricksSql, type DatabricksSql } from './databricks-sql.js';
