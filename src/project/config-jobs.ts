// strata.yaml `jobs.<key>`: the job settings of a Databricks Asset Bundle's `resources.jobs.<key>`
// (the Jobs API's JobSettings, as the bundle schema in ../shared/databricks publishes them), so a
// job pasted from a databricks.yml loads unchanged where Strata has the feature. Every object is
// strict: a field Strata does not have is an error naming it (compute settings included — a job
// here runs on this machine). Strata's one extension is `command_task`.
import { z } from 'zod';

const positiveInt = (what: string) =>
  z.number({ error: `expected ${what}: a whole number` }).int({ error: `expected ${what}: a whole number` });

const taskKey = z
  .string()
  .regex(/^[\w-]{1,100}$/, { error: 'a task_key is 1 to 100 letters, digits, _ and -' })
  .describe("The task's name within the job, unique in it; what depends_on and {{tasks.<key>.values...}} name.");

const pauseStatus = z.enum(['UNPAUSED', 'PAUSED']).describe('PAUSED stops the trigger from firing. Default: UNPAUSED.');

const dependency = z
  .strictObject({
    task_key: taskKey,
    outcome: z
      .enum(['true', 'false'])
      .describe("For a dependency on a condition_task: run only on this branch of it ('true' or 'false').")
      .optional(),
  })
  .describe('A task this one runs after.');

const pipelineTask = z
  .strictObject({
    pipeline_id: z
      .string()
      .min(1)
      .describe(
        "The pipeline's name (its folder under pipelines/), or ${resources.pipelines.<name>.id} as bundles write it.",
      ),
    full_refresh: z
      .boolean()
      .describe('Rebuild every table of the pipeline (strata run --full-refresh). Default: false.')
      .optional(),
  })
  .describe('One update of a pipeline (strata run).');

const sqlTask = z
  .strictObject({
    file: z
      .strictObject({
        path: z.string().min(1).describe('A .sql file of the project, relative to the project folder.'),
        source: z
          .enum(['WORKSPACE', 'GIT'])
          .describe("Databricks' source of the file; here always the project.")
          .optional(),
      })
      .describe('The SQL file to run, its statements in order.'),
    parameters: z
      .record(z.string(), z.string())
      .describe('Named parameters, readable in the SQL as {{parameters.<name>}} and :name.')
      .optional(),
    warehouse_id: z
      .string()
      .describe("Databricks' SQL warehouse; Strata runs the SQL itself (accepted so a bundle's job loads unchanged).")
      .optional(),
  })
  .describe("A SQL file run by Strata; the last statement's first row becomes the task's values.");

const conditionTask = z
  .strictObject({
    left: z.string().describe('A value, or a reference such as {{tasks.check.values.n}}.'),
    op: z.enum(['EQUAL_TO', 'GREATER_THAN', 'GREATER_THAN_OR_EQUAL', 'LESS_THAN', 'LESS_THAN_OR_EQUAL', 'NOT_EQUAL']),
    right: z.string().describe('A value, or a reference.'),
  })
  .describe('If/else: compares two values; tasks depend on its true or false outcome.');

const runJobTask = z
  .strictObject({
    job_id: z.string().min(1).describe('The job key, or ${resources.jobs.<key>.id} as bundles write it.'),
    job_parameters: z.record(z.string(), z.string()).describe("The other job's parameters.").optional(),
  })
  .describe('Runs another job of the project and waits for it.');

const commandTask = z
  .strictObject({
    command: z
      .array(z.string())
      .min(1, { error: 'expected the program and its arguments, e.g. ["node", "scripts/export.js"]' })
      .describe('The program and its arguments, run without a shell, in the project folder.'),
    env: z.record(z.string(), z.string()).describe('Environment variables added for the program.').optional(),
  })
  .describe("Strata's extension: a program run without a shell; its output is kept with the run.");

const alertTask = z
  .strictObject({
    alert_id: z
      .string()
      .min(1)
      .describe('The alert (strata.yaml alerts.<key>), or ${resources.alerts.<key>.id} as bundles write it.'),
    subscribers: z
      .array(
        z.strictObject({
          user_name: z.string().min(1).describe('An e-mail address.').optional(),
          destination_id: z.string().min(1).describe('A notifications.webhooks id.').optional(),
        }),
      )
      .describe('Who is told when the alert triggers, besides its own subscriptions.')
      .optional(),
    warehouse_id: z.string().describe("Databricks' SQL warehouse; Strata runs the query itself.").optional(),
  })
  .describe('A SQL alert: its query, a condition on a column of the result, and who to tell when it triggers.');

export const TASK_KINDS = [
  'pipeline_task',
  'sql_task',
  'condition_task',
  'run_job_task',
  'command_task',
  'alert_task',
] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

export const taskSchema = z
  .strictObject({
    task_key: taskKey,
    description: z.string().describe('What the task does.').optional(),
    depends_on: z.array(dependency).describe('The tasks this one runs after.').optional(),
    run_if: z
      .enum(['ALL_SUCCESS', 'AT_LEAST_ONE_SUCCESS', 'NONE_FAILED', 'ALL_DONE', 'AT_LEAST_ONE_FAILED', 'ALL_FAILED'])
      .describe("When the task runs, from its dependencies' outcomes. Default: ALL_SUCCESS.")
      .optional(),
    max_retries: positiveInt('a retry count')
      .min(-1, { error: 'expected -1 (retry without end) or a retry count' })
      .describe('Retries after a failed attempt; -1 retries without end. Default: 0.')
      .optional(),
    min_retry_interval_millis: positiveInt('milliseconds')
      .min(0)
      .describe('Wait before a retry. Default: 0.')
      .optional(),
    retry_on_timeout: z.boolean().describe('Retry an attempt that timed out. Default: false.').optional(),
    timeout_seconds: positiveInt('seconds')
      .min(0)
      .describe('An attempt running longer is stopped: timed out. 0: none.')
      .optional(),
    pipeline_task: pipelineTask.optional(),
    sql_task: sqlTask.optional(),
    condition_task: conditionTask.optional(),
    run_job_task: runJobTask.optional(),
    command_task: commandTask.optional(),
    alert_task: alertTask.optional(),
  })
  .superRefine((task, ctx) => {
    const kinds = TASK_KINDS.filter((k) => task[k] !== undefined);
    if (kinds.length !== 1)
      ctx.addIssue({
        code: 'custom',
        message:
          kinds.length === 0
            ? `a task needs one of ${TASK_KINDS.join(', ')}`
            : `a task has one kind, not ${kinds.join(' and ')}`,
      });
  })
  .describe('One task of a job.');

const addresses = (when: string) => z.array(z.string()).describe(`Addresses mailed ${when}.`);
const emailNotifications = z
  .strictObject({
    on_start: addresses('when a run starts').optional(),
    on_success: addresses('when a run succeeds').optional(),
    on_failure: addresses('when a run fails').optional(),
    on_duration_warning_threshold_exceeded: addresses('when a run passes its health rule').optional(),
    no_alert_for_skipped_runs: z.boolean().describe('No mail for a skipped run.').optional(),
  })
  .describe('Addresses mailed when a run starts, succeeds, fails or runs long (through notifications.email).');

const webhookList = (when: string) =>
  z
    .array(z.strictObject({ id: z.string().min(1).describe('A notifications.webhooks id.') }))
    .describe(`Called ${when}.`);
const webhookNotifications = z
  .strictObject({
    on_start: webhookList('when a run starts').optional(),
    on_success: webhookList('when a run succeeds').optional(),
    on_failure: webhookList('when a run fails').optional(),
    on_duration_warning_threshold_exceeded: webhookList('when a run passes its health rule').optional(),
  })
  .describe(
    'Webhook destinations (notifications.webhooks ids) called when a run starts, succeeds, fails or runs long.',
  );

const triggerTimings = {
  min_time_between_triggers_seconds: positiveInt('seconds')
    .min(0)
    .describe('At least this long between two runs it starts.')
    .optional(),
  wait_after_last_change_seconds: positiveInt('seconds')
    .min(0)
    .describe('Fire only once nothing changed for this long (a file still being written waits).')
    .optional(),
};

const trigger = z
  .strictObject({
    pause_status: pauseStatus.optional(),
    file_arrival: z
      .strictObject({
        url: z.string().min(1).describe('The folder watched for new files, relative to the project.'),
        ...triggerTimings,
      })
      .describe('Runs the job when new files arrive in a folder.')
      .optional(),
    table_update: z
      .strictObject({
        table_names: z.array(z.string().min(1)).min(1).describe('The tables watched (schema.table).'),
        condition: z
          .enum(['ANY_UPDATED', 'ALL_UPDATED'])
          .describe('Fire when any of them, or all of them, got a new version. Default: ANY_UPDATED.')
          .optional(),
        ...triggerTimings,
      })
      .describe('Runs the job when tables get new versions.')
      .optional(),
    periodic: z
      .strictObject({
        interval: positiveInt('an interval').min(1).describe('How many units between runs.'),
        unit: z.enum(['MINUTES', 'HOURS', 'DAYS', 'WEEKS']).describe('The unit of the interval.'),
      })
      .describe('Runs the job every interval.')
      .optional(),
  })
  .describe('Runs the job when files arrive, when tables are updated, or every interval.');

export const jobSchema = z
  .strictObject({
    name: z.string().min(1).describe("The job's display name. Default: its key.").optional(),
    description: z.string().describe('What the job does.').optional(),
    tasks: z
      .array(taskSchema)
      .min(1, { error: 'a job needs at least one task' })
      .describe('The tasks, run in the order their depends_on give.'),
    parameters: z
      .array(
        z.strictObject({
          name: z.string().min(1).describe('The parameter name.'),
          default: z.string().describe('Its value unless a run sets it.'),
        }),
      )
      .describe('Job parameters, readable as {{job.parameters.<name>}}; a run may override them.')
      .optional(),
    schedule: z
      .strictObject({
        quartz_cron_expression: z
          .string()
          .min(1)
          .describe("A Quartz cron expression, e.g. '0 0 6 * * ?' (06:00 daily)."),
        timezone_id: z.string().min(1).describe("An IANA time zone, e.g. 'Europe/Berlin'. Default: UTC.").optional(),
        pause_status: pauseStatus.optional(),
      })
      .describe('Runs the job at the times a Quartz cron expression gives, in a time zone.')
      .optional(),
    trigger: trigger.optional(),
    continuous: z
      .strictObject({
        pause_status: pauseStatus.optional(),
        task_retry_mode: z
          .literal('NEVER', {
            error:
              'task_retry_mode ON_FAILURE is not supported yet; NEVER (the default) is: a failed run is followed by a new one, after a wait that grows with each failure',
          })
          .describe('NEVER: a failed task is not retried; the next run starts after a wait (the default).')
          .optional(),
      })
      .describe(
        'Keeps one run of the job going (strata serve): a new run starts when one ends, after a wait that grows with consecutive failures.',
      )
      .optional(),
    max_concurrent_runs: positiveInt('a run count').min(1).describe('Runs of this job at once. Default: 1.').optional(),
    queue: z
      .strictObject({ enabled: z.boolean().describe('Queue the run (true) or skip it (false).') })
      .describe('Queue a run over max_concurrent_runs instead of skipping it.')
      .optional(),
    timeout_seconds: positiveInt('seconds').min(0).describe('A run longer than this is stopped. 0: none.').optional(),
    health: z
      .strictObject({
        rules: z
          .array(
            z.strictObject({
              metric: z.literal('RUN_DURATION_SECONDS').describe('The run duration.'),
              op: z.literal('GREATER_THAN').describe('Over the value.'),
              value: positiveInt('seconds').describe('Seconds.'),
            }),
          )
          .describe('Health rules; a run over one sends the duration warnings.'),
      })
      .describe('The run duration over which on_duration_warning_threshold_exceeded notifications go.')
      .optional(),
    email_notifications: emailNotifications.optional(),
    webhook_notifications: webhookNotifications.optional(),
    notification_settings: z
      .strictObject({
        no_alert_for_skipped_runs: z.boolean().describe('No notification for a skipped run.').optional(),
        no_alert_for_canceled_runs: z.boolean().describe('No notification for a cancelled run.').optional(),
      })
      .describe('Which runs are not notified.')
      .optional(),
    tags: z
      .record(z.string(), z.string().describe('A tag value.'))
      .describe('Labels of the job, kept with its runs.')
      .optional(),
  })
  .superRefine((job, ctx) => {
    checkGraph(job.tasks, ctx);
    const starts = (['schedule', 'trigger', 'continuous'] as const).filter((k) => job[k] !== undefined);
    if (starts.length > 1)
      ctx.addIssue({
        code: 'custom',
        path: [starts[1]],
        message: `a job has one of schedule, trigger and continuous, not ${starts.join(' and ')}`,
      });
  })
  .describe('A job: tasks run in dependency order, on a schedule, on triggers or by hand (Databricks job settings).');

/** Task keys unique, dependencies on tasks of the job, a branch outcome only of a condition_task, no cycle. */
function checkGraph(tasks: z.output<typeof taskSchema>[], ctx: z.core.$RefinementCtx): void {
  const index = new Map<string, number>();
  tasks.forEach((t, i) => {
    if (index.has(t.task_key))
      ctx.addIssue({ code: 'custom', path: ['tasks', i, 'task_key'], message: `task_key ${t.task_key} is used twice` });
    else index.set(t.task_key, i);
  });
  tasks.forEach((t, i) =>
    (t.depends_on ?? []).forEach((d, j) => {
      const at = ['tasks', i, 'depends_on', j];
      const target = index.get(d.task_key);
      if (target === undefined)
        ctx.addIssue({ code: 'custom', path: [...at, 'task_key'], message: `no task ${d.task_key} in this job` });
      else if (d.outcome !== undefined && tasks[target].condition_task === undefined)
        ctx.addIssue({
          code: 'custom',
          path: [...at, 'outcome'],
          message: `${d.task_key} is not a condition_task: it has no outcome`,
        });
    }),
  );
  // A cycle: depth-first, naming the tasks on it.
  const state = new Map<string, 'open' | 'done'>();
  const visit = (key: string, trail: string[]): string[] | undefined => {
    if (state.get(key) === 'done') return undefined;
    if (state.get(key) === 'open') return [...trail.slice(trail.indexOf(key)), key];
    state.set(key, 'open');
    const i = index.get(key)!;
    for (const d of tasks[i].depends_on ?? []) {
      if (!index.has(d.task_key)) continue;
      const cycle = visit(d.task_key, [...trail, key]);
      if (cycle) return cycle;
    }
    state.set(key, 'done');
    return undefined;
  };
  for (const key of index.keys()) {
    const cycle = visit(key, []);
    if (cycle) {
      ctx.addIssue({
        code: 'custom',
        path: ['tasks', index.get(cycle[0])!, 'depends_on'],
        message: `the tasks depend on each other in a cycle: ${cycle.join(' → ')}`,
      });
      return;
    }
  }
}

export type JobSettings = z.output<typeof jobSchema>;
export type TaskSettings = z.output<typeof taskSchema>;
