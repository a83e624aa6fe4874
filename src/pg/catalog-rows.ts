// The catalog's rows made from the project: namespaces for its schemas, a relation per table
// (relkind 'r'), its columns with their PostgreSQL types, comments in pg_description, the database,
// the roles (the owner `strata` and the configured users), the settings, and information_schema's
// schemata, tables and columns. OIDs are made from names, so that they stay the same across
// restarts and refreshes (clients keep them).
import { NAMESPACES, RELATIONS, ROWS, SETTINGS, TYPE_NAMES } from './catalog-data.js';
import type { PgType } from './types.js';

export interface CatalogIdentity {
  /** The database name clients see (the project's catalog). */
  database: string;
  /** The users of serve.pg.users. */
  users: string[];
  /** The settings pg_settings lists. */
  settings: Record<string, string>;
}

export interface DescribedTable {
  /** Set for PostgreSQL's own relations (pg_catalog, information_schema). */
  oid?: number;
  kind?: string;
  schema: string;
  table: string;
  description: string | null;
  rows: number | null;
  bytes: number;
  columns: { name: string; type: PgType; typmod: number; nullable: boolean; comment: string | null }[];
}

type Rows = Record<string, unknown[][]>;

export const OWNER = { oid: 10, name: 'strata' };
/** PostgreSQL 15's owner of the public schema. */
const DATABASE_OWNER = { oid: 6171, name: 'pg_database_owner' };
const PG_CATALOG_OID = NAMESPACES.pg_catalog;
const PUBLIC_OID = NAMESPACES.public;
const INFORMATION_SCHEMA_OID = NAMESPACES.information_schema;
const PG_CLASS_OID = 1259;
const DEFAULT_COLLATION = 100;

/** A stable OID for a name: FNV-1a, above PostgreSQL's first user OID (16384). */
export function stableOid(name: string, taken: Set<number>): number {
  let h = 0x811c9dc5;
  for (const ch of Buffer.from(name, 'utf8')) h = Math.imul(h ^ ch, 0x01000193) >>> 0;
  let oid = 16384 + (h % (2 ** 31 - 16384));
  while (taken.has(oid)) oid++;
  taken.add(oid);
  return oid;
}

/** A row of a relation in its column order; columns not given are 0, false or NULL as their type is. */
function row(key: string, values: Record<string, unknown>): unknown[] {
  return RELATIONS[key].columns.map(([name, type]) => {
    if (name in values) return values[name];
    // (information_schema's numbers are NULL where they do not apply, pg_catalog's 0.)
    if (
      key.startsWith('pg_catalog.') &&
      /^(oid|regproc|regtype|xid|smallint|integer|bigint|real|double precision)$/.test(type)
    )
      return 0;
    if (type === 'boolean') return false;
    return null;
  });
}

/** pg_type's row of an OID as an object. */
const TYPE_COLUMNS = RELATIONS['pg_catalog.pg_type'].columns.map(([n]) => n);
const TYPES = new Map<number, Record<string, unknown>>(
  ROWS.pg_type.map((r) => {
    const o = Object.fromEntries(TYPE_COLUMNS.map((n, i) => [n, r[i]]));
    return [Number(o.oid), o];
  }),
);

/** PostgreSQL's own relations, as the catalog lists them beside the project's tables. */
export const CATALOG_RELATIONS: DescribedTable[] = Object.entries(RELATIONS).map(([key, r]) => {
  const [schema, table] = key.split('.');
  return {
    oid: r.oid,
    kind: r.kind,
    schema,
    table,
    description: null,
    rows: null,
    bytes: 0,
    columns: r.columns.map(([name], i) => {
      const [oid, typmod] = r.types[i];
      const t = TYPES.get(oid);
      return {
        name,
        type: { oid, len: Number(t?.typlen ?? -1), name: String(t?.typname ?? '') },
        typmod,
        nullable: true,
        comment: null,
      };
    }),
  };
});

/** PostgreSQL's own namespaces. */
const BUILTIN_NAMESPACES = new Map<string, number>([
  ['pg_catalog', PG_CATALOG_OID],
  ['public', PUBLIC_OID],
  ['information_schema', INFORMATION_SCHEMA_OID],
  ['pg_toast', NAMESPACES.pg_toast],
]);

/**
 * The rows a refresh replaces (the project's: OIDs from 16384 on, its schemas), as the WHERE of
 * their DELETE; PostgreSQL's own rows are written once.
 */
export const PROJECT_ROWS: Record<string, string> = {
  'pg_catalog.pg_namespace': 'oid >= 16384',
  'pg_catalog.pg_class': 'oid >= 16384',
  'pg_catalog.pg_attribute': 'attrelid >= 16384',
  'pg_catalog.pg_description': 'objoid >= 16384',
  'pg_catalog.pg_tables': "schemaname NOT IN ('pg_catalog', 'information_schema')",
  'information_schema.schemata': "schema_name NOT IN ('pg_catalog', 'public', 'information_schema')",
  'information_schema.tables': "table_schema NOT IN ('pg_catalog', 'information_schema')",
  'information_schema.columns': "table_schema NOT IN ('pg_catalog', 'information_schema')",
  strata_relation_sizes: 'true',
};

/**
 * pg_catalog's rows: PostgreSQL's own relations, namespaces, database, roles and settings
 * (`builtins`, written once), or the project's tables and schemas (written at each refresh).
 */
export function tableRows(tables: DescribedTable[], identity: CatalogIdentity, builtins = false): Rows {
  const taken = new Set<number>(CATALOG_RELATIONS.map((r) => r.oid!));
  const nsOid = new Map<string, number>(BUILTIN_NAMESPACES);
  for (const s of [...new Set(tables.map((t) => t.schema))].sort())
    if (!nsOid.has(s)) nsOid.set(s, stableOid(`schema:${s}`, taken));
  const roles = [
    OWNER,
    DATABASE_OWNER,
    ...identity.users.map((u) => ({ oid: stableOid(`role:${u}`, taken), name: u })),
  ];
  const out: Rows = {
    'pg_catalog.pg_namespace': [...nsOid]
      .filter(([name]) => BUILTIN_NAMESPACES.has(name) === builtins)
      .map(([name, oid]) =>
        row('pg_catalog.pg_namespace', {
          oid,
          nspname: name,
          nspowner: name === 'public' ? DATABASE_OWNER.oid : OWNER.oid,
        }),
      ),
    'pg_catalog.pg_class': [],
    'pg_catalog.pg_attribute': [],
    'pg_catalog.pg_description': [],
    'pg_catalog.pg_tables': [],
    strata_relation_sizes: [],
    'pg_catalog.pg_database': [
      row('pg_catalog.pg_database', {
        oid: stableOid(`database:${identity.database}`, taken),
        datname: identity.database,
        datdba: OWNER.oid,
        encoding: 6,
        datlocprovider: 'c',
        datallowconn: true,
        datconnlimit: -1,
        dattablespace: 1663,
        datcollate: 'C',
        datctype: 'C',
      }),
    ],
    'pg_catalog.pg_roles': roles.map((r) =>
      row('pg_catalog.pg_roles', {
        oid: r.oid,
        rolname: r.name,
        rolinherit: true,
        rolcanlogin: r.oid !== OWNER.oid && r.oid !== DATABASE_OWNER.oid,
        rolconnlimit: -1,
        rolpassword: '********',
      }),
    ),
    'pg_catalog.pg_user': roles
      .filter((r) => r.oid !== OWNER.oid && r.oid !== DATABASE_OWNER.oid)
      .map((r) => row('pg_catalog.pg_user', { usename: r.name, usesysid: r.oid, passwd: '********' })),
    'pg_catalog.pg_settings': SETTINGS.map(([name, boot, unit, category, desc, vartype, context, min, max, enums]) => {
      const value = Object.entries(identity.settings).find(
        ([k]) => k.toLowerCase() === String(name).toLowerCase(),
      )?.[1];
      return row('pg_catalog.pg_settings', {
        name,
        setting: value ?? boot,
        unit,
        category,
        short_desc: desc,
        context,
        vartype,
        source: value === undefined ? 'default' : 'configuration file',
        min_val: min,
        max_val: max,
        enumvals: enums,
        boot_val: boot,
        reset_val: value ?? boot,
        pending_restart: false,
      });
    }),
  };
  if (!builtins)
    for (const key of ['pg_catalog.pg_database', 'pg_catalog.pg_roles', 'pg_catalog.pg_user', 'pg_catalog.pg_settings'])
      delete out[key];
  for (const t of builtins ? CATALOG_RELATIONS : tables) {
    const oid = t.oid ?? stableOid(`table:${t.schema}.${t.table}`, taken);
    const ns = nsOid.get(t.schema)!;
    out['pg_catalog.pg_class'].push(
      row('pg_catalog.pg_class', {
        oid,
        relname: t.table,
        relnamespace: ns,
        relowner: OWNER.oid,
        relam: 2,
        reltuples: t.rows ?? -1,
        relpersistence: 'p',
        relkind: t.kind ?? 'r',
        relnatts: t.columns.length,
        relispopulated: true,
        relreplident: 'd',
      }),
    );
    out.strata_relation_sizes.push([oid, t.bytes]);
    if (t.kind !== 'v')
      out['pg_catalog.pg_tables'].push(
        row('pg_catalog.pg_tables', { schemaname: t.schema, tablename: t.table, tableowner: OWNER.name }),
      );
    if (t.description) out['pg_catalog.pg_description'].push([oid, PG_CLASS_OID, 0, t.description]);
    t.columns.forEach((c, i) => {
      const type = TYPES.get(c.type.oid) ?? {};
      out['pg_catalog.pg_attribute'].push(
        row('pg_catalog.pg_attribute', {
          attrelid: oid,
          attname: c.name,
          atttypid: c.type.oid,
          attstattarget: -1,
          attlen: c.type.len,
          attnum: i + 1,
          attcacheoff: -1,
          atttypmod: c.typmod,
          attbyval: type.typbyval,
          attalign: type.typalign,
          attstorage: type.typstorage,
          attcompression: '',
          attnotnull: !c.nullable,
          attidentity: '',
          attgenerated: '',
          attislocal: true,
          attcollation: Number(type.typcollation ?? 0) === DEFAULT_COLLATION ? DEFAULT_COLLATION : 0,
        }),
      );
      if (c.comment) out['pg_catalog.pg_description'].push([oid, PG_CLASS_OID, i + 1, c.comment]);
    });
  }
  return out;
}

/** information_schema's schemata, tables and columns. */
export function columnRows(tables: DescribedTable[], identity: CatalogIdentity, builtins = false): Rows {
  const db = identity.database;
  const fixed = ['pg_catalog', 'public', 'information_schema'];
  const schemas = builtins ? fixed : [...new Set(tables.map((t) => t.schema))].filter((s) => !fixed.includes(s));
  const relations = builtins ? CATALOG_RELATIONS : tables;
  return {
    'information_schema.schemata': schemas.map((s) =>
      row('information_schema.schemata', { catalog_name: db, schema_name: s, schema_owner: OWNER.name }),
    ),
    'information_schema.tables': relations.map((t) =>
      row('information_schema.tables', {
        table_catalog: db,
        table_schema: t.schema,
        table_name: t.table,
        table_type: t.kind === 'v' ? 'VIEW' : 'BASE TABLE',
        // (What the relation is, as PostgreSQL says: a table is insertable; privileges are apart.)
        is_insertable_into: t.kind === 'v' ? 'NO' : 'YES',
        is_typed: 'NO',
      }),
    ),
    'information_schema.columns': relations.flatMap((t) =>
      t.columns.map((c, i) => row('information_schema.columns', columnInfo(db, t, c, i + 1))),
    ),
  };
}

function columnInfo(db: string, t: DescribedTable, c: DescribedTable['columns'][number], position: number) {
  const oid = c.type.oid;
  const numeric = oid === 1700 && c.typmod >= 4;
  const precision: Record<number, number> = { 21: 16, 23: 32, 20: 64, 700: 24, 701: 53 };
  return {
    table_catalog: db,
    table_schema: t.schema,
    table_name: t.table,
    column_name: c.name,
    ordinal_position: position,
    is_nullable: c.nullable ? 'YES' : 'NO',
    data_type: TYPE_NAMES[oid] ?? 'USER-DEFINED',
    character_octet_length: oid === 25 ? 1073741824 : null,
    numeric_precision: numeric ? (c.typmod - 4) >> 16 : (precision[oid] ?? null),
    numeric_precision_radix: numeric ? 10 : precision[oid] ? 2 : null,
    numeric_scale: numeric ? (c.typmod - 4) & 0xffff : [20, 21, 23].includes(oid) ? 0 : null,
    datetime_precision: oid === 1082 ? 0 : [1083, 1114, 1184, 1186].includes(oid) ? 6 : null,
    udt_catalog: db,
    udt_schema: 'pg_catalog',
    udt_name: String(TYPES.get(oid)?.typname ?? c.type.name),
    dtd_identifier: String(position),
    is_self_referencing: 'NO',
    is_identity: 'NO',
    identity_cycle: 'NO',
    is_generated: 'NEVER',
    is_updatable: t.kind === 'v' ? 'NO' : 'YES',
  };
}
