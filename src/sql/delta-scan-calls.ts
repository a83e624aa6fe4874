// Finding delta_scan('<path>'[, version => N | timestamp => '...']) in SQL text,
// the name DuckDB's own delta extension uses, so queries carry over.
import { UserSqlError } from '../core/index.js';
import { isKeyword, lineColumn, tokenize, type Token } from '../dialect/index.js';

export interface DeltaScanCall {
  path: string;
  version?: number;
  timestamp?: string;
  /** Text range of the call, `delta_scan` to the closing parenthesis. */
  start: number;
  end: number;
  /** Whether an alias follows the call. */
  hasAlias: boolean;
}

/** Words that can follow a table reference and are not an alias. */
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
  'using',
  'returning',
  'lateral',
  'pivot',
  'unpivot',
  'with',
  'fetch',
  'for',
  'then',
  'when',
  'else',
  'end',
]);

/** Whether the token after a call starts an alias (`AS x`, `x`, `"x"`). */
export function aliasFollows(after: Token | undefined): boolean {
  return (
    after !== undefined &&
    (isKeyword(after, 'as') ||
      after.kind === 'quoted' ||
      (after.kind === 'ident' && !NOT_ALIAS.has(after.value.toLowerCase())))
  );
}

/** A thrower of errors about a call of `fn`, naming the line and column of a token. */
function callError(sql: string, fn: string): (token: Token | undefined, what: string) => never {
  return (token, what) => {
    const pos = lineColumn(sql, token?.start ?? sql.length);
    throw new UserSqlError(`${fn} at line ${pos.line}, column ${pos.column}: ${what}`);
  };
}

export function findDeltaScanCalls(sql: string): DeltaScanCall[] {
  const tokens = tokenize(sql);
  const calls: DeltaScanCall[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (!isKeyword(tokens[i], 'delta_scan') || tokens[i + 1]?.text !== '(') continue;
    if (tokens[i - 1]?.text === '.') continue; // some_schema.delta_scan: not ours
    const call = parseCall(sql, tokens, i);
    calls.push(call.call);
    i = call.next - 1;
  }
  return calls;
}

function parseCall(sql: string, tokens: Token[], at: number): { call: DeltaScanCall; next: number } {
  const fail = callError(sql, 'delta_scan');
  let i = at + 2;
  const pathToken = tokens[i];
  if (pathToken?.kind !== 'string')
    fail(
      pathToken,
      "the first argument must be the table path as a string literal, e.g. delta_scan('lake/silver/orders')",
    );
  const call: DeltaScanCall = { path: pathToken.value, start: tokens[at].start, end: 0, hasAlias: false };
  i++;
  while (tokens[i]?.text === ',') {
    const name = tokens[i + 1];
    const arrow = tokens[i + 2];
    const value = tokens[i + 3];
    if (!name || name.kind !== 'ident' || (arrow?.text !== '=>' && arrow?.text !== ':='))
      fail(name, 'expected a named argument such as version => 3');
    const key = name.value.toLowerCase();
    if (key === 'version') {
      if (value?.kind !== 'number' || !/^\d+$/.test(value.text)) fail(value, 'version must be a whole number');
      call.version = Number(value.text);
    } else if (key === 'timestamp') {
      if (value?.kind !== 'string')
        fail(value, "timestamp must be a string literal, e.g. timestamp => '2026-01-31 12:00:00'");
      call.timestamp = value.value;
    } else {
      fail(name, `unknown argument '${name.value}' (delta_scan takes version => N or timestamp => '...')`);
    }
    i += 4;
  }
  if (tokens[i]?.text !== ')') fail(tokens[i], 'expected )');
  call.end = tokens[i].end;
  call.hasAlias = aliasFollows(tokens[i + 1]);
  return { call, next: i + 1 };
}

export interface TableChangesCall {
  table: string;
  from: number;
  to?: number;
  start: number;
  end: number;
  hasAlias: boolean;
}

/** table_changes('<table name or path>', fromVersion[, toVersion]), Databricks' function. */
export function findTableChangesCalls(sql: string): TableChangesCall[] {
  const tokens = tokenize(sql);
  const out: TableChangesCall[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (!isKeyword(tokens[i], 'table_changes') || tokens[i + 1]?.text !== '(' || tokens[i - 1]?.text === '.') continue;
    const fail = callError(sql, 'table_changes');
    const name = tokens[i + 2];
    if (name?.kind !== 'string')
      fail(
        name,
        "the first argument must be the table name or path as a string, e.g. table_changes('silver.orders', 3)",
      );
    if (tokens[i + 3]?.text !== ',' || tokens[i + 4]?.kind !== 'number')
      fail(tokens[i + 4], 'the second argument must be the first version, a whole number');
    const call: TableChangesCall = {
      table: name.value,
      from: Number(tokens[i + 4].text),
      start: tokens[i].start,
      end: 0,
      hasAlias: false,
    };
    let j = i + 5;
    if (tokens[j]?.text === ',') {
      if (tokens[j + 1]?.kind !== 'number')
        fail(tokens[j + 1], 'the third argument must be the last version, a whole number');
      call.to = Number(tokens[j + 1].text);
      j += 2;
    }
    if (tokens[j]?.text !== ')') fail(tokens[j], 'expected )');
    call.end = tokens[j].end;
    call.hasAlias = aliasFollows(tokens[j + 1]);
    out.push(call);
    i = j;
  }
  return out;
}

export interface ReadFilesCall {
  source: string;
  /** Named arguments as strings (format => 'csv', header => true, ...). */
  options: Record<string, string>;
  start: number;
  end: number;
  hasAlias: boolean;
}

/** read_files('<glob>'[, name => value, ...]), Databricks' table function. */
export function findReadFilesCalls(sql: string): ReadFilesCall[] {
  const tokens = tokenize(sql);
  const out: ReadFilesCall[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (!isKeyword(tokens[i], 'read_files') || tokens[i + 1]?.text !== '(' || tokens[i - 1]?.text === '.') continue;
    const fail = callError(sql, 'read_files');
    const source = tokens[i + 2];
    if (source?.kind !== 'string')
      fail(
        source,
        "the first argument must be a folder or glob as a string, e.g. read_files('landing/orders/*.csv', format => 'csv')",
      );
    const call: ReadFilesCall = { source: source.value, options: {}, start: tokens[i].start, end: 0, hasAlias: false };
    let j = i + 3;
    while (tokens[j]?.text === ',') {
      const name = tokens[j + 1];
      const arrow = tokens[j + 2];
      const value = tokens[j + 3];
      if (!name || (name.kind !== 'ident' && name.kind !== 'quoted') || (arrow?.text !== '=>' && arrow?.text !== ':='))
        fail(name, "expected a named argument such as format => 'csv'");
      if (!value || (value.kind !== 'string' && value.kind !== 'number' && value.kind !== 'ident'))
        fail(value, `the value of ${name.value} must be a literal`);
      call.options[name.value] = value.value;
      j += 4;
    }
    if (tokens[j]?.text !== ')') fail(tokens[j], 'expected )');
    call.end = tokens[j].end;
    call.hasAlias = aliasFollows(tokens[j + 1]);
    out.push(call);
    i = j;
  }
  return out;
}
