// Shared pieces of the statement parsers: table names, statement ends, and
// slices of expressions that DuckDB parses later.
import type { TokenCursor } from '../dialect/index.js';

import type { TableName } from './statement.js';

export function end(c: TokenCursor): void {
  if (!c.atEnd()) c.fail('unexpected text after the statement');
}

/** `schema.table`, `table`, or delta.`path`. */
export function parseTableName(c: TokenCursor): TableName {
  if (c.is('delta') && c.is('.', 1) && c.peek(2)?.kind === 'quoted' && c.peek(2)?.text.startsWith('`')) {
    c.i += 2;
    return { kind: 'path', path: c.next()!.value };
  }
  const parts = [c.ident('a table name')];
  while (c.is('.')) {
    c.next();
    parts.push(c.ident('a table name'));
  }
  return { kind: 'name', parts };
}

/** Tokens up to (not including) one of `stops` at parenthesis depth 0; returns their text. */
export function until(c: TokenCursor, stops: (c: TokenCursor) => boolean): string {
  const start = c.i;
  let depth = 0;
  while (!c.atEnd()) {
    const t = c.peek()!;
    if (depth === 0 && stops(c)) break;
    if (t.text === '(') depth++;
    if (t.text === ')') depth--;
    c.next();
  }
  return c.textFrom(start, c.i);
}

/** Comma-separated expressions inside parentheses. */
export function expressionList(c: TokenCursor): string[] {
  c.expect('(');
  const out: string[] = [];
  for (;;) {
    const e = until(c, (x) => x.is(',') || x.is(')'));
    if (!e) c.fail('expected an expression');
    out.push(e);
    if (c.accept(')')) return out;
    c.expect(',');
  }
}

export function optionalAlias(c: TokenCursor, stop: string): string | undefined {
  if (c.accept('as')) return c.ident('an alias');
  const t = c.peek();
  if (t && (t.kind === 'quoted' || t.kind === 'ident') && !c.is(stop)) return c.ident();
  return undefined;
}
