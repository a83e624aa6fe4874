// A job's trigger other than its schedule, checked by polling (each poll at the scheduler's clock):
//   - file_arrival: new files in a folder of the project. Files there when the trigger is first
//     seen do not fire; a new file fires once it has been unchanged (size and modification time)
//     for at least one poll (a file still being written waits), even while newer files still
//     change; with wait_after_last_change_seconds, once no file has changed for that long.
//   - table_update: new versions of Delta tables (ANY_UPDATED: one of them; ALL_UPDATED: each of
//     them since the last run), once none got a new version for wait_after_last_change_seconds.
//   - periodic: every interval of a unit.
// min_time_between_triggers_seconds spaces the runs a trigger starts. What a trigger has seen is
// kept in lake/_system/triggers/<job>.json, so a restart neither fires again for old files nor
// misses the files that came while it was down.
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { JobSettings, Project } from '../project/index.js';

interface FileState {
  size: number;
  mtimeMs: number;
  /** When it was last seen to change. */
  changed: number;
}

interface TriggerState {
  /** Files already run for (path → size:mtime). */
  seen?: Record<string, string>;
  /** New files, not run for yet. */
  pending?: Record<string, FileState>;
  /** Table versions at the last run, and the last time one changed. */
  versions?: Record<string, number>;
  latest?: Record<string, number>;
  tableChanged?: number;
  lastFired?: number;
}

export class JobTrigger {
  private state: TriggerState | undefined;

  constructor(
    private readonly project: Project,
    readonly key: string,
    private readonly job: JobSettings,
  ) {}

  /** Whether the job has a trigger this watches (and it is not paused). */
  static of(project: Project, key: string, job: JobSettings): JobTrigger | undefined {
    const t = job.trigger;
    if (!t || t.pause_status === 'PAUSED' || !(t.file_arrival || t.table_update || t.periodic)) return undefined;
    return new JobTrigger(project, key, job);
  }

  private get file(): string {
    return path.join(path.dirname(this.project.catalog.lockFile('scheduler')), 'triggers', `${this.key}.json`);
  }

  private async load(): Promise<TriggerState | undefined> {
    if (this.state) return this.state;
    try {
      this.state = JSON.parse(await readFile(this.file, 'utf8')) as TriggerState;
    } catch {
      this.state = undefined;
    }
    return this.state;
  }

  private async save(state: TriggerState): Promise<void> {
    this.state = state;
    await mkdir(path.dirname(this.file), { recursive: true });
    await writeFile(this.file, JSON.stringify(state));
  }

  /** Checks the trigger at `now`; true when the job is to run (the state then counts it as run). */
  async poll(now: number): Promise<boolean> {
    const t = this.job.trigger!;
    const state = (await this.load()) ?? {};
    const spacing = (t.file_arrival ?? t.table_update)?.min_time_between_triggers_seconds ?? 0;
    if (state.lastFired !== undefined && now - state.lastFired < spacing * 1000) return false;
    let fire = false;
    if (t.file_arrival)
      fire = await this.files(state, now, t.file_arrival.url, t.file_arrival.wait_after_last_change_seconds);
    else if (t.table_update) fire = await this.tables(state, now);
    else if (t.periodic) {
      const unit = { MINUTES: 60, HOURS: 3600, DAYS: 86400, WEEKS: 604800 }[t.periodic.unit];
      fire = state.lastFired === undefined || now - state.lastFired >= t.periodic.interval * unit * 1000;
      if (state.lastFired === undefined && !fire) state.lastFired = now;
    }
    if (fire) state.lastFired = now;
    await this.save(state);
    return fire;
  }

  private async files(state: TriggerState, now: number, url: string, waitSeconds = 0): Promise<boolean> {
    const listed = await listFiles(path.resolve(this.project.dir, url));
    if (state.seen === undefined) {
      // First look: what is there already does not fire.
      state.seen = Object.fromEntries([...listed].map(([f, s]) => [f, `${s.size}:${s.mtimeMs}`]));
      state.pending = {};
      return false;
    }
    const pending = state.pending ?? {};
    for (const [f, s] of listed) {
      if (state.seen[f] === `${s.size}:${s.mtimeMs}`) continue;
      const p = pending[f];
      if (!p || p.size !== s.size || p.mtimeMs !== s.mtimeMs)
        pending[f] = { size: s.size, mtimeMs: s.mtimeMs, changed: now };
    }
    state.pending = pending;
    const files = Object.entries(pending);
    if (files.length === 0) return false;
    // Settled: unchanged for the wait, and seen at least once before (not in the middle of a write).
    const settled = files.filter(([, p]) => now - p.changed >= Math.max(waitSeconds * 1000, 1));
    // With a wait, nothing may have changed for that long (no file activity); without one, the
    // files that have settled fire while newer ones are still being written (a steady stream of
    // files would otherwise never fire).
    if (waitSeconds > 0 ? settled.length < files.length : settled.length === 0) return false;
    for (const [f, p] of settled) {
      state.seen[f] = `${p.size}:${p.mtimeMs}`;
      delete pending[f];
    }
    return true;
  }

  private async tables(state: TriggerState, now: number): Promise<boolean> {
    const t = this.job.trigger!.table_update!;
    const current: Record<string, number> = {};
    for (const name of t.table_names) current[name] = await latestVersion(this.project.catalog.locationOf(name));
    if (state.versions === undefined) {
      state.versions = current;
      state.latest = current;
      return false;
    }
    if (Object.entries(current).some(([n, v]) => v !== state.latest?.[n])) state.tableChanged = now;
    state.latest = current;
    const updated = t.table_names.filter((n) => current[n] > (state.versions![n] ?? -1));
    const enough =
      (t.condition ?? 'ANY_UPDATED') === 'ALL_UPDATED' ? updated.length === t.table_names.length : updated.length > 0;
    if (!enough) return false;
    if (now - (state.tableChanged ?? 0) < (t.wait_after_last_change_seconds ?? 0) * 1000) return false;
    state.versions = current;
    return true;
  }
}

/** The files under `dir` (recursively), without hidden ones (`.x`) or Strata's temporary ones. */
export async function listFiles(dir: string): Promise<Map<string, { size: number; mtimeMs: number }>> {
  const out = new Map<string, { size: number; mtimeMs: number }>();
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return; // not there (yet)
    }
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name.startsWith('_')) continue;
      const full = path.join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile()) {
        const s = await stat(full).catch(() => undefined);
        if (s) out.set(path.relative(dir, full), { size: s.size, mtimeMs: s.mtimeMs });
      }
    }
  };
  await walk(dir);
  return out;
}

/** The newest version in a Delta table's log (-1 when there is no table). */
async function latestVersion(location: string): Promise<number> {
  try {
    const names = await readdir(path.join(location, '_delta_log'));
    let v = -1;
    for (const n of names) {
      const m = /^(\d{20})\.json$/.exec(n);
      if (m) v = Math.max(v, Number(m[1]));
    }
    return v;
  } catch {
    return -1;
  }
}
