// The shared Delta conformance corpus (../shared/conformance/delta), read in
// place: its manifest and each case's expectations in one normalized shape.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

export const CORPUS_DIR = path.resolve(process.env.STRATA_CONFORMANCE_DIR ?? '../shared/conformance/delta');

export interface CorpusCase {
  id: string;
  /** Absolute path of the Delta table root. */
  table: string;
  caveat?: string;
  checks: Check[];
}

export type Check =
  | { kind: 'rows-parquet'; version?: number; dir: string; count?: number }
  | { kind: 'rows'; version?: number; columns: string[]; rows: unknown[][]; projection: boolean }
  | {
      kind: 'dat-metadata';
      version: number;
      properties: Record<string, string>;
      minReader: number;
      minWriter: number;
      at?: number;
    }
  | { kind: 'error'; reason: string }
  | { kind: 'snapshot_version'; version: number }
  | { kind: 'active_files'; files: string[]; namesOnly: boolean }
  | { kind: 'add_field'; path: string; field: string; value: unknown }
  | { kind: 'protocol'; expected: Record<string, unknown> }
  | { kind: 'metadata'; expected: Record<string, unknown> }
  | { kind: 'txn'; appId: string; version: number }
  | { kind: 'txn_count'; count: number }
  | { kind: 'tombstone_count'; count: number };

interface Manifest {
  cases: {
    id: string;
    table: string;
    caveat?: string;
    expected: {
      format: string;
      dirs?: Record<string, string>;
      latest?: string;
      versions?: Record<string, string>;
      row_counts?: Record<string, number>;
      file?: string;
      error?: string;
    };
  }[];
}

/** Version label ('latest', 'v2', '3') to a version number (undefined = latest). */
function versionOf(label: string): number | undefined {
  if (label === 'latest') return undefined;
  return Number(label.replace(/^v/, ''));
}

/** Parquet files of an expected-rows folder (side files left out). */
export function parquetFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.parquet') && !f.startsWith('.'))
    .map((f) => path.join(dir, f));
}

export function loadCorpus(): CorpusCase[] {
  const manifest = JSON.parse(readFileSync(path.join(CORPUS_DIR, 'cases.json'), 'utf8')) as Manifest;
  return manifest.cases.map((c) => {
    const e = c.expected;
    const checks: Check[] = [];
    if (e.format === 'error') {
      checks.push({ kind: 'error', reason: e.error ?? '' });
    } else if (e.format === 'dat') {
      for (const [label, rel] of Object.entries(e.dirs ?? {})) {
        const dir = path.join(CORPUS_DIR, rel);
        const version = versionOf(label);
        checks.push({
          kind: 'rows-parquet',
          version,
          dir: path.join(dir, 'table_content'),
          count: e.row_counts?.[label],
        });
        const meta = JSON.parse(readFileSync(path.join(dir, 'table_version_metadata.json'), 'utf8'));
        checks.push({
          kind: 'dat-metadata',
          version: meta.version,
          properties: meta.properties,
          minReader: meta.min_reader_version,
          minWriter: meta.min_writer_version,
          at: version,
        });
      }
    } else if (e.format === 'parquet-dir') {
      checks.push({ kind: 'rows-parquet', dir: path.join(CORPUS_DIR, e.latest!), count: e.row_counts?.latest });
      for (const [v, rel] of Object.entries(e.versions ?? {})) {
        checks.push({
          kind: 'rows-parquet',
          version: Number(v),
          dir: path.join(CORPUS_DIR, rel),
          count: e.row_counts?.[`v${v}`],
        });
      }
    } else if (e.format === 'expected.json') {
      const file = JSON.parse(readFileSync(path.join(CORPUS_DIR, e.file!), 'utf8')) as {
        checks: Record<string, any>[];
      };
      for (const k of file.checks) {
        switch (k.kind) {
          case 'rows':
            checks.push({
              kind: 'rows',
              version: k.version,
              columns: k.columns,
              rows: k.rows,
              projection: Boolean(k.projection),
            });
            break;
          case 'active_files':
            checks.push({ kind: 'active_files', files: k.files, namesOnly: /file names only/.test(k.note ?? '') });
            break;
          case 'protocol':
          case 'metadata': {
            const { kind, note: _note, ...expected } = k;
            checks.push({ kind, expected } as Check);
            break;
          }
          default:
            checks.push(k as Check);
        }
      }
    } else {
      throw new Error(`${c.id}: unknown expectation format ${e.format}`);
    }
    return { id: c.id, table: path.join(CORPUS_DIR, c.table), caveat: c.caveat, checks };
  });
}

export function corpusAvailable(): boolean {
  return existsSync(path.join(CORPUS_DIR, 'cases.json'));
}
