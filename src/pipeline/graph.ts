// The dependency graph of a pipeline: which datasets each query reads (and
// how: streaming or batch), checks on it (unknown tables, cycles, streaming
// reads of materialized views, duplicate names), and the order to update in.
import { aliasFollows } from '../sql/index.js';
import { isKeyword, lineColumn, tokenize, type Token } from '../dialect/index.js';
import { kindName, type DatasetDefinition, type FlowDefinition, type Problem, type Where } from './parse.js';

export interface Reference {
  /** Normalized `schema.table` (unqualified names get `default.`). */
  name: string;
  streaming: boolean;
  offset: number;
}

export interface FileSource {
  /** The read_files call's text. */
  call: string;
  streaming: boolean;
}

/** A unit of work: a dataset's own query, or a flow into a streaming table. */
export interface Node {
  id: string;
  /** The dataset this node writes (`schema.table`). */
  target: string;
  kind: 'dataset' | 'flow';
  dataset?: DatasetDefinition;
  flow?: FlowDefinition;
  reads: Reference[];
  files: FileSource[];
}

export interface PipelineGraph {
  datasets: Map<string, DatasetDefinition>;
  nodes: Node[];
  /** Nodes in an order where each comes after the nodes writing what it reads. */
  order: Node[];
  problems: Problem[];
}

/**
 * `schema.table`, lower case: an unqualified name is in `schema` (the pipeline's target schema,
 * `default` unless configured); a three-part name loses its catalog (the project has one).
 */
export function normalizeName(name: string, schema = 'default'): string {
  if (/^delta\.`/i.test(name)) return name; // a path: as written
  const parts = name.split('.');
  return (parts.length === 1 ? `${schema}.${parts[0]}` : parts.slice(-2).join('.')).toLowerCase();
}

/** A place in a query that reads a dataset or files. */
export interface ReferenceSpan {
  /** Offsets of the whole reference (`STREAM(x)`, `x`, `STREAM read_files(...)`) in the query. */
  start: number;
  end: number;
  streaming: boolean;
  /** Normalized `schema.table`, for a table reference. */
  name?: string;
  /** The name as written (without `LIVE.`), for aliases. */
  written?: string;
  /** The read_files(...) call's text, for a file source. */
  call?: string;
  /** Offset of the name or call (for messages). */
  offset: number;
  /** Whether an alias follows the reference. */
  hasAlias: boolean;
}

/**
 * The places a query reads from: names after FROM / JOIN (and in FROM lists),
 * STREAM(x) and STREAM x as streaming reads, LIVE. prefixes dropped, CTE names
 * and table functions left out; read_files(...) calls as file sources.
 */
export function referenceSpans(sql: string, schema = 'default'): ReferenceSpan[] {
  const tokens = tokenize(sql);
  const ctes = new Set<string>();
  for (let i = 0; i + 2 < tokens.length; i++) {
    // WITH name AS ( / , name AS (
    if (
      (isKeyword(tokens[i], 'with') || tokens[i].text === ',') &&
      (tokens[i + 1].kind === 'ident' || tokens[i + 1].kind === 'quoted') &&
      isKeyword(tokens[i + 2], 'as') &&
      tokens[i + 3]?.text === '('
    ) {
      ctes.add(tokens[i + 1].value.toLowerCase());
    }
  }
  const spans: ReferenceSpan[] = [];
  const readName = (i: number): { name: string; next: number } | undefined => {
    // delta.`path`: a Delta table by its folder (the path kept as written).
    if (isKeyword(tokens[i], 'delta') && tokens[i + 1]?.text === '.' && tokens[i + 2]?.text.startsWith('`'))
      return { name: `delta.\`${tokens[i + 2].value}\``, next: i + 3 };
    if (tokens[i]?.kind !== 'ident' && tokens[i]?.kind !== 'quoted') return undefined;
    const parts = [tokens[i].value];
    let j = i + 1;
    while (tokens[j]?.text === '.' && (tokens[j + 1]?.kind === 'ident' || tokens[j + 1]?.kind === 'quoted')) {
      parts.push(tokens[j + 1].value);
      j += 2;
    }
    if (tokens[j]?.text === '(') return undefined; // a table function
    if (parts.length > 1 && parts[0].toLowerCase() === 'live') parts.shift();
    return { name: parts.join('.'), next: j };
  };
  const callEnd = (i: number): number => {
    let d = 0;
    for (let j = i; j < tokens.length; j++) {
      if (tokens[j].text === '(') d++;
      else if (tokens[j].text === ')' && --d === 0) return j;
    }
    return tokens.length - 1;
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    // STREAM(x), STREAM x, STREAM read_files(...), STREAM(read_files(...))
    if (
      isKeyword(t, 'stream') &&
      (isKeyword(tokens[i - 1], 'from') || isKeyword(tokens[i - 1], 'join') || tokens[i - 1]?.text === ',')
    ) {
      let j = i + 1;
      const paren = tokens[j]?.text === '(';
      if (paren) j++;
      if (isKeyword(tokens[j], 'read_files') && tokens[j + 1]?.text === '(') {
        let end = callEnd(j + 1);
        const call = sql.slice(tokens[j].start, tokens[end].end);
        if (paren && tokens[end + 1]?.text === ')') end++;
        spans.push({
          start: t.start,
          end: tokens[end].end,
          streaming: true,
          call,
          offset: tokens[j].start,
          hasAlias: aliasFollows(tokens[end + 1]),
        });
        i = end;
        continue;
      }
      const n = readName(j);
      if (n) {
        let last = n.next - 1;
        if (paren && tokens[n.next]?.text === ')') last = n.next;
        spans.push({
          start: t.start,
          end: tokens[last].end,
          streaming: true,
          name: normalizeName(n.name, schema),
          written: n.name,
          offset: tokens[j].start,
          hasAlias: aliasFollows(tokens[last + 1]),
        });
        i = last;
      }
      continue;
    }
    if (isKeyword(t, 'read_files') && tokens[i + 1]?.text === '(' && tokens[i - 1]?.text !== '.') {
      const end = callEnd(i + 1);
      spans.push({
        start: t.start,
        end: tokens[end].end,
        streaming: false,
        call: sql.slice(t.start, tokens[end].end),
        offset: t.start,
        hasAlias: aliasFollows(tokens[end + 1]),
      });
      i = end;
      continue;
    }
    if (isKeyword(t, 'from') || isKeyword(t, 'join') || (t.text === ',' && inFromList(tokens, i))) {
      const n = readName(i + 1);
      if (n && !ctes.has(n.name.toLowerCase()) && !isKeyword(tokens[i + 1], 'stream')) {
        spans.push({
          start: tokens[i + 1].start,
          end: tokens[n.next - 1].end,
          streaming: false,
          name: normalizeName(n.name, schema),
          written: n.name,
          offset: tokens[i + 1].start,
          hasAlias: aliasFollows(tokens[n.next]),
        });
      }
    }
  }
  return spans;
}

/** The tables and file sources a query reads. */
export function queryReferences(sql: string, schema = 'default'): { tables: Reference[]; files: FileSource[] } {
  const spans = referenceSpans(sql, schema);
  return {
    tables: spans.filter((s) => s.name).map((s) => ({ name: s.name!, streaming: s.streaming, offset: s.offset })),
    files: spans.filter((s) => s.call).map((s) => ({ call: s.call!, streaming: s.streaming })),
  };
}

/** Replaces references: `replace` returns the new text of a span, or undefined to keep it. */
export async function rewriteReferences(
  sql: string,
  replace: (span: ReferenceSpan) => Promise<string | undefined>,
  /** Where unqualified names are (the pipeline's target schema). */
  schema = 'default',
): Promise<string> {
  let out = '';
  let at = 0;
  for (const span of referenceSpans(sql, schema)) {
    const text = await replace(span);
    if (text === undefined) continue;
    out += sql.slice(at, span.start) + text;
    at = span.end;
  }
  return out + sql.slice(at);
}

/** Whether the comma at `i` separates items of a FROM list (not of a SELECT list or a call). */
function inFromList(tokens: Token[], i: number): boolean {
  let depth = 0;
  for (let j = i - 1; j >= 0; j--) {
    const t = tokens[j];
    if (t.text === ')') depth++;
    else if (t.text === '(') {
      if (depth === 0) return false;
      depth--;
    } else if (depth === 0) {
      if (isKeyword(t, 'from')) return true;
      if (['select', 'where', 'group', 'order', 'having', 'set', 'values', 'by'].some((w) => isKeyword(t, w)))
        return false;
    }
  }
  return false;
}

/**
 * Builds and checks the graph. `exists(name)` says whether a table outside the
 * pipeline exists (`schema.table`), so reads of tables other pipelines write are allowed.
 */
export function buildGraph(
  datasets: DatasetDefinition[],
  flows: FlowDefinition[],
  texts: Map<string, string>,
  exists: (name: string) => boolean,
  /** The pipeline's target schema: where its unqualified names are. */
  schema = 'default',
): PipelineGraph {
  const problems: Problem[] = [];
  const byName = new Map<string, DatasetDefinition>();
  for (const d of datasets) {
    const key = normalizeName(d.name, schema);
    const seen = byName.get(key);
    if (seen) {
      problems.push({
        code: 'DUPLICATE_NAME',
        message: `${d.name} is defined twice (also at ${seen.where.file}:${seen.where.line})`,
        where: d.where,
      });
      continue;
    }
    byName.set(key, d);
  }
  const flowNames = new Set<string>();
  for (const f of flows) {
    if (flowNames.has(f.name.toLowerCase()))
      problems.push({ code: 'DUPLICATE_NAME', message: `flow ${f.name} is defined twice`, where: f.where });
    flowNames.add(f.name.toLowerCase());
  }
  const where = (file: string, offset: number): Where => {
    const { line, column } = lineColumn(texts.get(file) ?? '', offset);
    return { file, line, column };
  };
  const nodes: Node[] = [];
  for (const d of byName.values()) {
    if (!d.query) continue;
    const refs = queryReferences(d.query, schema);
    nodes.push({
      id: normalizeName(d.name, schema),
      target: normalizeName(d.name, schema),
      kind: 'dataset',
      dataset: d,
      reads: refs.tables.map((r) => ({ ...r, offset: r.offset + (d.queryOffset ?? 0) })),
      files: refs.files,
    });
  }
  for (const f of flows) {
    const target = byName.get(normalizeName(f.target, schema));
    if (!target) {
      problems.push({
        code: 'UNKNOWN_TABLE',
        message: `flow ${f.name} writes ${f.target}, which the pipeline does not define (declare it with CREATE OR REFRESH STREAMING TABLE ${f.target})`,
        where: f.where,
      });
      continue;
    }
    if (target.kind !== 'streaming-table') {
      problems.push({
        code: 'FLOW_TARGET',
        message: `flow ${f.name} writes ${f.target}, a ${kindName(target.kind)}; flows write streaming tables`,
        where: f.where,
      });
      continue;
    }
    // (An AUTO CDC flow's query is `SELECT * FROM <source>`, its offset that of FROM.)
    const refs = queryReferences(f.query, schema);
    nodes.push({
      id: `flow:${f.name.toLowerCase()}`,
      target: normalizeName(f.target, schema),
      kind: 'flow',
      flow: f,
      reads: refs.tables.map((r) => ({
        ...r,
        offset: r.offset + f.queryOffset - (f.kind === 'append' ? 0 : 'SELECT * '.length),
      })),
      files: refs.files,
    });
  }
  // A streaming table needs a query or a flow.
  for (const d of byName.values()) {
    if (!d.query && !nodes.some((n) => n.target === normalizeName(d.name, schema))) {
      problems.push({
        code: 'NO_SOURCE',
        message: `streaming table ${d.name} has no query and no flow writes it`,
        where: d.where,
      });
    }
  }
  // References: known, and streamed only from streaming sources.
  for (const n of nodes) {
    const file = n.dataset?.where.file ?? n.flow!.where.file;
    for (const r of n.reads) {
      const source = byName.get(r.name);
      if (!source) {
        if (!exists(r.name)) {
          problems.push({
            code: 'UNKNOWN_TABLE',
            message: `${r.name} is not defined in the pipeline and no such table exists`,
            where: where(file, r.offset),
          });
        }
        continue;
      }
      if (r.streaming && source.kind === 'materialized-view') {
        problems.push({
          code: 'STREAM_OF_MATERIALIZED_VIEW',
          message: `STREAM(${r.name}) reads a materialized view as a stream; read it without STREAM, or make it a streaming table`,
          where: where(file, r.offset),
        });
      }
    }
  }
  // Order: a node after every node writing a dataset it reads.
  const writers = new Map<string, Node[]>();
  for (const n of nodes) writers.set(n.target, [...(writers.get(n.target) ?? []), n]);
  const deps = new Map<Node, Set<Node>>();
  for (const n of nodes) {
    const set = new Set<Node>();
    for (const r of n.reads) for (const w of writers.get(r.name) ?? []) if (w !== n) set.add(w);
    deps.set(n, set);
  }
  const order: Node[] = [];
  const state = new Map<Node, 'visiting' | 'done'>();
  const cycle: Node[] = [];
  const visit = (n: Node, path: Node[]): boolean => {
    if (state.get(n) === 'done') return true;
    if (state.get(n) === 'visiting') {
      cycle.push(...path.slice(path.indexOf(n)), n);
      return false;
    }
    state.set(n, 'visiting');
    for (const d of [...deps.get(n)!].sort((a, b) => a.id.localeCompare(b.id)))
      if (!visit(d, [...path, n])) return false;
    state.set(n, 'done');
    order.push(n);
    return true;
  };
  for (const n of [...nodes].sort((a, b) => a.id.localeCompare(b.id))) {
    if (!visit(n, [])) {
      const first = cycle[0];
      problems.push({
        code: 'CYCLE',
        message: `the pipeline has a cycle: ${cycle.map((c) => c.target).join(' → ')}`,
        where: first.dataset?.where ?? first.flow!.where,
      });
      break;
    }
  }
  return { datasets: byName, nodes, order, problems };
}
