// Spark SQL in DuckDB queries: pipeline bodies and `strata query` are DuckDB SQL
// plus the Spark SQL functions pipelines are written with, with Spark's
// semantics (ANSI mode off: an invalid value gives NULL). This rewrites the
// text before DuckDB parses it:
//   - backtick-quoted identifiers become double-quoted ones;
//   - calls of Spark functions that DuckDB lacks, or has with other semantics,
//     become DuckDB expressions with Spark's (CAST truncating to integers and
//     giving NULL when invalid, concat giving NULL for a NULL argument, split
//     and regexp_replace with regular expressions, dayofweek from Sunday = 1,
//     datetime patterns such as `dd/MM/yyyy`, ...);
//   - `a RLIKE b` / `a REGEXP b` become a regular-expression search.
// Datetime patterns must be string literals, translated once here; a pattern
// letter, unit or form we do not support is an error naming it (a LocatedError,
// SQL_UNSUPPORTED, at its offset), never a silent difference. The functions are in
// spark-functions.ts, the datetime patterns in spark-datetime.ts.
//
// When DuckDB refuses the rewritten text, the user must read about their own:
// `userSqlFailure` words an engine failure in the user's terms (the functions
// they called, not what they became; their line, not the rewritten one).
import { LocatedError } from '../core/index.js';
import { quoteIdent, quoteLiteral } from '../engine/index.js';
import { sparkPattern } from './spark-datetime.js';
import { AGGREGATES, HANDLERS, isWord, type Arg, type Call } from './spark-functions.js';
import { tokenize, type Token } from '../dialect/index.js';
import {
  matching,
  notACall,
  NULLS_FIRST,
  sortKeysNullsFirst,
  sparkOnlyString,
  starExcept,
  typedLiteral,
  typedStringLiteral,
  zeroBasedIndex,
  groupByWith,
  unsupportedForm,
  fromValues,
  rangeTable,
  filePathSource,
} from './spark-forms.js';

import { arrayAt, divisor } from './spark-ansi.js';
import { endsOperand, leftOperandStart, primaryStart, rightOperandEnd } from './spark-operators.js';
import { jsonExtract, jsonPath } from './spark-json.js';
import { markComparison, markDivision, markIn } from './spark-decimal.js';
import { betweenAt, comparisonAt, comparisonOp, inListAt } from './spark-compare.js';
import { castStringArgs } from './spark-strings.js';
import { ITEM_NAMES, unaliasedItems } from './spark-names.js';

export { sparkPattern };

/** How to read the SQL: ANSI mode (spark-ansi.ts), on unless turned off. */
export interface TranslateOptions {
  ansi?: boolean;
}

/** What a translate knows of the token list it rewrites: ANSI mode, and the `:` tokens of `col:path` JSON extractions. */
const CONTEXT = new WeakMap<Token[], { ansi: boolean; colons: Set<number> }>();

/** The `:` tokens of `col:path` JSON extractions (not inside [...] slices or {...} literals). */
function jsonColons(tokens: Token[]): Set<number> {
  const out = new Set<number>();
  const open: string[] = [];
  tokens.forEach((t, i) => {
    if (t.text === '(' || t.text === '[' || t.text === '{') open.push(t.text);
    else if (t.text === ')' || t.text === ']' || t.text === '}') open.pop();
    else if (
      t.text === ':' &&
      open[open.length - 1] !== '[' &&
      open[open.length - 1] !== '{' &&
      endsOperand(tokens[i - 1])
    )
      out.add(i);
  });
  return out;
}

/** A call the rewrite replaced: the function as written, the call's text, and its replacement. */
export interface Rewritten {
  name: string;
  written: string;
  replacement: string;
}

/** Rewrites the Spark SQL of `sql` into DuckDB SQL (see the file's comment). */
export function sparkToDuckdb(sql: string, options: TranslateOptions = {}): string {
  return translate(sql, undefined, options);
}

/** sparkToDuckdb, telling `notes` each call it replaced. */
export function translate(sql: string, notes?: Rewritten[], options: TranslateOptions = {}): string {
  const tokens = tokenize(sql, { spark: true });
  const ansi = options.ansi ?? true;
  const nullsFirst = sortKeysNullsFirst(tokens);
  const colons = jsonColons(tokens);
  const items = unaliasedItems(tokens);
  if (
    nullsFirst.size === 0 &&
    colons.size === 0 &&
    ![...items.values()].some((x) => x.call) &&
    !tokens.some(
      (t, i) =>
        t.text.startsWith('`') ||
        (t.kind === 'string' && sparkOnlyString(t, tokens[i + 1])) ||
        starExcept(tokens, i) ||
        groupByWith(tokens, i, tokens.length) !== undefined ||
        fromValues(tokens, i, tokens.length, (open) => matching(tokens, open, tokens.length)) !== undefined ||
        rangeTable(tokens, i, (open) => matching(tokens, open, tokens.length)) !== undefined ||
        unsupportedForm(tokens, i) !== undefined ||
        zeroBasedIndex(tokens, i, tokens.length) !== undefined ||
        typedLiteral(t, tokens[i + 1]) !== undefined ||
        typedStringLiteral(t, tokens[i + 1]) !== undefined ||
        ((t.text === '/' || t.text === '%' || isWord(t, 'div')) && endsOperand(tokens[i - 1])) ||
        comparisonOp(tokens, i) !== undefined ||
        (isWord(t, 'in') && tokens[i + 1]?.text === '(') ||
        isWord(t, 'between') ||
        (t.kind === 'ident' && TRIGGERS.has(t.value.toLowerCase())),
    )
  )
    return sql;
  NULLS_FIRST.set(tokens, nullsFirst);
  ITEM_NAMES.set(tokens, items);
  CONTEXT.set(tokens, { ansi, colons });
  return rewrite(sql, tokens, 0, tokens.length, notes);
}

/** The text of tokens [from, to) with every Spark form in it rewritten. */
function rewrite(sql: string, tokens: Token[], from: number, to: number, notes?: Rewritten[]): string {
  let out = '';
  let at = from < to ? tokens[from].start : 0;
  const emit = (i: number, text: string, end: number) => {
    out += sql.slice(at, tokens[i].start) + text;
    at = end;
  };
  const nullsFirst = NULLS_FIRST.get(tokens);
  const { ansi, colons } = CONTEXT.get(tokens) ?? { ansi: true, colons: new Set<number>() };
  // Where each token's text starts in `out`, for rewrites that wrap an operand already written.
  const outAt: number[] = [];
  const wrapFrom = (k: number, i: number): string | undefined => {
    if (k < from || outAt[k] === undefined) return undefined;
    out += sql.slice(at, tokens[i].start);
    at = tokens[i].start;
    const left = out.slice(outAt[k]).trimEnd();
    out = out.slice(0, outAt[k]);
    return left;
  };
  // An unaliased select item ending at token k that the rewrite changed: named as Spark names it.
  const names = ITEM_NAMES.get(tokens);
  const nameItem = (k: number) => {
    const item = names?.get(k);
    if (!item || item.start < from || outAt[item.start] === undefined || at > tokens[k].end) return;
    out += sql.slice(at, tokens[k].end);
    at = tokens[k].end;
    if (item.call || out.slice(outAt[item.start]) !== sql.slice(tokens[item.start].start, tokens[k].end))
      out += ` AS ${quoteIdent(item.name)}`;
  };
  // NULLS FIRST after a sort key that ends where the text written so far ends.
  const sortKey = (end: number) => {
    if (!nullsFirst?.has(end) || at > end) return;
    out += `${sql.slice(at, end)} NULLS FIRST`;
    at = end;
  };
  for (let i = from; i < to; i++) {
    const t = tokens[i];
    if (i > from) {
      sortKey(tokens[i - 1].end);
      nameItem(i - 1);
    }
    if (at <= t.start) outAt[i] = out.length + (t.start - at);
    if (t.kind === 'string' && sparkOnlyString(t, tokens[i + 1])) {
      // One DuckDB literal of the value (adjacent literals concatenated, as Spark does).
      let value = t.value;
      let last = i;
      while (last + 1 < to && tokens[last + 1].kind === 'string') value += tokens[++last].value;
      emit(i, quoteLiteral(value), tokens[last].end);
      i = last;
      continue;
    }
    // FROM VALUES rows without an alias: Spark's column names col1, col2, ...
    const values = fromValues(tokens, i, to, (open) => matching(tokens, open, to));
    if (values) {
      const rows = values.rows.map(([a, b]) => `(${rewrite(sql, tokens, a, b, notes)})`).join(', ');
      const names = Array.from({ length: values.columns }, (_, k) => `col${k + 1}`).join(', ');
      emit(i, `(VALUES ${rows}) AS ${quoteIdent('values')}(${names})`, tokens[values.next - 1].end);
      i = values.next - 1;
      continue;
    }
    // FROM range(n): Spark's column is id.
    const range = rangeTable(tokens, i, (open) => matching(tokens, open, to));
    if (range && range.close < to) {
      // (A fourth argument, Spark's numPartitions, means nothing here.)
      const list = splitArgs(sql, tokens, i + 2, range.close, notes)
        .slice(0, 3)
        .map((a) => (/^-?\d+$/.test(a.sql.trim()) ? a.sql : `CAST(trunc(${a.sql}) AS BIGINT)`)) // Spark's casts to long truncate
        .join(', ');
      emit(i, `(SELECT range AS id FROM range(${list}))${range.aliased ? '' : ' AS range'}`, tokens[range.close].end);
      i = range.close;
      continue;
    }
    // GROUP BY a, b WITH ROLLUP: DuckDB's GROUP BY ROLLUP (a, b).
    const grouping = groupByWith(tokens, i, to);
    if (grouping) {
      const list = rewrite(sql, tokens, grouping.from, grouping.to, notes);
      emit(i, `GROUP BY ${grouping.kind} (${list})`, tokens[grouping.next - 1].end);
      i = grouping.next - 1;
      continue;
    }
    // Databricks-only functions, WATERMARK: said plainly.
    const unsupported = unsupportedForm(tokens, i);
    if (unsupported) throw new LocatedError('SQL_UNSUPPORTED', unsupported, { offset: t.start });
    // arr[i]: Spark counts from 0, DuckDB from 1; out of range NULL or (ANSI) an error.
    const subscriptEnd = zeroBasedIndex(tokens, i, to);
    if (subscriptEnd !== undefined) {
      const index = rewrite(sql, tokens, i + 1, subscriptEnd, notes);
      const arr = ansi ? wrapFrom(primaryStart(tokens, i - 1, from), i) : undefined;
      if (arr !== undefined) emit(i, arrayAt(arr, index, true), tokens[subscriptEnd].end);
      else emit(i, `[CASE WHEN (${index}) >= 0 THEN (${index}) + 1 END]`, tokens[subscriptEnd].end);
      i = subscriptEnd;
      continue;
    }
    // raw:path.to[0].field: JSON extraction (spark-json.ts).
    if (t.text === ':' && colons.has(i)) {
      const path = jsonPath(tokens, i, to);
      const base = path ? wrapFrom(primaryStart(tokens, i - 1, from), i) : undefined;
      if (path && base !== undefined) {
        emit(i, jsonExtract(base, path.steps), tokens[path.next - 1].end);
        i = path.next - 1;
        continue;
      }
    }
    // a = b, a < b, ...: marked for the types of its sides (a string compared with a number is
    // cast as Spark coerces it: spark-compare.ts).
    const comparison = t.kind === 'op' ? comparisonAt(tokens, i, from, to) : undefined;
    if (comparison) {
      const left = wrapFrom(comparison.left, i);
      if (left !== undefined) {
        const right = rewrite(sql, tokens, comparison.next, comparison.end, notes);
        emit(i, markComparison(left, comparison.op, right, ansi), tokens[comparison.end - 1].end);
        i = comparison.end - 1;
        continue;
      }
    }
    // x BETWEEN lo AND hi: Spark's x >= lo AND x <= hi, each comparison marked.
    const between = t.kind === 'ident' ? betweenAt(tokens, i, from, to) : undefined;
    if (between) {
      const at0 = between.not >= 0 ? between.not : i;
      const left = wrapFrom(between.left, at0);
      if (left !== undefined) {
        const [lo, hi] = [between.lower, between.upper].map(([a, b]) => rewrite(sql, tokens, a, b, notes));
        const both = `${markComparison(left, '>=', lo, ansi)} AND ${markComparison(left, '<=', hi, ansi)}`;
        emit(at0, `${between.not >= 0 ? 'NOT ' : ''}(${both})`, tokens[between.upper[1] - 1].end);
        i = between.upper[1] - 1;
        continue;
      }
    }
    // x IN (a, b): marked the same way (a string among numbers: Spark's common type).
    const inList = t.kind === 'ident' ? inListAt(tokens, i, from, to) : undefined;
    if (inList) {
      const left = wrapFrom(inList.left, inList.not >= 0 ? inList.not : i);
      if (left !== undefined) {
        const items = inList.items.map(([a, b]) => rewrite(sql, tokens, a, b, notes));
        emit(inList.not >= 0 ? inList.not : i, markIn(left, inList.not >= 0, items, ansi), tokens[inList.close].end);
        i = inList.close;
        continue;
      }
    }
    // a / b, a % b: NULL or (ANSI) an error for a zero divisor; a / b marked for decimal
    // division (spark-decimal.ts: Spark divides decimals exactly, DuckDB through DOUBLE).
    if ((t.text === '/' || t.text === '%') && t.kind === 'op' && endsOperand(tokens[i - 1])) {
      const end = rightOperandEnd(tokens, i + 1, to);
      if (end > i + 1) {
        const right = divisor(rewrite(sql, tokens, i + 1, end, notes), ansi);
        const leftStart = t.text === '/' ? leftOperandStart(tokens, i - 1, from) : -1;
        const left = leftStart >= 0 ? wrapFrom(leftStart, i) : undefined;
        if (left !== undefined) {
          const digits = (a: number, b: number) =>
            b === a + 1 && /^\d+$/.test(tokens[a].text) ? tokens[a].text.length : 0;
          emit(i, markDivision(left, right, [digits(leftStart, i), digits(i + 1, end)]), tokens[end - 1].end);
        } else emit(i, `${t.text} ${right}`, tokens[end - 1].end);
        i = end - 1;
        continue;
      }
    }
    // a div b: integral division (truncated toward zero, a BIGINT).
    if (isWord(t, 'div') && endsOperand(tokens[i - 1])) {
      const end = rightOperandEnd(tokens, i + 1, to);
      const left = end > i + 1 ? wrapFrom(leftOperandStart(tokens, i - 1, from), i) : undefined;
      if (left !== undefined) {
        const right = divisor(rewrite(sql, tokens, i + 1, end, notes), ansi);
        emit(i, `CAST(trunc((${left}) / ${right}) AS BIGINT)`, tokens[end - 1].end);
        i = end - 1;
        continue;
      }
    }
    // Typed numeric literals: 1L, 2S, 3Y, 1.5D, 1.5F, 1.50BD; TIMESTAMP_NTZ '...', X'00FF'.
    const typed = typedLiteral(t, tokens[i + 1]) ?? typedStringLiteral(t, tokens[i + 1]);
    if (typed !== undefined) {
      emit(i, typed, tokens[i + 1].end);
      i++;
      continue;
    }
    // SELECT * EXCEPT (a, b): DuckDB's * EXCLUDE (a, b).
    if (starExcept(tokens, i)) {
      emit(i + 1, 'EXCLUDE', tokens[i + 1].end);
      i++;
      continue;
    }
    const fileSource = filePathSource(tokens, i);
    if (fileSource) {
      emit(i, fileSource, tokens[i + 2].end);
      i += 2;
      continue;
    }
    // (delta.`path` stays: it names a table by its folder.)
    if (
      t.kind === 'quoted' &&
      t.text.startsWith('`') &&
      !(tokens[i - 1]?.text === '.' && isWord(tokens[i - 2], 'delta'))
    ) {
      emit(i, quoteIdent(t.value), t.end);
      continue;
    }
    if (t.kind !== 'ident') continue;
    const lower = t.value.toLowerCase();
    const next = tokens[i + 1];
    const prev = tokens[i - 1];
    // a RLIKE b, a NOT RLIKE b, a REGEXP b: a search anywhere in a (Java's find()).
    if ((lower === 'rlike' || lower === 'regexp') && next?.text !== '(' && i > from) {
      const end = operandEnd(tokens, i + 1, to);
      const pattern = rewrite(sql, tokens, i + 1, end, notes);
      const p =
        tokens[i + 1].kind === 'string' && end === i + 2
          ? quoteLiteral(`(?s).*(?:${tokens[i + 1].value}).*`)
          : `('(?s).*(?:' || (${pattern}) || ').*')`;
      emit(i, `SIMILAR TO ${p}`, tokens[end - 1].end);
      i = end - 1;
      continue;
    }
    if ((lower === 'current_timestamp' || lower === 'current_date') && next?.text !== '(' && prev?.text !== '.') {
      emit(i, lower === 'current_date' ? 'current_date' : 'CAST(current_timestamp AS TIMESTAMP)', t.end);
      continue;
    }
    const handler = HANDLERS[lower];
    if (!handler || next?.text !== '(' || prev?.text === '.' || notACall(lower, prev, tokens[i + 2])) continue;
    const close = matching(tokens, i + 1, to);
    if (close < 0) continue; // DuckDB will say what is wrong
    const call: Call = castStringArgs({
      name: lower,
      args: splitArgs(sql, tokens, i + 2, close, notes),
      offset: t.start,
      ansi,
    });
    let end = close + 1;
    // What may follow an aggregate: IGNORE NULLS, FILTER (WHERE ...), OVER (...).
    if (AGGREGATES.has(lower)) {
      if ((isWord(tokens[end], 'ignore') || isWord(tokens[end], 'respect')) && isWord(tokens[end + 1], 'nulls')) {
        call.ignoreNulls = isWord(tokens[end], 'ignore');
        end += 2;
      }
      if (isWord(tokens[end], 'filter') && tokens[end + 1]?.text === '(') {
        const fclose = matching(tokens, end + 1, to);
        if (fclose > 0 && isWord(tokens[end + 2], 'where')) {
          call.filter = rewrite(sql, tokens, end + 3, fclose, notes);
          end = fclose + 1;
        }
      }
      if (isWord(tokens[end], 'over')) {
        if (tokens[end + 1]?.text === '(') {
          const wclose = matching(tokens, end + 1, to);
          if (wclose > 0) {
            call.over = `OVER ${rewrite(sql, tokens, end + 1, wclose + 1, notes)}`;
            end = wclose + 1;
          }
        } else if (tokens[end + 1]?.kind === 'ident' || tokens[end + 1]?.kind === 'quoted') {
          call.over = `OVER ${tokens[end + 1].text}`;
          end += 2;
        }
      }
    }
    // cloud_files(...) is a stream wherever it is read (Auto Loader): a streaming read of the files.
    const replacement =
      (lower === 'cloud_files' && !isWord(prev, 'stream') && !(prev?.text === '(' && isWord(tokens[i - 2], 'stream'))
        ? 'STREAM '
        : '') + handler(call);
    notes?.push({ name: t.value, written: sql.slice(t.start, tokens[end - 1].end), replacement });
    emit(i, replacement, tokens[end - 1].end);
    i = end - 1;
  }
  if (from < to) {
    sortKey(tokens[to - 1].end);
    nameItem(to - 1);
  }
  return out + (from < to ? sql.slice(at, tokens[to - 1].end) : '');
}

/** The end (exclusive) of the operand starting at `i`: a literal, a (qualified) name, a call or a parenthesized expression. */
function operandEnd(tokens: Token[], i: number, to: number): number {
  if (i >= to) return i;
  if (tokens[i].text === '(') return matching(tokens, i, to) + 1;
  let j = i + 1;
  while (tokens[j]?.text === '.' && j + 1 < to) j += 2;
  if (tokens[j]?.text === '(' && j < to) return matching(tokens, j, to) + 1;
  return j;
}

function splitArgs(sql: string, tokens: Token[], from: number, to: number, notes?: Rewritten[]): Arg[] {
  const args: Arg[] = [];
  let start = from;
  let depth = 0;
  for (let j = from; j <= to; j++) {
    const x = j < to ? tokens[j].text : ',';
    if (x === '(' || x === '[' || x === '{') depth++;
    else if (x === ')' || x === ']' || x === '}') depth--;
    else if (x === ',' && depth === 0) {
      const base = start;
      if (j > start)
        args.push({
          sql: rewrite(sql, tokens, start, j, notes),
          tokens: tokens.slice(start, j),
          start: tokens[start].start,
          part: (a, b) => rewrite(sql, tokens, base + a, base + b),
        });
      start = j + 1;
    }
  }
  return args;
}

/** Words that may start something to rewrite (a quick test before the full pass). */
const TRIGGERS = new Set([...Object.keys(HANDLERS), 'rlike', 'regexp']);

/** sparkToDuckdb for a user's query: an unsupported form (or a text that does not tokenize) is a LocatedError placed in `sql`. */
export function translateQuery(sql: string, options: TranslateOptions = {}): string {
  try {
    return sparkToDuckdb(sql, options);
  } catch (err) {
    if (err instanceof LocatedError && err.text === undefined) throw err.withText(sql);
    throw err;
  }
}
