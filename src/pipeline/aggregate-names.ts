// The names of DuckDB's aggregate functions (lower case), asked once per process: the
// streaming check and incremental views both need to know whether a call aggregates.
import type { Session } from '../engine/index.js';

let names: Promise<Set<string>> | undefined;

export function aggregateNames(session: Session): Promise<Set<string>> {
  names ??= session
    .rows<{ n: string }>(
      `SELECT DISTINCT lower(function_name) AS n FROM duckdb_functions() WHERE function_type = 'aggregate'`,
    )
    .then((rows) => new Set([...rows.map((r) => r.n), 'count_star']));
  names.catch(() => (names = undefined)); // a failed look-up is asked again next time
  return names;
}
