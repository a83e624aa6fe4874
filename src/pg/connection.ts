// One client connection: the message loop. Startup (SSL and GSS encryption declined), SCRAM-SHA-256,
// the parameter statuses clients read, then the simple query protocol and the extended one
// (Parse, Bind, Describe, Execute with row limits, Close, Flush, Sync). Every statement runs on
// the read-only lake (project/read-only.ts) in DuckDB's SQL, which is PostgreSQL's for what BI
// tools send; session statements (SET, SHOW, BEGIN, ...) are answered here. A protocol violation
// drops the connection; nothing a client sends stops the server.
import type { Socket } from 'node:net';
import { StrataError } from '../core/index.js';
import type { QueryResult, ReadOnlyLake } from '../project/index.js';
import * as m from './protocol.js';
import { ScramExchange, SCRAM, type ScramKeys } from './scram.js';
import { sessionStatement, setting, type SessionState } from './session-sql.js';
import { commandTag, formatOf, rowDescriptionOf, sendDataRows } from './results.js';
import { pgTypeOf } from './types.js';
import { bindParameters, parameterCount, splitSql } from './params.js';
import { decodeBinaryParameter } from './binary.js';
import { sqlState } from './errors.js';
import type { PgCatalog } from './catalog.js';
import { rewritePgSql } from './rewrite.js';

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
  /** After an error in the extended protocol, messages are skipped until Sync. */
  private skipping = false;
  private readonly state: SessionState;
  private queue: Promise<void> = Promise.resolve();
  /** The statement running, stopped by a cancel request or the connection's end. */
  private running: AbortController | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly ctx: ConnectionContext,
  ) {
    this.state = { settings: new Map(), inTransaction: false, failed: false, lakeSettings: new Map() };
    socket.on('data', (chunk: Buffer) => {
      // Messages are handled one after another, in the order they came.
      this.queue = this.queue.then(() => this.receive(chunk)).catch((err: unknown) => this.drop(err));
    });
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

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
      if (start.kind === 'ssl' || start.kind === 'gssenc') {
        this.socket.write('N'); // not offered: the client goes on in plain text or gives up
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

  private begin(version: number, params: Record<string, string>): void {
    if (version !== m.PROTOCOL_3) {
      this.fatal('0A000', `protocol version ${version >> 16}.${version & 0xffff} is not supported (3.0 is)`);
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
      for (const { tag, result } of await this.run(sql)) {
        if (result && result.columns.length > 0) {
          this.send(rowDescriptionOf(result, []));
          sendDataRows(result, 0, result.rows.length, [], (...b) => this.send(...b));
        }
        this.send(m.commandComplete(tag));
      }
    } catch (err) {
      this.sendError(err);
    }
    this.send(m.readyForQuery(this.status()));
  }

  /** Runs statements one by one: the session's own here, the rest on the lake. */
  private async run(sql: string): Promise<{ tag: string; result?: QueryResult }[]> {
    const out: { tag: string; result?: QueryResult }[] = [];
    for (const statement of splitSql(sql)) {
      const local = sessionStatement(statement, this.state, { ...this.ctx.settings, ...this.parameterStatuses() });
      if (local) {
        out.push(local);
        continue;
      }
      if (this.state.failed)
        throw new StrataError(
          'SQL_ERROR',
          'current transaction is aborted, commands ignored until end of transaction block',
        );
      const text = this.engineSql(statement);
      if (text !== statement) await this.ctx.catalog.fresh();
      const [{ result }] = await this.ctx.lake.queryAll(text, {
        dialect: 'duckdb',
        settings: this.state.lakeSettings,
        signal: this.abortSignal(),
        timeoutMs: this.ctx.statementTimeoutMs,
      });
      out.push({ tag: commandTag(statement, result), result });
    }
    return out;
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
