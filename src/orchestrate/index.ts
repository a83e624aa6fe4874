// orchestrate: jobs run on this machine with Databricks Jobs' semantics.
export { runJob, jobOf, newRunId, kindOf, type RunJobOptions, type JobRunOutcome, type TaskEvent } from './runner.js';
export { decide, runResult, type TaskResult, type RunResult, type RunIf } from './run-if.js';
export { RunsStore, type JobRunRow, type TaskRunRow } from './runs-store.js';
export { evaluateCondition, pipelineName, jobKeyOf } from './tasks.js';
export { substitute, substituteSql, resolveReference, type ReferenceContext } from './template.js';
export { Scheduler, systemClock, type Clock, type SchedulerEvent, type SchedulerOptions } from './scheduler.js';
export { quartzSchedule, type Schedule } from './quartz.js';
export { notify, message, type NotifyEvent, type RunNotice, type NotifyOptions } from './notify.js';
export { repairRun, type RepairOptions } from './repair.js';
export { recoverAbandonedRuns, processAlive, type Recovered } from './abandoned.js';
export { pausedJobs, setPaused, isPaused } from './pause.js';
export { watchPipeline, type WatchEvent, type WatchPipelineOptions } from './watch.js';
export { evaluateAlert, alertKeyOf, type AlertOutcome } from './alert.js';
export { deliver, type Message } from './notify.js';
export { describeStart, inZone, type JobStart } from './describe.js';
