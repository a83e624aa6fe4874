// Per-file statistics for the log (PROTOCOL.md, "Per-file Statistics"):
// numRecords, and minValues / maxValues / nullCount for the first N leaf
// columns (delta.dataSkippingNumIndexedCols, default 32), nested like the schema.
// Built from the column statistics DuckDB returns for each file it writes.
import type { DeltaType, StructField, StructType } from './schema.js';

export const DEFAULT_INDEXED_COLUMNS = 32;
/** Longer strings get a prefix as min and no max (a prefix could be smaller than the true max). */
const STRING_PREFIX = 32;

/** DuckDB's RETURN_STATS: column path (`"a"."b"`) → stat name → text. */
export type ColumnStats = Map<string, Record<string, string | null>>;

export interface FileStats {
  numRecords: number;
  minValues: Record<string, unknown>;
  maxValues: Record<string, unknown>;
  nullCount: Record<string, unknown>;
}

/** The stats JSON for one file. Columns in `skip` (partition columns) are left out. */
export function buildStats(
  schema: StructType,
  numRecords: number,
  stats: ColumnStats,
  skip: Set<string>,
  indexedColumns = DEFAULT_INDEXED_COLUMNS,
): FileStats {
  const out: FileStats = { numRecords, minValues: {}, maxValues: {}, nullCount: {} };
  let budget = indexedColumns < 0 ? Infinity : indexedColumns;
  const visit = (
    fields: StructField[],
    path: string[],
    min: Record<string, unknown>,
    max: Record<string, unknown>,
    nulls: Record<string, unknown>,
  ) => {
    for (const field of fields) {
      if (budget <= 0) return;
      if (path.length === 0 && skip.has(field.name)) continue;
      const here = [...path, field.name];
      if (field.type.kind === 'struct') {
        const m: Record<string, unknown> = {};
        const x: Record<string, unknown> = {};
        const n: Record<string, unknown> = {};
        visit(field.type.fields, here, m, x, n);
        if (Object.keys(m).length) min[field.name] = m;
        if (Object.keys(x).length) max[field.name] = x;
        if (Object.keys(n).length) nulls[field.name] = n;
        continue;
      }
      budget--;
      if (field.type.kind === 'array' || field.type.kind === 'map') continue; // no stats for collections
      const s = stats.get(here.map((p) => `"${p.replace(/"/g, '""')}"`).join('.'));
      if (!s) continue;
      if (s.null_count !== null && s.null_count !== undefined) nulls[field.name] = Number(s.null_count);
      const lo = statValue(field.type, s.min, 'min');
      const hi = statValue(field.type, s.max, 'max');
      if (lo !== undefined) min[field.name] = lo;
      if (hi !== undefined) max[field.name] = hi;
    }
  };
  visit(schema.fields, [], out.minValues, out.maxValues, out.nullCount);
  return out;
}

/** A DuckDB stat text as the JSON value Delta expects, or undefined to leave it out. */
function statValue(type: DeltaType, text: string | null | undefined, bound: 'min' | 'max'): unknown {
  if (text === null || text === undefined) return undefined;
  if (type.kind === 'decimal') {
    const n = Number(text);
    // A double that cannot hold the decimal exactly could wrongly skip a file.
    return Number.isFinite(n) && text.replace(/[-.]/g, '').replace(/^0+/, '').length <= 15 ? n : undefined;
  }
  if (type.kind !== 'primitive') return undefined;
  switch (type.name) {
    case 'byte':
    case 'short':
    case 'integer':
    case 'long': {
      const n = Number(text);
      return Number.isSafeInteger(n) ? n : undefined;
    }
    case 'float':
    case 'double': {
      const n = Number(text);
      if (!Number.isFinite(n)) return undefined;
      if (type.name === 'float') {
        // DuckDB prints the shortest float text; widen by one float ulp so the bound holds as a double.
        const f = Math.fround(n);
        const ulp = Math.abs(f) * 2 ** -23 || 2 ** -149;
        return bound === 'min' ? f - ulp : f + ulp;
      }
      return n;
    }
    case 'string': {
      const chars = Array.from(text);
      if (chars.length <= STRING_PREFIX) return text;
      return bound === 'min' ? chars.slice(0, STRING_PREFIX).join('') : undefined;
    }
    case 'date':
      return /^\d{4}-\d{2}-\d{2}$/.test(text) ? text : undefined;
    case 'timestamp':
    case 'timestamp_ntz': {
      const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(\+00)?$/.exec(text);
      if (!m) return undefined;
      const micros = Number((m[3] ?? '').padEnd(6, '0'));
      // Stats hold milliseconds: round the min down and the max up so they stay bounds.
      let ms = Math.floor(micros / 1000);
      if (bound === 'max' && micros % 1000 !== 0) ms += 1;
      const base = Date.parse(`${m[1]}T${m[2]}Z`) + ms;
      const iso = new Date(base).toISOString();
      return type.name === 'timestamp' ? iso : iso.replace(/Z$/, '');
    }
    default:
      return undefined; // boolean and binary: Spark keeps no min/max either
  }
}
