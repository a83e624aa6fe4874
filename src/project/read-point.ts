// The read point: while a pipeline update (or a replay) holds the lake's update lock, the version
// every table had when it began, so that readers from outside (the Postgres endpoint) see the lake
// as it was before the update or as it is after it, never half-way. Written before the update
// commits anything (a file renamed into place), removed when it ends; a killed update's read point
// is ignored (its lock is stale) and replaced by the next update's.
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Catalog } from '../catalog/index.js';
import { FileLock } from '../storage/index.js';

function file(catalog: Catalog): string {
  return path.join(path.dirname(catalog.lockFile('update')), 'read-point.json');
}

/** A table's latest commit version, from its log's file names (-1 when it has none). */
export async function latestVersion(location: string): Promise<number> {
  try {
    let max = -1;
    for (const f of await fs.readdir(path.join(location, '_delta_log'))) {
      const m = /^(\d{20})\.(json|checkpoint\.parquet)$/.exec(f);
      if (m) max = Math.max(max, Number(m[1]));
    }
    return max;
  } catch {
    return -1;
  }
}

/** Records the versions of every table now (the update that holds the lock has not written yet). */
export async function writeReadPoint(catalog: Catalog): Promise<void> {
  const tables = await catalog.listTables();
  const versions: Record<string, number> = {};
  for (const t of tables) {
    const v = await latestVersion(t.location);
    if (v >= 0) versions[t.location] = v;
  }
  const target = file(catalog);
  const tmp = `${target}.${randomUUID()}.tmp`;
  await fs.mkdir(path.dirname(target), { recursive: true });
  await fs.writeFile(tmp, JSON.stringify({ writtenAt: new Date().toISOString(), versions }));
  await fs.rename(tmp, target);
}

export async function clearReadPoint(catalog: Catalog): Promise<void> {
  await fs.rm(file(catalog), { force: true });
}

/** The versions to read while an update runs (undefined when none runs: read the latest). */
export async function readPoint(catalog: Catalog): Promise<Map<string, number> | undefined> {
  if (!(await FileLock.holder(catalog.lockFile('update')))) return undefined;
  try {
    const { versions } = JSON.parse(await fs.readFile(file(catalog), 'utf8')) as { versions: Record<string, number> };
    return new Map(Object.entries(versions));
  } catch {
    return undefined;
  }
}
