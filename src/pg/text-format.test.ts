// PostgreSQL's text forms as text-format.ts writes them. Each expectation is what PostgreSQL 15
// printed for the same value (psql -At, TimeZone UTC unless said), e.g.
//   SELECT 1e15::float8, 1e14::float8, 0.00001::float8, 1e6::float4, 1234567::float4  →
//   1e+15 | 100000000000000 | 1e-05 | 1e+06 | 1.234567e+06
// (float8out/float4out: src/common/d2s.c and f2s.c; datetime.c's EncodeDateOnly/EncodeTimezone).
// test/integration/pg-differential.test.ts compares whole results with a running PostgreSQL.
import { describe, expect, it } from 'vitest';
import {
  float4Text,
  float8Text,
  scaledText,
  writeCachedDate,
  writeDigits,
  writeOffset,
  writeScaled,
  writeTime,
} from './text-format.js';

const written = (write: (buf: Buffer, at: number) => number): string => {
  const buf = Buffer.alloc(64);
  return buf.toString('latin1', 0, write(buf, 0));
};

describe('text forms as PostgreSQL writes them', () => {
  it('integers and decimals, all of the scale', () => {
    for (const v of [0, 7, 10, 99, 100, 12345, 2147483647, 2147483648, 9007199254740991])
      expect(written((b, at) => writeDigits(b, at, v))).toBe(String(v));
    expect(written((b, at) => writeScaled(b, at, 1050, 2))).toBe('10.50');
    expect(written((b, at) => writeScaled(b, at, -5, 2))).toBe('-0.05');
    expect(written((b, at) => writeScaled(b, at, 0, 2))).toBe('0.00');
    expect(written((b, at) => writeScaled(b, at, 9007199254740991, 6))).toBe('9007199254.740991');
    expect(written((b, at) => writeScaled(b, at, -3, 0))).toBe('-3');
    expect(scaledText(-99999999999999999999999999999999999999n, 6)).toBe('-99999999999999999999999999999999.999999');
    expect(scaledText(1n, 6)).toBe('0.000001');
  });

  it('floats: shortest digits, fixed for exponents in [-4, 15) (float4: [-4, 6)), else d.ddde±XX', () => {
    expect([1e15, 1e14, 1e-4, 1e-5, 123456789012345678, -1.5e-7, 1e300, 0.1].map(float8Text)).toEqual([
      '1e+15',
      '100000000000000',
      '0.0001',
      '1e-05',
      '1.2345678901234568e+17',
      '-1.5e-07',
      '1e+300',
      '0.1',
    ]);
    expect([NaN, Infinity, -Infinity, -0].map(float8Text)).toEqual(['NaN', 'Infinity', '-Infinity', '-0']);
    const f4 = (v: number) => float4Text(Math.fround(v));
    expect([0.1, 1.1, 3.14159, 1e6, 1234567, 16777216, 1e-5, 100000].map(f4)).toEqual([
      '0.1',
      '1.1',
      '3.14159',
      '1e+06',
      '1.234567e+06',
      '1.6777216e+07',
      '1e-05',
      '100000',
    ]);
  });

  it('dates past year 9999, times with their fraction trimmed, offsets with minutes and seconds', () => {
    // SELECT '10000-01-01'::date → 10000-01-01; '1900-01-01 00:00:00+00'::timestamptz in Asia/Kolkata →
    // 1900-01-01 05:21:10+05:21:10; in America/St_Johns → 1899-12-31 20:29:08-03:30:52.
    expect(written((b, at) => writeCachedDate(b, at, 2932897))).toBe('10000-01-01');
    expect(written((b, at) => writeCachedDate(b, at, 0))).toBe('1970-01-01');
    expect(written((b, at) => writeCachedDate(b, at, -1))).toBe('1969-12-31');
    expect(written((b, at) => writeTime(b, at, 45_296_789_000))).toBe('12:34:56.789');
    expect(written((b, at) => writeTime(b, at, 1))).toBe('00:00:00.000001');
    expect(written((b, at) => writeTime(b, at, 86_400_000_000))).toBe('24:00:00');
    expect(written((b, at) => writeOffset(b, at, 0))).toBe('+00');
    expect(written((b, at) => writeOffset(b, at, 19270))).toBe('+05:21:10');
    expect(written((b, at) => writeOffset(b, at, -12652))).toBe('-03:30:52');
    expect(written((b, at) => writeOffset(b, at, -12600))).toBe('-03:30');
    expect(written((b, at) => writeOffset(b, at, 3600))).toBe('+01');
  });
});
