// Checks of a Delta log we wrote against the protocol: required fields of each
// action, version 0 holds protocol and metaData, paths resolve, stats are valid
// JSON and true bounds of the file's data.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { expect } from 'vitest';
import { canonicalPath, loadSnapshot } from '../../src/delta/index.js';
import { readDeletionVector } from '../../src/delta/deletion-vector.js';
import { executeQuery } from '../../src/sql/index.js';
import { type Session, quoteIdent, quoteLiteral, quoteStringList } from '../../src/engine/index.js';

export function readLog(table: string): { version: number; actions: Record<string, any>[] }[] {
  const dir = path.join(table, '_delta_log');
  return readdirSync(dir)
    .filter((f) => /^\d{20}\.json$/.test(f))
    .sort()
    .map((f) => ({
      version: Number(f.slice(0, 20)),
      actions: readFileSync(path.join(dir, f), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    }));
}

/** Asserts every commit of a table follows the protocol's rules for the fields it uses. */
export function expectValidLog(table: string): void {
  const commits = readLog(table);
  expect(commits.length).toBeGreaterThan(0);
  commits.forEach((c, i) => expect(c.version).toBe(commits[0].version + i));
  if (commits[0].version === 0) {
    const kinds = commits[0].actions.map((a) => Object.keys(a)[0]);
    expect(kinds).toContain('protocol');
    expect(kinds).toContain('metaData');
  }
  for (const { version, actions } of commits) {
    for (const action of actions) {
      expect(Object.keys(action)).toHaveLength(1);
      const [kind, body] = Object.entries(action)[0];
      switch (kind) {
        case 'commitInfo':
          expect(typeof body.timestamp).toBe('number');
          expect(typeof body.operation).toBe('string');
          break;
        case 'protocol':
          expect(Number.isInteger(body.minReaderVersion)).toBe(true);
          expect(Number.isInteger(body.minWriterVersion)).toBe(true);
          if (body.minReaderVersion === 3) expect(Array.isArray(body.readerFeatures)).toBe(true);
          if (body.minWriterVersion === 7) expect(Array.isArray(body.writerFeatures)).toBe(true);
          break;
        case 'metaData':
          expect(typeof body.id).toBe('string');
          expect(body.format.provider).toBe('parquet');
          expect(JSON.parse(body.schemaString).type).toBe('struct');
          expect(Array.isArray(body.partitionColumns)).toBe(true);
          expect(typeof body.configuration).toBe('object');
          break;
        case 'add':
          expect(typeof body.path).toBe('string');
          expect(typeof body.partitionValues).toBe('object');
          expect(Number.isInteger(body.size)).toBe(true);
          expect(Number.isInteger(body.modificationTime)).toBe(true);
          expect(typeof body.dataChange).toBe('boolean');
          expect(existsSync(canonicalPath(table, body.path)), `v${version}: ${body.path} exists`).toBe(true);
          if (body.stats !== undefined) JSON.parse(body.stats);
          break;
        case 'remove':
          expect(typeof body.path).toBe('string');
          expect(typeof body.dataChange).toBe('boolean');
          expect(Number.isInteger(body.deletionTimestamp)).toBe(true);
          break;
        case 'txn':
          expect(typeof body.appId).toBe('string');
          expect(Number.isInteger(body.version)).toBe(true);
          break;
        default:
          throw new Error(`v${version}: unexpected action ${kind}`);
      }
    }
  }
}

/** Asserts each add's stats are the true numRecords, min, max and null count of its file. */
export async function expectTrueStats(
  session: Session,
  table: string,
  adds: { path: string; stats?: string | null }[],
  columns: string[],
): Promise<void> {
  for (const add of adds) {
    if (!add.stats) continue;
    const stats = JSON.parse(add.stats);
    const file = quoteLiteral(canonicalPath(table, add.path));
    const [row] = await session.rows<Record<string, unknown>>(
      `SELECT count(*)::BIGINT AS n FROM read_parquet(${file})`,
    );
    expect(Number(row.n)).toBe(stats.numRecords);
    for (const c of columns) {
      if (!(c in (stats.nullCount ?? {}))) continue;
      const q = quoteIdent(c);
      const [r] = await session.rows<Record<string, unknown>>(
        `SELECT count(*) FILTER (WHERE ${q} IS NULL)::BIGINT AS nulls, min(${q})::VARCHAR AS lo, max(${q})::VARCHAR AS hi FROM read_parquet(${file})`,
      );
      expect(Number(r.nulls), `${add.path} nullCount.${c}`).toBe(stats.nullCount[c]);
      if (c in stats.minValues)
        expect(order(stats.minValues[c], r.lo as string), `${add.path} minValues.${c} ≤ true min`).toBeLessThanOrEqual(
          0,
        );
      if (c in stats.maxValues)
        expect(
          order(stats.maxValues[c], r.hi as string),
          `${add.path} maxValues.${c} ≥ true max`,
        ).toBeGreaterThanOrEqual(0);
    }
  }
}

/** Compares a stat (JSON) with a value DuckDB printed: numbers, datetimes or strings. */
function order(stat: unknown, printed: string): number {
  if (typeof stat === 'number') return Math.sign(stat - Number(printed));
  const text = String(stat);
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const t = (s: string) =>
      Date.parse(
        /[zZ]|[+-]\d{2}(:?\d{2})?$/.test(s) ? s.replace(' ', 'T').replace(/\+00$/, 'Z') : `${s.replace(' ', 'T')}Z`,
      );
    // Stats keep milliseconds; the printed value may have microseconds.
    return Math.sign(t(text) - t(printed.replace(/(\.\d{3})\d+/, '$1')));
  }
  return Buffer.compare(Buffer.from(text), Buffer.from(printed));
}

/** Our reader and DuckDB reading the snapshot's live files directly agree. */
export async function expectReaderAgrees(s: Session, name: string, table: string, dir: string): Promise<void> {
  const snap = await loadSnapshot(table, { session: s });
  const files = snap.files.map((f) => canonicalPath(table, f.path));
  if (files.length === 0) return;
  const inFiles = new Set(
    (
      await s.rows<{ column_name: string }>(
        `DESCRIBE SELECT * FROM read_parquet(${quoteStringList(files)}, union_by_name = true)`,
      )
    ).map((r) => r.column_name),
  );
  const dataFields = snap.schema.fields.filter((f) => !snap.partitionColumns.includes(f.name));
  // Columns added after every file was written must read as NULL.
  for (const f of dataFields.filter((f) => !inFiles.has(f.name))) {
    const r = await executeQuery(s, `SELECT count("${f.name}") FROM ${name}`, { baseDir: dir, dialect: 'duckdb' });
    expect(r.rows[0][0], `${name}.${f.name}`).toBe(0);
  }
  // Rows marked in deletion vectors are not live: leave them out of the direct read.
  await s.exec('CREATE OR REPLACE TEMP TABLE __agree_deleted (file VARCHAR, row BIGINT)');
  for (const f of snap.files.filter((x) => x.deletionVector)) {
    const rows = await readDeletionVector(snap.store, f.deletionVector!, table);
    await s.exec(
      `INSERT INTO __agree_deleted SELECT ${quoteLiteral(canonicalPath(table, f.path))}, unnest([${[...rows].join(', ')}]::BIGINT[])`,
    );
  }
  const live = `(SELECT * FROM read_parquet(${quoteStringList(files)}, union_by_name = true, filename = true, file_row_number = true) AS f
                 WHERE NOT EXISTS (SELECT 1 FROM __agree_deleted d WHERE d.file = f.filename AND d.row = f.file_row_number))`;
  const cols = dataFields
    .filter((f) => inFiles.has(f.name))
    .map((f) => `"${f.name}"`)
    .join(', ');
  // DuckDB SQL (names in double quotes), not Spark's.
  const ours = await executeQuery(s, `SELECT ${cols} FROM ${name} EXCEPT ALL SELECT ${cols} FROM ${live}`, {
    baseDir: dir,
    dialect: 'duckdb',
  });
  const theirs = await executeQuery(s, `SELECT ${cols} FROM ${live} EXCEPT ALL SELECT ${cols} FROM ${name}`, {
    baseDir: dir,
    dialect: 'duckdb',
  });
  expect(ours.rows).toEqual([]);
  expect(theirs.rows).toEqual([]);
}

/** Tables with deletion vectors enabled: the statements marked rows in vectors (no row copied), under the table feature. */
export function expectDeletionVectorsUsed(table: string): void {
  const log = readLog(table);
  const protocol = log
    .flatMap((c) => c.actions)
    .filter((a) => a.protocol)
    .at(-1)!.protocol;
  expect(protocol.readerFeatures).toContain('deletionVectors');
  expect(protocol.writerFeatures).toContain('deletionVectors');
  const withDv = log.flatMap((c) => c.actions).filter((a) => a.add?.deletionVector);
  expect(withDv.length).toBeGreaterThan(0);
  for (const a of withDv) {
    expect(a.add.deletionVector.storageType).toBe('u');
    expect(JSON.parse(a.add.stats).tightBounds).toBe(false);
  }
  for (const c of log) {
    const m = c.actions.find((a) => a.commitInfo)?.commitInfo.operationMetrics ?? {};
    if (m.numCopiedRows !== undefined) expect(Number(m.numCopiedRows)).toBe(0);
    if (m.numTargetRowsCopied !== undefined) expect(Number(m.numTargetRowsCopied)).toBe(0);
  }
}
