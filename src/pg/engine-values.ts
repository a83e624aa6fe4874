// The engine's forms of values (DuckDB's JSON-safe rows, engine/engine.ts) read and written for the
// wire: dates and timestamps as ISO text on the proleptic Gregorian calendar (`(BC)` after the date
// for years before 1; a timestamptz always in UTC with `+00`; `infinity`, or for dates the
// extreme 5881580-07-11 and 5877642-06-24 (BC)), intervals as { months, days, micros }, blobs as
// DuckDB's escaped text (printable ASCII as is, other bytes `\xHH`).
import { StrataError } from '../core/index.js';

export const MICROS_PER_DAY = 86_400_000_000n;

/** 'infinity' or '-infinity' for the engine's infinite dates, else undefined. */
export function engineDateInfinity(text: string): 'infinity' | '-infinity' | undefined {
  if (text === '5881580-07-11' || text === 'infinity') return 'infinity';
  if (text === '5877642-06-24 (BC)' || text === '-infinity') return '-infinity';
  return undefined;
}

/** An interval as the engine gives it. */
export interface EngineInterval {
  months: number | string;
  days: number | string;
  micros: number | string;
}

export function isEngineInterval(v: unknown): v is EngineInterval {
  return typeof v === 'object' && v !== null && 'months' in v && 'days' in v && 'micros' in v;
}

/** Days from 1970-01-01 of a proleptic Gregorian date (astronomical years: 1 BC is year 0). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = year - (month <= 2 ? 1 : 0);
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The date of a count of days from 1970-01-01 (Howard Hinnant's civil_from_days). */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function invalid(what: string, v: unknown): StrataError {
  return new StrataError('INTERNAL', `not a ${what} value from the engine: ${JSON.stringify(v)}`);
}

/** Days from 1970-01-01 of the date at the start of `text` ("2024-01-02", "0044-03-15 (BC)"), and the text after it. */
function readDate(text: string, what: string): { days: number; rest: string } {
  const m = /^(\d{4,})-(\d{2})-(\d{2})( \(BC\))?/.exec(text);
  if (!m) throw invalid(what, text);
  const year = m[4] ? 1 - Number(m[1]) : Number(m[1]);
  return { days: daysFromCivil(year, Number(m[2]), Number(m[3])), rest: text.slice(m[0].length) };
}

/** Days from 1970-01-01 of an engine date. */
export function dateDays(text: string): number {
  const { days, rest } = readDate(text.trim(), 'date');
  if (rest !== '') throw invalid('date', text);
  return days;
}

/** Microseconds of a time of day "HH:MM:SS[.fraction]" (past 6 digits rounded, as PostgreSQL's input does). */
export function clockMicros(text: string): bigint {
  const m = /^(\d{2,}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(text.trim());
  if (!m) throw invalid('time', text);
  const digits = (m[4] ?? '').padEnd(7, '0');
  const fraction = BigInt(digits.slice(0, 6)) + (Number(digits[6]) >= 5 ? 1n : 0n);
  return ((BigInt(m[1]) * 60n + BigInt(m[2])) * 60n + BigInt(m[3])) * 1_000_000n + fraction;
}

/** Microseconds from 1970-01-01 00:00 UTC of an engine timestamp (its offset, for a timestamptz, applied). */
export function timestampMicros(text: string): bigint {
  const { days, rest } = readDate(text.trim(), 'timestamp');
  // " HH:MM:SS[.f]", then for a timestamptz an offset (+00, +05:30, -03:00:00).
  const m = /^[ T](\d{2,}:\d{2}:\d{2}(?:\.\d+)?)(?:([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?)?$/.exec(rest);
  if (!m) throw invalid('timestamp', text);
  const offset =
    (BigInt(m[3] ?? 0) * 3600n + BigInt(m[4] ?? 0) * 60n + BigInt(m[5] ?? 0)) * 1_000_000n * (m[2] === '-' ? -1n : 1n);
  return BigInt(days) * MICROS_PER_DAY + clockMicros(m[1]) - offset;
}

/** An engine date (as DuckDB reads it back) of days from 1970-01-01: "2024-01-02", "0044-03-15 (BC)". */
export function dateOfDays(days: number): string {
  const { year, month, day } = civilFromDays(days);
  const bc = year <= 0;
  return `${String(bc ? 1 - year : year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}${bc ? ' (BC)' : ''}`;
}

/** An engine timestamp of microseconds from 1970-01-01 (with `+00` for a timestamptz). */
export function timestampOfMicros(micros: bigint, utc: boolean): string {
  let days = micros / MICROS_PER_DAY;
  let rest = micros % MICROS_PER_DAY;
  if (rest < 0n) {
    rest += MICROS_PER_DAY;
    days -= 1n;
  }
  const clock = `${pad2(rest / 3_600_000_000n)}:${pad2((rest / 60_000_000n) % 60n)}:${pad2((rest / 1_000_000n) % 60n)}`;
  const fraction = rest % 1_000_000n;
  const frac = fraction === 0n ? '' : `.${String(fraction).padStart(6, '0')}`;
  return `${dateOfDays(Number(days))} ${clock}${frac}${utc ? '+00' : ''}`;
}

/** An engine interval in PostgreSQL's text format (IntervalStyle postgres: "1 year 2 mons -3 days +04:05:06.5"). */
export function intervalText(v: EngineInterval): string {
  const months = Number(v.months);
  const micros = BigInt(String(v.micros));
  const parts: string[] = [];
  let before = false; // the last part was negative: a positive one after it gets a '+'
  const part = (n: number, unit: string) => {
    if (n === 0) return;
    parts.push(`${before && n > 0 ? '+' : ''}${n} ${unit}${n === 1 ? '' : 's'}`);
    before = n < 0;
  };
  part(Math.trunc(months / 12), 'year');
  part(months % 12, 'mon');
  part(Number(v.days), 'day');
  if (parts.length === 0 || micros !== 0n) {
    const abs = micros < 0n ? -micros : micros;
    const clock = `${pad2(abs / 3_600_000_000n)}:${pad2((abs / 60_000_000n) % 60n)}:${pad2((abs / 1_000_000n) % 60n)}`;
    const fraction = abs % 1_000_000n;
    const frac = fraction === 0n ? '' : `.${String(fraction).padStart(6, '0').replace(/0+$/, '')}`;
    parts.push(`${micros < 0n ? '-' : before ? '+' : ''}${clock}${frac}`);
  }
  return parts.join(' ');
}

/**
 * The bytes of an engine blob. DuckDB does not escape a backslash byte, so the four bytes `\x41`
 * and the one byte 0x41 print alike: both are read as 0x41.
 */
export function blobBytes(v: unknown): Buffer {
  if (v instanceof Uint8Array) return Buffer.from(v);
  const s = String(v);
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && /^x[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 4))) {
      out.push(parseInt(s.slice(i + 2, i + 4), 16));
      i += 3;
    } else {
      const char = String.fromCodePoint(s.codePointAt(i)!);
      out.push(...Buffer.from(char, 'utf8'));
      i += char.length - 1;
    }
  }
  return Buffer.from(out);
}

function pad2(n: bigint | number): string {
  return String(n).padStart(2, '0');
}
