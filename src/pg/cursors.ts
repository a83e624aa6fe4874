// SQL cursors, as PostgreSQL's DECLARE / FETCH / MOVE / CLOSE: a cursor's query runs at DECLARE
// (its rows kept, read at the transaction's pinned versions) and FETCH hands them out in steps.
// A cursor ends with its transaction block unless declared WITH HOLD.
import { StrataError } from '../core/index.js';
import type { QueryResult } from '../project/index.js';

interface Cursor {
  result: QueryResult;
  at: number;
  hold: boolean;
}

export type CursorOutcome = { tag: string; result?: QueryResult };

const DECLARE =
  /^DECLARE\s+("(?:[^"]|"")+"|[A-Za-z_][\w$]*)\s+(?:BINARY\s+)?(?:(?:ASENSITIVE|INSENSITIVE)\s+)?(?:(?:NO\s+)?SCROLL\s+)?CURSOR\s+(?:(WITH|WITHOUT)\s+HOLD\s+)?FOR\s+([\s\S]+)$/i;
const FETCH =
  /^(FETCH|MOVE)\s+(?:(NEXT|PRIOR|FIRST|LAST|ALL|FORWARD\s+ALL|FORWARD\s+\d+|FORWARD|ABSOLUTE\s+-?\d+|RELATIVE\s+-?\d+|\d+)\s+)?(?:(?:FROM|IN)\s+)?("(?:[^"]|"")+"|[A-Za-z_][\w$]*)$/i;
const CLOSE = /^CLOSE\s+(ALL|"(?:[^"]|"")+"|[A-Za-z_][\w$]*)$/i;

function nameOf(text: string): string {
  return text.startsWith('"') ? text.slice(1, -1).replace(/""/g, '"') : text.toLowerCase();
}

export class Cursors {
  private readonly open = new Map<string, Cursor>();

  /** The statement's outcome if it is a cursor statement, else undefined. */
  async handle(
    text: string,
    inTransaction: boolean,
    run: (query: string) => Promise<QueryResult>,
  ): Promise<CursorOutcome | undefined> {
    const declare = DECLARE.exec(text);
    if (declare) {
      const hold = declare[2]?.toUpperCase() === 'WITH';
      if (!inTransaction && !hold)
        throw new StrataError('SQL_ERROR', 'DECLARE CURSOR can only be used in transaction blocks');
      const name = nameOf(declare[1]);
      if (this.open.has(name)) throw new StrataError('SQL_ERROR', `cursor "${name}" already exists`);
      this.open.set(name, { result: await run(declare[3]), at: 0, hold });
      return { tag: 'DECLARE CURSOR' };
    }
    const fetch = FETCH.exec(text);
    if (fetch) return this.fetch(fetch[1].toUpperCase(), (fetch[2] ?? 'NEXT').toUpperCase(), nameOf(fetch[3]));
    const close = CLOSE.exec(text);
    if (close) {
      if (close[1].toUpperCase() === 'ALL') this.open.clear();
      else if (!this.open.delete(nameOf(close[1])))
        throw new StrataError('SQL_ERROR', `cursor "${nameOf(close[1])}" does not exist`);
      return { tag: 'CLOSE CURSOR' };
    }
    return undefined;
  }

  /** The transaction block ended: its cursors close (WITH HOLD ones stay). */
  endTransaction(): void {
    for (const [name, c] of this.open) if (!c.hold) this.open.delete(name);
  }

  private fetch(verb: string, how: string, name: string): CursorOutcome {
    const c = this.open.get(name);
    if (!c) throw new StrataError('SQL_ERROR', `cursor "${name}" does not exist`);
    const total = c.result.rows.length;
    let from = c.at;
    let to: number;
    const n = (re: RegExp) => Number(re.exec(how)?.[1] ?? 1);
    if (how === 'ALL' || how === 'FORWARD ALL') to = total;
    else if (how === 'NEXT' || how === 'FORWARD') to = Math.min(total, from + 1);
    else if (/^\d+$/.test(how) || how.startsWith('FORWARD ')) to = Math.min(total, from + n(/(\d+)$/));
    else if (how === 'FIRST' || how.startsWith('ABSOLUTE')) {
      // (one row at an absolute position: FIRST is ABSOLUTE 1)
      const k = how === 'FIRST' ? 1 : n(/(-?\d+)$/);
      const at = k > 0 ? k - 1 : total + k;
      from = Math.max(0, Math.min(total, at));
      to = at >= 0 && at < total ? at + 1 : from;
    } else
      throw new StrataError(
        'SQL_UNSUPPORTED',
        `FETCH ${how}: this endpoint's cursors move forward only (NEXT, FORWARD n, n, ALL, FIRST, ABSOLUTE n)`,
      );
    c.at = to;
    const rows = c.result.rows.slice(from, to);
    return {
      tag: `${verb} ${rows.length}`,
      result: verb === 'FETCH' ? { columns: c.result.columns, rows } : undefined,
    };
  }
}
