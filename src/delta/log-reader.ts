// Reading log files into actions: JSON commits line by line, checkpoints (JSON or
// Parquet) and their sidecars. Parquet goes through a small interface so the
// replay logic itself never touches DuckDB or the filesystem.
import { StrataError } from '../core/index.js';
import { type Session, quoteIdent, quoteStringList } from '../engine/index.js';
import { hasLocalPaths, type ObjectStore } from '../storage/index.js';
import type { Action, CommitInfo } from './actions.js';

/** What log replay needs from a Parquet engine. */
export interface ParquetRowReader {
  /** Rows of the given local Parquet files, each as a plain object (nulls kept). */
  readRows(paths: string[]): Promise<Record<string, unknown>[]>;
}

/**
 * A ParquetRowReader on a DuckDB session. Each action column comes back as one
 * JSON array (per chunk of 50,000 rows) of its non-null values: one string to
 * parse instead of a value per field, and no nulls of the other columns — a
 * checkpoint of 10,000 files reads in about a third of the time.
 */
export function duckdbRowReader(session: Session): ParquetRowReader {
  return {
    async readRows(paths) {
      if (paths.length === 0) return [];
      const source = `read_parquet(${quoteStringList(paths)}, union_by_name = true, file_row_number = true)`;
      const columns = (await session.rows<{ column_name: string }>(`DESCRIBE SELECT * FROM ${source}`))
        .map((c) => c.column_name)
        .filter((c) => c !== 'file_row_number');
      const lists = columns.map(
        (c, i) => `to_json(list(${quoteIdent(c)}) FILTER (WHERE ${quoteIdent(c)} IS NOT NULL))::VARCHAR AS c${i}`,
      );
      const chunks = await session.rows<Record<string, string | null>>(
        `SELECT ${lists.join(', ')} FROM ${source} GROUP BY file_row_number // 50000`,
      );
      const out: Record<string, unknown>[] = [];
      for (const chunk of chunks) {
        columns.forEach((c, i) => {
          const text = chunk[`c${i}`];
          if (text) for (const value of JSON.parse(text) as unknown[]) out.push({ [c]: value });
        });
      }
      return out;
    },
  };
}

/** Parses newline-delimited JSON actions; a bad line is an error naming file and line. */
export function parseJsonActions(text: string, file: string, table: string): Action[] {
  const actions: Action[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new StrataError(
        'LOG_CORRUPT',
        `table ${table}: ${file} line ${i + 1} is not valid JSON: ${truncate(line)}`,
        {
          context: { table, file, line: i + 1 },
        },
      );
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new StrataError('LOG_CORRUPT', `table ${table}: ${file} line ${i + 1} is not an action object`, {
        context: { table, file, line: i + 1 },
      });
    }
    actions.push(parsed as Action);
  }
  return actions;
}

/**
 * Reads one commit file. A commit with no action (a zero-byte or blank file: written by a tool
 * that cut it off, never by a Delta writer, which always records at least commitInfo or the
 * change) is damaged, like one that is not JSON: reading past it would silently drop a version.
 */
export async function readCommit(store: ObjectStore, key: string, table: string): Promise<Action[]> {
  const bytes = await store.get(key);
  const actions = parseJsonActions(new TextDecoder().decode(bytes), key, table);
  if (actions.length === 0) {
    throw new StrataError(
      'LOG_CORRUPT',
      `table ${table}: ${key} is ${bytes.length === 0 ? 'empty (0 bytes)' : 'blank'}: the commit was cut off or damaged after it was written. Restore it from a backup, or delete it to take the table back to the version before it (tables that read it then need --full-refresh)`,
      { context: { table, file: key } },
    );
  }
  return actions;
}

/** Reads checkpoint files (any kind), following sidecar references. */
export async function readCheckpoint(
  store: ObjectStore,
  keys: string[],
  reader: ParquetRowReader,
  table: string,
): Promise<Action[]> {
  const actions: Action[] = [];
  const parquetKeys: string[] = [];
  for (const key of keys) {
    if (key.endsWith('.json')) actions.push(...(await readCommit(store, key, table)));
    else parquetKeys.push(key);
  }
  if (parquetKeys.length > 0) actions.push(...(await readParquetActions(store, parquetKeys, reader, table)));
  const sidecars = actions.filter((a) => a.sidecar).map((a) => a.sidecar!);
  if (sidecars.length > 0) {
    const sidecarKeys = sidecars.map((s) => (s.path.includes('/') ? s.path : `_delta_log/_sidecars/${s.path}`));
    actions.push(...(await readParquetActions(store, sidecarKeys, reader, table)));
  }
  return actions;
}

async function readParquetActions(
  store: ObjectStore,
  keys: string[],
  reader: ParquetRowReader,
  table: string,
): Promise<Action[]> {
  if (!hasLocalPaths(store)) {
    throw new StrataError('STORAGE', `table ${table}: Parquet checkpoints need a store DuckDB can read by path`, {
      context: { table },
    });
  }
  for (const key of keys) {
    if (!(await store.head(key))) {
      throw new StrataError('CHECKPOINT_INVALID', `table ${table}: checkpoint file ${key} is missing`, {
        context: { table, file: key },
      });
    }
  }
  let rows: Record<string, unknown>[];
  try {
    rows = await reader.readRows(keys.map((k) => store.localPath(k)));
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new StrataError(
      'CHECKPOINT_INVALID',
      `table ${table}: cannot read checkpoint ${keys.join(', ')}: ${reason}`,
      {
        cause: err,
        context: { table, file: keys[0] },
      },
    );
  }
  const actions: Action[] = [];
  for (const row of rows) {
    const action: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(row)) {
      if (value !== null && value !== undefined && !name.endsWith('_parsed') && !name.startsWith('__'))
        action[name] = value;
    }
    if (Object.keys(action).length > 0) actions.push(action as Action);
  }
  return actions;
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The commitInfo of each commit in [from, to] still in the log (missing commits are skipped). */
export async function readCommitInfos(
  store: ObjectStore,
  table: string,
  from: number,
  to: number,
): Promise<{ version: number; info: CommitInfo }[]> {
  const out: { version: number; info: CommitInfo }[] = [];
  for (let v = Math.max(0, from); v <= to; v++) {
    const key = `_delta_log/${String(v).padStart(20, '0')}.json`;
    if (!(await store.head(key))) continue;
    const info = (await readCommit(store, key, table)).find((a) => a.commitInfo)?.commitInfo;
    if (info) out.push({ version: v, info });
  }
  return out;
}
