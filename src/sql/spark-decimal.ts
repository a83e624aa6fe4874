// Spark's decimal arithmetic where DuckDB's differs in value: `a / b` with a decimal operand is
// a DECIMAL in Spark (DuckDB divides through DOUBLE), `avg` of a decimal is a DECIMAL (DuckDB's
// is a DOUBLE), and `sum` keeps Spark's result types (BIGINT for integers, DECIMAL(p + 10, s)).
//
// The rewrite (spark.ts) cannot know the operands' types, so it marks each site with comments
// (`/*sdiv(…*/ x /*sdiv,*/ / y /*sdiv)*/`, `/*sagg(avg*/ …`): DuckDB reads a marked query as
// plain DuckDB arithmetic. Before a query runs, `sparkArithmetic` asks DuckDB for the operand
// types (`typeof`, which DuckDB folds to a constant in its optimized plan, `json_serialize_plan`:
// no rows read) and replaces each decimal site with exact integer arithmetic (long division in
// 64-bit integers where the operands allow, else 128-bit), rounded half up as Spark's Decimal
// does, typed as Spark's DecimalPrecision rules give
// (sql/catalyst/.../analysis/DecimalPrecision.scala, DecimalType.adjustPrecisionScale).
// `ceil` and `floor` are marked the same way (`/*sfn(ceil*/ …`): Spark's are BIGINT, or for a
// DECIMAL(p, s) a DECIMAL(p - s + 1, 0) (Ceil/Floor.dataType in mathExpressions.scala); DuckDB's
// keep their argument's type (a DOUBLE stays a DOUBLE). Comparisons are marked too
// (`/*scmp(a=*/ …`): a string compared with a number, a date or a boolean is cast as Spark
// coerces it (spark-compare.ts).
import { quoteIdent, quoteLiteral, type Session } from '../engine/index.js';
import { aggregate, type Handler } from './spark-call.js';
import { coercedComparison, coercedIn, duckOperator } from './spark-compare.js';

const OPEN = '/*sdiv(';
const MID = '/*sdiv,*/';
const CLOSE = '/*sdiv)*/';
const AGG_OPEN = '/*sagg(';
const AGG_MID = '/*sagg,*/';
const AGG_CLOSE = '/*sagg)*/';
const FN_OPEN = '/*sfn(';
const FN_CLOSE = '/*sfn)*/';
const CMP_OPEN = '/*scmp(';
const CMP_MID = '/*scmp,*/';
const CMP_CLOSE = '/*scmp)*/';
const IN_MID = '/*sin,*/';

/** A division marked for the types of its operands; `literal` digits of an integer literal operand (0 when not one). */
export function markDivision(left: string, right: string, literals: [number, number]): string {
  return `${OPEN}${literals[0]},${literals[1]}*/(${left})${MID} / ${right}${CLOSE}`;
}

/** An aggregate (avg, sum) marked for the type of its argument: `fn(arg)`, then what follows it (FILTER, OVER). */
export function markAggregate(fn: 'avg' | 'sum', arg: string, rest: string): string {
  return `${AGG_OPEN}${fn}*/${fn}(${arg})${AGG_MID}${rest}${AGG_CLOSE}`;
}

/** ceil(arg) or floor(arg), marked for the type of its argument. */
export function markRounding(fn: 'ceil' | 'floor', arg: string): string {
  return `${FN_OPEN}${fn}*/${fn}(${arg})${FN_CLOSE}`;
}

/** A comparison marked for the types of its sides (`ansi`: the mode its casts take). */
export function markComparison(left: string, op: string, right: string, ansi: boolean): string {
  return `${CMP_OPEN}${ansi ? 'a' : 'l'}${op}*/${left}${CMP_MID} ${duckOperator(op)} ${right}${CMP_CLOSE}`;
}

/** `left [NOT] IN (items)` marked for the types of its sides (`ansi`: the mode its casts take). */
export function markIn(left: string, not: boolean, items: string[], ansi: boolean): string {
  const list = items.join(`${IN_MID}, `);
  return `/*sin(${ansi ? 'a' : 'l'}${not ? 'n' : ''}*/${left}${IN_MID} ${not ? 'NOT IN' : 'IN'} (${list})/*sin)*/`;
}

interface Site {
  kind: 'div' | 'avg' | 'sum' | 'ceil' | 'floor' | 'cmp' | 'in';
  /** What the opening mark carries after its family (a comparison's mode and operator). */
  head: string;
  start: number;
  end: number;
  /** div: [left, right]; avg/sum: [the call as DuckDB runs it, what follows the call's parentheses]. */
  parts: string[];
  literals: [number, number];
  nested: boolean;
}

/** The innermost marked sites of `sql` (those with no marked site inside). */
function sites(sql: string): Site[] {
  const out: Site[] = [];
  const re = /\/\*s(div|agg|fn|cmp|in)([(,)])([^*]*)\*\//g;
  const stack: { kind: string; head: string; start: number; mids: number[]; midEnds: number[]; nested: boolean }[] = [];
  for (const m of sql.matchAll(re)) {
    const [text, family, sign, head] = m;
    const at = m.index;
    if (sign === '(') {
      if (stack.length) stack[stack.length - 1].nested = true;
      stack.push({ kind: family, head, start: at, mids: [], midEnds: [], nested: false });
    } else if (sign === ',') {
      const top = stack[stack.length - 1];
      if (top) {
        top.mids.push(at);
        top.midEnds.push(at + text.length);
      }
    } else {
      const top = stack.pop();
      if (!top) continue;
      const bodyStart = sql.indexOf('*/', top.start) + 2;
      const bounds = [bodyStart, ...top.midEnds];
      const ends = [...top.mids, at];
      const parts = bounds.map((b, i) => sql.slice(b, ends[i]));
      if (top.kind === 'fn') parts.push('');
      const [l, r] = top.head.split(',').map(Number);
      out.push({
        kind: ['div', 'cmp', 'in'].includes(top.kind)
          ? (top.kind as 'div' | 'cmp' | 'in')
          : (top.head as 'avg' | 'sum' | 'ceil' | 'floor'),
        head: top.head,
        start: top.start,
        end: at + text.length,
        parts,
        literals: top.kind === 'div' ? [l || 0, r || 0] : [0, 0],
        nested: top.nested,
      });
    }
  }
  return out.filter((s) => !s.nested);
}

/** The divisor of a marked division (its second part, after the ` / `). */
const divisorOf = (s: Site) => s.parts[1].replace(/^\s*\/\s*/, '');

/** The operator of a marked comparison, and its right side. */
const compared = (s: Site) => {
  const op = s.head.slice(1);
  return { op, right: s.parts[1].trimStart().slice(duckOperator(op).length) };
};

/** The items of a marked IN list. */
const listed = (s: Site) =>
  s.parts.slice(1).map((p, k, all) => {
    const item = k === 0 ? p.replace(/^\s*(NOT\s+)?IN\s*\(/, '') : p.replace(/^,\s*/, '');
    return k === all.length - 1 ? item.replace(/\)\s*$/, '') : item;
  });

/** A site as DuckDB runs it (the marks taken off): left / right, left op right, or the aggregate. */
const plain = (s: Site) =>
  s.kind === 'div'
    ? `(${s.parts[0]}) / ${divisorOf(s)}`
    : s.kind === 'in'
      ? s.parts.join('')
      : `${s.parts[0]}${s.parts[1]}`;

/** Removes every mark: the arithmetic DuckDB would do. */
export function unmarked(sql: string): string {
  let out = sql;
  for (let round = 0; round < 64 && out.includes('/*s'); round++) {
    const found = sites(out);
    if (found.length === 0) break;
    out = replaceSites(out, found, plain);
  }
  return out;
}

function replaceSites(sql: string, found: Site[], f: (s: Site, i: number) => string): string {
  let out = '';
  let at = 0;
  found.forEach((s, i) => {
    out += sql.slice(at, s.start) + f(s, i);
    at = s.end;
  });
  return out + sql.slice(at);
}

type Dec = { p: number; s: number };

/** Spark's decimal type of an operand of DuckDB type `t` (integers as DecimalType.forType; a literal by its digits). */
function decimalOf(t: string, literalDigits: number): Dec | undefined {
  const m = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(t);
  if (m) return { p: Number(m[1]), s: Number(m[2]) };
  const integral: Record<string, number> = { TINYINT: 3, SMALLINT: 5, INTEGER: 10, BIGINT: 20, HUGEINT: 38 };
  if (integral[t] === undefined) return undefined;
  return { p: literalDigits > 0 ? literalDigits : integral[t], s: 0 };
}

/** DecimalType.adjustPrecisionScale (allowPrecisionLoss, Spark's default). */
function adjust(p: number, s: number): Dec {
  if (p <= 38) return { p, s };
  const intDigits = p - s;
  return { p: 38, s: Math.max(38 - intDigits, Math.min(s, 6)) };
}

/** The unscaled value of a decimal expression `x` of scale `s` as a HUGEINT. */
const unscaled = (x: string, s: number) =>
  s === 0 ? `CAST(${x} AS HUGEINT)` : `CAST((${x}) * ${10n ** BigInt(s)} AS HUGEINT)`;

/** n / d of HUGEINTs rounded half up (away from zero), as Spark's Decimal (RoundingMode.HALF_UP). */
function roundedQuotient(n: string, d: string): string {
  return `(CASE WHEN abs(${n} % ${d}) >= abs(${d}) - abs(${n} % ${d}) THEN ${n} // ${d} + sign(${n}) * sign(${d}) ELSE ${n} // ${d} END)`;
}

/** An unscaled HUGEINT `q` at scale `s` as DECIMAL(p, s). */
const scaled = (q: string, r: Dec) =>
  r.s === 0
    ? `CAST(${q} AS DECIMAL(${r.p},0))`
    : `CAST(CAST(${q} AS DECIMAL(38,0)) * 0.${'0'.repeat(r.s - 1)}1 AS DECIMAL(${r.p},${r.s}))`;

/** a / b for decimals a: (p1, s1), b: (p2, s2), as Spark's Divide. */
function exactDivision(a: string, b: string, d1: Dec, d2: Dec): string {
  const r = adjust(d1.p - d1.s + d2.s + Math.max(6, d1.s + d2.p + 1), Math.max(6, d1.s + d2.p + 1));
  const e = r.s - d1.s + d2.s; // n = a_unscaled * 10^e, so n / b_unscaled is the result at scale r.s
  if (e < 0) return `CAST((${a}) / (${b}) AS DECIMAL(${r.p},${r.s}))`; // (scale reduced below the dividend's: rare)
  if (d1.p <= 18 && d2.p <= 17 && r.p < 38) return longDivision(a, b, d1, d2, r, e);
  const n = `(${unscaled(a, d1.s)} * ${10n ** BigInt(e)})`;
  return scaled(roundedQuotient(n, `(${unscaled(b, d2.s)})`), r);
}

/**
 * The same quotient by long division in 64-bit integers (DuckDB's 128-bit division, and its
 * rounding casts between decimal scales, are slow): the integer part of |ua| / |ub|, then its
 * next e digits in chunks small enough that remainder × 10^k stays below 10^18, rounded half up
 * (Spark's HALF_UP) from the last remainder, assembled as the unscaled result and typed once.
 * For operands of at most 18 and 17 digits.
 */
function longDivision(a: string, b: string, d1: Dec, d2: Dec, r: Dec, e: number): string {
  // (DuckDB multiplies a DECIMAL(p, s) by an integer in 64 bits while p + the multiplier's digits stay within 18.)
  const unscale = (x: string, d: Dec) =>
    d.s === 0
      ? `CAST(${x} AS BIGINT)`
      : d.p + d.s + 1 <= 18
        ? `CAST((${x}) * ${10n ** BigInt(d.s)} AS BIGINT)`
        : `CAST(CAST(${x} AS DECIMAL(38,${d.s})) * ${10n ** BigInt(d.s)} AS BIGINT)`;
  const [ua, ub] = [unscale(a, d1), unscale(b, d2)];
  const [A, B] = [`abs(${ua})`, `abs(${ub})`];
  const k = 18 - d2.p;
  // The result unscaled at scale r.s: |ua| * 10^e / |ub|, digit chunk by digit chunk.
  const terms = [`CAST(${A} // ${B} AS HUGEINT) * ${10n ** BigInt(e)}`];
  let rem = `(${A} % ${B})`;
  for (let done = 0; done < e;) {
    const c = Math.min(k, e - done);
    const shifted = `(${rem} * ${10n ** BigInt(c)})`;
    done += c;
    terms.push(`CAST(${shifted} // ${B} AS HUGEINT)${e - done > 0 ? ` * ${10n ** BigInt(e - done)}` : ''}`);
    rem = `(${shifted} % ${B})`;
  }
  terms.push(`CASE WHEN 2 * ${rem} >= ${B} THEN 1 ELSE 0 END`);
  return scaled(`((${terms.join(' + ')}) * sign(${ua}) * sign(${ub}))`, r);
}

/** avg of a decimal (p, s): DECIMAL(p + 4, s + 4) (bounded), sum / count rounded half up. */
function exactAverage(call: string, rest: string, d: Dec): string {
  const r = { p: Math.min(38, d.p + 4), s: Math.min(38, d.s + 4) };
  const sum = call.replace(/^avg\(/i, 'sum(') + rest;
  const count = call.replace(/^avg\(/i, 'count(') + rest;
  const n = `(${unscaled(sum, d.s)} * ${10n ** BigInt(r.s - d.s)})`;
  return `CAST(${scaled(`(CASE WHEN ${count} = 0 THEN NULL ELSE ${roundedQuotient(n, `CAST(${count} AS HUGEINT)`)} END)`, r)} AS DECIMAL(${r.p},${r.s}))`;
}

/** What a site becomes, given the DuckDB types of its operands. */
function resolve(s: Site, types: string[] | undefined): string {
  if (!types) return plain(s);
  if (s.kind === 'in')
    return coercedIn(s.parts[0], s.head.includes('n'), listed(s), types, s.head.startsWith('a')) ?? plain(s);
  if (s.kind === 'cmp') {
    const { op, right } = compared(s);
    return coercedComparison(s.parts[0], op, right, types, s.head.startsWith('a')) ?? plain(s);
  }
  if (s.kind === 'div') {
    const [t1, t2] = types;
    const d1 = decimalOf(t1, s.literals[0]);
    const d2 = decimalOf(t2, s.literals[1]);
    const anyDecimal = t1.startsWith('DECIMAL') || t2.startsWith('DECIMAL');
    if (!anyDecimal || !d1 || !d2) return plain(s);
    return exactDivision(s.parts[0], divisorOf(s), d1, d2);
  }
  const [call, rest] = s.parts;
  const d = types[0].startsWith('DECIMAL') ? decimalOf(types[0], 0) : undefined;
  if (s.kind === 'ceil' || s.kind === 'floor') {
    if (d) return d.s === 0 ? call : `CAST(${call} AS DECIMAL(${Math.min(38, d.p - d.s + 1)},0))`;
    return NUMERIC.includes(types[0]) ? `CAST(${call} AS BIGINT)` : call;
  }
  if (s.kind === 'avg') return d ? exactAverage(call, rest, d) : plain(s);
  // sum: BIGINT for integers (DuckDB's is a HUGEINT), DECIMAL(p + 10, s) for decimals (DuckDB's is DECIMAL(38, s)).
  if (d) return `CAST(${call}${rest} AS DECIMAL(${Math.min(38, d.p + 10)},${d.s}))`;
  if (['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT'].includes(types[0])) return `CAST(${call}${rest} AS BIGINT)`;
  return plain(s);
}

const NUMERIC = [
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'HUGEINT',
  'FLOAT',
  'DOUBLE',
  'UTINYINT',
  'USMALLINT',
  'UINTEGER',
  'UBIGINT',
];

/**
 * The probe of a site: its value, plus a constant naming its operand types (typeof, folded by
 * DuckDB while planning), placed where the operands are bound (inside an aggregate's argument).
 */
function probe(s: Site, i: number): string {
  if (s.kind === 'in') {
    const typeofs = [s.parts[0], ...listed(s)].map((x) => `'|' || typeof((${x}))`).join(' || ');
    return `contains(CAST(random() AS VARCHAR), ('__strata_site${i}' || ${typeofs}))`;
  }
  if (s.kind === 'cmp') {
    const [a, b] = [`(${s.parts[0]})`, `(${compared(s).right})`];
    // (A boolean that is no constant — DuckDB evaluates a constant condition while it optimizes —
    // and that no rule simplifies away — `x = 'a' AND x = 'b'` would be an empty result —
    // holding the folded types as a constant string.)
    return `contains(CAST(random() AS VARCHAR), ('__strata_site${i}|' || typeof(${a}) || '|' || typeof(${b})))`;
  }
  if (s.kind === 'div') {
    const [a, b] = [`(${s.parts[0]})`, divisorOf(s)];
    return `(${plain(s)} + CAST('__strata_site${i}|' || typeof(${a}) || '|' || typeof(${b}) AS INTEGER))`;
  }
  const inner = s.parts[0].slice(s.kind.length + 1, -1);
  const distinct = /^\s*distinct\s+/i.exec(inner)?.[0] ?? '';
  const arg = inner.slice(distinct.length);
  return `${s.kind}(${distinct}(${arg}) + CAST('__strata_site${i}|' || typeof(${arg}) AS INTEGER))${s.parts[1]}`;
}

/**
 * `sql` with its marked sites made Spark's (see the file's comment). A query DuckDB cannot plan
 * with the probes, or a site it does not report, keeps DuckDB's arithmetic.
 */
export async function sparkArithmetic(session: Session, sql: string): Promise<string> {
  if (!sql.includes('/*s')) return sql;
  let out = sql;
  for (let round = 0; round < 8 && out.includes('/*s'); round++) {
    const found = sites(out);
    if (found.length === 0) break;
    const probed = replaceSites(out, found, probe);
    let plan = '';
    try {
      // DuckDB's bound and optimized plan, as JSON: the probes' typeof(...) folded into constants.
      const r = await session.query(`SELECT json_serialize_plan(${quoteLiteral(probed)}, optimize := true) AS p`);
      plan = String(r.rows[0]?.[0] ?? '');
      if (/^\{"error":true/.test(plan)) throw new Error(plan);
    } catch {
      return unmarked(out);
    }
    const types = new Map<number, string[]>();
    for (const m of plan.matchAll(/__strata_site(\d+)((?:\|[A-Z][A-Z ]*(?:\(\d+,\s*\d+\))?(?:\[\])*)+)"/g))
      types.set(Number(m[1]), m[2].slice(1).split('|'));
    out = replaceSites(out, found, (s, i) => resolve(s, types.get(i)));
  }
  return unmarked(out);
}

/** avg and sum, marked (their FILTER and OVER kept after the call). */
function markedAggregate(fn: 'avg' | 'sum'): Handler {
  return (c) =>
    c.args.length !== 1
      ? aggregate(c, `${fn}(${c.args.map((a) => a.sql).join(', ')})`)
      : markAggregate(fn, c.args[0].sql, aggregate(c, ''));
}

/** ceil and floor with one argument, marked (with a target scale, Spark's are decimals, as DuckDB's). */
function markedRounding(fn: 'ceil' | 'floor'): Handler {
  return (c) =>
    c.args.length === 1 ? markRounding(fn, c.args[0].sql) : `${fn}(${c.args.map((a) => a.sql).join(', ')})`;
}

export const DECIMAL_HANDLERS: Record<string, Handler> = {
  avg: markedAggregate('avg'),
  sum: markedAggregate('sum'),
  ceil: markedRounding('ceil'),
  ceiling: markedRounding('ceil'),
  floor: markedRounding('floor'),
};

/**
 * Expressions the rewrite marked (an expectation's condition), made Spark's against the rows of
 * `relation` (a table name, or a query in parentheses): each site typed as it is there.
 */
export async function sparkExpressions(session: Session, relation: string, exprs: string[]): Promise<string[]> {
  if (!exprs.some((e) => e.includes('/*s'))) return exprs;
  const items = exprs.map((e, i) => `/*sexpr${i}(*/(${e})/*sexpr${i})*/ AS ${quoteIdent(`__e${i}`)}`);
  const resolved = await sparkArithmetic(session, `SELECT ${items.join(', ')} FROM ${relation}`);
  return exprs.map((e, i) => {
    const open = `/*sexpr${i}(*/`;
    const from = resolved.indexOf(open);
    const to = resolved.indexOf(`/*sexpr${i})*/`, from);
    return from < 0 || to < 0 ? unmarked(e) : resolved.slice(from + open.length, to);
  });
}
