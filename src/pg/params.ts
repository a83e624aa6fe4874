// Parameters of the extended protocol ($1, $2, ... in a statement): each value put in as a SQL
// literal made by the quoting helper (a number only when it reads as one and its type is
// numeric), never pasted as text. $n inside strings, quoted names and comments is left alone.
import { quoteLiteral } from '../project/index.js';
import { PG } from './types.js';

const NUMERIC_OIDS = new Set<number>([
  PG.int2.oid,
  PG.int4.oid,
  PG.int8.oid,
  PG.float4.oid,
  PG.float8.oid,
  PG.numeric.oid,
]);

/** The highest $n a statement uses (0 when none). */
export function parameterCount(sql: string): number {
  let max = 0;
  scan(sql, (n) => {
    max = Math.max(max, n);
    return undefined;
  });
  return max;
}

/** The statement with each $n replaced by its value as a literal (NULL for a null). */
export function bindParameters(sql: string, values: (string | null)[], types: number[]): string {
  return scan(sql, (n) => {
    const v = values[n - 1];
    if (v === undefined) throw new Error(`there is no parameter $${n}`);
    if (v === null) return 'NULL';
    if (NUMERIC_OIDS.has(types[n - 1] ?? 0) && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v.trim()))
      return v.trim();
    if (types[n - 1] === PG.bool.oid && /^(t|f|true|false)$/i.test(v.trim()))
      return /^t/i.test(v.trim()) ? 'TRUE' : 'FALSE';
    return quoteLiteral(v);
  });
}

/** The statements of a text, split at the semicolons outside strings, names and comments (empty ones left out). */
export function splitSql(sql: string): string[] {
  const out: string[] = [];
  let current = '';
  scan(
    sql,
    () => undefined,
    (piece, isSemicolon) => {
      if (isSemicolon) {
        if (current.trim()) out.push(current.trim());
        current = '';
      } else current += piece;
    },
  );
  if (current.trim()) out.push(current.trim());
  return out;
}

/** Walks the text, calling `at` for each $n outside strings, names and comments (and `piece` for each bit of text). */
function scan(
  sql: string,
  at: (n: number) => string | undefined,
  piece?: (text: string, isSemicolon: boolean) => void,
): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    const two = sql.slice(i, i + 2);
    let end = i + 1;
    if (c === "'" || c === '"') {
      end = i + 1;
      while (end < sql.length) {
        if (sql[end] === c) {
          if (sql[end + 1] === c) end += 2;
          else {
            end++;
            break;
          }
        } else end++;
      }
    } else if (two === '--') {
      const nl = sql.indexOf('\n', i);
      end = nl < 0 ? sql.length : nl;
    } else if (two === '/*') {
      const close = sql.indexOf('*/', i + 2);
      end = close < 0 ? sql.length : close + 2;
    } else if (c === '$' && /\d/.test(sql[i + 1] ?? '') && !/[\w$]/.test(sql[i - 1] ?? '')) {
      let j = i + 1;
      while (j < sql.length && /\d/.test(sql[j])) j++;
      const replaced = at(Number(sql.slice(i + 1, j)));
      out += replaced ?? sql.slice(i, j);
      piece?.(sql.slice(i, j), false);
      i = j;
      continue;
    }
    out += sql.slice(i, end);
    piece?.(sql.slice(i, end), c === ';' && end === i + 1);
    i = end;
  }
  return out;
}
