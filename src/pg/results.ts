// A result as the protocol sends it: its RowDescription, its DataRows (each column in the text or
// binary format the Bind asked for), and the CommandComplete tag of the statement that made it.
import type { QueryResult } from '../project/index.js';
import * as m from './protocol.js';
import { binaryValue } from './binary.js';
import { pgTypeOf, textValue } from './types.js';

/** The format of column (or parameter) `i` from a Bind's format codes: none = text, one = all. */
export function formatOf(formats: number[], i: number): 0 | 1 {
  const f = formats.length === 0 ? 0 : formats.length === 1 ? formats[0] : (formats[i] ?? 0);
  return f === 1 ? 1 : 0;
}

export function rowDescriptionOf(result: QueryResult, formats: number[]): Buffer {
  return m.rowDescription(
    result.columns.map((c, i) => {
      const { type, typmod } = pgTypeOf(c.type);
      return { name: c.name, typeOid: type.oid, typeLen: type.len, typeMod: typmod, format: formatOf(formats, i) };
    }),
  );
}

/** The DataRows of rows [from, to), handed to `send` in batches. */
export function sendDataRows(
  result: QueryResult,
  from: number,
  to: number,
  formats: number[],
  send: (...messages: Buffer[]) => void,
): void {
  const types = result.columns.map((c) => pgTypeOf(c.type).type);
  const encoders = types.map((_, i) => (formatOf(formats, i) === 1 ? binaryValue : textValue));
  const out: Buffer[] = [];
  for (let r = from; r < to; r++) {
    out.push(m.dataRow(result.rows[r].map((v, i) => encoders[i](v, types[i]))));
    if (out.length >= 256) send(...out.splice(0));
  }
  if (out.length) send(...out);
}

/** The CommandComplete tag of a statement: SELECT n for rows, else its first word. */
export function commandTag(statement: string, result: QueryResult | undefined): string {
  const word = /^\s*(?:\/\*[\s\S]*?\*\/\s*|--[^\n]*\n\s*)*(\w+)/.exec(statement)?.[1]?.toUpperCase() ?? 'SELECT';
  if (word === 'SELECT' || word === 'WITH' || word === 'VALUES' || word === 'TABLE' || result?.columns.length)
    return `SELECT ${result?.rows.length ?? 0}`;
  return word;
}
