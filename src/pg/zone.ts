// A time zone's UTC offset at an instant, as PostgreSQL shows timestamptz values in the session's
// TimeZone: from the tz database through Intl (local wall time minus UTC, so historical offsets
// with seconds, +00:19:32 in Amsterdam before 1937, come out exact), cached per quarter hour where
// the offset does not change within it.

export interface Zone {
  /** UTC (no lookups). */
  readonly utc: boolean;
  /** The offset east of UTC, in seconds, at `utcSeconds` since the epoch. */
  offset(utcSeconds: number): number;
}

const UTC_NAMES = new Set(['utc', 'etc/utc', 'gmt', 'etc/gmt', 'z', 'zulu', 'uct', 'universal', 'etc/universal']);
const UTC: Zone = { utc: true, offset: () => 0 };
const zones = new Map<string, Zone | undefined>();

/** The zone named as PostgreSQL's TimeZone setting names it; undefined when Intl does not know it. */
export function zoneOf(name: string): Zone | undefined {
  if (UTC_NAMES.has(name.toLowerCase())) return UTC;
  if (!zones.has(name)) zones.set(name, intlZone(name));
  return zones.get(name);
}

const SLOT = 900;
// Intl's range (±8.64e15 ms) and year 1 (before it Intl's years need an era; the offset is the
// zone's local mean time there anyway).
const FIRST = -62135596800 + 2 * 86400;
const LAST = 8.64e12 - 86400;

function intlZone(name: string): Zone | undefined {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    return undefined;
  }
  const exact = (utcSeconds: number): number => {
    const at = Math.min(Math.max(utcSeconds, FIRST), LAST);
    const p: Record<string, number> = {};
    for (const part of format.formatToParts(at * 1000)) if (part.type !== 'literal') p[part.type] = Number(part.value);
    // (Date.UTC would read years 0-99 as 1900-1999.)
    const local = new Date(0);
    local.setUTCFullYear(p.year, p.month - 1, p.day);
    local.setUTCHours(p.hour, p.minute, p.second);
    return local.getTime() / 1000 - Math.floor(at);
  };
  const slots = new Map<number, number>();
  return {
    utc: false,
    offset(utcSeconds) {
      const slot = Math.floor(utcSeconds / SLOT);
      const known = slots.get(slot);
      if (known !== undefined) return known;
      const start = exact(slot * SLOT);
      // A change of offset inside the slot (a local mean time's end): no caching, each value looked up.
      if (exact(slot * SLOT + SLOT - 1) !== start) return exact(utcSeconds);
      if (slots.size > 100_000) slots.clear();
      slots.set(slot, start);
      return start;
    },
  };
}
