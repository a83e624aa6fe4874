// PostgreSQL's text output of numbers, dates and times, written as ASCII bytes in place (no string
// per value): the forms of PostgreSQL 15's int8out, numeric_out, float8out/float4out (shortest
// digits, src/common/d2s.c and f2s.c: fixed when the decimal exponent is in [-4, 15) resp. [-4, 6),
// else d.ddde±XX), date_out/timestamp_out/timestamptz_out with DateStyle ISO (EncodeDateOnly,
// EncodeDateTime, EncodeTimezone in src/backend/utils/adt/datetime.c: year ≤ 0 as "n BC", seconds
// with their fraction's trailing zeros dropped, the offset as +HH[:MM[:SS]]), time_out.

import { civilFromDays } from './engine-values.js';

const TWO_32 = 4294967296;
const DAY_MICROS = 86_400_000_000;

/** "00" to "99", two bytes each. */
const PAIRS = Uint8Array.from(Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0')).join(''), (c) =>
  c.charCodeAt(0),
);

function digitCount(v: number): number {
  if (v < 100000) return v < 100 ? (v < 10 ? 1 : 2) : v < 1000 ? 3 : v < 10000 ? 4 : 5;
  return v < 10000000 ? (v < 1000000 ? 6 : 7) : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10;
}

/** Writes a non-negative safe integer's digits at `at`; returns the end. */
export function writeDigits(buf: Uint8Array, at: number, v: number): number {
  if (v < 10) {
    buf[at] = 48 + v;
    return at + 1;
  }
  if (v < 2147483648) {
    // 32-bit integer arithmetic, two digits at a time: the common case.
    const n = digitCount(v);
    let p = at + n;
    let t = v;
    while (t >= 100) {
      const q = (t / 100) | 0;
      const k = (t - q * 100) << 1;
      buf[--p] = PAIRS[k + 1];
      buf[--p] = PAIRS[k];
      t = q;
    }
    if (t >= 10) {
      buf[--p] = PAIRS[(t << 1) + 1];
      buf[--p] = PAIRS[t << 1];
    } else buf[--p] = 48 + t;
    return at + n;
  }
  let n = 1;
  for (let t = v; t >= 10; n++) t = Math.floor(t / 10);
  let p = at + n;
  let t = v;
  while (t >= 10) {
    const q = Math.floor(t / 10);
    buf[--p] = 48 + (t - q * 10);
    t = q;
  }
  buf[p - 1] = 48 + t;
  return at + n;
}

/** Writes ASCII text (digits of a big integer, a float's form) at `at`; returns the end. */
export function writeAscii(buf: Uint8Array, at: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[at + i] = s.charCodeAt(i);
  return at + s.length;
}

/** A number below 100 as two digits. */
function two(buf: Uint8Array, at: number, v: number): void {
  buf[at] = PAIRS[v << 1];
  buf[at + 1] = PAIRS[(v << 1) + 1];
}

/** At least `width` digits, zero-padded (years: %04d; fractions). */
function padded(buf: Uint8Array, at: number, v: number, width: number): number {
  let n = 1;
  for (let t = v; t >= 10; n++) t = Math.floor(t / 10);
  for (; n < width; n++) buf[at++] = 48;
  return writeDigits(buf, at, v);
}

/**
 * An integer held as two 32-bit halves (`lo` unsigned, `hi` signed) as a safe number, or undefined
 * when it is not one (the caller goes through BigInt).
 */
export function safeInt64(lo: number, hi: number): number | undefined {
  return hi < 0x200000 && hi >= -0x200000 ? hi * TWO_32 + lo : undefined;
}

/** An integer's digits (sign included). */
export function writeInteger(buf: Uint8Array, at: number, v: number): number {
  if (v < 0) {
    buf[at++] = 45;
    v = -v;
  }
  return writeDigits(buf, at, v);
}

/** A decimal `v / 10^scale` (v a safe integer) as numeric_out writes it: all `scale` digits. */
export function writeScaled(buf: Uint8Array, at: number, v: number, scale: number): number {
  if (scale === 0) return writeInteger(buf, at, v);
  if (v < 0) {
    buf[at++] = 45;
    v = -v;
  }
  const unit = POW10[scale];
  const whole = v < 2147483648 ? (v / unit) | 0 : Math.floor(v / unit);
  at = writeDigits(buf, at, whole);
  buf[at++] = 46;
  return writeFraction(buf, at, v - whole * unit, scale);
}

/** `f` (< 10^digits) as exactly `digits` digits, zero-padded. */
function writeFraction(buf: Uint8Array, at: number, f: number, digits: number): number {
  let p = at + digits;
  while (p - at >= 2) {
    const q = f < 2147483648 ? (f / 100) | 0 : Math.floor(f / 100);
    const k = (f - q * 100) << 1;
    buf[--p] = PAIRS[k + 1];
    buf[--p] = PAIRS[k];
    f = q;
  }
  if (p > at) buf[--p] = 48 + f;
  return at + digits;
}

/** A decimal from a big integer's digits (an unsafe value), `scale` digits after the point. */
export function scaledText(digits: bigint, scale: number): string {
  const negative = digits < 0n;
  const s = (negative ? -digits : digits).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? s : `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
  return negative ? `-${text}` : text;
}

export const POW10 = Array.from({ length: 19 }, (_, i) => 10 ** i);

/** A date (days since 1970-01-01, proleptic Gregorian) as date_out writes it, BC included. */
export function writeDate(buf: Uint8Array, at: number, days: number): number {
  const { year, month, day } = civilFromDays(days);
  at = padded(buf, at, year > 0 ? year : 1 - year, 4);
  buf[at] = 45;
  two(buf, at + 1, month);
  buf[at + 3] = 45;
  two(buf, at + 4, day);
  return at + 6;
}

// Dates written lately, by days & 4095 (a sales table's dates repeat: one computation each).
const DATE_KEYS = new Int32Array(4096).fill(-2147483648);
const DATE_LENGTHS = new Uint8Array(4096);
const DATE_TEXTS = new Uint8Array(4096 * 16);

/** writeDate, from a cache of the dates written lately. */
export function writeCachedDate(buf: Uint8Array, at: number, days: number): number {
  const k = days & 4095;
  if (DATE_KEYS[k] === days) {
    const n = DATE_LENGTHS[k];
    for (let j = 0, o = k * 16; j < n; j++) buf[at + j] = DATE_TEXTS[o + j];
    return at + n;
  }
  const end = writeDate(buf, at, days);
  if (end - at <= 16) {
    DATE_KEYS[k] = days;
    DATE_LENGTHS[k] = end - at;
    for (let j = 0, o = k * 16; j < end - at; j++) DATE_TEXTS[o + j] = buf[at + j];
  }
  return end;
}

/** Whether the date of `days` is before year 1 (written with " BC" at the very end). */
export function isBC(days: number): boolean {
  return days < -719162; // 0001-01-01
}

export function writeBC(buf: Uint8Array, at: number): number {
  return writeAscii(buf, at, ' BC');
}

/** A time of day in microseconds as HH:MM:SS[.ffffff] (trailing zeros of the fraction dropped). */
export function writeTime(buf: Uint8Array, at: number, micros: number): number {
  const seconds = Math.floor(micros / 1e6);
  let fraction = micros - seconds * 1e6;
  two(buf, at, (seconds / 3600) | 0);
  buf[at + 2] = 58;
  two(buf, at + 3, ((seconds / 60) | 0) % 60);
  buf[at + 5] = 58;
  two(buf, at + 6, seconds % 60);
  at += 8;
  if (fraction === 0) return at;
  buf[at++] = 46;
  let digits = 6;
  while (fraction % 10 === 0) {
    fraction /= 10;
    digits--;
  }
  return writeFraction(buf, at, fraction, digits);
}

/** Days and microseconds of the day of a micros-since-epoch count held as two halves. */
export function splitMicros(lo: number, hi: number, out: { days: number; micros: number }): void {
  const v = safeInt64(lo, hi);
  if (v !== undefined) {
    const days = Math.floor(v / DAY_MICROS);
    out.days = days;
    out.micros = v - days * DAY_MICROS;
    return;
  }
  const big = (BigInt(hi) << 32n) | BigInt(lo);
  let days = big / BigInt(DAY_MICROS);
  if (big < 0n && days * BigInt(DAY_MICROS) !== big) days -= 1n;
  out.days = Number(days);
  out.micros = Number(big - days * BigInt(DAY_MICROS));
}

/** A UTC offset in seconds (east positive) as EncodeTimezone writes it: +HH, +HH:MM or +HH:MM:SS. */
export function writeOffset(buf: Uint8Array, at: number, seconds: number): number {
  if (seconds === 0) {
    buf[at] = 43; // +00
    buf[at + 1] = buf[at + 2] = 48;
    return at + 3;
  }
  buf[at++] = seconds >= 0 ? 43 : 45;
  let s = Math.abs(seconds);
  const hours = Math.floor(s / 3600);
  s -= hours * 3600;
  const minutes = Math.floor(s / 60);
  s -= minutes * 60;
  at = padded(buf, at, hours, 2);
  if (minutes === 0 && s === 0) return at;
  buf[at] = 58;
  two(buf, at + 1, minutes);
  at += 3;
  if (s === 0) return at;
  buf[at] = 58;
  two(buf, at + 1, s);
  return at + 3;
}

/** A float8 as float8out writes it (extra_float_digits ≥ 1: shortest exact digits). */
export function float8Text(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const a = Math.abs(v);
  if (a >= 1e-4 && a < 1e15) return String(v);
  return exponential(v.toExponential());
}

/** A float4 (widened to a double) as float4out writes it: the shortest digits that read back as it. */
export function float4Text(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  let shortest = v;
  for (let p = 1; p <= 9; p++) {
    const candidate = Number(v.toPrecision(p));
    if (Math.fround(candidate) === v) {
      shortest = candidate;
      break;
    }
  }
  const e = shortest.toExponential();
  const exp = Number(e.slice(e.indexOf('e') + 1));
  return exp >= -4 && exp < 6 ? String(shortest) : exponential(e);
}

/** JS's d.ddde+X as PostgreSQL's d.ddde+XX (two exponent digits at least). */
function exponential(e: string): string {
  const at = e.indexOf('e');
  const sign = e[at + 1];
  const digits = e.slice(at + 2);
  return `${e.slice(0, at)}e${sign}${digits.length < 2 ? `0${digits}` : digits}`;
}
