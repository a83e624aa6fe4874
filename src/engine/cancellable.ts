// Stopping work on a session: once a signal is aborted its statements fail, and the one running is
// interrupted (DuckDB's interrupt) — how a pipeline update or a job's SQL task stops at its timeout.
import { StrataError } from '../core/index.js';
import type { Session } from './engine.js';

/**
 * A session whose statements fail once `signal` is aborted, and whose running statement is
 * interrupted then (DuckDB's interrupt): how a flow stops between and inside its statements.
 */
export function cancellable(session: Session, signal: AbortSignal | undefined): Session {
  if (!signal) return session;
  const check = () => {
    if (signal.aborted) throw cancelled(signal);
  };
  const guard = async <T>(run: () => Promise<T>): Promise<T> => {
    check();
    const interrupt = () => session.connection.interrupt();
    signal.addEventListener('abort', interrupt, { once: true });
    try {
      return await run();
    } catch (err) {
      check();
      throw err;
    } finally {
      signal.removeEventListener('abort', interrupt);
    }
  };
  return {
    exec: (sql) => guard(() => session.exec(sql)),
    query: (sql, options) => guard(() => session.query(sql, options)),
    rows: <T>(sql: string) => guard(() => session.rows<T>(sql)),
    describe: (sql) => guard(() => session.describe(sql)),
    setVariable: (name, value) => guard(() => session.setVariable(name, value)),
    get connection() {
      check();
      return session.connection;
    },
  };
}

/** The error a cancelled update's statements fail with. */
export function cancelled(signal: AbortSignal): StrataError {
  const reason = signal.reason instanceof Error ? signal.reason.message : 'the update was cancelled';
  return new StrataError('CANCELLED', reason);
}
