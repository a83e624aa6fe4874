// Spark's regular expressions are Java's (java.util.regex.Pattern); DuckDB's are RE2, which has
// no possessive quantifiers, atomic groups, lookaround or backreferences. A pattern written with
// one is translated where the translation matches the same text, and refused otherwise — one
// message, before anything runs — never run with another meaning.
//
// A possessive quantifier (`X*+`, `X++`, `X?+`, `X{n,m}+`, Pattern's "Possessive quantifiers")
// takes as much as it can and never gives any back. The greedy quantifier gives the same match
// when giving back could not help: at the end of the pattern, or when what follows can never
// match a character X matches (`[^,]*+,`, `\d++[a-z]`). Those are the forms Java code uses
// possessives for, and the ones translated here.

import { quoteLiteral } from '../engine/index.js';
import { fail, literal, type Arg, type Call } from './spark-call.js';

/**
 * A regular-expression argument of a call. A literal's value is Spark's (its backslash escapes
 * already processed: Spark's '\\\\d' is the regex \\d, as in Spark's own docs): it goes to RE2
 * translated (or refused, naming the call); another expression goes as it is.
 */
export function regexArg(c: Call, a: Arg): string {
  const value = literal(a);
  if (value === undefined) return a.sql;
  const java = javaRegex(value);
  if ('error' in java) return fail(c, `${java.error} (pattern '${value}')`);
  return java.pattern === value ? a.sql : quoteLiteral(java.pattern);
}

/** The pattern as RE2 reads it, or why it cannot be (a message for the user). */
export function javaRegex(pattern: string): { pattern: string } | { error: string } {
  let out = '';
  let i = 0;
  let prevAtom: string | undefined;
  while (i < pattern.length) {
    const ch = pattern[i];
    if (ch === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k')
        return { error: `a backreference (\\${next}) is not supported: DuckDB's regular expressions (RE2) have none` };
      prevAtom = pattern.slice(i, i + 2);
      out += prevAtom;
      i += 2;
      continue;
    }
    if (ch === '[') {
      const end = classEnd(pattern, i);
      prevAtom = pattern.slice(i, end);
      out += prevAtom;
      i = end;
      continue;
    }
    if (ch === '(' && pattern[i + 1] === '?') {
      const kind = pattern.slice(i, i + 4);
      if (/^\(\?>/.test(kind)) return { error: unsupported('an atomic group (?>...)') };
      if (/^\(\?<?[=!]/.test(kind))
        return { error: unsupported('a lookaround ((?=...), (?!...), (?<=...), (?<!...))') };
    }
    const quantifier = /^(?:[*+?]|\{\d+(?:,\d*)?\})/.exec(pattern.slice(i));
    if (quantifier && pattern[i + quantifier[0].length] === '+') {
      const after = i + quantifier[0].length + 1;
      if (!givesNothingBack(prevAtom, pattern.slice(after)))
        return {
          error:
            `the possessive quantifier ${quantifier[0]}+ cannot be run exactly: DuckDB's regular expressions (RE2) have no possessive ` +
            `quantifiers, and here a greedy ${quantifier[0]} could match other text; write the pattern without it`,
        };
      out += quantifier[0];
      i = after;
      prevAtom = undefined;
      continue;
    }
    prevAtom = ch === ')' || ch === '|' || ch === '(' ? undefined : ch;
    out += ch;
    i++;
  }
  return { pattern: out };
}

const unsupported = (what: string) => `${what} is not supported: DuckDB's regular expressions (RE2) have none`;

/** The end (exclusive) of the character class starting at `start`. */
function classEnd(p: string, start: number): number {
  let i = start + 1;
  if (p[i] === '^') i++;
  if (p[i] === ']') i++;
  while (i < p.length && p[i] !== ']') i += p[i] === '\\' ? 2 : 1;
  return Math.min(p.length, i + 1);
}

/**
 * Whether a greedy quantifier of `atom` followed by `rest` finds what the possessive one finds:
 * nothing follows, or what follows starts with a character `atom` can never match.
 */
function givesNothingBack(atom: string | undefined, rest: string): boolean {
  if (atom === undefined) return false;
  // Past the groups it closes (a group not itself repeated): what follows them.
  const closed = /^\)+/.exec(rest)?.[0].length ?? 0;
  if (closed > 0 && /^[*+?{]/.test(rest.slice(closed))) return false;
  rest = rest.slice(closed);
  if (rest === '' || rest === '$') return true;
  const next = firstElement(rest);
  if (next === undefined) return false;
  const a = charTest(atom);
  const b = charTest(next);
  if (!a || !b) return false;
  for (let code = 0; code < 0x3000; code++) {
    const c = String.fromCharCode(code);
    if (a(c) && b(c)) return false;
  }
  return true;
}

/** The first element of a pattern: an escape, a class, or a plain character (undefined for a group or an anchor). */
function firstElement(p: string): string | undefined {
  if (p[0] === '\\') return p.slice(0, 2);
  if (p[0] === '[') return p.slice(0, classEnd(p, 0));
  if ('()|^$*+?{.'.includes(p[0])) return undefined;
  return p[0];
}

/** A test of one character against a single-character element (JavaScript's classes read as Java's for these). */
function charTest(element: string): ((c: string) => boolean) | undefined {
  if (element === '.') return undefined;
  if (element.startsWith('\\') && /[bBAzZGQE]/.test(element[1])) return undefined;
  try {
    const re = new RegExp(`^(?:${element})$`);
    return (c) => re.test(c);
  } catch {
    return undefined;
  }
}
