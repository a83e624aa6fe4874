// `strata query --format parquet`: a query's result written as a Parquet file. A plain query
// is copied by DuckDB straight from the scan to the file; the result of a statement Strata
// answers itself (DESCRIBE HISTORY, DESCRIBE DETAIL, MERGE's counts...) is written from its
// rows, typed as the result's columns.
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { quoteIdent, quoteLiteral, type QueryResult, type Session } from '../engine/index.js';
import { executeQuery, parseStatement, splitStatements, type ExecuteOptions } from '../sql/index.js';

/** Runs `sql` and writes the last statement's rows to `file` as Parquet; returns the row count when known. */
export async function writeParquet(
  session: Session,
  sql: string,
  file: string,
  options: ExecuteOptions,
): Promise<number | undefined> {
  const statements = splitStatements(sql);
  const last = statements.pop();
  if (last === undefined) return (await executeQuery(session, sql, options)).rows.length;
  if (statements.length > 0) await executeQuery(session, statements.join(';\n'), options);
  if (parseStatement(last).kind === 'query') {
    await executeQuery(session, `COPY (${last}) TO ${quoteLiteral(file)} (FORMAT parquet)`, options);
    return undefined;
  }
  const result = await executeQuery(session, last, options);
  await writeRows(session, result, file);
  return result.rows.length;
}

/** The rows of a result, through a JSON Lines file read back with the result's column types. */
async function writeRows(session: Session, result: QueryResult, file: string): Promise<void> {
  const tmp = path.join(tmpdir(), `strata-export-${randomUUID()}.jsonl`);
  try {
    const lines = result.rows.map((row) =>
      JSON.stringify(Object.fromEntries(result.columns.map((c, i) => [c.name, row[i]]))),
    );
    await fs.writeFile(tmp, lines.length ? `${lines.join('\n')}\n` : '');
    const columns = result.columns.map((c) => `${quoteLiteral(c.name)}: ${quoteLiteral(c.type)}`).join(', ');
    const select = result.columns.map((c) => quoteIdent(c.name)).join(', ') || '*';
    await session.exec(
      `COPY (SELECT ${select} FROM read_json(${quoteLiteral(tmp)}, format = 'newline_delimited', columns = {${columns}})) TO ${quoteLiteral(file)} (FORMAT parquet)`,
    );
  } finally {
    await fs.rm(tmp, { force: true });
  }
}
