// One client connection: the message loop. Startup (TLS by tls.ts, GSS declined), SCRAM-SHA-256
// and the parameter statuses clients read (sign-in.ts), then the simple query protocol and the
// extended one (Parse, Bind, Describe, Execute with row limits and Close by extended.ts; Flush,
// Sync). Every statement runs on the read-only lake (project/read-only.ts) in DuckDB's SQL, which
// is PostgreSQL's for what BI tools send; session statements (SET, SHOW, BEGIN, ...) are answered
// here. A protocol violation drops the connection; nothing a client sends stops the server.
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { StrataError } from '../core/index.js';
import type { ReadOnlyLake, RowSink } from '../project/index.js';
import * as m from './protocol.js';
import type { ScramKeys } from './scram.js';
import { parameterStatuses, ScramSignIn } from './sign-in.js';
import { AS_OF, sessionStatement, setting, type SessionState } from './session-sql.js';
import { commandTag, drained, rowDescriptionOf, sendChunk, sendDataRows } from './results.js';
import { zoneOf, type Zone } from './zone.js';
import { splitSql } from './params.js';
import { ExtendedProtocol, type Ran, type RowStream } from './extended.js';
import { sqlState } from './errors.js';
import { Cursors } from './cursors.js';
import type { PgCatalog } from './catalog.js';
import { rewritePgSql, readsCatalog } from './rewrite.js';
import { PG_ALPN, upgradeToTls, type PgTls } from './tls.js';

export interface ConnectionContext {
  lake: ReadOnlyLake;
  users: Map<string, ScramKeys>;
  statementTimeoutMs: number;
  /** This connection's cancel key. */
  pid: number;
  secret: number;
  /** A cancel request for another connection. */
  cancel(pid: number, secret: number): void;
  timeZone: string;
  /** pg_catalog and information_schema. */
  catalog: PgCatalog;
  /** The database name clients see. */
  database: string;
  /** server_version, as PostgreSQL's parameter status gives it. */
  serverVersion: string;
  /** The server's settings (pg_settings, current_setting). */
  settings: Record<string, string>;
  /** serve.pg.tls: an SSLRequest is answered 'S' and the socket upgraded (else 'N'). */
  tls?: PgTls;
  /** A line for the server's log (a TLS connection refused or failed). */
  log?(line: string): void;
}

export class Connection {
  private readonly reader = new m.MessageReader();
  private phase: 'startup' | 'auth' | 'ready' | 'closed' = 'startup';
  private user = '';
  private signIn: ScramSignIn | undefined;
  /** Prepared statements and portals. */
  private readonly extended: ExtendedProtocol;
  private readonly cursors = new Cursors();
  /** After an error in the extended protocol, messages are skipped until Sync. */
  private skipping = false;
  private readonly state: SessionState;
  private queue: Promise<void> = Promise.resolve();
  /** The statement running, stopped by a cancel request or the connection's end. */
  private running: AbortController | undefined;

  constructor(
    /** The client's socket; after a TLS upgrade, the TLS socket (its data decrypted). */
    private socket: Socket,
    private readonly ctx: ConnectionContext,
  ) {
    this.state = { settings: new Map(), inTransaction: false, failed: false, lakeSettings: new Map() };
    this.extended = new ExtendedProtocol({
      send: (...messages) => this.send(...messages),
      run: (sql) => this.run(sql),
      runStatement: (statement, onRows) => this.runStatement(statement, onRows),
      streamer: (formats, described) => this.streamer(formats, described),
      engineSql: (statement) => this.engineSql(statement),
      lake: ctx.lake,
      catalog: ctx.catalog,
    });
    this.listen(socket);
  }

  private listen(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  private readonly onData = (chunk: Buffer): void => {
    // Messages are handled one after another, in the order they came.
    this.queue = this.queue.then(() => this.receive(chunk)).catch((err: unknown) => this.drop(err));
  };

  /** Stops the running statement (a cancel request). */
  interrupt(): void {
    this.running?.abort(new Error('canceling statement due to user request'));
  }

  private close(): void {
    this.phase = 'closed';
    this.running?.abort(new Error('the connection closed'));
    this.extended.closePortals(); // (a portal's statement waiting for Execute stops)
  }

  private drop(err: unknown): void {
    if (this.phase !== 'closed' && err instanceof m.ProtocolViolation)
      this.send(m.errorResponse({ severity: 'FATAL', code: '08P01', message: err.message }));
    this.socket.end();
    this.close();
  }

  private send(...messages: Buffer[]): void {
    if (this.phase === 'closed' || this.socket.destroyed) return;
    // (Buffer.concat copies even one buffer: a large result's DataRows go as they are.)
    this.socket.write(messages.length === 1 ? messages[0] : Buffer.concat(messages));
  }

  private async receive(chunk: Buffer): Promise<void> {
    this.reader.push(chunk);
    while (this.phase === 'startup') {
      const start = this.reader.startup();
      if (!start) return;
      if (start.kind === 'ssl' || start.kind === 'gssenc' || start.kind === 'tls') {
        this.encryption(start.kind);
        continue;
      }
      if (start.kind === 'cancel') {
        this.ctx.cancel(start.pid, start.secret);
        this.socket.end();
        this.close();
        return;
      }
      this.begin(start.version, start.params);
    }
    // The answers to the messages of one packet go out together (ParseComplete, BindComplete,
    // RowDescription, DataRows, CommandComplete, ReadyForQuery: one write, not six).
    const socket = this.socket;
    socket.cork();
    try {
      for (;;) {
        if (this.phase === 'closed') return;
        const msg = this.reader.next();
        if (!msg) return;
        if (this.phase === 'auth') await this.authenticate(msg);
        else await this.handle(msg);
      }
    } finally {
      socket.uncork();
    }
  }

  /**
   * An SSLRequest, a GSSENCRequest, or a TLS hello as the first bytes (direct SSL). With serve.pg.tls
   * the socket is upgraded (after 'S' for an SSLRequest); GSS encryption is never offered.
   */
  private encryption(kind: 'ssl' | 'gssenc' | 'tls'): void {
    if (this.socket instanceof TLSSocket) throw new m.ProtocolViolation(`an encryption request over TLS`);
    const tls = this.ctx.tls;
    if (kind === 'tls' && !tls) {
      this.ctx.log?.(
        `Postgres endpoint: a TLS connection (direct SSL) from ${this.socket.remoteAddress} dropped: serve.pg.tls is not set`,
      );
      this.socket.destroy();
      this.close();
      return;
    }
    if (kind === 'gssenc' || !tls) {
      this.socket.write('N'); // not offered: the client goes on in plain text or gives up
      return;
    }
    const early = this.reader.take();
    // Bytes after an SSLRequest, before the handshake, would be read as if they came over TLS.
    if (kind === 'ssl' && early.length > 0) throw new m.ProtocolViolation('unencrypted data after the SSLRequest');
    if (kind === 'ssl') this.socket.write('S');
    const from = this.socket.remoteAddress;
    this.socket.off('data', this.onData);
    const secure = upgradeToTls(this.socket, tls, kind === 'tls' ? early : undefined);
    this.socket = secure;
    this.listen(secure);
    let handshaken = false;
    secure.once('secure', () => {
      handshaken = true;
      // PostgreSQL 17 takes a direct connection only with its ALPN protocol named.
      if (kind === 'tls' && secure.alpnProtocol !== PG_ALPN)
        this.fatal('08P01', `a direct SSL connection must negotiate the ALPN protocol "${PG_ALPN}"`);
    });
    secure.on('error', (err) => {
      if (!handshaken) this.ctx.log?.(`Postgres endpoint: TLS handshake with ${from} failed: ${err.message.trim()}`);
    });
  }

  private begin(version: number, params: Record<string, string>): void {
    if (version !== m.PROTOCOL_3) {
      this.fatal('0A000', `protocol version ${version >> 16}.${version & 0xffff} is not supported (3.0 is)`);
      return;
    }
    if (this.ctx.tls?.required && !(this.socket instanceof TLSSocket)) {
      this.fatal('28000', 'this server requires TLS (sslmode=require)');
      return;
    }
    this.user = params.user ?? '';
    this.state.settings.set('application_name', params.application_name ?? '');
    this.signIn = new ScramSignIn(this.user, this.ctx.users);
    this.phase = 'auth';
    this.send(this.signIn.offer());
  }

  private async authenticate(msg: m.FrontendMessage): Promise<void> {
    const step = await this.signIn!.step(msg);
    if (step.kind === 'failed') return this.fatal(step.code, step.message);
    if (step.kind === 'continue') return this.send(step.message);
    this.phase = 'ready';
    this.send(
      step.message,
      m.authOk(),
      ...Object.entries(this.parameterStatuses()).map(([k, v]) => m.parameterStatus(k, v)),
      m.backendKeyData(this.ctx.pid, this.ctx.secret),
      m.readyForQuery('I'),
    );
  }

  private parameterStatuses(): Record<string, string> {
    return parameterStatuses(this.ctx, this.user, this.state.settings.get('application_name') ?? '');
  }

  private fatal(code: string, message: string): void {
    this.send(m.errorResponse({ severity: 'FATAL', code, message }));
    this.socket.end();
    this.close();
  }

  private status(): 'I' | 'T' | 'E' {
    return this.state.failed ? 'E' : this.state.inTransaction ? 'T' : 'I';
  }

  private async handle(msg: m.FrontendMessage): Promise<void> {
    const body = new m.BodyReader(msg.body);
    if (msg.type === 'X') {
      this.socket.end();
      this.close();
      return;
    }
    if (msg.type === 'Q') return this.simpleQuery(body.string());
    if (msg.type === 'S') {
      this.skipping = false;
      // Portals end with their transaction: at Sync outside a transaction block (its implicit one
      // ends), at COMMIT or ROLLBACK inside one (a cursor fetched across Syncs, as pgjdbc does).
      if (!this.state.inTransaction) this.extended.closePortals();
      this.send(m.readyForQuery(this.status()));
      return;
    }
    if (msg.type === 'H') return; // Flush: everything is written as it is made
    if (this.skipping) return;
    try {
      switch (msg.type) {
        case 'P':
          return this.extended.parse(body);
        case 'B':
          return this.extended.bind(body);
        case 'D':
          return await this.extended.describe(body);
        case 'E':
          return await this.extended.execute(body);
        case 'C':
          return this.extended.closeObject(body);
        default:
          throw new m.ProtocolViolation(`a message of unknown type ${JSON.stringify(msg.type)}`);
      }
    } catch (err) {
      if (err instanceof m.ProtocolViolation) throw err;
      this.skipping = true;
      this.sendError(err);
    }
  }

  private sendError(err: unknown): void {
    if (this.state.inTransaction) this.state.failed = true;
    const e = StrataError.is(err) ? err : undefined;
    const message = err instanceof Error ? err.message : String(err);
    this.send(
      m.errorResponse({
        severity: 'ERROR',
        code: sqlState(e?.code, message),
        message: message.split('\n')[0],
        detail: message.includes('\n') ? message.slice(message.indexOf('\n') + 1) : undefined,
      }),
    );
  }

  // ---- simple query ----

  private async simpleQuery(sql: string): Promise<void> {
    if (sql.trim() === '' || /^\s*;?\s*$/.test(sql)) {
      this.send(m.emptyQuery(), m.readyForQuery(this.status()));
      return;
    }
    try {
      for (const statement of splitSql(sql)) {
        const streamed = this.streamer([]);
        const { tag, result } = await this.runStatement(statement, streamed.sink);
        if (streamed.rows() === undefined && result && result.columns.length > 0) {
          this.send(rowDescriptionOf(result, []));
          sendDataRows(result, 0, result.rows.length, [], (...b) => this.send(...b));
        }
        this.send(m.commandComplete(streamed.rows() === undefined ? tag : `SELECT ${streamed.rows()}`));
      }
    } catch (err) {
      this.sendError(err);
    }
    this.send(m.readyForQuery(this.status()));
  }

  /**
   * A sink for a query's rows, sent as they come: the RowDescription first (unless `described`),
   * then DataRows, waiting for the client to read when its socket is full (memory stays flat).
   * `rows()` is undefined until the query streamed.
   */
  private streamer(formats: number[], described = false): RowStream {
    let count: number | undefined;
    const part: RowStream['part'] = async (columns, chunk, from, to) => {
      if (count === undefined) {
        count = 0;
        if (!described) this.send(rowDescriptionOf({ columns, rows: [] }, formats));
      }
      if (to <= from) return;
      sendChunk(columns, chunk, from, to, formats, this.zone, (...b) => this.send(...b));
      count += to - from;
      await drained(this.socket);
    };
    return { sink: (columns, chunk) => part(columns, chunk, 0, chunk.rowCount), part, rows: () => count };
  }

  /** The zone timestamptz values are shown in: the server's TimeZone (ParameterStatus). */
  private get zone(): Zone | undefined {
    return zoneOf(this.ctx.timeZone);
  }

  /** Runs statements one by one: the session's own here, the rest on the lake. */
  private async run(sql: string): Promise<Ran[]> {
    const out: Ran[] = [];
    for (const statement of splitSql(sql)) out.push(await this.runStatement(statement));
    return out;
  }

  /** Runs one statement; a query's rows go to `onRows` when given (streamed), else in the result. */
  private async runStatement(statement: string, onRows?: RowSink): Promise<Ran> {
    const local = sessionStatement(statement, this.state, { ...this.ctx.settings, ...this.parameterStatuses() });
    if (local) {
      if (local.tag === 'COMMIT' || local.tag === 'ROLLBACK') this.cursors.endTransaction();
      return local;
    }
    if (this.state.failed)
      throw new StrataError(
        'SQL_ERROR',
        'current transaction is aborted, commands ignored until end of transaction block',
      );
    const cursor = await this.cursors.handle(
      statement.trim().replace(/;\s*$/, ''),
      this.state.inTransaction,
      async (query) => (await this.runStatement(query)).result ?? { columns: [], rows: [] },
    );
    if (cursor) return cursor;
    const text = this.engineSql(statement);
    if (readsCatalog(text)) await this.ctx.catalog.fresh();
    const [{ result }] = await this.ctx.lake.queryAll(text, {
      dialect: 'duckdb',
      settings: this.state.lakeSettings,
      signal: this.abortSignal(),
      timeoutMs: this.ctx.statementTimeoutMs,
      onRows,
      // One version of each table for the whole transaction block (or statement), none
      // half-way through a pipeline update; or the lake as of a time.
      pins: this.state.inTransaction ? (this.state.pins ??= new Map()) : new Map(),
      asOf: this.state.settings.get(AS_OF),
    });
    return { tag: commandTag(statement, result), result };
  }

  /** A statement as the engine reads it (rewrite.ts), with this session's values. */
  private engineSql(statement: string): string {
    return rewritePgSql(statement, {
      pgCatalog: this.ctx.catalog.pgCatalog,
      informationSchema: this.ctx.catalog.informationSchema,
      user: this.user,
      database: this.ctx.database,
      pid: this.ctx.pid,
      setting: (name) => setting(name, this.state, { ...this.ctx.settings, ...this.parameterStatuses() }),
    });
  }

  private abortSignal(): AbortSignal {
    // A fresh signal per statement: a cancel stops the statement running, not the next ones.
    this.running = new AbortController();
    return this.running.signal;
  }
}
