// Whether a text value fits a column's type as Spark's readers take it: integers are digits
// only (Java's parseInt/parseLong: no spaces, no `_`, no exponent), and a JSON value fits a
// struct or array type field by field. What does not fit is rescued, never rounded or nulled.
import type { DeltaType } from '../delta/index.js';
import { quoteLiteral } from '../engine/index.js';

/** Digits only, with a sign: what Java's Integer/Long.parseLong accept. */
export const INTEGRAL = '[+-]?[0-9]+';

export const isText = (t: DeltaType) => t.kind === 'primitive' && t.name === 'string';

/**
 * SQL: text `v` is an integer of DuckDB type `target` written as its plain digits (no spaces,
 * point, `_` or exponent, which DuckDB's cast would take); `+7` and `007` are not (test them apart).
 */
export const plainInteger = (v: string, target: string) => `TRY_CAST(${v} AS ${target})::VARCHAR = ${v}`;

/**
 * SQL: whether the JSON text `v` fits `type` (a struct or an array, field by field),
 * as Spark's parser reads it — a string field takes any value, a number field a
 * number, a struct an object. A value that does not fit is rescued, not nulled.
 */
export function jsonFits(v: string, type: DeltaType): string {
  const kind = `json_type(${v})`;
  switch (type.kind) {
    case 'struct': {
      const fields = type.fields.map((f) =>
        jsonFits(`json_extract(${v}, ${quoteLiteral(`$."${f.name.replace(/"/g, '\\"')}"`)})`, f.type),
      );
      return `(${v} IS NULL OR ${kind} = 'NULL' OR (${kind} = 'OBJECT'${fields.map((f) => ` AND ${f}`).join('')}))`;
    }
    case 'array':
      return `(${v} IS NULL OR ${kind} = 'NULL' OR (${kind} = 'ARRAY' AND coalesce(list_bool_and(list_transform(json_extract(${v}, '$[*]'), __e -> ${jsonFits('__e', type.elementType)})), true)))`;
    case 'decimal':
      return `(${v} IS NULL OR ${kind} IN ('NULL', 'UBIGINT', 'BIGINT', 'DOUBLE'))`;
    case 'primitive':
      switch (type.name) {
        case 'string':
          return 'true';
        case 'long':
        case 'integer':
        case 'short':
        case 'byte':
          return `(${v} IS NULL OR ${kind} IN ('NULL', 'UBIGINT', 'BIGINT'))`;
        case 'double':
        case 'float':
          return `(${v} IS NULL OR ${kind} IN ('NULL', 'UBIGINT', 'BIGINT', 'DOUBLE'))`;
        case 'boolean':
          return `(${v} IS NULL OR ${kind} IN ('NULL', 'BOOLEAN'))`;
        default:
          return `(${v} IS NULL OR ${kind} IN ('NULL', 'VARCHAR'))`;
      }
    default:
      return `(${v} IS NULL OR ${kind} IN ('NULL', 'OBJECT'))`;
  }
}
