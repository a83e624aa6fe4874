// The endpoint's pg_catalog and information_schema: PostgreSQL's own relations (their columns as
// PostgreSQL 15 has them, catalog-data.ts) held as tables in the endpoint's engine, with
// PostgreSQL's built-in rows (types with their real OIDs and receive functions, ranges, access
// methods, ...) and rows made from the project: its schemas, tables, columns with their PostgreSQL
// types (as the endpoint sends them in results), comments, sizes, the configured users. The tables'
// rows are made again when the lake's tables change (checked at most once a second, each table
// described again only when its version moved); a client reads either the old rows or the new.
import {
  describeSnapshot,
  latestVersion,
  loadSnapshot,
  quoteIdent,
  quoteLiteral,
  type ReadOnlyLake,
  type TableEntry,
} from '../project/index.js';
import { PG_VERSION, RELATIONS, ROWS, TYPE_NAMES } from './catalog-data.js';
import { catalogMacros } from './catalog-functions.js';
import { INFORMATION_SCHEMA, PG_CATALOG_SCHEMA } from './rewrite.js';
import { pgTypeOf } from './types.js';
import { columnRows, tableRows, type CatalogIdentity, type DescribedTable } from './catalog-rows.js';
export type { CatalogIdentity } from './catalog-rows.js';

/** The PostgreSQL version the catalog mirrors: `15.18`. */
export const PG_SERVER_VERSION = /PostgreSQL (\d+\.\d+)/.exec(PG_VERSION)?.[1] ?? '15.0';

const SCHEMAS: Record<string, string> = { 'pg_catalog.': PG_CATALOG_SCHEMA, 'information_schema.': INFORMATION_SCHEMA };
const CHECK_INTERVAL_MS = 1000;

export class PgCatalog {
  readonly pgCatalog = new Set<string>();
  readonly informationSchema = new Set<string>();
  private readonly described = new Map<string, DescribedTable>();
  private fingerprint = '';
  private checkedAt = 0;
  private refreshing: Promise<void> | undefined;

  private constructor(
    private readonly lake: ReadOnlyLake,
    private readonly identity: CatalogIdentity,
  ) {
    for (const key of Object.keys(RELATIONS)) {
      const [schema, name] = key.split('.');
      (schema === 'pg_catalog' ? this.pgCatalog : this.informationSchema).add(name);
    }
  }

  static async open(lake: ReadOnlyLake, identity: CatalogIdentity): Promise<PgCatalog> {
    const catalog = new PgCatalog(lake, identity);
    await catalog.create();
    await catalog.fresh(true);
    return catalog;
  }

  /** Brings the rows made from the project up to date with the lake (at most one look a second). */
  async fresh(force = false): Promise<void> {
    if (this.refreshing) return this.refreshing;
    if (!force && Date.now() - this.checkedAt < CHECK_INTERVAL_MS) return;
    this.refreshing = this.refresh().finally(() => {
      this.refreshing = undefined;
      this.checkedAt = Date.now();
    });
    return this.refreshing;
  }

  private async create(): Promise<void> {
    const statements = [`CREATE SCHEMA ${PG_CATALOG_SCHEMA}`, `CREATE SCHEMA ${INFORMATION_SCHEMA}`];
    for (const [key, { columns }] of Object.entries(RELATIONS)) {
      const cols = columns.map(([name, type]) => `${quoteIdent(name)} ${duckType(type)}`);
      statements.push(`CREATE TABLE ${qualified(key)} (${cols.join(', ')})`);
    }
    statements.push(
      `CREATE TABLE ${PG_CATALOG_SCHEMA}.strata_type_names (oid UINTEGER, name VARCHAR)`,
      `CREATE TABLE ${PG_CATALOG_SCHEMA}.strata_relation_sizes (oid UINTEGER, bytes BIGINT)`,
      `INSERT INTO ${PG_CATALOG_SCHEMA}.strata_type_names VALUES ${Object.entries(TYPE_NAMES)
        .map(([oid, name]) => `(${oid}, ${quoteLiteral(name)})`)
        .join(', ')}`,
    );
    for (const [table, rows] of Object.entries(ROWS)) statements.push(...insert(`pg_catalog.${table}`, rows));
    const version = `PostgreSQL ${PG_SERVER_VERSION} (Strata) on ${process.arch}-${process.platform}`;
    statements.push(...catalogMacros(version, new Date().toISOString()));
    await this.lake.withEngineSession(async (session) => {
      for (const sql of statements) await session.exec(sql);
    });
  }

  private async refresh(): Promise<void> {
    const tables = await this.lake.catalog.listTables();
    const versions = await Promise.all(tables.map((t) => latestVersion(t.location)));
    const fingerprint = tables.map((t, i) => `${t.name}@${versions[i]}`).join('\n');
    if (fingerprint === this.fingerprint) return;
    const described: DescribedTable[] = [];
    for (const [i, t] of tables.entries()) {
      const key = `${t.name}@${versions[i]}`;
      let d = this.described.get(key);
      if (!d) {
        d = await this.describe(t).catch(() => undefined);
        if (!d) continue; // (a table being created or removed: next time)
        this.described.set(key, d);
      }
      described.push(d);
    }
    for (const key of [...this.described.keys()])
      if (!fingerprint.split('\n').includes(key)) this.described.delete(key);
    await this.write(described);
    this.fingerprint = fingerprint;
  }

  private async describe(t: TableEntry): Promise<DescribedTable> {
    const detail = await this.lake.withEngineSession(async (session) =>
      describeSnapshot(await loadSnapshot(t.location, { session, name: t.name })),
    );
    const probe = await this.lake.query(`SELECT * FROM ${quoteIdent(t.schema)}.${quoteIdent(t.table)} LIMIT 0`, {
      dialect: 'duckdb',
    });
    return {
      schema: t.schema,
      table: t.table,
      description: detail.description,
      rows: detail.numRecords,
      bytes: detail.sizeInBytes,
      columns: probe.columns.map((c, i) => {
        const delta = detail.columns.find((d) => d.name === c.name) ?? detail.columns[i];
        return {
          name: c.name,
          ...pgTypeOf(c.type),
          nullable: delta?.nullable ?? true,
          comment: delta?.comment ?? null,
        };
      }),
    };
  }

  private async write(tables: DescribedTable[]): Promise<void> {
    const rows = { ...tableRows(tables, this.identity), ...columnRows(tables, this.identity) };
    const statements = ['BEGIN TRANSACTION'];
    for (const [key, values] of Object.entries(rows)) {
      statements.push(`DELETE FROM ${key.startsWith('strata_') ? `${PG_CATALOG_SCHEMA}.${key}` : qualified(key)}`);
      if (key.startsWith('strata_'))
        statements.push(
          ...values.map(
            (r) =>
              `INSERT INTO ${PG_CATALOG_SCHEMA}.${key} VALUES (${r.map((v) => sqlValue(v, 'VARCHAR')).join(', ')})`,
          ),
        );
      else statements.push(...insert(key, values));
    }
    statements.push('COMMIT');
    await this.lake.withEngineSession(async (session) => {
      try {
        for (const sql of statements) await session.exec(sql);
      } catch (err) {
        await session.exec('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }
}

/** The schema-qualified name of a relation (`pg_catalog.pg_class`) in the engine. */
function qualified(key: string): string {
  const dot = key.indexOf('.');
  return `${SCHEMAS[key.slice(0, dot + 1)]}.${quoteIdent(key.slice(dot + 1))}`;
}

/** INSERTs of rows (values in the relation's column order), a few hundred rows each. */
function insert(key: string, rows: unknown[][]): string[] {
  if (rows.length === 0) return [];
  const types = RELATIONS[key].columns.map(([, t]) => duckType(t));
  const out: string[] = [];
  for (let i = 0; i < rows.length; i += 200) {
    const values = rows.slice(i, i + 200).map((r) => `(${r.map((v, k) => sqlValue(v, types[k])).join(', ')})`);
    out.push(`INSERT INTO ${qualified(key)} VALUES ${values.join(', ')}`);
  }
  return out;
}

function sqlValue(v: unknown, type: string): string {
  if (v === null || v === undefined) return 'NULL';
  if (Array.isArray(v))
    return `CAST([${v.map((x) => (x === null ? 'NULL' : quoteLiteral(String(x)))).join(', ')}] AS ${type.endsWith('[]') ? type : 'VARCHAR[]'})`;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  return quoteLiteral(String(v));
}

/** The engine's type for a PostgreSQL catalog column's type. */
export function duckType(pg: string): string {
  if (pg.endsWith('[]')) {
    const element = duckType(pg.slice(0, -2));
    return element.endsWith('[]') ? 'VARCHAR[]' : `${element}[]`;
  }
  const types: Record<string, string> = {
    oid: 'UINTEGER',
    regproc: 'UINTEGER',
    regtype: 'UINTEGER',
    xid: 'UINTEGER',
    smallint: 'SMALLINT',
    integer: 'INTEGER',
    bigint: 'BIGINT',
    real: 'FLOAT',
    'double precision': 'DOUBLE',
    numeric: 'DOUBLE',
    boolean: 'BOOLEAN',
    'timestamp with time zone': 'TIMESTAMPTZ',
    interval: 'INTERVAL',
    bytea: 'BLOB',
    oidvector: 'UINTEGER[]',
    int2vector: 'SMALLINT[]',
  };
  return types[pg] ?? 'VARCHAR';
}
