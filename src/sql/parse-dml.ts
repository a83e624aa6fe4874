// Parsing INSERT, UPDATE and MERGE in Spark SQL's syntax; the queries and
// expressions inside stay text for DuckDB.
import type { MergeClause } from '../delta/index.js';
import { end, expressionList, optionalAlias, parseTableName, until } from './parse-common.js';
import type { TokenCursor } from '../dialect/index.js';
import type { Statement } from './statement.js';

export function parseInsert(c: TokenCursor): Statement {
  c.expect('insert');
  let overwrite = false;
  if (c.accept('overwrite')) overwrite = true;
  else c.expect('into', 'INTO or OVERWRITE');
  c.accept('table');
  const table = parseTableName(c);
  let partition: [string, string | null][] | undefined;
  if (c.accept('partition')) {
    c.expect('(');
    partition = [];
    do {
      const col = c.ident('a partition column');
      c.expect('=', '= value (dynamic partition overwrite is not supported)');
      const v = c.next();
      if (!v) c.fail('expected a value');
      partition.push([col, v!.kind === 'string' ? v!.value : v!.text.toLowerCase() === 'null' ? null : v!.text]);
    } while (c.accept(','));
    c.expect(')');
  }
  let replaceWhere: string | undefined;
  if (c.is('replace') && c.is('where', 1)) {
    c.i += 2;
    // The predicate runs to the start of the query.
    const startIdx = c.i;
    let depth = 0;
    while (!c.atEnd()) {
      const t = c.peek()!;
      if (t.text === '(') depth++;
      if (t.text === ')') depth--;
      if (depth === 0 && (c.is('select') || c.is('values') || c.is('with') || c.is('from') || c.is('table'))) break;
      c.next();
    }
    replaceWhere = c.textFrom(startIdx, c.i);
    if (!replaceWhere) c.fail('expected a predicate after REPLACE WHERE');
    overwrite = true;
  }
  let columns: string[] | undefined;
  let byName = false;
  if (c.is('by') && c.is('name', 1)) {
    c.i += 2;
    byName = true;
  } else if (c.is('(') && !c.is('select', 1) && !c.is('with', 1)) {
    c.next();
    columns = [];
    do columns.push(c.ident('a column name'));
    while (c.accept(','));
    c.expect(')');
  }
  const select = c.textFrom(c.i);
  if (!select) c.fail('expected a query (SELECT ... or VALUES ...)');
  return { kind: 'insert', table, overwrite, columns, byName, partition, replaceWhere, select };
}

export function parseUpdate(c: TokenCursor): Statement {
  c.expect('update');
  const table = parseTableName(c);
  c.expect('set');
  const set: [string, string][] = [];
  let where: string | undefined;
  for (;;) {
    const column = c.ident('a column name');
    c.expect('=');
    // The expression runs to a comma or WHERE at the top level.
    const start = c.i;
    let depth = 0;
    while (!c.atEnd()) {
      const t = c.peek()!;
      if (t.text === '(') depth++;
      if (t.text === ')') depth--;
      if (depth === 0 && (t.text === ',' || c.is('where'))) break;
      c.next();
    }
    if (c.i === start) c.fail(`expected an expression for ${column}`);
    set.push([column, c.textFrom(start, c.i)]);
    if (c.accept(',')) continue;
    if (c.accept('where')) {
      where = c.textFrom(c.i);
      if (!where) c.fail('expected a predicate after WHERE');
    }
    break;
  }
  return { kind: 'update', table, set, where };
}

export function parseMerge(c: TokenCursor): Statement {
  c.expect('merge');
  c.expect('into');
  const table = parseTableName(c);
  const targetAlias = optionalAlias(c, 'using');
  c.expect('using');
  let source: string;
  let defaultSourceAlias: string | undefined;
  if (c.is('(')) {
    c.next();
    source = until(c, (x) => x.is(')'));
    c.expect(')');
  } else {
    const start = c.i;
    const name = parseTableName(c);
    if (c.is('version') || c.is('timestamp')) {
      c.i += 3;
      c.next();
    }
    source = `SELECT * FROM ${c.textFrom(start, c.i)}`;
    defaultSourceAlias = name.kind === 'name' ? name.parts[name.parts.length - 1] : undefined;
  }
  const sourceAlias = optionalAlias(c, 'on') ?? defaultSourceAlias;
  c.expect('on');
  const on = until(c, (x) => x.is('when'));
  if (!on) c.fail('expected a condition after ON');
  const clauses: MergeClause[] = [];
  while (c.accept('when')) {
    let when: MergeClause['when'];
    if (c.accept('matched')) when = 'matched';
    else {
      c.expect('not', 'MATCHED or NOT MATCHED');
      c.expect('matched');
      if (c.is('by') && c.is('source', 1)) {
        c.i += 2;
        when = 'not-matched-by-source';
      } else {
        if (c.is('by') && c.is('target', 1)) c.i += 2;
        when = 'not-matched';
      }
    }
    let condition: string | undefined;
    if (c.accept('and')) condition = until(c, (x) => x.is('then'));
    c.expect('then');
    if (c.accept('delete')) {
      if (when === 'not-matched') c.fail('WHEN NOT MATCHED can only INSERT');
      clauses.push({ when, condition, action: 'delete' } as MergeClause);
    } else if (c.accept('update')) {
      if (when === 'not-matched') c.fail('WHEN NOT MATCHED can only INSERT');
      c.expect('set');
      if (c.accept('*')) {
        if (when !== 'matched') c.fail('UPDATE SET * is only for WHEN MATCHED');
        clauses.push({ when: 'matched', condition, action: 'update', set: '*' });
      } else {
        const set: [string, string][] = [];
        do {
          let column = c.ident('a column name');
          while (c.accept('.')) column = c.ident('a column name');
          c.expect('=');
          const expr = until(c, (x) => x.is(',') || x.is('when'));
          if (!expr) c.fail(`expected an expression for ${column}`);
          set.push([column, expr]);
        } while (c.accept(','));
        clauses.push({ when, condition, action: 'update', set } as MergeClause);
      }
    } else if (c.accept('insert')) {
      if (when !== 'not-matched') c.fail('only WHEN NOT MATCHED can INSERT');
      if (c.accept('*')) clauses.push({ when: 'not-matched', condition, action: 'insert' });
      else {
        const columns = expressionList(c).map((x) => x.replace(/^.*\./, '').replace(/^[`"](.*)[`"]$/, '$1'));
        c.expect('values');
        const values = expressionList(c);
        clauses.push({ when: 'not-matched', condition, action: 'insert', columns, values });
      }
    } else {
      c.fail('expected UPDATE, DELETE or INSERT');
    }
  }
  if (clauses.length === 0) c.fail('expected WHEN MATCHED or WHEN NOT MATCHED clauses');
  end(c);
  return { kind: 'merge', table, targetAlias, source, sourceAlias, on, clauses };
}
