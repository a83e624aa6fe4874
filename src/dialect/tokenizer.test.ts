import { describe, expect, it } from 'vitest';
import { LocatedError } from '../core/index.js';
import { tokenize } from './tokenizer.js';

const thrown = (fn: () => unknown): LocatedError => {
  try {
    fn();
  } catch (err) {
    return err as LocatedError;
  }
  throw new Error('did not throw');
};

describe('tokenizer errors', () => {
  it('an unterminated string, quoted identifier or comment is a LocatedError (SQL_SYNTAX) at its start', () => {
    const sql = "SELECT 1,\n  'abc";
    const err = thrown(() => tokenize(sql));
    expect(err).toBeInstanceOf(LocatedError);
    expect([err.code, err.message, err.offset]).toEqual(['SQL_SYNTAX', 'unterminated string', sql.indexOf("'")]);
    expect(err.withText(sql).message).toBe('unterminated string (line 2, column 3)');
    expect(thrown(() => tokenize('SELECT "a')).offset).toBe(7);
    expect(thrown(() => tokenize('SELECT `a')).message).toBe('unterminated quoted identifier');
    expect([thrown(() => tokenize('SELECT 1 /* x')).message, thrown(() => tokenize('SELECT 1 /* x')).offset]).toEqual([
      'unterminated comment',
      9,
    ]);
  });
});
