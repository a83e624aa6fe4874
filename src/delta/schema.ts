// The Delta type system (PROTOCOL.md, "Schema Serialization Format") and its
// mapping to DuckDB types. Delta `timestamp` is an instant (UTC-adjusted), so it
// maps to TIMESTAMP WITH TIME ZONE; `timestamp_ntz` is a wall-clock TIMESTAMP.
// `void` (Spark's NullType) holds only NULLs; it reads as INTEGER NULLs, since
// DuckDB's own NULL type becomes INTEGER as soon as a result is typed anyway
// (and cannot be the target of a CAST from a Parquet column).
import { StrataError } from '../core/index.js';
import { quoteIdent } from '../engine/index.js';

export type PrimitiveTypeName =
  | 'string'
  | 'long'
  | 'integer'
  | 'short'
  | 'byte'
  | 'float'
  | 'double'
  | 'boolean'
  | 'binary'
  | 'date'
  | 'timestamp'
  | 'timestamp_ntz'
  | 'variant'
  | 'void';

export type DeltaType =
  | { kind: 'primitive'; name: PrimitiveTypeName }
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'struct'; fields: StructField[] }
  | { kind: 'array'; elementType: DeltaType; containsNull: boolean }
  | { kind: 'map'; keyType: DeltaType; valueType: DeltaType; valueContainsNull: boolean };

export interface StructField {
  name: string;
  type: DeltaType;
  nullable: boolean;
  metadata: Record<string, unknown>;
}

export type StructType = Extract<DeltaType, { kind: 'struct' }>;

const PRIMITIVES = new Set<string>([
  'string',
  'long',
  'integer',
  'short',
  'byte',
  'float',
  'double',
  'boolean',
  'binary',
  'date',
  'timestamp',
  'timestamp_ntz',
  'variant',
  'void',
]);

/** Parses `metaData.schemaString`. */
export function parseSchema(schemaString: string, table: string): StructType {
  let json: unknown;
  if (typeof schemaString !== 'string') {
    throw new StrataError('LOG_CORRUPT', `table ${table}: metaData has no schemaString`, { context: { table } });
  }
  try {
    json = JSON.parse(schemaString);
  } catch (err) {
    throw new StrataError('LOG_CORRUPT', `table ${table}: the schema in metaData is not valid JSON`, {
      cause: err,
      context: { table },
    });
  }
  const type = parseType(json, table);
  if (type.kind !== 'struct')
    throw new StrataError('LOG_CORRUPT', `table ${table}: the table schema is not a struct`, { context: { table } });
  return type;
}

function parseType(json: unknown, table: string): DeltaType {
  if (typeof json === 'string') {
    if (PRIMITIVES.has(json)) return { kind: 'primitive', name: json as PrimitiveTypeName };
    const dec = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(json);
    if (dec) return { kind: 'decimal', precision: Number(dec[1]), scale: Number(dec[2]) };
    if (json === 'decimal') return { kind: 'decimal', precision: 10, scale: 0 };
    throw new StrataError('PROTOCOL_UNSUPPORTED', `table ${table}: unknown column type '${json}'`, {
      context: { table },
    });
  }
  const obj = json as Record<string, unknown>;
  switch (obj?.type) {
    case 'struct':
      return {
        kind: 'struct',
        fields: ((obj.fields as unknown[]) ?? []).map((f) => {
          const field = f as Record<string, unknown>;
          return {
            name: String(field.name),
            type: parseType(field.type, table),
            nullable: field.nullable !== false,
            metadata: (field.metadata as Record<string, unknown>) ?? {},
          };
        }),
      };
    case 'array':
      return {
        kind: 'array',
        elementType: parseType(obj.elementType, table),
        containsNull: obj.containsNull !== false,
      };
    case 'map':
      return {
        kind: 'map',
        keyType: parseType(obj.keyType, table),
        valueType: parseType(obj.valueType, table),
        valueContainsNull: obj.valueContainsNull !== false,
      };
    default:
      throw new StrataError('PROTOCOL_UNSUPPORTED', `table ${table}: unknown column type ${JSON.stringify(json)}`, {
        context: { table },
      });
  }
}

/** DuckDB's type text for a Delta type. */
export function duckdbType(type: DeltaType): string {
  switch (type.kind) {
    case 'primitive':
      return PRIMITIVE_DUCKDB[type.name];
    case 'decimal':
      return `DECIMAL(${type.precision},${type.scale})`;
    case 'struct':
      return `STRUCT(${type.fields.map((f) => `${quoteIdent(f.name)} ${duckdbType(f.type)}`).join(', ')})`;
    case 'array':
      return `${duckdbType(type.elementType)}[]`;
    case 'map':
      return `MAP(${duckdbType(type.keyType)}, ${duckdbType(type.valueType)})`;
  }
}

const PRIMITIVE_DUCKDB: Record<PrimitiveTypeName, string> = {
  string: 'VARCHAR',
  long: 'BIGINT',
  integer: 'INTEGER',
  short: 'SMALLINT',
  byte: 'TINYINT',
  float: 'FLOAT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  binary: 'BLOB',
  date: 'DATE',
  timestamp: 'TIMESTAMP WITH TIME ZONE',
  timestamp_ntz: 'TIMESTAMP',
  variant: 'VARIANT',
  void: 'INTEGER',
};

/** Delta's own text for a type, as Spark prints it (`decimal(12,2)`, `array<int>`). */
export function deltaTypeText(type: DeltaType): string {
  switch (type.kind) {
    case 'primitive':
      return type.name;
    case 'decimal':
      return `decimal(${type.precision},${type.scale})`;
    case 'struct':
      return `struct<${type.fields.map((f) => `${f.name}: ${deltaTypeText(f.type)}`).join(', ')}>`;
    case 'array':
      return `array<${deltaTypeText(type.elementType)}>`;
    case 'map':
      return `map<${deltaTypeText(type.keyType)}, ${deltaTypeText(type.valueType)}>`;
  }
}

/** Whether a type is `void` (NullType): its values are all NULL, and Spark writes no Parquet column for it. */
export function isVoid(type: DeltaType): boolean {
  return type.kind === 'primitive' && type.name === 'void';
}

/** The name a field has in the data files: its column-mapping physical name, or its own. */
export function physicalName(field: StructField, mode: ColumnMappingMode): string {
  if (mode === 'none') return field.name;
  const physical = field.metadata['delta.columnMapping.physicalName'];
  return typeof physical === 'string' ? physical : field.name;
}

/** The column-mapping field id, when set. */
export function fieldId(field: StructField): number | undefined {
  const id = field.metadata['delta.columnMapping.id'];
  return typeof id === 'number' ? id : undefined;
}

export type ColumnMappingMode = 'none' | 'name' | 'id';

export function columnMappingMode(configuration: Record<string, string>): ColumnMappingMode {
  const mode = (configuration['delta.columnMapping.mode'] ?? 'none').toLowerCase();
  return mode === 'name' || mode === 'id' ? mode : 'none';
}
