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
import { INTEGRAL, isText, plainInteger } from './fits.js';

interface SourceFile {
  path: string;
}

const STRING: DeltaType = { kind: 'primitive', name: 'string' };
const prim = (name: 'integer' | 'long' | 'double' | 'date' | 'timestamp' | 'boolean'): DeltaType => ({
  kind: 'primitive',
  name,
});

// Numbers: the characters Java's parseInt/parseDouble take, and DuckDB's cast to confirm (it
// rejects what Java would: signs out of place, two points). Dates: yyyy-MM-dd exactly, as
// preferDate parses them (CSVOptions.dateFormatInRead).
const DATE = '[0-9]{4}-[0-9]{2}-[0-9]{2}';
/** What Spark's lenient timestamp parser takes (DateTimeUtils.stringToTimestamp) and DuckDB's cast too. */
const TIMESTAMP =
  '[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(([ T][0-9]{1,2}:[0-9]{1,2}(:[0-9]{1,2}([.][0-9]{1,9})?)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?';

/** Rows classed value by value before all rows are tested against the type they suggest. */
const SAMPLE_ROWS = 10_000;

/**
 * The Spark type of each text column of `relation` (lower-cased name → type), from all its
 * values. The first rows' values are classed one by one (the first type each parses as),
 * which gives each column the narrowest type it can have; then every row is tested against
 * that type, one cheap test per value, and only the values that do not fit are classed.
 * The classes merge as Spark merges types.
 */
export async function inferTextColumns(
  session: Session,
  relation: string,
  names: string[],
  o: Pick<ReadOptions, 'dateFormat' | 'timestampFormat'>,
  /** `relation` is a sample: its values classed in one pass. */
  sample = false,
): Promise<Map<string, DeltaType>> {
  if (names.length === 0) return new Map();
  if (sample) {
    const stats = await classStats(session, relation, names, () => undefined, o);
    return new Map(names.map((n, i) => [n.toLowerCase(), textType(stats[i])]));
  }
  const sampled = await classStats(
    session,
    `(SELECT * FROM ${relation} LIMIT ${SAMPLE_ROWS})`,
    names,
    () => undefined,
    o,
  );
  const types = new Map(names.map((n, i) => [n.toLowerCase(), textType(sampled[i])]));
  const typed = names.filter((n) => !isText(types.get(n.toLowerCase())!));
  if (typed.length === 0) return types;
  const rest = await classStats(session, relation, typed, (v, i) => fits(v, types.get(typed[i].toLowerCase())!, o), o);
  typed.forEach((name, i) => {
    const a = sampled[names.indexOf(name)];
    const b = rest[i];
    const merged: ClassStats = {
      n: a.n + b.n,
      lo: Math.min(a.lo ?? Infinity, b.lo ?? Infinity),
      hi: Math.max(a.hi ?? -Infinity, b.hi ?? -Infinity),
      digits: Math.max(a.digits, b.digits),
    };
    types.set(name.toLowerCase(), textType(merged));
  });
  return types;
}

/** Per column: values classed (not empty), their lowest and highest class, the most digits of an integer beyond bigint. */
interface ClassStats {
  n: number;
  lo?: number;
  hi?: number;
  digits: number;
}

/** The classes of each column's values (see valueClass), but for those `skip` says fit already. */
async function classStats(
  session: Session,
  relation: string,
  names: string[],
  skip: (v: string, i: number) => string | undefined,
  o: Pick<ReadOptions, 'dateFormat' | 'timestampFormat'>,
): Promise<ClassStats[]> {
  const classes = names.map((name, i) => {
    const v = quoteIdent(name);
    const fit = skip(v, i);
    const cls = valueClass(v, o);
    return `${fit ? `CASE WHEN ${v} = '' OR (${fit}) THEN NULL ELSE ${cls} END` : cls} AS c${i}, ${v} AS v${i}`;
  });
  const aggregates = names.map(
    (_, i) =>
      `count(c${i}) AS n${i}, min(c${i}) AS lo${i}, max(c${i}) AS hi${i}, max(CASE WHEN c${i} = ${BIG} THEN length(ltrim(v${i}, '+-0')) END) AS p${i}`,
  );
  const [row] = await session.rows<Record<string, bigint | number | null>>(
    `SELECT ${aggregates.join(', ')} FROM (SELECT ${classes.join(', ')} FROM ${relation})`,
  );
  const num = (x: bigint | number | null | undefined) => (x === null || x === undefined ? undefined : Number(x));
  return names.map((_, i) => ({
    n: Number(row[`n${i}`] ?? 0),
    lo: num(row[`lo${i}`]),
    hi: num(row[`hi${i}`]),
    digits: num(row[`p${i}`]) ?? 0,
  }));
}

/** SQL: whether text `v` (not empty) parses as `type` in one cheap test (if not, it is classed). */
function fits(v: string, type: DeltaType, o: Pick<ReadOptions, 'dateFormat' | 'timestampFormat'>): string | undefined {
  if (type.kind !== 'primitive') return undefined;
  switch (type.name) {
    case 'integer':
      return plainInteger(v, 'INTEGER'); // ('+7', '007': classed)
    case 'long':
      return plainInteger(v, 'BIGINT');
    case 'double':
      // (DuckDB also reads 'inf', 'nan' and '1_000': not numbers to Java, so classed.)
      return `TRY_CAST(${v} AS DOUBLE) IS NOT NULL AND (ascii(${v}) BETWEEN 48 AND 57 OR ascii(${v}) IN (32, 43, 45, 46)) AND NOT contains(${v}, '_')`;
    case 'date':
      return o.dateFormat
        ? dateTest(v, o)
        : `length(${v}) = 10 AND substr(${v}, 5, 1) = '-' AND substr(${v}, 8, 1) = '-' AND ascii(${v}) BETWEEN 48 AND 57 AND TRY_CAST(${v} AS DATE) IS NOT NULL`;
    case 'boolean':
      return `lower(${v}) IN ('true', 'false')`;
    default:
      return undefined;
  }
}

// Value classes, in Spark's order of trial (CSVInferSchema.inferField).
const [INT, LONG, BIG, DOUBLE, DATE_CLASS, TIMESTAMP_CLASS, BOOLEAN, TEXT] = [1, 2, 3, 4, 5, 6, 7, 9];

const dateTest = (v: string, o: Pick<ReadOptions, 'dateFormat'>) =>
  o.dateFormat
    ? `try_strptime(${v}, ${quoteLiteral(strptimeFormat(o.dateFormat))}) IS NOT NULL`
    : `length(${v}) = 10 AND substr(${v}, 5, 1) = '-' AND substr(${v}, 8, 1) = '-' AND TRY_CAST(${v} AS DATE) IS NOT NULL AND regexp_full_match(${v}, '${DATE}')`;

const timestampTest = (v: string, o: Pick<ReadOptions, 'timestampFormat'>) =>
  o.timestampFormat
    ? `try_strptime(${v}, ${quoteLiteral(strptimeFormat(o.timestampFormat))}) IS NOT NULL`
    : `substr(${v}, 5, 1) = '-' AND TRY_CAST(${v} AS TIMESTAMPTZ) IS NOT NULL AND regexp_full_match(${v}, '${TIMESTAMP}')`;

/** SQL: the class of one text value (NULL for none: an empty value does not count). */
function valueClass(v: string, o: Pick<ReadOptions, 'dateFormat' | 'timestampFormat'>): string {
  return `CASE WHEN ${v} IS NULL OR ${v} = '' THEN NULL
    WHEN regexp_full_match(${v}, '${INTEGRAL}') THEN CASE WHEN TRY_CAST(${v} AS INTEGER) IS NOT NULL THEN ${INT}
      WHEN TRY_CAST(${v} AS BIGINT) IS NOT NULL THEN ${LONG} ELSE ${BIG} END
    WHEN NOT regexp_matches(${v}, '[^0-9.eE+ -]') AND TRY_CAST(${v} AS DOUBLE) IS NOT NULL THEN ${DOUBLE}
    WHEN ${dateTest(v, o)} THEN ${DATE_CLASS}
    WHEN ${timestampTest(v, o)} THEN ${TIMESTAMP_CLASS}
    WHEN lower(${v}) IN ('true', 'false') THEN ${BOOLEAN}
    ELSE ${TEXT} END`;
}

/** A column's type from its values' classes (Spark's compatibleType): numbers widen, other mixes are strings. */
function textType({ n, lo, hi, digits }: ClassStats): DeltaType {
  if (n === 0 || lo === undefined || hi === undefined) return STRING; // only nulls: Spark's NullType, written as string
  if (hi === INT) return prim('integer');
  if (hi === LONG) return prim('long');
  if (hi === BIG) {
    // Beyond bigint, an integer is decimal(p,0) up to 38 digits (tryParseDecimal; with ints or longs, at least 20), else double.
    const p = Math.max(digits, lo < BIG ? 20 : 0);
    return p <= 38 ? { kind: 'decimal', precision: p, scale: 0 } : prim('double');
  }
  if (hi === DOUBLE) return prim('double');
  if (lo === hi && hi === DATE_CLASS) return prim('date');
  if (lo === hi && hi === TIMESTAMP_CLASS) return prim('timestamp');
  if (lo === hi && hi === BOOLEAN) return prim('boolean');
  return STRING; // dates and timestamps mixed (compatibleType), or text
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
  /** Infer from the first rows only (checking a query's columns before a run, not loading). */
  sampleRows?: number,
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
    const limit = sampleRows === undefined ? '' : ` LIMIT ${Math.max(1, Math.floor(sampleRows))}`;
    return await inferTextColumns(session, `(SELECT * FROM ${source}${limit})`, missing, o, sampleRows !== undefined);
  } finally {
    for (const t of [rejTable, rejScan])
      await session.exec(`DROP TABLE IF EXISTS ${quoteIdent(t)}`).catch(() => undefined);
  }
}
