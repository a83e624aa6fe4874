// A pipeline file as Databricks runs it (`strata export databricks`): the text as written, except
// Strata's own `ON VIOLATION QUARANTINE`, which Databricks does not have. Each dataset with
// QUARANTINE rules is written in Databricks' quarantine pattern: the rules drop the failing rows
// (`ON VIOLATION DROP ROW`), and a `<name>_quarantine` table after it keeps exactly those rows —
// the dataset's query again under the inverted rules — with the names of the rules they failed.
import { LocatedError } from '../core/index.js';
import { isKeyword, tokenize, type Token } from '../dialect/index.js';

export interface DatabricksSql {
  text: string;
  /** What was rewritten, one line each (file:line: ...). */
  notes: string[];
}

const isWord = isKeyword;

/** A (qualified) name at `i` as written, and the index after it. */
function qualifiedName(st: Token[], i: number): [string, number] {
  let name = '';
  let n = i;
  while (st[n] && (st[n].kind === 'ident' || st[n].kind === 'quoted')) {
    name += st[n++].text;
    if (st[n]?.text !== '.') break;
    name += st[n++].text;
  }
  return [name, n];
}

/** The statements of a pipeline file: token ranges split at top-level semicolons. */
function statements(tokens: Token[]): [number, number][] {
  const out: [number, number][] = [];
  let start = 0;
  let depth = 0;
  tokens.forEach((t, i) => {
    if (t.text === '(') depth++;
    else if (t.text === ')') depth--;
    else if (t.text === ';' && depth === 0) {
      out.push([start, i]);
      start = i + 1;
    }
  });
  out.push([start, tokens.length]);
  return out.filter(([a, b]) => b > a);
}

interface Rule {
  name: string;
  expr: string;
}

/** `text` with QUARANTINE rules in Databricks' pattern (see the file's comment). */
export function databricksSql(text: string, file: string): DatabricksSql {
  let tokens: Token[];
  try {
    tokens = tokenize(text, { spark: true });
  } catch (err) {
    if (err instanceof LocatedError) throw err.inFile(file, text);
    throw err;
  }
  const notes: string[] = [];
  const ranges = statements(tokens);
  const shapes = ranges.map(([from, to]) => datasetShape(text, tokens.slice(from, to)));
  // Tables fed by flows (no query of their own): each flow of this file into one gets a twin into the quarantine table.
  const fedByFlows = new Map(
    shapes.filter((x): x is Shape => x !== undefined && x.query === undefined).map((x) => [norm(x.name), x]),
  );
  const edits: { at: number; end: number; text: string }[] = [];
  const fedFlows = new Set<string>();
  for (const [k, [from, to]] of ranges.entries()) {
    const st = tokens.slice(from, to);
    const end = tokens[to]?.text === ';' ? tokens[to].end : st[st.length - 1].end;
    const sep = tokens[to]?.text === ';' ? '' : ';';
    const flow = flowShape(text, st);
    const fed = flow && fedByFlows.get(norm(flow.target));
    if (flow && fed) {
      edits.push({ at: end, end, text: `${sep}\n\n${quarantineFlow(flow, fed)}` });
      fedFlows.add(norm(flow.target));
      continue;
    }
    const shape = shapes[k];
    if (!shape) continue;
    // The statement with QUARANTINE as DROP ROW, and the quarantine table after it.
    for (const [i, t] of st.entries())
      if (isWord(t, 'quarantine') && isWord(st[i - 1], 'violation'))
        edits.push({ at: t.start, end: t.end, text: 'DROP ROW' });
    edits.push({ at: end, end, text: `${sep}\n\n${quarantineTable(shape)}` });
    const line = text.slice(0, st[0].start).split('\n').length;
    notes.push(
      `${file}:${line}: ${shape.name}: ON VIOLATION QUARANTINE (${shape.rules.map((r) => r.name).join(', ')}) written as DROP ROW, with the table ${shape.name}_quarantine keeping the failing rows`,
    );
  }
  for (const [name, shape] of fedByFlows)
    if (!fedFlows.has(name))
      notes.push(
        `${file}: ${shape.name}: its flows are not in this file; add a flow into ${shape.name}_quarantine for each (the rows failing ${shape.rules.map((r) => r.name).join(', ')})`,
      );
  let out = '';
  let at = 0;
  for (const e of edits.sort((a, b) => a.at - b.at)) {
    out += text.slice(at, e.at) + e.text;
    at = e.end;
  }
  return { text: out + text.slice(at), notes };
}

const norm = (name: string) =>
  name
    .toLowerCase()
    .replace(/^live\./, '')
    .replace(/`/g, '');

interface Flow {
  name: string;
  target: string;
  query: string;
}

/**
 * CREATE FLOW name AS INSERT INTO target [BY NAME] query; or AS AUTO CDC (APPLY CHANGES) INTO target
 * FROM source ...: its source rows are what the target's rules judge (`SELECT * FROM source`).
 */
function flowShape(text: string, st: Token[]): Flow | undefined {
  const c = st.findIndex((t) => isWord(t, 'flow'));
  if (c < 0 || !isWord(st[0], 'create') || !isWord(st[c + 2], 'as')) return undefined;
  const cdc =
    (isWord(st[c + 3], 'auto') && isWord(st[c + 4], 'cdc')) ||
    (isWord(st[c + 3], 'apply') && isWord(st[c + 4], 'changes'));
  if (cdc && isWord(st[c + 5], 'into')) {
    const [target, after] = qualifiedName(st, c + 6);
    const keys = st.findIndex((t, i) => i > after && isWord(t, 'keys'));
    if (!isWord(st[after], 'from') || keys < 0) return undefined;
    return {
      name: st[c + 1].value,
      target,
      query: `SELECT * FROM ${text.slice(st[after + 1].start, st[keys - 1].end)}`,
    };
  }
  if (!isWord(st[c + 3], 'insert')) return undefined;
  const [target, after] = qualifiedName(st, c + 5);
  let n = after;
  if (isWord(st[n], 'by') && isWord(st[n + 1], 'name')) n += 2;
  if (n >= st.length) return undefined;
  return { name: st[c + 1].value, target, query: text.slice(st[n].start, st[st.length - 1].end) };
}

function quarantineFlow(f: Flow, into: Shape): string {
  return [
    `-- The rows of flow ${f.name} failing ${into.rules.map((r) => r.name).join(', ')} (Strata's QUARANTINE, exported).`,
    `CREATE FLOW ${f.name}_quarantine AS INSERT INTO ${into.name}_quarantine BY NAME`,
    `${quarantined(into.rules, f.query)};`,
  ].join('\n');
}

interface Shape {
  kind: 'STREAMING TABLE' | 'MATERIALIZED VIEW';
  name: string;
  rules: Rule[];
  /** Undefined for a table fed by flows. */
  query?: string;
}

/** The kind, name, QUARANTINE rules and query of a CREATE statement of a dataset. */
function datasetShape(text: string, st: Token[]): Shape | undefined {
  const streaming = st.findIndex((t) => isWord(t, 'streaming'));
  const kindAt = st.findIndex(
    (t, i) =>
      (isWord(t, 'table') || isWord(t, 'view')) &&
      (i === streaming + 1 || i === streaming + 2 || isWord(st[i - 1], 'materialized') || isWord(st[i - 1], 'live')),
  );
  if (kindAt < 0) return undefined;
  const [name, n] = qualifiedName(st, kindAt + 1);
  const rules: Rule[] = [];
  let depth = 0;
  let queryStart = -1;
  for (let i = n; i < st.length; i++) {
    const t = st[i];
    if (t.text === '(') depth++;
    else if (t.text === ')') depth--;
    if (isWord(t, 'constraint') && isWord(st[i + 2], 'expect') && st[i + 3]?.text === '(') {
      let d = 0;
      let j = i + 3;
      for (; j < st.length; j++) {
        if (st[j].text === '(') d++;
        else if (st[j].text === ')' && --d === 0) break;
      }
      const quarantine = isWord(st[j + 1], 'on') && isWord(st[j + 3], 'quarantine');
      if (quarantine) rules.push({ name: st[i + 1].value, expr: text.slice(st[i + 4].start, st[j - 1].end) });
    }
    if (depth === 0 && isWord(t, 'as') && queryStart < 0) queryStart = i + 1;
  }
  if (rules.length === 0) return undefined;
  const isStreaming = streaming >= 0 && streaming < kindAt;
  return {
    kind: isStreaming ? 'STREAMING TABLE' : 'MATERIALIZED VIEW',
    name: name.replace(/^live\./i, ''),
    rules,
    query:
      queryStart >= 0 && queryStart < st.length ? text.slice(st[queryStart].start, st[st.length - 1].end) : undefined,
  };
}

/** The rows of `query` failing any of `rules`, with the names of those they fail (`_rules`). */
function quarantined(rules: Rule[], query: string): string {
  const ok = (r: Rule) => `coalesce((${r.expr}), false)`;
  const failed = rules.map((r) => `CASE WHEN NOT ${ok(r)} THEN '${r.name.replace(/'/g, "\\'")}' END`).join(', ');
  return [
    `SELECT *, filter(array(${failed}), r -> r IS NOT NULL) AS _rules`,
    `FROM (`,
    query,
    `)`,
    `WHERE NOT (${rules.map(ok).join(' AND ')})`,
  ].join('\n');
}

function quarantineTable(s: Shape): string {
  const head = `-- Strata's ON VIOLATION QUARANTINE, as Databricks writes it: the rows failing ${s.rules.map((r) => r.name).join(', ')}, with the rules they failed (exported by strata export databricks).`;
  if (s.query === undefined) return `${head}\nCREATE OR REFRESH STREAMING TABLE ${s.name}_quarantine;`;
  return `${head}\nCREATE OR REFRESH ${s.kind} ${s.name}_quarantine AS\n${quarantined(s.rules, s.query)};`;
}
