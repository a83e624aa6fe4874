// Small helpers shared by the benchmarks: argument parsing, timing, medians,
// machine description and Markdown tables.
import * as os from 'node:os';
import { createRequire } from 'node:module';

/**
 * Parses `--name value` / `--flag` arguments against defaults; numbers accept
 * `_` separators and k/m suffixes (`--rows 1m`).
 */
export function parseArgs(argv, defaults) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument '${arg}'`);
    const [rawKey, inline] = arg.slice(2).split('=', 2);
    const key = rawKey.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(key in defaults))
      throw new Error(
        `unknown option --${rawKey} (known: ${Object.keys(defaults)
          .map((k) => '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()))
          .join(', ')})`,
      );
    if (typeof defaults[key] === 'boolean') {
      out[key] = inline === undefined ? true : inline !== 'false';
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`--${rawKey} needs a value`);
    out[key] = typeof defaults[key] === 'number' ? parseCount(value, rawKey) : value;
  }
  return out;
}

/** parseArgs, printing the problem and exiting with status 2 on bad arguments. */
export function parseArgsOrExit(argv, defaults) {
  try {
    return parseArgs(argv, defaults);
  } catch (err) {
    console.error(`error: ${err instanceof Error ? err.message : err}`);
    process.exit(2);
  }
}

function parseCount(text, name) {
  const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(text.replace(/_/g, ''));
  if (!m) throw new Error(`--${name} must be a number, not '${text}'`);
  const n = Number(m[1]) * { '': 1, k: 1e3, m: 1e6 }[m[2].toLowerCase()];
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be positive`);
  return Math.round(n);
}

export async function timeIt(fn) {
  const start = performance.now();
  const result = await fn();
  return { ms: performance.now() - start, result };
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function fmtMs(ms) {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

/** A Markdown table; `align` is a string of 'l'/'r' per column. */
export function markdownTable(header, rows, align = '') {
  const cells = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(3, ...cells.map((r) => r[i].length)));
  const pad = (text, i) => (align[i] === 'r' ? text.padStart(widths[i]) : text.padEnd(widths[i]));
  const line = (r) => `| ${r.map(pad).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (align[i] === 'r' ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|')}|`;
  return [line(cells[0]), rule, ...cells.slice(1).map(line)].join('\n');
}

/** What the numbers were measured on. */
export async function machineInfo(session) {
  const require = createRequire(import.meta.url);
  let nodeApi = 'unknown';
  try {
    nodeApi = require('@duckdb/node-api/package.json').version;
  } catch {
    // not resolvable from here: leave unknown
  }
  const [row] = await session.rows(
    "SELECT version() AS duckdb, current_setting('threads')::VARCHAR AS threads, current_setting('memory_limit') AS memory_limit",
  );
  const cpus = os.cpus();
  return {
    cpus: os.availableParallelism?.() ?? cpus.length,
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    duckdb: row.duckdb,
    duckdbNodeApi: nodeApi,
    duckdbThreads: Number(row.threads),
    duckdbMemoryLimit: row.memory_limit,
  };
}

/** One line describing the machine, for the top of a report. */
export async function machineLine(session) {
  const m = await machineInfo(session);
  return `${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB RAM, ${m.platform}; Node ${m.node}; DuckDB ${m.duckdb} (@duckdb/node-api ${m.duckdbNodeApi}), threads=${m.duckdbThreads}, memory_limit=${m.duckdbMemoryLimit}`;
}
