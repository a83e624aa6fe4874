// The state of an AUTO CDC target (SCD type 1 or 2) computed from a set of
// change events, whatever order and batches they came in: each key's events
// are put in sequence order and replayed in SQL. A flow keeps the events it
// has seen, and recomputes the keys a batch touches from all of theirs, so a
// late event lands at its place in the history (splitting the version it falls
// into) and a delete's tombstone keeps an older upsert from coming back.
//
// Events: the selected columns, `__seq` (the SEQUENCE BY value), `__op`
// ('upsert' | 'delete'). Ties (one key, one sequence value) are broken by the
// operation (upserts before deletes), then by the row's content, so the result
// never depends on arrival order.
import { quoteIdent } from '../engine/index.js';

export interface ScdShape {
  type: 1 | 2;
  keys: string[];
  /** Output columns other than the keys, in order. */
  columns: string[];
  /** SCD2: the columns whose change opens a new version. */
  tracked: string[];
  ignoreNullUpdates: boolean;
}

/** SQL of the target rows for the events of `events` (a relation). SCD2 adds `__START_AT`, `__END_AT`. */
export function scdSql(shape: ScdShape, events: string): string {
  const q = quoteIdent;
  const keys = shape.keys.map(q).join(', ');
  const cols = shape.columns.map(q);
  // One order for every window: sequence, upserts before deletes, then the row's values (a
  // deterministic tie-break that needs no hashing).
  const order = ['__seq', `CASE __op WHEN 'delete' THEN 1 ELSE 0 END`, ...cols.map((c) => `${c} NULLS FIRST`)].join(
    ', ',
  );
  const tracked = shape.tracked.length
    ? `struct_pack(${shape.tracked.map((c) => `${q(c)} := ${q(c)}`).join(', ')})`
    : 'NULL';
  // Without IGNORE NULL UPDATES, where SCD2 versions start is known in the first pass: at an
  // upsert whose previous event is not an upsert (none, or a delete) or had other tracked values.
  const startsNow = shape.type === 2 && !shape.ignoreNullUpdates;
  const startCol = startsNow
    ? `, CASE WHEN lag(__op) OVER __w IS DISTINCT FROM 'upsert' OR lag(${tracked}) OVER __w IS DISTINCT FROM ${tracked} THEN 1 ELSE 0 END AS __start`
    : '';
  // Only the windows a shape needs (DuckDB computes unused ones too):
  // __seg: deletes before the event (a delete ends what came before it), for IGNORE NULL UPDATES
  // and SCD2 versions found in the second pass; __last: the key's event count (SCD1); __next:
  // the next event's sequence (SCD2).
  const needSeg = shape.ignoreNullUpdates || (shape.type === 2 && !startsNow);
  const extra = [
    needSeg
      ? `coalesce(count(*) FILTER (WHERE __op = 'delete') OVER (__w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS __seg`
      : '',
    shape.type === 1 ? `count(*) OVER (PARTITION BY ${keys}) AS __last` : `lead(__seq) OVER __w AS __next`,
  ].filter(Boolean);
  const numbered = `SELECT *, row_number() OVER __w AS __n, ${extra.join(', ')}${startCol}
    FROM (${events}) AS __ev WINDOW __w AS (PARTITION BY ${keys} ORDER BY ${order})`;
  // Upserts, with NULLs filled from the earlier upserts of the segment when IGNORE NULL UPDATES.
  const filled = shape.columns.map((c) =>
    shape.ignoreNullUpdates
      ? `last_value(${q(c)} IGNORE NULLS) OVER (PARTITION BY ${keys}, __seg ORDER BY __n ROWS UNBOUNDED PRECEDING) AS ${q(c)}`
      : q(c),
  );
  const carried = [
    '__seq',
    '__n',
    needSeg ? '__seg' : '',
    shape.type === 1 ? '__last' : '__next',
    startsNow ? '__start' : '',
  ].filter(Boolean);
  const upserts = `SELECT ${keys}, ${carried.join(', ')}${filled.length ? `, ${filled.join(', ')}` : ''} FROM (${numbered}) AS __s WHERE __op = 'upsert'`;
  if (shape.type === 1) {
    // The latest event of each key, when it is an upsert.
    return `SELECT ${[keys, ...cols].join(', ')} FROM (${upserts}) AS __u WHERE __n = __last`;
  }
  // A version starts at the first upsert of a segment and wherever a tracked column changes.
  const starts = startsNow
    ? upserts
    : `SELECT *, CASE WHEN lag(__seg) OVER __w IS DISTINCT FROM __seg OR lag(${tracked}) OVER __w IS DISTINCT FROM ${tracked} THEN 1 ELSE 0 END AS __start
      FROM (${upserts}) AS __u WINDOW __w AS (PARTITION BY ${keys} ORDER BY __n)`;
  const versions = `SELECT *, sum(__start) OVER (PARTITION BY ${keys} ORDER BY __n ROWS UNBOUNDED PRECEDING) AS __ver FROM (${starts}) AS __t`;
  // Tracked values are the version's; the others are its last upsert's (updated in place).
  const last = (c: string) => `arg_max_null(${q(c)}, __n) AS ${q(c)}`;
  return `SELECT ${[keys, ...shape.columns.map(last)].join(', ')}, min(__seq) AS __START_AT, arg_max_null(__next, __n) AS __END_AT
    FROM (${versions}) AS __v GROUP BY ${keys}, __ver`;
}
