// Spark's datetime patterns (https://spark.apache.org/docs/latest/sql-ref-datetime-pattern.html)
// as DuckDB strftime / strptime formats. What has no equivalent is an error naming the letters.

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
