// From engine types to Delta types: the schema a new table takes from a query.
// DuckDB's TIMESTAMP becomes Delta `timestamp` (an instant, read as UTC), as
// Spark SQL's TIMESTAMP is; `timestamp_ntz` is only chosen when asked for.
import { DuckDBTypeId, type DuckDBType } from '@duckdb/node-api';
import { StrataError } from '../core/index.js';
import type { DeltaType, StructField, StructType } from './schema.js';

/** The Delta type for an engine type; `where` names the column in errors. */
export function deltaTypeOf(type: DuckDBType, where: string): DeltaType {
  const p = (name: Extract<DeltaType, { kind: 'primitive' }>['name']): DeltaType => ({ kind: 'primitive', name });
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return p('boolean');
    case DuckDBTypeId.TINYINT:
      return p('byte');
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.UTINYINT:
      return p('short');
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.USMALLINT:
      return p('integer');
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.INTEGER_LITERAL:
      return p('long');
    case DuckDBTypeId.UBIGINT:
      return { kind: 'decimal', precision: 20, scale: 0 };
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return { kind: 'decimal', precision: 38, scale: 0 };
    case DuckDBTypeId.FLOAT:
      return p('float');
    case DuckDBTypeId.DOUBLE:
      return p('double');
    case DuckDBTypeId.DECIMAL: {
      const t = type as unknown as { width: number; scale: number };
      return { kind: 'decimal', precision: t.width, scale: t.scale };
    }
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.STRING_LITERAL:
    case DuckDBTypeId.UUID:
    case DuckDBTypeId.ENUM:
      return p('string');
    case DuckDBTypeId.BLOB:
      return p('binary');
    case DuckDBTypeId.DATE:
      return p('date');
    case DuckDBTypeId.TIMESTAMP_TZ:
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return p('timestamp');
    case DuckDBTypeId.SQLNULL:
      return p('string');
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY: {
      const t = type as unknown as { valueType: DuckDBType };
      return { kind: 'array', elementType: deltaTypeOf(t.valueType, `${where}[]`), containsNull: true };
    }
    case DuckDBTypeId.MAP: {
      const t = type as unknown as { keyType: DuckDBType; valueType: DuckDBType };
      return {
        kind: 'map',
        keyType: deltaTypeOf(t.keyType, `${where} key`),
        valueType: deltaTypeOf(t.valueType, `${where} value`),
        valueContainsNull: true,
      };
    }
    case DuckDBTypeId.STRUCT: {
      const t = type as unknown as { entryNames: readonly string[]; entryTypes: readonly DuckDBType[] };
      return {
        kind: 'struct',
        fields: t.entryNames.map((n, i) => field(n, deltaTypeOf(t.entryTypes[i], `${where}.${n}`))),
      };
    }
    default:
      throw new StrataError(
        'SCHEMA_MISMATCH',
        `column ${where} has type ${type.toString()}, which Delta tables cannot store; cast it (e.g. to VARCHAR or BIGINT)`,
        {
          context: { column: where },
        },
      );
  }
}

function field(name: string, type: DeltaType, nullable = true): StructField {
  return { name, type, nullable, metadata: {} };
}

/** A table schema from query columns. */
export function schemaFromColumns(columns: { name: string; type: DuckDBType }[]): StructType {
  const seen = new Set<string>();
  for (const c of columns) {
    const key = c.name.toLowerCase();
    if (seen.has(key))
      throw new StrataError(
        'SCHEMA_MISMATCH',
        `the query returns column '${c.name}' twice; give the columns distinct names`,
      );
    seen.add(key);
  }
  return { kind: 'struct', fields: columns.map((c) => field(c.name, deltaTypeOf(c.type, c.name))) };
}

/** The schemaString JSON of a schema (PROTOCOL.md "Schema Serialization Format"). */
export function schemaToJson(schema: StructType): string {
  return JSON.stringify(typeToJson(schema));
}

function typeToJson(type: DeltaType): unknown {
  switch (type.kind) {
    case 'primitive':
      return type.name;
    case 'decimal':
      return `decimal(${type.precision},${type.scale})`;
    case 'struct':
      return {
        type: 'struct',
        fields: type.fields.map((f) => ({
          name: f.name,
          type: typeToJson(f.type),
          nullable: f.nullable,
          metadata: f.metadata,
        })),
      };
    case 'array':
      return { type: 'array', elementType: typeToJson(type.elementType), containsNull: type.containsNull };
    case 'map':
      return {
        type: 'map',
        keyType: typeToJson(type.keyType),
        valueType: typeToJson(type.valueType),
        valueContainsNull: type.valueContainsNull,
      };
  }
}
