import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCatalog, quarantinedTableOf, quarantineLocation, tableExists, tableHasCommits } from './catalog.js';

const dir = mkdtempSync(path.join(tmpdir(), 'strata-catalog-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const table = (rel: string, commit = true) => {
  mkdirSync(path.join(dir, rel, '_delta_log'), { recursive: true });
  if (commit) writeFileSync(path.join(dir, rel, '_delta_log', '00000000000000000000.json'), '{}\n');
};

describe('the catalog', () => {
  const catalog = createCatalog({ projectDir: dir, lakeRoot: 'data/tables' });

  it('maps schema.table, one-part names, system.* and delta.`path` to folders', () => {
    expect(catalog.lakeRoot).toBe(path.join(dir, 'data/tables'));
    expect(catalog.resolve({ kind: 'name', parts: ['silver', 'orders'] })).toEqual({
      location: path.join(dir, 'data/tables/silver/orders'),
      display: 'silver.orders',
    });
    expect(catalog.resolve({ kind: 'name', parts: ['orders'] }).location).toBe(
      path.join(dir, 'data/tables/default/orders'),
    );
    expect(catalog.resolve({ kind: 'name', parts: ['SYSTEM', 'event_log'] }).location).toBe(
      path.join(dir, 'data/tables/_system/event_log'),
    );
    expect(catalog.system('ingest_files')).toBe(path.join(dir, 'data/tables/_system/ingest_files'));
    expect(catalog.resolve({ kind: 'path', path: 'elsewhere/t' })).toEqual({
      location: path.join(dir, 'elsewhere/t'),
      display: 'elsewhere/t',
    });
    expect(catalog.locationOf('gold.sales')).toBe(path.join(dir, 'data/tables/gold/sales'));
  });

  it('refuses names that would leave the lake or have too many parts', () => {
    expect(() => catalog.resolve({ kind: 'name', parts: ['..', 'x'] })).toThrow(/not valid/);
    expect(() => catalog.resolve({ kind: 'name', parts: ['a/b', 'x'] })).toThrow(/not valid/);
    expect(() => catalog.resolve({ kind: 'name', parts: ['a', 'b', 'c', 'd'] })).toThrow(/too many parts/);
  });

  it('finds existing tables only, names folders back, and lists the project (system tables as system.*)', async () => {
    table('data/tables/bronze/orders');
    table('data/tables/bronze/orders_quarantine');
    table('data/tables/_system/event_log');
    table('data/tables/default/scratch');
    mkdirSync(path.join(dir, 'data/tables/bronze/not_a_table'), { recursive: true });
    expect(catalog.find({ kind: 'name', parts: ['bronze', 'orders'] })).toBe(
      path.join(dir, 'data/tables/bronze/orders'),
    );
    expect(catalog.find({ kind: 'name', parts: ['bronze', 'not_a_table'] })).toBeUndefined();
    expect(catalog.find({ kind: 'name', parts: ['scratch'] })).toBe(path.join(dir, 'data/tables/default/scratch'));
    expect(catalog.find({ kind: 'name', parts: ['cte_name'] })).toBeUndefined();
    expect(catalog.exists('bronze.orders')).toBe(true);
    expect(catalog.exists('data/tables/bronze/orders')).toBe(true);
    expect(catalog.nameOf(path.join(dir, 'data/tables/_system/event_log'))).toBe('system.event_log');
    expect(catalog.nameOf(path.join(dir, 'elsewhere/t'))).toBeUndefined();
    expect((await catalog.listTables()).map((t) => [t.name, t.system])).toEqual([
      ['system.event_log', true],
      ['bronze.orders', false],
      ['bronze.orders_quarantine', false],
      ['default.scratch', false],
    ]);
  });

  it('knows quarantines, and a log folder with no commit yet', () => {
    expect(quarantineLocation(path.join(dir, 'x/t/'))).toBe(path.join(dir, 'x/t_quarantine'));
    expect(quarantinedTableOf('bronze.orders_quarantine')).toBe('bronze.orders');
    expect(quarantinedTableOf('bronze.orders')).toBeUndefined();
    table('data/tables/bronze/half', false);
    // A log folder whose first commit never landed is no table yet.
    expect(tableExists(path.join(dir, 'data/tables/bronze/half'))).toBe(false);
    expect(tableHasCommits(path.join(dir, 'data/tables/bronze/half'))).toBe(false);
    expect(tableHasCommits(path.join(dir, 'data/tables/bronze/orders'))).toBe(true);
  });
});
