import { describe, expect, it } from 'vitest';
import { StrataError, UserSqlError } from '../core/index.js';
import { Engine, settingsFromEnv } from './engine.js';
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

  it('loads no extension from the network', async () => {
    const engine = await Engine.create();
    try {
      const err = await engine.withSession((s) => s.exec(`SELECT * FROM delta_scan('x')`)).catch((e) => e);
      expect(err).toBeInstanceOf(StrataError);
    } finally {
      engine.close();
    }
  });

  it('types user SQL mistakes as UserSqlError with the engine message', async () => {
    const engine = await Engine.create();
    try {
      const err = await engine.withSession((s) => s.query('SELECT nope FROM range(1)')).catch((e) => e);
      expect(err).toBeInstanceOf(UserSqlError);
      expect(err.message).toMatch(/Binder Error: Referenced column "nope" not found/);
    } finally {
      engine.close();
    }
  });

  it('returns exact integers as numbers and wide ones as strings', async () => {
    const engine = await Engine.create();
    try {
      const r = await engine.withSession((s) => s.query('SELECT 42::BIGINT AS a, 9007199254740993::BIGINT AS b, 1.50::DECIMAL(4,2) AS c'));
      expect(r.columns.map((c) => c.type)).toEqual(['BIGINT', 'BIGINT', 'DECIMAL(4,2)']);
      expect(r.rows[0]).toEqual([42, '9007199254740993', '1.50']);
    } finally {
      engine.close();
    }
  });

  it('reads settings from the environment and rejects bad ones', () => {
    expect(settingsFromEnv({ STRATA_THREADS: '3', STRATA_MEMORY_LIMIT: '2GB' })).toEqual({ threads: 3, memoryLimit: '2GB' });
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
