// Comparisons between a string and a value of another type, coerced as Spark coerces them.
// DuckDB refuses `s > 0` for a VARCHAR column s ("Cannot compare values of type VARCHAR and
// INTEGER_LITERAL") and casts the other way round for literals; Spark casts the string:
//   - ANSI mode (AnsiTypeCoercion / AnsiStringPromotionTypeCoercion.findWiderTypeForString):
//     against an integral type both sides are BIGINT, against a fractional type (FLOAT, DOUBLE,
//     DECIMAL) both are DOUBLE, against any other atomic type (DATE, TIMESTAMP, BOOLEAN) the
//     string is cast to it — with ANSI's cast (a string that is not a number is an error);
//   - ANSI mode off (TypeCoercion.findCommonTypeForBinaryComparison): against a DECIMAL both are
//     DOUBLE, against any other atomic type the string is cast to that type — with the legacy
//     cast ('1.5' is 1 against an INT; 'abc' is NULL).
// The rewrite (spark.ts) marks each comparison whose sides could have those types; the types come
// from DuckDB's plan of the query (spark-decimal.ts asks for them with the decimal sites), and a
// comparison of two strings or two non-strings is left as it is written.
import type { Token } from '../dialect/index.js';
import { isWord } from './spark-call.js';
import { castTo } from './spark-cast.js';
import { endsOperand, primaryStart, rightOperandEnd } from './spark-operators.js';

/** The comparison operator at token `i`: its text and the index after it (`==` and `<=>` are two tokens). */
export function comparisonOp(tokens: Token[], i: number): { op: string; next: number } | undefined {
  const t = tokens[i];
  if (t.kind !== 'op') return undefined;
  const after = tokens[i + 1];
  const adjacent = after !== undefined && after.start === t.end;
  if (t.text === '=') return adjacent && after.text === '=' ? { op: '==', next: i + 2 } : { op: '=', next: i + 1 };
  if (t.text === '<=') return adjacent && after.text === '>' ? { op: '<=>', next: i + 2 } : { op: '<=', next: i + 1 };
  if (['<', '>', '>=', '<>', '!='].includes(t.text)) return { op: t.text, next: i + 1 };
  return undefined;
}

const ARITHMETIC = new Set(['+', '-', '*', '/', '%', '||', '&', '|', '^']);
const isArithmetic = (t: Token | undefined) => t !== undefined && (ARITHMETIC.has(t.text) || isWord(t, 'div'));

/** Words before which a comparison's left side may start (an expression starts after them). */
const BEFORE = new Set(['where', 'and', 'or', 'not', 'when', 'then', 'else', 'on', 'having', 'select', 'qualify']);
/** What may follow a comparison's right side. */
const AFTER = new Set(
  'and or then else when end from where group order having limit union except intersect as window qualify join left right inner full cross on'.split(
    ' ',
  ),
);

/** The first token of a comparison's left side, ending at `j` (arithmetic of primaries), or -1. */
function leftStart(tokens: Token[], j: number, from: number): number {
  let k = primaryStart(tokens, j, from);
  if (k < 0) return -1;
  while (k - 2 >= from && isArithmetic(tokens[k - 1]) && endsOperand(tokens[k - 2])) {
    const before = primaryStart(tokens, k - 2, from);
    if (before < 0) return -1;
    k = before;
  }
  if (k - 1 >= from && (tokens[k - 1].text === '-' || tokens[k - 1].text === '+') && !endsOperand(tokens[k - 2])) k--;
  return k;
}

/** The end (exclusive) of a comparison's right side starting at `i`, or -1. */
function rightEnd(tokens: Token[], i: number, to: number): number {
  if (['any', 'all', 'some'].some((w) => isWord(tokens[i], w))) return -1;
  let j = rightOperandEnd(tokens, i, to);
  if (j === i) return -1;
  while (j < to && isArithmetic(tokens[j])) {
    const next = rightOperandEnd(tokens, j + 1, to);
    if (next === j + 1) return -1;
    j = next;
  }
  const t = tokens[j];
  if (
    j >= to ||
    t.text === ')' ||
    t.text === ',' ||
    t.text === ';' ||
    (t.kind === 'ident' && AFTER.has(t.value.toLowerCase()))
  )
    return j;
  return -1;
}

/**
 * Whether the expression starting at token `k` is an assignment or an option rather than a
 * comparison: `UPDATE ... SET a = 1, b = 2`, `SET key = value`, `OPTIONS (k = v)`,
 * `TBLPROPERTIES (...)`, a table function's named parameter (`read_csv(f, header = true)`), or an
 * expression a table keeps as text (`CHECK (...)`, `GENERATED ALWAYS AS (...)`).
 */
function assignment(tokens: Token[], k: number): boolean {
  let depth = 0;
  for (let j = k - 1; j >= 0; j--) {
    const t = tokens[j];
    if (t.text === ')' || t.text === ']') depth++;
    else if (t.text === '(' || t.text === '[') {
      if (depth-- > 0) continue;
      const name = tokens[j - 1];
      if (name?.kind !== 'ident') return false;
      const n = name.value.toLowerCase();
      // (CHECK (...) and GENERATED ALWAYS AS (...) are stored in the table's metadata as written.)
      return ['options', 'tblproperties', 'check', 'as'].includes(n) || /^read_|_scan$|^cloud_files$/.test(n);
    } else if (depth === 0 && t.kind === 'ident') {
      const w = t.value.toLowerCase();
      if (w === 'set') return true;
      if (BEFORE.has(w) || w === 'by' || w === 'from' || w === 'values') return false;
    }
  }
  return false;
}

/**
 * The left side of the operator (IN, BETWEEN) at `i`, with the NOT before it (-1 when none): an
 * expression that starts where an expression may, and not an assignment or an option.
 */
function leftSide(tokens: Token[], i: number, from: number): { left: number; not: number } | undefined {
  const not = isWord(tokens[i - 1], 'not') ? i - 1 : -1;
  const last = (not >= 0 ? not : i) - 1;
  if (last < from || !endsOperand(tokens[last])) return undefined;
  const left = leftStart(tokens, last, from);
  if (left < 0 || !startsExpression(tokens, left, from, false) || assignment(tokens, left)) return undefined;
  return { left, not };
}

/** Whether an expression may start at token `k`: at the start, after `(`, `,`, a word such as WHERE (or a lambda's `->`). */
function startsExpression(tokens: Token[], k: number, from: number, lambda: boolean): boolean {
  const before = tokens[k - 1];
  return (
    k === from ||
    before.text === '(' ||
    before.text === ',' ||
    (lambda && before.text === '->') ||
    (before.kind === 'ident' && BEFORE.has(before.value.toLowerCase()))
  );
}

/** A comparison at token `i` (its operator) whose sides a rewrite may mark. */
export interface Comparison {
  op: string;
  /** Its left side's first token, its operator's end, its right side's end (exclusive). */
  left: number;
  next: number;
  end: number;
}

/**
 * The comparison whose operator is at `i`, when its sides are found and could be a string and a
 * value of another type (not when a side is a literal string, NULL, or both are numbers: DuckDB
 * casts a literal to the other side's type, as Spark does for every type but a few values).
 */
export function comparisonAt(tokens: Token[], i: number, from: number, to: number): Comparison | undefined {
  const found = comparisonOp(tokens, i);
  if (!found || i - 1 < from || !endsOperand(tokens[i - 1])) return undefined;
  const left = leftStart(tokens, i - 1, from);
  if (left < 0 || !startsExpression(tokens, left, from, true) || assignment(tokens, left)) return undefined;
  const end = rightEnd(tokens, found.next, to);
  if (end < 0) return undefined;
  if (found.op === '<=>') return { op: found.op, left, next: found.next, end }; // (DuckDB's IS NOT DISTINCT FROM)
  const single = (a: number, b: number) => (b === a + 1 ? tokens[a] : undefined);
  const sides = [single(left, i), single(found.next, end)];
  if (sides.some((t) => t?.kind === 'string' || isWord(t, 'null'))) return undefined;
  if (sides.every((t) => t?.kind === 'number')) return undefined;
  return { op: found.op, left, next: found.next, end };
}

/** A comparison operator as DuckDB writes it (Spark's null-safe `<=>` is IS NOT DISTINCT FROM). */
export const duckOperator = (op: string) => (op === '<=>' ? 'IS NOT DISTINCT FROM' : op);

const INTEGRAL: Record<string, string> = { TINYINT: 'tinyint', SMALLINT: 'smallint', INTEGER: 'int', BIGINT: 'bigint' };

/** The Spark type both sides are compared as, when one is a string and the other `other` (a DuckDB type). */
function commonType(other: string, ansi: boolean): string | undefined {
  if (INTEGRAL[other]) return ansi ? 'bigint' : INTEGRAL[other];
  if (other.startsWith('DECIMAL')) return 'double';
  if (other === 'DOUBLE' || other === 'FLOAT') return ansi ? 'double' : other.toLowerCase();
  if (other === 'DATE') return 'date';
  if (other === 'TIMESTAMP' || other === 'TIMESTAMP WITH TIME ZONE') return 'timestamp';
  if (other === 'BOOLEAN') return 'boolean';
  return undefined;
}

const DUCK_TYPES: Record<string, string> = { bigint: 'BIGINT', double: 'DOUBLE', float: 'FLOAT' };

/**
 * The comparison `left op right` with Spark's coercion, given the DuckDB types of its sides;
 * undefined when it stays as written. `<=>` is DuckDB's IS NOT DISTINCT FROM.
 */
export function coercedComparison(
  left: string,
  op: string,
  right: string,
  types: string[],
  ansi: boolean,
): string | undefined {
  const [t1, t2] = types;
  const sql = (a: string, b: string) => `(${a}) ${duckOperator(op)} (${b})`;
  if ((t1 === 'VARCHAR') === (t2 === 'VARCHAR')) return op === '<=>' ? sql(left, right) : undefined;
  const stringLeft = t1 === 'VARCHAR';
  const type = commonType(stringLeft ? t2 : t1, ansi);
  if (!type) return op === '<=>' ? sql(left, right) : undefined;
  const mode = ansi ? 'ansi' : 'legacy';
  const widen = (x: string, t: string) =>
    DUCK_TYPES[type] && t !== DUCK_TYPES[type] ? `CAST(${x} AS ${DUCK_TYPES[type]})` : x;
  return stringLeft
    ? sql(castTo(`(${left})`, type, mode), widen(`(${right})`, t2))
    : sql(widen(`(${left})`, t1), castTo(`(${right})`, type, mode));
}

/** `x [NOT] IN (a, b, ...)` at token `i` (the IN) whose sides a rewrite may mark: x's first token, the list's items. */
export interface InList {
  left: number;
  /** The index of NOT before IN, or -1. */
  not: number;
  /** Each item's tokens [start, end); the list's closing parenthesis. */
  items: [number, number][];
  close: number;
}

/**
 * The IN list at token `i`: a value against literals or expressions (not a subquery), where a
 * string on one side and numbers on the other are coerced as Spark's InConversion does.
 */
export function inListAt(tokens: Token[], i: number, from: number, to: number): InList | undefined {
  if (!isWord(tokens[i], 'in') || tokens[i + 1]?.text !== '(') return undefined;
  const side = leftSide(tokens, i, from);
  if (!side) return undefined;
  const { left, not } = side;
  const first = tokens[i + 2];
  if (!first || ['select', 'with', 'from', 'values'].some((w) => isWord(first, w))) return undefined;
  const items: [number, number][] = [];
  let depth = 0;
  let start = i + 2;
  for (let j = i + 2; j < to; j++) {
    const x = tokens[j].text;
    if (x === '(' || x === '[' || x === '{') depth++;
    else if ((x === ')' || x === ']' || x === '}') && depth > 0) depth--;
    else if (depth === 0 && (x === ',' || x === ')')) {
      if (j === start) return undefined;
      items.push([start, j]);
      start = j + 1;
      if (x === ')')
        return items.every(([a, b]) => tokens[a].kind === 'string' && b === a + 1)
          ? undefined
          : { left, not, items, close: j };
    }
  }
  return undefined;
}

/**
 * `left [NOT] IN (items)` with Spark's coercion, given the DuckDB types of left and each item
 * (undefined: as written). The common type of the list (findWiderCommonType): with ANSI mode, a
 * string with integers is BIGINT, with fractional numbers DOUBLE (AnsiTypeCoercion); without it,
 * a string with numbers is a STRING (TypeCoercion.stringPromotion): the numbers are compared as text.
 */
export function coercedIn(
  left: string,
  not: boolean,
  items: string[],
  types: string[],
  ansi: boolean,
): string | undefined {
  const [t0, ...ts] = types;
  if (ts.length !== items.length) return undefined;
  const all = [t0, ...ts].filter((t) => t !== 'NULL');
  const strings = all.filter((t) => t === 'VARCHAR').length;
  if (strings === 0 || strings === all.length) return undefined;
  const numeric = all.filter((t) => t !== 'VARCHAR');
  if (!numeric.every((t) => INTEGRAL[t] || t.startsWith('DECIMAL') || t === 'DOUBLE' || t === 'FLOAT'))
    return undefined;
  const list = (xs: string[]) => `${xs[0]} ${not ? 'NOT IN' : 'IN'} (${xs.slice(1).join(', ')})`;
  const sides = [left, ...items];
  const types0 = [t0, ...ts];
  if (!ansi) {
    // Numbers as text: integers print as Spark prints them; other numbers are left to DuckDB.
    if (!numeric.every((t) => INTEGRAL[t])) return undefined;
    return list(
      sides.map((x, k) => (types0[k] === 'VARCHAR' || types0[k] === 'NULL' ? `(${x})` : `CAST((${x}) AS VARCHAR)`)),
    );
  }
  const type = numeric.every((t) => INTEGRAL[t]) ? 'bigint' : 'double';
  return list(
    sides.map((x, k) =>
      types0[k] === 'VARCHAR' ? castTo(`(${x})`, type, 'ansi') : `CAST((${x}) AS ${DUCK_TYPES[type]})`,
    ),
  );
}

/** `x [NOT] BETWEEN lo AND hi` at token `i` (the BETWEEN): x's first token, NOT's index (or -1), the bounds' tokens. */
export interface Between {
  left: number;
  not: number;
  lower: [number, number];
  upper: [number, number];
}

/**
 * The BETWEEN at token `i`, when its bounds are not both literal strings: Spark
 * replaces it by `x >= lo AND x <= hi` (Between is RuntimeReplaceable), each comparison coerced.
 */
export function betweenAt(tokens: Token[], i: number, from: number, to: number): Between | undefined {
  if (!isWord(tokens[i], 'between')) return undefined;
  const side = leftSide(tokens, i, from);
  if (!side) return undefined;
  const { left, not } = side;
  const lowEnd = rightEnd(tokens, i + 1, to);
  if (lowEnd < 0 || !isWord(tokens[lowEnd], 'and')) return undefined;
  const highEnd = rightEnd(tokens, lowEnd + 1, to);
  if (highEnd < 0) return undefined;
  // (Two literal strings are cast to x's type by DuckDB, as by Spark: left as written.)
  const text = (a: number, b: number) => b === a + 1 && tokens[a].kind === 'string';
  if (text(i + 1, lowEnd) && text(lowEnd + 1, highEnd)) return undefined;
  return { left, not, lower: [i + 1, lowEnd], upper: [lowEnd + 1, highEnd] };
}
