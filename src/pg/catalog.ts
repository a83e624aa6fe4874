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
  appendRows,
  quoteIdent,
  type ReadOnlyLake,
  type TableEntry,
} from '../project/index.js';
import { PG_VERSION, RELATIONS, ROWS, TYPE_NAMES } from './catalog-data.js';
import { catalogMacros } from './catalog-functions.js';
import { INFORMATION_SCHEMA, PG_CATALOG_SCHEMA } from './rewrite.js';
import { pgTypeOf } from './types.js';
import { columnRows, PROJECT_ROWS, tableRows, type CatalogIdentity, type DescribedTable } from './catalog-rows.js';
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
    );
    const version = `PostgreSQL ${PG_SERVER_VERSION} (Strata) on ${process.arch}-${process.platform}`;
    await this.lake.withEngineSession(async (session) => {
      for (const sql of statements) await session.exec(sql);
      await appendRows(session, PG_CATALOG_SCHEMA, 'strata_type_names', Object.entries(TYPE_NAMES));
      for (const [table, rows] of Object.entries(ROWS)) await appendRows(session, PG_CATALOG_SCHEMA, table, rows);
      for (const sql of catalogMacros(version, new Date().toISOString())) await session.exec(sql);
    });
    await this.write([], true);
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
    const current = new Set(fingerprint.split('\n'));
    for (const key of [...this.described.keys()]) if (!current.has(key)) this.described.delete(key);
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

  /** Writes the project's rows in place of the last ones (`builtins`: PostgreSQL's own, once). */
  private async write(tables: DescribedTable[], builtins = false): Promise<void> {
    const rows = { ...tableRows(tables, this.identity, builtins), ...columnRows(tables, this.identity, builtins) };
    await this.lake.withEngineSession(async (session) => {
      await session.exec('BEGIN TRANSACTION');
      try {
        for (const [key, values] of Object.entries(rows)) {
          const [schema, table] = key.startsWith('strata_') ? [PG_CATALOG_SCHEMA, key] : place(key);
          if (!builtins) await session.exec(`DELETE FROM ${schema}.${quoteIdent(table)} WHERE ${PROJECT_ROWS[key]}`);
          await appendRows(session, schema, table, values);
        }
        await session.exec('COMMIT');
      } catch (err) {
        await session.exec('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }
}

/** Where a relation (`pg_catalog.pg_class`) is in the engine: its schema and table. */
function place(key: string): [string, string] {
  const dot = key.indexOf('.');
  return [SCHEMAS[key.slice(0, dot + 1)], key.slice(dot + 1)];
}

/** The schema-qualified name of a relation in the engine. */
function qualified(key: string): string {
  const [schema, table] = place(key);
  return `${schema}.${quoteIdent(table)}`;
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
