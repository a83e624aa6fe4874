// The retail project on disk: the reference pipeline (examples/retail, shipped
// with the package) copied into a folder, and the generator's settings kept in
// `landing/.retail.json` so that later days (the live store) continue the same
// history.
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, parseDocument, type Scalar } from 'yaml';
import { StrataError } from '../core/index.js';
import { generateRetail, generateRetailDay, RETAIL_DEFAULTS, type RetailTruth } from './generate.js';

/** The reference pipeline's folder (examples/retail in the package). */
export const RETAIL_TEMPLATE = fileURLToPath(new URL('../../examples/retail', import.meta.url));

export interface RetailSettings {
  seed: number;
  days: number;
  rowsPerDay: number;
  start: string;
  /** The next day the live store lands (days from `start`). */
  nextDay: number;
}

const SETTINGS = path.join('landing', '.retail.json');

/** Copies the reference pipeline into `dir` (which must not be a project yet). */
export function copyRetailTemplate(dir: string): void {
  if (existsSync(path.join(dir, 'strata.yaml'))) {
    throw new StrataError(
      'ALREADY_EXISTS',
      `${dir} is already a Strata project (it has a strata.yaml); nothing was changed`,
    );
  }
  if (!existsSync(path.join(RETAIL_TEMPLATE, 'strata.yaml'))) {
    throw new StrataError(
      'INTERNAL',
      `the retail template is missing from this installation (looked in ${RETAIL_TEMPLATE})`,
    );
  }
  const skip = new Set(['lake', 'landing'].map((d) => path.join(RETAIL_TEMPLATE, d)));
  cpSync(RETAIL_TEMPLATE, dir, { recursive: true, filter: (src) => !skip.has(src) });
  writeFileSync(path.join(dir, '.gitignore'), '# Tables and landed files are data, not code\nlake/\nlanding/\n');
}

/** The generator settings of a retail project, if it has landing files from the generator. */
export function readRetailSettings(dir: string): RetailSettings | undefined {
  const file = path.join(dir, SETTINGS);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as RetailSettings;
}

/** Writes `days` days of landing files into the project, and the settings to continue from. */
export function landRetailHistory(
  dir: string,
  o: { seed?: number; days?: number; rowsPerDay?: number; start?: string },
): RetailTruth {
  const settings: RetailSettings = { ...RETAIL_DEFAULTS, ...o, nextDay: o.days ?? RETAIL_DEFAULTS.days };
  const truth = generateRetail({ dir, ...settings });
  writeFileSync(path.join(dir, SETTINGS), `${JSON.stringify(settings, null, 2)}\n`);
  return truth;
}

/** Lands the next day's files (the live store) and moves the settings on. */
export function landRetailDay(dir: string): { date: string; truth: RetailTruth } {
  const settings = readRetailSettings(dir);
  if (!settings) throw new StrataError('USAGE', `${dir} has no generated landing files (${SETTINGS} is missing)`);
  const truth = generateRetailDay({ dir, ...settings, day: settings.nextDay });
  writeFileSync(
    path.join(dir, SETTINGS),
    `${JSON.stringify({ ...settings, nextDay: settings.nextDay + 1 }, null, 2)}\n`,
  );
  return { date: truth.last, truth };
}

/** The job of the demo's live store: each new day processed by the scheduler as its files land. */
export const LIVE_STORE_JOB = 'live_store';

/**
 * Gives a demo project its live store job (once): a pipeline update whenever landed files have
 * settled — even while the next day's files are still landing — with runs queued behind one
 * another. The template's `on_arrival` job (30 s of quiet, at most every 5 min) is paused in it:
 * the live store lands a day every few seconds. Comments and the rest of strata.yaml are kept.
 */
export function addLiveStoreJob(dir: string): boolean {
  const file = path.join(dir, 'strata.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  if (doc.hasIn(['jobs', LIVE_STORE_JOB])) return false;
  const job = doc.createPair(LIVE_STORE_JOB, {
    name: 'Live store: each day as it lands (strata demo)',
    trigger: { file_arrival: { url: 'landing' } },
    queue: { enabled: true },
    tasks: [
      {
        task_key: 'refresh',
        pipeline_task: { pipeline_id: 'retail' },
        max_retries: 2,
        min_retry_interval_millis: 2000,
      },
    ],
  });
  (job.key as Scalar).commentBefore =
    ' strata demo: the live store lands a day every few seconds; this job processes each as it lands.';
  const jobs = doc.get('jobs');
  if (isMap(jobs)) jobs.items.push(job);
  else doc.set('jobs', doc.createNode({ [LIVE_STORE_JOB]: job.value }));
  if (doc.hasIn(['jobs', 'on_arrival', 'trigger']))
    doc.setIn(['jobs', 'on_arrival', 'trigger', 'pause_status'], 'PAUSED');
  writeFileSync(file, doc.toString({ lineWidth: 0 }));
  return true;
}
