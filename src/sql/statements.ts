// Parsing the Delta statements Strata adds to DuckDB SQL, in Spark SQL's
// syntax. Only the statement's frame is parsed here; queries inside (AS SELECT,
// INSERT ... SELECT, predicates) stay text, for DuckDB to parse.
import type { StructField } from '../delta/index.js';
import { end, parseTableName } from './parse-common.js';
import type { Statement } from './statement.js';
import { parseInsert, parseMerge, parseUpdate } from './parse-dml.js';
import { parseCatalogStatement } from './parse-catalog.js';
import { parseSparkType, TokenCursor, tokenize } from '../dialect/index.js';

export type { Statement, TableName } from './statement.js';
export { parseTableName } from './parse-common.js';

/** Splits SQL text into statements at top-level semicolons. */
export function splitStatements(sql: string, options: { spark?: boolean } = {}): string[] {
  const tokens = tokenize(sql, { spark: options.spark ?? false });
  const out: string[] = [];
  let start = 0;
  for (const t of tokens) {
    if (t.text === ';' && t.kind === 'punct') {
      const text = sql.slice(start, t.start).trim();
      if (text) out.push(text);
      start = t.end;
    }
  }
  const rest = sql.slice(start).trim();
  if (rest) out.push(rest);
  return out;
}

/** Parses one statement: ours, or a plain query for DuckDB. */
export function parseStatement(sql: string): Statement {
  const tokens = tokenize(sql);
  const c = new TokenCursor(sql, tokens);
  if (c.is('create') && (c.is('table', 1) || (c.is('or', 1) && c.is('replace', 2) && c.is('table', 3))))
    return parseCreate(c);
  if (c.is('insert')) return parseInsert(c);
  if (c.is('copy') && c.is('into', 1)) return parseCopyInto(c);
  if (c.is('delete') && c.is('from', 1)) {
    c.i += 2;
    const table = parseTableName(c);
    let where: string | undefined;
    if (c.accept('where')) {
      where = c.textFrom(c.i);
      if (!where) c.fail('expected a predicate after WHERE');
    } else end(c);
    return { kind: 'delete', table, where };
  }
  if (c.is('update') && !c.is('(', 1)) return parseUpdate(c);
  if (c.is('restore')) return parseRestore(c);
  if (c.is('merge') && c.is('into', 1)) return parseMerge(c);
  if (
    c.is('vacuum') &&
    (c.peek(1)?.kind === 'ident' || c.peek(1)?.kind === 'quoted') &&
    !c.is('analyze', 1) &&
    !c.is('full', 1)
  )
    return parseVacuum(c);
  if (c.is('optimize')) return parseOptimize(c);
  const catalogStatement = parseCatalogStatement(sql, tokens);
  if (catalogStatement) return catalogStatement;
  if ((c.is('describe') || c.is('desc')) && (c.is('history', 1) || c.is('detail', 1))) {
    c.next();
    const history = c.next()!.value.toLowerCase() === 'history';
    const table = parseTableName(c);
    if (history) {
      let limit: number | undefined;
      if (c.accept('limit')) limit = Number(c.next()?.text);
      end(c);
      return { kind: 'describe-history', table, limit };
    }
    end(c);
    return { kind: 'describe-detail', table };
  }
  if (c.is('alter') && c.is('table', 1)) return parseAlter(c);
  if (c.is('set') && tokens.length >= 2) {
    const key = sql.slice(tokens[1].start, tokens.find((t) => t.text === '=')?.start ?? sql.length).trim();
    if (/^(strata|spark)\.|^ansi_mode$/i.test(key)) {
      const eq = tokens.findIndex((t) => t.text === '=');
      if (eq < 0) c.fail('expected = value');
      const value = tokens
        .slice(eq + 1)
        .map((t) => t.value)
        .join(' ');
      return { kind: 'set', key: key.toLowerCase(), value };
    }
  }
  return { kind: 'query', sql };
}

function parseCreate(c: TokenCursor): Statement {
  c.expect('create');
  const replace = c.accept('or') ? (c.expect('replace'), true) : false;
  c.expect('table');
  let ifNotExists = false;
  if (c.accept('if')) {
    c.expect('not');
    c.expect('exists');
    ifNotExists = true;
  }
  const table = parseTableName(c);
  let columns: StructField[] | undefined;
  if (c.is('(')) columns = parseColumnList(c);
  const stmt: Extract<Statement, { kind: 'create' }> = {
    kind: 'create',
    table,
    ifNotExists,
    replace,
    columns,
    partitionedBy: [],
    properties: {},
  };
  for (;;) {
    if (c.accept('using')) {
      const format = c.ident('a format').toLowerCase();
      if (format !== 'delta') c.fail(`tables are Delta tables; USING ${format} is not supported`);
    } else if (c.is('partitioned')) {
      c.next();
      c.expect('by');
      c.expect('(');
      do stmt.partitionedBy.push(c.ident('a column name'));
      while (c.accept(','));
      c.expect(')');
    } else if (c.accept('tblproperties')) {
      Object.assign(stmt.properties, parseProperties(c));
    } else if (c.accept('comment')) {
      stmt.comment = c.string('a comment string');
    } else if (c.accept('location')) {
      c.fail('LOCATION is not supported: name the table by path with delta.`path` instead');
    } else if (c.accept('as')) {
      stmt.select = c.textFrom(c.i);
      if (!stmt.select) c.fail('expected a query after AS');
      return stmt;
    } else if (c.atEnd()) {
      return stmt;
    } else {
      c.fail('expected USING, PARTITIONED BY, TBLPROPERTIES, COMMENT or AS');
    }
  }
}

/**
 * COPY INTO t FROM '<folder or glob>' FILEFORMAT = CSV|JSON|PARQUET
 *   [FORMAT_OPTIONS ('k' = 'v', ...)] [COPY_OPTIONS ('mergeSchema' = 'true', 'force' = 'false')]
 */
function parseCopyInto(c: TokenCursor): Statement {
  c.i += 2;
  const table = parseTableName(c);
  c.expect('from', 'FROM');
  const source = c.string("the source folder or glob as a string, e.g. FROM 'landing/orders/'");
  let format: string | undefined;
  let formatOptions: Record<string, string> = {};
  let copyOptions: Record<string, string> = {};
  while (!c.atEnd() && !c.is(';')) {
    if (c.accept('fileformat')) {
      c.expect('=');
      format = c.ident('CSV, JSON or PARQUET').toLowerCase();
      if (!['csv', 'json', 'parquet'].includes(format)) c.fail('FILEFORMAT must be CSV, JSON or PARQUET');
    } else if (c.accept('format_options')) formatOptions = parseProperties(c);
    else if (c.accept('copy_options')) copyOptions = parseProperties(c);
    else c.fail('expected FILEFORMAT, FORMAT_OPTIONS or COPY_OPTIONS');
  }
  if (!format) c.fail('COPY INTO needs FILEFORMAT = CSV, JSON or PARQUET');
  return { kind: 'copy-into', table, source, format: format!, formatOptions, copyOptions };
}

function parseColumnList(c: TokenCursor): StructField[] {
  c.expect('(');
  if (c.accept(')')) return [];
  const fields = parseColumnDefs(c);
  c.expect(')');
  return fields;
}

/** `name type [NOT NULL] [COMMENT '...'], ...` */
function parseColumnDefs(c: TokenCursor): StructField[] {
  const fields: StructField[] = [];
  do fields.push(parseColumnDef(c));
  while (c.accept(','));
  return fields;
}

/** One column definition: name type [NOT NULL | NULL] [COMMENT '...']. */
export function parseColumnDef(c: TokenCursor): StructField {
  const name = c.ident('a column name');
  const type = parseSparkType(c);
  let nullable = true;
  const metadata: Record<string, unknown> = {};
  for (;;) {
    if (c.is('not') && c.is('null', 1)) {
      c.i += 2;
      nullable = false;
    } else if (c.accept('null')) {
      nullable = true;
    } else if (c.accept('comment')) {
      metadata.comment = c.string('a comment string');
    } else {
      break;
    }
  }
  return { name, type, nullable, metadata };
}

/** ('key' = value, ...), as TBLPROPERTIES and COPY INTO's options write them. */
export function parseProperties(c: TokenCursor): Record<string, string> {
  c.expect('(');
  const props: Record<string, string> = {};
  do {
    const keyToken = c.peek();
    let key: string;
    if (keyToken?.kind === 'string') key = c.string();
    else {
      key = c.ident('a property name');
      while (c.accept('.')) key += `.${c.ident('a property name')}`;
    }
    c.accept('=');
    const v = c.next();
    if (!v) c.fail('expected a property value');
    props[key] = v!.kind === 'string' ? v!.value : v!.text;
  } while (c.accept(','));
  c.expect(')');
  return props;
}

function parseRestore(c: TokenCursor): Statement {
  c.expect('restore');
  c.accept('table');
  const table = parseTableName(c);
  c.accept('to');
  if (c.accept('version')) {
    c.expect('as');
    c.expect('of');
    const v = c.next();
    if (!v || v.kind !== 'number' || !/^\d+$/.test(v.text)) c.fail('VERSION AS OF takes a whole number');
    end(c);
    return { kind: 'restore', table, version: Number(v!.text) };
  }
  c.expect('timestamp', "VERSION AS OF n or TIMESTAMP AS OF '...'");
  c.expect('as');
  c.expect('of');
  const timestamp = c.string("a timestamp such as '2026-01-31 12:00:00'");
  end(c);
  return { kind: 'restore', table, timestamp };
}

function parseVacuum(c: TokenCursor): Statement {
  c.expect('vacuum');
  const table = parseTableName(c);
  let retainHours: number | undefined;
  let dryRun = false;
  while (!c.atEnd()) {
    if (c.accept('retain')) {
      const n = c.next();
      if (!n || n.kind !== 'number') c.fail('RETAIN takes a number of hours');
      retainHours = Number(n!.text);
      c.expect('hours');
    } else if (c.is('dry') && c.is('run', 1)) {
      c.i += 2;
      dryRun = true;
    } else {
      c.fail('expected RETAIN n HOURS or DRY RUN');
    }
  }
  return { kind: 'vacuum', table, retainHours, dryRun };
}

const PREDICATE_WORDS = new Set([
  'and',
  'or',
  'not',
  'in',
  'is',
  'null',
  'between',
  'like',
  'ilike',
  'true',
  'false',
  'date',
  'timestamp',
  'cast',
  'as',
  'interval',
]);

function parseOptimize(c: TokenCursor): Statement {
  c.expect('optimize');
  const table = parseTableName(c);
  let where: string | undefined;
  const whereColumns: string[] = [];
  const zOrderBy: string[] = [];
  if (c.accept('where')) {
    const start = c.i;
    while (!c.atEnd() && !(c.is('zorder') && c.is('by', 1))) {
      const t = c.next()!;
      const isColumn = (t.kind === 'ident' && !PREDICATE_WORDS.has(t.value.toLowerCase())) || t.kind === 'quoted';
      if (isColumn && c.peek()?.text !== '(') whereColumns.push(t.value);
    }
    where = c.textFrom(start, c.i);
    if (!where) c.fail('expected a predicate after WHERE');
  }
  if (c.is('zorder') && c.is('by', 1)) {
    c.i += 2;
    c.expect('(');
    do zOrderBy.push(c.ident('a column name'));
    while (c.accept(','));
    c.expect(')');
  }
  end(c);
  return { kind: 'optimize', table, where, whereColumns, zOrderBy };
}

function parseAlter(c: TokenCursor): Statement {
  c.expect('alter');
  c.expect('table');
  const table = parseTableName(c);
  if (c.accept('add')) {
    if (c.accept('constraint')) {
      const name = c.ident('a constraint name');
      c.expect('check');
      c.expect('(');
      const startIdx = c.i;
      let depth = 1;
      while (!c.atEnd() && depth > 0) {
        const t = c.next()!;
        if (t.text === '(') depth++;
        if (t.text === ')') depth--;
      }
      if (depth !== 0) c.fail('unbalanced parentheses in CHECK');
      const expr = c.textFrom(startIdx, c.i - 1);
      end(c);
      return { kind: 'alter-add-constraint', table, name, expr };
    }
    if (!c.accept('columns')) c.expect('column', 'COLUMNS or CONSTRAINT');
    const columns = c.is('(') ? parseColumnList(c) : parseColumnDefs(c);
    end(c);
    return { kind: 'alter-add-columns', table, columns };
  }
  if (c.accept('drop')) {
    c.expect('constraint');
    let ifExists = false;
    if (c.accept('if')) {
      c.expect('exists');
      ifExists = true;
    }
    const name = c.ident('a constraint name');
    end(c);
    return { kind: 'alter-drop-constraint', table, name, ifExists };
  }
  if (c.accept('set')) {
    c.expect('tblproperties');
    const properties = parseProperties(c);
    end(c);
    return { kind: 'alter-set-properties', table, properties };
  }
  if (c.accept('unset')) {
    c.expect('tblproperties');
    let ifExists = false;
    if (c.accept('if')) {
      c.expect('exists');
      ifExists = true;
    }
    c.expect('(');
    const keys: string[] = [];
    do {
      if (c.peek()?.kind === 'string') keys.push(c.string());
      else {
        let key = c.ident('a property name');
        while (c.accept('.')) key += `.${c.ident('a property name')}`;
        keys.push(key);
      }
    } while (c.accept(','));
    c.expect(')');
    end(c);
    return { kind: 'alter-unset-properties', table, keys, ifExists };
  }
  return c.fail('expected ADD COLUMNS, ADD CONSTRAINT, DROP CONSTRAINT, SET TBLPROPERTIES or UNSET TBLPROPERTIES');
}
