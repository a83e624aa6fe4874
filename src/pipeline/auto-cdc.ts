// AUTO CDC (APPLY CHANGES) flows: a stream of change events applied to a
// target by key, as SCD type 1 or 2, whatever order the events come in.
//
// The flow keeps every event it has read in a state table inside the target's
// folder (`_strata_cdc/`, a Delta table Delta readers and VACUUM leave alone).
// An update:
//   1. reads what the source gained since the state's stream progress, turns
//      each row into an event (its columns, `__seq` from SEQUENCE BY, `__op`
//      from APPLY AS DELETE / TRUNCATE WHEN) and appends them to the state as
//      batch n, with the progress, in one commit;
//   2. recomputes the keys of the batches the target has not applied from all
//      of those keys' events (cdc.ts), and replaces their rows in the target in
//      one commit that records batch n as applied.
// A run killed between the two commits redoes step 2 only; a run killed before
// the first reads the same rows again. A truncate recomputes every key.
// Deleted keys of SCD1 targets keep their events (the tombstone) for
// `pipelines.cdc.tombstoneGCThresholdInSeconds` (default two days), then go.
import * as path from 'node:path';
import { StrataError } from '../core/index.js';
import {
  alterTable,
  createTable,
  deleteRows,
  filesForKeys,
  loadSnapshot,
  mergeInto,
  planScan,
  pruneFiles,
  replaceKeys,
  writeTable,
  type Snapshot,
  type StructField,
  deltaTypeOf,
} from '../delta/index.js';
import { quoteIdent, type Session } from '../engine/index.js';
import type { CdcSpec } from './cdc-parse.js';
import { scdSql, type ScdShape } from './cdc.js';
import { pipelineInfo, tableExists, type FlowResult, type RunContext, readContext } from './context.js';
import type { DatasetDefinition, FlowDefinition } from './parse.js';
import { withReads } from '../sql/index.js';
import { appendQuarantine, deleteQuarantineRows } from '../ingest/index.js';
import { applyExpectations } from './expectations.js';
import { STREAM_SOURCES_INFO } from './stream-progress.js';
import { readStreams, STREAM_APP } from './streaming.js';
import { checkEvents, eventsSql, resolveColumn, selectColumns, sparkStrings, trackedColumns } from './cdc-events.js';

/** The state table's folder, inside the target's. */
export const CDC_STATE_DIR = '_strata_cdc';
/** The txn app id numbering the state's batches (in the state) and the last one applied (in the target). */
export const CDC_BATCH_APP = 'strata-cdc-batch';
/** The state's link to its target: the target's table id (a full refresh gives the target a new one). */
const TARGET_ID = 'strata.cdc.targetId';
const stateProperties = (targetId: string) => ({ [TARGET_ID]: targetId, 'delta.targetFileSize': '8MB' });
const TOMBSTONE_SETTING = 'pipelines.cdc.tombstoneGCThresholdInSeconds';
const DEFAULT_TOMBSTONE_SECONDS = 2 * 24 * 3600;
const START = '__START_AT';
const END = '__END_AT';

/** The events read by this update (a temp table), when they are the only batch to apply. */
interface FreshEvents {
  table: string;
  rows: number;
  /** The smallest sequence value, as text. */
  minSeq: string | null;
}

interface CdcTables {
  location: string;
  name: string;
  stateLocation: string;
  stateName: string;
}

export async function runAutoCdc(
  ctx: RunContext,
  def: DatasetDefinition,
  location: string,
  query: string,
  flow: FlowDefinition,
  result: FlowResult,
): Promise<void> {
  const { session } = ctx;
  const t: CdcTables = {
    location,
    name: def.name,
    stateLocation: path.join(location, CDC_STATE_DIR),
    stateName: `${def.name} (AUTO CDC state)`,
  };

  // The target, and its state (reset when the target was replaced by a full refresh).
  if (!tableExists(location)) {
    await createTable(session, {
      location,
      name: def.name,
      ifNotExists: true,
      schema: { kind: 'struct', fields: def.columns },
      properties: def.properties,
      description: def.comment,
    });
  }
  let target = await loadSnapshot(location, { session, name: def.name });
  let state = tableExists(t.stateLocation)
    ? await loadSnapshot(t.stateLocation, { session, name: t.stateName })
    : undefined;
  if (state && state.metadata.configuration[TARGET_ID] !== target.metadata.id) {
    // (A replaced table keeps its txn versions: they are reset.)
    const resets = [...state.txns.keys()].map((appId) => ({ appId, version: appId === CDC_BATCH_APP ? 0 : -1 }));
    await createTable(session, {
      location: t.stateLocation,
      name: t.stateName,
      replace: true,
      newId: true,
      schema: { kind: 'struct', fields: [] },
      properties: stateProperties(target.metadata.id),
      txns: resets,
    });
    state = await loadSnapshot(t.stateLocation, { session, name: t.stateName });
  }

  // The events read now (a temp table), which step 2 uses when they are the only batch to apply.
  const events = `temp.${quoteIdent(`__strata_cdc_events_${Math.random().toString(36).slice(2, 10)}`)}`;
  try {
    const appended = await appendEvents(ctx, def, t, query, flow, target, state, events, result);
    state = appended.state;
    const { spec, columns, keys, batch } = appended;

    const applied = target.txns.get(CDC_BATCH_APP)?.version ?? 0;
    if (!state || applied >= batch) {
      result.status = 'COMPLETED';
      result.message = 'no new data';
      result.version = target.version;
      return;
    }
    const fresh = appended.fresh && applied === batch - 1 ? appended.fresh : undefined;
    target = await applyBatches(ctx, def, t, flow, spec, columns, keys, target, state, applied, batch, fresh, result);
    if (spec.scdType === 1) await collectTombstones(session, ctx, target, state, t.stateLocation, t.stateName, keys);
  } finally {
    await session.exec(`DROP TABLE IF EXISTS ${events}`).catch(() => undefined);
  }
}

/** 1. What the source gained since the state's progress, as events (kept in the temp table `events`) appended to the state (batch n). */
async function appendEvents(
  ctx: RunContext,
  def: DatasetDefinition,
  t: CdcTables,
  query: string,
  flow: FlowDefinition,
  target: Snapshot,
  state: Snapshot | undefined,
  events: string,
  result: FlowResult,
) {
  const { session } = ctx;
  const read = await readStreams(ctx, def, query, flow.name, state?.txns ?? new Map(), state);
  let batch = state?.txns.get(CDC_BATCH_APP)?.version ?? 0;
  try {
    if (read.progress.length === 0) {
      throw new StrataError(
        'PIPELINE',
        `${flow.name}: AUTO CDC reads its source as a stream; write FROM STREAM(${flow.cdc!.source.replace(/^\s*stream\s*\(?|\)\s*$/gi, '')})`,
        { context: { table: def.name } },
      );
    }
    // (Its batch reads — a table the source view joins — resolved as when the rows are read.)
    const sourceColumns = await withReads(session, read.sql, readContext(ctx), async (rows) =>
      (await session.describe(`SELECT * FROM (${rows}) AS __q LIMIT 0`)).map((c) => c.name),
    );
    const columns = selectColumns(flow, flow.cdc!, sourceColumns);
    const spec = sparkStrings(flow.cdc!, sourceColumns);
    const keys = spec.keys.map((k) => resolveColumn(flow, 'KEYS', k, columns));
    let fresh: FreshEvents | undefined;
    if (read.pending) {
      // The target's expectations apply to the source rows, before they become changes (as in Databricks).
      let total: number | undefined;
      await withReads(session, read.sql, readContext(ctx), async (rows) => {
        const checked = await applyExpectations(ctx, def, rows, result, batch + 1);
        total = checked.total;
        try {
          if (def.expectations.some((e) => e.action === 'quarantine')) {
            await deleteQuarantineRows(session, t, `_batch_id = ${batch + 1}`);
            if (checked.quarantine !== undefined) await appendQuarantine(session, t, checked.quarantine);
          }
          result.quarantined = checked.quarantined;
          await session.exec(`CREATE TEMP TABLE ${events} AS ${eventsSql(spec, columns, checked.select)}`);
        } finally {
          for (const s of checked.cleanup) await session.exec(s).catch(() => undefined);
        }
      });
      await checkEvents(session, flow, spec, keys, events, spec.source.trim());
      const [{ n, lo }] = await session.rows<{ n: bigint; lo: string | null }>(
        `SELECT count(*) AS n, min(__seq)::VARCHAR AS lo FROM ${events}`,
      );
      result.rowsRead += total ?? Number(n);
      fresh = { table: events, rows: Number(n), minSeq: lo };
      batch++;
      if (!state) {
        await createTable(session, {
          location: t.stateLocation,
          name: t.stateName,
          ifNotExists: true,
          schema: { kind: 'struct', fields: [] },
          properties: stateProperties(target.metadata.id),
        });
      }
      await writeTable(session, {
        location: t.stateLocation,
        name: t.stateName,
        mode: 'append',
        mergeSchema: true,
        // Sorted by key, in files of a few MB: an update reads only the files whose key range it touches.
        select: `SELECT *, ${batch}::BIGINT AS __batch, make_timestamp(${Math.round(ctx.now() * 1000)}::BIGINT) AS __recorded_at FROM ${events} ORDER BY ${keys.map(quoteIdent).join(', ')}`,
        txns: [...read.progress, { appId: CDC_BATCH_APP, version: batch }],
        readVersion: state?.version,
        operation: 'STREAMING UPDATE',
        operationParameters: { outputMode: 'Append', queryId: flow.name, epochId: batch },
        info: { ...pipelineInfo(ctx, flow.name), [STREAM_SOURCES_INFO]: read.stamps },
      });
      state = await loadSnapshot(t.stateLocation, { session, name: t.stateName });
    }
    return { state, spec, columns, keys, batch, fresh };
  } finally {
    for (const s of read.cleanup) await session.exec(s).catch(() => undefined);
  }
}

/** 2. The keys of the batches the target has not applied, recomputed from all their events and replaced in one commit. */
async function applyBatches(
  ctx: RunContext,
  def: DatasetDefinition,
  t: CdcTables,
  flow: FlowDefinition,
  spec: CdcSpec,
  columns: string[],
  keys: string[],
  target: Snapshot,
  state: Snapshot,
  applied: number,
  batch: number,
  fresh: FreshEvents | undefined,
  result: FlowResult,
): Promise<Snapshot> {
  const { session } = ctx;
  const nonKeys = columns.filter((c) => !keys.includes(c));
  const shape: ScdShape = {
    type: spec.scdType,
    keys,
    columns: nonKeys,
    tracked: spec.scdType === 2 ? trackedColumns(flow, spec, nonKeys) : [],
    ignoreNullUpdates: spec.ignoreNullUpdates,
  };
  const id = Math.random().toString(36).slice(2, 10);
  const cleanup: string[] = [];
  try {
    // The events to apply: those just read when they are the only batch, else the state's.
    let pending = fresh?.table;
    if (!pending) {
      const scan = await planScan(state, session, {
        id: `${id}p`,
        files: pruneFiles(state, { kind: 'cmp', column: '__batch', op: '>', value: applied }),
      });
      cleanup.push(...scan.cleanup);
      pending = `(SELECT * FROM (${scan.sql}) AS __p WHERE __batch > ${applied})`;
    }
    const [{ truncates }] = await session.rows<{ truncates: bigint }>(
      `SELECT count(*) FILTER (WHERE __op = 'truncate') AS truncates FROM ${pending} AS __p`,
    );
    const truncated = Number(truncates) > 0;
    // The keys to recompute (all on a truncate), once; the state's files are those of their range.
    const keysT = `temp.${quoteIdent(`__strata_cdc_keys_${id}`)}`;
    let stateFiles = state.files;
    // The touched keys' events only (with their range, for row-group skipping); all on a truncate.
    let join = '';
    const where = [`__op <> 'truncate'`];
    if (!truncated) {
      cleanup.push(`DROP TABLE IF EXISTS ${keysT}`);
      await session.exec(
        `CREATE TEMP TABLE ${keysT} AS SELECT DISTINCT ${keys.map(quoteIdent).join(', ')} FROM ${pending} AS __p WHERE __op <> 'truncate'`,
      );
      const range = await filesForKeys(session, state, keys, keysT);
      stateFiles = range.files;
      join = `SEMI JOIN ${keysT} AS __k ON ${range.match('__e', '__k')}`;
      where.push(range.filter(`__e.${quoteIdent(keys[0])}`));
    }
    const keySet = truncated ? undefined : keysT;
    const txns = [
      { appId: CDC_BATCH_APP, version: batch },
      ...[...state.txns.entries()]
        .filter(([a]) => a.startsWith(STREAM_APP))
        .map(([appId, x]) => ({ appId, version: x.version })),
    ];
    const info = (inOrder: boolean) => ({
      ...pipelineInfo(ctx, flow.name),
      strataCdc: { batches: [applied + 1, batch], truncated, ...(inOrder ? { inOrder } : {}) },
    });
    if (fresh && !truncated) {
      const continued = await applyInOrder(
        ctx,
        t,
        shape,
        columns,
        target,
        state,
        applied,
        fresh,
        keysT,
        txns,
        info(true),
        result,
      );
      if (continued) return continued;
    }
    const all = await planScan(state, session, { id: `${id}a`, files: stateFiles });
    cleanup.push(...all.cleanup);
    if (spec.truncateWhen) {
      // Events after the last truncate (a truncate at the same sequence value comes after).
      const whole = await planScan(state, session, { id: `${id}t` });
      cleanup.push(...whole.cleanup);
      const lastTruncate = `(SELECT max(__seq) FROM (${whole.sql}) AS __t WHERE __op = 'truncate')`;
      where.push(`(__seq > ${lastTruncate} OR ${lastTruncate} IS NULL)`);
    }
    const events = `SELECT * FROM (${all.sql}) AS __e ${join} WHERE ${where.join(' AND ')}`;
    const rows = `SELECT ${[...columns.map(quoteIdent), ...(spec.scdType === 2 ? [START, END] : [])].join(', ')} FROM (${scdSql(shape, events)}) AS __r`;
    target = await ensureSchema(session, def, t.location, target, rows);
    const outcome = await replaceKeys(session, {
      location: t.location,
      name: t.name,
      keys,
      keySet,
      keySetDistinct: true,
      rows,
      // Deleted: a key whose (current) row is gone — not an updated one.
      countKeysGone: spec.scdType === 2 ? `${END} IS NULL` : 'true',
      txns,
      readVersion: target.version,
      operation: 'MERGE',
      operationParameters: { predicate: JSON.stringify([`AUTO CDC ${flow.name} KEYS (${keys.join(', ')})`]) },
      info: info(false),
      now: ctx.now,
    });
    result.rowsWritten = outcome.numRowsChanged;
    result.version = outcome.version;
    const deleted = outcome.numKeysGone ?? 0;
    result.metrics = { num_upserted_rows: outcome.numRowsChanged, num_deleted_rows: deleted };
    result.message = `${outcome.numRowsChanged} upserted, ${deleted} deleted; ${outcome.numFilesRemoved} file(s) rewritten`;
    return target;
  } finally {
    for (const s of cleanup) await session.exec(s).catch(() => undefined);
  }
}

/**
 * 2'. SCD type 2, when the batch's changes all come after every change the state held before
 * (known from the state files' `__seq` statistics, without reading them): the closed versions
 * cannot change, so each touched key's history continues from its current version alone. The
 * current version stands in as the key's first event (at its `__START_AT`), the batch's changes
 * follow, and the result is merged by (keys, `__START_AT`): the current version is updated (or
 * closed) and new versions are inserted. Gives the same rows as the full recompute; undefined
 * when it does not apply (then the full recompute runs).
 */
async function applyInOrder(
  ctx: RunContext,
  t: CdcTables,
  shape: ScdShape,
  columns: string[],
  target: Snapshot,
  state: Snapshot,
  applied: number,
  fresh: FreshEvents,
  keysT: string,
  txns: { appId: string; version: number }[],
  info: Record<string, unknown>,
  result: FlowResult,
): Promise<Snapshot | undefined> {
  const { session } = ctx;
  const seq = state.schema.fields.find((f) => f.name === '__seq');
  const targetColumns = new Set(target.schema.fields.map((f) => f.name));
  if (
    shape.type !== 2 ||
    seq?.type.kind !== 'primitive' ||
    ![...columns, START, END].every((c) => targetColumns.has(c))
  )
    return undefined;
  const lo = fresh.minSeq;
  if (lo === null) return undefined;
  const earlier = pruneFiles(state, {
    kind: 'and',
    items: [
      { kind: 'cmp', column: '__batch', op: '<=', value: applied },
      { kind: 'cmp', column: '__seq', op: '>=', value: lo },
    ],
  });
  if (earlier.length > 0) return undefined;
  const range = await filesForKeys(session, target, shape.keys, keysT);
  if (range.nullKeys) return undefined;
  const q = quoteIdent;
  const id = Math.random().toString(36).slice(2, 10);
  const scan = await planScan(target, session, { id: `${id}c`, files: range.files });
  try {
    const cols = columns.map(q).join(', ');
    const current = `SELECT ${cols}, ${START} AS __seq, 'upsert' AS __op FROM (${scan.sql}) AS __c
      SEMI JOIN ${keysT} AS __k ON ${range.match('__c', '__k')} WHERE ${range.filter(`__c.${q(shape.keys[0])}`)} AND ${END} IS NULL`;
    const rows =
      fresh.rows === range.count
        ? oneChangePerKey(shape, fresh.table, current, range.match('__e', '__c'))
        : `SELECT ${[...columns.map(q), START, END].join(', ')} FROM (${scdSql(shape, `SELECT ${cols}, __seq, __op FROM ${fresh.table} UNION ALL ${current}`)}) AS __r`;
    const same = [...columns, START, END].map((c) => `__t.${q(c)} IS NOT DISTINCT FROM __s.${q(c)}`).join(' AND ');
    // Deleted: a key whose current version is closed with none after it (an update opens one).
    const keyList = shape.keys.map(q).join(', ');
    const [gone] = await session.rows<{ n: bigint }>(
      `SELECT count(*) AS n FROM (SELECT ${keyList} FROM (${current}) AS __c EXCEPT SELECT ${keyList} FROM (${rows}) AS __r WHERE ${END} IS NULL)`,
    );
    const deleted = Number(gone.n);
    const outcome = await mergeInto(session, {
      location: t.location,
      name: t.name,
      targetAlias: '__t',
      source: rows,
      sourceAlias: '__s',
      on: `${range.match('__t', '__s')} AND __t.${START} = __s.${START} AND __t.${END} IS NULL`,
      keyPairs: shape.keys.map((k) => [k, k]),
      clauses: [
        { when: 'matched', condition: `NOT (${same})`, action: 'update', set: '*' },
        { when: 'not-matched', action: 'insert' },
      ],
      txns,
      readVersion: target.version,
      info,
      now: ctx.now,
    });
    const changed = outcome.numTargetRowsUpdated + outcome.numTargetRowsInserted;
    result.rowsWritten = changed;
    result.version = outcome.version;
    result.metrics = { num_upserted_rows: changed, num_deleted_rows: deleted };
    result.message = `${changed} upserted, ${deleted} deleted; ${outcome.numTargetFilesRemoved} file(s) rewritten (changes in sequence order: current versions continued)`;
    return await loadSnapshot(t.location, { session, name: t.name });
  } finally {
    for (const s of scan.cleanup) await session.exec(s).catch(() => undefined);
  }
}

/**
 * SCD type 2 rows for a batch with one change per key, each after the key's current version
 * (`current`: that version as an event at its start), by a join instead of windows: the
 * current version is updated in place (same tracked values), or closed at the change (other
 * tracked values, or a delete); an upsert that is not in place opens a new version.
 */
function oneChangePerKey(shape: ScdShape, fresh: string, current: string, match: string): string {
  const q = quoteIdent;
  const value = (c: string) => (shape.ignoreNullUpdates ? `coalesce(__e.${q(c)}, __c.${q(c)})` : `__e.${q(c)}`);
  const tracked = shape.tracked.length
    ? `struct_pack(${shape.tracked.map((c) => `${q(c)} := ${value(c)}`).join(', ')}) IS NOT DISTINCT FROM struct_pack(${shape.tracked.map((c) => `${q(c)} := __c.${q(c)}`).join(', ')})`
    : 'TRUE';
  const inPlace = `(__c.__seq IS NOT NULL AND __e.__op = 'upsert' AND ${tracked})`;
  const keys = shape.keys.map((c) => `__e.${q(c)} AS ${q(c)}`);
  // The join once (materialized), read by both halves.
  const e = (c: string) => q(`__e_${c}`);
  const c = (x: string) => q(`__c_${x}`);
  const pairs = `SELECT ${[...keys, ...shape.columns.map((x) => `${value(x)} AS ${e(x)}`), ...shape.columns.map((x) => `__c.${q(x)} AS ${c(x)}`)].join(', ')},
      __e.__seq AS __e_seq, __c.__seq AS __c_seq, __e.__op = 'upsert' AS __upsert, ${inPlace} AS __in_place
    FROM ${fresh} AS __e LEFT JOIN (${current}) AS __c ON ${match}`;
  const keyCols = shape.keys.map(q);
  return `WITH __j AS MATERIALIZED (${pairs})
    SELECT ${[...keyCols, ...shape.columns.map((x) => `CASE WHEN __in_place THEN ${e(x)} ELSE ${c(x)} END AS ${q(x)}`)].join(', ')},
      __c_seq AS ${START}, CASE WHEN __in_place THEN NULL ELSE __e_seq END AS ${END}
    FROM __j WHERE __c_seq IS NOT NULL
    UNION ALL
    SELECT ${[...keyCols, ...shape.columns.map((x) => `${e(x)} AS ${q(x)}`)].join(', ')}, __e_seq AS ${START}, NULL AS ${END}
    FROM __j WHERE __upsert AND NOT __in_place`;
}

/** The target's columns: from the events when it was declared without them; columns the source gained are added. */
async function ensureSchema(
  session: Session,
  def: DatasetDefinition,
  location: string,
  target: Snapshot,
  rows: string,
): Promise<Snapshot> {
  const described = await session.describe(`SELECT * FROM (${rows}) AS __r LIMIT 0`);
  const fields: StructField[] = described.map((c) => ({
    name: c.name,
    type: deltaTypeOf(c.type, `${def.name}.${c.name}`),
    nullable: true,
    metadata: {},
  }));
  if (target.schema.fields.length > 0) {
    const known = new Set(target.schema.fields.map((f) => f.name.toLowerCase()));
    const added = fields.filter((f) => !known.has(f.name.toLowerCase()));
    if (added.length === 0) return target;
    await alterTable(session, { location, name: def.name }, { kind: 'add-columns', columns: added });
  } else {
    await createTable(session, {
      location,
      name: def.name,
      replace: true,
      schema: { kind: 'struct', fields },
      partitionColumns: def.partitionedBy,
      properties: def.properties,
      description: def.comment,
      txns: [...target.txns.entries()].map(([appId, t]) => ({ appId, version: t.version })),
    });
  }
  return loadSnapshot(location, { session, name: def.name });
}

/** SCD1: keys deleted longer ago than the tombstone threshold lose their events (a late, older upsert then comes back, as in Databricks). */
async function collectTombstones(
  session: Session,
  ctx: RunContext,
  target: Snapshot,
  state: Snapshot,
  stateLocation: string,
  stateName: string,
  keys: string[],
): Promise<void> {
  const setting = target.metadata.configuration[TOMBSTONE_SETTING];
  const seconds = setting !== undefined && /^\d+$/.test(setting.trim()) ? Number(setting) : DEFAULT_TOMBSTONE_SECONDS;
  const cutoffMs = ctx.now() - seconds * 1000;
  const cutoff = `make_timestamp(${Math.round(cutoffMs * 1000)}::BIGINT)`;
  // Only the state files that can hold a delete recorded before the cutoff (each file is one
  // batch, recorded at one time): most updates find none and read nothing.
  const old = pruneFiles(state, {
    kind: 'and',
    items: [
      { kind: 'cmp', column: '__recorded_at', op: '<', value: new Date(cutoffMs).toISOString() },
      { kind: 'cmp', column: '__op', op: '=', value: 'delete' },
    ],
  });
  if (old.length === 0) return;
  const keyList = keys.map(quoteIdent).join(', ');
  const id = Math.random().toString(36).slice(2, 8);
  const oldScan = await planScan(state, session, { id: `gc${id}o`, files: old });
  const scan = await planScan(state, session, { id: `gc${id}a` });
  const expired = `temp.${quoteIdent(`__strata_cdc_gc_${id}`)}`;
  try {
    // Keys with such a delete whose latest event is that delete.
    await session.exec(
      `CREATE TEMP TABLE ${expired} AS SELECT ${keyList} FROM (${scan.sql}) AS __s
         SEMI JOIN (SELECT DISTINCT ${keyList} FROM (${oldScan.sql}) AS __o WHERE __op = 'delete' AND __recorded_at < ${cutoff}) AS __c USING (${keyList})
       WHERE __op <> 'truncate' GROUP BY ${keyList}
       HAVING arg_max(__op, __seq) = 'delete' AND arg_max(__recorded_at, __seq) < ${cutoff}`,
    );
    const [{ n }] = await session.rows<{ n: bigint }>(`SELECT count(*) AS n FROM ${expired}`);
    if (Number(n) > 0)
      await deleteRows(session, {
        location: stateLocation,
        name: stateName,
        where: `(${keyList}) IN (SELECT (${keyList}) FROM ${expired})`,
        now: ctx.now,
      });
  } finally {
    for (const s of [`DROP TABLE IF EXISTS ${expired}`, ...oldScan.cleanup, ...scan.cleanup])
      await session.exec(s).catch(() => undefined);
  }
}
