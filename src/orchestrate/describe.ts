// How a job starts, for `strata jobs list`: its trigger in words and, where it has one, the next
// time it fires — in the job's time zone, as Databricks shows it.
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { JobSettings, Project } from '../project/index.js';
import { quartzSchedule } from './quartz.js';

export interface JobStart {
  /** "cron 0 0 6 * * ? (Europe/Berlin)", "file arrival in landing/", "continuous", "manual", ... */
  trigger: string;
  /** The next fire time, `YYYY-MM-DD HH:MM:SS <zone>`; undefined when it has none or is paused. */
  next?: string;
  /** Paused in strata.yaml (pause_status). */
  pausedInConfig: boolean;
}

const UNIT_SECONDS = { MINUTES: 60, HOURS: 3600, DAYS: 86400, WEEKS: 604800 } as const;

export async function describeStart(project: Project, key: string, job: JobSettings, now: number): Promise<JobStart> {
  if (job.schedule) {
    const zone = job.schedule.timezone_id ?? 'UTC';
    const paused = job.schedule.pause_status === 'PAUSED';
    const next = paused ? undefined : quartzSchedule(job.schedule.quartz_cron_expression, zone).next(now);
    return {
      trigger: `cron ${job.schedule.quartz_cron_expression} (${zone})`,
      next: next === undefined ? undefined : inZone(next, zone),
      pausedInConfig: paused,
    };
  }
  if (job.continuous) return { trigger: 'continuous', pausedInConfig: job.continuous.pause_status === 'PAUSED' };
  const t = job.trigger;
  if (!t) return { trigger: 'manual', pausedInConfig: false };
  const pausedInConfig = t.pause_status === 'PAUSED';
  if (t.file_arrival) return { trigger: `file arrival in ${t.file_arrival.url}`, pausedInConfig };
  if (t.table_update)
    return {
      trigger: `table update of ${t.table_update.table_names.join(', ')} (${t.table_update.condition ?? 'ANY_UPDATED'})`,
      pausedInConfig,
    };
  if (t.periodic) {
    const every = t.periodic.interval * UNIT_SECONDS[t.periodic.unit] * 1000;
    const last = await lastFired(project, key);
    return {
      trigger: `every ${t.periodic.interval} ${t.periodic.unit.toLowerCase()}`,
      next: pausedInConfig ? undefined : last === undefined ? 'when strata serve starts' : inZone(last + every, 'UTC'),
      pausedInConfig,
    };
  }
  return { trigger: 'manual', pausedInConfig };
}

/** When the scheduler last fired a job's periodic trigger (its trigger state), if ever. */
async function lastFired(project: Project, key: string): Promise<number | undefined> {
  const file = path.join(path.dirname(project.catalog.lockFile('scheduler')), 'triggers', `${key}.json`);
  try {
    return (JSON.parse(await readFile(file, 'utf8')) as { lastFired?: number }).lastFired;
  } catch {
    return undefined;
  }
}

/** `2026-12-05 06:00:00 Europe/Berlin`. */
export function inZone(t: number, zone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(t))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${zone}`;
}
