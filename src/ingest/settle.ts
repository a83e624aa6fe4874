// Files still being written are not loaded yet. A file is settled when it has not changed
// for the settling time (STRATA_SETTLE_MS, default 500 ms): a one-off load (`strata run`,
// `strata ingest`, COPY INTO) waits that long for files that changed just now and looks at
// them again — those still changing are put off to the next run, and reported; a watch
// leaves them for a later pass. (After the read, ingest.ts checks once more that a file's
// size and time did not move while it was read.)
import { promises as fs } from 'node:fs';
import type { SourceFile } from './read.js';

export const DEFAULT_SETTLE_MS = 500;

/** The settling time: STRATA_SETTLE_MS, or the default. */
export function settleMsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.STRATA_SETTLE_MS);
  return env.STRATA_SETTLE_MS !== undefined && Number.isFinite(v) && v >= 0 ? v : DEFAULT_SETTLE_MS;
}

/**
 * Splits `files` into those settled and those put off (changed within `settleMs`). With
 * `wait`, files that changed just now are given the rest of the settling time first.
 */
export async function settleFiles(
  files: SourceFile[],
  settleMs: number,
  wait: boolean,
): Promise<{ ready: SourceFile[]; putOff: SourceFile[] }> {
  const now = Date.now();
  const young = new Set(files.filter((f) => now - f.modified < settleMs));
  if (young.size === 0) return { ready: files, putOff: [] };
  if (!wait) return { ready: files.filter((f) => !young.has(f)), putOff: [...young] };
  const youngest = Math.max(...[...young].map((f) => f.modified));
  await new Promise((r) => setTimeout(r, Math.max(0, youngest + settleMs - Date.now())));
  const putOff: SourceFile[] = [];
  const ready: SourceFile[] = [];
  for (const f of files) {
    if (!young.has(f)) {
      ready.push(f);
      continue;
    }
    const st = await fs.stat(f.path).catch(() => undefined);
    if (st && st.size === f.size && Math.floor(st.mtimeMs) === f.modified) ready.push(f);
    else putOff.push(f);
  }
  return { ready, putOff };
}
