import { describe, expect, it } from 'vitest';
import {
  asInternal,
  BUG_SENTENCE,
  classifyUnclaimed,
  EngineError,
  engineFailure,
  internal,
  InternalSqlError,
  LocatedError,
  StrataError,
  UserSqlError,
} from './errors.js';
import { lineColumn, pointer } from './text-position.js';

/** An engine failure as the engine makes one (core cannot run DuckDB). */
function engineError(sql: string, kind: string, what: string, at?: number): EngineError {
  const engineMessage = `${kind} Error: ${what}`;
  const excerpt = at === undefined ? '' : `\n\n${pointer(sql, at)}`;
  return new EngineError(engineMessage + excerpt, { sql, kind, engineMessage, position: at });
}

describe('places in a text', () => {
  it('turns an offset into a 1-based line and column', () => {
    const text = 'SELECT 1,\n  2,\n\tx';
    expect(lineColumn(text, 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn(text, 7)).toEqual({ line: 1, column: 8 });
    expect(lineColumn(text, text.indexOf('2'))).toEqual({ line: 2, column: 3 });
    expect(lineColumn(text, text.indexOf('x'))).toEqual({ line: 3, column: 2 });
    expect(lineColumn(text, 999)).toEqual({ line: 3, column: 3 }); // past the end: the end
  });

  it('shows the line with a caret under the place, keeping tabs, cutting long lines', () => {
    expect(pointer('SELECT a,\n\tnope FROM t', 11)).toBe('LINE 2: \tnope FROM t\n        \t^');
    expect(pointer('SELECT nope', 7, '  ')).toBe('  SELECT nope\n         ^');
    const long = `SELECT ${'x, '.repeat(100)}nope FROM t`;
    const [line, caret] = pointer(long, long.indexOf('nope')).split('\n');
    expect(line).toMatch(/^LINE 1: \.\.\.[x, ]+nope FROM t$/);
    expect(line.length).toBeLessThan(120);
    expect(line.slice(caret.indexOf('^'))).toMatch(/^nope/);
  });
});

describe('LocatedError', () => {
  it('with an offset only, says what is wrong and leaves the place to the caller', () => {
    const err = new LocatedError('SQL_SYNTAX', 'unterminated string', { offset: 12 });
    expect(err).toBeInstanceOf(StrataError);
    expect([err.code, err.message, err.offset, err.where]).toEqual([
      'SQL_SYNTAX',
      'unterminated string',
      12,
      undefined,
    ]);
  });

  it('with the text, names line and column', () => {
    const err = new LocatedError('SQL_SYNTAX', 'unterminated string', { offset: 12 }).withText("SELECT 1,\n  'abc");
    expect(err.message).toBe('unterminated string (line 2, column 3)');
    expect(err.position).toEqual({ line: 2, column: 3 });
  });

  it('in a file, is file:line:column: detail — from the file text and a base offset, or from where its text starts', () => {
    const file = '-- a comment\nCREATE FLOW f AS AUTO CDC INTO t FROM s\n  SEQUENCE BY ts;';
    const clauses = file.indexOf('FROM s');
    const inFile = new LocatedError('SQL_SYNTAX', 'KEYS (...) is required', { offset: 'FROM s\n  '.length }).inFile(
      'p/cdc.sql',
      file,
      clauses,
    );
    expect(inFile.message).toBe('p/cdc.sql:3:3: KEYS (...) is required');
    expect(inFile.where).toEqual({ file: 'p/cdc.sql', line: 3, column: 3 });
    expect(inFile.detail).toBe('KEYS (...) is required');
    // A piece that starts at column 20 of line 4: its first line is shifted, its next lines are not.
    const start = { file: 'p/q.sql', line: 4, column: 20 };
    const piece = 'SELECT a,\n  nope FROM t';
    expect(new LocatedError('SQL_ERROR', 'no nope', { offset: 7, text: piece }).within(start).message).toBe(
      'p/q.sql:4:27: no nope',
    );
    expect(
      new LocatedError('SQL_ERROR', 'no nope', { offset: piece.indexOf('nope'), text: piece }).within(start).where,
    ).toEqual({ file: 'p/q.sql', line: 5, column: 3 });
  });

  it('can show the line of its text with a caret (engine messages), in DuckDB’s form or under a file place', () => {
    const sql = 'SELECT 1,\n  split(1)';
    const err = new LocatedError(
      'SQL_ERROR',
      "Binder Error: no function 'split(INTEGER_LITERAL)'",
      { offset: sql.indexOf('split'), text: sql },
      { excerpt: true },
    );
    expect(err.message).toBe("Binder Error: no function 'split(INTEGER_LITERAL)'\n\nLINE 2:   split(1)\n          ^");
    expect(err.within({ file: 'p/q.sql', line: 3, column: 4 }).message).toBe(
      "p/q.sql:4:3: Binder Error: no function 'split(INTEGER_LITERAL)'\n\n    split(1)\n    ^",
    );
  });
});

describe('whose SQL failed: user or Strata', () => {
  const generated = 'SELECT origin.update_id FROM e';

  it('internal(): a failure of SQL Strata generated is INTERNAL_SQL, says it is a bug, and keeps the SQL for --verbose', async () => {
    const err = await internal(
      Promise.reject(engineError(generated, 'Binder', 'Referenced table "origin" not found!', 7)),
      'reading the event log',
    ).catch((e) => e);
    expect(err).toBeInstanceOf(InternalSqlError);
    expect(err.code).toBe('INTERNAL_SQL');
    expect(err.message).toBe(
      `Strata's own SQL failed while reading the event log: Binder Error: Referenced table "origin" not found! — ${BUG_SENTENCE}`,
    );
    expect(err.message.endsWith('this is a bug in Strata; run with --verbose and report it')).toBe(true);
    expect(err.message).not.toContain('LINE 1');
    expect(err.sql).toBe(generated);
    // Also when a user boundary had already worded it as the user's (generated SQL run through executeQuery).
    const worded = new LocatedError(
      'SQL_ERROR',
      'Binder Error: ...',
      { offset: 7, text: generated },
      { cause: engineError(generated, 'Binder', 'x') },
    );
    expect((asInternal(worded) as StrataError).code).toBe('INTERNAL_SQL');
  });

  it('internal() leaves what the machine did, and errors classified where they happened, as they are', async () => {
    const io = engineError(generated, 'IO', 'No space left on device');
    expect(await internal(() => Promise.reject(io)).catch((e) => e)).toBe(io);
    const corrupt = new StrataError('CHECKPOINT_INVALID', 'table t: cannot read checkpoint', {
      cause: engineError(generated, 'Invalid Input', 'not a parquet file'),
    });
    expect(await internal(Promise.reject(corrupt)).catch((e) => e)).toBe(corrupt);
    expect(await internal(Promise.resolve(42))).toBe(42);
  });

  it('finds the engine failure behind an SQL error that wraps it (cannot write to table t: ...)', () => {
    const engine = engineError('COPY (...) TO x', 'Conversion', 'Could not convert');
    const wrapped = new StrataError('SQL_ERROR', `cannot write to table t: ${engine.message}`, { cause: engine });
    expect(engineFailure(wrapped)).toBe(engine);
    expect(engineFailure(new UserSqlError('INSERT into t: 3 columns but 2 expected'))).toBeUndefined();
    expect(engineFailure(new StrataError('CONFLICT', 'x', { cause: engine }))).toBeUndefined();
  });

  it('at the top, an unclaimed engine failure of the text is a bug; of the data, DuckDB’s words without the generated line', () => {
    const text = classifyUnclaimed(
      engineError(generated, 'Binder', 'Referenced table "origin" not found!', 7),
    ) as StrataError;
    expect(text.code).toBe('INTERNAL_SQL');
    expect(text.message).toMatch(/this is a bug in Strata; run with --verbose and report it$/);
    const data = classifyUnclaimed(
      engineError(
        `SELECT CAST(c AS INT) FROM read_csv('f.csv')`,
        'Conversion',
        "Could not convert string 'x' to INT32",
        7,
      ),
    ) as StrataError;
    expect(data.code).toBe('SQL_ERROR');
    expect(data.message).toBe("Conversion Error: Could not convert string 'x' to INT32");
    // What a boundary claimed stays as it is.
    const claimed = new UserSqlError('Binder Error: ...', { cause: engineError(generated, 'Binder', 'x') });
    expect(classifyUnclaimed(claimed)).toBe(claimed);
    const plain = new Error('boom');
    expect(classifyUnclaimed(plain)).toBe(plain);
  });
});
