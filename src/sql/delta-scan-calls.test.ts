import { describe, expect, it } from 'vitest';
import { findDeltaScanCalls } from './delta-scan-calls.js';

describe('finding delta_scan calls', () => {
  it('finds calls with version and timestamp arguments and notes aliases', () => {
    const sql = `SELECT * FROM delta_scan('a/b') t JOIN delta_scan('c''d', version => 3) ON true, delta_scan('e', timestamp => '2026-01-01') WHERE 1=1`;
    const calls = findDeltaScanCalls(sql);
    expect(calls.map((c) => [c.path, c.version, c.timestamp, c.hasAlias])).toEqual([
      ['a/b', undefined, undefined, true],
      ["c'd", 3, undefined, false],
      ['e', undefined, '2026-01-01', false],
    ]);
    expect(sql.slice(calls[0].start, calls[0].end)).toBe("delta_scan('a/b')");
  });

  it('ignores delta_scan inside strings and comments', () => {
    expect(findDeltaScanCalls(`SELECT 'delta_scan(''x'')' -- delta_scan('y')\n/* delta_scan('z') */`)).toEqual([]);
  });

  it('rejects a non-literal path with line and column', () => {
    expect(() => findDeltaScanCalls('SELECT 1\nFROM delta_scan(some_column)')).toThrowError(
      /line 2, column 17: the first argument must be the table path/,
    );
  });

  it('rejects unknown named arguments', () => {
    expect(() => findDeltaScanCalls(`SELECT * FROM delta_scan('x', versoin => 1)`)).toThrowError(
      /unknown argument 'versoin'/,
    );
  });
});
