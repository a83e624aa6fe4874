// Column types inferred as Spark infers them (read_files' default, inferColumnTypes):
// over every value of the batch, not a sample, so that no value is forced into a type
// it does not fit.
//
// CSV (Spark's CSVInferSchema, with the options' defaults): a column is the first type
// every non-empty value of it parses as, in Spark's order — int, bigint, decimal(p,0)
// (integers too big for bigint), double, date (`preferDate`: yyyy-MM-dd, or dateFormat),
// timestamp, boolean (true/false) — else string, as when dates and timestamps are mixed.
// JSON (Spark's JsonInferSchema): numbers without a fraction are bigint, with one
// double; true/false boolean; objects are structs and arrays arrays (fields in name
// order, as Spark sorts them); a field seen with two kinds of value, or only null, is
// a string.
import type { DeltaType, StructField } from '../delta/index.js';
import { quoteIdent, quoteLiteral, type Session } from '../engine/index.js';
import type { ReadOptions } from './options.js';
import type { ReadPlan } from './typed.js';
import { csvSource } from './csv-reconcile.js';
import { strptimeFormat } from './typed.js';
import { INTEGRAL } from './fits.js';

interface SourceFile {
  path: string;
}

const STRING: DeltaType = { kind: 'primitive', name: 'string' };
const prim = (name: 'integer' | 'long' | 'double' | 'date' | 'timestamp' | 'boolean'): DeltaType => ({
  kind: 'primitive',
  name,
});

/** What Java's Double.parseDouble takes (it trims spaces), less the forms DuckDB's cast does not (1.5d, hex). */
const DECIMAL = '\\s*[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?\\s*';
/** With preferDate, dates are parsed strictly as yyyy-MM-dd (CSVOptions.dateFormatInRead). */
const DATE = '[0-9]{4}-[0-9]{2}-[0-9]{2}';
/** What Spark's lenient timestamp parser takes (DateTimeUtils.stringToTimestamp) and DuckDB's cast too. */
const TIMESTAMP =
  '[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(([ T][0-9]{1,2}:[0-9]{1,2}(:[0-9]{1,2}([.][0-9]{1,9})?)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?';

/**
 * The Spark type of each text column of `relation` (lower-cased name → type), from all
 * its values. One aggregate query.
 */
export async function inferTextColumns(
  session: Session,
  relation: string,
  names: string[],
  o: Pick<ReadOptions, 'dateFormat' | 'timestampFormat'>,
): Promise<Map<string, DeltaType>> {
  const types = new Map<string, DeltaType>();
  if (names.length === 0) return types;
  const date = o.dateFormat
    ? (v: string) => `try_strptime(${v}, ${quoteLiteral(strptimeFormat(o.dateFormat!))}) IS NOT NULL`
    : (v: string) => `regexp_full_match(${v}, '${DATE}') AND TRY_CAST(${v} AS DATE) IS NOT NULL`;
  const timestamp = o.timestampFormat
    ? (v: string) => `try_strptime(${v}, ${quoteLiteral(strptimeFormat(o.timestampFormat!))}) IS NOT NULL`
    : (v: string) => `regexp_full_match(${v}, '${TIMESTAMP}') AND TRY_CAST(${v} AS TIMESTAMPTZ) IS NOT NULL`;
  const items = names.flatMap((name, i) => {
    const v = quoteIdent(name);
    const all = (cond: string) => `coalesce(bool_and(${cond}) FILTER (WHERE ${v} IS NOT NULL), true)`;
    const integral = `regexp_full_match(${v}, '${INTEGRAL}')`;
    return [
      `count(${v}) AS n${i}`,
      `${all(`${integral} AND TRY_CAST(${v} AS INTEGER) IS NOT NULL`)} AS i${i}`,
      `${all(`${integral} AND TRY_CAST(${v} AS BIGINT) IS NOT NULL`)} AS l${i}`,
      `${all(integral)} AS z${i}`,
      `max(CASE WHEN ${integral} THEN length(ltrim(${v}, '+-0')) END) AS p${i}`,
      `${all(`regexp_full_match(${v}, '${DECIMAL}') AND TRY_CAST(${v} AS DOUBLE) IS NOT NULL`)} AS d${i}`,
      `${all(date(v))} AS t${i}`,
      // A date is not a timestamp here: a column mixing both is a string (CSVInferSchema.compatibleType).
      `${all(`${timestamp(v)} AND NOT (${date(v)})`)} AS u${i}`,
      `${all(`lower(${v}) IN ('true', 'false')`)} AS b${i}`,
    ];
  });
  const [row] = await session.rows<Record<string, bigint | boolean | number | null>>(
    `SELECT ${items.join(', ')} FROM ${relation}`,
  );
  names.forEach((name, i) => types.set(name.toLowerCase(), textType(row, i)));
  return types;
}

function textType(row: Record<string, bigint | boolean | number | null>, i: number): DeltaType {
  if (Number(row[`n${i}`] ?? 0) === 0) return STRING; // only nulls: Spark's NullType, written as string
  if (row[`i${i}`]) return prim('integer');
  if (row[`l${i}`]) return prim('long');
  const digits = Number(row[`p${i}`] ?? 0);
  // Beyond bigint, an integer is decimal(p,0) up to 38 digits (Spark's tryParseDecimal), else double.
  if (row[`z${i}`] && digits <= 38) return { kind: 'decimal', precision: Math.max(digits, 20), scale: 0 };
  if (row[`d${i}`]) return prim('double');
  if (row[`t${i}`]) return prim('date');
  if (row[`u${i}`]) return prim('timestamp');
  if (row[`b${i}`]) return prim('boolean');
  return STRING;
}

/**
 * The Spark type of each field of the JSON objects in column `l` of `relation`
 * (lower-cased name → type), from DuckDB's merged structure of them all.
 */
export async function inferJsonFields(session: Session, relation: string): Promise<Map<string, DeltaType>> {
  const [row] = await session.rows<{ s: string | null }>(
    `SELECT json_group_structure(l::JSON)::VARCHAR AS s FROM ${relation} WHERE CASE WHEN json_valid(l) THEN json_type(l) = 'OBJECT' ELSE false END`,
  );
  const types = new Map<string, DeltaType>();
  const structure = row?.s ? (JSON.parse(row.s) as unknown) : {};
  if (structure && typeof structure === 'object' && !Array.isArray(structure))
    for (const [k, v] of Object.entries(structure)) types.set(k.toLowerCase(), jsonType(v));
  return types;
}

function jsonType(s: unknown): DeltaType {
  if (Array.isArray(s)) return { kind: 'array', elementType: jsonType(s[0] ?? 'NULL'), containsNull: true };
  if (s && typeof s === 'object') {
    const fields: StructField[] = Object.entries(s)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, t]) => ({ name, type: jsonType(t), nullable: true, metadata: {} }));
    return fields.length ? { kind: 'struct', fields } : STRING;
  }
  switch (s) {
    case 'UBIGINT':
    case 'BIGINT':
      return prim('long');
    case 'DOUBLE':
      return prim('double');
    case 'BOOLEAN':
      return prim('boolean');
    default:
      return STRING; // VARCHAR, NULL (never seen with a value), JSON (mixed kinds)
  }
}

/**
 * With inferColumnTypes: the types of the files' columns the plan does not know yet,
 * inferred over all their rows (one scan before the one that writes).
 */
export async function inferMissing(
  session: Session,
  files: SourceFile[],
  names: string[],
  o: ReadOptions,
  plan: ReadPlan,
  id: string,
): Promise<Map<string, DeltaType> | undefined> {
  const known = new Set(plan.known.map((f) => f.name.toLowerCase()));
  const missing = names.filter((n) => !known.has(n.toLowerCase()));
  if (!o.inferColumnTypes || missing.length === 0) return undefined;
  const [rejTable, rejScan] = [`__strata_irej_${id}`, `__strata_irejscan_${id}`];
  try {
    const source = csvSource(
      files.map((f) => f.path),
      names,
      o,
      rejTable,
      rejScan,
      false,
    );
    return await inferTextColumns(session, `(SELECT * FROM ${source})`, missing, o);
  } finally {
    for (const t of [rejTable, rejScan])
      await session.exec(`DROP TABLE IF EXISTS ${quoteIdent(t)}`).catch(() => undefined);
  }
}
