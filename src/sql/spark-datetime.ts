// Spark's datetime patterns (https://spark.apache.org/docs/latest/sql-ref-datetime-pattern.html)
// as DuckDB strftime / strptime formats. What has no equivalent is an error naming the letters.
import { LocatedError } from '../core/index.js';
import { quoteLiteral } from '../engine/index.js';
import { fail, literal, type Arg, type Call } from './spark-call.js';
import { timestamp } from './spark-cast.js';

/** Translates a Spark datetime pattern into DuckDB's strftime/strptime format; throws for what is not supported. */
export function sparkPattern(p: string, use: 'parse' | 'format' = 'format'): string {
  let out = '';
  for (let i = 0; i < p.length;) {
    const ch = p[i];
    if (ch === "'") {
      // Quoted text; '' is a quote.
      if (p[i + 1] === "'") {
        out += "'";
        i += 2;
        continue;
      }
      const close = p.indexOf("'", i + 1);
      if (close < 0) throw new Error(`unclosed quote in pattern '${p}'`);
      out += p.slice(i + 1, close).replace(/%/g, '%%');
      i = close + 1;
      continue;
    }
    if (!/[A-Za-z]/.test(ch)) {
      out += ch === '%' ? '%%' : ch;
      i++;
      continue;
    }
    let n = 1;
    while (p[i + n] === ch) n++;
    const f = letter(ch, n, use);
    if (f === undefined) throw new Error(`pattern letters '${ch.repeat(n)}' in '${p}' are not supported`);
    out += f;
    i += n;
  }
  return out;
}

function letter(ch: string, n: number, use: 'parse' | 'format'): string | undefined {
  switch (ch) {
    case 'y':
      return n === 2 ? '%y' : '%Y';
    case 'M':
    case 'L':
      return n === 1 ? '%-m' : n === 2 ? '%m' : n === 3 ? '%b' : n === 4 ? '%B' : undefined;
    case 'd':
      return n === 1 ? '%-d' : n === 2 ? '%d' : undefined;
    case 'D':
      return n === 1 ? '%-j' : n === 3 ? '%j' : undefined;
    case 'E':
      return n <= 3 ? '%a' : n === 4 ? '%A' : undefined;
    case 'H':
      return n === 1 ? '%-H' : n === 2 ? '%H' : undefined;
    case 'h':
      return n === 1 ? '%-I' : n === 2 ? '%I' : undefined;
    case 'm':
      return n === 1 ? '%-M' : n === 2 ? '%M' : undefined;
    case 's':
      return n === 1 ? '%-S' : n === 2 ? '%S' : undefined;
    case 'S':
      return n === 3 ? '%g' : n === 6 ? '%f' : n === 9 ? '%n' : undefined;
    case 'a':
      return n === 1 ? '%p' : undefined;
    case 'Z':
      return n <= 3 ? '%z' : undefined;
    case 'z':
      return use === 'format' && n <= 3 ? '%Z' : undefined;
    default:
      return undefined;
  }
}

/**
 * A string parsed with a (translated) pattern (NULL when it does not parse); dates and timestamps
 * taken as they are, as Spark does; anything else (a number: 20101229 with 'yyyyMMdd') read as its
 * text, as Spark's implicit cast to STRING does.
 */
export const parsed = (x: string, format: string) =>
  `CAST(CASE WHEN typeof(${x}) = 'DATE' OR typeof(${x}) LIKE 'TIMESTAMP%' THEN ${timestamp(x)} ELSE try_strptime(CAST(${x} AS VARCHAR), ${quoteLiteral(format)}) END AS TIMESTAMP)`;

/** A Spark datetime pattern (a string literal argument) as a strftime / strptime format. */
export function pattern(c: Call, a: Arg, use: 'parse' | 'format'): string {
  const p = literal(a);
  if (p === undefined) fail(c, 'the datetime pattern must be a string literal');
  try {
    return sparkPattern(p!, use);
  } catch (err) {
    throw new LocatedError('SQL_UNSUPPORTED', `${c.name}: ${(err as Error).message}`, { offset: a.start });
  }
}
