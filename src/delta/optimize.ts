// OPTIMIZE: compaction. Small files of each partition are rewritten into files
// near the target size (and, with ZORDER BY, clustered along a Z-order curve of
// the given columns so that min/max stats skip well on each of them). The
// commit has dataChange = false: readers see the same rows, streams see nothing new.
import { randomUUID } from 'node:crypto';
import { StrataError } from '../core/index.js';
import { quoteIdent, type Session } from '../engine/index.js';
import type { Action, AddAction } from './actions.js';
import { localPathStore } from './local-paths.js';
import { blindAppend } from './commit.js';
import { fileMatcher, type Predicate } from './prune.js';
import { canonicalPath } from './replay.js';
import { planScan } from './scan.js';
import { loadSnapshot } from './snapshot.js';
import { checkWritable } from './table-features.js';
import { afterCommit, commitOrClean, removeOf, writeChecked, type TableRef } from './write.js';
import { DEFAULT_TARGET_FILE_SIZE, parseSize } from './write-files.js';

export interface OptimizeOptions extends TableRef {
  /** Only partitions matching this predicate (on partition columns only). */
  where?: string;
  prune?: Predicate;
  /** Columns that the WHERE mentions, to check they are partition columns. */
  whereColumns?: string[];
  zOrderBy?: string[];
  now?: () => number;
}

export interface OptimizeOutcome {
  version?: number;
  numRemovedFiles: number;
  numAddedFiles: number;
  numRemovedBytes: number;
  numAddedBytes: number;
}

export async function optimizeTable(session: Session, options: OptimizeOptions): Promise<OptimizeOutcome> {
  const table = options.name ?? options.location;
  const snapshot = await loadSnapshot(options.location, { session, name: table });
  checkWritable(table, snapshot.protocol, snapshot.schema);
  const partitions = new Set(snapshot.partitionColumns.map((c) => c.toLowerCase()));
  for (const c of options.whereColumns ?? []) {
    if (!partitions.has(c.toLowerCase())) {
      throw new StrataError(
        'USAGE',
        `OPTIMIZE ${table}: the WHERE clause may only use partition columns (${snapshot.partitionColumns.join(', ') || 'none'}), not ${c}`,
        { context: { table } },
      );
    }
  }
  const zorder = (options.zOrderBy ?? []).map((c) => {
    const f = snapshot.schema.fields.find((x) => x.name.toLowerCase() === c.toLowerCase());
    if (!f)
      throw new StrataError('SCHEMA_MISMATCH', `OPTIMIZE ${table}: ZORDER BY column ${c} does not exist`, {
        context: { table, column: c },
      });
    if (partitions.has(f.name.toLowerCase()))
      throw new StrataError('USAGE', `OPTIMIZE ${table}: ${f.name} is a partition column; Z-order by data columns`, {
        context: { table },
      });
    return f.name;
  });
  const target = parseSize(snapshot.metadata.configuration['delta.targetFileSize'], DEFAULT_TARGET_FILE_SIZE, table);
  const inScope = options.prune ? snapshot.files.filter(fileMatcher(snapshot, options.prune)) : snapshot.files;
  // Group by partition; compact groups with more than one small file (Z-order: every file).
  // A file whose deletion vector hides more than a share of its rows is rewritten without
  // them (as Databricks purges them, delta.optimize.maxDeletedRowsRatio, default 5%).
  const maxDeleted = Number(snapshot.metadata.configuration['delta.optimize.maxDeletedRowsRatio'] ?? 0.05);
  const purge = (f: AddAction) => {
    const records =
      f.deletionVector && f.stats ? (JSON.parse(f.stats) as { numRecords?: number }).numRecords : undefined;
    return records !== undefined && records > 0 && f.deletionVector!.cardinality / records > maxDeleted;
  };
  const groups = new Map<string, AddAction[]>();
  for (const f of inScope) {
    if (zorder.length === 0 && Number(f.size) >= target && !purge(f)) continue;
    const key = JSON.stringify(snapshot.partitionColumns.map((c) => f.partitionValues[c] ?? null));
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const chosen = [...groups.values()]
    .filter((g) => g.length > 1 || (g.length > 0 && (zorder.length > 0 || purge(g[0]))))
    .flat();
  const nothing: OptimizeOutcome = { numRemovedFiles: 0, numAddedFiles: 0, numRemovedBytes: 0, numAddedBytes: 0 };
  if (chosen.length === 0) return nothing;

  const store = localPathStore(snapshot.store, snapshot.table);
  const now = options.now ?? Date.now;
  const scan = await planScan(snapshot, session, { id: randomUUID().replace(/-/g, '').slice(0, 12), files: chosen });
  try {
    const cols = snapshot.schema.fields.map((f) => `t.${quoteIdent(f.name)}`).join(', ');
    const select =
      zorder.length > 0
        ? `SELECT ${cols} FROM (SELECT t.*, ${zorder.map((c, i) => `${zRank(c, zBits(zorder.length))} AS __z${i}`).join(', ')} FROM (${scan.sql}) AS t) AS t ORDER BY ${zInterleave(zorder.length)}`
        : `SELECT ${cols} FROM (${scan.sql}) AS t`;
    const projection = snapshot.schema.fields
      .map((f) => `src.${quoteIdent(f.name)} AS ${quoteIdent(f.name)}`)
      .join(', ');
    const written = await writeChecked(
      session,
      store,
      table,
      select,
      projection,
      snapshot.schema,
      snapshot.partitionColumns,
      snapshot.metadata.configuration,
      now,
    );
    const adds = written.adds.map((a) => ({ ...a, dataChange: false }));
    const actions: Action[] = [
      ...chosen.map((f) => ({ remove: { ...removeOf(f, now()), dataChange: false } })),
      ...adds.map((add) => ({ add })),
    ];
    const paths = new Set(chosen.map((f) => canonicalPath(store.root, f.path)));
    const removedBytes = chosen.reduce((s, f) => s + (Number(f.size) || 0), 0);
    const result = await commitOrClean(
      store,
      table,
      snapshot.version,
      {
        operation: 'OPTIMIZE',
        operationParameters: {
          predicate: JSON.stringify(options.where ? [options.where] : []),
          zOrderBy: JSON.stringify(zorder),
        },
        operationMetrics: {
          numRemovedFiles: chosen.length,
          numAddedFiles: adds.length,
          numRemovedBytes: removedBytes,
          numAddedBytes: written.numBytes,
        },
        actions,
        footprint: { ...blindAppend(), readFiles: paths, removedFiles: paths },
      },
      adds,
    );
    await afterCommit(session, store, table, result.version, snapshot.metadata.configuration);
    return {
      version: result.version,
      numRemovedFiles: chosen.length,
      numAddedFiles: adds.length,
      numRemovedBytes: removedBytes,
      numAddedBytes: written.numBytes,
    };
  } finally {
    for (const statement of scan.cleanup) await session.exec(statement).catch(() => undefined);
  }
}

/** Bits per column, so that the interleaved key fits 64 bits. */
function zBits(columns: number): number {
  return Math.min(16, Math.floor(64 / columns));
}

/** A column's rank scaled to `bits` bits (NULLs first). */
function zRank(column: string, bits: number): string {
  return `CAST(coalesce(percent_rank() OVER (ORDER BY t.${quoteIdent(column)} NULLS FIRST), 0) * ${2 ** bits - 1} AS UBIGINT)`;
}

/**
 * The Z-order (Morton) key of ranked columns __z0..: their bits interleaved,
 * so rows close in every column are close in the key.
 */
function zInterleave(n: number): string {
  const terms: string[] = [];
  for (let b = 0; b < zBits(n); b++)
    for (let i = 0; i < n; i++) terms.push(`(((t.__z${i} >> ${b}) & 1) << ${b * n + i})`);
  return terms.join(' | ');
}
