// Broken tables: each failure is one clear StrataError naming the table and
// the version or file, never wrong rows or a bare engine stack.
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync, unlinkSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StrataError } from '../../src/core/index.js';
import { loadSnapshot } from '../../src/delta/index.js';
import { Engine, type Session } from '../../src/engine/index.js';
import { executeQuery } from '../../src/sql/index.js';

const CORPUS = path.resolve(process.env.STRATA_CONFORMANCE_DIR ?? '../shared/conformance/delta');
const tmp = mkdtempSync(path.join(tmpdir(), 'strata-bad-'));
let engine: Engine;

beforeAll(async () => {
  engine = await Engine.create({ threads: 2 });
});
afterAll(() => {
  engine.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** A private copy of a corpus table (in a temp folder) to break. */
function copyOf(id: string, name: string): string {
  const dest = path.join(tmp, name);
  cpSync(path.join(CORPUS, id, 'delta'), dest, { recursive: true });
  return dest;
}

async function failure(fn: (s: Session) => Promise<unknown>): Promise<StrataError> {
  try {
    await engine.withSession(fn);
  } catch (err) {
    expect(err).toBeInstanceOf(StrataError);
    return err as StrataError;
  }
  throw new Error('expected a failure');
}

const scan =
  (table: string, extra = '') =>
  (s: Session) =>
    executeQuery(s, `SELECT * FROM delta_scan('${table}'${extra})`);

describe('bad input', () => {
  it('a table path that does not exist', async () => {
    const err = await failure(scan(path.join(tmp, 'nope')));
    expect(err.code).toBe('TABLE_NOT_FOUND');
    expect(err.message).toMatch(/no table at .*nope: the folder does not exist/);
  });

  it('a folder with no _delta_log', async () => {
    const err = await failure(scan(path.join(CORPUS, 'kernel-rs-golden/no-delta-log-folder/delta')));
    expect(err.code).toBe('NOT_A_TABLE');
    expect(err.message).toMatch(/no-delta-log-folder\/delta is not a Delta table: it has no _delta_log folder/);
  });

  it('a corrupt commit names the file and line', async () => {
    const t = copyOf('dat/basic_append', 'corrupt-commit');
    writeFileSync(
      path.join(t, '_delta_log/00000000000000000001.json'),
      '{"commitInfo":{}}\n{"add": {"path": "x.parquet", \n',
    );
    const err = await failure(scan(t));
    expect(err.code).toBe('LOG_CORRUPT');
    expect(err.message).toMatch(/corrupt-commit: _delta_log\/00000000000000000001\.json line 2 is not valid JSON/);
  });

  it('a missing commit (a gap in versions) names the missing version', async () => {
    const t = copyOf('kernel-rs-golden/snapshot-data2-deleted', 'gap');
    unlinkSync(path.join(t, '_delta_log/00000000000000000002.json'));
    const err = await failure(scan(t));
    expect(err.code).toBe('LOG_CORRUPT');
    expect(err.message).toMatch(/gap: the log has a gap: commit 00000000000000000002\.json is missing/);
  });

  it('a version that does not exist names the latest', async () => {
    const err = await failure(scan(path.join(CORPUS, 'dat/basic_append/delta'), ', version => 9'));
    expect(err.code).toBe('VERSION_NOT_FOUND');
    expect(err.message).toMatch(/version 9 does not exist; the latest version is 1/);
  });

  it('an unreadable checkpoint names the checkpoint file', async () => {
    const t = copyOf('dat/with_checkpoint', 'bad-checkpoint');
    const cp = readdirSync(path.join(t, '_delta_log')).find((f) => f.endsWith('.checkpoint.parquet'))!;
    truncateSync(path.join(t, '_delta_log', cp), 20);
    const err = await failure(scan(t));
    expect(err.code).toBe('CHECKPOINT_INVALID');
    expect(err.message).toContain(`bad-checkpoint: cannot read checkpoint _delta_log/${cp}`);
  });

  it('a checkpoint without metaData is refused', async () => {
    const err = await failure(
      scan(path.join(CORPUS, 'kernel-rs-golden/deltalog-state-reconstruction-from-checkpoint-missing-metadata/delta')),
    );
    expect(err.code).toBe('CHECKPOINT_INVALID');
    expect(err.message).toMatch(/checkpoint \d{20} has no metaData action/);
  });

  it('a protocol newer than supported names the version', async () => {
    const err = await failure(scan(path.join(CORPUS, 'kernel-rs-golden/deltalog-invalid-protocol-version/delta')));
    expect(err.code).toBe('PROTOCOL_UNSUPPORTED');
    expect(err.message).toMatch(/requires Delta reader version 99; Strata reads versions 1 to 3/);
  });

  it('an unknown reader feature is refused by name', async () => {
    const t = copyOf('dat/basic_append', 'unknown-feature');
    writeFileSync(
      path.join(t, '_delta_log/00000000000000000002.json'),
      `${JSON.stringify({ commitInfo: { timestamp: 1 } })}\n${JSON.stringify({ protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['futureFeature'], writerFeatures: ['futureFeature'] } })}\n`,
    );
    const err = await failure(scan(t));
    expect(err.code).toBe('PROTOCOL_UNSUPPORTED');
    expect(err.message).toMatch(/unknown-feature: uses the reader feature 'futureFeature'/);
    // Older versions, before the upgrade, still read.
    const rows = await engine.withSession((s) =>
      executeQuery(s, `SELECT count(*) FROM delta_scan('${t}', version => 1)`),
    );
    expect(rows.rows[0][0]).toBe(5);
  });

  it('a data file deleted outside Delta is named', async () => {
    const t = copyOf('dat/basic_append', 'missing-file');
    const data = readdirSync(t).find((f) => f.endsWith('.parquet'))!;
    unlinkSync(path.join(t, data));
    const err = await failure(scan(t));
    expect(err.code).toBe('STORAGE');
    expect(err.message).toContain(data);
    expect(err.message).toMatch(/missing-file version 1: data file .* is missing/);
  });

  it('cleaned-up history is reported as such for old versions', async () => {
    const t = copyOf('dat/with_checkpoint', 'cleaned');
    unlinkSync(path.join(t, '_delta_log/00000000000000000000.json'));
    // The latest version still reads through the checkpoint...
    const snap = await engine.withSession((s) => loadSnapshot(t, { session: s }));
    expect(snap.version).toBe(3);
    // ...but version 0 is gone.
    const err = await failure((s) => loadSnapshot(t, { version: 0, session: s }));
    expect(err.code).toBe('VERSION_NOT_FOUND');
    expect(err.message).toMatch(/version 0 can no longer be reconstructed/);
  });
});
