// The Postgres endpoint with the real clients BI tools and applications use: psycopg2, psycopg 3,
// asyncpg, SQLAlchemy + pandas, psqlODBC through pyodbc, pgcli, pgjdbc, Node's pg and postgres.js.
// Each client program (test/clients/) connects as a user of serve.pg.users, browses the catalog
// the way its API does (DatabaseMetaData, sqlalchemy.inspect, SQLTables/SQLColumns, \dt and \d,
// information_schema or pg_catalog queries) and runs gold queries with known values — parameters
// bound, prepared statements run again and again, a cursor read a few rows at a time — and prints
// what it got as JSON. The expected values are PostgreSQL 15's answers for the same table (each
// program was run against it), worked out by hand from the rows below. A client whose package is
// not installed is skipped, with the package named (.ci/run installs them all).
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPgServer, type RunningPgServer } from '../../src/pg/index.js';
import { useTestBed } from '../helpers/harness.js';
import { pgProject } from '../helpers/pg.js';

const bed = useTestBed('pg-clients');
let server: RunningPgServer;
const PASSWORD = 'c0rrect-horse';
const CLIENTS = fileURLToPath(new URL('../clients/', import.meta.url));
const PYTHON = '/usr/bin/python3'; // Debian's, where the python3-* packages are (not a pyenv one first on PATH)
const JDBC_JAR = '/usr/share/java/postgresql.jar';

beforeAll(async () => {
  const { project } = await pgProject(bed, 'shop', PASSWORD);
  await project.query(
    `CREATE TABLE gold.sales (day DATE, channel STRING, amount DECIMAL(10,2), units INT, ok BOOLEAN);
     INSERT INTO gold.sales VALUES (DATE'2024-01-01', 'online', 10.50, 2, true), (DATE'2024-01-02', 'retail', 4.25, 1, false),
       (DATE'2024-01-02', NULL, 1.00, 3, NULL), (DATE'2024-01-03', 'online', 7.75, 5, true), (DATE'2024-01-04', 'partner', 20.00, 4, false)`,
  );
  server = await startPgServer(project, { port: 0 });
});
afterAll(() => server?.close());

// ---- what every client should get (PostgreSQL 15's answers) ----

/** SELECT day, channel, amount, units, ok FROM gold.sales ORDER BY day, amount */
const ROWS = [
  ['2024-01-01', 'online', '10.50', 2, true],
  ['2024-01-02', null, '1.00', 3, null],
  ['2024-01-02', 'retail', '4.25', 1, false],
  ['2024-01-03', 'online', '7.75', 5, true],
  ['2024-01-04', 'partner', '20.00', 4, false],
];
/** SELECT day, amount, units ... WHERE channel = 'online' / 'retail' ORDER BY day */
const ONLINE = [
  ['2024-01-01', '10.50', 2],
  ['2024-01-03', '7.75', 5],
];
const RETAIL = [['2024-01-02', '4.25', 1]];
/** sum(amount), count(*): 10.50 + 4.25 + 1.00 + 7.75 + 20.00 over 5 rows */
const TOTALS = ['43.50', 5];
/** count(*), sum(amount) WHERE day >= 2024-01-02 AND units > 2: 1.00 + 7.75 + 20.00 */
const FILTERED = [3, '28.75'];
/** information_schema.columns (column_name, data_type) of gold.sales */
const INFORMATION_SCHEMA_COLUMNS = [
  ['day', 'date'],
  ['channel', 'text'],
  ['amount', 'numeric'],
  ['units', 'integer'],
  ['ok', 'boolean'],
];

// ---- running the client programs ----

type Report = Record<string, unknown> & { client: string };

/** Whether a command runs (exit status 0). */
function runs(command: string, args: string[]): boolean {
  try {
    return spawnSync(command, args, { stdio: 'ignore', timeout: 30_000 }).status === 0;
  } catch {
    return false;
  }
}
const pythonHas = (modules: string) => runs(PYTHON, ['-c', `import ${modules}`]);

/** The name of a describe block: the client, or why it is skipped. */
const titled = (client: string, present: boolean, packages: string) =>
  present ? client : `${client} (skipped: not installed — Debian packages ${packages}; .ci/run installs them)`;

/**
 * Runs a client program against the endpoint once, before the tests of its block, and hands
 * back its JSON report (the steps that failed hold { error }).
 */
function useClient(command: string, args: string[]): { report: Report } {
  const held = {} as { report: Report };
  beforeAll(async () => {
    const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number }>((resolve) => {
      execFile(
        command,
        args,
        {
          cwd: CLIENTS,
          timeout: 180_000,
          maxBuffer: 16 * 1024 * 1024,
          env: {
            ...process.env,
            PGHOST: '127.0.0.1',
            PGPORT: String(server.port),
            PGUSER: 'analyst',
            PGPASSWORD: PASSWORD,
            PGDATABASE: 'lake',
            TZ: 'UTC',
            PYTHONDONTWRITEBYTECODE: '1',
          },
        },
        (err, stdout, stderr) => resolve({ stdout, stderr, code: err ? ((err as { code?: number }).code ?? 1) : 0 }),
      );
    });
    try {
      held.report = JSON.parse(stdout) as Report;
    } catch {
      throw new Error(`${command} ${args.join(' ')} exited with ${code} and no JSON report:\n${stderr}\n${stdout}`);
    }
  }, 200_000);
  return held;
}

/** A step's value; a step that failed fails the test with the client's own error message. */
function step(report: Report, name: string): unknown {
  const value = report[name];
  if (value && typeof value === 'object' && 'error' in value)
    throw new Error(`${report.client}, ${name}: ${(value as { error: string }).error}`);
  return value;
}

const python = (program: string) => useClient(PYTHON, ['-B', program]);

// ---- Python ----

const hasPsycopg2 = pythonHas('psycopg2');
describe.skipIf(!hasPsycopg2)(titled('psycopg2', hasPsycopg2, 'python3-psycopg2'), () => {
  const c = python('psycopg2-client.py');

  it('browses the catalog through information_schema: the gold schema, its sales table, the columns with their types', () => {
    const catalog = step(c.report, 'catalog') as { schemas: string[]; tables: string[]; columns: unknown };
    expect(catalog.schemas).toContain('gold');
    expect(catalog.tables).toContain('sales');
    expect(catalog.columns).toEqual(INFORMATION_SCHEMA_COLUMNS);
  });

  it('reads the gold rows as dates, decimals, ints and booleans, NULLs as None', () => {
    expect(step(c.report, 'rows')).toEqual({
      rows: ROWS,
      types: ['date', 'str', 'Decimal', 'int', 'bool'],
      columns: [
        ['day', 1082],
        ['channel', 25],
        ['amount', 1700],
        ['units', 23],
        ['ok', 16],
      ],
    });
    expect(step(c.report, 'totals')).toEqual(TOTALS);
  });

  it('runs queries with parameters (put in client-side): a string, a date and an int', () => {
    expect(step(c.report, 'byChannel')).toEqual(ONLINE);
    expect(step(c.report, 'filtered')).toEqual(FILTERED);
  });
});

const hasPsycopg = pythonHas('psycopg');
describe.skipIf(!hasPsycopg)(titled('psycopg 3', hasPsycopg, 'python3-psycopg'), () => {
  const c = python('psycopg-client.py');

  it('browses the catalog through pg_catalog: pg_namespace, pg_class, pg_attribute with format_type and ::regclass', () => {
    const catalog = step(c.report, 'catalog') as { schemas: string[]; tables: string[]; columns: unknown };
    expect(catalog.schemas).toContain('gold');
    expect(catalog.tables).toContain('sales');
    expect(catalog.columns).toEqual([
      ['day', 'date'],
      ['channel', 'text'],
      ['amount', 'numeric(10,2)'],
      ['units', 'integer'],
      ['ok', 'boolean'],
    ]);
  });

  it('reads the gold rows as dates, decimals, ints and booleans, NULLs as None', () => {
    expect(step(c.report, 'rows')).toEqual({
      rows: ROWS,
      types: ['date', 'str', 'Decimal', 'int', 'bool'],
      columns: [
        ['day', 1082],
        ['channel', 25],
        ['amount', 1700],
        ['units', 23],
        ['ok', 16],
      ],
    });
    expect(step(c.report, 'totals')).toEqual(TOTALS);
  });

  it('binds parameters server-side, in an unnamed statement and in a prepared one (prepare=True) bound twice', () => {
    expect(step(c.report, 'byChannel')).toEqual({ unnamed: ONLINE, prepared: [ONLINE, RETAIL] });
  });

  it('binds a date and an int (psycopg sends them in binary format)', () => {
    expect(step(c.report, 'filtered')).toEqual(FILTERED);
  });

  it('reads results in binary format (a cursor with binary=True)', () => {
    expect(step(c.report, 'binaryRows')).toEqual({ rows: ROWS, types: ['date', 'str', 'Decimal', 'int', 'bool'] });
  });
});

const hasAsyncpg = pythonHas('asyncpg');
describe.skipIf(!hasAsyncpg)(titled('asyncpg', hasAsyncpg, 'python3-asyncpg'), () => {
  const c = python('asyncpg-client.py');

  it('reads information_schema.columns for gold.sales (parameters and results in binary format)', () => {
    expect(step(c.report, 'catalog')).toEqual({ columns: INFORMATION_SCHEMA_COLUMNS });
  });

  it('reads the gold rows in binary format as dates, decimals, ints and booleans', () => {
    expect(step(c.report, 'rows')).toEqual({ rows: ROWS, types: ['date', 'str', 'Decimal', 'int', 'bool'] });
    expect(step(c.report, 'totals')).toEqual(TOTALS);
  });

  it('binds parameters of the types the server describes: a prepared statement run twice, a date and an int', () => {
    expect(step(c.report, 'byChannel')).toEqual([ONLINE, RETAIL]);
    expect(step(c.report, 'filtered')).toEqual(FILTERED);
  });
});

const hasSqlalchemy = pythonHas('sqlalchemy, pandas, psycopg2');
describe.skipIf(!hasSqlalchemy)(
  titled('SQLAlchemy 1.4 and pandas', hasSqlalchemy, 'python3-sqlalchemy python3-pandas python3-psycopg2'),
  () => {
    const c = python('sqlalchemy-client.py');
    /** pandas makes floats of the decimals (read_sql's coerce_float). */
    const FRAME_ROWS = ROWS.map(([day, channel, amount, units, ok]) => [day, channel, Number(amount), units, ok]);

    it('browses the catalog with sqlalchemy.inspect: schema names, table names, columns with their types', () => {
      const catalog = step(c.report, 'catalog') as { schemas: string[]; tables: string[]; columns: unknown };
      expect(catalog.schemas).toContain('gold');
      expect(catalog.tables).toContain('sales');
      expect(catalog.columns).toEqual([
        ['day', 'DATE', true],
        ['channel', 'TEXT', true],
        ['amount', 'NUMERIC(10, 2)', true],
        ['units', 'INTEGER', true],
        ['ok', 'BOOLEAN', true],
      ]);
    });

    it('reads the gold rows into DataFrames with pandas.read_sql, and a table with read_sql_table', () => {
      const frame = {
        columns: ['day', 'channel', 'amount', 'units', 'ok'],
        dtypes: ['object', 'object', 'float64', 'int64', 'object'],
        rows: FRAME_ROWS,
      };
      expect(step(c.report, 'rows')).toEqual(frame);
      expect(step(c.report, 'totals')).toEqual({
        columns: ['revenue', 'lines'],
        dtypes: ['float64', 'int64'],
        rows: [[43.5, 5]],
      });
      expect(step(c.report, 'table')).toEqual(frame);
    });

    it('runs a query with a bound parameter (sqlalchemy.text with :channel)', () => {
      expect(step(c.report, 'byChannel')).toEqual({
        columns: ['day', 'amount', 'units'],
        dtypes: ['object', 'float64', 'int64'],
        rows: [
          ['2024-01-01', 10.5, 2],
          ['2024-01-03', 7.75, 5],
        ],
      });
    });
  },
);

const hasOdbc = runs(PYTHON, ['-c', "import pyodbc, sys; sys.exit('PostgreSQL Unicode' not in pyodbc.drivers())"]);
describe.skipIf(!hasOdbc)(titled('psqlODBC through pyodbc', hasOdbc, 'odbc-postgresql unixodbc python3-pyodbc'), () => {
  const c = python('pyodbc-client.py');

  it('browses the catalog with SQLTables and SQLColumns', () => {
    expect(step(c.report, 'catalog')).toEqual({
      tables: [['gold', 'sales', 'TABLE']],
      columns: [
        ['day', 'date'],
        ['channel', 'text'],
        ['amount', 'numeric'],
        ['units', 'int4'],
        ['ok', 'bool'],
      ],
    });
  });

  it('reads the gold rows (psqlODBC gives booleans as the characters 1 and 0, as its BoolsAsChar default says)', () => {
    expect(step(c.report, 'rows')).toEqual({
      rows: ROWS.map((r) => [...r.slice(0, 4), r[4] === null ? null : r[4] ? '1' : '0']),
      types: ['date', 'str', 'Decimal', 'int', 'str'],
    });
    expect(step(c.report, 'totals')).toEqual(TOTALS);
  });

  it('runs statements with ? parameters: a string (one statement bound twice), a date and an int', () => {
    expect(step(c.report, 'byChannel')).toEqual([ONLINE, RETAIL]);
    expect(step(c.report, 'filtered')).toEqual(FILTERED);
  });
});

const hasPgcli = runs('pgcli', ['--version']);
describe.skipIf(!hasPgcli)(titled('pgcli', hasPgcli, 'pgcli'), () => {
  const c = python('pgcli-client.py');
  const text = (r: unknown[]) =>
    r.map((v) => (v === null ? '<null>' : v === true ? 'True' : v === false ? 'False' : String(v)));

  it('lists the gold tables with \\dt gold.*', () => {
    const tables = step(c.report, 'tables') as string[][];
    // Schema, Name, Type (not the Owner: PostgreSQL's is the role that made the table)
    expect(tables.map((r) => r.slice(0, 3))).toEqual([
      ['Schema', 'Name', 'Type'],
      ['gold', 'sales', 'table'],
    ]);
  });

  it('describes gold.sales with \\d', () => {
    expect(step(c.report, 'columns')).toEqual([
      ['Column', 'Type', 'Modifiers'],
      ['day', 'date', ''],
      ['channel', 'text', ''],
      ['amount', 'numeric(10,2)', ''],
      ['units', 'integer', ''],
      ['ok', 'boolean', ''],
    ]);
  });

  it('runs queries and shows their rows', () => {
    expect(step(c.report, 'rows')).toEqual([['day', 'channel', 'amount', 'units', 'ok'], ...ROWS.map(text)]);
    expect(step(c.report, 'totals')).toEqual([
      ['revenue', 'lines'],
      ['43.50', '5'],
    ]);
  });
});

// ---- the JVM ----

const hasJdbc = existsSync(JDBC_JAR) && runs('java', ['-version']);
describe.skipIf(!hasJdbc)(titled('pgjdbc', hasJdbc, 'libpostgresql-jdbc-java default-jre-headless'), () => {
  const c = useClient('java', ['-cp', JDBC_JAR, 'JdbcClient.java']);

  it('browses the catalog with DatabaseMetaData: getSchemas, getTables, getColumns', () => {
    expect(step(c.report, 'schemas')).toContain('gold');
    expect(step(c.report, 'tables')).toEqual([['gold', 'sales', 'TABLE']]);
    // COLUMN_NAME, TYPE_NAME, DATA_TYPE (java.sql.Types), COLUMN_SIZE, DECIMAL_DIGITS
    expect(step(c.report, 'columns')).toEqual([
      ['day', 'date', 91, 13, 0],
      ['channel', 'text', 12, 2147483647, 0],
      ['amount', 'numeric', 2, 10, 2],
      ['units', 'int4', 4, 10, 0],
      ['ok', 'bool', -7, 1, 0],
    ]);
  });

  it('reads the gold rows as java.sql.Date, String, BigDecimal, Integer and Boolean', () => {
    expect(step(c.report, 'rows')).toEqual({
      types: [
        'date java.sql.Date',
        'text java.lang.String',
        'numeric java.math.BigDecimal',
        'int4 java.lang.Integer',
        'bool java.lang.Boolean',
      ],
      rows: ROWS,
    });
    expect(step(c.report, 'totals')).toEqual(TOTALS);
  });

  it('runs one PreparedStatement 7 times: past prepareThreshold (5) as a named statement with binary results', () => {
    expect(step(c.report, 'byChannel')).toEqual([ONLINE, RETAIL, ONLINE, RETAIL, ONLINE, RETAIL, ONLINE]);
  });

  it('binds setDate and setInt parameters', () => {
    expect(step(c.report, 'filtered')).toEqual(FILTERED);
  });

  it('reads through a cursor 2 rows at a time (autocommit off, setFetchSize(2): a named portal, Execute with a row limit)', () => {
    expect(step(c.report, 'cursor')).toEqual(ROWS);
  });
});

// ---- Node ----

describe("Node's pg", () => {
  const c = useClient(process.execPath, ['node-pg-client.mjs']);

  it('browses the catalog through information_schema: the gold schema, its sales table, the columns with their types', () => {
    const catalog = step(c.report, 'catalog') as { schemas: string[]; tables: string[]; columns: unknown };
    expect(catalog.schemas).toContain('gold');
    expect(catalog.tables).toContain('sales');
    expect(catalog.columns).toEqual(INFORMATION_SCHEMA_COLUMNS);
  });

  it('reads the gold rows, runs a named statement twice and binds a date and an int', () => {
    expect(step(c.report, 'rows')).toEqual({
      rows: ROWS,
      types: ['Date', 'string', 'string', 'number', 'boolean'],
      oids: [1082, 25, 1700, 23, 16],
    });
    expect(step(c.report, 'totals')).toEqual(['43.50', '5']); // pg gives an int8 as a string
    expect(step(c.report, 'byChannel')).toEqual([ONLINE, RETAIL]);
    expect(step(c.report, 'filtered')).toEqual(['3', '28.75']);
  });
});

describe('postgres.js', () => {
  const c = useClient(process.execPath, ['postgresjs-client.mjs']);

  it('reads information_schema.columns for gold.sales', () => {
    expect(step(c.report, 'catalog')).toEqual({ columns: INFORMATION_SCHEMA_COLUMNS });
  });

  it('reads the gold rows, runs a tagged-template statement twice and binds a Date and a number', () => {
    expect(step(c.report, 'rows')).toEqual({ rows: ROWS, types: ['Date', 'string', 'string', 'number', 'boolean'] });
    expect(step(c.report, 'totals')).toEqual(['43.50', '5']);
    expect(step(c.report, 'byChannel')).toEqual([ONLINE, RETAIL, ONLINE]);
    expect(step(c.report, 'filtered')).toEqual(['3', '28.75']);
  });
});
