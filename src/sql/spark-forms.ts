// The Spark forms other than function calls that the rewrite (spark.ts) turns into DuckDB's:
// string literals DuckDB would read otherwise, typed literals (1L), 0-based subscripts,
// SELECT * EXCEPT, NULL ordering in sort keys, and the words that are calls only in some places.
import { quoteLiteral } from '../engine/index.js';
import { isWord } from './spark-call.js';
import type { Token } from '../dialect/index.js';

/** Words after which `[` starts a list literal (DuckDB's), not a subscript. */
const BEFORE_LIST = new Set(
  'select where and or not in then else when case as by on return values is like having distinct all any some'.split(
    ' ',
  ),
);

/**
 * The index of the `]` closing a subscript at `i` that Spark counts from 0 (`arr[0]` is the first
 * element; DuckDB's first is [1]): `[` right after an expression, its index not a string literal
 * (a map key) nor a slice (`[1:2]`). Undefined for anything else. (Maps with integer keys are
 * read with element_at(map, key), which takes the key as it is.)
 */
export function zeroBasedIndex(tokens: Token[], i: number, to: number): number | undefined {
  if (tokens[i].text !== '[') return undefined;
  const prev = tokens[i - 1];
  const afterExpression =
    prev !== undefined &&
    (prev.text === ')' ||
      prev.text === ']' ||
      prev.kind === 'quoted' ||
      (prev.kind === 'ident' && !BEFORE_LIST.has(prev.value.toLowerCase())));
  if (!afterExpression) return undefined;
  const close = matching(tokens, i, to);
  if (close <= i + 1) return undefined;
  const inner = tokens.slice(i + 1, close);
  // A text or a non-integral number is a map key.
  if (
    inner.length === 1 &&
    (inner[0].kind === 'string' || (inner[0].kind === 'number' && !/^\d+$/.test(inner[0].text)))
  )
    return undefined;
  let depth = 0;
  for (const t of inner) {
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') depth--;
    else if (depth === 0 && (t.text === ':' || t.text === ',')) return undefined;
  }
  return close;
}

/**
 * A number with Spark's type suffix written right after it (SqlBaseLexer.g4: BIGINT_LITERAL `1L`,
 * SMALLINT_LITERAL `1S`, TINYINT_LITERAL `1Y`, DOUBLE_LITERAL `1.5D`, FLOAT_LITERAL `1.5F`,
 * BIGDECIMAL_LITERAL `1.50BD`), as a typed DuckDB literal; undefined for anything else.
 */
export function typedLiteral(t: Token, next: Token | undefined): string | undefined {
  if (t.kind !== 'number' || next?.kind !== 'ident' || next.start !== t.end) return undefined;
  const suffix = next.value.toUpperCase();
  const integral = /^\d+$/.test(t.text);
  const types: Record<string, string | undefined> = {
    L: integral ? 'BIGINT' : undefined,
    S: integral ? 'SMALLINT' : undefined,
    Y: integral ? 'TINYINT' : undefined,
    D: 'DOUBLE',
    F: 'FLOAT',
  };
  if (suffix === 'BD' && /^(\d+\.?\d*|\.\d+)$/.test(t.text)) {
    // BigDecimal's precision and scale: 1.50 is decimal(3,2), 0.05 is decimal(2,2).
    const [whole, fraction = ''] = t.text.split('.');
    const digits = (whole + fraction).replace(/^0+/, '') || '0';
    const scale = fraction.length;
    return `CAST(${t.text} AS DECIMAL(${Math.max(digits.length, scale, 1)}, ${scale}))`;
  }
  const type = types[suffix];
  return type === undefined ? undefined : `CAST(${t.text} AS ${type})`;
}

/**
 * Spark's typed string literals DuckDB does not have: TIMESTAMP_NTZ '...' (a timestamp without
 * time zone), TIMESTAMP_LTZ '...' (with the session's), X'00FF' (binary, from hex digits) —
 * Spark's SqlBaseParser `literalType`, `constant` rules.
 */
export function typedStringLiteral(t: Token, next: Token | undefined): string | undefined {
  if (t.kind !== 'ident' || next?.kind !== 'string') return undefined;
  const word = t.value.toLowerCase();
  if (word === 'timestamp_ntz') return `CAST(${quoteLiteral(next.value)} AS TIMESTAMP)`;
  if (word === 'timestamp_ltz') return `CAST(${quoteLiteral(next.value)} AS TIMESTAMPTZ)`;
  if (word === 'x' && next.start === t.end && /^([0-9a-fA-F]{2})*$/.test(next.value))
    return `from_hex(${quoteLiteral(next.value)})`;
  return undefined;
}

/** `*` (or `t.*`) followed by EXCEPT ( — Databricks' star with columns left out, not the set operator. */
export function starExcept(tokens: Token[], i: number): boolean {
  return tokens[i].text === '*' && isWord(tokens[i + 1], 'except') && tokens[i + 2]?.text === '(';
}

/** Per token list: the end offsets of sort keys that get NULLS FIRST (sortKeysNullsFirst). */
export const NULLS_FIRST = new WeakMap<Token[], Set<number>>();

/** Words that end an ORDER BY list. */
const SORT_LIST_END = new Set(
  'limit offset fetch rows range groups window qualify union except intersect minus having for'.split(' '),
);

/**
 * Spark sorts NULLs first in ascending order and last in descending order unless NULLS FIRST or
 * LAST is written (Spark's SortOrder: `Ascending` defaults to NullsFirst, `Descending` to
 * NullsLast); DuckDB sorts them last in both. The end offsets of the ascending sort keys of every
 * ORDER BY (queries, windows, aggregates) that say nothing of NULLs: NULLS FIRST goes after each.
 */
export function sortKeysNullsFirst(tokens: Token[]): Set<number> {
  const out = new Set<number>();
  for (let i = 0; i + 1 < tokens.length; i++) {
    if (!(isWord(tokens[i], 'order') && isWord(tokens[i + 1], 'by'))) continue;
    let depth = 0;
    let first = i + 2;
    for (let j = i + 2; j <= tokens.length; j++) {
      const t = tokens[j];
      const text = t?.text;
      const ends =
        t === undefined ||
        text === ';' ||
        (depth === 0 &&
          (text === ')' ||
            text === ']' ||
            text === ',' ||
            (t.kind === 'ident' && SORT_LIST_END.has(t.value.toLowerCase()))));
      if (!ends) {
        if (text === '(' || text === '[') depth++;
        else if (text === ')' || text === ']') depth--;
        continue;
      }
      const key = tokens.slice(first, j);
      const last = key[key.length - 1];
      const explicit = key.length >= 2 && isWord(key[key.length - 2], 'nulls');
      const all = key.length === 1 && isWord(last, 'all');
      if (last && !explicit && !all && !isWord(last, 'desc')) out.add(last.end);
      if (text !== ',') break;
      first = j + 1;
    }
  }
  return out;
}

/**
 * A string literal DuckDB would read differently: double-quoted (an identifier to DuckDB), raw,
 * with a backslash escape, or followed by another literal (Spark concatenates them).
 */
export function sparkOnlyString(t: Token, next: Token | undefined): boolean {
  return t.text[0] !== "'" || t.text.includes('\\') || next?.kind === 'string';
}

/**
 * Words that are a Spark function before `(` only in some places: FILTER (WHERE ...) after an
 * aggregate, EXISTS (SELECT ...), x = ANY (...) / SOME (...).
 */
export function notACall(name: string, prev: Token | undefined, first: Token | undefined): boolean {
  if (name === 'filter') return isWord(first, 'where');
  if (name === 'exists') return isWord(first, 'select') || isWord(first, 'with') || first?.text === '(';
  if (name === 'any' || name === 'some') return prev?.kind === 'op' || isWord(first, 'select');
  return false;
}

/** Index of the parenthesis closing the one at `open`, or -1. */
export function matching(tokens: Token[], open: number, to: number): number {
  let depth = 0;
  for (let j = open; j < to; j++) {
    const x = tokens[j].text;
    if (x === '(' || x === '[' || x === '{') depth++;
    else if (x === ')' || x === ']' || x === '}') {
      depth--;
      if (depth === 0) return j;
    }
  }
  return -1;
}

/** Words that end a GROUP BY list. */
const GROUP_LIST_END = new Set(
  'having order limit offset window qualify union except intersect minus sort cluster distribute'.split(' '),
);

/**
 * `GROUP BY a, b WITH ROLLUP | WITH CUBE` (Spark's older form) at `i` (the GROUP token): the range
 * of the list (tokens [from, to)), its kind, and the index after WITH ROLLUP/CUBE; DuckDB writes
 * it GROUP BY ROLLUP (a, b). Undefined for any other GROUP BY.
 */
export function groupByWith(
  tokens: Token[],
  i: number,
  end: number,
): { from: number; to: number; kind: 'ROLLUP' | 'CUBE'; next: number } | undefined {
  if (!(isWord(tokens[i], 'group') && isWord(tokens[i + 1], 'by'))) return undefined;
  let depth = 0;
  let j = i + 2;
  for (; j < end; j++) {
    const t = tokens[j];
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') {
      if (depth === 0) break;
      depth--;
    } else if (depth === 0 && (t.text === ';' || (t.kind === 'ident' && GROUP_LIST_END.has(t.value.toLowerCase()))))
      break;
    else if (depth === 0 && isWord(t, 'with') && (isWord(tokens[j + 1], 'rollup') || isWord(tokens[j + 1], 'cube')))
      return {
        from: i + 2,
        to: j,
        kind: isWord(tokens[j + 1], 'rollup') ? 'ROLLUP' : 'CUBE',
        next: j + 2,
      };
  }
  return undefined;
}

/** Databricks-only functions (AI functions, vector search, HTTP): one clear message instead of DuckDB's. */
export function databricksOnly(name: string): boolean {
  return (
    /^ai_[a-z_]+$/.test(name) ||
    ['vector_search', 'http_request', 'read_kafka', 'read_kinesis', 'read_pubsub', 'secret'].includes(name)
  );
}

/** Words after FROM VALUES rows that end them (an alias would come first). */
const AFTER_VALUES = new Set(
  'where group order limit having window union except intersect join left right inner full cross qualify'.split(' '),
);

/**
 * `FROM VALUES (1, 'a'), (2, 'b')` or `FROM VALUES 1, 2` with no alias, at `i` (the VALUES token):
 * Spark names the columns col1, col2, … (DuckDB would name them col0, col1, …). Returns the rows'
 * token ranges, the number of columns and the index after the rows; undefined for anything else.
 */
export function fromValues(
  tokens: Token[],
  i: number,
  end: number,
  matchingParen: (open: number) => number,
): { rows: [number, number][]; columns: number; next: number } | undefined {
  if (!isWord(tokens[i], 'values') || !isWord(tokens[i - 1], 'from')) return undefined;
  const rows: [number, number][] = [];
  let columns = 0;
  let j = i + 1;
  for (;;) {
    const t = tokens[j];
    if (!t || j >= end) return undefined;
    if (t.text === '(') {
      const close = matchingParen(j);
      if (close < 0) return undefined;
      let depth = 0;
      let n = 1;
      for (let k = j + 1; k < close; k++) {
        const x = tokens[k].text;
        if (x === '(' || x === '[') depth++;
        else if (x === ')' || x === ']') depth--;
        else if (x === ',' && depth === 0) n++;
      }
      if (columns !== 0 && n !== columns) return undefined;
      columns = n;
      rows.push([j + 1, close]);
      j = close + 1;
    } else if (
      t.kind === 'number' ||
      t.kind === 'string' ||
      isWord(t, 'null') ||
      isWord(t, 'true') ||
      isWord(t, 'false')
    ) {
      if (columns > 1) return undefined;
      columns = 1;
      rows.push([j, j + 1]);
      j++;
    } else return undefined;
    if (tokens[j]?.text !== ',' || j >= end) break;
    j++;
  }
  const after = tokens[j];
  // An alias (AS t, or a name) names the columns itself: left as written.
  if (
    after &&
    j < end &&
    (isWord(after, 'as') ||
      (after.kind === 'ident' && !AFTER_VALUES.has(after.value.toLowerCase())) ||
      after.kind === 'quoted')
  )
    return undefined;
  return { rows, columns, next: j };
}

/**
 * Spark's `range(end)`, `range(start, end[, step[, numPartitions]])` table-valued function after
 * FROM or JOIN, at `i`: its column is `id` (DuckDB's `range` table function names it `range`).
 * Returns the index of its closing parenthesis and whether an alias follows.
 */
export function rangeTable(
  tokens: Token[],
  i: number,
  matchingParen: (open: number) => number,
): { close: number; aliased: boolean } | undefined {
  if (!isWord(tokens[i], 'range') || tokens[i + 1]?.text !== '(') return undefined;
  if (!isWord(tokens[i - 1], 'from') && !isWord(tokens[i - 1], 'join')) return undefined;
  const close = matchingParen(i + 1);
  if (close < 0) return undefined;
  const next = tokens[close + 1];
  const aliased =
    next !== undefined &&
    (isWord(next, 'as') ||
      ((next.kind === 'ident' || next.kind === 'quoted') &&
        !AFTER_VALUES.has(next.value.toLowerCase()) &&
        !['on', 'using', 'natural', 'lateral', 'tablesample', 'pivot', 'unpivot'].includes(next.value.toLowerCase())));
  return { close, aliased };
}

/**
 * `FROM parquet.\`path\``, `json.\`path\``, `csv.\`path\`` at `i`: Spark's file sources by path, as the
 * read_files call that reads them (csv with Spark's defaults for this form: no header, columns
 * _c0, _c1, ...), without read_files' `_rescued_data` (Databricks' read_files and Auto Loader add
 * it; Spark's direct file query has the files' columns only). The form spans tokens i to i + 2.
 */
export function filePathSource(tokens: Token[], i: number): string | undefined {
  const t = tokens[i];
  const format = t.kind === 'ident' ? t.value.toLowerCase() : '';
  if (!['parquet', 'json', 'csv'].includes(format)) return undefined;
  const quoted = tokens[i + 2];
  if (tokens[i + 1]?.text !== '.' || quoted?.kind !== 'quoted' || !quoted.text.startsWith('`')) return undefined;
  if (!isWord(tokens[i - 1], 'from') && !isWord(tokens[i - 1], 'join') && tokens[i - 1]?.text !== ',') return undefined;
  const header = format === 'csv' ? ', header => false' : '';
  return `(SELECT * EXCLUDE (_rescued_data) FROM read_files(${quoteLiteral(quoted.value)}, format => '${format}'${header}))`;
}

/**
 * What Strata refuses at `i`, in one sentence: a Databricks-only function (it needs Databricks'
 * services), or a WATERMARK clause (`FROM STREAM(t) WATERMARK ts DELAY OF INTERVAL 10 MINUTES`:
 * event-time watermarks, which only stateful streaming operators need, and Strata has none).
 */
export function unsupportedForm(tokens: Token[], i: number): string | undefined {
  const t = tokens[i];
  if (t.kind !== 'ident' || tokens[i - 1]?.text === '.') return undefined;
  if (tokens[i + 1]?.text === '(' && databricksOnly(t.value.toLowerCase()))
    return `${t.value} is a Databricks-only function (it needs Databricks' services); Strata cannot run it`;
  if (isWord(t, 'watermark') && isWord(tokens[i + 2], 'delay') && isWord(tokens[i + 3], 'of'))
    return (
      'WATERMARK is not supported: Strata has no stateful streaming (aggregations, deduplication or joins bounded by event ' +
      'time); aggregate in a MATERIALIZED VIEW, or keep one row per key with AUTO CDC'
    );
  return undefined;
}
