// Raw rows (the files' columns as read) as a table's rows: known columns with their
// types, new ones added or rescued, values that do not fit their type kept as text in
// the rescued data column (with the row's file, as Databricks' `_file_path`), Spark
// date patterns. File facts are not columns: they are the hidden `_metadata` struct.
import { duckdbType, type DeltaType, type StructField } from '../delta/index.js';
import { quoteIdent, quoteLiteral } from '../engine/index.js';
import type { ReadOptions } from './options.js';
import { INTEGRAL, isText, jsonFits, plainInteger } from './fits.js';

export interface ReadPlan {
  /** Columns already known (the target table's data columns), with their types. */
  known: StructField[];
  /** New columns: become columns (true) or go to the rescued data column (false). */
  addNewColumns: boolean;
}

/** The raw rows' column holding each row's file (absolute path), where a read has one. */
export const FILE_COLUMN = '__strata_file';

/**
 * The select list turning raw rows (relation `r`: the files' columns) into the
 * table's: known columns with their types, new ones added (as strings, or hinted
 * or inferred types) or rescued, and the rescued data column, whose `_file_path`
 * is `fileSql` (the row's file as recorded: a literal, or an expression over `r`).
 */
export function typedProjection(
  fileColumns: { name: string; type: DeltaType; inferred?: DeltaType }[],
  o: ReadOptions,
  plan: ReadPlan,
  fileSql: string,
): { selectList: string; columns: StructField[]; newColumns: string[]; rescues: boolean } {
  const knownByName = new Map(plan.known.map((f) => [f.name.toLowerCase(), f]));
  const newColumns = fileColumns.filter(
    (c) => !knownByName.has(c.name.toLowerCase()) && c.name.toLowerCase() !== o.rescuedDataColumn.toLowerCase(),
  );
  const hinted = (name: string) => [...o.schemaHints].find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  const columns: StructField[] = [...plan.known];
  if (plan.addNewColumns) {
    for (const c of newColumns)
      columns.push({ name: c.name, type: hinted(c.name) ?? c.inferred ?? c.type, nullable: true, metadata: {} });
  }
  const rawName = new Map(fileColumns.map((c) => [c.name.toLowerCase(), c.name]));
  const rescues: string[] = []; // struct entries {'k': name, 'v': text} for the rescued JSON
  const select = columns.map((f) => {
    const source = rawName.get(f.name.toLowerCase());
    if (!source) return `CAST(NULL AS ${duckdbType(f.type)}) AS ${quoteIdent(f.name)}`;
    const value = `r.${quoteIdent(source)}`;
    const fileType = fileColumns.find((c) => c.name === source)!.type;
    const converted = convert(value, fileType, f.type, o);
    if (converted === value) return `${value} AS ${quoteIdent(f.name)}`;
    // A value that does not fit the column's type is kept, as text, in the rescued data.
    rescues.push(
      `CASE WHEN ${value} IS NOT NULL AND (${converted}) IS NULL THEN {'k': ${quoteLiteral(source)}, 'v': ${textOf(value, fileType)}} END`,
    );
    return `${converted} AS ${quoteIdent(f.name)}`;
  });
  if (!plan.addNewColumns) {
    for (const c of newColumns)
      rescues.push(
        `CASE WHEN r.${quoteIdent(c.name)} IS NOT NULL THEN {'k': ${quoteLiteral(c.name)}, 'v': ${textOf(`r.${quoteIdent(c.name)}`, c.type)}} END`,
      );
  }
  // A rescued data column in the files themselves (re-ingesting bronze) is kept as it is.
  const own = rawName.get(o.rescuedDataColumn.toLowerCase());
  const rescued = rescues.length
    ? `CASE WHEN ${rescues.map((r) => `(${r}) IS NOT NULL`).join(' OR ')} THEN CAST(to_json(map_from_entries(list_filter([${rescues.join(', ')}], e -> e IS NOT NULL) || [{'k': '_file_path', 'v': ${fileSql}}])) AS VARCHAR) ${own ? `ELSE r.${quoteIdent(own)} ` : ''}END`
    : own
      ? `r.${quoteIdent(own)}`
      : 'CAST(NULL AS VARCHAR)';
  return {
    selectList: [...select, `${rescued} AS ${quoteIdent(o.rescuedDataColumn)}`].join(', '),
    columns,
    newColumns: newColumns.map((c) => c.name),
    rescues: rescues.length > 0 || own !== undefined,
  };
}

/** SQL turning a raw value into the column's type (TRY_: NULL when it does not fit). */
function convert(value: string, from: DeltaType, to: DeltaType, o: ReadOptions): string {
  if (sameType(from, to)) return value;
  const target = duckdbType(to);
  if (from.kind === 'primitive' && from.name === 'string' && to.kind === 'primitive') {
    if (to.name === 'date' && o.dateFormat)
      return `TRY_CAST(try_strptime(${value}, ${quoteLiteral(strptimeFormat(o.dateFormat))}) AS DATE)`;
    if ((to.name === 'timestamp' || to.name === 'timestamp_ntz') && o.timestampFormat) {
      const parsed = `try_strptime(${value}, ${quoteLiteral(strptimeFormat(o.timestampFormat))})`;
      return to.name === 'timestamp' ? `TRY_CAST(${parsed} AS TIMESTAMPTZ)` : parsed;
    }
    if (to.name === 'boolean') return `CASE lower(trim(${value})) WHEN 'true' THEN true WHEN 'false' THEN false END`;
    // An integer column takes digits only: DuckDB's cast would round '1.5' and read '1_000'.
    if (INTEGRAL_TYPES.has(to.name))
      return `CASE WHEN ${plainInteger(value, target)} OR regexp_full_match(trim(${value}), '${INTEGRAL}') THEN TRY_CAST(${value} AS ${target}) END`;
    // (DuckDB's numeric casts take spaces around the number.)
    if (to.name === 'double' || to.name === 'float') return `TRY_CAST(${value} AS ${target})`;
    return `TRY_CAST(trim(${value}) AS ${target})`;
  }
  if (isText(from) && (to.kind === 'struct' || to.kind === 'array'))
    // JSON text (a nested value of a JSON file): a value that does not fit the type is rescued whole.
    return `CASE WHEN json_valid(${value}) THEN CASE WHEN ${jsonFits(value, to)} THEN TRY_CAST(${value}::JSON AS ${target}) END END`;
  return `TRY_CAST(${value} AS ${target})`;
}

const INTEGRAL_TYPES = new Set(['integer', 'long', 'short', 'byte']);

function sameType(a: DeltaType, b: DeltaType): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function textOf(value: string, type: DeltaType): string {
  return type.kind === 'primitive' && type.name === 'string' ? value : `CAST(${value} AS VARCHAR)`;
}

/** Spark datetime patterns (yyyy-MM-dd HH:mm:ss.SSS) to strptime's (%Y-%m-%d %H:%M:%S.%g). */
export function strptimeFormat(pattern: string): string {
  const map: [RegExp, string][] = [
    [/yyyy/g, '%Y'],
    [/yy/g, '%y'],
    [/MMMM/g, '%B'],
    [/MMM/g, '%b'],
    [/MM/g, '%m'],
    [/(?<![%\w])M(?!\w)/g, '%-m'],
    [/dd/g, '%d'],
    [/(?<![%\w])d(?!\w)/g, '%-d'],
    [/HH/g, '%H'],
    [/hh/g, '%I'],
    [/mm/g, '%M'],
    [/ss/g, '%S'],
    [/SSSSSS/g, '%f'],
    [/SSS/g, '%g'],
    [/a/g, '%p'],
    [/XXX|Z/g, '%z'],
  ];
  let out = pattern.replace(/'T'/g, 'T');
  for (const [re, to] of map) out = out.replace(re, to);
  return out;
}
