// DuckDB's types as PostgreSQL's: the type OID a client sees (pg_type's, from PostgreSQL's
// src/include/catalog/pg_type.dat), its length, and a value in text format (binary.ts: in binary
// format). Nested values (lists, structs, maps) go as json.
import { blobBytes, engineDateInfinity, intervalText, isEngineInterval } from './engine-values.js';

export interface PgType {
  oid: number;
  /** pg_type.typlen: bytes, or -1 for variable length. */
  len: number;
  name: string;
}

export const PG = {
  bool: { oid: 16, len: 1, name: 'bool' },
  bytea: { oid: 17, len: -1, name: 'bytea' },
  int8: { oid: 20, len: 8, name: 'int8' },
  int2: { oid: 21, len: 2, name: 'int2' },
  int4: { oid: 23, len: 4, name: 'int4' },
  text: { oid: 25, len: -1, name: 'text' },
  oid: { oid: 26, len: 4, name: 'oid' },
  json: { oid: 114, len: -1, name: 'json' },
  float4: { oid: 700, len: 4, name: 'float4' },
  float8: { oid: 701, len: 8, name: 'float8' },
  varchar: { oid: 1043, len: -1, name: 'varchar' },
  date: { oid: 1082, len: 4, name: 'date' },
  time: { oid: 1083, len: 8, name: 'time' },
  timestamp: { oid: 1114, len: 8, name: 'timestamp' },
  timestamptz: { oid: 1184, len: 8, name: 'timestamptz' },
  interval: { oid: 1186, len: 16, name: 'interval' },
  numeric: { oid: 1700, len: -1, name: 'numeric' },
  uuid: { oid: 2950, len: 16, name: 'uuid' },
} as const satisfies Record<string, PgType>;

/** The PostgreSQL type of a DuckDB type (its text, as a result's column type gives it). */
export function pgTypeOf(duckdb: string): { type: PgType; typmod: number } {
  const t = duckdb.toUpperCase();
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(t);
  if (decimal) return { type: PG.numeric, typmod: ((Number(decimal[1]) << 16) | Number(decimal[2])) + 4 };
  const simple: Record<string, PgType> = {
    BOOLEAN: PG.bool,
    TINYINT: PG.int2,
    SMALLINT: PG.int2,
    UTINYINT: PG.int2,
    INTEGER: PG.int4,
    USMALLINT: PG.int4,
    BIGINT: PG.int8,
    // (Delta has no unsigned types: the catalog's OID columns are the engine's only UINTEGERs.)
    UINTEGER: PG.oid,
    UBIGINT: PG.numeric,
    HUGEINT: PG.numeric,
    UHUGEINT: PG.numeric,
    FLOAT: PG.float4,
    DOUBLE: PG.float8,
    VARCHAR: PG.text,
    BLOB: PG.bytea,
    DATE: PG.date,
    TIME: PG.time,
    TIMESTAMP: PG.timestamp,
    TIMESTAMP_NS: PG.timestamp,
    TIMESTAMP_MS: PG.timestamp,
    TIMESTAMP_S: PG.timestamp,
    'TIMESTAMP WITH TIME ZONE': PG.timestamptz,
    INTERVAL: PG.interval,
    UUID: PG.uuid,
    '"NULL"': PG.text,
    NULL: PG.text,
  };
  return { type: simple[t] ?? PG.json, typmod: -1 };
}

/** A value (as the engine's JSON-safe rows hold it) in PostgreSQL's text format. */
export function textValue(v: unknown, type: PgType): Buffer | null {
  const text = textString(v, type);
  return text === null ? null : Buffer.from(text, 'utf8');
}

/** A value in PostgreSQL's text format, as a string (null for NULL). */
export function textString(v: unknown, type: PgType): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (v === Infinity) return 'Infinity';
    if (v === -Infinity) return '-Infinity';
    return String(v);
  }
  if (type === PG.bool) return v === true || v === 'true' ? 't' : 'f';
  if (type === PG.json) return JSON.stringify(v);
  // bytea's hex format; an interval as PostgreSQL writes it; DuckDB's infinite dates as PostgreSQL's.
  if (type === PG.bytea) return `\\x${blobBytes(v).toString('hex')}`;
  if (type === PG.interval && isEngineInterval(v)) return intervalText(v);
  if (type === PG.date && typeof v === 'string') return engineDateInfinity(v) ?? v;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
