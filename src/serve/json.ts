// JSON for the API: bigints as numbers when exact (as strings beyond 2^53), dates as ISO text.
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint')
      return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
    if (v instanceof Date) return v.toISOString();
    return v;
  });
}

/** A whole number from a query parameter, within [min, max], or the default; anything else is undefined. */
export function intParam(text: string | undefined, min: number, max: number, fallback?: number): number | undefined {
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= min && n <= max ? n : undefined;
}

/** A name quoted for Spark SQL (backticks; a backtick in it doubled). */
export function sparkIdent(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}
