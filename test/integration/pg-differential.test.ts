// The Postgres endpoint against the real PostgreSQL 15 (test/helpers/local-postgres.ts): the same
// catalog and type queries sent by Node's pg to both, over the same table — gold.fact_sales made
// by Strata from Spark SQL types, and by PostgreSQL from the types the endpoint maps them to —
// with the same owner (`strata`, OID 10 on both), reader (`analyst`, read-only, SELECT granted),
// database (`lake`), comments and one row. Each query runs in the simple and the extended
// protocol; the column names must be equal, the column types (RowDescription's type OIDs) equal
// or different only as TYPE_DIFFERENCES allows, and the values equal as text, except columns
// holding OIDs of user objects (made differently on each side) and the few a query names as
// values that cannot be the same (sizes, version strings). Queries that differ today for a reason
// to fix in src/pg are in DIFFERS_TODAY, skipped: move one to QUERIES when it is fixed.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPgServer, type RunningPgServer } from '../../src/pg/index.js';
import { chunkTextRows } from '../../src/pg/text-rows.js';
import { pgTypeOf } from '../../src/pg/types.js';
import { zoneOf } from '../../src/pg/zone.js';
import type { Project } from '../../src/project/index.js';
import { useTestBed } from '../helpers/harness.js';
import { pgClient, pgProject } from '../helpers/pg.js';
import { localPostgresMissing, skipNote, startLocalPostgres, type LocalPostgres } from '../helpers/local-postgres.js';

/**
 * The type differences allowed between PostgreSQL's RowDescription and the endpoint's: the
 * engine has one string type (DuckDB's VARCHAR), which the endpoint sends as `text`. The values
 * are still compared (the same text); a client reads each of these types as a string.
 */
const TYPE_DIFFERENCES: { postgres: number; endpoint: number; type: string; reason: string }[] = [
  {
    postgres: 19,
    endpoint: 25,
    type: 'name',
    reason: "catalog identifiers (relname, nspname, ...) are VARCHAR in the endpoint's catalog; no name type",
  },
  {
    postgres: 18,
    endpoint: 25,
    type: '"char"',
    reason: 'one-letter codes (relkind, typtype, ...) are VARCHAR in the endpoint; no one-byte char type',
  },
  {
    postgres: 1043,
    endpoint: 25,
    type: 'varchar',
    reason:
      "information_schema's character_data, sql_identifier and yes_or_no domains (sent as their base types) are VARCHAR",
  },
  ...(
    [
      [2205, 'regclass'],
      [2206, 'regtype'],
      [24, 'regproc'],
      [4089, 'regnamespace'],
      [4096, 'regrole'],
    ] as const
  ).map(([postgres, type]) => ({
    postgres,
    endpoint: 25,
    type,
    reason: `a ${type} value shown as a SELECT item is sent as its name in text (the engine has no reg types)`,
  })),
  {
    postgres: 194,
    endpoint: 25,
    type: 'pg_node_tree',
    reason:
      'stored expression trees (typdefaultbin, adbin, ...) are VARCHAR columns, NULL in the endpoint: the lake has none',
  },
];

/** The same schema on both sides: Spark SQL types for Strata, their mapped types for PostgreSQL. */
const STRATA_TABLE = `CREATE TABLE gold.fact_sales (
    day DATE NOT NULL, channel STRING COMMENT 'sales channel', amount DECIMAL(10,2) COMMENT 'net amount', units INT,
    big BIGINT, ok BOOLEAN, at TIMESTAMP, local_at TIMESTAMP_NTZ, ratio DOUBLE, score FLOAT, small SMALLINT,
    payload BINARY, tags ARRAY<STRING>) COMMENT 'one row per order line';
  INSERT INTO gold.fact_sales VALUES (DATE'2024-01-01', 'online', 10.50, 2, 3000000000, true,
    TIMESTAMP'2024-01-01 10:00:00', CAST('2024-01-01 10:00:00' AS TIMESTAMP_NTZ), 0.5, 0.25, 7, unhex('00FF'), array('a', 'b'))`;
const POSTGRES_TABLE = `CREATE SCHEMA gold;
  CREATE TABLE gold.fact_sales (
    day date NOT NULL, channel text, amount numeric(10,2), units integer, big bigint, ok boolean,
    at timestamp with time zone, local_at timestamp without time zone, ratio double precision, score real,
    small smallint, payload bytea, tags json);
  COMMENT ON TABLE gold.fact_sales IS 'one row per order line';
  COMMENT ON COLUMN gold.fact_sales.channel IS 'sales channel';
  COMMENT ON COLUMN gold.fact_sales.amount IS 'net amount';
  INSERT INTO gold.fact_sales VALUES ('2024-01-01', 'online', 10.50, 2, 3000000000, true,
    '2024-01-01 10:00:00+00', '2024-01-01 10:00:00', 0.5, 0.25, 7, '\\x00ff', '["a","b"]');
  GRANT USAGE ON SCHEMA gold TO analyst;
  GRANT SELECT ON gold.fact_sales TO analyst`;

/** What differs per side in a query's text: the OID of gold.fact_sales (psql sends it as a literal). */
interface Side {
  oid: string;
}

interface DiffQuery {
  name: string;
  sql: string | ((side: Side) => string);
  /** Columns holding OIDs of user objects (or values made from them): names and types compared, values not. */
  oids?: string[];
  /** Columns whose values differ by nature (a size, a build string): each side's value must match. */
  shapes?: Record<string, RegExp>;
  /** The query has no ORDER BY: rows compared as sorted. */
  unordered?: boolean;
}

const BUILTIN_TYPES = `'bool', 'bytea', 'char', 'name', 'int8', 'int2', 'int4', 'text', 'oid', 'json', 'float4', 'float8',
  'varchar', 'date', 'time', 'timestamp', 'timestamptz', 'interval', 'numeric', 'uuid', '_int4', '_text', '_numeric'`;

const QUERIES: DiffQuery[] = [
  // psql 15's \d gold.fact_sales, \dt, \dt+ and \dT, as psql -E prints them (the rest of \d and \d+ is in
  // DIFFERS_TODAY).
  {
    name: 'psql \\d: the table by its name',
    sql: `SELECT c.oid,
  n.nspname,
  c.relname
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relname OPERATOR(pg_catalog.~) '^(fact_sales)$' COLLATE pg_catalog.default
  AND n.nspname OPERATOR(pg_catalog.~) '^(gold)$' COLLATE pg_catalog.default
ORDER BY 2, 3;`,
    oids: ['oid'],
  },
  {
    name: 'psql \\dt gold.*',
    sql: `SELECT n.nspname as "Schema",
  c.relname as "Name",
  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END as "Type",
  pg_catalog.pg_get_userbyid(c.relowner) as "Owner"
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
WHERE c.relkind IN ('r','p','t','s','')
  AND n.nspname OPERATOR(pg_catalog.~) '^(gold)$' COLLATE pg_catalog.default
ORDER BY 1,2;`,
  },
  {
    name: 'psql \\dt+ gold.*',
    sql: `SELECT n.nspname as "Schema",
  c.relname as "Name",
  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END as "Type",
  pg_catalog.pg_get_userbyid(c.relowner) as "Owner",
  CASE c.relpersistence WHEN 'p' THEN 'permanent' WHEN 't' THEN 'temporary' WHEN 'u' THEN 'unlogged' END as "Persistence",
  am.amname as "Access method",
  pg_catalog.pg_size_pretty(pg_catalog.pg_table_size(c.oid)) as "Size",
  pg_catalog.obj_description(c.oid, 'pg_class') as "Description"
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
WHERE c.relkind IN ('r','p','t','s','')
  AND n.nspname OPERATOR(pg_catalog.~) '^(gold)$' COLLATE pg_catalog.default
ORDER BY 1,2;`,
    // PostgreSQL's heap pages against the Delta table's Parquet files.
    shapes: { Size: /^\d+ (bytes|kB)$/ },
  },
  {
    name: 'psql \\dT: no user types',
    sql: `SELECT n.nspname as "Schema",
  pg_catalog.format_type(t.oid, NULL) AS "Name",
  pg_catalog.obj_description(t.oid, 'pg_type') as "Description"
FROM pg_catalog.pg_type t
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE (t.typrelid = 0 OR (SELECT c.relkind = 'c' FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid))
  AND NOT EXISTS(SELECT 1 FROM pg_catalog.pg_type el WHERE el.oid = t.typelem AND el.typarray = t.oid)
      AND n.nspname <> 'pg_catalog'
      AND n.nspname <> 'information_schema'
  AND pg_catalog.pg_type_is_visible(t.oid)
ORDER BY 1, 2;`,
  },

  // information_schema
  {
    name: 'information_schema.columns, names, types and nullability',
    sql: `SELECT table_catalog, table_schema, table_name, column_name, ordinal_position, column_default, is_nullable,
      data_type, numeric_precision, numeric_precision_radix, numeric_scale, datetime_precision, udt_catalog, udt_schema,
      udt_name, is_identity, is_generated
    FROM information_schema.columns WHERE table_schema = 'gold' AND table_name = 'fact_sales' ORDER BY ordinal_position`,
  },
  {
    name: 'information_schema.tables, what BI tools read',
    sql: `SELECT table_catalog, table_schema, table_name, table_type FROM information_schema.tables WHERE table_schema = 'gold'`,
  },
  {
    name: 'information_schema.schemata',
    sql: `SELECT * FROM information_schema.schemata WHERE schema_name = 'gold'`,
  },

  // pg_attribute with format_type
  {
    name: 'pg_attribute joined to pg_class and pg_namespace, with format_type and col_description',
    sql: `SELECT a.attname, a.attnum, a.atttypid, a.atttypmod, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
      a.attnotnull, a.attlen, a.attbyval, a.attalign, a.attstorage, a.attndims, a.attisdropped, a.atthasdef,
      a.attidentity, a.attgenerated, col_description(a.attrelid, a.attnum) AS comment
    FROM pg_catalog.pg_attribute a
    JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'gold' AND c.relname = 'fact_sales' AND a.attnum > 0 ORDER BY a.attnum`,
  },
  {
    name: 'format_type of built-in types with typmods',
    sql: `SELECT format_type(23, NULL) AS int4, format_type(1700, 655366) AS numeric_10_2, format_type(1700, -1) AS numeric,
      format_type(1043, 14) AS varchar_10, format_type(1042, 5) AS bpchar_1, format_type(1114, 3) AS ts3,
      format_type(1184, -1) AS tstz, format_type(16, -1) AS bool, format_type(25, -1) AS text,
      format_type(1082, -1) AS date, format_type(700, -1) AS float4, format_type(701, -1) AS float8,
      format_type(21, -1) AS int2, format_type(20, -1) AS int8, format_type(17, -1) AS bytea, format_type(114, -1) AS json,
      format_type(18, -1) AS char, format_type(19, -1) AS name, format_type(1009, -1) AS text_array,
      format_type(1007, -1) AS int4_array, format_type(999999, -1) AS unknown`,
  },

  // pg_type
  {
    name: 'pg_type of the built-in types by name, with their I/O functions joined by name',
    sql: `SELECT t.oid, t.typname, n.nspname, t.typlen, t.typbyval, t.typtype, t.typcategory, t.typispreferred, t.typdelim,
      t.typrelid, t.typelem, t.typarray, t.typalign, t.typstorage, t.typnotnull, t.typbasetype, t.typtypmod, t.typndims,
      t.typcollation, i.proname AS input, o.proname AS output, r.proname AS receive, s.proname AS send
    FROM pg_catalog.pg_type t
    JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
    JOIN pg_catalog.pg_proc i ON i.oid = t.typinput
    JOIN pg_catalog.pg_proc o ON o.oid = t.typoutput
    LEFT JOIN pg_catalog.pg_proc r ON r.oid = t.typreceive
    LEFT JOIN pg_catalog.pg_proc s ON s.oid = t.typsend
    WHERE t.typname IN (${BUILTIN_TYPES}) ORDER BY t.oid`,
  },
  {
    name: 'pg_type by = ANY(array) (what Npgsql and pgjdbc look up)',
    sql: `SELECT oid, typname, typtype, typelem, typarray FROM pg_type WHERE typname = ANY(ARRAY['int4', 'numeric', 'timestamptz', '_text']) ORDER BY oid`,
  },
  {
    name: 'type names through regtype',
    sql: `SELECT 'int4'::regtype::oid AS int4, 'integer'::regtype::oid AS integer, 'numeric'::regtype::oid AS numeric,
      'timestamptz'::regtype::oid AS timestamptz, 'character varying'::regtype::oid AS varchar,
      'double precision'::regtype::oid AS float8, 'pg_catalog.text'::regtype::oid AS text,
      23::regtype::text AS name_23, 1184::regtype::text AS name_1184, to_regtype('bigint')::oid AS bigint,
      to_regtype('no_such_type') IS NULL AS no_type`,
  },

  // pg_class and pg_namespace
  {
    name: 'pg_class joined to pg_namespace: the table',
    sql: `SELECT n.nspname, c.relname, c.relkind, pg_get_userbyid(c.relowner) AS owner, c.relnatts, c.relchecks,
      c.relhasindex, c.relhasrules, c.relhastriggers, c.relhassubclass, c.relrowsecurity, c.relpersistence,
      c.relispartition, c.relisshared, c.reloftype, c.relam = (SELECT oid FROM pg_am WHERE amname = 'heap') AS heap,
      obj_description(c.oid, 'pg_class') AS comment, c.oid = 'gold.fact_sales'::regclass AS same
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'gold' AND c.relkind IN ('r', 'v', 'm', 'p', 'f') ORDER BY c.relname`,
  },
  {
    name: "pg_class joined to pg_namespace: PostgreSQL's own relations with their OIDs",
    sql: `SELECT c.oid, n.nspname, c.relname, c.relkind, c.relnatts, n.oid AS nspoid
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE (n.nspname = 'pg_catalog' AND c.relname IN ('pg_class', 'pg_type', 'pg_attribute', 'pg_namespace', 'pg_proc',
      'pg_description', 'pg_database', 'pg_roles', 'pg_settings', 'pg_tables'))
      OR (n.nspname = 'information_schema' AND c.relname IN ('columns', 'tables', 'schemata'))
    ORDER BY n.nspname, c.relname`,
  },
  {
    name: 'pg_namespace',
    sql: `SELECT n.nspname, pg_get_userbyid(n.nspowner) AS owner, n.oid < 16384 AS builtin
    FROM pg_catalog.pg_namespace n WHERE n.nspname IN ('pg_catalog', 'information_schema', 'gold') ORDER BY 1`,
  },
  {
    name: 'pg_tables',
    sql: `SELECT schemaname, tablename, tableowner, tablespace, hasindexes, hasrules, hastriggers, rowsecurity
    FROM pg_catalog.pg_tables WHERE schemaname = 'gold'`,
  },
  {
    name: 'regclass lookups compared as OIDs',
    sql: `SELECT to_regclass('gold.fact_sales') IS NOT NULL AS found, to_regclass('gold.nope') IS NULL AS not_found,
      'pg_class'::regclass::oid AS pg_class,
      'gold.fact_sales'::regclass::oid = (SELECT c.oid FROM pg_class c WHERE c.relname = 'fact_sales') AS same`,
  },

  // privileges
  {
    name: 'has_table_privilege and friends',
    sql: `SELECT has_table_privilege('gold.fact_sales', 'SELECT') AS can_select,
      has_table_privilege('gold.fact_sales', 'INSERT') AS can_insert,
      has_table_privilege('gold.fact_sales', 'UPDATE, DELETE') AS can_change,
      has_table_privilege('analyst', 'gold.fact_sales', 'SELECT') AS analyst_select,
      has_schema_privilege('gold', 'USAGE') AS gold_usage, has_schema_privilege('gold', 'CREATE') AS gold_create,
      has_database_privilege('lake', 'CONNECT') AS db_connect, has_database_privilege('lake', 'CREATE') AS db_create`,
  },

  // comments
  {
    name: 'obj_description and col_description',
    sql: `SELECT obj_description('gold.fact_sales'::regclass, 'pg_class') AS table_comment,
      obj_description('gold.fact_sales'::regclass) AS table_comment_1,
      col_description('gold.fact_sales'::regclass, 1) AS day, col_description('gold.fact_sales'::regclass, 2) AS channel,
      col_description('gold.fact_sales'::regclass, 3) AS amount, col_description('gold.fact_sales'::regclass, 99) AS none`,
  },
  {
    name: 'pg_description joined to pg_class',
    sql: `SELECT c.relname, d.objsubid, d.description, d.classoid = 'pg_class'::regclass AS on_class
    FROM pg_catalog.pg_description d JOIN pg_catalog.pg_class c ON c.oid = d.objoid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'gold' ORDER BY d.objsubid`,
  },

  // session values and settings
  {
    name: 'current_setting of common settings',
    sql: `SELECT current_setting('server_version_num') AS server_version_num, current_setting('server_encoding') AS server_encoding,
      current_setting('client_encoding') AS client_encoding, current_setting('DateStyle') AS datestyle,
      current_setting('TimeZone') AS timezone, current_setting('integer_datetimes') AS integer_datetimes,
      current_setting('standard_conforming_strings') AS standard_conforming_strings,
      current_setting('max_identifier_length') AS max_identifier_length,
      current_setting('default_transaction_read_only') AS default_transaction_read_only,
      current_setting('max_connections') AS max_connections`,
  },
  {
    name: 'current_setting of settings clients read on connect',
    sql: `SELECT current_setting('search_path') AS search_path,
      current_setting('IntervalStyle') AS intervalstyle, current_setting('application_name') AS application_name,
      current_setting('lc_collate') AS lc_collate, current_setting('is_superuser') AS is_superuser`,
  },
  {
    name: 'pg_settings of common settings',
    sql: `SELECT name, setting FROM pg_catalog.pg_settings WHERE name IN ('DateStyle', 'TimeZone', 'client_encoding',
      'server_encoding', 'integer_datetimes', 'standard_conforming_strings', 'max_identifier_length', 'server_version_num')
    ORDER BY name`,
  },
  {
    name: 'SHOW server_version',
    sql: `SHOW server_version`,
    shapes: { server_version: /^15\.\d+ \(.+\)$/ },
  },
  {
    name: 'SHOW search_path',
    sql: `SHOW search_path`,
  },
  {
    name: 'version() shape',
    sql: `SELECT version() AS version`,
    shapes: { version: /^PostgreSQL 15\.\d+ (\(.+\) )?on \S+/ },
  },
  {
    name: 'the session',
    sql: `SELECT current_database() AS db, current_user AS u, session_user AS su, current_schema() AS s,
      current_catalog AS cat, pg_backend_pid() > 0 AS pid`,
  },

  // typed expressions, a table's columns, what a KPI query computes
  {
    name: 'typed expressions, aliased',
    sql: `SELECT 1::int2 AS a, 1::int4 AS b, 1::int8 AS c, 1.5::numeric(10,2) AS d, 'x'::text AS e, true AS f,
      DATE '2024-01-01' AS g, 1.5::float8 AS h, 1.5::float4 AS i`,
  },
  {
    name: 'literals',
    sql: `SELECT 1 AS one, 2147483648 AS big, 1.5 AS dec, 'x' AS s, NULL::int4 AS typed_null`,
  },
  {
    name: 'the table read whole',
    sql: `SELECT * FROM gold.fact_sales`,
  },
  {
    name: 'aggregates whose types agree',
    sql: `SELECT count(*) AS n, sum(big) AS big, sum(amount) AS amount, sum(ratio) AS ratio, min(day) AS first_day,
      max(channel) AS last_channel, bool_and(ok) AS all_ok
    FROM gold.fact_sales`,
  },
  {
    name: 'a KPI by day',
    sql: `SELECT day, sum(amount) AS revenue, count(*) AS lines FROM gold.fact_sales GROUP BY day ORDER BY day`,
  },
  {
    name: 'integer division',
    sql: `SELECT 7 / 2 AS q, -7 / 2 AS r, 7 % 2 AS m`,
  },
  // Values in text format at their edges, as the endpoint writes them from DuckDB's vectors
  // (src/pg/text-rows.ts) and PostgreSQL's output functions do (int8out, numeric_out, float8out
  // and float4out's shortest digits, date_out/timestamp_out with DateStyle ISO: BC, infinity).
  {
    name: 'integers at their edges',
    sql: `SELECT 0::int2 AS a, (-32768)::int2 AS b, 2147483647::int4 AS c, (-2147483648)::int4 AS d,
      9223372036854775807::int8 AS e, (-9223372036854775807)::int8 AS f, 9007199254740993::int8 AS g`,
  },
  {
    name: 'numerics of every width',
    sql: `SELECT 12345.67::numeric(12,2) AS a, (-0.05)::numeric(12,2) AS b, 0::numeric(12,2) AS c, 1.5::numeric(4,1) AS d,
      123456789012.345678::numeric(18,6) AS e, 12345678901234567890.12::numeric(38,2) AS f,
      (-99999999999999999999999999999999.999999)::numeric(38,6) AS g, 0.000001::numeric(38,6) AS h, (-3)::numeric(9,0) AS i`,
  },
  {
    name: 'float8 values, fixed and exponent forms',
    sql: `SELECT 1e15::float8 AS a, 1e14::float8 AS b, 0.0001::float8 AS c, 0.00001::float8 AS d,
      123456789012345678::float8 AS e, (-1.5e-7)::float8 AS f, 'NaN'::float8 AS g, 'Infinity'::float8 AS h,
      '-Infinity'::float8 AS i, 0.1::float8 AS j, 1e300::float8 AS k, '-0'::float8 AS l`,
  },
  {
    name: 'float4 values, shortest digits',
    sql: `SELECT 0.1::float4 AS a, 1.1::real AS b, 3.14159::float4 AS c, 1e6::float4 AS d, 1234567::float4 AS e,
      16777216::float4 AS f, 1e-5::float4 AS g, 100000::float4 AS h`,
  },
  {
    name: 'dates, BC and infinite',
    sql: `SELECT DATE '2024-02-29' AS a, DATE '0001-01-01' AS b, DATE '9999-12-31' AS c, DATE '1970-01-01' AS d,
      DATE '1969-12-31' AS e, DATE '0001-01-01' - 1 AS f, 'infinity'::date AS g, '-infinity'::date AS h`,
  },
  {
    name: 'timestamps, fractions and centuries',
    sql: `SELECT TIMESTAMP '2024-01-01 12:34:56.5' AS a, TIMESTAMP '2024-01-01 00:00:00' AS b,
      TIMESTAMP '2024-01-01 00:00:00.000001' AS c, TIMESTAMP '1900-03-01 23:59:59.123456' AS d, 'infinity'::timestamp AS e,
      '-infinity'::timestamp AS f, TIMESTAMP '1500-06-15 01:02:03' AS g, TIMESTAMP '2500-06-15 01:02:03.25' AS h`,
  },
  {
    name: 'timestamps with time zone (TimeZone UTC on both)',
    sql: `SELECT TIMESTAMPTZ '2024-06-01 12:00:00+02' AS a, TIMESTAMPTZ '1969-12-31 23:59:59.999999+00' AS b,
      'infinity'::timestamptz AS c, TIMESTAMPTZ '3000-01-01 00:00:00.1+00' AS d`,
  },
  {
    name: 'times of day',
    sql: `SELECT TIME '12:34:56.789' AS a, TIME '00:00:00' AS b, TIME '23:59:59.999999' AS c`,
  },
  {
    name: 'text, booleans and NULLs',
    sql: `SELECT 'héllo wörld, long enough not to be inlined' AS a, '' AS b, 'short' AS c, true AS d, false AS e,
      NULL::text AS f, NULL::int4 AS g`,
  },
  {
    name: '5,000 rows over several chunks, NULLs among them',
    sql: `SELECT g.i::int4 AS i, CASE WHEN g.i % 3 = 0 THEN NULL ELSE (g.i * 1.5)::float8 END AS f,
      CASE WHEN g.i % 5 = 0 THEN NULL ELSE 'row ' || g.i || repeat('x', (g.i % 20)::int4) END AS s,
      DATE '2024-01-01' + g.i::int4 AS d, (g.i * 0.01)::numeric(12,2) AS n,
      TIMESTAMP '2024-01-01 00:00:00' + g.i * INTERVAL '61 seconds' AS t, g.i % 2 = 0 AS b
    FROM generate_series(1, 5000) AS g(i) ORDER BY g.i`,
  },
  {
    name: 'to_char of dates and timestamps',
    sql: `SELECT to_char(day, 'YYYY-MM') AS a, to_char(day, 'FMMonth YYYY') AS b, to_char(day, 'Dy DD Mon, Day') AS c,
      to_char(TIMESTAMP '2024-03-05 07:08:09.123456', 'YYYY-MM-DD HH24:MI:SS.US MS') AS d,
      to_char(TIMESTAMP '2024-12-29 19:08:09', 'HH12:MI am "Q"Q IYYY-IW D WW W DDD FMDD/FMMM MONTH mon DY') AS e
    FROM gold.fact_sales`,
  },
  {
    name: 'decimal arithmetic',
    sql: `SELECT amount * 2 AS x, amount * units AS y, units * 1.0 AS w, -amount AS neg, amount + 0.005 AS more FROM gold.fact_sales`,
  },
];

/** Queries that differ today for a reason to fix in src/pg: skipped; each says why. */
/**
 * Queries of DIFFERS_TODAY that agree now — the endpoint names result columns as PostgreSQL does
 * (rewrite-names.ts), a reg* cast to text takes a name, information_schema's numbers that do not
 * apply are NULL, public belongs to pg_database_owner, SHOW names its column as PostgreSQL writes
 * the setting, a missing setting is a text NULL: run with QUERIES.
 */
const AGREE_NOW = new Set([
  'typed expressions, not aliased',
  'functions and aggregates, not aliased',
  'psql \\d: the columns',
  'psql \\d+: the columns with storage and comments',
  'psql \\d: publications',
  'regclass cast to text',
  'psql \\dn',
  'SHOW DateStyle',
  'information_schema.columns, what BI tools read',
  'current_setting of an unknown setting, missing_ok',
  'float4 values',
  'bytea literal',
  'a column named at',
  'psql \\d: the table',
  'psql \\d: row-level security policies',
  'information_schema.columns, every column',
  'information_schema.tables',
  'to_char',
  'psql \\d: statistics objects',
  'psql \\d: parent tables',
  'psql \\d: partitions',
  'NULL',
  'string functions',
]);

const DIFFERS_TODAY: (DiffQuery & { why: string })[] = [
  // Column names (PostgreSQL: a function's name, a column's name, a cast's type name, else ?column?).
  // differs today: unaliased columns are named by DuckDB's expression text, not as PostgreSQL names
  //   them (int2, int4, int8, numeric, text, ?column?, date, float8, float4: the endpoint sends CAST(1
  //   AS SMALLINT), ...)
  {
    name: 'typed expressions, not aliased',
    why: "unaliased columns are named by DuckDB's expression text, not as PostgreSQL names them",
    sql: `SELECT 1::int2, 1::int4, 1::int8, 1.5::numeric(10,2), 'x'::text, true, DATE '2024-01-01', 1.5::float8, 1.5::float4`,
  },
  // differs today: unaliased columns are named by DuckDB's expression text, not as PostgreSQL names
  //   them (count, max, upper, coalesce, case, ?column?: the endpoint sends count_star(), max("day"),
  //   ...)
  {
    name: 'functions and aggregates, not aliased',
    why: "unaliased columns are named by DuckDB's expression text, not as PostgreSQL names them",
    sql: `SELECT count(*), max(day), min(upper(channel)), max(coalesce(units, 0)), max(CASE WHEN ok THEN 1 END), 1 + 1 FROM gold.fact_sales`,
  },
  // differs today: unaliased columns are named by DuckDB's expression text, not as PostgreSQL names
  //   them (?column? for '', reloftype for the CASE)
  {
    name: 'psql \\d: the table',
    why: "unaliased columns are named by DuckDB's expression text, not as PostgreSQL names them",
    sql: ({
      oid,
    }) => `SELECT c.relchecks, c.relkind, c.relhasindex, c.relhasrules, c.relhastriggers, c.relrowsecurity, c.relforcerowsecurity, false AS relhasoids, c.relispartition, '', c.reltablespace, CASE WHEN c.reloftype = 0 THEN '' ELSE c.reloftype::pg_catalog.regtype::pg_catalog.text END, c.relpersistence, c.relreplident, am.amname
FROM pg_catalog.pg_class c
 LEFT JOIN pg_catalog.pg_class tc ON (c.reltoastrelid = tc.oid)
LEFT JOIN pg_catalog.pg_am am ON (c.relam = am.oid)
WHERE c.oid = '${oid}';`,
  },
  // differs today: unaliased columns are named by DuckDB's expression text, not as PostgreSQL names
  //   them (format_type, pg_get_expr; the endpoint's names show its rewrite:
  //   strata_pg_catalog.pg_attrdef)
  {
    name: 'psql \\d: the columns',
    why: "unaliased columns are named by DuckDB's expression text, not as PostgreSQL names them",
    sql: ({ oid }) => `SELECT a.attname,
  pg_catalog.format_type(a.atttypid, a.atttypmod),
  (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid, true)
   FROM pg_catalog.pg_attrdef d
   WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef),
  a.attnotnull,
  (SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type t
   WHERE c.oid = a.attcollation AND t.oid = a.atttypid AND a.attcollation <> t.typcollation) AS attcollation,
  a.attidentity,
  a.attgenerated
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = '${oid}' AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum;`,
  },
  // differs today: column names as above; c.reloptions || array(select ...) is NULL in the endpoint
  //   (PostgreSQL: NULL || '{}' = '{}'), so array_to_string gives NULL, not ''
  {
    name: 'psql \\d+: the table',
    why: "column names; array_to_string(NULL || array(...)) is NULL, PostgreSQL's ''",
    sql: ({
      oid,
    }) => `SELECT c.relchecks, c.relkind, c.relhasindex, c.relhasrules, c.relhastriggers, c.relrowsecurity, c.relforcerowsecurity, false AS relhasoids, c.relispartition, pg_catalog.array_to_string(c.reloptions || array(select 'toast.' || x from pg_catalog.unnest(tc.reloptions) x), ', ')
, c.reltablespace, CASE WHEN c.reloftype = 0 THEN '' ELSE c.reloftype::pg_catalog.regtype::pg_catalog.text END, c.relpersistence, c.relreplident, am.amname
FROM pg_catalog.pg_class c
 LEFT JOIN pg_catalog.pg_class tc ON (c.reltoastrelid = tc.oid)
LEFT JOIN pg_catalog.pg_am am ON (c.relam = am.oid)
WHERE c.oid = '${oid}';`,
  },
  // differs today: unaliased columns are named by DuckDB's expression text, not as PostgreSQL names
  //   them (format_type, pg_get_expr, col_description)
  {
    name: 'psql \\d+: the columns with storage and comments',
    why: "unaliased columns are named by DuckDB's expression text, not as PostgreSQL names them",
    sql: ({ oid }) => `SELECT a.attname,
  pg_catalog.format_type(a.atttypid, a.atttypmod),
  (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid, true)
   FROM pg_catalog.pg_attrdef d
   WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef),
  a.attnotnull,
  (SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type t
   WHERE c.oid = a.attcollation AND t.oid = a.atttypid AND a.attcollation <> t.typcollation) AS attcollation,
  a.attidentity,
  a.attgenerated,
  a.attstorage,
  a.attcompression AS attcompression,
  CASE WHEN a.attstattarget=-1 THEN NULL ELSE a.attstattarget END AS attstattarget,
  pg_catalog.col_description(a.attrelid, a.attnum)
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = '${oid}' AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum;`,
  },
  // differs today: unaliased columns are named by DuckDB's expression text, not as PostgreSQL names
  //   them (array_to_string, pg_get_expr)
  {
    name: 'psql \\d: row-level security policies',
    why: "unaliased columns are named by DuckDB's expression text, not as PostgreSQL names them",
    sql: ({ oid }) => `SELECT pol.polname, pol.polpermissive,
  CASE WHEN pol.polroles = '{0}' THEN NULL ELSE pg_catalog.array_to_string(array(select rolname from pg_catalog.pg_roles where oid = any (pol.polroles) order by 1),',') END,
  pg_catalog.pg_get_expr(pol.polqual, pol.polrelid),
  pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid),
  CASE pol.polcmd
    WHEN 'r' THEN 'SELECT'
    WHEN 'a' THEN 'INSERT'
    WHEN 'w' THEN 'UPDATE'
    WHEN 'd' THEN 'DELETE'
    END AS cmd
FROM pg_catalog.pg_policy pol
WHERE pol.polrelid = '${oid}' ORDER BY 1;`,
  },
  // differs today: stxrelid::regclass is named strata_regclass_oid(stxrelid) and typed oid (26),
  //   PostgreSQL's regclass (2205)
  {
    name: 'psql \\d: statistics objects',
    why: 'x::regclass is an oid (26), not a regclass (2205)',
    sql: ({
      oid,
    }) => `SELECT oid, stxrelid::pg_catalog.regclass, stxnamespace::pg_catalog.regnamespace::pg_catalog.text AS nsp, stxname,
pg_catalog.pg_get_statisticsobjdef_columns(oid) AS columns,
  'd' = any(stxkind) AS ndist_enabled,
  'f' = any(stxkind) AS deps_enabled,
  'm' = any(stxkind) AS mcv_enabled,
stxstattarget
FROM pg_catalog.pg_statistic_ext
WHERE stxrelid = '${oid}'
ORDER BY nsp, stxname;`,
  },
  // differs today: unaliased columns are named by DuckDB's expression text, not as PostgreSQL names
  //   them (?column? for NULL)
  {
    name: 'psql \\d: publications',
    why: "unaliased columns are named by DuckDB's expression text, not as PostgreSQL names them",
    sql: ({ oid }) => `SELECT pubname
     , NULL
     , NULL
FROM pg_catalog.pg_publication p
     JOIN pg_catalog.pg_publication_namespace pn ON p.oid = pn.pnpubid
     JOIN pg_catalog.pg_class pc ON pc.relnamespace = pn.pnnspid
WHERE pc.oid ='${oid}' and pg_catalog.pg_relation_is_publishable('${oid}')
UNION
SELECT pubname
     , pg_get_expr(pr.prqual, c.oid)
     , (CASE WHEN pr.prattrs IS NOT NULL THEN
         (SELECT string_agg(attname, ', ')
           FROM pg_catalog.generate_series(0, pg_catalog.array_upper(pr.prattrs::pg_catalog.int2[], 1)) s,
                pg_catalog.pg_attribute
          WHERE attrelid = pr.prrelid AND attnum = prattrs[s])
        ELSE NULL END) FROM pg_catalog.pg_publication p
     JOIN pg_catalog.pg_publication_rel pr ON p.oid = pr.prpubid
     JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid
WHERE pr.prrelid = '${oid}'
UNION
SELECT pubname
     , NULL
     , NULL
FROM pg_catalog.pg_publication p
WHERE p.puballtables AND pg_catalog.pg_relation_is_publishable('${oid}')
ORDER BY 1;`,
  },
  // differs today: c.oid::regclass is named strata_regclass_oid(c.oid) (PostgreSQL: oid) and typed
  //   oid (26), PostgreSQL's regclass (2205)
  {
    name: 'psql \\d: parent tables',
    why: 'x::regclass is an oid (26), not a regclass (2205)',
    sql: ({ oid }) => `SELECT c.oid::pg_catalog.regclass
FROM pg_catalog.pg_class c, pg_catalog.pg_inherits i
WHERE c.oid = i.inhparent AND i.inhrelid = '${oid}'
  AND c.relkind != 'p' AND c.relkind != 'I'
ORDER BY inhseqno;`,
  },
  // differs today: as above, and pg_get_expr named by its arguments
  {
    name: 'psql \\d: partitions',
    why: 'x::regclass is an oid (26), not a regclass (2205)',
    sql: ({
      oid,
    }) => `SELECT c.oid::pg_catalog.regclass, c.relkind, inhdetachpending, pg_catalog.pg_get_expr(c.relpartbound, c.oid)
FROM pg_catalog.pg_class c, pg_catalog.pg_inherits i
WHERE c.oid = i.inhrelid AND i.inhparent = '${oid}'
ORDER BY pg_catalog.pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT', c.oid::pg_catalog.regclass::pg_catalog.text;`,
  },

  // reg* types
  // differs today: a regclass is sent as an oid (26) and its number; PostgreSQL sends regclass
  //   (2205) and the name (gold.fact_sales, pg_class)
  {
    name: 'regclass values',
    why: 'regclass values are sent as oid (26) numbers',
    sql: `SELECT 'gold.fact_sales'::regclass AS t, 'pg_class'::regclass AS c, to_regclass('gold.fact_sales') AS r`,
  },
  // differs today: 'gold.fact_sales'::regclass::text fails: 22P02 Conversion Error: Could not
  //   convert string 'gold.fact_sales' to UINT32 (PostgreSQL: gold.fact_sales)
  {
    name: 'regclass cast to text',
    why: "'x'::regclass::text fails with 22P02",
    sql: `SELECT 'gold.fact_sales'::regclass::text AS name`,
  },
  // differs today: typinput, typoutput, typreceive, typsend, typmodin, typmodout, typanalyze,
  //   typsubscript are regproc (24) in PostgreSQL, sent as the function's name (int4in) or '-'; the
  //   endpoint sends oid (26) numbers (42, 0); typacl is aclitem[] (1034), the endpoint's json (114)
  {
    name: 'SELECT * FROM pg_catalog.pg_type WHERE typname = int4',
    why: 'regproc columns are oid numbers; typacl is json',
    sql: `SELECT * FROM pg_catalog.pg_type WHERE typname = 'int4'`,
  },
  // differs today: typinput::text is '42' (PostgreSQL: int4in), typreceive::text '2406' (int4recv)
  {
    name: 'regproc cast to text',
    why: 'regproc::text is the number',
    sql: `SELECT typinput::text AS input, typreceive::text AS receive FROM pg_catalog.pg_type WHERE typname = 'int4'`,
  },

  // information_schema
  // differs today: character_maximum_length, interval_precision and maximum_cardinality are 0 for
  //   every column (PostgreSQL: NULL); is_updatable is NO (PostgreSQL: YES, a property of the table,
  //   not of the user's privileges — perhaps on purpose for a read-only lake)
  {
    name: 'information_schema.columns, every column',
    why: 'NULLs as 0; is_updatable NO',
    sql: `SELECT * FROM information_schema.columns WHERE table_schema='gold'`,
    unordered: true,
  },
  // differs today: character_maximum_length is 0 for every column, NULL in PostgreSQL (text has no
  //   maximum length; a BI tool may read 0 as a zero-length string)
  {
    name: 'information_schema.columns, what BI tools read',
    why: 'character_maximum_length 0, not NULL',
    sql: `SELECT table_catalog, table_schema, table_name, column_name, ordinal_position, column_default, is_nullable,
      data_type, character_maximum_length, numeric_precision, numeric_precision_radix, numeric_scale,
      datetime_precision, udt_name
    FROM information_schema.columns WHERE table_schema = 'gold' AND table_name = 'fact_sales' ORDER BY ordinal_position`,
  },
  // differs today: is_insertable_into is NO, PostgreSQL's YES (the table's property; perhaps on
  //   purpose for a read-only lake)
  {
    name: 'information_schema.tables',
    why: 'is_insertable_into NO',
    sql: `SELECT * FROM information_schema.tables WHERE table_schema = 'gold'`,
    unordered: true,
  },
  // differs today: public's owner is strata; in PostgreSQL 15 it is pg_database_owner
  {
    name: 'psql \\dn',
    why: "public's owner",
    sql: `SELECT n.nspname AS "Name",
  pg_catalog.pg_get_userbyid(n.nspowner) AS "Owner"
FROM pg_catalog.pg_namespace n
WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
ORDER BY 1;`,
  },

  // settings
  // differs today: repeatable read; PostgreSQL's default is read committed (and each statement reads
  //   the latest table versions today)
  {
    name: 'transaction_isolation',
    why: 'repeatable read, not read committed',
    sql: `SELECT current_setting('transaction_isolation') AS transaction_isolation`,
  },
  // differs today: SHOW DateStyle's column is named datestyle; PostgreSQL names it DateStyle (SHOW
  //   TimeZone: TimeZone)
  {
    name: 'SHOW DateStyle',
    why: "SHOW's column is lower-cased",
    sql: `SHOW DateStyle`,
  },
  // differs today: NULL typed int4 (23); PostgreSQL's current_setting returns text (25)
  {
    name: 'current_setting of an unknown setting, missing_ok',
    why: 'typed int4, not text',
    sql: `SELECT current_setting('strata.no_such_setting', true) AS missing`,
  },
  // differs today: json (114) [] and ["main","main","main","pg_catalog"]; PostgreSQL: name[] (1003)
  //   {public} and {pg_catalog,public}
  {
    name: 'current_schemas',
    why: "json, with DuckDB's schema names",
    sql: `SELECT current_schemas(false) AS s, current_schemas(true) AS t`,
  },

  // types and values of expressions
  // differs today: int4 (23); PostgreSQL resolves an untyped NULL to text (25)
  {
    name: 'NULL',
    why: 'an untyped NULL is int4',
    sql: `SELECT NULL AS n`,
  },
  // differs today: 0.10000000149011612, 1.100000023841858, 3.141590118408203; PostgreSQL prints a
  //   real's shortest text: 0.1, 1.1, 3.14159
  {
    name: 'float4 values',
    why: 'float4 printed as the float8 it widens to',
    sql: `SELECT 0.1::float4 AS a, 1.1::real AS b, 3.14159::float4 AS c`,
  },
  // differs today: '\x00ff'::bytea is \x006666 (DuckDB reads \x00 as one byte, then the
  //   characters ff); PostgreSQL's hex input gives \x00ff
  {
    name: 'bytea literal',
    why: "'\\x00ff'::bytea is read as an escape",
    sql: `SELECT '\\x00ff'::bytea AS b`,
  },
  // differs today: typed text (25); PostgreSQL: json (114)
  {
    name: 'json cast',
    why: 'text, not json',
    sql: `SELECT '{"a":1}'::json AS j`,
  },
  // differs today: 'a' as text (25); PostgreSQL pads to 'a  ' as bpchar (1042)
  {
    name: 'character(n)',
    why: 'not padded, text',
    sql: `SELECT 'a'::char(3) AS c`,
  },
  // differs today: 3.5, 10.5, 2 as float8 (701); PostgreSQL: numeric 3.5000000000000000,
  //   10.5000000000000000, 2.0000000000000000
  {
    name: 'numeric division and avg',
    why: 'float8 where PostgreSQL gives numeric',
    sql: `SELECT 7::numeric / 2 AS q, avg(amount) AS mean, avg(units) AS mean_units FROM gold.fact_sales`,
  },
  // differs today: sum(int4) and sum(int2) are numeric (1700), PostgreSQL's int8 (20); sum(float4)
  //   is float8, PostgreSQL's float4
  {
    name: 'sum of int, smallint and real',
    why: 'sum types',
    sql: `SELECT sum(units) AS units, sum(small) AS small, sum(score) AS score FROM gold.fact_sales`,
  },
  // differs today: length and position are int8 (20); PostgreSQL: int4 (23)
  {
    name: 'string functions',
    why: 'int8, not int4',
    sql: `SELECT length(channel) AS l, position('n' in channel) AS p FROM gold.fact_sales`,
  },
  // differs today: extract and date_part are int8; PostgreSQL: numeric and float8;
  //   date_trunc('month', date) is timestamp (1114) '2024-01-01 00:00:00', PostgreSQL's timestamptz
  //   '2024-01-01 00:00:00+00'
  {
    name: 'date functions',
    why: 'extract, date_part and date_trunc types',
    sql: `SELECT extract(year from day) AS y, date_part('year', day) AS dp, date_trunc('month', day) AS m FROM gold.fact_sales`,
  },
  // differs today: 42883 Scalar Function with name to_char does not exist (PostgreSQL: 2024-01)
  {
    name: 'to_char',
    why: 'no to_char',
    sql: `SELECT to_char(day, 'YYYY-MM') AS month FROM gold.fact_sales`,
  },
  // differs today: json (114) [1,2]; PostgreSQL: int4[] (1007) {1,2} (lists are json:
  //   docs/bi-tools.md)
  {
    name: 'array constructor',
    why: 'arrays are json (documented)',
    sql: `SELECT ARRAY[1, 2] AS a`,
  },
  // differs today: 42601 syntax error: AT is a reserved word in DuckDB's grammar, not in
  //   PostgreSQL's ("at" quoted works)
  {
    name: 'a column named at',
    why: 'AT is reserved in DuckDB',
    sql: `SELECT at FROM gold.fact_sales`,
  },
];

const MODES = ['simple', 'extended'] as const;

/** A result as compared: column names, column types and the values as text. */
interface Answer {
  names: string[];
  types: number[];
  rows: (string | null)[][];
}

const RAW = { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig;

async function ask(client: pg.Client, sql: string, mode: (typeof MODES)[number]): Promise<Answer> {
  const config = {
    text: sql,
    rowMode: 'array' as const,
    types: RAW,
    ...(mode === 'extended' && { queryMode: 'extended' }),
  };
  const r = await client.query(config);
  return {
    names: r.fields.map((f) => f.name),
    types: r.fields.map((f) => f.dataTypeID),
    rows: r.rows as (string | null)[][],
  };
}

/** Column 2 (a timestamptz) of a query's rows as the endpoint writes it in text format, shown in `zone`. */
async function timestamptzTexts(sql: string, zone: string): Promise<string[]> {
  const texts: string[] = [];
  await strata.withSession((s) =>
    s.query(sql, {
      onRows: (columns, chunk) => {
        if (chunk.rowCount === 0) return;
        const types = columns.map((c) => pgTypeOf(c.type).type);
        const rows = chunkTextRows(chunk, 0, chunk.rowCount, types, zoneOf(zone));
        for (const row of readDataRows(rows)) texts.push(row[1]!);
      },
    }),
  );
  return texts;
}

/** The values of DataRow messages, as text (null for NULL). */
function readDataRows(bytes: Buffer): (string | null)[][] {
  const rows: (string | null)[][] = [];
  for (let at = 0; at < bytes.length;) {
    const end = at + 1 + bytes.readInt32BE(at + 1);
    const row: (string | null)[] = [];
    let p = at + 7;
    for (let i = bytes.readInt16BE(at + 5); i > 0; i--) {
      const n = bytes.readInt32BE(p);
      row.push(n < 0 ? null : bytes.toString('utf8', p + 4, p + 4 + n));
      p += 4 + Math.max(n, 0);
    }
    rows.push(row);
    at = end;
  }
  return rows;
}

/** The endpoint's type OID as PostgreSQL's would be after TYPE_DIFFERENCES. */
function normalised(postgres: number, endpoint: number): number {
  return TYPE_DIFFERENCES.some((d) => d.postgres === postgres && d.endpoint === endpoint) ? postgres : endpoint;
}

/** Both answers side by side, with what may differ taken out; equal when the endpoint agrees. */
function comparable(q: DiffQuery, postgres: Answer, endpoint: Answer) {
  const skip = new Set(q.oids ?? []);
  const shapes = q.shapes ?? {};
  const view = (a: Answer, types: number[]) => {
    const keep = a.names.map((n, i) => i).filter((i) => !skip.has(a.names[i]));
    let rows = a.rows.map((r) =>
      keep.map((i) => {
        const shape = shapes[a.names[i]];
        return shape && r[i] !== null ? (shape.test(r[i]!) ? `<${shape.source}>` : r[i]) : r[i];
      }),
    );
    if (q.unordered) rows = rows.sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
    return { names: a.names, types, rows };
  };
  return {
    postgres: view(postgres, postgres.types),
    endpoint: view(
      endpoint,
      endpoint.types.map((t, i) => normalised(postgres.types[i], t)),
    ),
  };
}

const missing = localPostgresMissing();
const bed = useTestBed('pg-differential');
const PASSWORD = 'differ3nt-pass';
let postgres: LocalPostgres;
let endpoint: RunningPgServer;
let strata: Project;
const clients: { postgres?: pg.Client; endpoint?: pg.Client } = {};
const sides: { postgres?: Side; endpoint?: Side } = {};

describe.skipIf(missing)(`the endpoint answers as PostgreSQL 15 does ${skipNote(missing)}`, () => {
  beforeAll(async () => {
    // PostgreSQL: the bootstrap superuser (OID 10) renamed to the endpoint's owner, `strata`; the
    // reader `analyst`, read-only like the endpoint's sessions.
    postgres = await startLocalPostgres({ settings: { max_connections: 100 } });
    await postgres.query(`CREATE ROLE admin SUPERUSER LOGIN; CREATE ROLE analyst LOGIN;
      ALTER ROLE analyst SET default_transaction_read_only = on`);
    const admin = await postgres.connect({ user: 'admin' });
    await admin.query('ALTER ROLE postgres RENAME TO strata');
    await admin.query('CREATE DATABASE lake OWNER strata');
    await admin.end();
    const owner = await postgres.connect({ user: 'strata', database: 'lake' });
    await owner.query(POSTGRES_TABLE);
    await owner.end();
    clients.postgres = await postgres.connect({ user: 'analyst', database: 'lake' });

    const { project } = await pgProject(bed, 'shop', PASSWORD, { top: 'catalog: lake\n' });
    await project.query(STRATA_TABLE);
    strata = project;
    endpoint = await startPgServer(project, { port: 0 });
    clients.endpoint = pgClient(endpoint.port, PASSWORD);
    await clients.endpoint.connect();

    for (const side of ['postgres', 'endpoint'] as const) {
      const r = await clients[side]!.query(
        `SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'gold' AND c.relname = 'fact_sales'`,
      );
      sides[side] = { oid: String(r.rows[0].oid) };
    }
  });
  afterAll(async () => {
    await clients.postgres?.end().catch(() => undefined);
    await clients.endpoint?.end().catch(() => undefined);
    await endpoint?.close();
    await postgres?.stop();
  });

  it('the allowed type differences are each one string type of PostgreSQL sent as text', () => {
    for (const d of TYPE_DIFFERENCES) expect(d.endpoint).toBe(25);
  });

  /** The query on both sides in one protocol, compared. */
  async function compare(q: DiffQuery, mode: (typeof MODES)[number]) {
    const text = (side: Side) => (typeof q.sql === 'string' ? q.sql : q.sql(side));
    const both = comparable(
      q,
      await ask(clients.postgres!, text(sides.postgres!), mode),
      await ask(clients.endpoint!, text(sides.endpoint!), mode),
    );
    expect(both.endpoint).toEqual(both.postgres);
  }

  it('shows timestamptz values in a TimeZone other than UTC as PostgreSQL does (offsets with minutes, seconds, DST)', async () => {
    // The endpoint shows timestamptz in the server's TimeZone (the engine's); this runs its writer
    // (src/pg/text-rows.ts) on a real DuckDB chunk for each zone, against PostgreSQL with SET TimeZone.
    const instants = [
      '1900-01-01 00:00:00+00', // local mean times: Kolkata +05:21:10, St John's -03:30:52
      '1969-12-31 23:59:59.5+00',
      '2024-03-31 00:59:59+00', // EU summer time starts at 01:00 UTC
      '2024-03-31 01:00:00+00',
      '2024-10-27 00:59:59.999999+00',
      '2024-10-27 01:00:00+00',
      '2024-04-07 15:00:00+00', // Lord Howe's half-hour change
      '2024-11-03 06:00:00+00', // New York's end of DST
      '2260-06-01 12:00:00+00', // past 2^53 microseconds from 1970
    ];
    // (Not Europe/Amsterdam before 1970: the tz database has merged its history into Brussels's
    // since 2022b; ICU's copy, which DuckDB and this use, has, the system's PostgreSQL reads has not.)
    const zones = [
      'Europe/Paris',
      'Asia/Kolkata',
      'America/St_Johns',
      'Australia/Lord_Howe',
      'Pacific/Chatham',
      'America/New_York',
    ];
    const sql = `SELECT * FROM (VALUES ${instants.map((t, i) => `(${i}, TIMESTAMPTZ '${t}')`).join(', ')}) AS v(k, t) ORDER BY k`;
    try {
      for (const zone of zones) {
        await clients.postgres!.query(`SET TimeZone = '${zone}'`);
        const theirs = await clients.postgres!.query({ text: sql, rowMode: 'array', types: RAW });
        expect(await timestamptzTexts(sql, zone), zone).toEqual(theirs.rows.map((r: string[]) => r[1]));
      }
    } finally {
      await clients.postgres!.query(`SET TimeZone = 'UTC'`);
    }
  });

  describe.each(MODES)('%s protocol', (mode) => {
    it.each([...QUERIES, ...DIFFERS_TODAY.filter((q) => AGREE_NOW.has(q.name))])('$name', (q) => compare(q, mode));
    it.skip.each(DIFFERS_TODAY.filter((q) => !AGREE_NOW.has(q.name)))('$name (differs today: $why)', (q) =>
      compare(q, mode),
    );
  });
});
