// Errors: one base class with a stable code, so callers, retries and alerts can
// tell a user's mistake from a system fault without parsing messages.
//
// The SQL errors, by who is at fault:
//   - LocatedError: a mistake in a text the user wrote (SQL, a pipeline file, a
//     CDC clause), placed by an offset into that text or a file:line:column;
//   - UserSqlError: a mistake in the user's SQL that has no place to point at;
//   - EngineError: DuckDB refused a statement, not yet classified: the places
//     that run the user's statements make it a user error naming the user's
//     text; `internal()` (or, at the top, `classifyUnclaimed`) makes a failure
//     of SQL Strata generated an InternalSqlError (INTERNAL_SQL).
import { lineColumn, pointer } from './text-position.js';

export type ErrorCode =
  | 'USAGE'
  | 'NOT_A_TABLE'
  | 'TABLE_NOT_FOUND'
  | 'LOG_CORRUPT'
  | 'VERSION_NOT_FOUND'
  | 'PROTOCOL_UNSUPPORTED'
  | 'DELETION_VECTOR_INVALID'
  | 'CHECKPOINT_INVALID'
  /** The user's SQL failed (DuckDB refused it, or a rule of ours did). */
  | 'SQL_ERROR'
  /** The user's SQL (or pipeline SQL) does not parse. */
  | 'SQL_SYNTAX'
  /** Valid Spark SQL that Strata does not support (a pattern letter, a function form). */
  | 'SQL_UNSUPPORTED'
  /** A write (or a statement that is not a query) sent to a read-only session: the SQL editor, the Postgres endpoint. */
  | 'READ_ONLY'
  /** SQL that Strata generated failed: a bug in Strata. */
  | 'INTERNAL_SQL'
  | 'STORAGE'
  | 'ALREADY_EXISTS'
  | 'CONFLICT'
  | 'SCHEMA_MISMATCH'
  | 'CONSTRAINT_VIOLATED'
  | 'EXPECTATION_FAILED'
  | 'PIPELINE'
  /** A job task failed (its run, its program, another job it ran). */
  | 'JOB'
  /** Work stopped before its end (a timeout, Ctrl-C); what it had written undone. */
  | 'CANCELLED'
  | 'CONFIG'
  | 'INTERNAL';

export interface StrataErrorOptions {
  cause?: unknown;
  /** What the error is about: a table path, a file, a version. Shown with the message. */
  context?: Record<string, string | number | undefined>;
}

/** The one base error. `code` is stable; `message` is for people. */
export class StrataError extends Error {
  readonly code: ErrorCode;
  readonly context: Record<string, string | number | undefined>;

  constructor(code: ErrorCode, message: string, options: StrataErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StrataError';
    this.code = code;
    this.context = options.context ?? {};
  }

  static is(err: unknown): err is StrataError {
    return err instanceof StrataError;
  }
}

/** A table whose protocol or features this build cannot read (or write). */
export class ProtocolUnsupportedError extends StrataError {
  readonly feature: string;
  constructor(table: string, feature: string, detail: string) {
    super('PROTOCOL_UNSUPPORTED', `table ${table}: ${detail}`, { context: { table, feature } });
    this.name = 'ProtocolUnsupportedError';
    this.feature = feature;
  }
}

/** The codes of a mistake in the user's SQL. */
export type UserSqlCode = 'SQL_ERROR' | 'SQL_SYNTAX' | 'SQL_UNSUPPORTED' | 'READ_ONLY';

/** A mistake in SQL the user wrote (as opposed to a system fault), with no place in the text to point at. */
export class UserSqlError extends StrataError {
  constructor(message: string, options: StrataErrorOptions & { code?: UserSqlCode } = {}) {
    super(options.code ?? 'SQL_ERROR', message, options);
    this.name = 'UserSqlError';
  }
}

/** A place in a file, 1-based. */
export interface Where {
  file: string;
  line: number;
  column: number;
}

/** Where a LocatedError is: an offset into a text (the text itself when known), or a place in a file. */
export type Location = { offset: number; text?: string } | { where: Where; offset?: number; text?: string };

export interface LocatedErrorOptions extends StrataErrorOptions {
  /** Show the line of `text` with a caret under the offset (for multi-line engine messages). */
  excerpt?: boolean;
}

/**
 * A mistake in a text the user wrote (SQL, a pipeline file, a clause), and where it is:
 * an `offset` into the text, or `where` in a file. The message is `detail` with the place:
 * `file:line:column: detail`, or `detail (line L, column C)` when only the text is known,
 * or just `detail` when only the offset is (the caller places it: `withText`, `inFile`, `within`).
 */
export class LocatedError extends StrataError {
  /** What is wrong, without the place. */
  readonly detail: string;
  /** Offset into `text` (the text of the statement, clause or file the error is about). */
  readonly offset?: number;
  readonly text?: string;
  readonly where?: Where;
  readonly excerpt: boolean;

  constructor(code: ErrorCode, detail: string, at: Location, options: LocatedErrorOptions = {}) {
    super(code, formatLocated(detail, at, options.excerpt ?? false), options);
    this.name = 'LocatedError';
    this.detail = detail;
    this.offset = at.offset;
    this.text = at.text;
    this.where = 'where' in at ? at.where : undefined;
    this.excerpt = options.excerpt ?? false;
  }

  /** Line and column of the offset in the text (1-based), when both are known. */
  get position(): { line: number; column: number } | undefined {
    return this.offset !== undefined && this.text !== undefined ? lineColumn(this.text, this.offset) : undefined;
  }

  /** The same error, its offset now known to be into `text`. */
  withText(text: string): LocatedError {
    return this.copy({ offset: this.offset ?? 0, text, ...(this.where ? { where: this.where } : {}) });
  }

  /** The same error placed in a file: its offset is `base` characters into `fileText`. */
  inFile(file: string, fileText: string, base = 0): LocatedError {
    const { line, column } = lineColumn(fileText, base + (this.offset ?? 0));
    return this.copy({ where: { file, line, column }, offset: this.offset, text: this.text });
  }

  /** The same error placed in a file, its text starting at `start` there. */
  within(start: Where): LocatedError {
    const at = this.position ?? { line: 1, column: 1 };
    const where = {
      file: start.file,
      line: start.line + at.line - 1,
      column: at.line === 1 ? start.column + at.column - 1 : at.column,
    };
    return this.copy({ where, offset: this.offset, text: this.text });
  }

  private copy(at: Location): LocatedError {
    return new LocatedError(this.code, this.detail, at, {
      cause: this.cause,
      context: this.context,
      excerpt: this.excerpt,
    });
  }
}

function formatLocated(detail: string, at: Location, excerpt: boolean): string {
  const shown =
    excerpt && at.text !== undefined && at.offset !== undefined
      ? `${detail}\n\n${pointer(at.text, at.offset, 'where' in at ? '  ' : undefined)}`
      : detail;
  if ('where' in at) return `${at.where.file}:${at.where.line}:${at.where.column}: ${shown}`;
  if (at.text !== undefined && !excerpt) {
    const { line, column } = lineColumn(at.text, at.offset);
    return `${detail} (line ${line}, column ${column})`;
  }
  return shown;
}

/** The sentence that ends every message about a failure of SQL Strata generated. */
export const BUG_SENTENCE = 'this is a bug in Strata; run with --verbose and report it';

/** DuckDB's error types (the word before "Error:") that say the machine failed, not the SQL. */
const ENVIRONMENT_KINDS = new Set(['io', 'out of memory', 'interrupt', 'http', 'permission', 'fatal', 'internal']);
/** Types that say the data did not fit (a value, a file's content), not the statement's text. */
const DATA_KINDS = new Set(['conversion', 'invalid input', 'out of range', 'constraint']);

/**
 * DuckDB refused a statement. Not yet classified: whose SQL it was is known only to
 * the caller (see the file's comment). The message is DuckDB's, with its `LINE n:`
 * excerpt of the statement; `sql` is the statement as DuckDB got it.
 */
export class EngineError extends StrataError {
  /** The statement DuckDB was given (generated text: shown only with --verbose). */
  readonly sql: string;
  /** DuckDB's error type: 'Parser', 'Binder', 'Conversion', ... ('' when the message has none). */
  readonly kind: string;
  /** DuckDB's message without its excerpt of the statement. */
  readonly engineMessage: string;
  /** The offset in `sql` that DuckDB pointed at, if it did. */
  readonly position?: number;

  constructor(
    message: string,
    details: { sql: string; kind: string; engineMessage: string; position?: number },
    options: StrataErrorOptions = {},
  ) {
    // A write DuckDB could not finish on a full disk says so in words (the flow's failure, the event log, the CLI).
    super('SQL_ERROR', sayDiskFull(message), options);
    this.name = 'EngineError';
    this.sql = details.sql;
    this.kind = details.kind;
    this.engineMessage = details.engineMessage;
    this.position = details.position;
  }

  /** The machine failed (disk, memory, interrupted), whatever the SQL. */
  get environmental(): boolean {
    return ENVIRONMENT_KINDS.has(this.kind.toLowerCase());
  }

  /** A value or a file's content did not fit (a conversion, a range, a constraint). */
  get aboutData(): boolean {
    return DATA_KINDS.has(this.kind.toLowerCase());
  }

  /** The statement's text is wrong: its syntax, names or types. */
  get aboutText(): boolean {
    return !this.environmental && !this.aboutData;
  }
}

/** A failure of SQL that Strata generated on its own: a bug. The SQL is in `sql` and `cause` (shown with --verbose). */
export class InternalSqlError extends StrataError {
  readonly sql?: string;
  constructor(what: string | undefined, engine: EngineError, options: StrataErrorOptions = {}) {
    const first = engine.engineMessage.split('\n')[0].trim();
    super(
      'INTERNAL_SQL',
      `Strata's own SQL failed${what ? ` while ${what}` : ''}: ${first} — ${BUG_SENTENCE}`,
      options,
    );
    this.name = 'InternalSqlError';
    this.sql = engine.sql;
  }
}

/** Whether `err` was already classified: a user's mistake placed or worded for them, or a bug. */
function claimed(err: unknown): boolean {
  return err instanceof UserSqlError || err instanceof LocatedError || err instanceof InternalSqlError;
}

/**
 * The engine failure behind `err`, when `err` is one that no other code classified:
 * an EngineError, or an SQL error (SQL_ERROR, SQL_SYNTAX) wrapping one (e.g. "cannot
 * write to table t: <DuckDB's message>"). Errors with another code (CHECKPOINT_INVALID,
 * STORAGE, ...) were classified where they happened and are left alone.
 */
export function engineFailure(err: unknown): EngineError | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 8 && e instanceof Error; depth++) {
    if (e instanceof InternalSqlError) return undefined;
    if (e instanceof EngineError) return e;
    if (e instanceof StrataError && e.code !== 'SQL_ERROR' && e.code !== 'SQL_SYNTAX') return undefined;
    e = e.cause;
  }
  return undefined;
}

/**
 * `err` as a failure of SQL Strata generated: an engine failure (even one a user-SQL
 * boundary worded as the user's) becomes an InternalSqlError; what the machine did
 * (disk, memory) and errors classified otherwise are left as they are.
 */
export function asInternal(err: unknown, what?: string): unknown {
  const engine = engineFailure(err);
  if (!engine || engine.environmental) return err;
  return new InternalSqlError(what, engine, { cause: err });
}

/**
 * Runs SQL that Strata generated on its own (no user text in it): a failure is an
 * INTERNAL_SQL error saying it is a bug. `what` says what it was doing ("reading the
 * event log"). Takes a promise or a function returning one.
 */
export async function internal<T>(work: Promise<T> | (() => Promise<T>), what?: string): Promise<T> {
  try {
    return await (typeof work === 'function' ? work() : work);
  } catch (err) {
    throw asInternal(err, what);
  }
}

/**
 * An error that reached the top (the CLI) with no boundary having claimed it. An
 * engine failure there ran outside every statement the user wrote, so its SQL was
 * Strata's: when DuckDB refused the text (syntax, names, types) that is a bug, an
 * INTERNAL_SQL error. When it refused a value or a file's content, or the machine
 * failed, the data or the machine is at fault, not Strata's SQL: the message stays
 * DuckDB's, without the excerpt of the generated statement.
 */
export function classifyUnclaimed(err: unknown): unknown {
  if (claimed(err)) return err;
  const engine = engineFailure(err);
  if (!engine) return err;
  if (engine.aboutText) return new InternalSqlError(undefined, engine, { cause: err });
  const message = stripExcerpt((err as Error).message);
  return message === (err as Error).message
    ? err
    : new StrataError((err as StrataError).code, message, { cause: err, context: (err as StrataError).context });
}

/** A message without DuckDB's trailing `LINE n: <statement>` / caret excerpt. */
export function stripExcerpt(message: string): string {
  return message.replace(/\s*\n\s*LINE \d+:[^\n]*\n[ \t]*\^[ \t]*\s*$/, '');
}

/** How Strata words a failure for want of space: the OS's ENOSPC, DuckDB's "No space left on device". */
export const DISK_FULL = 'no space left on device (the disk is full)';

const DISK_FULL_TEXT = /no space left on device|\bENOSPC\b|disk quota exceeded/i;

/** Whether `err`, or an error that caused it, is a write that failed for want of disk space. */
export function isDiskFull(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 8 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') return true;
    if (e instanceof Error && DISK_FULL_TEXT.test(e.message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** `message` with DuckDB's "No space left on device" followed by what it means to people. */
export function sayDiskFull(message: string): string {
  return message.replace(/No space left on device(?! \(the disk is full\))/gi, '$& (the disk is full)');
}

/** Short text for any thrown value: our message, or the engine's, never a stack. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
