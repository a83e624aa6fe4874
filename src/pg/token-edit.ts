// A statement's tokens being rewritten (rewrite.ts): each token's text replaceable, the rest of
// the statement kept as it was written (its spacing; comments between tokens as spaces), and
// where its FROM clauses are, so that a rewrite can tell a table from a column.
import { identName, type PgToken } from './lexer.js';

/** Words that end a FROM clause. */
const CLAUSE_ENDS = new Set([
  'where',
  'group',
  'having',
  'order',
  'limit',
  'offset',
  'union',
  'except',
  'intersect',
  'select',
  'window',
  'on',
  'using',
  'returning',
  'fetch',
  'for',
]);

/** The tokens of a statement (comments left out) and the text each has now. */
export class TokenEdit {
  readonly texts: string[];
  /** Whether each token stands directly in a FROM clause (where `,` separates tables). */
  private readonly inFrom: boolean[];
  changed = false;
  /** Rewrites that take the text of tokens after them, done once those are done. */
  private readonly later: (() => void)[] = [];
  /** fromTables(), once computed. */
  private fromTableNames: Set<string> | undefined;
  /** The [first, last] tokens of the items of every SELECT list (rewrite-names.ts). */
  selectItems: [number, number][] = [];

  constructor(
    private readonly sql: string,
    readonly tokens: PgToken[],
  ) {
    this.texts = tokens.map((t) => t.text);
    const clause = [false];
    this.inFrom = tokens.map((t) => {
      const w = t.kind === 'ident' ? t.text.toLowerCase() : t.text;
      const here = clause[clause.length - 1];
      if (w === '(') clause.push(false);
      else if (w === ')') {
        if (clause.length > 1) clause.pop();
      } else if (w === 'from') clause[clause.length - 1] = true;
      else if (t.kind === 'ident' && CLAUSE_ENDS.has(w)) clause[clause.length - 1] = false;
      return here;
    });
  }

  /** Runs `f` at the end, once the tokens after it are rewritten (later ones first). */
  defer(f: () => void): void {
    this.later.push(f);
  }

  finish(): void {
    for (const f of this.later.reverse()) f();
  }

  /** Whether tokens [a, b], perhaps with an alias after them, are a whole item of a SELECT list. */
  isSelectItem(a: number, b: number): boolean {
    const alias = (k: number) => k === b + 1 || (k === b + 2 && this.word(b + 1) === 'as');
    return this.selectItems.some(([first, last]) => first === a && (last === b || alias(last)));
  }

  /** A FROM item may start at i: after FROM, JOIN, or a comma of a FROM clause. */
  fromItem(i: number): boolean {
    const prev = this.word(i - 1);
    return prev === 'from' || prev === 'join' || (prev === ',' && this.inFrom[i - 1]);
  }

  /** `schema.table` FROM items of the statement (lower case), for `schema.table.column` references. */
  fromTables(): Set<string> {
    this.fromTableNames ??= new Set(
      this.tokens.flatMap((t, k) =>
        this.fromItem(k) &&
        identName(t) &&
        this.word(k + 1) === '.' &&
        identName(this.tokens[k + 2]) &&
        this.word(k + 3) !== '.'
          ? [`${identName(t)}.${identName(this.tokens[k + 2])}`]
          : [],
      ),
    );
    return this.fromTableNames;
  }

  /** Token i as a word: an identifier in lower case, punctuation or an operator; else undefined. */
  word(i: number): string | undefined {
    const t = this.tokens[i];
    return t?.kind === 'ident' ? t.text.toLowerCase() : t?.kind === 'punct' || t?.kind === 'op' ? t.text : undefined;
  }

  /** Tokens [from, to] become `text`. */
  set(from: number, to: number, text: string): void {
    this.texts[from] = text;
    for (let k = from + 1; k <= to; k++) this.texts[k] = '';
    this.changed = true;
  }

  /** The current text of tokens [from, to], with the spacing they were written with. */
  slice(from: number, to: number): string {
    let out = '';
    for (let k = from; k <= to; k++) {
      if (k > from && this.texts[k] !== '' && this.tokens[k].start > this.tokens[k - 1].end) out += ' ';
      out += this.texts[k];
    }
    return out;
  }

  text(): string {
    let out = '';
    let at = 0;
    for (let k = 0; k < this.tokens.length; k++) {
      const t = this.tokens[k];
      const gap = this.sql.slice(at, t.start);
      out += /\S/.test(gap) ? gap.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ') : gap;
      out += this.texts[k];
      at = t.end;
    }
    return out;
  }

  /** The index of the parenthesis closing the one at i (-1 when none). */
  matching(i: number): number {
    let depth = 0;
    for (let k = i; k < this.tokens.length; k++) {
      if (this.tokens[k].text === '(') depth++;
      else if (this.tokens[k].text === ')' && --depth === 0) return k;
    }
    return -1;
  }

  /** The first token of the operand a cast at i applies to (a name, literal, call or parenthesis). */
  operandStart(i: number): number {
    let k = i - 1;
    if (this.tokens[k]?.text === ')') {
      let depth = 0;
      for (; k >= 0; k--) {
        if (this.tokens[k].text === ')') depth++;
        else if (this.tokens[k].text === '(' && --depth === 0) break;
      }
      if (k > 0 && (this.tokens[k - 1].kind === 'ident' || this.tokens[k - 1].kind === 'quoted')) k--;
      else return Math.max(k, 0);
    }
    while (k >= 2 && this.tokens[k - 1].text === '.' && ['ident', 'quoted'].includes(this.tokens[k - 2].kind)) k -= 2;
    return Math.max(k, 0);
  }
}
