// The Postgres endpoint with real clients: psql (Debian's postgresql-client) over loopback —
// SCRAM-SHA-256 sign-in, a wrong password refused with 28P01, simple queries over the project's
// tables with their values, session statements, writes refused with 25006 (read_only_sql_transaction),
// file access refused, errors with their SQLSTATE, and malformed packets dropping only their own
// connection. Node's pg: the extended protocol (Parse/Bind/Execute with parameters, hostile
// values bound as values) and a cancel request. (JDBC, psycopg and the others come next.)
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../../src/project/index.js';
import { startPgServer, type RunningPgServer } from '../../src/pg/index.js';
import { useTestBed } from '../helpers/harness.js';
import { pgClient, pgProject } from '../helpers/pg.js';

const run = promisify(execFile);
const bed = useTestBed('pg');
let project: Project;
let server: RunningPgServer;
const PASSWORD = 'c0rrect-horse';

beforeAll(async () => {
  ({ project } = await pgProject(bed, 'shop', PASSWORD, { pg: '    max_connections: 250\n' }));
  await project.query(
    `CREATE TABLE gold.sales (day DATE, channel STRING, amount DECIMAL(10,2), units INT, ok BOOLEAN);
     INSERT INTO gold.sales VALUES (DATE'2024-01-01', 'online', 10.50, 2, true), (DATE'2024-01-02', 'retail', 4.25, 1, false), (DATE'2024-01-02', NULL, 1.00, 3, NULL)`,
  );
  server = await startPgServer(project, { port: 0 });
});
afterAll(() => server?.close());

async function psql(sql: string, options: { password?: string; user?: string; verbose?: boolean } = {}) {
  try {
    const r = await run(
      'psql',
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(server.port),
        '-U',
        options.user ?? 'analyst',
        '-d',
        'lake',
        '-X',
        '-A',
        '-t',
        '-v',
        'ON_ERROR_STOP=1',
        ...(options.verbose ? ['-v', 'VERBOSITY=verbose'] : []),
        '-c',
        sql,
      ],
      {
        env: { ...process.env, PGPASSWORD: options.password ?? PASSWORD, PGCONNECT_TIMEOUT: '10', PGSSLMODE: 'prefer' },
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the Postgres endpoint with psql', () => {
  it('signs in with SCRAM-SHA-256 and answers queries over the tables with their values', async () => {
    const r = await psql('SELECT day, channel, amount, units, ok FROM gold.sales ORDER BY day, amount');
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual([
      '2024-01-01|online|10.50|2|t',
      '2024-01-02||1.00|3|',
      '2024-01-02|retail|4.25|1|f',
    ]);
    const kpi = await psql('SELECT sum(amount) AS revenue, count(*) AS lines FROM gold.sales');
    expect(kpi.stdout.trim()).toBe('15.75|3');
    const version = await psql('SHOW server_version');
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+ \(Strata\)$/);
    const tx = await psql('BEGIN; SELECT count(*) FROM gold.sales; COMMIT;');
    expect(tx.stdout.trim().split('\n')).toEqual(['BEGIN', '3', 'COMMIT']); // psql prints the tags of the others
  });

  it('refuses a wrong password and an unknown user the same way (28P01)', async () => {
    const wrong = await psql('SELECT 1', { password: 'guess' });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/password authentication failed for user "analyst"/);
    const nobody = await psql('SELECT 1', { user: 'nobody' });
    expect(nobody.stderr).toMatch(/password authentication failed for user "nobody"/);
  });

  it('refuses writes (25006) and file access, with the SQLSTATE clients read', async () => {
    const write = await psql('DELETE FROM gold.sales');
    expect(write.code).not.toBe(0);
    expect(write.stderr).toMatch(/only reads the lake/);
    const file = await psql("SELECT * FROM read_csv('/etc/passwd')");
    expect(file.stderr).toMatch(/file system operations are disabled|Permission/);
    expect((await psql('SELECT count(*) FROM gold.sales')).stdout.trim()).toBe('3');
    // SQLSTATEs, read with psql's VERBOSITY verbose.
    const codes = await psql('SELECT * FROM gold.nope', { verbose: true });
    expect(codes.stderr).toMatch(/ERROR: {2}42P01: /);
    expect((await psql('DELETE FROM gold.sales', { verbose: true })).stderr).toMatch(/ERROR: {2}25006: /);
  });

  it('streams a large result: every row arrives, in order, through the simple and the extended protocol', async () => {
    // 300,000 rows in DuckDB's chunks (2,048 rows each), sent as they are made.
    const r = await psql('SELECT i, i * 2 AS twice FROM range(300000) t(i) ORDER BY i');
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBe(300000);
    expect(lines[0]).toBe('0|0');
    expect(lines[299999]).toBe('299999|599998');
    const c = pgClient(server.port, PASSWORD);
    await c.connect();
    try {
      const all = await c.query({ text: 'SELECT i FROM range($1::BIGINT) t(i)', values: [250000], rowMode: 'array' });
      expect(all.rowCount).toBe(250000);
      expect(all.rows.reduce((sum: number, [i]: number[]) => sum + Number(i), 0)).toBe((249999 * 250000) / 2);
    } finally {
      await c.end();
    }
  });

  it('fetches through a cursor as psql does with FETCH_COUNT (DECLARE, FETCH FORWARD, CLOSE in a block)', async () => {
    const r = await run(
      'psql',
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(server.port),
        '-U',
        'analyst',
        '-d',
        'lake',
        '-X',
        '-A',
        '-t',
        '-v',
        'FETCH_COUNT=2',
        '-c',
        'SELECT day, amount FROM gold.sales ORDER BY day, amount',
      ],
      { env: { ...process.env, PGPASSWORD: PASSWORD } },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['2024-01-01|10.50', '2024-01-02|1.00', '2024-01-02|4.25']);
  });

  it('refuses a sign-in without a password, and every way at files or the engine settings', async () => {
    const none = await run(
      'psql',
      ['-h', '127.0.0.1', '-p', String(server.port), '-U', 'analyst', '-d', 'lake', '-w', '-c', 'SELECT 1'],
      {
        env: { ...process.env, PGPASSWORD: '' },
      },
    ).catch((e: { code: number; stderr: string }) => e);
    expect((none as { stderr: string }).stderr).toMatch(/no password supplied/);
    for (const [sql, code] of [
      ["ATTACH '/tmp/other.duckdb' AS other", '25006'],
      ["COPY (SELECT 1) TO '/tmp/strata-pg-out.csv'", '42501|25006'], // (DuckDB's switch refuses it first)
      ["SELECT * FROM read_text('/etc/hostname')", '42501'],
      ['INSTALL httpfs', '25006'],
      ['LOAD httpfs', '25006'],
      ['SET enable_external_access = true', '42704'],
      ['SET lock_configuration = false', '42704'],
      ["SET allowed_directories = ['/']", '42704'],
    ]) {
      const r = await psql(sql, { verbose: true });
      expect(r.stderr, sql).toMatch(new RegExp(`ERROR: {2}(${code}): `));
    }
    // The engine's switches are as they were.
    const settings = await psql(
      "SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', 'lock_configuration') ORDER BY name",
    );
    expect(settings.stdout.trim().split('\n')).toEqual(['enable_external_access|false', 'lock_configuration|true']);
  });

  it('drops a connection that breaks the protocol, and keeps serving the others', async () => {
    for (const bytes of [
      Buffer.from([0, 0, 0, 3, 0, 0]), // a startup packet shorter than its header
      Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4]), // a negative length
      Buffer.concat([Buffer.from([0, 0, 0, 8, 0, 3, 0, 0]), Buffer.from('Q\x7f\xff\xff\xffSELECT 1\0')]), // a 2 GB message
    ]) {
      await new Promise<void>((resolve) => {
        const s = connect(server.port, '127.0.0.1', () => s.write(bytes));
        s.on('close', () => resolve());
        s.on('error', () => resolve());
        s.resume();
      });
    }
    expect((await psql('SELECT 42')).stdout.trim()).toBe('42');
  });
});

describe("the Postgres endpoint with Node's pg", () => {
  const client = () => pgClient(server.port, PASSWORD);

  it('runs SQL cursors: DECLARE in a block, FETCH n / NEXT / ALL, MOVE, CLOSE; refused outside a block', async () => {
    const c = client();
    await c.connect();
    try {
      await expect(c.query('DECLARE early CURSOR FOR SELECT 1')).rejects.toMatchObject({ code: '25P01' });
      await c.query('BEGIN');
      await c.query('DECLARE cur CURSOR FOR SELECT units FROM gold.sales ORDER BY units');
      const two = await c.query('FETCH 2 FROM cur');
      expect([two.command, two.rows]).toEqual(['FETCH', [{ units: 1 }, { units: 2 }]]);
      expect((await c.query('FETCH NEXT FROM cur')).rows).toEqual([{ units: 3 }]);
      expect((await c.query('FETCH ALL FROM cur')).rowCount).toBe(0);
      await c.query('CLOSE cur');
      await expect(c.query('FETCH NEXT FROM cur')).rejects.toMatchObject({ code: '34000' });
      await c.query('ROLLBACK');
      await c.query('BEGIN');
      await c.query('DECLARE held CURSOR WITH HOLD FOR SELECT units FROM gold.sales ORDER BY units');
      await c.query('DECLARE gone CURSOR FOR SELECT 1');
      await c.query('COMMIT');
      expect((await c.query('MOVE 1 IN held')).command).toBe('MOVE');
      expect((await c.query('FETCH ALL FROM held')).rows).toEqual([{ units: 2 }, { units: 3 }]);
      await expect(c.query('FETCH gone')).rejects.toMatchObject({ code: '34000' });
      await c.query('CLOSE ALL');
    } finally {
      await c.end();
    }
  });

  it('runs statements with parameters through the extended protocol, values bound as values', async () => {
    const c = client();
    await c.connect();
    try {
      const r = await c.query('SELECT channel, amount FROM gold.sales WHERE units >= $1 AND channel = $2', [
        2,
        'online',
      ]);
      expect(r.rows).toEqual([{ channel: 'online', amount: '10.50' }]);
      expect(r.fields.map((f) => f.dataTypeID)).toEqual([25, 1700]); // text, numeric
      const hostile = "x'; DELETE FROM gold.sales; --";
      const echoed = await c.query('SELECT $1 AS v, $2::INT + 1 AS n', [hostile, '41']);
      expect(echoed.rows).toEqual([{ v: hostile, n: 42 }]);
      const named = {
        name: 'by-day',
        text: 'SELECT count(*) AS n FROM gold.sales WHERE day = $1',
        values: ['2024-01-02'],
      };
      expect((await c.query(named)).rows).toEqual([{ n: '2' }]);
      expect((await c.query({ ...named, values: ['2024-01-01'] })).rows).toEqual([{ n: '1' }]); // prepared once, bound twice
      await expect(c.query('SELECT nope FROM gold.sales')).rejects.toMatchObject({ code: '42703' });
      expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]); // the connection goes on after an error
    } finally {
      await c.end();
    }
    expect((await psql('SELECT count(*) FROM gold.sales')).stdout.trim()).toBe('3');
  });

  it('stops a running statement on a cancel request (57014); the connection goes on', async () => {
    const c = client();
    await c.connect();
    try {
      const slow = c.query('SELECT count(*) FROM range(100000000000) a');
      await new Promise((r) => setTimeout(r, 300));
      // A CancelRequest on a new connection, with the backend's key (as every client sends it).
      const { processID, secretKey } = c as unknown as { processID: number; secretKey: number };
      const packet = Buffer.alloc(16);
      packet.writeInt32BE(16, 0);
      packet.writeInt32BE(80877102, 4);
      packet.writeInt32BE(processID, 8);
      packet.writeInt32BE(secretKey, 12);
      await new Promise<void>((resolve) => {
        const s = connect(server.port, '127.0.0.1', () => s.end(packet));
        s.on('close', () => resolve());
        s.resume();
      });
      await expect(slow).rejects.toMatchObject({ code: '57014' });
      expect((await c.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
    } finally {
      await c.end();
    }
  });
});

describe('the Postgres endpoint under many connections', () => {
  it('answers 200 clients at once, then refuses connections over serve.pg.max_connections (53300)', async () => {
    const clients = Array.from(
      { length: 200 },
      () => new pg.Client({ host: '127.0.0.1', port: server.port, user: 'analyst', password: PASSWORD }),
    );
    await Promise.all(clients.map((c) => c.connect()));
    try {
      const answers = await Promise.all(
        clients.map((c, i) => c.query('SELECT $1::INT AS i, count(*) AS n FROM gold.sales', [i])),
      );
      expect(answers.map((r) => r.rows[0])).toEqual(clients.map((_, i) => ({ i, n: '3' })));
      expect(server.connections()).toBe(200);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
    // A second endpoint of the same project with a limit of 2.
    const { project: small } = await pgProject(bed, 'small', PASSWORD, { pg: '    max_connections: 2\n' });
    const limited = await startPgServer(small, { port: 0 });
    const open = [0, 1].map(
      () => new pg.Client({ host: '127.0.0.1', port: limited.port, user: 'analyst', password: PASSWORD }),
    );
    try {
      await Promise.all(open.map((c) => c.connect()));
      const third = new pg.Client({ host: '127.0.0.1', port: limited.port, user: 'analyst', password: PASSWORD });
      await expect(third.connect()).rejects.toMatchObject({ code: '53300' });
      await open[0].end();
      for (let i = 0; i < 500 && limited.connections() > 1; i++) await new Promise((r) => setTimeout(r, 10));
      const again = new pg.Client({ host: '127.0.0.1', port: limited.port, user: 'analyst', password: PASSWORD });
      await again.connect(); // a place came free
      await again.end();
    } finally {
      await open[1].end();
      await limited.close();
    }
  });
});
