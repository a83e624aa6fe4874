// A throwaway PostgreSQL server for tests that compare Strata with the real thing: a fresh data
// folder in a temporary directory (initdb with trust authentication, no fsync), listening on
// 127.0.0.1 on a free port and on a unix socket inside that directory, stopped and deleted after.
// PostgreSQL refuses to run as root, so under root the server runs as the `postgres` user.
//
// @example
//   const missing = localPostgresMissing();
//   describe.skipIf(missing)(`... ${skipNote(missing)}`, () => {
//     let server: LocalPostgres;
//     beforeAll(async () => (server = await startLocalPostgres()));
//     afterAll(() => server?.stop());
//     it('...', async () => expect(await server.query('SELECT 1 AS one')).toEqual([{ one: 1 }]));
//   });
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** Where PostgreSQL's server programs are (Debian's postgresql-15); STRATA_POSTGRES_BIN overrides. */
export const POSTGRES_BIN = process.env.STRATA_POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';

export interface LocalPostgres {
  host: string;
  port: number;
  /** The folder of the server's unix socket (`host` for a client that connects through it). */
  socketDir: string;
  /** A superuser (trust authentication: no password). */
  user: string;
  database: string;
  /** Runs a statement on the helper's own connection; rows as Node's pg parses them. */
  query<T = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<T[]>;
  /** A new connected client of this server (the caller ends it). */
  connect(config?: pg.ClientConfig): Promise<pg.Client>;
  /** Stops the server (immediate shutdown) and deletes its folder. */
  stop(): Promise<void>;
}

/** Why a local PostgreSQL cannot start here (its programs or the postgres user missing), or undefined when it can. */
export function localPostgresMissing(): string | undefined {
  for (const program of ['initdb', 'pg_ctl', 'postgres'])
    if (!existsSync(path.join(POSTGRES_BIN, program)))
      return `PostgreSQL's ${program} is not in ${POSTGRES_BIN} (apt-get install postgresql-15, or set STRATA_POSTGRES_BIN)`;
  if (isRoot() && postgresUid() === undefined)
    return 'running as root and there is no postgres user to run PostgreSQL as';
  return undefined;
}

/** A note for a test's name: why it was skipped, or nothing. */
export function skipNote(missing: string | undefined): string {
  return missing ? `(skipped: ${missing})` : '';
}

/** Starts a new PostgreSQL server; resolves once it accepts connections. */
export async function startLocalPostgres(
  options: { settings?: Record<string, string | number> } = {},
): Promise<LocalPostgres> {
  const missing = localPostgresMissing();
  if (missing) throw new Error(`cannot start a local PostgreSQL: ${missing}`);
  const dir = mkdtempSync(path.join(tmpdir(), 'strata-postgres-'));
  const uid = isRoot() ? postgresUid() : undefined;
  if (uid !== undefined) chownSync(dir, uid, uid);
  const data = path.join(dir, 'data');
  const log = path.join(dir, 'server.log');
  const as = (program: string, args: string[]) =>
    uid !== undefined
      ? run('runuser', ['-u', 'postgres', '--', path.join(POSTGRES_BIN, program), ...args], {
          env: serverEnv(),
          cwd: dir,
        })
      : run(path.join(POSTGRES_BIN, program), args, { env: serverEnv(), cwd: dir });
  let started = false;
  try {
    await as('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
    const settings: Record<string, string | number> = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: dir,
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      max_connections: 50,
      shared_buffers: '16MB',
      TimeZone: 'UTC',
      ...options.settings,
    };
    // A free port can be taken between looking and listening: try a few.
    let port = 0;
    for (let attempt = 1; !started; attempt++) {
      port = await freePort();
      const opts = Object.entries({ ...settings, port })
        .map(([k, v]) => `-c ${k}=${v}`)
        .join(' ');
      try {
        await as('pg_ctl', ['-D', data, '-l', log, '-o', opts, '-w', '-t', '60', 'start']);
        started = true;
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
    const config = { host: '127.0.0.1', port, user: 'postgres', database: 'postgres' };
    const own = new pg.Client(config);
    await own.connect();
    return {
      host: '127.0.0.1',
      port,
      socketDir: dir,
      user: 'postgres',
      database: 'postgres',
      async query<T>(sql: string, values?: unknown[]) {
        return (await own.query(sql, values)).rows as T[];
      },
      async connect(extra: pg.ClientConfig = {}) {
        const client = new pg.Client({ ...config, ...extra });
        await client.connect();
        return client;
      },
      async stop() {
        await own.end().catch(() => undefined);
        await as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    const detail = existsSync(log) ? `\n${readFileSync(log, 'utf8').slice(-2000)}` : '';
    if (started) await as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`the local PostgreSQL did not start: ${message}${detail}`, { cause: err });
  }
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

let uidOfPostgres: number | undefined | null = null;

function postgresUid(): number | undefined {
  if (uidOfPostgres === null) {
    try {
      uidOfPostgres = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    } catch {
      uidOfPostgres = undefined;
    }
  }
  return uidOfPostgres;
}

/** The environment the server programs run in: no PG* variables of the caller, the C locale. */
function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, LANG: 'C', LC_ALL: 'C' };
  return env;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
