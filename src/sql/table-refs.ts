// Project tables by name in queries: `silver.orders` (a folder under the lake,
// lake/silver/orders), `delta.\`path\``, with Spark's time travel
// `t VERSION AS OF n` and `t TIMESTAMP AS OF '...'`. Each reference in a FROM
// clause is rewritten to the delta_scan call that reads it.
import * as path from 'node:path';
import type { Catalog } from '../catalog/index.js';
import { UserSqlError } from '../core/index.js';
import { quoteIdent, quoteLiteral } from '../engine/index.js';
import type { TableName } from './statement.js';
import { isKeyword, lineColumn, tokenize, type Token } from '../dialect/index.js';

const FROM_START = new Set(['from', 'join', 'describe', 'summarize']);
const FROM_END = new Set([
  'where',
  'group',
  'having',
  'order',
  'limit',
  'qualify',
  'window',
  'union',
  'except',
  'intersect',
  'on',
  'using',
  'select',
  'set',
  'values',
  'returning',
  'offset',
]);

/** DuckDB's own catalogs, which a three-part name may name (DuckDB SQL). */
const DUCKDB_CATALOGS = new Set(['memory', 'temp', 'system']);

/** Rewrites project-table references in a FROM clause to delta_scan calls. */
export function rewriteTableRefs(sql: string, catalog: Catalog): string {
  const tokens = tokenize(sql);
  // The clause each parenthesis depth is in: 'from' where table references stand.
  const clause: string[] = ['other'];
  let out = '';
  let cursor = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const depth = clause.length - 1;
    if (t.text === '(') {
      clause.push('other');
      continue;
    }
    if (t.text === ')') {
      if (clause.length > 1) clause.pop();
      continue;
    }
    if (t.kind === 'ident') {
      const word = t.value.toLowerCase();
      if (FROM_START.has(word)) {
        clause[depth] = 'from';
        continue;
      }
      if (FROM_END.has(word)) {
        clause[depth] = 'other';
        continue;
      }
    }
    if (clause[depth] !== 'from' || (t.kind !== 'ident' && t.kind !== 'quoted')) continue;
    const prev = tokens[i - 1];
    if (!(prev && (prev.text === ',' || FROM_START.has(prev.value.toLowerCase()) || prev.text === '('))) continue;
    const ref = readRef(tokens, i);
    if (!ref) continue;
    // catalog.schema.table of another catalog: said plainly (DuckDB's own catalogs aside).
    if (
      ref.name.kind === 'name' &&
      ref.name.parts.length === 3 &&
      !DUCKDB_CATALOGS.has(ref.name.parts[0].toLowerCase())
    )
      catalog.resolve(ref.name);
    const resolved = catalog.find(ref.name);
    if (!resolved) continue;
    const travel = readTimeTravel(sql, tokens, ref.next);
    const args = [quoteLiteral(resolved)];
    if (travel?.version !== undefined) args.push(`version => ${travel.version}`);
    if (travel?.timestamp !== undefined) args.push(`timestamp => ${quoteLiteral(travel.timestamp)}`);
    const after = travel ? travel.next : ref.next;
    const alias = hasAlias(tokens[after]) ? '' : ` AS ${quoteIdent(ref.alias)}`;
    out += sql.slice(cursor, t.start) + `delta_scan(${args.join(', ')})${alias}`;
    cursor = after < tokens.length ? tokens[after].start : sql.length;
    i = after - 1;
  }
  return out + sql.slice(cursor);
}

interface Ref {
  name: TableName;
  alias: string;
  next: number;
}

function readRef(tokens: Token[], i: number): Ref | undefined {
  const t = tokens[i];
  if (
    isKeyword(t, 'delta') &&
    tokens[i + 1]?.text === '.' &&
    tokens[i + 2]?.kind === 'quoted' &&
    tokens[i + 2].text.startsWith('`')
  ) {
    const p = tokens[i + 2].value;
    return { name: { kind: 'path', path: p }, alias: path.basename(p), next: i + 3 };
  }
  const parts = [t.value];
  let j = i + 1;
  while (tokens[j]?.text === '.' && (tokens[j + 1]?.kind === 'ident' || tokens[j + 1]?.kind === 'quoted')) {
    parts.push(tokens[j + 1].value);
    j += 2;
  }
  if (tokens[j]?.text === '(' || tokens[j]?.text === '.') return undefined; // a function call, or more parts
  if (parts.length > 3) return undefined;
  return { name: { kind: 'name', parts }, alias: parts[parts.length - 1], next: j };
}

function readTimeTravel(
  sql: string,
  tokens: Token[],
  i: number,
): { version?: number; timestamp?: string; next: number } | undefined {
  const kind = tokens[i];
  if (
    !(isKeyword(kind, 'version') || isKeyword(kind, 'timestamp')) ||
    !isKeyword(tokens[i + 1], 'as') ||
    !isKeyword(tokens[i + 2], 'of')
  ) {
    return undefined;
  }
  const value = tokens[i + 3];
  const fail = (what: string): never => {
    const pos = lineColumn(sql, value?.start ?? sql.length);
    throw new UserSqlError(`time travel at line ${pos.line}, column ${pos.column}: ${what}`);
  };
  if (isKeyword(kind, 'version')) {
    if (value?.kind !== 'number' || !/^\d+$/.test(value.text)) fail('VERSION AS OF takes a whole number');
    return { version: Number(value.text), next: i + 4 };
  }
  if (value?.kind !== 'string') fail("TIMESTAMP AS OF takes a string such as '2026-01-31 12:00:00'");
  return { timestamp: value.value, next: i + 4 };
}

const NOT_ALIAS = new Set([
  'where',
  'join',
  'inner',
  'left',
  'right',
  'full',
  'outer',
  'cross',
  'natural',
  'positional',
  'asof',
  'anti',
  'semi',
  'on',
  'using',
  'group',
  'order',
  'limit',
  'offset',
  'union',
  'except',
  'intersect',
  'having',
  'window',
  'qualify',
  'tablesample',
  'returning',
  'lateral',
  'pivot',
  'unpivot',
  'select',
  'values',
  'set',
]);

function hasAlias(t: Token | undefined): boolean {
  if (!t) return false;
  if (isKeyword(t, 'as') || t.kind === 'quoted') return true;
  return t.kind === 'ident' && !NOT_ALIAS.has(t.value.toLowerCase());
}
