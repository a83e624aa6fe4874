// One client connection: the message loop. Startup (TLS by tls.ts, GSS declined), SCRAM-SHA-256,
// the parameter statuses clients read, then the simple query protocol and the extended one
// (Parse, Bind, Describe, Execute with row limits, Close, Flush, Sync). Every statement runs on
// the read-only lake (project/read-only.ts) in DuckDB's SQL, which is PostgreSQL's for what BI
// tools send; session statements (SET, SHOW, BEGIN, ...) are answered here. A protocol violation
// drops the connection; nothing a client sends stops the server.
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { StrataError } from '../core/index.js';
import type { QueryResult, ReadOnlyLake, RowSink } from '../project/index.js';
import * as m from './protocol.js';
import { ScramExchange, SCRAM, type ScramKeys } from './scram.js';
import { AS_OF, sessionStatement, setting, type SessionState } from './session-sql.js';
import { commandTag, formatOf, rowDescriptionOf, sendDataRows } from './results.js';
import { pgTypeOf } from './types.js';
import { bindParameters, parameterCount, splitSql } from './params.js';
import { decodeBinaryParameter } from './binary.js';
import { sqlState } from './errors.js';
import { Cursors } from './cursors.js';
import type { PgCatalog } from './catalog.js';
import { rewritePgSql } from './rewrite.js';
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

interface Prepared {
  sql: string;
  types: number[];
}

interface Portal {
  sql: string;
  /** Run at the first Describe or Execute; rows sent so far. */
  result?: QueryResult;
  tag?: string;
  sent: number;
  /** Its RowDescription was sent at Describe. */
  described?: boolean;
  formats: number[];
}

const WRONG_PASSWORD_DELAY_MS = 500;

export class Connection {
  private readonly reader = new m.MessageReader();
  private phase: 'startup' | 'auth' | 'ready' | 'closed' = 'startup';
  private user = '';
  private scram: ScramExchange | undefined;
  /** The client's first SCRAM message has been answered (the next one is its final message). */
  private scramStarted = false;
  private readonly statements = new Map<string, Prepared>();
  private readonly portals = new Map<string, Portal>();
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
  }

  private drop(err: unknown): void {
    if (this.phase !== 'closed' && err instanceof m.ProtocolViolation)
      this.send(m.errorResponse({ severity: 'FATAL', code: '08P01', message: err.message }));
    this.socket.end();
    this.close();
  }

  private send(...messages: Buffer[]): void {
    if (this.phase !== 'closed' && !this.socket.destroyed) this.socket.write(Buffer.concat(messages));
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
    for (;;) {
      if (this.phase === 'closed') return;
      const msg = this.reader.next();
      if (!msg) return;
      if (this.phase === 'auth') await this.authenticate(msg);
      else await this.handle(msg);
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
    const keys = this.ctx.users.get(this.user);
    // An unknown user goes through the same exchange as a wrong password (with made-up keys), so
    // that the answer does not tell which users exist.
    this.scram = new ScramExchange(keys ?? unknownUserKeys);
    this.phase = 'auth';
    this.send(m.authSasl([SCRAM]));
  }

  private async authenticate(msg: m.FrontendMessage): Promise<void> {
    if (msg.type !== 'p') return this.fatal('08P01', `expected a SASL response, got a message of type ${msg.type}`);
    const body = new m.BodyReader(msg.body);
    const known = this.ctx.users.has(this.user);
    if (!this.scramStarted) {
      const mechanism = body.string();
      if (mechanism !== SCRAM) return this.fatal('28000', `authentication method ${mechanism} is not supported`);
      const length = body.int32();
      const first = this.scram!.first(body.bytes(length).toString('utf8'));
      if (!first) return this.fatal('08P01', 'malformed SCRAM message');
      this.scramStarted = true;
      this.send(m.authSaslContinue(first));
      return;
    }
    const final = this.scram!.final(body.rest().toString('utf8'));
    if (!final || !known) {
      await new Promise((r) => setTimeout(r, WRONG_PASSWORD_DELAY_MS));
      return this.fatal('28P01', `password authentication failed for user "${this.user}"`);
    }
    this.phase = 'ready';
    this.send(
      m.authSaslFinal(final),
      m.authOk(),
      ...Object.entries(this.parameterStatuses()).map(([k, v]) => m.parameterStatus(k, v)),
      m.backendKeyData(this.ctx.pid, this.ctx.secret),
      m.readyForQuery('I'),
    );
  }

  private parameterStatuses(): Record<string, string> {
    return {
      server_version: this.ctx.serverVersion,
      server_encoding: 'UTF8',
      client_encoding: 'UTF8',
      DateStyle: 'ISO, MDY',
      TimeZone: this.ctx.timeZone,
      integer_datetimes: 'on',
      standard_conforming_strings: 'on',
      IntervalStyle: 'postgres',
      is_superuser: 'off',
      session_authorization: this.user,
      application_name: this.state.settings.get('application_name') ?? '',
      default_transaction_read_only: 'on',
      in_hot_standby: 'off',
    };
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
      if (!this.state.inTransaction) this.portals.clear();
      this.send(m.readyForQuery(this.status()));
      return;
    }
    if (msg.type === 'H') return; // Flush: everything is written as it is made
    if (this.skipping) return;
    try {
      switch (msg.type) {
        case 'P':
          return this.parse(body);
        case 'B':
          return this.bind(body);
        case 'D':
          return await this.describe(body);
        case 'E':
          return await this.execute(body);
        case 'C':
          return this.closeObject(body);
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
  private streamer(formats: number[], described = false) {
    let count: number | undefined;
    const sink: RowSink = async (columns, rows) => {
      if (count === undefined) {
        count = 0;
        if (!described) this.send(rowDescriptionOf({ columns, rows: [] }, formats));
      }
      if (rows.length === 0) return;
      sendDataRows({ columns, rows }, 0, rows.length, formats, (...b) => this.send(...b));
      count += rows.length;
      if (this.socket.writableNeedDrain)
        await new Promise<void>((resolve) => {
          this.socket.once('drain', resolve);
          this.socket.once('close', resolve);
        });
    };
    return { sink, rows: () => count };
  }

  /** Runs statements one by one: the session's own here, the rest on the lake. */
  private async run(sql: string): Promise<{ tag: string; result?: QueryResult }[]> {
    const out: { tag: string; result?: QueryResult }[] = [];
    for (const statement of splitSql(sql)) out.push(await this.runStatement(statement));
    return out;
  }

  /** Runs one statement; a query's rows go to `onRows` when given (streamed), else in the result. */
  private async runStatement(statement: string, onRows?: RowSink): Promise<{ tag: string; result?: QueryResult }> {
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
    if (text !== statement) await this.ctx.catalog.fresh();
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

  // ---- extended protocol ----

  private parse(body: m.BodyReader): void {
    const { name, sql, types } = m.readParse(body);
    if (name !== '' && this.statements.has(name))
      throw new StrataError('SQL_ERROR', `prepared statement "${name}" already exists`);
    this.statements.set(name, { sql, types });
    this.send(m.parseComplete());
  }

  private bind(body: m.BodyReader): void {
    const bind = m.readBind(body);
    const stmt = this.statements.get(bind.statement);
    if (!stmt) throw new StrataError('SQL_ERROR', `prepared statement "${bind.statement}" does not exist`);
    const values = bind.values.map((v, i) =>
      v === null
        ? null
        : formatOf(bind.paramFormats, i) === 1
          ? decodeBinaryParameter(v, stmt.types[i] ?? 0, i + 1)
          : v.toString('utf8'),
    );
    if (values.length < parameterCount(stmt.sql))
      throw new StrataError(
        'SQL_ERROR',
        `bind message supplies ${values.length} parameters, but the statement needs more`,
      );
    this.portals.set(bind.portal, {
      sql: bindParameters(stmt.sql, values, stmt.types),
      sent: 0,
      formats: bind.resultFormats,
    });
    this.send(m.bindComplete());
  }

  private async describe(body: m.BodyReader): Promise<void> {
    const kind = String.fromCharCode(body.bytes(1)[0]);
    const name = body.string();
    if (kind === 'S') {
      const stmt = this.statements.get(name);
      if (!stmt) throw new StrataError('SQL_ERROR', `prepared statement "${name}" does not exist`);
      const n = Math.max(parameterCount(stmt.sql), stmt.types.length);
      // The types of parameters the client left unspecified, as the engine infers them from the
      // query (asyncpg and pgjdbc encode values by them); text where it cannot tell.
      const info = await this.describeStatement(stmt.sql);
      for (let i = 0; i < n; i++) {
        const inferred = info?.parameters[i];
        if (!stmt.types[i] && inferred) stmt.types[i] = pgTypeOf(inferred).type.oid;
      }
      this.send(m.parameterDescription(Array.from({ length: n }, (_, i) => stmt.types[i] || 25)));
      if (info) {
        this.send(info.columns.length ? rowDescriptionOf({ columns: info.columns, rows: [] }, []) : m.noData());
        return;
      }
      // Not a query the engine could describe: the statement run with NULL parameters, rows dropped.
      const probe = bindParameters(
        stmt.sql,
        Array.from({ length: n }, () => null),
        stmt.types,
      );
      const [first] = await this.run(probe);
      this.send(first.result && first.result.columns.length ? rowDescriptionOf(first.result, []) : m.noData());
      return;
    }
    const portal = this.portals.get(name);
    if (!portal) throw new StrataError('SQL_ERROR', `portal "${name}" does not exist`);
    // A query's columns without running it (its rows may then stream at Execute).
    const info = portal.result ? undefined : await this.describeStatement(portal.sql);
    if (info) {
      portal.described = true;
      this.send(
        info.columns.length ? rowDescriptionOf({ columns: info.columns, rows: [] }, portal.formats) : m.noData(),
      );
      return;
    }
    const { result } = await this.materialize(portal);
    this.send(result.columns.length ? rowDescriptionOf(result, portal.formats) : m.noData());
  }

  /** Parameter and column types of a statement, from the engine; undefined when it cannot tell. */
  private async describeStatement(sql: string) {
    const scratch: SessionState = { settings: new Map(), inTransaction: false, failed: false, lakeSettings: new Map() };
    try {
      if (sessionStatement(sql, scratch, {}) !== undefined) return undefined;
    } catch {
      return undefined;
    }
    const text = this.engineSql(sql);
    if (text !== sql) await this.ctx.catalog.fresh();
    return this.ctx.lake.describe(text).catch(() => undefined);
  }

  private async materialize(portal: Portal): Promise<{ result: QueryResult; tag: string }> {
    if (!portal.result) {
      const results = await this.run(portal.sql);
      const last = results[results.length - 1];
      portal.result = last.result ?? { columns: [], rows: [] };
      portal.tag = last.tag;
    }
    return { result: portal.result, tag: portal.tag ?? commandTag(portal.sql, portal.result) };
  }

  private async execute(body: m.BodyReader): Promise<void> {
    const name = body.string();
    const limit = body.int32();
    const portal = this.portals.get(name);
    if (!portal) throw new StrataError('SQL_ERROR', `portal "${name}" does not exist`);
    if (portal.sql.trim() === '') {
      this.send(m.emptyQuery());
      return;
    }
    if (!portal.result && limit <= 0) {
      // All its rows at once: streamed as the engine makes them.
      const streamed = this.streamer(portal.formats, true);
      const { tag, result } = await this.runStatement(portal.sql, streamed.sink);
      portal.result = { columns: result?.columns ?? [], rows: [] };
      const count = streamed.rows();
      if (count === undefined && result && result.rows.length > 0)
        sendDataRows(result, 0, result.rows.length, portal.formats, (...b) => this.send(...b));
      this.send(m.commandComplete(count === undefined ? tag : `SELECT ${count}`));
      return;
    }
    const { result, tag } = await this.materialize(portal);
    const to = limit > 0 ? Math.min(result.rows.length, portal.sent + limit) : result.rows.length;
    sendDataRows(result, portal.sent, to, portal.formats, (...b) => this.send(...b));
    portal.sent = to;
    if (to < result.rows.length) this.send(m.portalSuspended());
    else this.send(m.commandComplete(tag));
  }

  private closeObject(body: m.BodyReader): void {
    const kind = String.fromCharCode(body.bytes(1)[0]);
    const name = body.string();
    if (kind === 'S') this.statements.delete(name);
    else this.portals.delete(name);
    this.send(m.closeComplete());
  }
}

/** Keys for a user that does not exist: the exchange fails like a wrong password. */
const unknownUserKeys: ScramKeys = {
  salt: Buffer.from('strata-unknown-user'),
  iterations: 4096,
  storedKey: Buffer.alloc(32),
  serverKey: Buffer.alloc(32),
};
