// A plain model of AUTO CDC's semantics (Databricks'), and random event streams
// for property tests: each stream is one key's events, in sequence order replayed.
export interface Ev {
  s: number;
  k: number | null;
  seq: number;
  op: 'upsert' | 'delete';
  a: string | null;
  b: number | null;
}
export type Row = (string | number | null)[];

/** A small deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function streams(count: number, seed: number): Ev[] {
  const r = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const out: Ev[] = [];
  for (let s = 0; s < count; s++) {
    const n = 1 + Math.floor(r() * 12);
    const seqs = Array.from({ length: n }, (_, i) => i + 1).sort(() => r() - 0.5);
    for (let i = 0; i < n; i++) {
      // A key part is sometimes NULL (a key of its own, as IS NOT DISTINCT FROM matches it).
      out.push({
        s,
        k: r() < 0.1 ? null : 1 + Math.floor(r() * 3),
        seq: seqs[i] * 10,
        op: r() < 0.2 ? 'delete' : 'upsert',
        a: pick([null, 'x', 'y']),
        b: pick([null, 1, 2, 3]),
      });
    }
  }
  return out;
}

/** The model: each key's events replayed in sequence order. */
export function model(events: Ev[], type: 1 | 2, ignoreNull: boolean): Row[] {
  const byKey = new Map<string, Ev[]>();
  for (const e of events) byKey.set(`${e.s}/${e.k}`, [...(byKey.get(`${e.s}/${e.k}`) ?? []), e]);
  const out: Row[] = [];
  for (const evs of byKey.values()) {
    evs.sort((x, y) => x.seq - y.seq);
    const { s, k } = evs[0];
    let filled: { a: string | null; b: number | null } | undefined;
    if (type === 1) {
      for (const e of evs)
        filled =
          e.op === 'delete'
            ? undefined
            : ignoreNull
              ? { a: e.a ?? filled?.a ?? null, b: e.b ?? filled?.b ?? null }
              : { a: e.a, b: e.b };
      if (filled) out.push([s, k, filled.a, filled.b]);
      continue;
    }
    let cur: { a: string | null; b: number | null; start: number; end: number | null } | undefined;
    const versions: NonNullable<typeof cur>[] = [];
    for (const e of evs) {
      if (e.op === 'delete') {
        if (cur) cur.end = e.seq;
        cur = undefined;
        filled = undefined;
        continue;
      }
      const v = ignoreNull ? { a: e.a ?? filled?.a ?? null, b: e.b ?? filled?.b ?? null } : { a: e.a, b: e.b };
      filled = v;
      if (cur && cur.a === v.a)
        cur.b = v.b; // untracked: in place
      else {
        if (cur) cur.end = e.seq;
        cur = { ...v, start: e.seq, end: null };
        versions.push(cur);
      }
    }
    for (const v of versions) out.push([s, k, v.a, v.b, v.start, v.end]);
  }
  return out.sort(cmp);
}

export function cmp(x: Row, y: Row): number {
  for (let i = 0; i < x.length; i++) {
    const a = x[i] ?? '';
    const b = y[i] ?? '';
    if (a < b) return -1;
    if (a > b) return 1;
  }
  return 0;
}
