// The extended query protocol of one connection: prepared statements (Parse) and portals (Bind),
// Describe of either, Execute with row limits (a portal's rows kept between Executes, or streamed
// when all are asked for at once) and Close. The connection owns it, dispatches its messages and
// lends it what runs statements (ExtendedHost); an error here makes the connection skip to Sync.
import { StrataError } from '../core/index.js';
import { readsCatalog } from './rewrite.js';
import type { QueryResult, ReadOnlyLake, RowChunk, RowSink } from '../project/index.js';
import * as m from './protocol.js';
import { sessionStatement, type SessionState } from './session-sql.js';
import { formatOf, rowDescriptionOf, sendDataRows } from './results.js';
import { pgTypeOf } from './types.js';
import { bindParameters, parameterCount } from './params.js';
import { decodeBinaryParameter } from './binary.js';
import type { PgCatalog } from './catalog.js';
import { PortalRun, type Ran } from './portal-run.js';

export type { Ran } from './portal-run.js';

/** A sink for a query's rows, sent as they come; `rows()` is undefined until the query streamed. */
export interface RowStream {
  sink: RowSink;
  /** Sends rows [from, to) of a chunk (the RowDescription first, unless described). */
  part(columns: QueryResult['columns'], chunk: RowChunk, from: number, to: number): Promise<void>;
  rows(): number | undefined;
}

/** What the extended protocol uses of its connection. */
export interface ExtendedHost {
  send(...messages: Buffer[]): void;
  /** Runs statements one by one: the session's own there, the rest on the lake. */
  run(sql: string): Promise<Ran[]>;
  /** Runs one statement; a query's rows go to `onRows` when given (streamed), else in the result. */
  runStatement(statement: string, onRows?: RowSink): Promise<Ran>;
  /** A sink sending a query's rows as they come (the RowDescription first unless `described`). */
  streamer(formats: number[], described: boolean): RowStream;
  /** A statement as the engine reads it (rewrite.ts), with the session's values. */
  engineSql(statement: string): string;
  lake: ReadOnlyLake;
  catalog: PgCatalog;
}

interface Prepared {
  sql: string;
  types: number[];
}

interface Portal {
  sql: string;
  /** Its statement, started at the first Describe or Execute. */
  run?: PortalRun;
  formats: number[];
}

/** The prepared statements and portals of a connection, and the messages that use them. */
export class ExtendedProtocol {
  private readonly statements = new Map<string, Prepared>();
  private readonly portals = new Map<string, Portal>();

  constructor(private readonly host: ExtendedHost) {}

  /** Ends every portal (their transaction ended), stopping what still runs. */
  closePortals(): void {
    for (const p of this.portals.values()) p.run?.close();
    this.portals.clear();
  }

  parse(body: m.BodyReader): void {
    const { name, sql, types } = m.readParse(body);
    if (name !== '' && this.statements.has(name))
      throw new StrataError('SQL_ERROR', `prepared statement "${name}" already exists`);
    this.statements.set(name, { sql, types });
    this.host.send(m.parseComplete());
  }

  bind(body: m.BodyReader): void {
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
    this.portals.get(bind.portal)?.run?.close();
    this.portals.set(bind.portal, {
      sql: bindParameters(stmt.sql, values, stmt.types),
      formats: bind.resultFormats,
    });
    this.host.send(m.bindComplete());
  }

  async describe(body: m.BodyReader): Promise<void> {
    const kind = String.fromCharCode(body.bytes(1)[0]);
    const name = body.string();
    if (kind === 'S') return this.describePrepared(name);
    const portal = this.portals.get(name);
    if (!portal) throw new StrataError('SQL_ERROR', `portal "${name}" does not exist`);
    // The statement starts now; its rows wait for Execute (planned once, streamed then).
    const run = this.started(portal);
    const columns = (await run.columns) ?? (await run.outcome()).result?.columns;
    this.host.send(columns?.length ? rowDescriptionOf({ columns, rows: [] }, portal.formats) : m.noData());
  }

  /** Describe of a prepared statement: its parameters' types, then its columns (or NoData). */
  private async describePrepared(name: string): Promise<void> {
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
    this.host.send(m.parameterDescription(Array.from({ length: n }, (_, i) => stmt.types[i] || 25)));
    if (info) {
      this.host.send(info.columns.length ? rowDescriptionOf({ columns: info.columns, rows: [] }, []) : m.noData());
      return;
    }
    // Not a query the engine could describe: the statement run with NULL parameters, rows dropped.
    const probe = bindParameters(
      stmt.sql,
      Array.from({ length: n }, () => null),
      stmt.types,
    );
    const [first] = await this.host.run(probe);
    this.host.send(first.result && first.result.columns.length ? rowDescriptionOf(first.result, []) : m.noData());
  }

  /** Parameter and column types of a statement, from the engine; undefined when it cannot tell. */
  private async describeStatement(sql: string) {
    const scratch: SessionState = { settings: new Map(), inTransaction: false, failed: false, lakeSettings: new Map() };
    try {
      if (sessionStatement(sql, scratch, {}) !== undefined) return undefined;
    } catch {
      return undefined;
    }
    const text = this.host.engineSql(sql);
    if (readsCatalog(text)) await this.host.catalog.fresh();
    return this.host.lake.describe(text).catch(() => undefined);
  }

  private started(portal: Portal): PortalRun {
    portal.run ??= new PortalRun((sink) => this.host.runStatement(portal.sql, sink));
    return portal.run;
  }

  async execute(body: m.BodyReader): Promise<void> {
    const name = body.string();
    const limit = body.int32();
    const portal = this.portals.get(name);
    if (!portal) throw new StrataError('SQL_ERROR', `portal "${name}" does not exist`);
    const send = (...b: Buffer[]) => this.host.send(...b);
    if (portal.sql.trim() === '') {
      send(m.emptyQuery());
      return;
    }
    const run = this.started(portal);
    const columns = (await run.columns) ?? [];
    const rows = this.host.streamer(portal.formats, true);
    const done = await run.take(limit, (chunk, from, to) => rows.part(columns, chunk, from, to));
    if (!done) {
      send(m.portalSuspended());
      return;
    }
    const ran = await run.outcome();
    // A result the engine did not stream (SHOW, a cursor's FETCH) is sent whole.
    if (!run.streamed && ran.result && ran.result.rows.length > 0 && run.sent === 0) {
      sendDataRows(ran.result, 0, ran.result.rows.length, portal.formats, send);
      run.sent = ran.result.rows.length;
    }
    send(m.commandComplete(run.streamed ? `SELECT ${run.sent}` : ran.tag));
  }

  closeObject(body: m.BodyReader): void {
    const kind = String.fromCharCode(body.bytes(1)[0]);
    const name = body.string();
    if (kind === 'S') this.statements.delete(name);
    else {
      this.portals.get(name)?.run?.close();
      this.portals.delete(name);
    }
    this.host.send(m.closeComplete());
  }
}
