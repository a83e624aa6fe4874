// Continuous ingestion: watch the source folder and load new files as they
// land. File events (chokidar) start a pass at once; a poll every `pollMs`
// catches what events miss (a folder deleted and created again, network
// disks). Passes never overlap. A file is loaded once it has not changed for
// `settleMs` (it may still be being written), and ingest.ts checks its size
// and time again after reading it.
import * as path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { StrataError } from '../core/index.js';
import type { Engine } from '../engine/index.js';
import { ingestFiles, type IngestOutcome, type IngestRequest } from './ingest.js';

export interface WatchOptions {
  /** Milliseconds between polls (default 250). */
  pollMs?: number;
  /** A file is loaded once unchanged for this long (default 300 ms): it may still be being written. */
  settleMs?: number;
  /** After each pass that loaded or found something. */
  onRun?: (outcome: IngestOutcome) => void;
  /** A pass failed; watching goes on. */
  onError?: (err: unknown) => void;
}

export interface IngestWatch {
  /** Stops watching; resolves when the pass in flight (if any) is done. */
  close(): Promise<void>;
  /** Resolves after the next pass completes (tests use it). */
  nextPass(): Promise<void>;
}

/** The folder to watch for a source: the folder itself, or the fixed part of a glob. */
export function watchRoot(source: string): string {
  const glob = source.search(/[*?[{]/);
  if (glob < 0) return source;
  return path.dirname(source.slice(0, glob) + 'x');
}

export function watchIngest(engine: Engine, req: IngestRequest, options: WatchOptions = {}): IngestWatch {
  let running: Promise<void> | undefined;
  let again = false;
  // Files changed or renamed are reported when the list of them changes, not at every poll.
  let reported = '[[],[]]';
  let closed = false;
  let waiters: (() => void)[] = [];
  const pass = async (): Promise<void> => {
    try {
      const outcome = await engine.withSession((session) =>
        ingestFiles(session, {
          helper: (fn) => engine.withSession(fn),
          ...req,
          settleMs: options.settleMs ?? 300,
          settle: 'later',
        }),
      );
      const notices = JSON.stringify([outcome.filesChanged, outcome.filesRenamed]);
      if (outcome.batches > 0 || notices !== reported) options.onRun?.(outcome);
      reported = notices;
    } catch (err) {
      // The folder may be gone for a while (emptied, recreated): that is not an error.
      if (!(err instanceof StrataError && err.code === 'STORAGE' && /does not exist/.test(err.message)))
        options.onError?.(err);
    }
    const done = waiters;
    waiters = [];
    done.forEach((w) => w());
  };
  const schedule = () => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = pass().finally(() => {
      running = undefined;
      if (again) {
        again = false;
        schedule();
      }
    });
  };
  const watcher: FSWatcher = watch(watchRoot(req.source), {
    ignoreInitial: true,
    persistent: true,
    awaitWriteFinish: false,
  });
  watcher.on('all', schedule);
  watcher.on('error', () => undefined); // the folder vanished: the poll takes over
  const timer = setInterval(schedule, options.pollMs ?? 250);
  schedule();
  return {
    async close() {
      closed = true;
      clearInterval(timer);
      await watcher.close();
      await running;
    },
    nextPass() {
      return new Promise<void>((resolve) => {
        waiters.push(resolve);
        schedule();
      });
    },
  };
}
