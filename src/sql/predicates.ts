// Filters for file skipping, taken from DuckDB's own parse of the query
// (json_serialize_sql): the WHERE conjuncts of the SELECT that reads a
// delta_scan, kept only where they are simple comparisons of one of its columns
// with constants. Anything else is left out, which only means more files read.
import type { Literal, Predicate } from '../delta/index.js';
import { type Session, quoteLiteral } from '../engine/index.js';

type Node = Record<string, any>;

/** Predicates per delta_scan call, keyed by the call's offset in the SQL text. */
export async function extractScanPredicates(session: Session, sql: string): Promise<Map<number, Predicate>> {
  const out = new Map<number, Predicate>();
  let parsed: Node;
  try {
    const rows = await session.rows<{ j: string }>(`SELECT json_serialize_sql(${quoteLiteral(sql)}) AS j`);
    parsed = JSON.parse(rows[0].j) as Node;
  } catch {
    return out;
  }
  if (parsed.error) return out; // not a plain SELECT (COPY, DDL, ...): no skipping
  for (const statement of parsed.statements ?? []) visit(statement.node, out);
  return out;
}

function visit(node: unknown, out: Map<number, Predicate>): void {
  if (Array.isArray(node)) {
    node.forEach((n) => visit(n, out));
    return;
  }
  if (!node || typeof node !== 'object') return;
  const n = node as Node;
  if (n.type === 'SELECT_NODE' && n.from_table && n.where_clause) {
    const scans = scansIn(n.from_table);
    for (const scan of scans) {
      const single = scans.length === 1 && n.from_table.type === 'TABLE_FUNCTION';
      const names = new Set([scan.alias || 'delta_scan'].map((s) => s.toLowerCase()));
      const predicate = toPredicate(n.where_clause, (ref) => columnOf(ref, names, single));
      if (predicate) out.set(scan.location, predicate);
    }
  }
  for (const value of Object.values(n)) if (value && typeof value === 'object') visit(value, out);
}

/**
 * delta_scan table functions directly in a FROM clause, through joins — but
 * never on the side of an outer join that gets NULL-filled, where reading fewer
 * files would change which rows come out unmatched.
 */
function scansIn(from: Node): { alias: string; location: number }[] {
  if (from.type === 'TABLE_FUNCTION' && from.function?.function_name?.toLowerCase() === 'delta_scan') {
    return [{ alias: from.alias ?? '', location: from.function.query_location }];
  }
  if (from.type === 'JOIN' && (from.ref_type === 'REGULAR' || from.ref_type === 'CROSS')) {
    switch (from.join_type) {
      case 'INNER':
        return [...scansIn(from.left), ...scansIn(from.right)];
      case 'LEFT':
        return scansIn(from.left);
      case 'RIGHT':
        return scansIn(from.right);
      default:
        return [];
    }
  }
  return [];
}

function columnOf(ref: Node, names: Set<string>, single: boolean): string | undefined {
  if (ref.class !== 'COLUMN_REF') return undefined;
  const parts: string[] = ref.column_names;
  if (parts.length === 1) return single ? parts[0] : undefined;
  if (parts.length === 2 && names.has(parts[0].toLowerCase())) return parts[1];
  return undefined;
}

const FLIP: Record<string, string> = { '<': '>', '>': '<', '<=': '>=', '>=': '<=', '=': '=', '<>': '<>' };
const OPS: Record<string, '=' | '<>' | '<' | '<=' | '>' | '>='> = {
  COMPARE_EQUAL: '=',
  COMPARE_NOTEQUAL: '<>',
  COMPARE_LESSTHAN: '<',
  COMPARE_LESSTHANOREQUALTO: '<=',
  COMPARE_GREATERTHAN: '>',
  COMPARE_GREATERTHANOREQUALTO: '>=',
};

function toPredicate(e: Node, column: (ref: Node) => string | undefined): Predicate | undefined {
  switch (e.class) {
    case 'CONJUNCTION': {
      const items = (e.children as Node[]).map((c) => toPredicate(c, column));
      if (e.type === 'CONJUNCTION_AND') {
        const kept = items.filter((i): i is Predicate => i !== undefined);
        return kept.length === 0 ? undefined : kept.length === 1 ? kept[0] : { kind: 'and', items: kept };
      }
      // An OR prunes only if every branch is understood.
      return items.every((i) => i !== undefined) ? { kind: 'or', items: items as Predicate[] } : undefined;
    }
    case 'COMPARISON': {
      const op = OPS[e.type];
      if (!op) return undefined;
      const left = column(e.left);
      const right = column(e.right);
      if (left !== undefined) {
        const value = literal(e.right);
        return value === undefined ? undefined : { kind: 'cmp', column: left, op, value };
      }
      if (right !== undefined) {
        const value = literal(e.left);
        return value === undefined ? undefined : { kind: 'cmp', column: right, op: FLIP[op] as typeof op, value };
      }
      return undefined;
    }
    case 'BETWEEN': {
      const col = column(e.input);
      const lo = literal(e.lower);
      const hi = literal(e.upper);
      if (col === undefined || lo === undefined || hi === undefined) return undefined;
      return {
        kind: 'and',
        items: [
          { kind: 'cmp', column: col, op: '>=', value: lo },
          { kind: 'cmp', column: col, op: '<=', value: hi },
        ],
      };
    }
    case 'OPERATOR': {
      if (e.type === 'COMPARE_IN') {
        const [first, ...rest] = e.children as Node[];
        const col = column(first);
        const values = rest.map(literal);
        if (col === undefined || values.some((v) => v === undefined)) return undefined;
        return { kind: 'in', column: col, values: values as Literal[] };
      }
      if (e.type === 'OPERATOR_IS_NULL' || e.type === 'OPERATOR_IS_NOT_NULL') {
        const col = column(e.children[0]);
        return col === undefined
          ? undefined
          : { kind: 'null', column: col, negated: e.type === 'OPERATOR_IS_NOT_NULL' };
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/** A constant (possibly under a cast, like DATE '2024-01-01') as a JS value. */
function literal(e: Node): Literal | undefined {
  if (e.class === 'CAST' && !e.try_cast) return literal(e.child);
  if (e.class !== 'CONSTANT' || e.value?.is_null) return undefined;
  const v = e.value.value;
  const id: string = e.value.type?.id ?? '';
  if (typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (/INT/.test(id) && Number.isSafeInteger(v)) return BigInt(v);
    return /DECIMAL/.test(id) && e.value.type?.type_info?.scale ? v / 10 ** e.value.type.type_info.scale : v;
  }
  return undefined;
}

/**
 * Equalities `target.col = source.col` among the AND-ed conjuncts of a MERGE
 * ON condition, as [target column, source column] pairs.
 */
export async function mergeKeyPairs(
  session: Session,
  on: string,
  targetAlias: string,
  sourceAlias: string,
): Promise<[string, string][]> {
  const probe = `SELECT 1 FROM a AS ${quoteIdentLoose(targetAlias)} JOIN b AS ${quoteIdentLoose(sourceAlias)} ON ${on}`;
  let parsed: Node;
  try {
    const rows = await session.rows<{ j: string }>(`SELECT json_serialize_sql(${quoteLiteral(probe)}) AS j`);
    parsed = JSON.parse(rows[0].j) as Node;
  } catch {
    return [];
  }
  const condition = parsed.statements?.[0]?.node?.from_table?.condition;
  if (!condition) return [];
  const conjuncts: Node[] = [];
  const collect = (e: Node) =>
    e.class === 'CONJUNCTION' && e.type === 'CONJUNCTION_AND' ? e.children.forEach(collect) : conjuncts.push(e);
  collect(condition);
  const t = targetAlias.toLowerCase();
  const sa = sourceAlias.toLowerCase();
  const pairs: [string, string][] = [];
  for (const e of conjuncts) {
    if (e.class !== 'COMPARISON' || e.type !== 'COMPARE_EQUAL') continue;
    const side = (x: Node) =>
      x.class === 'COLUMN_REF' && x.column_names.length === 2
        ? { alias: String(x.column_names[0]).toLowerCase(), col: String(x.column_names[1]) }
        : undefined;
    const l = side(e.left);
    const r = side(e.right);
    if (!l || !r) continue;
    if (l.alias === t && r.alias === sa) pairs.push([l.col, r.col]);
    else if (l.alias === sa && r.alias === t) pairs.push([r.col, l.col]);
  }
  return pairs;
}

function quoteIdentLoose(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The file-skipping predicate of a statement's WHERE clause (DELETE, UPDATE, OPTIMIZE), read as a query's would be. */
export async function wherePrune(session: Session, where: string | undefined): Promise<Predicate | undefined> {
  if (where === undefined) return undefined;
  const probe = `SELECT * FROM delta_scan('t') WHERE ${where}`;
  return (await extractScanPredicates(session, probe)).get(probe.indexOf('delta_scan'));
}
