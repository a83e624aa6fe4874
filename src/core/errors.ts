// Errors: one base class with a stable code, so callers, retries and alerts can
// tell a user's mistake from a system fault without parsing messages.

export type ErrorCode =
  | 'USAGE'
  | 'NOT_A_TABLE'
  | 'TABLE_NOT_FOUND'
  | 'LOG_CORRUPT'
  | 'VERSION_NOT_FOUND'
  | 'PROTOCOL_UNSUPPORTED'
  | 'DELETION_VECTOR_INVALID'
  | 'CHECKPOINT_INVALID'
  | 'SQL_ERROR'
  | 'STORAGE'
  | 'ALREADY_EXISTS'
  | 'CONFLICT'
  | 'SCHEMA_MISMATCH'
  | 'CONSTRAINT_VIOLATED'
  | 'EXPECTATION_FAILED'
  | 'PIPELINE'
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

/** A mistake in SQL the user wrote (as opposed to a system fault). */
export class UserSqlError extends StrataError {
  constructor(message: string, options: StrataErrorOptions = {}) {
    super('SQL_ERROR', message, options);
    this.name = 'UserSqlError';
  }
}

/** Short text for any thrown value: our message, or the engine's, never a stack. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
