// The call of a Spark function as the rewrite (spark.ts) hands it to a handler, and the helpers
// handlers share: arity checks, literal arguments, refusals placed at the call.
import { LocatedError } from '../core/index.js';
import { isKeyword, type Token } from '../dialect/index.js';

export interface Arg {
  /** The argument's text, already rewritten. */
  sql: string;
  /** Its tokens as written. */
  tokens: Token[];
  start: number;
  /** The rewritten text of tokens [from, to) of the argument. */
  part: (from: number, to: number) => string;
}

export interface Call {
  name: string;
  args: Arg[];
  /** Offset of the function name (for messages). */
  offset: number;
  /** A window clause that follows (`OVER (...)` or `OVER w`), rewritten, when the handler takes it. */
  over?: string;
  /** `IGNORE NULLS` / `RESPECT NULLS` after the call. */
  ignoreNulls?: boolean;
  /** A `FILTER (WHERE ...)` condition after the call, rewritten. */
  filter?: string;
  /** ANSI mode (spark-ansi.ts): errors where Spark raises them, instead of NULL. */
  ansi: boolean;
}

export type Handler = (c: Call) => string;

/** Case-insensitive keyword test on an identifier token (the dialect's). */
export const isWord = isKeyword;

export const fail = (c: Call, message: string): never => {
  throw new LocatedError('SQL_UNSUPPORTED', `${c.name}: ${message}`, { offset: c.offset });
};

export function arity(c: Call, min: number, max = min): void {
  if (c.args.length < min || c.args.length > max) {
    fail(c, `expects ${min === max ? min : `${min} to ${max}`} argument(s), got ${c.args.length}`);
  }
}

/** The pairs of a `map('k1', 'v1', ...)` argument of literals (cloud_files' options). */
export function mapLiteral(c: Call, a: Arg): [string, string][] {
  const t = a.tokens;
  if (!isWord(t[0], 'map') || t[1]?.text !== '(' || t[t.length - 1]?.text !== ')')
    fail(c, "the options must be map('option', 'value', ...) of literals");
  const values = t.slice(2, -1).filter((_, i) => i % 2 === 0);
  const commas = t.slice(2, -1).filter((_, i) => i % 2 === 1);
  if (
    commas.some((x) => x.text !== ',') ||
    values.length % 2 !== 0 ||
    values.some((v) => !['string', 'number', 'ident'].includes(v.kind))
  )
    fail(c, "the options must be map('option', 'value', ...) of literals");
  const out: [string, string][] = [];
  for (let i = 0; i < values.length; i += 2) out.push([values[i].value, values[i + 1].value]);
  return out;
}

/** A string literal argument's value (patterns, units; adjacent literals concatenated, as Spark does), or undefined when it is an expression. */
export function literal(a: Arg | undefined): string | undefined {
  return a && a.tokens.length > 0 && a.tokens.every((t) => t.kind === 'string')
    ? a.tokens.map((t) => t.value).join('')
    : undefined;
}

export function intLiteral(a: Arg | undefined): number | undefined {
  if (!a) return undefined;
  const text = a.tokens.map((t) => t.text).join('');
  return /^-?\d+$/.test(text) ? Number(text) : undefined;
}

/** An aggregate call with the FILTER and OVER clauses that followed it. */
export function aggregate(c: Call, call: string, extraFilter?: string): string {
  const conditions = [c.filter, extraFilter].filter((x): x is string => Boolean(x));
  const filter = conditions.length ? ` FILTER (WHERE ${conditions.map((x) => `(${x})`).join(' AND ')})` : '';
  return `${call}${filter}${c.over ? ` ${c.over}` : ''}`;
}
