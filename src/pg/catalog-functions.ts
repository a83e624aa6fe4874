// PostgreSQL's catalog functions as clients call them, made as DuckDB macros in the endpoint's own
// engine (its `main` schema, which DuckDB searches before its built-ins): format_type with typmods,
// obj_description / col_description from pg_description, privileges (reads only: SELECT, USAGE and
// CONNECT are granted, writes are not), the reg* lookups of the casts rewrite.ts makes, and the
// definitions (pg_get_expr, pg_get_indexdef, ...) of objects the lake does not have (NULL). `~` is
// PostgreSQL's: a match anywhere in the text (DuckDB's is a match of the whole text).
import { PG_CATALOG_SCHEMA } from './rewrite.js';

const C = PG_CATALOG_SCHEMA;

/** Privileges a read-only session holds. */
const READ_PRIVILEGE = `regexp_matches(upper(p), '^\\s*(SELECT|USAGE|CONNECT|REFERENCES)(\\s+WITH\\s+GRANT\\s+OPTION)?\\s*$')`;

export function catalogMacros(version: string, startedAt: string): string[] {
  const macros: Record<string, string> = {
    regexp_full_match: '(a, b) AS regexp_matches(a, b)',
    version: `() AS ${sqlString(version)}`,
    format_type: `(t, m) AS CASE
      WHEN t IS NULL THEN NULL
      WHEN t = 1700 AND m >= 4 THEN 'numeric(' || ((m - 4) >> 16) || ',' || ((m - 4) & 65535) || ')'
      WHEN t = 1043 AND m >= 4 THEN 'character varying(' || (m - 4) || ')'
      WHEN t = 1042 AND m >= 4 THEN 'character(' || (m - 4) || ')'
      WHEN t = 1114 AND m >= 0 THEN 'timestamp(' || m || ') without time zone'
      WHEN t = 1184 AND m >= 0 THEN 'timestamp(' || m || ') with time zone'
      ELSE coalesce((SELECT name FROM ${C}.strata_type_names strata_n WHERE strata_n.oid = t), '???') END`,
    pg_get_userbyid: `(o) AS coalesce((SELECT rolname FROM ${C}.pg_roles strata_r WHERE strata_r.oid = o), 'unknown (OID=' || o || ')')`,
    obj_description: `(o), (o, c) AS (SELECT description FROM ${C}.pg_description strata_d WHERE strata_d.objoid = o AND strata_d.objsubid = 0 LIMIT 1)`,
    col_description: `(o, n) AS (SELECT description FROM ${C}.pg_description strata_d WHERE strata_d.objoid = o AND strata_d.objsubid = n LIMIT 1)`,
    shobj_description: `(o, c) AS (SELECT description FROM ${C}.pg_shdescription strata_d WHERE strata_d.objoid = o LIMIT 1)`,
    has_table_privilege: `(t, p), (u, t, p) AS ${READ_PRIVILEGE}`,
    has_schema_privilege: `(s, p), (u, s, p) AS ${READ_PRIVILEGE}`,
    has_database_privilege: `(d, p), (u, d, p) AS ${READ_PRIVILEGE}`,
    has_column_privilege: `(t, c, p), (u, t, c, p) AS ${READ_PRIVILEGE}`,
    has_any_column_privilege: `(t, p), (u, t, p) AS ${READ_PRIVILEGE}`,
    has_sequence_privilege: `(t, p), (u, t, p) AS ${READ_PRIVILEGE}`,
    has_function_privilege: `(f, p), (u, f, p) AS upper(p) LIKE '%EXECUTE%'`,
    pg_table_is_visible: `(o) AS true`,
    pg_type_is_visible: `(o) AS true`,
    pg_function_is_visible: `(o) AS true`,
    pg_is_other_temp_schema: `(o) AS false`,
    pg_relation_is_publishable: `(o) AS false`,
    pg_is_in_recovery: `() AS false`,
    pg_postmaster_start_time: `() AS TIMESTAMPTZ ${sqlString(startedAt)}`,
    pg_conf_load_time: `() AS TIMESTAMPTZ ${sqlString(startedAt)}`,
    txid_current: `() AS 1::BIGINT`,
    pg_encoding_to_char: `(e) AS CASE WHEN e = 6 THEN 'UTF8' ELSE '' END`,
    pg_char_to_encoding: `(e) AS CASE WHEN upper(e) IN ('UTF8', 'UTF-8') THEN 6 ELSE -1 END`,
    array_upper: `(a, d) AS CASE WHEN d = 1 AND len(a) > 0 THEN len(a) END`,
    array_lower: `(a, d) AS CASE WHEN d = 1 AND len(a) > 0 THEN 1 END`,
    pg_total_relation_size: `(o) AS coalesce((SELECT bytes FROM ${C}.strata_relation_sizes strata_s WHERE strata_s.oid = o), 0)`,
    pg_relation_size: `(o), (o, f) AS coalesce((SELECT bytes FROM ${C}.strata_relation_sizes strata_s WHERE strata_s.oid = o), 0)`,
    pg_table_size: `(o) AS coalesce((SELECT bytes FROM ${C}.strata_relation_sizes strata_s WHERE strata_s.oid = o), 0)`,
    pg_indexes_size: `(o) AS 0::BIGINT`,
    pg_size_pretty: `(n) AS CASE
      WHEN abs(n) < 10240 THEN n || ' bytes'
      WHEN abs(n) < 10485760 THEN round(n / 1024) || ' kB'
      WHEN abs(n) < 10737418240 THEN round(n / 1048576) || ' MB'
      WHEN abs(n) < 10995116277760 THEN round(n / 1073741824) || ' GB'
      ELSE round(n / 1099511627776) || ' TB' END`,
    parse_ident: `(s), (s, strict) AS list_transform(string_split(s, '.'), x -> CASE WHEN x LIKE '"%"' THEN replace(x[2:-2], '""', '"') ELSE lower(trim(x)) END)`,
    _pg_expandarray: `(a) AS unnest(list_transform(generate_series(1, len(a)), i -> {'x': a[i], 'n': i::INTEGER}))`,
    quote_literal: `(a) AS CASE WHEN a IS NOT NULL THEN '''' || replace(a::VARCHAR, '''', '''''') || '''' END`,
    quote_nullable: `(a) AS coalesce(quote_literal(a), 'NULL')`,
    quote_ident: `(s) AS CASE WHEN regexp_matches(s, '^[a-z_][a-z0-9_$]*$') THEN s ELSE '"' || replace(s, '"', '""') || '"' END`,
    strata_format_arg: `(f, n, a) AS CASE regexp_extract_all(f, '%[sIL]')[n]
      WHEN '%I' THEN quote_ident(a::VARCHAR) WHEN '%L' THEN quote_nullable(a) ELSE coalesce(a::VARCHAR, '') END`,
    format: formatOverloads(),
    to_regclass: `(s) AS ${regclassLookup('s')}`,
    to_regtype: `(s) AS (SELECT oid FROM ${C}.pg_type strata_t WHERE strata_t.typname = s OR strata_t.oid IN (SELECT oid FROM ${C}.strata_type_names strata_n WHERE strata_n.name = s) LIMIT 1)`,
    to_regnamespace: `(s) AS (SELECT oid FROM ${C}.pg_namespace strata_n WHERE strata_n.nspname = s::VARCHAR)`,
    strata_regclass_oid: `(s) AS coalesce(TRY_CAST(s AS UINTEGER), ${regclassLookup('s')}, error('relation "' || s::VARCHAR || '" does not exist'))`,
    strata_regtype_oid: `(s) AS coalesce(TRY_CAST(s AS UINTEGER), to_regtype(replace(s::VARCHAR, 'pg_catalog.', '')), error('type "' || s::VARCHAR || '" does not exist'))`,
    strata_regproc_oid: `(s) AS coalesce(TRY_CAST(s AS UINTEGER), (SELECT oid FROM ${C}.pg_proc strata_p WHERE strata_p.proname = replace(s::VARCHAR, 'pg_catalog.', '') LIMIT 1), error('function "' || s::VARCHAR || '" does not exist'))`,
    strata_regnamespace_oid: `(s) AS coalesce(TRY_CAST(s AS UINTEGER), to_regnamespace(s), error('schema "' || s::VARCHAR || '" does not exist'))`,
    strata_regrole_oid: `(s) AS coalesce(TRY_CAST(s AS UINTEGER), (SELECT oid FROM ${C}.pg_roles strata_r WHERE strata_r.rolname = s::VARCHAR), error('role "' || s::VARCHAR || '" does not exist'))`,
    strata_regclass_name: `(o) AS coalesce((SELECT CASE WHEN strata_n.nspname IN ('public', 'pg_catalog') THEN strata_c.relname
        ELSE quote_ident(strata_n.nspname) || '.' || quote_ident(strata_c.relname) END
      FROM ${C}.pg_class strata_c JOIN ${C}.pg_namespace strata_n ON strata_n.oid = strata_c.relnamespace WHERE strata_c.oid = strata_regclass_oid(o)), strata_regclass_oid(o)::VARCHAR)`,
    strata_regtype_name: `(o) AS format_type(strata_regtype_oid(o), NULL)`,
    strata_regproc_name: `(o) AS coalesce((SELECT proname FROM ${C}.pg_proc strata_p WHERE strata_p.oid = strata_regproc_oid(o)), CASE WHEN strata_regproc_oid(o) = 0 THEN '-' ELSE strata_regproc_oid(o)::VARCHAR END)`,
    strata_regnamespace_name: `(o) AS coalesce((SELECT nspname FROM ${C}.pg_namespace strata_n WHERE strata_n.oid = strata_regnamespace_oid(o)), strata_regnamespace_oid(o)::VARCHAR)`,
    strata_regrole_name: `(o) AS coalesce((SELECT rolname FROM ${C}.pg_roles strata_r WHERE strata_r.oid = strata_regrole_oid(o)), strata_regrole_oid(o)::VARCHAR)`,
  };
  for (const name of NO_DEFINITION) macros[name] = `(a), (a, b), (a, b, c) AS NULL::VARCHAR`;
  return Object.entries(macros).map(([name, definition]) => {
    // `(a), (a, b) AS body`: one overload per parameter list, each with the body.
    if (name === 'format') return `CREATE OR REPLACE MACRO main.format${definition}`;
    const at = definition.indexOf(') AS ') + 1;
    const lists = definition.slice(0, at).match(/\([^)]*\)/g) ?? ['()'];
    const body = definition.slice(at + 4);
    return `CREATE OR REPLACE MACRO main.${name}${lists.map((l) => `${l} AS ${body}`).join(', ')}`;
  });
}

/** PostgreSQL's format(f, ...) with %s, %I and %L, for up to six arguments (DuckDB's format is fmt's). */
function formatOverloads(): string {
  const lists: string[] = [];
  for (let n = 1; n <= 6; n++) lists.push(`(f, ${Array.from({ length: n }, (_, i) => `a${i + 1}`).join(', ')})`);
  // One body per overload does not fit `lists AS body`: the overloads are written out whole.
  return lists
    .map((l, i) => {
      const args = Array.from({ length: i + 1 }, (_, k) => `strata_format_arg(f, ${k + 1}, a${k + 1})`);
      return `${l} AS printf(regexp_replace(f, '%[IL]', '%s', 'g'), ${args.join(', ')})`;
    })
    .join(', ');
}

/** Definitions of objects the lake does not have: NULL. */
const NO_DEFINITION = [
  'pg_get_expr',
  'pg_get_constraintdef',
  'pg_get_indexdef',
  'pg_get_viewdef',
  'pg_get_triggerdef',
  'pg_get_ruledef',
  'pg_get_functiondef',
  'pg_get_function_arguments',
  'pg_get_function_identity_arguments',
  'pg_get_function_result',
  'pg_get_statisticsobjdef_columns',
  'pg_get_partkeydef',
  'pg_get_serial_sequence',
];

/** A relation's OID from its name (schema.table, or a table of pg_catalog or public), NULL when none. */
function regclassLookup(s: string): string {
  const name = `lower(replace(${s}::VARCHAR, '"', ''))`;
  return `(SELECT strata_c.oid FROM ${C}.pg_class strata_c JOIN ${C}.pg_namespace strata_n ON strata_n.oid = strata_c.relnamespace
    WHERE CASE WHEN contains(${name}, '.') THEN strata_n.nspname = split_part(${name}, '.', 1) AND strata_c.relname = split_part(${name}, '.', 2)
      ELSE strata_c.relname = ${name} AND strata_n.nspname IN ('pg_catalog', 'public') END LIMIT 1)`;
}

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
