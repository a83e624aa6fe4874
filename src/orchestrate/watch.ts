// `strata watch [pipeline]`: a pipeline kept up to date continuously — an update at the start,
// then one per batch of files that land in the project's landing folder (those that stopped
// changing), until stopped. A failed update is retried with a growing wait (1 s, 2 s, 4 s, ... at
// most a minute), or sooner when new files land.
import type { Project, RunOutcome, UpdateOptions } from '../project/index.js';
import type { Clock } from './scheduler.js';
import { systemClock } from './scheduler.js';
import { listFiles } from './triggers.js';

export type WatchEvent =
  | { kind: 'update'; outcome: RunOutcome; files: number; reason: 'start' | 'files' | 'retry' }
  | { kind: 'retry'; inMs: number; error: string }
  | { kind: 'error'; message: string };

export interface WatchPipelineOptions {
  clock?: Clock;
  /** How often the landing folder is listed (default 1 s). */
  pollMs?: number;
  /** How long a new file must stay unchanged before it is loaded (default 1 s). */
  settleMs?: number;
  /** Told of each update and retry; a promise returned is awaited before the watch goes on. */
  onEvent?: (e: WatchEvent) => void | Promise<void>;
  /** The updates' options (parallel flows, ...). */
  update?: Omit<UpdateOptions, 'signal'>;
  signal: AbortSignal;
}

export async function watchPipeline(
  project: Project,
  name: string | undefined,
  o: WatchPipelineOptions,
): Promise<void> {
  const clock = o.clock ?? systemClock;
  const pollMs = o.pollMs ?? 1000;
  const settleMs = o.settleMs ?? 1000;
  const seen = new Map<string, string>();
  const pending = new Map<string, { sig: string; changed: number }>();
  let failures = 0;
  let retryAt: number | undefined = clock.now(); // the first update: what is there already
  let reason: 'start' | 'files' | 'retry' = 'start';
  while (!o.signal.aborted) {
    const now = clock.now();
    for (const [f, s] of await listFiles(project.config.landingRoot)) {
      const sig = `${s.size}:${s.mtimeMs}`;
      if (seen.get(f) === sig) continue;
      const p = pending.get(f);
      if (!p || p.sig !== sig) pending.set(f, { sig, changed: now });
    }
    // Files that stopped changing go into an update now; those still changing wait for a later one
    // (the ingest leaves a file changed within its settling time for the next update too), so a
    // steady stream of files is processed as it comes rather than once it pauses.
    const ready = [...pending].filter(([, p]) => now - p.changed >= settleMs);
    const settled = ready.length > 0;
    if (settled || (retryAt !== undefined && now >= retryAt)) {
      const files = ready;
      if (reason !== 'start') reason = settled ? 'files' : 'retry';
      try {
        const pipeline = await project.loadPipeline(name);
        const outcome = await project.runPipeline(pipeline, { ...o.update });
        for (const [f, p] of files) {
          seen.set(f, p.sig);
          pending.delete(f);
        }
        await o.onEvent?.({ kind: 'update', outcome, files: files.length, reason });
        reason = 'files';
        if (outcome.status === 'COMPLETED') {
          failures = 0;
          retryAt = undefined;
        } else throw new Error(outcome.error ?? 'the update failed');
      } catch (err) {
        reason = 'retry';
        const inMs = Math.min(60_000, 1000 * 2 ** failures++);
        retryAt = clock.now() + inMs;
        await o.onEvent?.({ kind: 'retry', inMs, error: (err as Error).message });
      }
    }
    await clock.sleepUntil(clock.now() + pollMs, o.signal);
  }
}
