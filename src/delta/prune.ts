// File skipping: deciding from the log alone — partition values and per-file
// min/max/null-count stats — which files cannot hold a row that matches a
// predicate. Every answer is conservative: when in doubt, the file is read.
import type { AddAction } from './actions.js';
import { partitionValue } from './partition-values.js';
import { physicalName, type DeltaType, type StructField } from './schema.js';
import type { Snapshot } from './snapshot.js';

export type Literal = string | number | bigint | boolean;

/** A filter on a table's top-level columns, by logical name. */
export type Predicate =
  | { kind: 'and' | 'or'; items: Predicate[] }
  | { kind: 'cmp'; column: string; op: '=' | '<>' | '<' | '<=' | '>' | '>='; value: Literal }
  | { kind: 'in'; column: string; values: Literal[] }
  | { kind: 'null'; column: string; negated: boolean };

interface Stats {
  numRecords?: number;
  minValues?: Record<string, unknown>;
  maxValues?: Record<string, unknown>;
  nullCount?: Record<string, unknown>;
}

/** Files of the snapshot that may hold matching rows. */
export function pruneFiles(snapshot: Snapshot, predicate: Predicate | undefined): AddAction[] {
  if (!predicate) return snapshot.files;
  const may = fileMatcher(snapshot, predicate);
  return snapshot.files.filter(may);
}

/** A test of whether a file (of this table's schema) may hold rows matching the predicate. */
export function fileMatcher(
  snapshot: Pick<Snapshot, 'schema' | 'partitionColumns' | 'columnMapping'>,
  predicate: Predicate,
): (file: AddAction) => boolean {
  const fields = new Map(snapshot.schema.fields.map((f) => [f.name.toLowerCase(), f]));
  const partitions = new Set(snapshot.partitionColumns.map((c) => c.toLowerCase()));
  return (file) => {
    let stats: Stats | undefined;
    const getStats = () => (stats ??= parseStats(file.stats));
    return mayMatch(predicate, (column) => {
      const field = fields.get(column.toLowerCase());
      if (!field) return undefined;
      const key = physicalName(field, snapshot.columnMapping);
      if (partitions.has(column.toLowerCase())) {
        const value = partitionValue(file.partitionValues?.[key], field.type);
        return { field, exact: value };
      }
      const s = getStats();
      if (!s) return { field };
      const deleted = file.deletionVector ? 1 : 0; // stats predate the DV: counts are upper bounds
      return {
        field,
        min: s.minValues?.[key],
        max: s.maxValues?.[key],
        nullCount: deleted ? undefined : toNumber(s.nullCount?.[key]),
        numRecords: deleted ? undefined : s.numRecords,
      };
    });
  };
}

interface ColumnFacts {
  field: StructField;
  /** For partition columns: the value (null = NULL). */
  exact?: unknown;
  min?: unknown;
  max?: unknown;
  nullCount?: number;
  numRecords?: number;
}

function parseStats(text: string | null | undefined): Stats | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as Stats;
  } catch {
    return undefined;
  }
}

function toNumber(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

function mayMatch(p: Predicate, facts: (column: string) => ColumnFacts | undefined): boolean {
  switch (p.kind) {
    case 'and':
      return p.items.every((item) => mayMatch(item, facts));
    case 'or':
      return p.items.some((item) => mayMatch(item, facts));
    default: {
      const f = facts(p.column);
      if (!f) return true;
      return 'exact' in f ? exactMatch(p, f.field.type, f.exact) : statsMatch(p, f);
    }
  }
}

/** SQL semantics on a known partition value: comparisons with NULL are not true. */
function exactMatch(p: Exclude<Predicate, { kind: 'and' | 'or' }>, type: DeltaType, value: unknown): boolean {
  if (p.kind === 'null') return (value === null) !== p.negated;
  if (value === null) return false;
  const values = p.kind === 'in' ? p.values : [p.value];
  const cmps = values.map((v) => compare(type, value, v));
  if (cmps.some((c) => c === undefined)) return true;
  if (p.kind === 'in') return cmps.includes(0);
  const c = cmps[0]!;
  switch (p.op) {
    case '=':
      return c === 0;
    case '<>':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
}

function statsMatch(p: Exclude<Predicate, { kind: 'and' | 'or' }>, f: ColumnFacts): boolean {
  const allNull = f.nullCount !== undefined && f.numRecords !== undefined && f.nullCount >= f.numRecords;
  if (p.kind === 'null') {
    if (p.negated) return !allNull;
    return f.nullCount === undefined || f.nullCount > 0;
  }
  if (allNull) return false;
  const type = f.field.type;
  const max = widenMax(type, f.max);
  const lo = (v: Literal) => (f.min === undefined || f.min === null ? undefined : compare(type, f.min, v));
  const hi = (v: Literal) => (max === undefined || max === null ? undefined : compare(type, max, v));
  const within = (v: Literal) => {
    const a = lo(v);
    const b = hi(v);
    return (a === undefined || a <= 0) && (b === undefined || b >= 0);
  };
  if (p.kind === 'in') return p.values.some(within);
  switch (p.op) {
    case '=':
      return within(p.value);
    case '<>': {
      const a = lo(p.value);
      const b = hi(p.value);
      return !(a === 0 && b === 0);
    }
    case '<': {
      const a = lo(p.value);
      return a === undefined || a < 0;
    }
    case '<=': {
      const a = lo(p.value);
      return a === undefined || a <= 0;
    }
    case '>': {
      const b = hi(p.value);
      return b === undefined || b > 0;
    }
    case '>=': {
      const b = hi(p.value);
      return b === undefined || b >= 0;
    }
  }
}

/** Spark truncates timestamp stats to milliseconds; the true max can be up to 1 ms later. */
function widenMax(type: DeltaType, max: unknown): unknown {
  if (
    type.kind === 'primitive' &&
    (type.name === 'timestamp' || type.name === 'timestamp_ntz') &&
    typeof max === 'string'
  ) {
    const ms = toEpochMs(max, type.name === 'timestamp');
    return ms === undefined ? undefined : ms + 1;
  }
  return max;
}

/**
 * Compares a column value (stat or partition value, already parsed or raw
 * JSON) with a literal of the query; undefined when they cannot be compared.
 */
export function compare(type: DeltaType, value: unknown, literal: Literal): number | undefined {
  if (type.kind === 'decimal' || (type.kind === 'primitive' && ['float', 'double'].includes(type.name))) {
    const a = Number(value);
    const b = Number(literal);
    if (!Number.isFinite(a) || !Number.isFinite(b)) return undefined;
    // Decimal stats and literals may lose digits as doubles: treat near-equal as equal.
    if (Math.abs(a - b) <= Math.abs(b) * 1e-12) return 0;
    return a < b ? -1 : 1;
  }
  if (type.kind !== 'primitive') return undefined;
  switch (type.name) {
    case 'long':
    case 'integer':
    case 'short':
    case 'byte': {
      const a = toBigInt(value);
      const b = toBigInt(literal);
      if (a === undefined || b === undefined) return undefined;
      return a < b ? -1 : a > b ? 1 : 0;
    }
    case 'string': {
      if (typeof value !== 'string' || typeof literal !== 'string') return undefined;
      return Buffer.compare(Buffer.from(value, 'utf8'), Buffer.from(literal, 'utf8'));
    }
    case 'date': {
      const a = typeof value === 'string' ? value.slice(0, 10) : undefined;
      const b = typeof literal === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(literal) ? literal : undefined;
      if (!a || !b) return undefined;
      return a < b ? -1 : a > b ? 1 : 0;
    }
    case 'timestamp':
    case 'timestamp_ntz': {
      const a =
        typeof value === 'number'
          ? value
          : typeof value === 'string'
            ? toEpochMs(value, type.name === 'timestamp')
            : undefined;
      const b = typeof literal === 'string' ? toEpochMs(literal, type.name === 'timestamp') : undefined;
      if (a === undefined || b === undefined) return undefined;
      // Literals may carry microseconds that ms stats do not: compare at ms, conservatively.
      return a < Math.floor(b) ? -1 : a > Math.ceil(b) ? 1 : 0;
    }
    case 'boolean': {
      if (typeof value !== 'boolean' || typeof literal !== 'boolean') return undefined;
      return Number(value) - Number(literal);
    }
    default:
      return undefined;
  }
}

function toBigInt(v: unknown): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  return undefined;
}

/** Milliseconds (with a fraction for microseconds) of a timestamp text; no zone = UTC. */
function toEpochMs(text: string, _withZone: boolean): number | undefined {
  const m =
    /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(
      text.trim(),
    );
  if (!m) return undefined;
  const [, date, hh = '00', mi = '00', ss = '00', frac = '', zone] = m;
  const base = Date.parse(`${date}T${hh}:${mi}:${ss}${zone ? (zone === 'Z' ? 'Z' : normalizeZone(zone)) : 'Z'}`);
  if (Number.isNaN(base)) return undefined;
  return base + Number(`0.${frac || '0'}`) * 1000;
}

function normalizeZone(zone: string): string {
  const m = /^([+-]\d{2}):?(\d{2})?$/.exec(zone)!;
  return `${m[1]}:${m[2] ?? '00'}`;
}
