// A cursor over the tokens of one statement, with the checks a small
// recursive-descent parser needs; a failure names the line, column and token.
import { UserSqlError } from '../core/index.js';
import { isKeyword, lineColumn, type Token } from './tokenizer.js';

/** A cursor over tokens with the checks a small parser needs. */
export class TokenCursor {
  i = 0;
  constructor(
    readonly sql: string,
    readonly tokens: Token[],
    start = 0,
  ) {
    this.i = start;
  }
  peek(offset = 0): Token | undefined {
    return this.tokens[this.i + offset];
  }
  next(): Token | undefined {
    return this.tokens[this.i++];
  }
  atEnd(): boolean {
    return this.i >= this.tokens.length;
  }
  is(word: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t !== undefined && (isKeyword(t, word) || (t.kind === 'punct' || t.kind === 'op' ? t.text === word : false));
  }
  accept(word: string): boolean {
    if (!this.is(word)) return false;
    this.i++;
    return true;
  }
  expect(word: string, what = word): Token {
    if (!this.is(word)) this.fail(`expected ${what}`);
    return this.next()!;
  }
  /** An identifier (plain, "quoted" or `backticked`). */
  ident(what = 'a name'): string {
    const t = this.peek();
    if (!t || (t.kind !== 'ident' && t.kind !== 'quoted')) this.fail(`expected ${what}`);
    this.i++;
    return t!.value;
  }
  string(what = 'a string literal'): string {
    const t = this.peek();
    if (!t || t.kind !== 'string') this.fail(`expected ${what}`);
    this.i++;
    return t!.value;
  }
  /** Text from a token index to the end (or to `end`), as written. */
  textFrom(index: number, end = this.tokens.length): string {
    const first = this.tokens[index];
    const last = this.tokens[end - 1];
    return first && last ? this.sql.slice(first.start, last.end) : '';
  }
  fail(message: string): never {
    const t = this.peek();
    const pos = lineColumn(this.sql, t?.start ?? this.sql.length);
    const near = t ? ` near '${t.text}'` : ' at the end';
    throw new UserSqlError(`syntax error at line ${pos.line}, column ${pos.column}${near}: ${message}`);
  }
}
