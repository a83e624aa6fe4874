// A chunk of a streamed result as DuckDB made it: its rows as the engine's usual JS values, or each
// column's vector read in place (DuckDB's C API layout: fixed-width items little-endian, 16-byte
// string_t for text and blobs, a validity bit per row), for a writer that encodes millions of
// values without making a JS value of each (the Postgres endpoint's DataRows).
import duckdb from '@duckdb/node-bindings';
import { JsonDuckDBValueConverter, type DuckDBDataChunk } from '@duckdb/node-api';

/** A result's column. */
export interface ColumnInfo {
  name: string;
  /** DuckDB's type text, e.g. `DECIMAL(12,2)`, `STRUCT(a INTEGER)`. */
  type: string;
}

/** One column of a chunk, in place. */
export interface ChunkVector {
  /** DuckDB's type text (the column's, as ColumnInfo gives it). */
  readonly type: string;
  /**
   * The items' bytes for fixed-width types (BOOLEAN, integers, FLOAT/DOUBLE, DECIMAL, DATE, TIME,
   * TIMESTAMP*, UUID, INTERVAL: `width` bytes each) and string_t for VARCHAR/BLOB (16 each);
   * undefined for nested types (read them with `value`).
   */
  readonly data: DataView | undefined;
  /** The same bytes as `data`, as bytes. */
  readonly raw: Uint8Array | undefined;
  /** Bytes per item in `data`. */
  readonly width: number;
  /** DuckDB's validity mask: bit r (of byte r >> 3) set when row r is not NULL; null when none is. */
  readonly validity: Uint8Array | null;
  /** The bytes of a VARCHAR or BLOB item (valid until the chunk is dropped). */
  bytes(r: number): Uint8Array;
  /** Row r's value as the engine's rows hold it (QueryResult.rows). */
  value(r: number): unknown;
}

/** A chunk of a streamed result. */
export interface RowChunk {
  readonly rowCount: number;
  /** Rows [from, to) as QueryResult.rows holds them. */
  rows(from?: number, to?: number): unknown[][];
  /** Column i in place; undefined when the rows were made in JS (no vectors). */
  vector(i: number): ChunkVector | undefined;
}

/** A chunk of no rows (the columns' announcement). */
export const NO_ROWS: RowChunk = {
  rowCount: 0,
  rows: () => [],
  vector: () => undefined,
};

/** A DuckDB chunk as a RowChunk; `columns` are the result's. */
export function duckChunk(chunk: DuckDBDataChunk, columns: ColumnInfo[]): RowChunk {
  const rowCount = chunk.rowCount;
  const vectors: ChunkVector[] = [];
  let converted: unknown[][] | undefined;
  return {
    rowCount,
    rows(from = 0, to = rowCount) {
      converted ??= exactNumbers(columns, chunk.convertRows(JsonDuckDBValueConverter) as unknown[][]);
      return from === 0 && to === rowCount ? converted : converted.slice(from, to);
    },
    vector(i) {
      return (vectors[i] ??= duckVector(chunk, i, columns[i].type, rowCount));
    },
  };
}

function duckVector(chunk: DuckDBDataChunk, i: number, type: string, rowCount: number): ChunkVector {
  const raw = duckdb.data_chunk_get_vector(chunk.chunk, i);
  const width = itemWidth(type);
  let data: DataView | undefined;
  let bytes: Uint8Array | undefined;
  if (width > 0 && rowCount > 0) {
    bytes = duckdb.vector_get_data(raw, rowCount * width);
    data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  const validity = rowCount > 0 ? duckdb.vector_get_validity(raw, Math.ceil(rowCount / 64) * 8) : null;
  const wide = WIDE_INTEGER.test(type);
  return {
    type,
    data,
    raw: bytes,
    width,
    validity,
    bytes(r) {
      const at = r * 16;
      const length = data!.getUint32(at, true);
      if (length <= 12) return new Uint8Array(data!.buffer, data!.byteOffset + at + 4, length);
      return duckdb.get_data_from_pointer(data!.buffer as ArrayBuffer, data!.byteOffset + at + 8, length);
    },
    value(r) {
      const vector = chunk.getColumnVector(i);
      const v = JsonDuckDBValueConverter(vector.getItem(r), vector.type, JsonDuckDBValueConverter);
      return wide && typeof v === 'string' && Number.isSafeInteger(Number(v)) ? Number(v) : v;
    },
  };
}

const WIDE_INTEGER = /^(BIGINT|HUGEINT|UBIGINT|UHUGEINT)$/;

/** Bytes per item of a DuckDB type's flat vector; 0 for a nested type (no items of its own). */
function itemWidth(type: string): number {
  const decimal = /^DECIMAL\((\d+),\s*\d+\)$/.exec(type);
  if (decimal) {
    const p = Number(decimal[1]);
    return p <= 4 ? 2 : p <= 9 ? 4 : p <= 18 ? 8 : 16;
  }
  return WIDTHS[type] ?? 0;
}

const WIDTHS: Record<string, number> = {
  BOOLEAN: 1,
  TINYINT: 1,
  UTINYINT: 1,
  SMALLINT: 2,
  USMALLINT: 2,
  INTEGER: 4,
  UINTEGER: 4,
  FLOAT: 4,
  DATE: 4,
  BIGINT: 8,
  UBIGINT: 8,
  DOUBLE: 8,
  TIME: 8,
  TIMESTAMP: 8,
  TIMESTAMP_S: 8,
  TIMESTAMP_MS: 8,
  TIMESTAMP_NS: 8,
  'TIMESTAMP WITH TIME ZONE': 8,
  HUGEINT: 16,
  UHUGEINT: 16,
  UUID: 16,
  INTERVAL: 16,
  VARCHAR: 16,
  BLOB: 16,
};

/**
 * Big integers as numbers where exact (the engine's rows hold BIGINT as a number when it is a safe
 * integer, else as its digits).
 */
export function exactNumbers(columns: ColumnInfo[], rows: unknown[][]): unknown[][] {
  const wide = columns.map((c, i) => (WIDE_INTEGER.test(c.type) ? i : -1)).filter((i) => i >= 0);
  if (wide.length === 0) return rows;
  for (const row of rows) {
    for (const i of wide) {
      const v = row[i];
      if (typeof v === 'string' && Number.isSafeInteger(Number(v))) row[i] = Number(v);
    }
  }
  return rows;
}
