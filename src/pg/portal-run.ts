// A portal's statement running once, from its first Describe or Execute: the engine hands its rows
// over as it makes them, and they go to the client as Execute asks for them — all of them, or a
// row limit's worth at a time (a cursor fetched by pgjdbc) — while the engine waits with at most
// one chunk in hand: the query is planned once (Describe does not plan it again) and memory stays
// flat however many rows there are.
import type { QueryResult, RowSink } from '../project/index.js';

type Columns = QueryResult['columns'];

/** A statement's command tag and, for a query, its result. */
export interface Ran {
  tag: string;
  result?: QueryResult;
}

/** Where rows go: `send` writes DataRows (and waits while the client is slow). */
type Consumer = { send: (rows: unknown[][]) => Promise<void>; remaining: number; resume: () => void };

export class PortalRun {
  /** Its columns (undefined for a statement that is not a query), known at the first rows. */
  readonly columns: Promise<Columns | undefined>;
  private readonly finished: Promise<Ran>;
  private ran: Ran | undefined;
  private held: unknown[][] = [];
  private consumer: Consumer | undefined;
  private proceed: (() => void) | undefined;
  private stopped = false;
  private failure: unknown;
  /** Rows sent so far. */
  sent = 0;
  /** The engine streamed its rows (a query): its tag is SELECT and the count sent. */
  streamed = false;

  constructor(start: (sink: RowSink) => Promise<Ran>) {
    let known: (c: Columns | undefined) => void = () => undefined;
    this.columns = new Promise((resolve) => (known = resolve));
    this.finished = start(async (columns, rows) => {
      this.streamed = true;
      known(columns);
      let chunk = rows;
      while (chunk.length > 0) {
        if (this.stopped) throw new Error('the portal was closed');
        const c = this.consumer;
        if (c && c.remaining !== 0) {
          const n = c.remaining < 0 ? chunk.length : Math.min(c.remaining, chunk.length);
          await c.send(chunk.slice(0, n));
          this.sent += n;
          if (c.remaining > 0) c.remaining -= n;
          chunk = chunk.slice(n);
          if (c.remaining === 0) c.resume();
        } else {
          // No one asks for rows now: hold this chunk and wait (the engine waits with it).
          this.held = chunk;
          await new Promise<void>((resolve) => (this.proceed = resolve));
          chunk = this.held;
          this.held = [];
        }
      }
    }).then(
      (ran) => {
        this.ran = ran;
        known(ran.result?.columns.length ? ran.result.columns : undefined);
        this.consumer?.resume();
        return ran;
      },
      (err: unknown) => {
        this.failure = err ?? new Error('the statement failed');
        known(undefined);
        this.consumer?.resume();
        throw err;
      },
    );
    this.finished.catch(() => undefined); // (its failure is reported by describe or execute)
  }

  /** The statement's outcome once it has finished (its error if it failed). */
  outcome(): Promise<Ran> {
    return this.finished;
  }

  /**
   * Sends up to `limit` rows (all when limit ≤ 0) through `send`; true when the statement has
   * finished (no rows left), false when it stopped at the limit.
   */
  async take(limit: number, send: (rows: unknown[][]) => Promise<void>): Promise<boolean> {
    if (this.ran && this.held.length === 0) return true;
    await new Promise<void>((resume) => {
      this.consumer = { send, remaining: limit > 0 ? limit : -1, resume };
      const go = this.proceed;
      this.proceed = undefined;
      go?.();
    });
    this.consumer = undefined;
    if (this.failure !== undefined) throw this.failure;
    return this.ran !== undefined && this.held.length === 0;
  }

  /** Stops the statement (the portal closed before all its rows were read). */
  close(): void {
    this.stopped = true;
    const go = this.proceed;
    this.proceed = undefined;
    go?.();
  }
}
