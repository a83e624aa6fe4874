// The statements a session answers itself, as PostgreSQL does: transaction control (every read
// is read-only, so a transaction only groups statements), SET / RESET / SHOW of settings, DISCARD
// and DEALLOCATE. Everything else goes to the lake.
import { StrataError } from '../core/index.js';
import type { QueryResult } from '../project/index.js';
import { SETTINGS } from './catalog-data.js';

export interface SessionState {
  /** Settings set by SET (PostgreSQL's names, lower case), and the client's startup ones. */
  settings: Map<string, string>;
  inTransaction: boolean;
  /** A statement failed inside the transaction: the others are refused until its end. */
  failed: boolean;
  /** The lake session's own settings (USE, SET of Spark settings), kept across statements. */
  lakeSettings: Map<string, string>;
  /** The versions this transaction block reads tables at (pinned at each table's first read). */
  pins?: Map<string, number>;
}

const one = (name: string, value: string): QueryResult => ({
  columns: [{ name, type: 'VARCHAR' }],
  rows: [[value]],
});

/** The statement answered here, or undefined when the lake should run it. */
export function sessionStatement(
  sql: string,
  state: SessionState,
  statuses: Record<string, string>,
): { tag: string; result?: QueryResult } | undefined {
  const text = sql
    .replace(/^\s*(\/\*[\s\S]*?\*\/\s*|--[^\n]*\n\s*)*/, '')
    .trim()
    .replace(/;\s*$/, '')
    .trim();
  if (text.includes(';')) return undefined;
  const upper = text.toUpperCase();
  if (/^(BEGIN|START\s+TRANSACTION)\b/.test(upper)) {
    if (!state.inTransaction) state.pins = new Map();
    state.inTransaction = true;
    return { tag: 'BEGIN' };
  }
  if (/^(COMMIT|END)\b/.test(upper)) {
    const failed = state.failed;
    state.inTransaction = false;
    state.failed = false;
    state.pins = undefined;
    return { tag: failed ? 'ROLLBACK' : 'COMMIT' };
  }
  if (/^(ROLLBACK|ABORT)\b/.test(upper)) {
    state.inTransaction = false;
    state.failed = false;
    state.pins = undefined;
    return { tag: 'ROLLBACK' };
  }
  if (/^DISCARD\s+ALL$/.test(upper)) {
    state.settings.clear();
    state.lakeSettings.clear();
    return { tag: 'DISCARD ALL' };
  }
  if (/^DEALLOCATE\b/.test(upper)) return { tag: 'DEALLOCATE' };
  const set = /^SET\s+(?:SESSION\s+|LOCAL\s+)?([A-Za-z_][\w.]*)\s*(?:=|\bTO\b)\s*([\s\S]+)$/i.exec(text);
  if (set) {
    const value = unquote(set[2].trim());
    known(set[1]);
    if (set[1].toLowerCase() === AS_OF && Number.isNaN(Date.parse(value)))
      throw new StrataError('SQL_ERROR', `invalid value for parameter "${AS_OF}": "${value}" is not a timestamp`);
    state.settings.set(set[1].toLowerCase(), value);
    return { tag: 'SET' };
  }
  if (/^SET\s+(SESSION\s+)?TIME\s+ZONE\s+/i.test(text)) {
    state.settings.set('timezone', unquote(text.replace(/^SET\s+(SESSION\s+)?TIME\s+ZONE\s+/i, '')));
    return { tag: 'SET' };
  }
  if (/^SET\s+(SESSION\s+CHARACTERISTICS|TRANSACTION)\b/i.test(text)) return { tag: 'SET' };
  const reset = /^RESET\s+([A-Za-z_][\w.]*|ALL)$/i.exec(text);
  if (reset) {
    if (reset[1].toUpperCase() !== 'ALL') known(reset[1]);
    if (reset[1].toUpperCase() === 'ALL') state.settings.clear();
    else state.settings.delete(reset[1].toLowerCase());
    return { tag: 'RESET' };
  }
  if (/^SHOW\s+TRANSACTION\s+ISOLATION\s+LEVEL$/i.test(text))
    return { tag: 'SHOW', result: one('transaction_isolation', setting('transaction_isolation', state, statuses)!) };
  const show = /^SHOW\s+([A-Za-z_][\w.]*)$/i.exec(text);
  if (show && !/^(TABLES|SCHEMAS|DATABASES)$/i.test(show[1])) {
    const name = show[1].toLowerCase();
    if (name === 'all') return undefined;
    const value = setting(name, state, statuses);
    if (value === undefined) throw new StrataError('SQL_ERROR', `unrecognized configuration parameter "${name}"`);
    return { tag: 'SHOW', result: one(CANONICAL.get(name) ?? name, value) };
  }
  return undefined;
}

/** `SET strata.as_of = '<timestamp>'`: the session reads the lake as it was then. */
export const AS_OF = 'strata.as_of';

/** A setting's value as SHOW and current_setting() give it (undefined: no such setting). */
export function setting(name: string, state: SessionState, statuses: Record<string, string>): string | undefined {
  const set = state.settings.get(name);
  if (set !== undefined) return set;
  const status = Object.entries(statuses).find(([k]) => k.toLowerCase() === name)?.[1];
  if (status !== undefined) return status;
  const defaults: Record<string, string> = {
    transaction_isolation: 'repeatable read',
    default_transaction_isolation: 'repeatable read',
    transaction_read_only: 'on',
    search_path: '"$user", public',
    max_identifier_length: '63',
    statement_timeout: '0',
    lc_collate: 'C',
    lc_ctype: 'C',
  };
  return defaults[name] ?? PG_DEFAULTS.get(name);
}

/** PostgreSQL's settings and their defaults (as PostgreSQL 15 has them: catalog-data.ts). */
const PG_DEFAULTS = new Map(SETTINGS.map((r) => [String(r[0]).toLowerCase(), String(r[1] ?? '')]));
/** A setting's name as PostgreSQL writes it (SHOW's column: DateStyle, TimeZone). */
const CANONICAL = new Map(SETTINGS.map((r) => [String(r[0]).toLowerCase(), String(r[0])]));

/**
 * A name SET may set: one of PostgreSQL's settings, or a custom one (with a dot: `strata.as_of`).
 * Anything else is refused as PostgreSQL refuses it — and the engine's own settings
 * (enable_external_access, ...) are never reached: SET here only changes this session's values.
 */
function known(name: string): void {
  if (!name.includes('.') && !PG_DEFAULTS.has(name.toLowerCase()))
    throw new StrataError('SQL_ERROR', `unrecognized configuration parameter "${name.toLowerCase()}"`);
}

function unquote(v: string): string {
  const m = /^'((?:[^']|'')*)'$/.exec(v);
  return m ? m[1].replace(/''/g, "'") : v;
}
