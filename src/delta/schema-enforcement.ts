// Schema enforcement and evolution for writes: incoming columns are matched to
// the table's by name; a column the table lacks, or a type that cannot be
// stored without loss, fails the write naming the column, the table's type and
// the given type — unless schema evolution is asked for, where new columns are
// added and types widen as the protocol allows.
import { StrataError } from '../core/index.js';
import { quoteIdent } from '../engine/index.js';
import { deltaTypeText, duckdbType, type DeltaType, type StructField, type StructType } from './schema.js';

export interface Incoming {
  name: string;
  type: DeltaType;
  /** An untyped NULL column (e.g. `SELECT NULL AS x`): it fits any column. */
  isNull?: boolean;
}

export interface EnforcedWrite {
  /** The table schema after the write (changed only under evolution). */
  schema: StructType;
  schemaChanged: boolean;
  /** SELECT list over `src` producing the table's columns, in order, with its types. */
  projection: string;
}

const INTEGRAL = ['byte', 'short', 'integer', 'long'];

/** Whether a value of `from` can be stored in a column of `to` without loss. */
export function canStore(from: DeltaType, to: DeltaType): boolean {
  if (sameType(from, to)) return true;
  if (from.kind === 'primitive' && to.kind === 'primitive') {
    const fi = INTEGRAL.indexOf(from.name);
    const ti = INTEGRAL.indexOf(to.name);
    if (fi >= 0 && ti >= 0) return fi <= ti;
    if (fi >= 0 && to.name === 'double') return from.name !== 'long';
    if (from.name === 'float' && to.name === 'double') return true;
    if (from.name === 'date' && (to.name === 'timestamp' || to.name === 'timestamp_ntz')) return true;
    return false;
  }
  if (from.kind === 'primitive' && to.kind === 'decimal') {
    const digits = { byte: 3, short: 5, integer: 10, long: 20 }[from.name as 'byte'];
    return digits !== undefined && to.precision - to.scale >= digits;
  }
  if (from.kind === 'decimal' && to.kind === 'decimal') {
    return to.scale >= from.scale && to.precision - to.scale >= from.precision - from.scale;
  }
  if (from.kind === 'array' && to.kind === 'array') return canStore(from.elementType, to.elementType);
  if (from.kind === 'map' && to.kind === 'map')
    return sameType(from.keyType, to.keyType) && canStore(from.valueType, to.valueType);
  if (from.kind === 'struct' && to.kind === 'struct') {
    const target = new Map(to.fields.map((f) => [f.name.toLowerCase(), f]));
    return from.fields.every((f) => {
      const t = target.get(f.name.toLowerCase());
      return t !== undefined && canStore(f.type, t.type);
    });
  }
  return false;
}

const NUMERIC = ['byte', 'short', 'integer', 'long', 'float', 'double'];
const DATETIME = ['date', 'timestamp', 'timestamp_ntz'];

/**
 * Spark's ANSI store assignment, for SQL INSERT: numbers into any numeric
 * column and datetimes into any datetime column (a value that does not fit
 * fails the statement), anything simple into a string column.
 */
export function canAssign(from: DeltaType, to: DeltaType): boolean {
  const numeric = (t: DeltaType) => t.kind === 'decimal' || (t.kind === 'primitive' && NUMERIC.includes(t.name));
  const datetime = (t: DeltaType) => t.kind === 'primitive' && DATETIME.includes(t.name);
  if (numeric(from) && numeric(to)) return true;
  if (datetime(from) && datetime(to)) return true;
  if (to.kind === 'primitive' && to.name === 'string') return from.kind === 'primitive' || from.kind === 'decimal';
  return false;
}

/** The type changes PROTOCOL.md's type widening allows (top-level primitive columns here). */
export function canWiden(from: DeltaType, to: DeltaType): boolean {
  if (from.kind === 'primitive' && to.kind === 'primitive') {
    const fi = INTEGRAL.indexOf(from.name);
    const ti = INTEGRAL.indexOf(to.name);
    if (fi >= 0 && ti >= 0) return fi < ti;
    if (to.name === 'double') return from.name === 'float' || ['byte', 'short', 'integer'].includes(from.name);
    return from.name === 'date' && to.name === 'timestamp_ntz';
  }
  if (from.kind === 'primitive' && to.kind === 'decimal') {
    const digits = { byte: 3, short: 5, integer: 10, long: 20 }[from.name as 'byte'];
    return digits !== undefined && to.precision - to.scale >= digits;
  }
  if (from.kind === 'decimal' && to.kind === 'decimal') {
    return to.scale >= from.scale && to.precision - to.scale >= from.precision - from.scale && !sameType(from, to);
  }
  return false;
}

export function sameType(a: DeltaType, b: DeltaType): boolean {
  return deltaTypeText(a) === deltaTypeText(b);
}

/**
 * Matches incoming columns to the table. `evolve` adds new columns (at the
 * end) and widens types where the protocol's type widening allows.
 */
export function enforceSchema(
  table: string,
  schema: StructType,
  incoming: Incoming[],
  evolve: boolean,
  storeAssignment = false,
): EnforcedWrite {
  const byName = new Map(incoming.map((c) => [c.name.toLowerCase(), c]));
  const fields: StructField[] = [];
  let changed = false;
  for (const field of schema.fields) {
    const src = byName.get(field.name.toLowerCase());
    if (!src) {
      fields.push(field);
      continue;
    }
    if (src.isNull || canStore(src.type, field.type)) {
      fields.push(field);
    } else if (evolve && canWiden(field.type, src.type)) {
      // Type widening (a table feature): the change is recorded on the field.
      const changes = Array.isArray(field.metadata['delta.typeChanges'])
        ? (field.metadata['delta.typeChanges'] as unknown[])
        : [];
      const metadata = {
        ...field.metadata,
        'delta.typeChanges': [...changes, { fromType: deltaTypeText(field.type), toType: deltaTypeText(src.type) }],
      };
      fields.push({ ...field, type: src.type, metadata });
      changed = true;
    } else if (storeAssignment && canAssign(src.type, field.type)) {
      fields.push(field); // cast on write; a value that does not fit fails the statement
    } else {
      throw new StrataError(
        'SCHEMA_MISMATCH',
        `cannot write to table ${table}: column ${field.name} is ${deltaTypeText(field.type)} in the table but ${deltaTypeText(src.type)} in the data` +
          (evolve ? '' : ' (cast it, or enable schema evolution to widen the column where Delta allows)'),
        { context: { table, column: field.name } },
      );
    }
  }
  const known = new Set(schema.fields.map((f) => f.name.toLowerCase()));
  for (const src of incoming) {
    if (known.has(src.name.toLowerCase())) continue;
    if (!evolve) {
      throw new StrataError(
        'SCHEMA_MISMATCH',
        `cannot write to table ${table}: the data has a column ${src.name} (${deltaTypeText(src.type)}) that the table does not have; ` +
          `add it with ALTER TABLE ... ADD COLUMNS, or enable schema evolution (SET strata.schema.autoMerge = true, or 'mergeSchema' = 'true')`,
        { context: { table, column: src.name } },
      );
    }
    fields.push({ name: src.name, type: src.type, nullable: true, metadata: {} });
    changed = true;
  }
  const result: StructType = { kind: 'struct', fields };
  const projection = fields
    .map((f) => {
      const src = byName.get(f.name.toLowerCase());
      const expr = src ? `src.${quoteIdent(src.name)}` : 'NULL';
      return `CAST(${expr} AS ${duckdbType(f.type)}) AS ${quoteIdent(f.name)}`;
    })
    .join(', ');
  return { schema: result, schemaChanged: changed, projection };
}
