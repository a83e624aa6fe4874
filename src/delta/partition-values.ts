// Partition values: the log stores them as strings (PROTOCOL.md, "Partition Value
// Serialization"); a reader turns them back into typed values. An empty string
// or null is SQL NULL.
import { StrataError } from '../core/index.js';
import { quoteLiteral } from '../engine/index.js';
import { duckdbType, type DeltaType } from './schema.js';

/** The SQL literal for a serialized partition value of a given type. */
export function partitionLiteral(
  raw: string | null | undefined,
  type: DeltaType,
  table: string,
  column: string,
): string {
  const target = duckdbType(type);
  if (raw === null || raw === undefined || raw === '') return `CAST(NULL AS ${target})`;
  if (type.kind === 'primitive') {
    switch (type.name) {
      case 'string':
        return quoteLiteral(raw);
      case 'binary':
        return `from_hex(${quoteLiteral(binaryHex(raw))})`;
      case 'timestamp':
        return `CAST(${quoteLiteral(timestampText(raw, true))} AS TIMESTAMPTZ)`;
      case 'timestamp_ntz':
        return `CAST(${quoteLiteral(timestampText(raw, false))} AS TIMESTAMP)`;
      case 'boolean':
        if (raw !== 'true' && raw !== 'false') throw bad(table, column, raw, type);
        return raw.toUpperCase();
      case 'long':
      case 'integer':
      case 'short':
      case 'byte':
        if (!/^-?\d+$/.test(raw)) throw bad(table, column, raw, type);
        return `CAST(${raw} AS ${target})`;
      case 'float':
      case 'double':
        return `CAST(${quoteLiteral(raw)} AS ${target})`;
      case 'date':
        if (!/^-?\d{4,}-\d{2}-\d{2}$/.test(raw)) throw bad(table, column, raw, type);
        return `CAST(${quoteLiteral(raw)} AS DATE)`;
      default:
        throw bad(table, column, raw, type);
    }
  }
  if (type.kind === 'decimal') {
    if (!/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(raw)) throw bad(table, column, raw, type);
    return `CAST(${quoteLiteral(raw)} AS ${target})`;
  }
  throw bad(table, column, raw, type);
}

/** A partition value parsed to a JS value for pruning: number, bigint, string, boolean. */
export function partitionValue(raw: string | null | undefined, type: DeltaType): unknown {
  if (raw === null || raw === undefined || raw === '') return null;
  if (type.kind === 'decimal') return Number(raw);
  if (type.kind !== 'primitive') return raw;
  switch (type.name) {
    case 'long':
    case 'integer':
    case 'short':
    case 'byte':
      return BigInt(raw);
    case 'float':
    case 'double':
      return Number(raw);
    case 'boolean':
      return raw === 'true';
    case 'timestamp':
      return Date.parse(timestampText(raw, true).replace(' ', 'T').replace(/\+00$/, 'Z'));
    case 'timestamp_ntz':
      return Date.parse(`${timestampText(raw, false).replace(' ', 'T')}Z`);
    default:
      return raw;
  }
}

/** Timestamp text DuckDB parses; a value with no zone is UTC (the writer's zone is unknowable). */
function timestampText(raw: string, withZone: boolean): string {
  const text = raw.trim();
  if (!withZone) return text.replace('T', ' ').replace(/Z$/, '');
  if (/(Z|[+-]\d{2}(:?\d{2})?)$/.test(text)) return text.replace(/Z$/, '+00');
  return `${text}+00`;
}

/**
 * Binary partition values: Spark writes the bytes as a string, and a reader
 * gets them back as that string's UTF-8 bytes (so '😈' is F0 9F 98 88).
 */
function binaryHex(raw: string): string {
  return Buffer.from(raw, 'utf8').toString('hex');
}

function bad(table: string, column: string, raw: string, type: DeltaType): StrataError {
  return new StrataError(
    'LOG_CORRUPT',
    `table ${table}: partition value '${raw}' of column ${column} is not a valid ${duckdbType(type)}`,
    {
      context: { table, column },
    },
  );
}
