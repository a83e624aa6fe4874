// Continuous ingestion: files landing while the watch runs reach bronze, each
// once, including after the folder is emptied and created again.
import { appendFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCatalog } from '../../src/catalog/index.js';
import { createTable } from '../../src/delta/index.js';
import { ingestFiles } from '../../src/ingest/ingest.js';
import { parseReadOptions } from '../../src/ingest/options.js';
import { watchIngest } from '../../src/ingest/watch.js';
import { executeQuery } from '../../src/sql/index.js';
import { useTestBed } from '../helpers/harness.js';

const bed = useTestBed('ingest-watch');

/** Waits (without a time assertion) until the table holds `n` rows. */
async function untilRows(n: number): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const r = await bed.engine.withSession((s) =>
      executeQuery(s, `SELECT count(*) FROM bronze.live`, { baseDir: bed.dir }).catch(() => ({ rows: [[0]] })),
    );
    if (r.rows[0][0] === n) return n;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const r = await bed.engine.withSession((s) =>
    executeQuery(s, `SELECT count(*) FROM bronze.live`, { baseDir: bed.dir }),
  );
  return Number(r.rows[0][0]);
}

describe('watch mode', () => {
  it('loads files as they land, survives the folder being emptied and recreated, never twice', async () => {
    const landing = path.join(bed.dir, 'landing');
    mkdirSync(landing, { recursive: true });
    const location = path.join(bed.dir, 'lake/bronze/live');
    await bed.engine.withSession((s) => createTable(s, { location, name: 'bronze.live', ifNotExists: true }));
    const req = {
      location,
      name: 'bronze.live',
      source: landing,
      catalog: createCatalog({ projectDir: bed.dir }),
      options: parseReadOptions({}, 'test'),
      mergeSchema: false,
    };
    const errors: unknown[] = [];
    const w = watchIngest(bed.engine, req, { pollMs: 100, onError: (e) => errors.push(e) });
    try {
      writeFileSync(path.join(landing, '1.csv'), 'id\n1\n2\n');
      expect(await untilRows(2)).toBe(2);
      // A file written in two steps (still being written) is loaded whole, once.
      const tmpFile = path.join(bed.dir, 'part.tmp');
      writeFileSync(tmpFile, 'id\n3\n4\n5\n');
      renameSync(tmpFile, path.join(landing, '2.csv'));
      expect(await untilRows(5)).toBe(5);
      // A file written slowly, in pieces, while the watch polls: loaded whole, once.
      const slow = path.join(landing, 'slow.csv');
      writeFileSync(slow, 'id\n');
      for (let i = 0; i < 10; i++) {
        appendFileSync(slow, `${100 + i}\n`);
        await new Promise((resolve) => setTimeout(resolve, 60));
      }
      expect(await untilRows(15)).toBe(15);
      await w.nextPass();
      await w.nextPass();
      expect(await untilRows(15)).toBe(15);
      // The folder goes away and comes back with a new file.
      rmSync(landing, { recursive: true });
      await w.nextPass();
      mkdirSync(landing);
      writeFileSync(path.join(landing, '3.csv'), 'id\n6\n');
      expect(await untilRows(16)).toBe(16);
    } finally {
      await w.close();
    }
    expect(errors).toEqual([]);
    // A last triggered pass finds nothing new; no row is there twice.
    const last = await bed.engine.withSession((s) => ingestFiles(s, req));
    expect(last.filesLoaded).toBe(0);
    const r = await bed.engine.withSession((s) =>
      executeQuery(s, `SELECT count(*), count(DISTINCT id) FROM bronze.live`, { baseDir: bed.dir }),
    );
    expect(r.rows[0]).toEqual([16, 16]);
  });
});
