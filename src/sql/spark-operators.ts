// Where the operands of an infix operator begin and end in a token list, for the rewrites that
// wrap them: the divisor of `/`, `%` and `div`, the array before a subscript. Operands are
// primaries — literals, (qualified) names, calls, parenthesized expressions, CASE ... END — with
// their suffixes (subscripts, `::type`, `.field`); `a * b div c` takes `a * b` as its left side,
// as Spark's precedence does.
import type { Token } from '../dialect/index.js';
import { isWord } from './spark-call.js';

/** Keywords after which a token starts an operand (not ends one). */
const NOT_OPERAND = new Set(
  'select where and or not in then else when case as by on return values is like having distinct all any some between from join'.split(
    ' ',
  ),
);

/** True when `t` can end an operand: a literal, a name, `)` or `]`. */
export function endsOperand(t: Token | undefined): boolean {
  if (!t) return false;
  if (t.text === ')' || t.text === ']') return true;
  if (t.kind === 'number' || t.kind === 'string' || t.kind === 'quoted') return true;
  return t.kind === 'ident' && !NOT_OPERAND.has(t.value.toLowerCase());
}

function forward(tokens: Token[], open: number, to: number): number {
  let depth = 0;
  for (let j = open; j < to; j++) {
    const x = tokens[j].text;
    if (x === '(' || x === '[' || x === '{') depth++;
    else if (x === ')' || x === ']' || x === '}') if (--depth === 0) return j;
  }
  return -1;
}

function backward(tokens: Token[], close: number, from: number): number {
  let depth = 0;
  for (let j = close; j >= from; j--) {
    const x = tokens[j].text;
    if (x === ')' || x === ']' || x === '}') depth++;
    else if (x === '(' || x === '[' || x === '{') if (--depth === 0) return j;
  }
  return -1;
}

/** The index after CASE ... END starting at `i`, or -1. */
function caseEnd(tokens: Token[], i: number, to: number): number {
  let depth = 0;
  for (let j = i; j < to; j++) {
    if (isWord(tokens[j], 'case')) depth++;
    else if (isWord(tokens[j], 'end') && --depth === 0) return j + 1;
  }
  return -1;
}

/** The index of the CASE that the END at `j` closes, or -1. */
function caseStart(tokens: Token[], j: number, from: number): number {
  let depth = 0;
  for (let k = j; k >= from; k--) {
    if (isWord(tokens[k], 'end')) depth++;
    else if (isWord(tokens[k], 'case') && --depth === 0) return k;
  }
  return -1;
}

/** The end (exclusive) of the operand starting at `i` (a unary sign, a primary and its suffixes), or `i` when there is none. */
export function rightOperandEnd(tokens: Token[], i: number, to: number): number {
  let j = i;
  while (j < to && (tokens[j].text === '-' || tokens[j].text === '+')) j++;
  if (j >= to) return i;
  const t = tokens[j];
  if (t.text === '(') j = forward(tokens, j, to) + 1;
  else if (isWord(t, 'case')) j = caseEnd(tokens, j, to);
  else if (t.kind === 'number' || t.kind === 'string') j++;
  else if (t.kind === 'ident' || t.kind === 'quoted') {
    j++;
    // A typed literal (DATE '2024-01-01'), a call, a qualified name.
    if (t.kind === 'ident' && tokens[j]?.kind === 'string') j++;
    while (tokens[j]?.text === '.' && j + 1 < to) j += 2;
    if (tokens[j]?.text === '(') {
      j = forward(tokens, j, to) + 1;
      if (j > 0) j = callSuffixesEnd(tokens, j, to);
    }
  } else return i;
  if (j <= 0) return i;
  // Suffixes: subscripts, ::type, .field.
  for (;;) {
    if (tokens[j]?.text === '[' && j < to) j = forward(tokens, j, to) + 1;
    else if (tokens[j]?.text === '::' && j + 1 < to) {
      j += 2;
      if (tokens[j]?.text === '(') j = forward(tokens, j, to) + 1;
    } else if (tokens[j]?.text === '.' && j + 1 < to) j += 2;
    else break;
    if (j <= 0) return i;
  }
  return Math.min(j, to);
}

/** After a call: its FILTER (WHERE ...), IGNORE / RESPECT NULLS, WITHIN GROUP (...), OVER (...) or OVER w. */
function callSuffixesEnd(tokens: Token[], j: number, to: number): number {
  for (;;) {
    if ((isWord(tokens[j], 'filter') || isWord(tokens[j], 'over')) && tokens[j + 1]?.text === '(' && j + 1 < to)
      j = forward(tokens, j + 1, to) + 1;
    else if (isWord(tokens[j], 'over') && tokens[j + 1]?.kind === 'ident' && j + 1 < to) j += 2;
    else if ((isWord(tokens[j], 'ignore') || isWord(tokens[j], 'respect')) && isWord(tokens[j + 1], 'nulls')) j += 2;
    else if (isWord(tokens[j], 'within') && isWord(tokens[j + 1], 'group') && tokens[j + 2]?.text === '(')
      j = forward(tokens, j + 2, to) + 1;
    else return j;
    if (j <= 0) return -1;
  }
}

/** The first token of the primary (with its suffixes) that ends at `j`, or -1. */
export function primaryStart(tokens: Token[], j: number, from: number): number {
  let k = j;
  const t = tokens[k];
  if (!t) return -1;
  if (t.text === ']') {
    const open = backward(tokens, k, from);
    return open <= from ? -1 : primaryStart(tokens, open - 1, from);
  }
  // A call's suffixes: ... OVER (...), OVER w, IGNORE NULLS, FILTER (...), WITHIN GROUP (...).
  if (t.kind === 'ident' && isWord(tokens[k - 1], 'over') && tokens[k - 2]?.text === ')')
    return primaryStart(tokens, k - 2, from);
  if (isWord(t, 'nulls') && (isWord(tokens[k - 1], 'ignore') || isWord(tokens[k - 1], 'respect')))
    return primaryStart(tokens, k - 2, from);
  if (t.text === ')') {
    k = backward(tokens, k, from);
    if (k < from) return -1;
    const before = tokens[k - 1];
    if ((isWord(before, 'over') || isWord(before, 'filter')) && tokens[k - 2]?.text === ')')
      return primaryStart(tokens, k - 2, from);
    if (isWord(before, 'group') && isWord(tokens[k - 2], 'within') && tokens[k - 3]?.text === ')')
      return primaryStart(tokens, k - 3, from);
    // A call: its (qualified) name before the parenthesis.
    if (tokens[k - 1]?.kind === 'ident' && !NOT_OPERAND.has(tokens[k - 1].value.toLowerCase())) k--;
  } else if (isWord(t, 'end')) k = caseStart(tokens, k, from);
  else if (t.kind === 'string') {
    if (
      tokens[k - 1]?.kind === 'ident' &&
      ['date', 'timestamp', 'interval'].includes(tokens[k - 1].value.toLowerCase())
    )
      k--;
  } else if (t.kind !== 'number' && t.kind !== 'ident' && t.kind !== 'quoted') return -1;
  if (k < from) return -1;
  // A qualified name, a field of a struct: a.b.c.
  while (k - 2 >= from && tokens[k - 1]?.text === '.' && endsOperand(tokens[k - 2])) {
    k = primaryStart(tokens, k - 2, from);
    if (k < 0) return -1;
  }
  // x::type
  if (k - 2 >= from && tokens[k - 1]?.text === '::') return primaryStart(tokens, k - 2, from);
  return k;
}

/** The first token of the left operand of a multiplicative operator (`*`, `/`, `%`, `div`) whose left side ends at `j`. */
export function leftOperandStart(tokens: Token[], j: number, from: number): number {
  let k = primaryStart(tokens, j, from);
  while (k - 2 >= from && (['*', '/', '%'].includes(tokens[k - 1].text) || isWord(tokens[k - 1], 'div'))) {
    const before = primaryStart(tokens, k - 2, from);
    if (before < 0) break;
    k = before;
  }
  // A unary sign before it belongs to it.
  if (k - 1 >= from && (tokens[k - 1].text === '-' || tokens[k - 1].text === '+') && !endsOperand(tokens[k - 2])) k--;
  return k;
}
