// The jobs of strata.yaml in a Databricks Asset Bundle: resources/<key>.job.yml with the same job
// settings, references made the bundle's (`pipeline_id: retail` → `${resources.pipelines.retail.id}`,
// `job_id` → `${resources.jobs.<key>.id}`), SQL task files copied under src/sql/ with the
// warehouse a bundle variable. Strata's command_task has no Databricks equivalent: such a task is
// left out, named in a note, and the tasks that depended on it depend on what it depended on.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import type { AlertSettings } from './config-alerts.js';
import type { JobSettings, TaskSettings } from './config-jobs.js';

const key = (name: string) => name.replace(/[^A-Za-z0-9_]/g, '_');
const pipelineRef = (id: string) => (/^\$\{/.test(id.trim()) ? id : `\${resources.pipelines.${key(id.trim())}.id}`);
const jobRef = (id: string) => (/^\$\{/.test(id.trim()) ? id : `\${resources.jobs.${key(id.trim())}.id}`);
const alertRef = (id: string) => (/^\$\{/.test(id.trim()) ? id : `\${resources.alerts.${key(id.trim())}.id}`);

export interface ExportedJobs {
  notes: string[];
  /** Whether a SQL task needs the warehouse variable. */
  warehouse: boolean;
}

/** Writes resources/<key>.job.yml per job (and the SQL files its tasks run) through `write`. */
export async function exportJobs(
  jobs: Record<string, JobSettings>,
  projectDir: string,
  write: (rel: string, text: string) => Promise<void>,
): Promise<ExportedJobs> {
  const notes: string[] = [];
  let warehouse = false;
  for (const [jobKey, job] of Object.entries(jobs)) {
    const left = new Map(
      job.tasks.filter((t) => t.command_task).map((t) => [t.task_key, (t.depends_on ?? []).map((d) => d.task_key)]),
    );
    for (const k of left.keys())
      notes.push(
        `jobs.${jobKey}.tasks.${k}: a command_task (Strata's) has no Databricks equivalent; it is left out of the bundle — run it as a notebook or Python task there`,
      );
    const tasks = [];
    for (const t of job.tasks) {
      if (left.has(t.task_key)) continue;
      const out: Record<string, unknown> = { ...t };
      if (t.depends_on) out.depends_on = dependsOn(t, left);
      if (Array.isArray(out.depends_on) && out.depends_on.length === 0) delete out.depends_on;
      if (t.pipeline_task)
        out.pipeline_task = { ...t.pipeline_task, pipeline_id: pipelineRef(t.pipeline_task.pipeline_id) };
      if (t.run_job_task) out.run_job_task = { ...t.run_job_task, job_id: jobRef(t.run_job_task.job_id) };
      if (t.alert_task) {
        warehouse = true;
        out.alert_task = {
          ...t.alert_task,
          alert_id: alertRef(t.alert_task.alert_id),
          warehouse_id: t.alert_task.warehouse_id ?? '${var.warehouse_id}',
        };
      }
      if (t.sql_task) {
        warehouse = true;
        const target = path.posix.join('src', t.sql_task.file.path.split(path.sep).join('/'));
        await write(target, await fs.readFile(path.join(projectDir, t.sql_task.file.path), 'utf8'));
        out.sql_task = {
          ...t.sql_task,
          file: { path: `../${target}` },
          warehouse_id: t.sql_task.warehouse_id ?? '${var.warehouse_id}',
        };
      }
      tasks.push(out);
    }
    const settings: Record<string, unknown> = { ...job, name: job.name ?? jobKey, tasks };
    await write(
      `resources/${key(jobKey)}.job.yml`,
      `# Job ${jobKey}, exported by strata export databricks.\n${stringify({ resources: { jobs: { [key(jobKey)]: settings } } })}`,
    );
  }
  return { notes, warehouse };
}

/** A task's dependencies, a left-out task replaced by what it depended on. */
function dependsOn(t: TaskSettings, left: Map<string, string[]>): { task_key: string; outcome?: string }[] {
  const out: { task_key: string; outcome?: string }[] = [];
  const add = (d: { task_key: string; outcome?: string }) => {
    if (left.has(d.task_key)) for (const up of left.get(d.task_key)!) add({ task_key: up });
    else if (!out.some((o) => o.task_key === d.task_key)) out.push(d);
  };
  for (const d of t.depends_on ?? []) add(d);
  return out;
}

/** Writes resources/<key>.alert.yml per alert: its query inline, on the warehouse variable, its own schedule paused (a job's alert_task runs it). */
export async function exportAlerts(
  alerts: Record<string, AlertSettings>,
  projectDir: string,
  write: (rel: string, text: string) => Promise<void>,
): Promise<boolean> {
  for (const [alertKey, a] of Object.entries(alerts)) {
    const { file_path, ...rest } = a;
    const query_text = a.query_text ?? (await fs.readFile(path.join(projectDir, file_path!), 'utf8'));
    const alert = {
      ...rest,
      query_text,
      warehouse_id: a.warehouse_id ?? '${var.warehouse_id}',
      schedule: { quartz_cron_schedule: '0 0 0 * * ?', timezone_id: 'UTC', pause_status: 'PAUSED' },
    };
    await write(
      `resources/${key(alertKey)}.alert.yml`,
      `# Alert ${alertKey}, exported by strata export databricks (run by a job's alert_task; its own schedule paused).\n${stringify({ resources: { alerts: { [key(alertKey)]: alert } } })}`,
    );
  }
  return Object.keys(alerts).length > 0;
}
