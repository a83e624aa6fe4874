// A throwaway PostgreSQL server for benchmarks that compare with the real thing — the plain-ESM
// twin of test/helpers/local-postgres.ts (benchmarks import only dist/ and bench/lib): a fresh data
// folder (initdb, trust authentication, no fsync) on 127.0.0.1 and a free port, stopped and
// deleted after. Under root the server runs as the `postgres` user, which PostgreSQL requires.
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const POSTGRES_BIN = process.env.STRATA_POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';

/** Why no local PostgreSQL can start here, or undefined. */
export function localPostgresMissing() {
  for (const program of ['initdb', 'pg_ctl', 'postgres'])
    if (!existsSync(path.join(POSTGRES_BIN, program)))
      return `PostgreSQL's ${program} is not in ${POSTGRES_BIN} (apt-get install postgresql-15, or set STRATA_POSTGRES_BIN)`;
  if (process.getuid?.() === 0 && postgresUid() === undefined) return 'running as root and there is no postgres user';
  return undefined;
}

/** Starts a server with these settings (postgresql.conf names); resolves with its host, port and stop(). */
export async function startLocalPostgres(settings = {}) {
  const missing = localPostgresMissing();
  if (missing) throw new Error(`cannot start a local PostgreSQL: ${missing}`);
  const dir = mkdtempSync(path.join(tmpdir(), 'strata-bench-postgres-'));
  const uid = process.getuid?.() === 0 ? postgresUid() : undefined;
  if (uid !== undefined) chownSync(dir, uid, uid);
  const data = path.join(dir, 'data');
  const env = { PATH: process.env.PATH, LANG: 'C', LC_ALL: 'C' };
  const as = (program, args) =>
    uid !== undefined
      ? run('runuser', ['-u', 'postgres', '--', path.join(POSTGRES_BIN, program), ...args], { env, cwd: dir })
      : run(path.join(POSTGRES_BIN, program), args, { env, cwd: dir });
  await as('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const all = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dir,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    TimeZone: 'UTC',
    ...settings,
  };
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const opts = Object.entries({ ...all, port })
      .map(([k, v]) => `-c ${k}=${v}`)
      .join(' ');
    try {
      await as('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-o', opts, '-w', '-t', '60', 'start']);
      return {
        host: '127.0.0.1',
        port,
        user: 'postgres',
        database: 'postgres',
        async stop() {
          await as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      if (attempt >= 3) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
}

function postgresUid() {
  try {
    return Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  } catch {
    return undefined;
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
