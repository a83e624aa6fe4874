// PostgreSQL's binary format (each type's *send and *recv function in PostgreSQL's
// src/backend/utils/adt): result values, as the engine's JSON-safe rows hold them
// (engine-values.ts), in the bytes a client reads when it asks for format 1; and binary
// parameters back to the text their SQL literal is made of. Dates count days and timestamps
// microseconds from 2000-01-01 (UTC for a timestamptz), with the integer extremes for infinity;
// numeric is base-10000 digit groups; interval is microseconds, days, months.
import { StrataError } from '../core/index.js';
import {
  blobBytes,
  clockMicros,
  dateDays,
  dateOfDays,
  engineDateInfinity,
  isEngineInterval,
  MICROS_PER_DAY,
  timestampMicros,
  timestampOfMicros,
} from './engine-values.js';
import { PG, textValue, type PgType } from './types.js';

/** Days from 1970-01-01 (the engine's epoch) to 2000-01-01 (PostgreSQL's). */
const PG_EPOCH_DAYS = 10_957;
const PG_EPOCH_MICROS = BigInt(PG_EPOCH_DAYS) * MICROS_PER_DAY;
const INT32_MAX = 2 ** 31 - 1;
const INT32_MIN = -(2 ** 31);
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
/** pg_type's oid type (the catalog's OID columns). */
const OID_OID = 26;
const NUMERIC_POS = 0x0000;
const NUMERIC_NEG = 0x4000;
const NUMERIC_NAN = 0xc000;
const NUMERIC_PINF = 0xd000;
const NUMERIC_NINF = 0xf000;

/** A value (as the engine's JSON-safe rows hold it) in PostgreSQL's binary format; null for NULL. */
export function binaryValue(v: unknown, type: PgType): Buffer | null {
  if (v === null || v === undefined) return null;
  switch (type.oid) {
    case PG.bool.oid:
      return Buffer.from([v === true || v === 'true' ? 1 : 0]);
    case PG.int2.oid:
      return fixed(2, (b) => b.writeInt16BE(Number(v)));
    case PG.int4.oid:
      return fixed(4, (b) => b.writeInt32BE(Number(v)));
    case PG.int8.oid:
      return fixed(8, (b) => b.writeBigInt64BE(BigInt(String(v))));
    case OID_OID: // oidsend: an unsigned int32
      return fixed(4, (b) => b.writeUInt32BE(Number(v)));
    case PG.float4.oid:
      return fixed(4, (b) => b.writeFloatBE(floatOf(v)));
    case PG.float8.oid:
      return fixed(8, (b) => b.writeDoubleBE(floatOf(v)));
    case PG.numeric.oid:
      return numericSend(String(v));
    case PG.date.oid:
      return fixed(4, (b) => b.writeInt32BE(pgDate(String(v))));
    case PG.time.oid:
      return fixed(8, (b) => b.writeBigInt64BE(clockMicros(String(v))));
    case PG.timestamp.oid:
    case PG.timestamptz.oid:
      return fixed(8, (b) => b.writeBigInt64BE(pgTimestamp(String(v))));
    case PG.interval.oid:
      return intervalSend(v);
    case PG.uuid.oid:
      return uuidSend(String(v));
    case PG.bytea.oid:
      return blobBytes(v);
    default:
      // text, varchar and json: their binary format is their text (json_send sends the text as is)
      return textValue(v, type);
  }
}

function fixed(len: number, write: (b: Buffer) => void): Buffer {
  const b = Buffer.alloc(len);
  write(b);
  return b;
}

/** A float from a number or the engine's "NaN", "Infinity", "-Infinity". */
function floatOf(v: unknown): number {
  if (typeof v === 'number') return v;
  const n = Number(String(v).trim());
  if (String(v).trim() === '' || (Number.isNaN(n) && !/^[+-]?nan$/i.test(String(v).trim())))
    throw new StrataError('INTERNAL', `not a floating-point value: ${JSON.stringify(v)}`);
  return n;
}

// ---- numeric ----

/**
 * numeric_send: int16 ndigits, int16 weight (of the first base-10000 group), uint16 sign, int16
 * dscale (decimal digits after the point), then the groups, without leading or trailing zero groups.
 */
export function numericSend(text: string): Buffer {
  const t = text.trim();
  if (/^nan$/i.test(t)) return numericHeader(0, 0, NUMERIC_NAN, 0, []);
  // PostgreSQL sends a dscale of 32 with an infinity (its header's bits read as a short numeric's dscale).
  if (/^\+?inf(inity)?$/i.test(t)) return numericHeader(0, 0, NUMERIC_PINF, 32, []);
  if (/^-inf(inity)?$/i.test(t)) return numericHeader(0, 0, NUMERIC_NINF, 32, []);
  const m = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(t);
  if (!m || (m[2] === '' && (m[3] ?? '') === ''))
    throw new StrataError('INTERNAL', `not a decimal value: ${JSON.stringify(text)}`);
  let int = m[2];
  let frac = m[3] ?? '';
  const exp = Number(m[4] ?? 0);
  if (exp > 0) {
    const moved = frac.padEnd(exp, '0');
    int += moved.slice(0, exp);
    frac = moved.slice(exp);
  } else if (exp < 0) {
    const moved = int.padStart(-exp, '0');
    frac = moved.slice(moved.length + exp) + frac;
    int = moved.slice(0, moved.length + exp);
  }
  const dscale = frac.length;
  int = int.replace(/^0+/, '');
  const intGroups = groups(int.padStart(Math.ceil(int.length / 4) * 4, '0'));
  const fracGroups = groups(frac.padEnd(Math.ceil(frac.length / 4) * 4, '0'));
  let digits = [...intGroups, ...fracGroups];
  let weight = intGroups.length - 1;
  while (digits.length > 0 && digits[0] === 0) {
    digits = digits.slice(1);
    weight--;
  }
  while (digits.length > 0 && digits[digits.length - 1] === 0) digits = digits.slice(0, -1);
  if (digits.length === 0) return numericHeader(0, 0, NUMERIC_POS, dscale, []);
  return numericHeader(digits.length, weight, m[1] === '-' ? NUMERIC_NEG : NUMERIC_POS, dscale, digits);
}

function groups(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i += 4) out.push(Number(s.slice(i, i + 4)));
  return out;
}

function numericHeader(ndigits: number, weight: number, sign: number, dscale: number, digits: number[]): Buffer {
  const b = Buffer.alloc(8 + 2 * digits.length);
  b.writeInt16BE(ndigits, 0);
  b.writeInt16BE(weight, 2);
  b.writeUInt16BE(sign, 4);
  b.writeInt16BE(dscale, 6);
  digits.forEach((d, i) => b.writeInt16BE(d, 8 + 2 * i));
  return b;
}

/** numeric_recv's input as decimal text: "-12.3400", "NaN", "Infinity". */
export function numericText(buf: Buffer): string {
  need(buf.length >= 8, 'numeric');
  const ndigits = buf.readInt16BE(0);
  const weight = buf.readInt16BE(2);
  const sign = buf.readUInt16BE(4);
  const dscale = buf.readInt16BE(6);
  need(ndigits >= 0 && dscale >= 0 && buf.length === 8 + 2 * ndigits, 'numeric');
  if (sign === NUMERIC_NAN) return 'NaN';
  if (sign === NUMERIC_PINF) return 'Infinity';
  if (sign === NUMERIC_NINF) return '-Infinity';
  need(sign === NUMERIC_POS || sign === NUMERIC_NEG, 'numeric');
  const digits = Array.from({ length: ndigits }, (_, i) => buf.readInt16BE(8 + 2 * i));
  need(
    digits.every((d) => d >= 0 && d < 10000),
    'numeric',
  );
  // Groups at weights weight, weight-1, ...; integer part: weights >= 0.
  let int = '';
  for (let w = Math.max(weight, 0); w >= 0; w--) int += String(digitAt(digits, weight, w)).padStart(4, '0');
  let frac = '';
  for (let w = -1; frac.length < dscale; w--) frac += String(digitAt(digits, weight, w)).padStart(4, '0');
  int = int.replace(/^0+(?=\d)/, '');
  const text = dscale > 0 ? `${int}.${frac.slice(0, dscale)}` : int;
  return sign === NUMERIC_NEG && /[1-9]/.test(text) ? `-${text}` : text;
}

function digitAt(digits: number[], weight: number, w: number): number {
  return digits[weight - w] ?? 0;
}

// ---- dates and times ----

/** date_send's int32: days from 2000-01-01 (int32 max and min for infinity and -infinity). */
function pgDate(text: string): number {
  const t = text.trim();
  const infinity = engineDateInfinity(t);
  if (infinity) return infinity === 'infinity' ? INT32_MAX : INT32_MIN;
  return dateDays(t) - PG_EPOCH_DAYS;
}

/** timestamp_send's int64: microseconds from 2000-01-01 00:00 (UTC for a timestamptz). */
function pgTimestamp(text: string): bigint {
  const t = text.trim();
  if (t === 'infinity') return INT64_MAX;
  if (t === '-infinity') return INT64_MIN;
  return timestampMicros(t) - PG_EPOCH_MICROS;
}

/** interval_send: int64 microseconds, int32 days, int32 months. */
function intervalSend(v: unknown): Buffer {
  if (!isEngineInterval(v))
    throw new StrataError('INTERNAL', `not an interval value from the engine: ${JSON.stringify(v)}`);
  const b = Buffer.alloc(16);
  b.writeBigInt64BE(BigInt(String(v.micros)), 0);
  b.writeInt32BE(Number(v.days), 8);
  b.writeInt32BE(Number(v.months), 12);
  return b;
}

// ---- uuid ----

function uuidSend(text: string): Buffer {
  const hex = text.replace(/[-{}]/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new StrataError('INTERNAL', `not a uuid value: ${JSON.stringify(text)}`);
  return Buffer.from(hex, 'hex');
}

// ---- binary parameters ----

/**
 * A parameter sent in binary format (a Bind's format code 1), as the text its SQL literal is made
 * from. `typeOid` is the type the statement's Parse gave it; 0 (unspecified) is text, as the
 * endpoint's ParameterDescription tells clients. Other types are refused (SQL_UNSUPPORTED).
 * @example decodeBinaryParameter(Buffer.from([0, 0, 0, 42]), 23) // '42'
 */
export function decodeBinaryParameter(buf: Buffer, typeOid: number, position = 1): string {
  const bad = (what: string) =>
    new StrataError('SQL_ERROR', `incorrect binary data format in bind parameter ${position}: ${what}`);
  const length = (n: number, name: string) => {
    if (buf.length !== n) throw bad(`${name} takes ${n} bytes, not ${buf.length}`);
  };
  switch (typeOid) {
    case PG.bool.oid:
      length(1, 'bool');
      return buf[0] !== 0 ? 'true' : 'false';
    case PG.int2.oid:
      length(2, 'int2');
      return String(buf.readInt16BE(0));
    case PG.int4.oid:
      length(4, 'int4');
      return String(buf.readInt32BE(0));
    case PG.int8.oid:
      length(8, 'int8');
      return String(buf.readBigInt64BE(0));
    case OID_OID:
      length(4, 'oid');
      return String(buf.readUInt32BE(0));
    case PG.float4.oid:
      length(4, 'float4');
      return floatText(buf.readFloatBE(0), true);
    case PG.float8.oid:
      length(8, 'float8');
      return floatText(buf.readDoubleBE(0), false);
    case PG.numeric.oid:
      try {
        return numericText(buf);
      } catch {
        throw bad('not a numeric value');
      }
    case PG.date.oid: {
      length(4, 'date');
      const days = buf.readInt32BE(0);
      if (days === INT32_MAX) return 'infinity';
      if (days === INT32_MIN) return '-infinity';
      return dateOfDays(days + PG_EPOCH_DAYS);
    }
    case PG.timestamp.oid:
    case PG.timestamptz.oid: {
      length(8, 'timestamp');
      const micros = buf.readBigInt64BE(0);
      if (micros === INT64_MAX) return 'infinity';
      if (micros === INT64_MIN) return '-infinity';
      return timestampOfMicros(micros + PG_EPOCH_MICROS, typeOid === PG.timestamptz.oid);
    }
    case PG.uuid.oid: {
      length(16, 'uuid');
      const h = buf.toString('hex');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    }
    case PG.bytea.oid:
      // DuckDB's blob text: every byte escaped, which a cast to BLOB reads back exactly.
      return Array.from(buf, (b) => `\\x${b.toString(16).padStart(2, '0').toUpperCase()}`).join('');
    case 0:
    case PG.text.oid:
    case PG.varchar.oid:
    case PG.json.oid:
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(buf);
      } catch {
        throw bad(
          typeOid === 0
            ? 'not UTF-8 text (a parameter of unspecified type is text: give its type in Parse, e.g. bytea)'
            : 'not UTF-8 text',
        );
      }
    default:
      throw new StrataError(
        'SQL_UNSUPPORTED',
        `binary format for parameter ${position} of type OID ${typeOid} is not supported: send it in text format`,
      );
  }
}

/** The shortest text that reads back as the same float (float4: the same single-precision value), as PostgreSQL's output. */
function floatText(n: number, single: boolean): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  if (!single) return String(n);
  for (let p = 1; p <= 9; p++) {
    const s = n.toPrecision(p);
    if (Math.fround(Number(s)) === n) return String(Number(s));
  }
  return String(n);
}

function need(ok: boolean, type: string): asserts ok {
  if (!ok) throw new StrataError('SQL_ERROR', `incorrect binary data format: not a ${type} value`);
}
