// The bronze pattern: a flow that keeps every row of its file source as it is
// (`SELECT *, expr, ... FROM STREAM read_files(...)`), which then streams from the
// files to the table in one pass.
import { tokenize } from '../dialect/index.js';
import type { ReferenceSpan } from './graph.js';

/**
 * Whether a flow's query keeps every row of its file source as one row with all
 * its columns (`SELECT *, expr, ... FROM STREAM read_files(...) [alias]`: no
 * filter, join, grouping, DISTINCT or row-generating function) — the bronze
 * pattern, which then streams from the files to the table in one pass.
 */
export function keepsRows(query: string, span: ReferenceSpan): boolean {
  const head = tokenize(query.slice(0, span.start));
  const tail = tokenize(query.slice(span.end)).filter((t) => t.text !== ';');
  const word = (t: { kind: string; value: string } | undefined, w: string) =>
    t?.kind === 'ident' && t.value.toLowerCase() === w;
  if (!word(head[0], 'select') || !word(head.at(-1), 'from')) return false;
  const tailOk =
    tail.length === 0 ||
    (tail.length <= 2 &&
      tail.every((t) => t.kind === 'ident' || t.kind === 'quoted') &&
      (tail.length === 1 || word(tail[0], 'as')));
  if (!tailOk) return false;
  const list = head.slice(1, -1);
  let depth = 0;
  let star = false;
  for (const [i, t] of list.entries()) {
    if (t.text === '(') depth++;
    else if (t.text === ')') depth--;
    if (depth > 0) continue;
    if (
      t.kind === 'ident' &&
      [
        'distinct',
        'from',
        'where',
        'group',
        'having',
        'qualify',
        'union',
        'except',
        'exclude',
        'replace',
        'intersect',
        'limit',
      ].includes(t.value.toLowerCase())
    )
      return false;
    if (t.kind === 'ident' && ROW_GENERATORS.has(t.value.toLowerCase()) && list[i + 1]?.text === '(') return false;
    // `*` or `alias.*` standing alone between commas.
    if (
      t.text === '*' &&
      (i === 0 || list[i - 1].text === ',' || list[i - 1].text === '.') &&
      (i === list.length - 1 || list[i + 1].text === ',')
    )
      star = true;
  }
  return star && !list.some((t) => t.kind === 'ident' && ROW_GENERATORS.has(t.value.toLowerCase()));
}

const ROW_GENERATORS = new Set([
  'unnest',
  'explode',
  'explode_outer',
  'posexplode',
  'posexplode_outer',
  'inline',
  'inline_outer',
  'stack',
  'generate_series',
  'range',
  'json_each',
]);
