// Rows appended to a table through DuckDB's appender: many rows without SQL text to parse (the
// Postgres endpoint's catalog rows). Values are plain JSON-like ones, converted to the column's
// type: numbers and numeric strings, booleans ('t', 'true'), strings, arrays for lists, null.
import { DuckDBTypeId, listValue, type DuckDBListType, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import { wrapEngineError, type Session } from './engine.js';

/** Appends `rows` (in the table's column order) to `schema.table`. */
export async function appendRows(
  session: Session,
  schema: string,
  table: string,
  rows: readonly (readonly unknown[])[],
): Promise<void> {
  try {
    const appender = await session.connection.createAppender(table, schema);
    try {
      const types = Array.from({ length: appender.columnCount }, (_, i) => appender.columnType(i));
      for (const row of rows) {
        types.forEach((type, i) => {
          const v = row[i];
          if (v === null || v === undefined) appender.appendNull();
          else appender.appendValue(duckValue(v, type), type);
        });
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  } catch (err) {
    throw wrapEngineError(err, `(appending ${rows.length} rows to ${schema}.${table})`);
  }
}

function duckValue(v: unknown, type: DuckDBType): DuckDBValue {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return v === true || v === 't' || v === 'true';
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return Number(v);
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
      return BigInt(v as string | number);
    case DuckDBTypeId.LIST: {
      const child = (type as DuckDBListType).valueType;
      return listValue((v as unknown[]).map((x) => (x === null ? null : duckValue(x, child))));
    }
    default:
      return String(v);
  }
}
