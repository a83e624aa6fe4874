// The careful path's readers of JSON (lines, or documents with multiLine) and Parquet files:
// each file's rows into the batch's raw table with their file (FILE_COLUMN), lines that are not
// JSON objects set aside with their line number, unreadable files failed one by one.
import { deltaTypeOf, duckdbType, type DeltaType } from '../delta/index.js';
import { quoteIdent, quoteLiteral, quoteStringList, type Session } from '../engine/index.js';
import type { ReadOptions } from './options.js';
import { FILE_COLUMN } from './typed.js';
import { LINE } from './csv-reconcile.js';
import { inferJsonFields } from './infer.js';

/** A file to read (read.ts's SourceFile). */
interface SourceFile {
  path: string;
}

// --- JSON --------------------------------------------------------------------

export async function readJson(
  session: Session,
  files: SourceFile[],
  o: ReadOptions,
  raw: string,
  rejected: string,
  fail: (path: string, error: string) => void,
): Promise<{ name: string; type: DeltaType; inferred?: DeltaType }[]> {
  const lines = `${raw}_lines`;
  await session.exec(`CREATE OR REPLACE TEMP TABLE ${quoteIdent(lines)} (l VARCHAR, __file VARCHAR, __row BIGINT)`);
  const attempt = async (part: SourceFile[]): Promise<void> => {
    // One record per line (JSON Lines); with multiLine, each file is a JSON document or array.
    const source = o.multiLine
      ? `(SELECT json::VARCHAR AS l, filename FROM read_json_objects(${quoteStringList(part.map((f) => f.path))}, format = 'auto', filename = true))`
      : `read_csv(${quoteStringList(part.map((f) => f.path))}, ${LINE}, encoding = ${quoteLiteral(o.encoding)})`;
    try {
      await session.exec(
        `INSERT INTO temp.${quoteIdent(lines)} SELECT l, __file, __g - min(__g) OVER (PARTITION BY __file) + 1 FROM (
           SELECT l, filename AS __file, row_number() OVER () AS __g FROM ${source})`,
      );
    } catch (err) {
      if (part.length === 1) {
        await session.exec(`DELETE FROM temp.${quoteIdent(lines)} WHERE __file = ${quoteLiteral(part[0].path)}`);
        fail(part[0].path, `cannot read the file: ${firstLine(err)}`);
      } else for (const f of part) await attempt([f]);
    }
  };
  await attempt(files);
  // CASE, not AND: DuckDB evaluates both sides of AND, and json_type fails on non-JSON.
  const isObject = `CASE WHEN json_valid(l) THEN json_type(l) = 'OBJECT' ELSE false END`;
  // Lines that are not a JSON object go aside, with their line number; blank lines are skipped.
  await session.exec(
    `INSERT INTO temp.${quoteIdent(rejected)} SELECT __file, __row, 'not a JSON object', l, NULL FROM temp.${quoteIdent(lines)}
     WHERE trim(coalesce(l, '')) <> '' AND NOT ${isObject}`,
  );
  const keys = await session.rows<{ k: string }>(
    `SELECT k FROM (SELECT unnest(CASE WHEN ${isObject} THEN json_keys(l) END) AS k, __file, __row FROM temp.${quoteIdent(lines)}) GROUP BY k ORDER BY min(__file), min(__row)`,
  );
  // Inferred (inferColumnTypes): Spark's types, the columns in name order as Spark gives them.
  const inferred = o.inferColumnTypes ? await inferJsonFields(session, `temp.${quoteIdent(lines)}`) : undefined;
  const names = keys.map((k) => k.k);
  if (inferred) names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const values = names.length
    ? `CASE WHEN ${isObject} THEN json_extract_string(l, ${quoteStringList(names)}) END`
    : '[]::VARCHAR[]';
  await session.exec(
    `CREATE OR REPLACE TEMP TABLE ${quoteIdent(raw)} AS SELECT ${[...names.map((n, i) => `v[${i + 1}] AS ${quoteIdent(n)}`), `__file AS ${FILE_COLUMN}`].join(', ')}
     FROM (SELECT ${values} AS v, __file FROM temp.${quoteIdent(lines)} WHERE ${isObject} ORDER BY __file, __row)`,
  );
  await session.exec(`DROP TABLE IF EXISTS temp.${quoteIdent(lines)}`);
  return names.map((name) => ({
    name,
    type: { kind: 'primitive', name: 'string' } as DeltaType,
    inferred: inferred?.get(name.toLowerCase()),
  }));
}

// --- Parquet -----------------------------------------------------------------

export async function readParquet(
  session: Session,
  files: SourceFile[],
  raw: string,
  fail: (path: string, error: string) => void,
): Promise<{ name: string; type: DeltaType }[]> {
  // The union of the files' columns, with their types (one look at the footers).
  const readable: SourceFile[] = [];
  const described = new Map<string, DeltaType>();
  const order: string[] = [];
  for (const f of files) {
    try {
      const cols = await session.describe(`SELECT * FROM read_parquet(${quoteLiteral(f.path)})`);
      for (const c of cols) {
        if (!described.has(c.name)) order.push(c.name);
        described.set(c.name, deltaTypeOf(c.type, `column ${c.name} of ${f.path}`));
      }
      readable.push(f);
    } catch (err) {
      fail(f.path, `cannot read the file: ${firstLine(err)}`);
    }
  }
  const fields = order.map((name) => ({ name, type: described.get(name)! }));
  await session.exec(
    `CREATE OR REPLACE TEMP TABLE ${quoteIdent(raw)} (${[...fields.map((f) => `${quoteIdent(f.name)} ${duckdbType(f.type)}`), `${FILE_COLUMN} VARCHAR`].join(', ')})`,
  );
  if (readable.length > 0) {
    await session.exec(
      `INSERT INTO temp.${quoteIdent(raw)} BY NAME SELECT * EXCLUDE (${FILE_COLUMN}), ${FILE_COLUMN}
       FROM read_parquet(${quoteStringList(readable.map((f) => f.path))}, union_by_name = true, filename = ${quoteLiteral(FILE_COLUMN)})`,
    );
  }
  return fields;
}

/** An engine error's first line, without DuckDB's category prefix. */
export function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (
    text
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.replace(/^(Invalid Input|IO|Conversion) Error: /, '') ?? text
  );
}
