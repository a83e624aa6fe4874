// The Postgres endpoint's server: a TCP listener (127.0.0.1 unless configured otherwise) that
// starts only with at least one user in strata.yaml (serve.pg.users.<name>.password from
// ${env:NAME}: no trust mode), offers TLS with serve.pg.tls (its files checked before it listens),
// keeps to its connection limit (53300 beyond it), hands cancel requests to the connection they
// name, and reads through the project's read-only lake.
import { randomInt } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { StrataError } from '../core/index.js';
import { openReadOnlyLake, type Project } from '../project/index.js';
import { Connection } from './connection.js';
import { PgCatalog, PG_SERVER_VERSION } from './catalog.js';
import { errorResponse } from './protocol.js';
import { scramKeys, type ScramKeys } from './scram.js';
import { loadPgTls, type PgTls } from './tls.js';

export interface PgServerOptions {
  /** Default: serve.pg.host, else 127.0.0.1. */
  host?: string;
  /** Default: serve.pg.port, else 5433; 0 takes a free port. */
  port?: number;
  /** serve.pg.tls already loaded (pgTls); default: loaded here. */
  tls?: PgTls;
  /** Where the endpoint's log lines go (a TLS connection refused or failed). */
  log?(line: string): void;
}

export interface RunningPgServer {
  host: string;
  port: number;
  /** Connections open now. */
  connections(): number;
  close(): Promise<void>;
}

export async function startPgServer(project: Project, options: PgServerOptions = {}): Promise<RunningPgServer> {
  const settings = project.config.serve?.pg;
  const users = new Map<string, ScramKeys>(
    Object.entries(settings?.users ?? {}).map(([name, u]) => [name, scramKeys(u.password)]),
  );
  if (users.size === 0)
    throw new StrataError(
      'CONFIG',
      'the Postgres endpoint needs at least one user: serve.pg.users.<name>.password: ${env:NAME} in strata.yaml',
    );
  const tls = options.tls ?? pgTls(project);
  const host = options.host ?? settings?.host ?? '127.0.0.1';
  const maxConnections = settings?.max_connections ?? 100;
  const lake = await openReadOnlyLake(project, { postgres: true });
  const database = project.catalog.name;
  const serverVersion = `${PG_SERVER_VERSION} (Strata)`;
  const serverSettings: Record<string, string> = {
    server_version: serverVersion,
    server_version_num: String(
      Number(PG_SERVER_VERSION.split('.')[0]) * 10000 + Number(PG_SERVER_VERSION.split('.')[1]),
    ),
    server_encoding: 'UTF8',
    client_encoding: 'UTF8',
    DateStyle: 'ISO, MDY',
    TimeZone: project.engine.settings.timeZone ?? 'UTC',
    integer_datetimes: 'on',
    standard_conforming_strings: 'on',
    max_identifier_length: '63',
    default_transaction_read_only: 'on',
    max_connections: String(maxConnections),
  };
  let catalog: PgCatalog;
  try {
    catalog = await PgCatalog.open(lake, { database, users: [...users.keys()], settings: serverSettings });
  } catch (err) {
    lake.close();
    throw err;
  }
  const open = new Map<number, { secret: number; connection: Connection }>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.setNoDelay(true);
    if (open.size >= maxConnections) {
      // The client's startup packet is not read: the refusal is sent at once, as PostgreSQL does.
      socket.end(errorResponse({ severity: 'FATAL', code: '53300', message: 'sorry, too many clients already' }));
      return;
    }
    let pid = randomInt(1, 2 ** 31 - 1);
    while (open.has(pid)) pid = randomInt(1, 2 ** 31 - 1);
    const secret = randomInt(0, 2 ** 31 - 1);
    const connection = new Connection(socket, {
      lake,
      users,
      statementTimeoutMs: (settings?.statement_timeout_seconds ?? 300) * 1000,
      pid,
      secret,
      timeZone: project.engine.settings.timeZone ?? 'UTC',
      catalog,
      database,
      serverVersion,
      settings: serverSettings,
      tls,
      log: options.log,
      cancel: (p, s) => {
        const target = open.get(p);
        if (target && target.secret === s) target.connection.interrupt();
      },
    });
    open.set(pid, { secret, connection });
    socket.on('close', () => open.delete(pid));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new StrataError(
              'USAGE',
              `port ${options.port ?? settings?.port} on ${host} is in use: choose another with --pg-port`,
            )
          : err,
      ),
    );
    server.listen(options.port ?? settings?.port ?? 5433, host, () => resolve());
  });
  return {
    host,
    port: (server.address() as AddressInfo).port,
    connections: () => open.size,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      lake.close();
    },
  };
}

/** serve.pg.tls's certificate and key, read and checked (a CONFIG error naming the file); undefined without it. */
export function pgTls(project: Project): PgTls | undefined {
  const settings = project.config.serve?.pg?.tls;
  return settings ? loadPgTls(project.dir, settings) : undefined;
}
