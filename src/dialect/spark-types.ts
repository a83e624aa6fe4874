// Spark SQL type names (as written in CREATE TABLE and ALTER TABLE) to Delta types.
import type { DeltaType } from '../delta/index.js';
import type { TokenCursor } from './token-cursor.js';

const SIMPLE: Record<string, DeltaType> = {
  string: { kind: 'primitive', name: 'string' },
  varchar: { kind: 'primitive', name: 'string' },
  char: { kind: 'primitive', name: 'string' },
  text: { kind: 'primitive', name: 'string' },
  bigint: { kind: 'primitive', name: 'long' },
  long: { kind: 'primitive', name: 'long' },
  int: { kind: 'primitive', name: 'integer' },
  integer: { kind: 'primitive', name: 'integer' },
  smallint: { kind: 'primitive', name: 'short' },
  short: { kind: 'primitive', name: 'short' },
  tinyint: { kind: 'primitive', name: 'byte' },
  byte: { kind: 'primitive', name: 'byte' },
  float: { kind: 'primitive', name: 'float' },
  real: { kind: 'primitive', name: 'float' },
  double: { kind: 'primitive', name: 'double' },
  boolean: { kind: 'primitive', name: 'boolean' },
  bool: { kind: 'primitive', name: 'boolean' },
  binary: { kind: 'primitive', name: 'binary' },
  date: { kind: 'primitive', name: 'date' },
  timestamp: { kind: 'primitive', name: 'timestamp' },
  timestamp_ltz: { kind: 'primitive', name: 'timestamp' },
  timestamptz: { kind: 'primitive', name: 'timestamp' },
  timestamp_ntz: { kind: 'primitive', name: 'timestamp_ntz' },
};

/** Parses a Spark SQL type at the cursor. */
export function parseSparkType(c: TokenCursor): DeltaType {
  const name = c.ident('a type').toLowerCase();
  if (name === 'decimal' || name === 'dec' || name === 'numeric') {
    if (!c.accept('(')) return { kind: 'decimal', precision: 10, scale: 0 };
    const precision = Number(c.next()?.text);
    let scale = 0;
    if (c.accept(',')) scale = Number(c.next()?.text);
    c.expect(')');
    if (
      !Number.isInteger(precision) ||
      precision < 1 ||
      precision > 38 ||
      !Number.isInteger(scale) ||
      scale < 0 ||
      scale > precision
    ) {
      c.fail(`DECIMAL(${precision}, ${scale}) is not a valid decimal type (precision 1-38, scale 0-precision)`);
    }
    return { kind: 'decimal', precision, scale };
  }
  if (name === 'array') {
    c.expect('<');
    const elementType = parseSparkType(c);
    c.expect('>');
    return { kind: 'array', elementType, containsNull: true };
  }
  if (name === 'map') {
    c.expect('<');
    const keyType = parseSparkType(c);
    c.expect(',');
    const valueType = parseSparkType(c);
    c.expect('>');
    return { kind: 'map', keyType, valueType, valueContainsNull: true };
  }
  if (name === 'struct') {
    c.expect('<');
    const fields = [];
    do {
      const fieldName = c.ident('a field name');
      c.accept(':');
      const type = parseSparkType(c);
      const nullable = !(c.is('not') && c.is('null', 1));
      if (!nullable) c.i += 2;
      fields.push({ name: fieldName, type, nullable, metadata: {} });
    } while (c.accept(','));
    c.expect('>');
    return { kind: 'struct', fields };
  }
  const simple = SIMPLE[name];
  if (!simple) {
    c.i--;
    c.fail(
      `unknown type '${name}' (use STRING, INT, BIGINT, DOUBLE, DECIMAL(p,s), DATE, TIMESTAMP, TIMESTAMP_NTZ, BOOLEAN, BINARY, ARRAY<...>, MAP<...>, STRUCT<...>)`,
    );
  }
  if ((name === 'varchar' || name === 'char') && c.accept('(')) {
    c.next();
    c.expect(')');
  }
  return simple!;
}
