// A portal's statement running once, from its first Describe or Execute: the engine hands its rows
// over as it makes them, and they go to the client as Execute asks for them — all of them, or a
// row limit's worth at a time (a cursor fetched by pgjdbc) — while the engine waits with at most
// one chunk in hand: the query is planned once (Describe does not plan it again) and memory stays
// flat however many rows there are.
import type { QueryResult, RowChunk, RowSink } from '../project/index.js';

type Columns = QueryResult['columns'];

/** A statement's command tag and, for a query, its result. */
export interface Ran {
  tag: string;
  result?: QueryResult;
}

/** Writes the DataRows of rows [from, to) of a chunk (and waits while the client is slow). */
type Send = (chunk: RowChunk, from: number, to: number) => Promise<void>;

/** Where rows go now: `remaining` rows (-1: all) through `send`. */
type Consumer = { send: Send; remaining: number; resume: () => void };

/** A chunk the engine handed over, sent up to `from`. */
type Held = { chunk: RowChunk; from: number };

export class PortalRun {
  /** Its columns (undefined for a statement that is not a query), known at the first rows. */
  readonly columns: Promise<Columns | undefined>;
  private readonly finished: Promise<Ran>;
  private ran: Ran | undefined;
  private held: Held | undefined;
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
    this.finished = start(async (columns, chunk) => {
      this.streamed = true;
      known(columns);
      let from = 0;
      while (from < chunk.rowCount) {
        if (this.stopped) throw new Error('the portal was closed');
        const c = this.consumer;
        if (c && c.remaining !== 0) {
          const left = chunk.rowCount - from;
          const n = c.remaining < 0 ? left : Math.min(c.remaining, left);
          await c.send(chunk, from, from + n);
          this.sent += n;
          if (c.remaining > 0) c.remaining -= n;
          from += n;
          if (c.remaining === 0) c.resume();
        } else {
          // No one asks for rows now: hold this chunk and wait (the engine waits with it).
          this.held = { chunk, from };
          await new Promise<void>((resolve) => (this.proceed = resolve));
          this.held = undefined;
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
  async take(limit: number, send: Send): Promise<boolean> {
    if (this.ran && !this.held) return true;
    await new Promise<void>((resume) => {
      this.consumer = { send, remaining: limit > 0 ? limit : -1, resume };
      const go = this.proceed;
      this.proceed = undefined;
      go?.();
    });
    this.consumer = undefined;
    if (this.failure !== undefined) throw this.failure;
    return this.ran !== undefined && !this.held;
  }

  /** Stops the statement (the portal closed before all its rows were read). */
  close(): void {
    this.stopped = true;
    const go = this.proceed;
    this.proceed = undefined;
    go?.();
  }
}
