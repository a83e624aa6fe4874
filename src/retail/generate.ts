// The retail demo's landing files: two companies after a merger, written with
// known defects in known proportions, deterministically from a seed.
//
// - The parent (clean ERP exports): customers, products, yearly gross prices,
//   one order file per day (`yyyy-MM-dd` dates, a channel per line).
// - The acquired startup (messy CSVs): customer names with stray spaces and
//   mixed case, typo'd, aliased and missing cities, customers listed twice;
//   product categories with typos; price updates that are negative or not
//   numbers; order dates in several notations (some prefixed with the
//   weekday); duplicate order lines; months with no order files at all.
//
// The generator keeps the truth as it writes: how many of each defect it
// planted, and the figures a correct pipeline must give (revenue, quantity,
// customers, per month, channel, product and customer). Each day is drawn from
// its own seeded stream, so day 91 is the same whether days 0–90 were written
// in the same call or earlier: the live store appends days one at a time.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  CATEGORIES,
  DAY_MS,
  grossPrice,
  int,
  iso,
  makeWorld,
  misspell,
  monthOf,
  pick,
  rng,
  startupMissesMonth,
  type Product,
  type World,
} from './world.js';

export interface RetailOptions {
  /** The project folder: files go to `landing/` under it. */
  dir: string;
  seed?: number;
  /** Days of orders, from `start`. */
  days?: number;
  /** Order lines per day, over both companies (the startup's share is missing in its missing months). */
  rowsPerDay?: number;
  /** The first day (UTC, yyyy-MM-dd). */
  start?: string;
}

export const RETAIL_DEFAULTS = { seed: 42, days: 90, rowsPerDay: 2_000, start: '2024-11-01' };

/** Defects planted, by kind (each is caught by one expectation of the pipeline). */
export interface Defects {
  /** Startup customer rows whose name has stray spaces or mixed case. */
  messyNames: number;
  /** Startup customer rows whose city is an old name (from the mapping table) or misspelled. */
  misspeltCities: number;
  /** Startup customer rows without a city. */
  missingCities: number;
  /** Startup customer rows that repeat a customer already listed. */
  duplicateCustomers: number;
  /** Startup product rows whose category is misspelled. */
  misspeltCategories: number;
  /** Startup price updates with a negative price. */
  negativePrices: number;
  /** Startup price updates whose price is not a number. */
  nonNumericPrices: number;
  /** Startup order lines whose date is not written yyyy-MM-dd. */
  nonIsoDates: number;
  /** Startup order lines repeated in their file. */
  duplicateOrderLines: number;
  /** Months (yyyy-MM) in which the startup sent no order file. */
  missingMonths: string[];
}

/** What a correct pipeline must report for the files written (amounts in cents). */
export interface RetailTruth {
  days: number;
  first: string;
  last: string;
  orderLines: number;
  revenueCents: bigint;
  quantity: number;
  customers: number;
  byMonth: Map<string, { revenueCents: bigint; quantity: number; lines: number }>;
  byChannel: Map<string, bigint>;
  byProduct: Map<string, bigint>;
  byCustomer: Map<string, bigint>;
  /** Product versions: a new one for each price or category change. */
  productVersions: number;
  /** Customers whose city is missing (their city is Unknown in the dimension). */
  customersWithoutCity: number;
  defects: Defects;
}

// ---------------------------------------------------------------------------

/** Writes the landing files of `days` days (and the customers, products and prices they need). */
export function generateRetail(options: RetailOptions): RetailTruth {
  return history(options.dir, options);
}

/** Writes one more day's order files (the live store): the same files `generateRetail` would write for that day. */
export function generateRetailDay(options: RetailOptions & { day: number }): RetailTruth {
  const o = { ...RETAIL_DEFAULTS, ...options };
  const world = makeWorld(o.seed, o.start);
  const truth = emptyTruth({ ...o, days: 1 });
  // Price updates and the year's gross prices the day needs are part of the day.
  writeDay(o.dir, world, o.day, o.rowsPerDay, truth);
  return finish(truth);
}

/** The truth of `days` days without writing anything (for tests that land days one by one). */
export function retailTruth(options: Omit<RetailOptions, 'dir'>): RetailTruth {
  return history(undefined, options);
}

/** The history's files written into `dir` (none when undefined), and its truth. */
function history(dir: string | undefined, options: Omit<RetailOptions, 'dir'>): RetailTruth {
  const o = { ...RETAIL_DEFAULTS, ...options };
  const world = makeWorld(o.seed, o.start);
  const truth = emptyTruth(o);
  writeMasterData(dir, world, truth);
  for (let day = 0; day < o.days; day++) writeDay(dir, world, day, o.rowsPerDay, truth);
  return finish(truth);
}

function emptyTruth(o: { days: number; start: string }): RetailTruth {
  return {
    days: o.days,
    first: o.start,
    last: o.start,
    orderLines: 0,
    revenueCents: 0n,
    quantity: 0,
    customers: 0,
    byMonth: new Map(),
    byChannel: new Map(),
    byProduct: new Map(),
    byCustomer: new Map(),
    productVersions: 0,
    customersWithoutCity: 0,
    defects: {
      messyNames: 0,
      misspeltCities: 0,
      missingCities: 0,
      duplicateCustomers: 0,
      misspeltCategories: 0,
      negativePrices: 0,
      nonNumericPrices: 0,
      nonIsoDates: 0,
      duplicateOrderLines: 0,
      missingMonths: [],
    },
  };
}

function finish(t: RetailTruth): RetailTruth {
  t.customers = t.byCustomer.size;
  return t;
}

const csvField = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
const csv = (header: string[], rows: string[][]) =>
  `${header.join(',')}\n${rows.map((r) => r.map(csvField).join(',')).join('\n')}\n`;

function write(dir: string | undefined, rel: string, text: string): void {
  if (dir === undefined) return;
  const file = path.join(dir, 'landing', rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** Customers, products, the gross prices of every year the days touch, the startup's first product list. */
function writeMasterData(dir: string | undefined, w: World, t: RetailTruth): void {
  const start = iso(w.start);
  write(
    dir,
    'parent/customers/customers.csv',
    csv(
      ['customer_id', 'customer_name', 'city', 'channel', 'last_modified'],
      w.parentCustomers.map((c) => [c.id, c.name, c.city!, c.channel, start]),
    ),
  );
  const rows: string[][] = [];
  for (const c of w.startupCustomers) {
    const line = [String(c.number), c.written!.name, c.written!.city, start];
    rows.push(line);
    if (c.written!.duplicate) rows.push(line);
    const copies = c.written!.duplicate ? 2 : 1;
    if (c.written!.name !== c.name) t.defects.messyNames += copies;
    if (c.written!.city === '') {
      t.defects.missingCities += copies;
      t.customersWithoutCity++;
    } else if (c.written!.city !== c.city) t.defects.misspeltCities += copies;
    if (c.written!.duplicate) t.defects.duplicateCustomers++;
  }
  write(dir, 'startup/customers/customers.csv', csv(['cust_id', 'full_name', 'city', 'created'], rows));
  write(
    dir,
    'parent/products/products.csv',
    csv(
      ['product_code', 'product_name', 'variant', 'category'],
      w.products.filter((p) => p.company === 'parent').map((p) => [p.id, p.name, p.variant, p.category]),
    ),
  );
  // The startup's first product list: some categories misspelt.
  const r = rng(w.seed, 'startup-products');
  const list = w.products
    .filter((p) => p.company === 'startup')
    .map((p) => {
      const category = r() < 0.35 ? misspell(r, p.category, CATEGORIES) : p.category;
      if (category !== p.category) t.defects.misspeltCategories++;
      return [p.id, p.name, category, (p.basePrice / 100).toFixed(2), start];
    });
  write(dir, `startup/products/products_${start}.csv`, csv(['sku', 'title', 'category', 'price', 'updated'], list));
  t.productVersions += list.length;
  // The gross prices of the first day's fiscal year (the next years' land on their first day).
  t.productVersions += writeGrossPrices(dir, w, new Date(w.start).getUTCFullYear());
}

function writeGrossPrices(dir: string | undefined, w: World, year: number): number {
  const parent = w.products.filter((p) => p.company === 'parent');
  write(
    dir,
    `parent/gross_prices/gross_prices_${year}.csv`,
    csv(
      ['product_code', 'fiscal_year', 'gross_price'],
      parent.map((p) => [p.id, String(year), (grossPrice(p, year) / 100).toFixed(2)]),
    ),
  );
  return parent.length;
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The startup's date notations: ISO, dd/MM/yyyy, MMM d, yyyy, and two weekday-prefixed ones. */
function startupDate(r: () => number, ms: number): string {
  const d = new Date(ms);
  const dd = String(d.getUTCDate()).padStart(2, '0');
  const mm = String(d.getUTCMonth() + 1).padStart(2, '0');
  const yyyy = String(d.getUTCFullYear());
  const roll = r();
  if (roll < 0.4) return `${yyyy}-${mm}-${dd}`;
  if (roll < 0.6) return `${dd}/${mm}/${yyyy}`;
  if (roll < 0.75) return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${yyyy}`;
  if (roll < 0.9) return `${WEEKDAYS[d.getUTCDay()]}, ${dd}/${mm}/${yyyy}`;
  return `${WEEKDAYS[d.getUTCDay()].slice(0, 3)} ${yyyy}-${mm}-${dd}`;
}

function add<K>(m: Map<K, bigint>, k: K, v: bigint): void {
  m.set(k, (m.get(k) ?? 0n) + v);
}

function writeDay(dir: string | undefined, w: World, day: number, rowsPerDay: number, t: RetailTruth): void {
  const ms = w.start + day * DAY_MS;
  const date = iso(ms);
  const month = monthOf(ms);
  t.last = date;
  // A new fiscal year's gross prices land on its first day (when the history did not start before it).
  if (day > 0 && date.endsWith('-01-01')) t.productVersions += writeGrossPrices(dir, w, new Date(ms).getUTCFullYear());
  // The startup's price updates of the day.
  const updates = w.updatesOn.get(day);
  if (updates?.length) {
    write(
      dir,
      `startup/products/products_${date}.csv`,
      csv(
        ['sku', 'title', 'category', 'price', 'updated'],
        updates.map((u) => [u.sku, w.products.find((p) => p.id === u.sku)!.name, u.writtenCategory, u.written, date]),
      ),
    );
    for (const u of updates) {
      if (u.kind === 'negative') t.defects.negativePrices++;
      else if (u.kind === 'nan') t.defects.nonNumericPrices++;
      if (u.writtenCategory !== u.category) t.defects.misspeltCategories++;
      if (u.newVersion) t.productVersions++;
    }
  }
  const r = rng(w.seed, `day-${day}`);
  const missing = startupMissesMonth(w.start, ms);
  if (missing && !t.defects.missingMonths.includes(month)) t.defects.missingMonths.push(month);
  const startupLines = missing ? 0 : Math.round(rowsPerDay * 0.4);
  const parentLines = rowsPerDay - Math.round(rowsPerDay * 0.4);
  const m = t.byMonth.get(month) ?? { revenueCents: 0n, quantity: 0, lines: 0 };
  t.byMonth.set(month, m);
  const count = (customer: string, channel: string, product: string, qty: number, cents: number) => {
    const amount = BigInt(cents) * BigInt(qty);
    t.orderLines++;
    t.quantity += qty;
    t.revenueCents += amount;
    m.revenueCents += amount;
    m.quantity += qty;
    m.lines++;
    add(t.byChannel, channel, amount);
    add(t.byProduct, product, amount);
    add(t.byCustomer, customer, amount);
  };
  const year = new Date(ms).getUTCFullYear();
  const parentProducts = w.products.filter((p) => p.company === 'parent');
  const startupProducts = w.products.filter((p) => p.company === 'startup');

  // The parent: orders of 1–4 lines, one product per line.
  const parentRows: string[] = [];
  let order = 0;
  while (parentRows.length < parentLines) {
    order++;
    const c = pick(r, w.parentCustomers);
    const n = Math.min(int(r, 1, 4), parentLines - parentRows.length);
    const chosen = new Set<Product>();
    while (chosen.size < n) chosen.add(pick(r, parentProducts));
    for (const p of chosen) {
      const qty = int(r, 1, 20);
      parentRows.push(
        `PO-${date.replace(/-/g, '')}-${String(order).padStart(5, '0')},${date},${c.id},${p.id},${qty},${c.channel}`,
      );
      count(c.id, c.channel, p.id, qty, grossPrice(p, year));
    }
  }
  if (dir !== undefined)
    write(
      dir,
      `parent/orders/orders_${date}.csv`,
      `order_id,order_date,customer_id,product_code,quantity,channel\n${parentRows.join('\n')}\n`,
    );

  // The startup: its own schema and notations; some lines sent twice.
  if (startupLines > 0) {
    const rows: string[] = [];
    let written = 0;
    order = 0;
    while (written < startupLines) {
      order++;
      const c = pick(r, w.startupCustomers);
      const n = Math.min(int(r, 1, 3), startupLines - written);
      const chosen = new Set<Product>();
      while (chosen.size < n) chosen.add(pick(r, startupProducts));
      const when = startupDate(r, ms);
      const id = `${day + 1}${String(order).padStart(5, '0')}`;
      for (const p of chosen) {
        const qty = int(r, 1, 5);
        const line = `${id},${when.includes(',') ? `"${when}"` : when},${c.number},${p.id},${qty}`;
        rows.push(line);
        written++;
        if (!/^\d{4}-\d{2}-\d{2}$/.test(when)) t.defects.nonIsoDates++;
        if (r() < 0.02) {
          rows.push(line);
          t.defects.duplicateOrderLines++;
          if (!/^\d{4}-\d{2}-\d{2}$/.test(when)) t.defects.nonIsoDates++;
        }
        count(c.id, 'online', p.id, qty, w.startupPriceAt(p.id, day));
      }
    }
    if (dir !== undefined)
      write(dir, `startup/orders/${date}.csv`, `OrderID,Date,CustomerID,SKU,Qty\n${rows.join('\n')}\n`);
  }
}
