// The retail demo's world: the reference data the pipeline maps to (cities,
// aliases, categories), the two companies' customers and products, the
// startup's price history and the parent's yearly gross prices, all drawn from
// a seed. generate.ts writes the landing files of this world, day by day.

export const CITIES = [
  'Ahmedabad',
  'Bengaluru',
  'Chennai',
  'Delhi',
  'Hyderabad',
  'Jaipur',
  'Kolkata',
  'Lucknow',
  'Mumbai',
  'Pune',
];
/** Old or alternative names, in the pipeline's mapping table. */
export const CITY_ALIASES: [string, string][] = [
  ['Bangalore', 'Bengaluru'],
  ['Bombay', 'Mumbai'],
  ['Calcutta', 'Kolkata'],
  ['Madras', 'Chennai'],
  ['New Delhi', 'Delhi'],
  ['Poona', 'Pune'],
];
export const CATEGORIES = ['Accessories', 'Audio', 'Laptops', 'Networking', 'Storage'];

const FIRST = [
  'Aarav',
  'Diya',
  'Ishaan',
  'Kavya',
  'Rohan',
  'Ananya',
  'Vikram',
  'Meera',
  'Arjun',
  'Sara',
  'Kabir',
  'Nisha',
  'Dev',
  'Tara',
  'Rahul',
  'Priya',
];
const LAST = ['Sharma', 'Iyer', 'Patel', 'Reddy', 'Khan', 'Das', 'Mehta', 'Nair', 'Gupta', 'Singh', 'Rao', 'Bose'];
const SHOPS = [
  'Croma',
  'Reliance Digital',
  'Vijay Sales',
  'Poorvika',
  'Sangeetha',
  'Girias',
  'Ezone',
  'Bajaj Electronics',
  'Lotus',
  'Pai International',
  'Sathya',
  'Viveks',
];
// The parent sells most products in variants (AtliQ's product master: product × variant, each its
// own product code): Plus costs 15% more than Standard, Premium 30%.
const PARENT_PRODUCTS: [string, string, number, string[]][] = [
  ['AQ Master wired mouse', 'Accessories', 1_250, ['Standard', 'Plus']],
  ['AQ Gamers keyboard', 'Accessories', 3_400, ['Standard', 'Premium']],
  ['AQ Zion headphones', 'Audio', 4_900, ['Standard', 'Plus', 'Premium']],
  ['AQ Pen drive 64 GB', 'Storage', 799, ['Standard']],
  ['AQ Portable SSD 1 TB', 'Storage', 8_999, ['Standard', 'Premium']],
  ['AQ Wi-Fi 6 router', 'Networking', 5_499, ['Standard', 'Plus']],
  ['AQ Mesh extender', 'Networking', 3_299, ['Standard']],
  ['AQ Book 14', 'Laptops', 54_990, ['Standard', 'Plus']],
  ['AQ Book Pro 16', 'Laptops', 89_990, ['Plus', 'Premium']],
  ['AQ Bluetooth speaker', 'Audio', 2_499, ['Standard', 'Plus']],
];
const VARIANT_PRICE: Record<string, number> = { Standard: 1, Plus: 1.15, Premium: 1.3 };
const STARTUP_PRODUCTS: [string, string, number][] = [
  ['Zen earbuds', 'Audio', 2_999],
  ['Zen charging cable', 'Accessories', 399],
  ['Zen laptop sleeve', 'Accessories', 1_199],
  ['Zen power bank', 'Accessories', 1_799],
  ['Zen NAS drive 4 TB', 'Storage', 14_999],
  ['Zen travel router', 'Networking', 2_799],
];
const PARENT_CUSTOMERS = 24;
const STARTUP_CUSTOMERS = 40;
export const DAY_MS = 86_400_000;

export interface Customer {
  id: string;
  /** The startup's own number for the customer (its files know no other id). */
  number?: number;
  name: string;
  city: string | null;
  /** As written in the startup's file. */
  written?: { name: string; city: string; duplicate: boolean };
  channel: string;
}

export interface Product {
  id: string;
  name: string;
  category: string;
  /** The parent's variant (Standard, Plus, Premium); the startup sells one version of each product. */
  variant: string;
  company: 'parent' | 'startup';
  /** Price in cents per fiscal year (parent). */
  basePrice: number;
}

export interface World {
  seed: number;
  start: number;
  parentCustomers: Customer[];
  startupCustomers: Customer[];
  products: Product[];
  /** Startup price changes by day: the new price (cents) or a rejected one. */
  startupPriceAt: (sku: string, day: number) => number;
  startupCategoryAt: (sku: string, day: number) => string;
  updatesOn: Map<number, PriceUpdate[]>;
}

export interface PriceUpdate {
  sku: string;
  written: string;
  category: string;
  writtenCategory: string;
  kind: 'ok' | 'negative' | 'nan';
  /** A valid update that changes the price or the category. */
  newVersion: boolean;
}

/** mulberry32: a small, fast, well-distributed PRNG; one stream per (seed, name). */
export function rng(seed: number, name: string): () => number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x85ebca6b) >>> 0;
  let a = h;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
export const int = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
export const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
export const monthOf = (ms: number) => new Date(ms).toISOString().slice(0, 7);

/** Levenshtein distance (case-insensitive), as the pipeline's closest-match step computes it. */
export function levenshtein(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** A misspelling of `word` whose closest match among `among` is `word` alone, within 2 edits. */
export function misspell(r: () => number, word: string, among: string[]): string {
  for (let attempt = 0; attempt < 20; attempt++) {
    const i = int(r, 1, word.length - 2);
    const kind = int(r, 0, 2);
    const typo =
      kind === 0
        ? word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2) // swap
        : kind === 1
          ? word.slice(0, i) + word[i] + word.slice(i) // double
          : word.slice(0, i) + word.slice(i + 1); // drop
    if (typo.toLowerCase() === word.toLowerCase()) continue;
    const d = levenshtein(typo, word);
    if (d <= 2 && among.every((w) => w === word || levenshtein(typo, w) > d)) return typo;
  }
  return word.slice(0, -1); // a dropped last letter is always closest for these lists
}

/** A name as a careless form writes it: stray spaces, mixed case. */
function messUp(r: () => number, name: string): string {
  const [first, last] = name.split(' ');
  const cases = [
    (s: string) => s.toLowerCase(),
    (s: string) => s.toUpperCase(),
    (s: string) => [...s].map((c, i) => (i % 2 ? c.toUpperCase() : c.toLowerCase())).join(''),
  ];
  const f = pick(r, cases)(first);
  const l = r() < 0.5 ? pick(r, cases)(last) : last;
  const pad = () => ' '.repeat(int(r, 0, 2));
  const written = `${pad()}${f}${' '.repeat(int(r, 1, 3))}${l}${pad()}`;
  return written === name ? ` ${name}` : written;
}

export function makeWorld(seed: number, start: string): World {
  const startMs = Date.parse(`${start}T00:00:00Z`);
  if (Number.isNaN(startMs)) throw new Error(`the start date must be written yyyy-MM-dd, not '${start}'`);
  const r = rng(seed, 'world');
  const parentCustomers: Customer[] = Array.from({ length: PARENT_CUSTOMERS }, (_, i) => ({
    id: `C${String(i + 1).padStart(4, '0')}`,
    name: `${SHOPS[i % SHOPS.length]}${i >= SHOPS.length ? ` ${pick(r, CITIES)}` : ''}`,
    city: pick(r, CITIES),
    channel: i % 3 === 2 ? 'distributor' : 'retail',
  }));
  const startupCustomers: Customer[] = [];
  const used = new Set<string>();
  for (let i = 0; i < STARTUP_CUSTOMERS; i++) {
    let name = `${pick(r, FIRST)} ${pick(r, LAST)}`;
    while (used.has(name)) name = `${pick(r, FIRST)} ${pick(r, LAST)}`;
    used.add(name);
    const city = pick(r, CITIES);
    const roll = r();
    // 70% written right, 8% an old name, 12% misspelt, 10% missing.
    const alias = CITY_ALIASES.filter(([, c]) => c === city);
    const writtenCity =
      roll < 0.7 ? city : roll < 0.78 && alias.length ? alias[0][0] : roll < 0.9 ? misspell(r, city, CITIES) : '';
    const writtenName = r() < 0.5 ? messUp(r, name) : name;
    startupCustomers.push({
      id: `S-${String(i + 1).padStart(4, '0')}`,
      number: i + 1,
      name,
      city: writtenCity === '' ? null : city,
      written: { name: writtenName, city: writtenCity, duplicate: r() < 0.15 },
      channel: 'online',
    });
  }
  const products: Product[] = [
    ...PARENT_PRODUCTS.flatMap(([name, category, price, variants]) =>
      variants.map((variant) => ({
        name,
        category,
        variant,
        basePrice: Math.round(price * VARIANT_PRICE[variant]) * 100,
      })),
    ).map((p, i) => ({ ...p, id: `P${String(i + 1).padStart(3, '0')}`, company: 'parent' as const })),
    ...STARTUP_PRODUCTS.map(([name, category, price], i) => ({
      id: `SKU-${101 + i}`,
      name,
      category,
      variant: 'Standard',
      company: 'startup' as const,
      basePrice: price * 100,
    })),
  ];
  // Startup price updates: every 30th day, a few SKUs; some updates are bad (rejected).
  const updatesOn = new Map<number, PriceUpdate[]>();
  const price = new Map(
    products
      .filter((p) => p.company === 'startup')
      .map((p) => [p.id, [{ day: 0, cents: p.basePrice, category: p.category }]]),
  );
  const ur = rng(seed, 'price-updates');
  for (let day = 30; day < 3660; day += 30) {
    const list: PriceUpdate[] = [];
    for (const p of products.filter((x) => x.company === 'startup')) {
      if (ur() >= 0.5) continue;
      const history = price.get(p.id)!;
      const cur = history[history.length - 1];
      const cents = Math.round((cur.cents * (0.85 + ur() * 0.3)) / 100) * 100 - 1;
      const recategorize = ur() < 0.15;
      const category = recategorize
        ? pick(
            ur,
            CATEGORIES.filter((c) => c !== cur.category),
          )
        : cur.category;
      const roll = ur();
      const kind: PriceUpdate['kind'] = roll < 0.12 ? 'negative' : roll < 0.22 ? 'nan' : 'ok';
      const newVersion = kind === 'ok' && (cents !== cur.cents || category !== cur.category);
      const written =
        kind === 'negative'
          ? `-${(cents / 100).toFixed(2)}`
          : kind === 'nan'
            ? pick(ur, ['N/A', 'TBD', 'call us'])
            : (cents / 100).toFixed(2);
      const writtenCategory = ur() < 0.3 ? misspell(ur, category, CATEGORIES) : category;
      list.push({ sku: p.id, written, category, writtenCategory, kind, newVersion });
      if (kind === 'ok') history.push({ day, cents, category });
    }
    updatesOn.set(day, list);
  }
  const at = (sku: string, day: number) => {
    const h = price.get(sku)!;
    let v = h[0];
    for (const x of h) if (x.day <= day) v = x;
    return v;
  };
  return {
    seed,
    start: startMs,
    parentCustomers,
    startupCustomers,
    products,
    startupPriceAt: (sku, day) => at(sku, day).cents,
    startupCategoryAt: (sku, day) => at(sku, day).category,
    updatesOn,
  };
}

/** The parent's gross price of a product for a fiscal year (calendar year): +6% a year from 2024. */
export function grossPrice(p: Product, year: number): number {
  let cents = p.basePrice;
  for (let y = 2024; y < year; y++) cents = Math.round((cents * 1.06) / 100) * 100;
  return cents;
}

/** The startup sends nothing in the second month of every quarter of the history (months 2, 5, 8, ... counted from the first). */
export function startupMissesMonth(startMs: number, ms: number): boolean {
  const a = new Date(startMs);
  const b = new Date(ms);
  const index = (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + b.getUTCMonth() - a.getUTCMonth();
  return index % 3 === 1;
}
