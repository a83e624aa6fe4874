import { describe, expect, it } from 'vitest';
import { EngineError, StrataError, UserSqlError } from '../core/index.js';
import * as os from 'node:os';
import { defaultMemoryLimit, Engine, readEngineMessage, settingsFromEnv } from './engine.js';
import { quoteIdent, quoteLiteral, quoteStringList } from './quote.js';

describe('engine', () => {
  it('applies thread, memory and time zone settings', async () => {
    const engine = await Engine.create({ threads: 1, memoryLimit: '512MB', timeZone: 'America/New_York' });
    try {
      const rows = await engine.withSession((s) =>
        s.rows<{ t: string; m: string; tz: string }>(
          `SELECT current_setting('threads')::VARCHAR AS t, current_setting('memory_limit') AS m, current_setting('TimeZone') AS tz`,
        ),
      );
      expect(rows[0].t).toBe('1');
      expect(rows[0].m).toMatch(/^48\d(\.\d)? MiB$|^512\.0 MB$/);
      expect(rows[0].tz).toBe('America/New_York');
    } finally {
      engine.close();
    }
  });

  it('uses half of the machine’s memory unless told otherwise (DuckDB alone would take 80%)', async () => {
    expect(defaultMemoryLimit(24 * 2 ** 30)).toBe('12288MiB');
    expect(defaultMemoryLimit(256 * 2 ** 20)).toBe('256MiB');
    const engine = await Engine.create();
    try {
      const [row] = await engine.withSession((s) =>
        s.rows<{ m: bigint }>(`SELECT value::VARCHAR AS m FROM duckdb_settings() WHERE name = 'memory_limit'`),
      );
      const gib = Number(/^([\d.]+) GiB$/.exec(String(row.m))?.[1]);
      expect(Math.abs(gib - os.totalmem() / 2 / 2 ** 30)).toBeLessThan(0.1);
    } finally {
      engine.close();
    }
  });

  it('loads no extension from the network', async () => {
    const engine = await Engine.create();
    try {
      const err = await engine.withSession((s) => s.exec(`SELECT * FROM delta_scan('x')`)).catch((e) => e);
      expect(err).toBeInstanceOf(StrataError);
    } finally {
      engine.close();
    }
  });

  it("wraps engine failures in one EngineError, not yet the user's or Strata's: the message, the statement, its kind and place", async () => {
    const engine = await Engine.create();
    try {
      const sql = 'SELECT 1 AS a,\n  nope FROM range(1)';
      const err = await engine.withSession((s) => s.query(sql)).catch((e) => e);
      expect(err).toBeInstanceOf(EngineError);
      expect(err).not.toBeInstanceOf(UserSqlError);
      expect(err.code).toBe('SQL_ERROR');
      expect(err.message).toMatch(/Binder Error: Referenced column "nope" not found/);
      expect(err.sql).toBe(sql);
      expect(err.kind).toBe('Binder');
      expect(err.aboutText).toBe(true);
      expect(err.engineMessage).not.toMatch(/LINE/);
      expect(sql.slice(err.position)).toMatch(/^nope/);
      const data = await engine.withSession((s) => s.exec(`SELECT CAST('x' AS INT)`)).catch((e) => e);
      expect([data.kind, data.aboutData]).toEqual(['Conversion', true]);
    } finally {
      engine.close();
    }
  });

  it('finds the place DuckDB points at in a long line it shows cut', () => {
    const sql = `SELECT ${Array.from({ length: 40 }, (_, i) => `c${i}`).join(', ')}, nope FROM t`;
    const shown = 'LINE 1: ...c35, c36, c37, c38, c39, nope FROM t';
    const message = `Binder Error: Referenced column "nope" not found\n\n${shown}\n${' '.repeat(shown.indexOf('nope'))}^`;
    const read = readEngineMessage(message, sql);
    expect(read.kind).toBe('Binder');
    expect(read.engineMessage).toBe('Binder Error: Referenced column "nope" not found');
    expect(sql.slice(read.position)).toBe('nope FROM t');
  });

  it('returns exact integers as numbers and wide ones as strings', async () => {
    const engine = await Engine.create();
    try {
      const r = await engine.withSession((s) =>
        s.query('SELECT 42::BIGINT AS a, 9007199254740993::BIGINT AS b, 1.50::DECIMAL(4,2) AS c'),
      );
      expect(r.columns.map((c) => c.type)).toEqual(['BIGINT', 'BIGINT', 'DECIMAL(4,2)']);
      expect(r.rows[0]).toEqual([42, '9007199254740993', '1.50']);
    } finally {
      engine.close();
    }
  });

  it('reads settings from the environment and rejects bad ones', () => {
    expect(settingsFromEnv({ STRATA_THREADS: '3', STRATA_MEMORY_LIMIT: '2GB' })).toEqual({
      threads: 3,
      memoryLimit: '2GB',
    });
    expect(() => settingsFromEnv({ STRATA_THREADS: 'many' })).toThrow(/STRATA_THREADS must be a whole number/);
  });
});

describe('quoting', () => {
  it('doubles embedded quotes so user text stays text', async () => {
    expect(quoteIdent('we"ird')).toBe('"we""ird"');
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(quoteStringList(['a', "b'c"])).toBe("['a', 'b''c']");
    const engine = await Engine.create();
    try {
      const evil = `x'; DROP TABLE t; --`;
      const r = await engine.withSession((s) => s.query(`SELECT ${quoteLiteral(evil)} AS ${quoteIdent('a"b')}`));
      expect(r.columns[0].name).toBe('a"b');
      expect(r.rows[0][0]).toBe(evil);
    } finally {
      engine.close();
    }
  });
});
