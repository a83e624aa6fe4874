// Java's regular expressions (Spark's) on RE2 (DuckDB's). java.util.regex.Pattern documents
// possessive quantifiers (X?+, X*+, X++, X{n,m}+: "match as much as possible and never back
// off"), atomic groups (?>X), lookaround and backreferences; RE2 has none of them. A possessive
// quantifier is run as the greedy one where no backing off could change the match — at the end
// of the pattern, or before something its atom can never match — and every other case is
// refused with one message. The expected matches are Java's, worked out by hand from Pattern's
// rules (e.g. `a*+a` can never match: the a*+ takes every a and gives none back).
import { describe, expect, it } from 'vitest';
import { useSession } from '../../test/helpers/harness.js';
import { executeQuery } from './execute.js';
import { javaRegex } from './spark-regex.js';

const held = useSession(1);
const one = async (sql: string) => (await executeQuery(held.session, sql)).rows[0];

describe('Java regular expressions on RE2', () => {
  it('runs a possessive quantifier as the greedy one where backing off could not change the match', () => {
    expect(javaRegex('[^,]*+,')).toEqual({ pattern: '[^,]*,' });
    expect(javaRegex('\\d++[a-z]')).toEqual({ pattern: '\\d+[a-z]' });
    expect(javaRegex('"[^"]*+"')).toEqual({ pattern: '"[^"]*"' });
    expect(javaRegex('x\\s?+y')).toEqual({ pattern: 'x\\s?y' });
    expect(javaRegex('[0-9]{2,4}+-')).toEqual({ pattern: '[0-9]{2,4}-' });
    expect(javaRegex('ab*+')).toEqual({ pattern: 'ab*' });
    expect(javaRegex('\\d++$')).toEqual({ pattern: '\\d+$' });
    // Plain patterns are untouched; a + after a class or a group that is not a quantifier's is literal-free.
    expect(javaRegex('^[A-Z]+[0-9]*$')).toEqual({ pattern: '^[A-Z]+[0-9]*$' });
    expect(javaRegex('(a|b)+c')).toEqual({ pattern: '(a|b)+c' });
  });

  it('refuses what RE2 cannot run exactly, saying why', () => {
    // Java: a*+a never matches ("aaa" included); a greedy a*a would.
    expect(javaRegex('a*+a')).toEqual({
      error: expect.stringMatching(/possessive quantifier \*\+ cannot be run exactly/),
    });
    // \w matches digits: \w++\d never matches in Java.
    expect(javaRegex('\\w++\\d')).toEqual({ error: expect.stringMatching(/possessive/) });
    expect(javaRegex('(ab)++c')).toEqual({ error: expect.stringMatching(/possessive/) });
    expect(javaRegex('(?>a|ab)c')).toEqual({ error: expect.stringMatching(/atomic group/) });
    expect(javaRegex('foo(?=bar)')).toEqual({ error: expect.stringMatching(/lookaround/) });
    expect(javaRegex('(?<!x)y')).toEqual({ error: expect.stringMatching(/lookaround/) });
    expect(javaRegex('(a)\\1')).toEqual({ error: expect.stringMatching(/backreference/) });
  });

  it('in Spark SQL: regexp_extract, regexp_replace, rlike, regexp_like and split take Java patterns', async () => {
    expect(
      await one(
        String.raw`SELECT regexp_extract('123abc', '(\\d++)[a-z]', 1), regexp_replace('a,b,c', '[^,]*+,', ''), rlike('x1', '^x\\d++$'), regexp_like('ab', 'ab*+'), split('a1b22c', '\\d++')`,
      ),
    ).toEqual(['123', 'c', true, true, ['a', 'b', 'c']]);
    await expect(executeQuery(held.session, `SELECT regexp_extract('aaa', 'a*+a', 0)`)).rejects.toThrow(
      /regexp_extract: the possessive quantifier \*\+ cannot be run exactly.*\(pattern 'a\*\+a'\)/,
    );
  });
});
