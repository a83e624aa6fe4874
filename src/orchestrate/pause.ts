// `strata jobs pause|resume <job>`: a job's schedule and triggers stop firing (or fire again)
// without editing strata.yaml — kept in lake/_system/jobs-paused.json, which a running scheduler
// reads before each run it would start. A job paused in strata.yaml (pause_status: PAUSED) stays
// paused until the file says otherwise.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Project } from '../project/index.js';
import { jobOf } from './runner.js';

const fileOf = (project: Project) => path.join(path.dirname(project.catalog.lockFile('scheduler')), 'jobs-paused.json');

/** The jobs paused with `strata jobs pause`. */
export async function pausedJobs(project: Project): Promise<Set<string>> {
  try {
    return new Set(JSON.parse(await readFile(fileOf(project), 'utf8')) as string[]);
  } catch {
    return new Set();
  }
}

/** Pauses or resumes a job (an unknown job is an error naming the ones there are). */
export async function setPaused(project: Project, key: string, paused: boolean): Promise<void> {
  jobOf(project, key);
  const set = await pausedJobs(project);
  if (paused) set.add(key);
  else set.delete(key);
  const file = fileOf(project);
  await mkdir(path.dirname(file), { recursive: true });
  // Written aside, then renamed: a scheduler reading it never sees half a file.
  await writeFile(`${file}.tmp`, JSON.stringify([...set].sort()));
  await rename(`${file}.tmp`, file);
}

/** Whether a job is paused: in strata.yaml (its schedule or trigger), or with `strata jobs pause`. */
export async function isPaused(project: Project, key: string): Promise<boolean> {
  const job = project.config.jobs?.[key];
  if (job?.schedule?.pause_status === 'PAUSED' || job?.trigger?.pause_status === 'PAUSED') return true;
  return (await pausedJobs(project)).has(key);
}
