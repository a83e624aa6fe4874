// TLS on the Postgres endpoint (serve.pg.tls), with a throwaway self-signed certificate made by
// openssl: psql with sslmode=require (\conninfo says SSL) and verify-full against the certificate
// (and refused against another one), Node's pg with the certificate as its CA reading a gold row
// over TLS, PostgreSQL 17's direct SSL (a TLS hello first, ALPN "postgresql") by hand, TLS below
// 1.2 refused, plaintext after an SSLRequest and a second SSLRequest dropped; `required: true`
// refusing sslmode=disable with 28000 (a plain cancel request still served); bad files refused at
// start naming the file (by startPgServer and by `strata serve`); without tls, sslmode=require
// failing with psql's own message.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import * as path from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../../src/project/index.js';
import { startPgServer, type RunningPgServer } from '../../src/pg/index.js';
import { projectAt, projectFolder, useTestBed } from '../helpers/harness.js';

const run = promisify(execFile);
const bed = useTestBed('pg-tls');
const PASSWORD = 'c0rrect-horse';
const ENV = { STRATA_PG_TEST_PASSWORD: PASSWORD };
const USERS = '    users:\n      analyst:\n        password: ${env:STRATA_PG_TEST_PASSWORD}\n';
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

let dir: string;
let project: Project;
let server: RunningPgServer;
const log: string[] = [];

/** A self-signed certificate for localhost (and 127.0.0.1), valid one day: its files, relative to `folder`. */
async function certificate(folder: string, name: string): Promise<{ cert: string; key: string }> {
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-days',
    '1',
    '-keyout',
    path.join(folder, `${name}.key`),
    '-out',
    path.join(folder, `${name}.crt`),
  ]);
  return { cert: `${name}.crt`, key: `${name}.key` };
}

const tlsYaml = (name: string, files: { cert: string; key: string }, extra = '') =>
  `name: ${name}\nserve:\n  pg:\n${USERS}    tls:\n      cert: ${files.cert}\n      key: ${files.key}\n${extra}`;

beforeAll(async () => {
  dir = projectFolder(bed, 'shop', 'name: shop\n');
  const files = await certificate(dir, 'server');
  await certificate(dir, 'other');
  projectFolder(bed, 'shop', tlsYaml('shop', files));
  project = await projectAt(bed, dir, { env: ENV });
  await project.query(
    `CREATE TABLE gold.sales (day DATE, channel STRING, amount DECIMAL(10,2));
     INSERT INTO gold.sales VALUES (DATE'2024-01-01', 'online', 10.50), (DATE'2024-01-02', 'retail', 4.25)`,
  );
  server = await startPgServer(project, { port: 0, log: (line) => log.push(line) });
}, 60_000);
afterAll(() => server?.close());

async function psql(port: number, args: string[], env: Record<string, string>) {
  try {
    const r = await run(
      'psql',
      ['-p', String(port), '-U', 'analyst', '-d', 'lake', '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', ...args],
      { env: { ...process.env, PGHOST: '127.0.0.1', PGPASSWORD: PASSWORD, PGCONNECT_TIMEOUT: '10', ...env } },
    );
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function startupPacket(params: Record<string, string>): Buffer {
  const body = Buffer.from(
    Object.entries(params)
      .map(([k, v]) => `${k}\0${v}\0`)
      .join('') + '\0',
  );
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + body.length, 0);
  head.writeInt32BE(196608, 4);
  return Buffer.concat([head, body]);
}

/** Everything a socket receives until it closes. */
async function allOf(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  await new Promise<void>((resolve) => {
    socket.on('close', () => resolve());
    socket.on('error', () => resolve());
  });
  return Buffer.concat(chunks);
}

/** A plain connection that sent an SSLRequest and read the server's one-byte answer. */
async function sslRequested(port: number): Promise<{ socket: Socket; answer: string }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(SSL_REQUEST);
  const [answer] = (await once(socket, 'data')) as [Buffer];
  return { socket, answer: answer.toString('latin1') };
}

describe('TLS on the Postgres endpoint with psql', () => {
  it('connects with sslmode=require over TLS (\\conninfo says SSL) and reads the tables', async () => {
    const r = await psql(port(), ['-c', '\\conninfo', '-c', 'SELECT channel, amount FROM gold.sales ORDER BY day'], {
      PGSSLMODE: 'require',
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/SSL connection \(protocol: TLSv1\.[23], cipher: /);
    expect(r.stdout).toMatch(/online\|10\.50\nretail\|4\.25/);
  });

  it('verifies the server with sslmode=verify-full against its certificate, and refuses another CA', async () => {
    const ok = await psql(port(), ['-h', 'localhost', '-c', 'SELECT count(*) FROM gold.sales'], {
      PGSSLMODE: 'verify-full',
      PGSSLROOTCERT: path.join(dir, 'server.crt'),
    });
    expect(ok.stderr).toBe('');
    expect(ok.stdout.trim()).toBe('2');
    const wrong = await psql(port(), ['-h', 'localhost', '-c', 'SELECT 1'], {
      PGSSLMODE: 'verify-full',
      PGSSLROOTCERT: path.join(dir, 'other.crt'),
    });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/certificate verify failed/);
  });

  it('still takes plain connections when TLS is not required (sslmode=disable)', async () => {
    const r = await psql(port(), ['-c', '\\conninfo', '-c', 'SELECT 1'], { PGSSLMODE: 'disable' });
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toMatch(/SSL connection/);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('1');
  });
});

describe("TLS on the Postgres endpoint with Node's pg", () => {
  it('reads a gold row over TLS with the certificate as its CA', async () => {
    const c = new pg.Client({
      host: 'localhost',
      port: port(),
      user: 'analyst',
      password: PASSWORD,
      database: 'lake',
      ssl: { ca: readFileSync(path.join(dir, 'server.crt'), 'utf8') },
    });
    await c.connect();
    try {
      const r = await c.query('SELECT channel, amount FROM gold.sales WHERE day = $1', ['2024-01-01']);
      expect(r.rows).toEqual([{ channel: 'online', amount: '10.50' }]);
      const stream = (c as unknown as { connection: { stream: TLSSocket } }).connection.stream;
      expect(stream.encrypted).toBe(true);
      expect(['TLSv1.2', 'TLSv1.3']).toContain(stream.getProtocol());
      // A result larger than the socket's buffers, written with the TLS socket's backpressure.
      const many = await c.query("SELECT i, repeat('x', 100) AS pad FROM range(200000) t(i)");
      expect(many.rows.length).toBe(200_000);
      expect(many.rows[199_999]).toMatchObject({ i: '199999' });
    } finally {
      await c.end();
    }
  });
});

describe('TLS on the Postgres endpoint at the protocol level', () => {
  it("takes PostgreSQL 17's direct SSL (ALPN postgresql) and signs in; refuses it without the ALPN", async () => {
    const ca = readFileSync(path.join(dir, 'server.crt'));
    const direct = tlsConnect({
      host: '127.0.0.1',
      port: port(),
      ca,
      servername: 'localhost',
      ALPNProtocols: ['postgresql'],
    });
    await once(direct, 'secureConnect');
    expect(direct.alpnProtocol).toBe('postgresql');
    direct.write(startupPacket({ user: 'analyst', database: 'lake' }));
    const [sasl] = (await once(direct, 'data')) as [Buffer];
    expect(String.fromCharCode(sasl[0])).toBe('R'); // AuthenticationSASL
    expect(sasl.toString('latin1')).toContain('SCRAM-SHA-256');
    direct.destroy();

    const bare = tlsConnect({ host: '127.0.0.1', port: port(), ca, servername: 'localhost' });
    await once(bare, 'secureConnect');
    bare.write(startupPacket({ user: 'analyst', database: 'lake' }));
    const refusal = await allOf(bare);
    expect(refusal.toString('latin1')).toContain('a direct SSL connection must negotiate the ALPN protocol');
  });

  it('refuses TLS below 1.2', async () => {
    const { socket, answer } = await sslRequested(port());
    expect(answer).toBe('S');
    const old = tlsConnect({
      socket,
      servername: 'localhost',
      rejectUnauthorized: false,
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    const [err] = (await once(old, 'error')) as [Error];
    expect(err.message).toMatch(/protocol version|unsupported protocol|no protocols available/);
  });

  it('drops plaintext sent after an SSLRequest before the handshake, and a second SSLRequest over TLS', async () => {
    const plain = connect(port(), '127.0.0.1', () =>
      plain.write(Buffer.concat([SSL_REQUEST, startupPacket({ user: 'analyst', database: 'lake' })])),
    );
    const answer = (await allOf(plain)).toString('latin1');
    expect(answer.startsWith('S')).toBe(false);
    expect(answer).toContain('protocol violation: unencrypted data after the SSLRequest');

    const { socket } = await sslRequested(port());
    const secure = tlsConnect({ socket, servername: 'localhost', ca: readFileSync(path.join(dir, 'server.crt')) });
    await once(secure, 'secureConnect');
    secure.write(SSL_REQUEST);
    expect((await allOf(secure)).toString('latin1')).toContain('protocol violation: an encryption request over TLS');
    expect((await psql(port(), ['-c', 'SELECT 42'], { PGSSLMODE: 'require' })).stdout.trim()).toBe('42');
  });

  it('logs a failed TLS handshake (plaintext where the hello should be)', async () => {
    const { socket, answer } = await sslRequested(port());
    expect(answer).toBe('S');
    socket.write(startupPacket({ user: 'analyst', database: 'lake' }));
    await allOf(socket);
    for (let i = 0; i < 100 && !log.some((l) => /TLS handshake with .* failed/.test(l)); i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(log.some((l) => /TLS handshake with .* failed/.test(l))).toBe(true);
  });
});

describe('serve.pg.tls.required', () => {
  it('refuses plain connections with 28000 and takes TLS ones; a plain cancel request is still served', async () => {
    const folder = projectFolder(bed, 'strict', '');
    const files = await certificate(folder, 'server');
    projectFolder(bed, 'strict', tlsYaml('strict', files, '      required: true\n'));
    const strict = await startPgServer(await projectAt(bed, folder, { env: ENV }), { port: 0 });
    try {
      const plain = await psql(strict.port, ['-c', 'SELECT 1'], { PGSSLMODE: 'disable' });
      expect(plain.code).not.toBe(0);
      expect(plain.stderr).toMatch(/FATAL: {2}this server requires TLS \(sslmode=require\)/);
      const refused = new pg.Client({ host: '127.0.0.1', port: strict.port, user: 'analyst', password: PASSWORD });
      await expect(refused.connect()).rejects.toMatchObject({
        code: '28000',
        severity: 'FATAL',
        message: 'this server requires TLS (sslmode=require)',
      });
      const secure = await psql(strict.port, ['-c', '\\conninfo', '-c', 'SELECT 1'], { PGSSLMODE: 'prefer' });
      expect(secure.stderr).toBe('');
      expect(secure.stdout).toMatch(/SSL connection/);

      // psql before 17 sends its cancel requests in plain text, even on a TLS connection.
      const c = new pg.Client({
        host: '127.0.0.1',
        port: strict.port,
        user: 'analyst',
        password: PASSWORD,
        ssl: { rejectUnauthorized: false },
      });
      await c.connect();
      try {
        const slow = c.query('SELECT count(*) FROM range(100000000000) a');
        await new Promise((r) => setTimeout(r, 300));
        const { processID, secretKey } = c as unknown as { processID: number; secretKey: number };
        const packet = Buffer.alloc(16);
        packet.writeInt32BE(16, 0);
        packet.writeInt32BE(80877102, 4);
        packet.writeInt32BE(processID, 8);
        packet.writeInt32BE(secretKey, 12);
        const s = connect(strict.port, '127.0.0.1', () => s.end(packet));
        await allOf(s);
        await expect(slow).rejects.toMatchObject({ code: '57014' });
      } finally {
        await c.end();
      }
    } finally {
      await strict.close();
    }
  });
});

describe('serve.pg.tls misconfigured', () => {
  it('refuses to start, naming the file: a missing key, a key of another certificate, a file that is not PEM', async () => {
    const folder = projectFolder(bed, 'broken', 'name: broken\n');
    await certificate(folder, 'a');
    await certificate(folder, 'b');
    projectFolder(bed, 'broken', 'name: broken\n', { 'notes.txt': 'not a certificate\n' });
    const attempt = async (files: { cert: string; key: string }) => {
      projectFolder(bed, 'broken', tlsYaml('broken', files));
      return startPgServer(await projectAt(bed, folder, { env: ENV }), { port: 0 }).then(
        (s) => s.close().then(() => undefined),
        (err: unknown) => err as { code: string; message: string },
      );
    };
    expect(await attempt({ cert: 'a.crt', key: 'secret/missing.key' })).toMatchObject({
      code: 'CONFIG',
      message: `serve.pg.tls.key: ${path.join(folder, 'secret/missing.key')} does not exist`,
    });
    expect(await attempt({ cert: 'a.crt', key: 'b.key' })).toMatchObject({
      code: 'CONFIG',
      message: expect.stringContaining(
        `serve.pg.tls.key: ${path.join(folder, 'b.key')} is not the private key of the certificate`,
      ),
    });
    expect(await attempt({ cert: 'notes.txt', key: 'a.key' })).toMatchObject({
      code: 'CONFIG',
      message: expect.stringMatching(/^serve\.pg\.tls\.cert: .*notes\.txt is not a PEM certificate/),
    });
  });

  it('`strata serve` stops with the error before anything listens', async () => {
    const folder = projectFolder(bed, 'cli', 'name: cli\n');
    await certificate(folder, 'server');
    projectFolder(bed, 'cli', tlsYaml('cli', { cert: 'server.crt', key: 'gone.key' }));
    const r = await run(
      process.execPath,
      [path.resolve('bin/strata.js'), '--project', folder, 'serve', '--port', '0'],
      {
        env: { ...process.env, ...ENV },
      },
    ).then(
      (ok) => ({ code: 0, stdout: ok.stdout, stderr: ok.stderr }),
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`serve.pg.tls.key: ${path.join(folder, 'gone.key')} does not exist`);
    expect(r.stdout).not.toMatch(/dashboard and API at|scheduler started/);
  }, 60_000);
});

describe('without serve.pg.tls', () => {
  it("answers an SSLRequest 'N': psql with sslmode=require gets its own message; a direct TLS hello is dropped and logged", async () => {
    const folder = projectFolder(bed, 'plain', `name: plain\nserve:\n  pg:\n${USERS}`);
    const lines: string[] = [];
    const plain = await startPgServer(await projectAt(bed, folder, { env: ENV }), {
      port: 0,
      log: (l) => lines.push(l),
    });
    try {
      const r = await psql(plain.port, ['-c', 'SELECT 1'], { PGSSLMODE: 'require' });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/server does not support SSL, but SSL was required/);
      expect((await sslRequested(plain.port)).answer).toBe('N');
      const direct = tlsConnect({ host: '127.0.0.1', port: plain.port, rejectUnauthorized: false });
      const [err] = (await once(direct, 'error')) as [Error];
      expect(err.message).toMatch(/socket disconnected|ECONNRESET/);
      expect(lines.join('\n')).toMatch(/a TLS connection \(direct SSL\) from .* dropped: serve\.pg\.tls is not set/);
      expect((await psql(plain.port, ['-c', 'SELECT 1'], { PGSSLMODE: 'prefer' })).stdout.trim()).toBe('1');
    } finally {
      await plain.close();
    }
  });
});

function port(): number {
  return server.port;
}
