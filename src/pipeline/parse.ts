// Parsing Lakeflow Declarative Pipelines SQL (PRODUCT.md, "Pipeline SQL") into
// dataset and flow definitions. Every problem is collected with its file, line
// and column and a stable code, so that a user sees all of them at once. A
// problem is thrown inside as a LocatedError placed in the file, and collected.
import { LocatedError, type Where } from '../core/index.js';
import { TokenCursor, lineColumn, tokenize, type Token } from '../dialect/index.js';
import { ansiFrom, sparkToDuckdb, parseColumnDef, parseProperties, type WrittenSql } from '../sql/index.js';
import { parseCdc, type CdcSpec } from './cdc-parse.js';

export type {
  Where,
  DatasetKind,
  ViolationAction,
  Expectation,
  DatasetDefinition,
  FlowDefinition,
  Problem,
  PipelineSetting,
  ParsedFile,
} from './definitions.js';
import type {
  DatasetDefinition,
  DatasetKind,
  FlowDefinition,
  ParsedFile,
  PipelineSetting,
  Problem,
  ViolationAction,
} from './definitions.js';

/**
 * Where the cells of a notebook exported by Databricks (`-- Databricks notebook source`) start:
 * the offsets of its `-- COMMAND ----------` lines. A statement ends at a cell's end, with or
 * without a semicolon; `-- MAGIC` lines (markdown and other languages' cells) are comments.
 */
function cellBreaks(text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(/^[ \t]*-- COMMAND -{5,}[ \t]*\r?$/gm)) out.push(m.index);
  return out;
}

/** Parses one pipeline .sql file. `file` names it in messages. */
export function parsePipelineSql(text: string, file: string, options: { ansi?: boolean } = {}): ParsedFile {
  const out: ParsedFile = { datasets: [], flows: [], settings: [], problems: [] };
  let tokens: Token[];
  try {
    tokens = tokenize(text, { spark: true });
  } catch (err) {
    if (!(err instanceof LocatedError)) throw err;
    out.problems.push(problemOf(err.inFile(file, text)));
    return out;
  }
  // Statements end at top-level semicolons, and at the end of a notebook cell.
  let start = 0;
  let depth = 0;
  const statements: Token[][] = [];
  const breaks = cellBreaks(text);
  let cell = 0;
  tokens.forEach((t, i) => {
    while (cell < breaks.length && breaks[cell] < t.start) {
      if (i > start) statements.push(tokens.slice(start, i));
      start = i;
      depth = 0;
      cell++;
    }
    if (t.text === '(') depth++;
    else if (t.text === ')') depth--;
    else if (t.text === ';' && depth === 0) {
      statements.push(tokens.slice(start, i));
      start = i + 1;
    }
  });
  statements.push(tokens.slice(start));
  for (const st of statements) {
    if (st.length === 0) continue;
    const [datasets, flows] = [out.datasets.length, out.flows.length];
    try {
      parseStatement(text, file, st, out, options.ansi ?? true);
      // What the SETs above it in the file set, as Databricks gives a dataset defined after a SET.
      const settings = Object.fromEntries(out.settings.map((x) => [x.key, x.value]));
      for (const d of out.datasets.slice(datasets)) d.settings = settings;
      for (const f of out.flows.slice(flows)) f.settings = settings;
    } catch (err) {
      if (err instanceof LocatedError && err.where) out.problems.push(problemOf(err));
      else
        out.problems.push({
          code: 'SYNTAX',
          message: (err as Error).message.replace(/^syntax error at line \d+, column \d+/, 'syntax error'),
          where: at(text, file, st[0].start),
        });
    }
  }
  return out;
}

/**
 * The kind a CREATE names, after CREATE [OR REFRESH | OR REPLACE]:
 * STREAMING [LIVE] TABLE; [TEMPORARY | PRIVATE] STREAMING TABLE (not published on Databricks: a
 * streaming table here); MATERIALIZED VIEW and LIVE TABLE; [TEMPORARY] [LIVE] VIEW and STREAMING
 * LIVE VIEW (views of the pipeline: Strata keeps no views outside it, so a published CREATE VIEW
 * is read inside the pipeline only).
 */
function datasetKind(c: TokenCursor): DatasetKind | undefined {
  // (TEMPORARY / PRIVATE: not published on Databricks; the same dataset here.)
  void (c.accept('temporary') || c.accept('temp') || c.accept('private'));
  if (c.accept('streaming')) {
    c.accept('live');
    if (c.accept('view')) return 'temporary-view';
    c.expect('table', 'TABLE or VIEW');
    return 'streaming-table';
  }
  if (c.accept('materialized')) {
    c.expect('view', 'VIEW');
    return 'materialized-view';
  }
  const live = c.accept('live');
  // The older DLT names: LIVE TABLE (a materialized view), LIVE VIEW (a temporary view).
  if (live && c.accept('table')) return 'materialized-view';
  if (c.accept('view')) return 'temporary-view';
  return undefined;
}

/** `SET key = value` (Spark's form: the key a dotted name, the value the rest of the statement, quotes taken off). */
function parseSet(
  text: string,
  c: TokenCursor,
  tokens: Token[],
  where: Where,
  fail: (message: string) => never,
): PipelineSetting {
  const eq = tokens.findIndex((t) => t.text === '=');
  if (eq < 2) fail('expected SET key = value');
  const key = tokens
    .slice(c.i, eq)
    .map((t) => (t.kind === 'quoted' ? t.value : t.text))
    .join('');
  const rest = tokens.slice(eq + 1);
  const value =
    rest.length === 1 && rest[0].kind === 'string'
      ? rest[0].value
      : rest.length === 0
        ? ''
        : text.slice(rest[0].start, rest[rest.length - 1].end).trim();
  return { key, value, where };
}

/** A LocatedError placed in a file as a problem: SYNTAX, or UNSUPPORTED for Spark SQL we do not support. */
function problemOf(err: LocatedError): Problem {
  return { code: err.code === 'SQL_UNSUPPORTED' ? 'UNSUPPORTED' : 'SYNTAX', message: err.detail, where: err.where! };
}

/** Spark SQL in a piece of the file (at `offset`) as DuckDB SQL; what cannot be is a problem placed in the file. */
function spark(text: string, file: string, piece: string, offset: number, ansi: boolean): string {
  try {
    return sparkToDuckdb(piece, { ansi });
  } catch (err) {
    if (!(err instanceof LocatedError)) throw err;
    throw err.inFile(file, text, offset);
  }
}

/** A piece of the file as written, with where it starts. */
function written(text: string, file: string, piece: string, offset: number): WrittenSql {
  return { sql: piece, where: at(text, file, offset) };
}

function at(text: string, file: string, offset: number): Where {
  const { line, column } = lineColumn(text, offset);
  return { file, line, column };
}

function parseStatement(text: string, file: string, tokens: Token[], out: ParsedFile, ansiDefault: boolean): void {
  const c = new TokenCursor(text, tokens);
  const fail = (message: string, token = c.peek()): never => {
    throw new LocatedError('SQL_SYNTAX', message, {
      where: at(text, file, token?.start ?? tokens[tokens.length - 1].end),
    });
  };
  const where = at(text, file, tokens[0].start);
  if (c.accept('set')) {
    const setting = parseSet(text, c, tokens, where, fail);
    try {
      ansiFrom([[setting.key, setting.value]]);
    } catch (err) {
      fail((err as Error).message, tokens[0]);
    }
    out.settings.push(setting);
    return;
  }
  // ANSI mode as the pipeline's configuration and the SETs above set it.
  const ansi = ansiFrom(
    out.settings.map((x) => [x.key, x.value]),
    ansiDefault,
  );
  // APPLY CHANGES INTO LIVE.t ... (the older form): a flow named after its target.
  if (c.is('apply') && c.is('changes', 1)) {
    c.i += 2;
    out.flows.push(cdcFlow(text, file, c, tokens, undefined, where, ansi));
    return;
  }
  if (!c.accept('create'))
    fail(`expected CREATE (a pipeline file holds CREATE ... statements), found '${c.peek()?.text}'`);
  if (c.accept('or')) {
    if (!c.accept('refresh') && !c.accept('replace')) fail('expected REFRESH after CREATE OR');
  }
  // CREATE FLOW name AS INSERT INTO t BY NAME SELECT ... | AS AUTO CDC INTO ...
  if (c.accept('flow')) {
    const name = qualifiedName(c);
    c.expect('as', 'AS');
    if (c.accept('insert')) {
      c.expect('into', 'INTO');
      const target = qualifiedName(c);
      c.accept('by') && c.expect('name', 'NAME');
      const queryStart = c.peek();
      if (!queryStart) fail('expected the SELECT that feeds the flow');
      const query = text.slice(queryStart!.start, tokens[tokens.length - 1].end);
      out.flows.push({
        name,
        kind: 'append',
        target,
        where,
        query: spark(text, file, query, queryStart!.start, ansi),
        queryOffset: queryStart!.start,
        written: [written(text, file, query, queryStart!.start)],
      });
      return;
    }
    if ((c.accept('auto') && c.accept('cdc')) || (c.accept('apply') && c.accept('changes'))) {
      out.flows.push(cdcFlow(text, file, c, tokens, name, where, ansi));
      return;
    }
    fail('expected INSERT INTO or AUTO CDC INTO after CREATE FLOW ... AS');
  }
  const kind = datasetKind(c);
  if (!kind) fail('expected STREAMING TABLE, MATERIALIZED VIEW, [TEMPORARY] VIEW or FLOW after CREATE [OR REFRESH]');
  if (c.is('if') && c.is('not', 1) && c.is('exists', 2)) c.i += 3;
  const nameToken = c.peek();
  const name = qualifiedName(c);
  const def: DatasetDefinition = {
    kind: kind!,
    name,
    where: at(text, file, nameToken!.start),
    columns: [],
    expectations: [],
    partitionedBy: [],
    properties: {},
    written: [],
  };
  if (c.accept('(')) {
    if (!c.accept(')')) {
      do {
        if (c.accept('constraint')) {
          const cname = c.ident('a constraint name');
          c.expect('expect', 'EXPECT');
          const open = c.expect('(', '( after EXPECT');
          let d = 1;
          const from = c.i;
          while (!c.atEnd() && d > 0) {
            const t = c.next()!;
            if (t.text === '(') d++;
            else if (t.text === ')') d--;
          }
          if (d > 0) fail(`the EXPECT of constraint ${cname} is not closed`, open);
          const exprText = c.textFrom(from, c.i - 1);
          const expr = spark(text, file, exprText, tokens[from]?.start ?? 0, ansi);
          def.written.push(written(text, file, exprText, tokens[from]?.start ?? 0));
          let action: ViolationAction = 'warn';
          if (c.accept('on')) {
            c.expect('violation', 'VIOLATION');
            if (c.accept('drop')) {
              c.expect('row', 'ROW');
              action = 'drop';
            } else if (c.accept('fail')) {
              c.expect('update', 'UPDATE');
              action = 'fail';
            } else if (c.accept('quarantine')) action = 'quarantine';
            else fail('expected DROP ROW, FAIL UPDATE or QUARANTINE after ON VIOLATION');
          }
          if (def.expectations.some((e) => e.name.toLowerCase() === cname.toLowerCase()))
            fail(`constraint ${cname} is declared twice`);
          def.expectations.push({ name: cname, expr, text: exprText.trim(), action });
        } else def.columns.push(parseColumnDef(c));
      } while (c.accept(','));
      c.expect(')', ') to close the column list');
    }
  }
  for (;;) {
    if (c.accept('comment')) def.comment = c.string('a comment string');
    else if (c.accept('partitioned')) {
      c.expect('by', 'BY');
      c.expect('(');
      do def.partitionedBy.push(c.ident('a partition column'));
      while (c.accept(','));
      c.expect(')');
    } else if (c.accept('tblproperties')) def.properties = parseProperties(c);
    else if (c.is('using')) {
      const using = c.next()!;
      const format = c.ident('a table format');
      // Delta is the only format of a pipeline's tables (Databricks accepts USING DELTA alone too).
      if (format.toLowerCase() !== 'delta')
        fail(`USING ${format}: a pipeline's tables are Delta tables (USING DELTA)`, using);
    } else if (c.is('cluster')) {
      // Liquid clustering: refused, never ignored (the table would be laid out otherwise than declared).
      throw new LocatedError(
        'SQL_UNSUPPORTED',
        'CLUSTER BY (liquid clustering) is not supported yet: remove it, or use PARTITIONED BY (column) for a low-cardinality column',
        { where: at(text, file, c.peek()!.start) },
      );
    } else break;
  }
  if (c.accept('as')) {
    const q = c.peek();
    if (!q) fail('expected a query after AS');
    const query = text.slice(q!.start, tokens[tokens.length - 1].end);
    def.query = spark(text, file, query, q!.start, ansi);
    def.queryOffset = q!.start;
    def.written.unshift(written(text, file, query, q!.start));
  } else if (!c.atEnd()) fail(`unexpected '${c.peek()!.text}' (expected COMMENT, PARTITIONED BY, TBLPROPERTIES or AS)`);
  if (!def.query && def.kind !== 'streaming-table')
    fail(`${kindName(def.kind)} ${name} needs a query (AS SELECT ...)`, nameToken);
  out.datasets.push(def);
}

/** The clauses of an AUTO CDC / APPLY CHANGES flow, from INTO on. */
function cdcFlow(
  text: string,
  file: string,
  c: TokenCursor,
  tokens: Token[],
  name: string | undefined,
  where: Where,
  ansi: boolean,
): FlowDefinition {
  c.expect('into', 'INTO');
  const target = qualifiedName(c);
  const rest = c.peek();
  const clauses = rest ? text.slice(rest.start, tokens[tokens.length - 1].end) : '';
  let cdc: CdcSpec;
  try {
    cdc = parseCdc(clauses);
  } catch (err) {
    if (!(err instanceof LocatedError)) throw err;
    throw new LocatedError(err.code, `${name ?? target}: ${err.detail}`, { offset: err.offset ?? 0 }).inFile(
      file,
      text,
      rest?.start ?? 0,
    );
  }
  const offset = rest?.start ?? 0;
  const exprs = { sequenceBy: cdc.sequenceBy, deleteWhen: cdc.deleteWhen, truncateWhen: cdc.truncateWhen };
  for (const [k, v] of Object.entries(exprs))
    if (v !== undefined)
      (cdc as unknown as Record<string, string>)[k] = spark(
        text,
        file,
        v,
        offset + Math.max(0, clauses.indexOf(v)),
        ansi,
      );
  return {
    name: name ?? target,
    kind: 'auto-cdc',
    target,
    where,
    query: `SELECT * FROM ${cdc.source}`,
    queryOffset: offset,
    cdc,
    written: [written(text, file, clauses, offset)],
  };
}

/** `LIVE.`-prefixed or plain, one or two parts; returned without `LIVE.`. */
function qualifiedName(c: TokenCursor): string {
  const parts = [c.ident('a name')];
  while (c.accept('.')) parts.push(c.ident('a name'));
  if (parts.length > 1 && parts[0].toLowerCase() === 'live') parts.shift();
  return parts.join('.');
}

export function kindName(kind: DatasetKind): string {
  return kind === 'streaming-table'
    ? 'streaming table'
    : kind === 'materialized-view'
      ? 'materialized view'
      : 'temporary view';
}
