// The catalog statements of Databricks SQL: USE, CREATE SCHEMA, SHOW TABLES, SHOW SCHEMAS,
// DESCRIBE [TABLE] [EXTENDED], SHOW CREATE TABLE, SHOW TBLPROPERTIES (run by run-catalog.ts).
import { TokenCursor, type Token } from '../dialect/index.js';
import { end, parseTableName } from './parse-common.js';
import type { Statement } from './statement.js';

/**
 * SHOW TABLES [IN | FROM schema] [[LIKE] 'pattern'], SHOW SCHEMAS | DATABASES [[LIKE] 'pattern'],
 * DESCRIBE [TABLE] [EXTENDED | FORMATTED] t, SHOW CREATE TABLE t. Anything else (DuckDB's
 * DESCRIBE SELECT ..., SHOW of a setting) is not one of these: undefined.
 */
export function parseCatalogStatement(sql: string, tokens: Token[]): Statement | undefined {
  const c = new TokenCursor(sql, tokens);
  const like = (): string | undefined => {
    c.accept('like');
    const pattern = c.atEnd() ? undefined : c.string('a pattern string');
    end(c);
    return pattern;
  };
  if (c.is('show') && c.is('tables', 1)) {
    c.i += 2;
    const schema = c.accept('in') || c.accept('from') ? c.ident('a schema name') : undefined;
    return { kind: 'show-tables', schema, like: like() };
  }
  if (c.is('show') && (c.is('schemas', 1) || c.is('databases', 1))) {
    c.i += 2;
    return { kind: 'show-schemas', like: like() };
  }
  // SHOW TBLPROPERTIES t [(key)]: the key unquoted (dots allowed) or a string.
  if (c.is('show') && c.is('tblproperties', 1)) {
    c.i += 2;
    const table = parseTableName(c);
    let key: string | undefined;
    if (c.accept('(')) {
      if (c.peek()?.kind === 'string') key = c.string('a property key');
      else {
        const parts = [c.ident('a property key')];
        while (c.accept('.')) parts.push(c.ident('a property key'));
        key = parts.join('.');
      }
      c.expect(')');
    }
    end(c);
    return { kind: 'show-tblproperties', table, key };
  }
  if (c.is('show') && c.is('create', 1) && c.is('table', 2)) {
    c.i += 3;
    const table = parseTableName(c);
    end(c);
    return { kind: 'show-create-table', table };
  }
  // USE CATALOG c | USE SCHEMA s | USE DATABASE s | USE s | USE c.s
  if (c.is('use') && tokens.length >= 2) {
    c.next();
    if (c.accept('catalog')) {
      const catalog = c.ident('a catalog name');
      end(c);
      return { kind: 'use', catalog };
    }
    if (!c.accept('schema')) c.accept('database');
    const first = c.ident('a schema name');
    const second = c.accept('.') ? c.ident('a schema name') : undefined;
    end(c);
    return second === undefined ? { kind: 'use', schema: first } : { kind: 'use', catalog: first, schema: second };
  }
  // CREATE SCHEMA | DATABASE [IF NOT EXISTS] [c.]s
  if (c.is('create') && (c.is('schema', 1) || c.is('database', 1))) {
    c.i += 2;
    const ifNotExists = c.is('if') && c.is('not', 1) && c.is('exists', 2);
    if (ifNotExists) c.i += 3;
    const first = c.ident('a schema name');
    const second = c.accept('.') ? c.ident('a schema name') : undefined;
    while (!c.atEnd()) c.next(); // COMMENT, LOCATION, WITH DBPROPERTIES: not kept
    return second === undefined
      ? { kind: 'create-schema', schema: first, ifNotExists }
      : { kind: 'create-schema', catalog: first, schema: second, ifNotExists };
  }
  if (!(c.is('describe') || c.is('desc'))) return undefined;
  c.next();
  const named = c.accept('table');
  const extended = c.accept('extended') || c.accept('formatted');
  const t = c.peek();
  if (!t || (t.kind !== 'ident' && t.kind !== 'quoted')) return undefined;
  if (!named && ['select', 'with', 'from', 'values', 'history', 'detail', 'query'].includes(t.value.toLowerCase()))
    return undefined;
  const table = parseTableName(c);
  // DESCRIBE t column (one column's description) is not supported: DuckDB says so.
  if (!c.atEnd()) return undefined;
  return { kind: 'describe-table', table, extended };
}
