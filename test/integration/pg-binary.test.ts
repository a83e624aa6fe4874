// The Postgres endpoint's binary format with real clients. A gold table of many types (and
// computed intervals, times, uuids, wide integers) read by Node's pg in text and in binary: the
// binary DataRows are byte for byte what a real PostgreSQL 15 sends for the same values (loaded
// into it from the endpoint's text format), and pg reads the same rows from both. Binary
// parameters (made by PostgreSQL's own *send functions) select the rows they should; a type the
// endpoint cannot read in binary is refused with 0A000. asyncpg, which reads and writes only
// binary, fetches the table. Without PostgreSQL's server programs the comparisons are skipped.
import { execFile, execFileSync } from 'node:child_process';
import type { Socket } from 'node:net';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPgServer, type RunningPgServer } from '../../src/pg/index.js';
import { useTestBed } from '../helpers/harness.js';
import { pgClient, pgProject } from '../helpers/pg.js';
import { localPostgresMissing, skipNote, startLocalPostgres, type LocalPostgres } from '../helpers/local-postgres.js';

const run = promisify(execFile);
const bed = useTestBed('pg-binary');
let server: RunningPgServer;
const PASSWORD = 'binary-b3ans';

beforeAll(async () => {
  const { project } = await pgProject(bed, 'types', PASSWORD);
  await project.query(
    `CREATE TABLE gold.types (id INT, d DATE, ts TIMESTAMP, ntz TIMESTAMP_NTZ, amount DECIMAL(18,4), big BIGINT,
       i INT, s SMALLINT, dbl DOUBLE, f FLOAT, ok BOOLEAN, str STRING, bin BINARY, arr ARRAY<INT>,
       st STRUCT<a: INT, b: STRING>)`,
  );
  await project.query(
    `INSERT INTO gold.types VALUES
     (1, DATE'1999-12-31', TIMESTAMP'2024-01-02 03:04:05.123456', CAST('2024-01-02 03:04:05.123456' AS TIMESTAMP_NTZ),
      12.5, 9007199254740993, -42, -7, -2.5, 0.1, true, 'héllo ✓', unhex('00FF615C'), array(1, 2),
      named_struct('a', 1, 'b', 'x')),
     (2, DATE'0001-01-01', TIMESTAMP'1900-01-01 00:00:00', CAST('2262-04-11 23:47:16.854775' AS TIMESTAMP_NTZ),
      -0.0001, CAST('-9223372036854775808' AS BIGINT), 2147483647, 32767, CAST('NaN' AS DOUBLE),
      CAST('-Infinity' AS FLOAT), false, '', unhex(''), array(), named_struct('a', NULL, 'b', 'y')),
     (3, DATE'2262-04-11', TIMESTAMP'1970-01-01 00:00:00.000001', CAST('0001-01-01 00:00:00' AS TIMESTAMP_NTZ),
      99999999999999.9999, 0, 0, 0, 1e300, 3.4e38, true, 'it''s', unhex('5C7833'), array(-1), named_struct('a', -1, 'b', '')),
     (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
  );
  server = await startPgServer(project, { port: 0 });
});
afterAll(() => server?.close());

/** Every type of the endpoint: the table's columns and computed ones (DuckDB's SQL). */
const ALL_TYPES = `SELECT id, d, ts, ntz, amount, big, i, s, dbl, f, ok, str, bin, arr, st,
    CASE id WHEN 1 THEN INTERVAL '1 year 2 months 3 days 04:05:06.789' WHEN 2 THEN INTERVAL '-1 day -00:00:01'
      WHEN 3 THEN INTERVAL '0 seconds' END AS iv,
    CASE id WHEN 1 THEN TIME '12:34:56.789012' WHEN 2 THEN TIME '00:00:00' WHEN 3 THEN TIME '24:00:00' END AS t,
    CASE WHEN id < 4 THEN '6ba7b810-9dad-11d1-80b4-00c04fd430c8'::UUID END AS u,
    CASE id WHEN 1 THEN 123456789012345678901234567890::HUGEINT WHEN 2 THEN -1::HUGEINT END AS huge,
    CASE id WHEN 1 THEN 42::TINYINT END AS tiny
  FROM gold.types ORDER BY id`;

/** PostgreSQL's name of each type OID the endpoint sends. */
const TYPE_NAMES: Record<number, string> = {
  16: 'bool',
  17: 'bytea',
  20: 'int8',
  21: 'int2',
  23: 'int4',
  25: 'text',
  114: 'json',
  700: 'float4',
  701: 'float8',
  1043: 'varchar',
  1082: 'date',
  1083: 'time',
  1114: 'timestamp',
  1184: 'timestamptz',
  1186: 'interval',
  1700: 'numeric',
  2950: 'uuid',
};

/** Type parsers that hand back each field as it came (pg's binary parsers and DataRow reading are lossy). */
const AS_IS = { getTypeParser: () => (v: unknown) => v } as unknown as pg.CustomTypesConfig;

function strata(): pg.Client {
  return pgClient(server.port, PASSWORD);
}

/**
 * The fields of the DataRows a server sends while `query` runs, read off the client's socket (pg
 * reads a DataRow's fields as UTF-8 text, which loses binary bytes). Called when the client is
 * idle, so that the socket's next bytes begin a message.
 */
async function dataRows(client: pg.Client, query: () => Promise<unknown>): Promise<(string | null)[][]> {
  const socket = (client as unknown as { connection: { stream: Socket } }).connection.stream;
  const rows: (string | null)[][] = [];
  let pending = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 5 && pending.length >= 1 + pending.readInt32BE(1)) {
      const message = pending.subarray(0, 1 + pending.readInt32BE(1));
      pending = pending.subarray(message.length);
      if (message[0] !== 'D'.charCodeAt(0)) continue;
      const fields: (string | null)[] = [];
      let at = 7;
      for (let n = message.readInt16BE(5); n > 0; n--) {
        const len = message.readInt32BE(at);
        at += 4;
        fields.push(len < 0 ? null : message.subarray(at, at + len).toString('hex'));
        at += Math.max(len, 0);
      }
      rows.push(fields);
    }
  };
  socket.on('data', onData);
  try {
    await query();
  } finally {
    socket.off('data', onData);
  }
  return rows;
}

/** A query through the extended protocol with its results in binary or text format, each field as it came. */
function extended(text: string, binary: boolean): pg.QueryArrayConfig {
  // pg's types do not list `binary` and `queryMode`; without queryMode a query with no parameters goes as a simple Query (text).
  return { text, rowMode: 'array', types: AS_IS, binary, queryMode: 'extended' } as pg.QueryArrayConfig;
}

const hex = (s: string | null) => (s === null ? null : Buffer.from(s, 'hex').toString('utf8'));

const missing = localPostgresMissing();

describe.skipIf(missing)(`binary format against PostgreSQL 15 ${skipNote(missing)}`, () => {
  let postgres: LocalPostgres;
  let reference: pg.Client;
  beforeAll(async () => {
    postgres = await startLocalPostgres();
    reference = await postgres.connect();
  });
  afterAll(async () => {
    await reference?.end();
    await postgres?.stop();
  });

  it('sends each column in binary as PostgreSQL sends the same values, and pg reads the same rows from both', async () => {
    const c = strata();
    await c.connect();
    try {
      const described = await c.query({ text: ALL_TYPES, rowMode: 'array' });
      const types = described.fields.map((f) => TYPE_NAMES[f.dataTypeID]);
      expect(types).toEqual([
        'int4', 'date', 'timestamptz', 'timestamp', 'numeric', 'int8', 'int4', 'int2', 'float8', 'float4', 'bool',
        'text', 'bytea', 'json', 'json', 'interval', 'time', 'uuid', 'numeric', 'int2',
      ]); // prettier-ignore
      const text = await dataRows(c, () => c.query(extended(ALL_TYPES, false)));
      const binary = await dataRows(c, () => c.query(extended(ALL_TYPES, true)));
      expect(binary.length).toBe(4);
      expect([binary[0][0], text[0][0]]).toEqual(['00000001', Buffer.from('1').toString('hex')]); // int4 1: four bytes, and '1'

      // The same values in PostgreSQL, loaded from the endpoint's text format.
      const columns = described.fields.map((f, i) => `${f.name} ${types[i]}`);
      await reference.query(`CREATE TABLE all_types (${columns.join(', ')})`);
      for (const row of text)
        await reference.query(
          `INSERT INTO all_types VALUES (${row.map((_, i) => `$${i + 1}::${types[i]}`).join(', ')})`,
          row.map(hex),
        );
      const select = `SELECT * FROM all_types ORDER BY id`;
      const expected = await dataRows(reference, () => reference.query(extended(select, true)));
      const byColumn = (rows: (string | null)[][]) =>
        described.fields.map((f, i) => [f.name, ...rows.map((r) => r[i])]);
      expect(byColumn(binary)).toEqual(byColumn(expected));

      // What pg makes of them in binary mode (its own parsers): the same from both servers.
      const fromStrata = await c.query({ text: ALL_TYPES, binary: true, queryMode: 'extended' } as pg.QueryConfig);
      const fromPostgres = await reference.query({
        text: select,
        binary: true,
        queryMode: 'extended',
      } as pg.QueryConfig);
      expect(fromStrata.rows).toEqual(fromPostgres.rows);
      expect(fromStrata.fields.map((f) => [f.dataTypeID, f.format])).toEqual(
        fromPostgres.fields.map((f) => [f.dataTypeID, f.format]),
      );
    } finally {
      await c.end();
    }
  });

  it('takes binary parameters made by PostgreSQL and selects the rows they match', async () => {
    const [bytes] = await postgres.query<Record<string, Buffer>>(
      `SELECT date_send('1999-12-31') AS d, timestamptz_send('2024-01-02 03:04:05.123456+00') AS ts,
         timestamp_send('2024-01-02 03:04:05.123456') AS ntz, numeric_send(12.5) AS amount,
         int8send(9007199254740993) AS big, int4send(-42) AS i, int2send(-7::int2) AS s, float8send(-2.5) AS dbl,
         float4send(0.1) AS f, boolsend(true) AS ok, textsend('héllo ✓') AS str, byteasend('\\x00ff615c') AS bin,
         uuid_send('6ba7b810-9dad-11d1-80b4-00c04fd430c8') AS u, numeric_send(-0.0001) AS tiny,
         date_send('0001-01-01') AS old, timestamp_send('2262-04-11 23:47:16.854775') AS late`,
    );
    const c = strata();
    await c.connect();
    try {
      // pg sends a Buffer in binary; the types of the parameters go in Parse (pg reads `types` as both).
      const typed = (oids: number[]) => Object.assign([...oids], pg.types) as unknown as pg.CustomTypesConfig;
      const match = await c.query({
        text: `SELECT id FROM gold.types WHERE d = $1 AND ts = $2 AND ntz = $3 AND amount = $4 AND big = $5 AND i = $6
                 AND s = $7 AND dbl = $8 AND f = $9 AND ok = $10 AND str = $11 AND bin = $12::BLOB`,
        values: [bytes.d, bytes.ts, bytes.ntz, bytes.amount, bytes.big, bytes.i, bytes.s, bytes.dbl, bytes.f, bytes.ok, bytes.str, bytes.bin],
        types: typed([1082, 1184, 1114, 1700, 20, 23, 21, 701, 700, 16, 25, 17]),
      }); // prettier-ignore
      expect(match.rows).toEqual([{ id: 1 }]);
      const second = await c.query({
        text: 'SELECT id FROM gold.types WHERE d = $1 AND ntz = $2 AND amount = $3',
        values: [bytes.old, bytes.late, bytes.tiny],
        types: typed([1082, 1114, 1700]),
      });
      expect(second.rows).toEqual([{ id: 2 }]);
      const echoed = await c.query({
        text: 'SELECT $1::UUID AS u, $2 AS untyped, $3::DOUBLE AS f',
        values: [bytes.u, Buffer.from('plain text'), bytes.f],
        types: typed([2950, 0, 700]),
      });
      expect(echoed.rows).toEqual([{ u: '6ba7b810-9dad-11d1-80b4-00c04fd430c8', untyped: 'plain text', f: 0.1 }]);

      // A type it cannot read in binary, and bytes of the wrong size; the connection goes on.
      await expect(
        c.query({ text: 'SELECT $1 AS p', values: [Buffer.from([0, 1])], types: typed([600]) }),
      ).rejects.toMatchObject({ code: '0A000', message: expect.stringMatching(/type OID 600 is not supported/) });
      await expect(
        c.query({ text: 'SELECT $1 AS n', values: [Buffer.from([0, 0, 42])], types: typed([23]) }),
      ).rejects.toMatchObject({ code: '22P03' });
      expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await c.end();
    }
  });
});

const PYTHON = '/usr/bin/python3';
/** Why asyncpg cannot run here (Debian's python3-asyncpg, for the system's Python), or undefined. */
function asyncpgMissing(): string | undefined {
  try {
    execFileSync(PYTHON, ['-c', 'import asyncpg'], { stdio: 'pipe' });
    return undefined;
  } catch {
    return `asyncpg is not installed for ${PYTHON} (apt-get install python3-asyncpg)`;
  }
}
const noAsyncpg = asyncpgMissing();

describe.skipIf(noAsyncpg)(`asyncpg (binary only) ${skipNote(noAsyncpg)}`, () => {
  it('fetches the gold table with its values, with a parameter', async () => {
    const script = `
import asyncio, json, sys
import asyncpg

def plain(v):
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2**53: return "int:" + str(v)
    if v is None or isinstance(v, (bool, int, str)): return v
    if isinstance(v, float): return repr(v)
    if isinstance(v, bytes): return "bytes:" + v.hex()
    return type(v).__name__ + ":" + str(v)

async def main():
    c = await asyncpg.connect(host="127.0.0.1", port=int(sys.argv[1]), user="analyst", password=sys.argv[2], database="lake")
    try:
        rows = await c.fetch(sys.argv[3])
        one = await c.fetch("SELECT id, str FROM gold.types WHERE str = $1", "héllo ✓")
        print(json.dumps({"rows": [[plain(v) for v in r.values()] for r in rows], "one": [list(r.values()) for r in one]}))
    finally:
        await c.close()

asyncio.run(main())
`;
    const sql = `SELECT id, d, ts, ntz, amount, big, i, s, dbl, f, ok, str, bin, arr, st,
        CASE id WHEN 1 THEN INTERVAL '1 year 2 months 3 days 04:05:06.789' END AS iv,
        CASE id WHEN 1 THEN TIME '12:34:56.789012' END AS t,
        CASE id WHEN 1 THEN '6ba7b810-9dad-11d1-80b4-00c04fd430c8'::UUID END AS u
      FROM gold.types WHERE id IN (1, 2, 4) ORDER BY id`;
    const { stdout } = await run(PYTHON, ['-c', script, String(server.port), PASSWORD, sql]);
    const out = JSON.parse(stdout) as { rows: unknown[][]; one: unknown[][] };
    expect(out.rows).toEqual([
      [
        1,
        'date:1999-12-31',
        'datetime:2024-01-02 03:04:05.123456+00:00',
        'datetime:2024-01-02 03:04:05.123456',
        'Decimal:12.5000',
        'int:9007199254740993',
        -42,
        -7,
        '-2.5',
        '0.10000000149011612',
        true,
        'héllo ✓',
        'bytes:00ff615c',
        '[1,2]',
        '{"a":1,"b":"x"}',
        'timedelta:428 days, 4:05:06.789000', // asyncpg: a month is 30 days
        'time:12:34:56.789012',
        'UUID:6ba7b810-9dad-11d1-80b4-00c04fd430c8',
      ],
      [
        2,
        'date:0001-01-01',
        'datetime:1900-01-01 00:00:00+00:00',
        'datetime:2262-04-11 23:47:16.854775',
        'Decimal:-0.0001',
        'int:-9223372036854775808',
        2147483647,
        32767,
        'nan',
        '-inf',
        false,
        '',
        'bytes:',
        '[]',
        '{"a":null,"b":"y"}',
        null,
        null,
        null,
      ],
      [4, ...Array(17).fill(null)],
    ]);
    expect(out.one).toEqual([[1, 'héllo ✓']]);
  });
});
