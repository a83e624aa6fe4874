// JSON in Databricks SQL: the `col:path` extraction operator and the JSON functions (from_json
// with a schema, json_object_keys, schema_of_json, json_tuple), as DuckDB JSON expressions.
//
// `raw:store.book[0].title` (https://docs.databricks.com/aws/en/sql/language-manual/sql-ref-json-path-expression):
// a STRING; objects and arrays as JSON text, a JSON null as NULL, NULL when the path does not
// exist or the text is not JSON. A name after `:` or `.` matches a field whatever its case
// (exactly first, then ignoring case); `['name']` matches exactly; `[n]` counts from 0; `[*]`
// takes every element (the result a JSON array).
import { quoteLiteral } from '../engine/index.js';
import { parseSparkType, tokenize, TokenCursor, type Token } from '../dialect/index.js';
import { duckdbType, type DeltaType } from '../delta/index.js';
import { arity, fail, literal, type Call, type Handler } from './spark-call.js';

/** One step of a JSON path. */
type Step =
  { kind: 'name'; name: string } | { kind: 'field'; name: string } | { kind: 'index'; index: number } | { kind: 'all' };

/** The path after the `:` at `i`, and the index after it; undefined when what follows is not a path. */
export function jsonPath(tokens: Token[], i: number, to: number): { steps: Step[]; next: number } | undefined {
  const steps: Step[] = [];
  let j = i + 1;
  const first = tokens[j];
  if (
    first &&
    (first.kind === 'ident' || (first.kind === 'quoted' && first.text.startsWith('`'))) &&
    first.start === tokens[i].end
  ) {
    steps.push({ kind: 'name', name: first.value });
    j++;
  } else if (first?.text !== '[') return undefined;
  for (;;) {
    const t = tokens[j];
    if (j >= to || !t) break;
    if (t.text === '.' && (tokens[j + 1]?.kind === 'ident' || tokens[j + 1]?.kind === 'quoted')) {
      steps.push({ kind: 'name', name: tokens[j + 1].value });
      j += 2;
    } else if (t.text === '[' && tokens[j + 2]?.text === ']') {
      const inner = tokens[j + 1];
      if (inner.kind === 'string') steps.push({ kind: 'field', name: inner.value });
      else if (inner.kind === 'number' && /^\d+$/.test(inner.text))
        steps.push({ kind: 'index', index: Number(inner.text) });
      else if (inner.text === '*') steps.push({ kind: 'all' });
      else return undefined;
      j += 3;
    } else break;
  }
  return steps.length > 0 ? { steps, next: j } : undefined;
}

/** A key in DuckDB's JSON path syntax: `."name"` (a `"` in it escaped). */
const key = (name: string) => `."${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

function pathText(steps: Step[]): string {
  return (
    '$' + steps.map((s) => (s.kind === 'index' ? `[${s.index}]` : s.kind === 'all' ? '[*]' : key(s.name))).join('')
  );
}

/** The value of `base:path` (see the file's comment). */
export function jsonExtract(base: string, steps: Step[]): string {
  const exact = steps.some((s) => s.kind === 'all')
    ? `CAST(to_json(json_extract(${base}, ${quoteLiteral(pathText(steps))})) AS VARCHAR)`
    : `json_extract_string(${base}, ${quoteLiteral(pathText(steps))})`;
  // Names match whatever their case: where the exact path finds nothing, each name is looked up
  // among the keys of its object ignoring case (only then: coalesce evaluates it for those rows).
  const insensitive =
    steps.some((s) => s.kind === 'name') && !steps.some((s) => s.kind === 'all')
      ? `json_extract_string(${steps.reduce((j, s) => step(j, s), base)}, '$')`
      : undefined;
  const value = insensitive ? `coalesce(${exact}, ${insensitive})` : exact;
  return `(CASE WHEN json_valid(${base}) THEN ${value} END)`;
}

function step(j: string, s: Step): string {
  if (s.kind !== 'name') return `json_extract(${j}, ${quoteLiteral(pathText([s]))})`;
  const lower = quoteLiteral(s.name.toLowerCase());
  const found = `list_filter(json_keys(${j}), __k -> lower(__k) = ${lower})[1]`;
  return `json_extract(${j}, '$."' || replace(replace(${found}, '\\', '\\\\'), '"', '\\"') || '"')`;
}

/** DuckDB's json_transform structure for a Spark type (from_json's schema). */
function structure(t: DeltaType): unknown {
  switch (t.kind) {
    case 'struct':
      return Object.fromEntries(t.fields.map((f) => [f.name, structure(f.type)]));
    case 'array':
      return [structure(t.elementType)];
    default:
      return duckTypeText(t);
  }
}

/** DuckDB's type text for a Spark type (TIMESTAMP as a naive UTC timestamp, as Strata's casts). */
export function duckTypeText(t: DeltaType): string {
  return duckdbType(t).replace(/TIMESTAMP WITH TIME ZONE/g, 'TIMESTAMP');
}

/** A Spark type written as text (`array<int>`, `map<string, double>`), parsed. */
export function sparkTypeOf(text: string): DeltaType {
  const tokens = tokenize(text, { spark: true });
  const cur = new TokenCursor(text, tokens);
  const type = parseSparkType(cur);
  if (!cur.atEnd()) cur.fail(`unexpected '${cur.peek()!.text}'`);
  return type;
}

/** A schema as from_json takes it: `a INT, b STRING`, or one type (`STRUCT<...>`, `ARRAY<...>`, `MAP<...>`). */
function parseSchema(c: Call, text: string): DeltaType {
  try {
    const tokens = tokenize(text, { spark: true });
    const cur = new TokenCursor(text, tokens);
    const word = tokens[0]?.value.toLowerCase();
    const single = ['struct', 'array', 'map'].includes(word) && tokens[1]?.text === '<';
    let type: DeltaType;
    if (single) type = parseSparkType(cur);
    else {
      const fields = [];
      do {
        const name = cur.ident('a field name');
        cur.accept(':');
        fields.push({ name, type: parseSparkType(cur), nullable: true, metadata: {} });
      } while (cur.accept(','));
      type = { kind: 'struct', fields };
    }
    if (!cur.atEnd()) cur.fail(`unexpected '${cur.peek()!.text}'`);
    return type;
  } catch (err) {
    return fail(c, `the schema '${text}' is not one Strata reads: ${(err as Error).message}`);
  }
}

/** The DDL text Spark's schema_of_json gives for a JSON value (fields sorted by name, as Spark infers them). */
function inferred(v: unknown): string {
  if (v === null) return 'STRING';
  if (Array.isArray(v)) return `ARRAY<${v.length ? inferred(v.find((x) => x !== null) ?? null) : 'STRING'}>`;
  if (typeof v === 'object')
    return `STRUCT<${Object.keys(v as object)
      .sort()
      .map(
        (k) => `${/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? k : `\`${k}\``}: ${inferred((v as Record<string, unknown>)[k])}`,
      )
      .join(', ')}>`;
  if (typeof v === 'number') return Number.isInteger(v) ? 'BIGINT' : 'DOUBLE';
  if (typeof v === 'boolean') return 'BOOLEAN';
  return 'STRING';
}

export const JSON_HANDLERS: Record<string, Handler> = {
  // from_json(json, schema[, options]): a struct (or array, map) of the schema; NULL for text that is not JSON.
  from_json: (c) => {
    arity(c, 2, 3);
    const schema = literal(c.args[1]);
    if (schema === undefined) fail(c, "the schema must be a string literal, e.g. 'a INT, b STRING'");
    // DuckDB's own form, a JSON structure ('{"a": "INTEGER"}'), stays DuckDB's.
    if (/^\s*[[{"]/.test(schema!)) return `from_json(${c.args.map((a) => a.sql).join(', ')})`;
    const shape = JSON.stringify(structure(parseSchema(c, schema!)));
    return `(CASE WHEN json_valid(${c.args[0].sql}) THEN json_transform(${c.args[0].sql}, ${quoteLiteral(shape)}) END)`;
  },
  json_object_keys: (c) => {
    arity(c, 1);
    const j = c.args[0].sql;
    return `(CASE WHEN json_valid(${j}) AND json_type(${j}) = 'OBJECT' THEN json_keys(${j}) END)`;
  },
  schema_of_json: (c) => {
    arity(c, 1, 2);
    const text = literal(c.args[0]);
    if (text === undefined) fail(c, 'the JSON must be a string literal, as in Spark');
    let v: unknown;
    try {
      v = JSON.parse(text!);
    } catch {
      fail(c, `'${text}' is not JSON`);
    }
    return quoteLiteral(inferred(v));
  },
  // json_tuple(json, 'a', 'b'): the fields as columns c0, c1, ... (strings).
  json_tuple: (c) => {
    if (c.args.length < 2) fail(c, 'expects a JSON string and at least one field name');
    const j = c.args[0].sql;
    return c.args
      .slice(1)
      .map((a, i) => {
        const name = literal(a);
        const path = name !== undefined ? quoteLiteral(`$${key(name)}`) : `'$."' || (${a.sql}) || '"'`;
        return `(CASE WHEN json_valid(${j}) THEN json_extract_string(${j}, ${path}) END) AS c${i}`;
      })
      .join(', ');
  },
};
