// strata quarantine replay <table>: the rows a streaming table's expectations
// quarantined go through its rules again — after a rule was fixed in the
// pipeline SQL, or the rows were fixed in the quarantine (UPDATE ... SET _raw).
// Rows that now pass are appended to the table, rows a DROP ROW rule rejects
// are dropped, the others stay. Two commits, made safe to repeat: the append
// carries a txn naming the quarantine version it replayed, so a replay
// interrupted between them only finishes the second.
import { randomUUID } from 'node:crypto';
import { quarantineLocation, tableExists, type Catalog } from '../catalog/index.js';
import { StrataError } from '../core/index.js';
import { duckdbType, loadSnapshot, planScan, writeTable } from '../delta/index.js';
import { quoteIdent, quoteLiteral, type Session } from '../engine/index.js';
import { sparkExpressions, userSqlFailure } from '../sql/index.js';
import { normalizeName } from './graph.js';
import type { Pipeline } from './project.js';
import { EventLog } from './event-log.js';
import { pipelineId } from './run.js';

export interface ReplayOutcome {
  /** Quarantined rows of the table's expectations that were looked at. */
  replayed: number;
  /** Appended to the table. */
  restored: number;
  /** Left out by a DROP ROW rule. */
  dropped: number;
  /** Still failing a QUARANTINE rule: kept in the quarantine. */
  kept: number;
  /** Rows that did not parse when loaded (not replayable: fix the file and load it again). */
  unparsed: number;
  version?: number;
}

const REPLAY_APP = 'strata-replay:';

export async function replayQuarantine(
  session: Session,
  pipeline: Pipeline,
  table: string,
  opts: { catalog: Catalog },
): Promise<ReplayOutcome> {
  const def = pipeline.datasets.get(normalizeName(table, pipeline.schema));
  if (!def) throw new StrataError('USAGE', `${table} is not a dataset of pipeline ${pipeline.name}`);
  if (def.kind !== 'streaming-table')
    throw new StrataError(
      'USAGE',
      `${def.name} is a materialized view: its quarantine is recomputed at every update (run the pipeline after the fix)`,
    );
  const location = opts.catalog.locationOf(def.name);
  const q = quarantineLocation(location);
  const out: ReplayOutcome = { replayed: 0, restored: 0, dropped: 0, kept: 0, unparsed: 0 };
  if (!tableExists(q)) return out;
  const qsnap = await loadSnapshot(q, { session, name: `${def.name}_quarantine` });
  const target = await loadSnapshot(location, { session, name: def.name });
  const hasFlow = qsnap.schema.fields.some((f) => f.name === '_flow');
  const id = randomUUID().replace(/-/g, '').slice(0, 12);
  const all = `__strata_replay_q_${id}`;
  const rows = `__strata_replay_r_${id}`;
  try {
    const scan = await planScan(qsnap, session, { id });
    try {
      await session.exec(
        `CREATE TEMP TABLE ${quoteIdent(all)} AS SELECT *, row_number() OVER () AS __n FROM (${scan.sql}) AS __q`,
      );
    } finally {
      for (const c of scan.cleanup) await session.exec(c).catch(() => undefined);
    }
    const [{ n: unparsed }] = await session.rows<{ n: bigint }>(
      `SELECT count(*) AS n FROM temp.${quoteIdent(all)}${hasFlow ? ' WHERE _flow IS NULL' : ''}`,
    );
    out.unparsed = Number(unparsed);
    if (!hasFlow) return out;
    // The rows as the table's columns, parsed back from their JSON.
    const fields = target.schema.fields;
    const shape = JSON.stringify(Object.fromEntries(fields.map((f) => [f.name, duckdbType(f.type)])));
    await session.exec(
      `CREATE TEMP TABLE ${quoteIdent(rows)} AS SELECT __n, ${fields.map((f) => `__s.${quoteIdent(f.name)}`).join(', ')} FROM (SELECT __n, json_transform(_raw, ${quoteLiteral(shape)}) AS __s FROM temp.${quoteIdent(all)} WHERE _flow IS NOT NULL)`,
    );
    const [{ n }] = await session.rows<{ n: bigint }>(`SELECT count(*) AS n FROM temp.${quoteIdent(rows)}`);
    out.replayed = Number(n);
    if (out.replayed === 0) return out;
    const rules = def.expectations;
    const typed = await sparkExpressions(
      session,
      `temp.${quoteIdent(rows)}`,
      rules.map((e) => e.expr),
    );
    const exprOf = new Map(rules.map((e, i) => [e.expr, typed[i]]));
    const ok = (expr: string) => `coalesce((${exprOf.get(expr) ?? expr})::BOOLEAN, false)`;
    const fail = rules.find((e) => e.action === 'fail');
    if (fail) {
      const [bad] = await session
        .rows<{ c: bigint }>(`SELECT count(*) AS c FROM temp.${quoteIdent(rows)} WHERE NOT ${ok(fail.expr)}`)
        .catch((err: unknown) => {
          throw userSqlFailure(err, fail.expr);
        });
      if (Number(bad.c) > 0)
        throw new StrataError(
          'EXPECTATION_FAILED',
          `replay of ${def.name}: ${bad.c} row(s) fail expectation ${fail.name} (ON VIOLATION FAIL UPDATE); nothing was replayed`,
        );
    }
    const quarantineOk =
      rules
        .filter((e) => e.action === 'quarantine')
        .map((e) => ok(e.expr))
        .join(' AND ') || 'true';
    const dropOk =
      rules
        .filter((e) => e.action === 'drop')
        .map((e) => ok(e.expr))
        .join(' AND ') || 'true';
    // The rules are the user's SQL: a failure evaluating them is theirs, shown in their words.
    const [counts] = await session
      .rows<{ restored: bigint; dropped: bigint; kept: bigint }>(
        `SELECT count(*) FILTER (WHERE (${quarantineOk}) AND (${dropOk})) AS restored, count(*) FILTER (WHERE (${quarantineOk}) AND NOT (${dropOk})) AS dropped, count(*) FILTER (WHERE NOT (${quarantineOk})) AS kept FROM temp.${quoteIdent(rows)}`,
      )
      .catch((err: unknown) => {
        throw userSqlFailure(err, rules.map((e) => e.expr).join('\n'));
      });
    out.restored = Number(counts.restored);
    out.dropped = Number(counts.dropped);
    out.kept = Number(counts.kept);
    if (out.restored + out.dropped === 0) return out;
    // 1. The rows that pass, appended once (the txn names the quarantine version replayed).
    const appId = `${REPLAY_APP}${qsnap.metadata.id}`;
    if ((target.txns.get(appId)?.version ?? -1) < qsnap.version && out.restored > 0) {
      const written = await writeTable(session, {
        location,
        name: def.name,
        mode: 'append',
        select: `SELECT ${fields.map((f) => quoteIdent(f.name)).join(', ')} FROM temp.${quoteIdent(rows)} WHERE (${quarantineOk}) AND (${dropOk})`,
        txns: [{ appId, version: qsnap.version }],
        operation: 'WRITE',
        operationParameters: { replayOf: `${def.name}_quarantine`, quarantineVersion: qsnap.version },
      });
      out.version = written.version;
    }
    // 2. The quarantine keeps the rows still failing (and rows that did not parse).
    const qfields = qsnap.schema.fields.map((f) => quoteIdent(f.name)).join(', ');
    await writeTable(session, {
      location: q,
      name: `${def.name}_quarantine`,
      mode: 'overwrite',
      select: `SELECT ${qfields} FROM temp.${quoteIdent(all)} WHERE __n NOT IN (SELECT __n FROM temp.${quoteIdent(rows)} WHERE (${quarantineOk}))`,
      operation: 'WRITE',
      operationParameters: { replayed: out.restored + out.dropped },
    });
    const log = new EventLog(opts.catalog.system('event_log'), {
      pipeline_id: pipelineId(pipeline.name),
      pipeline_name: pipeline.name,
      update_id: randomUUID(),
    });
    log.add(
      'user_action',
      `Quarantine of ${def.name} replayed: ${out.restored} restored, ${out.dropped} dropped, ${out.kept} kept.`,
      { action: 'QUARANTINE_REPLAY', dataset: def.name, ...out },
      { origin: { dataset_name: def.name } },
    );
    await log.flush(session);
    return out;
  } finally {
    await session.exec(`DROP TABLE IF EXISTS temp.${quoteIdent(all)}`).catch(() => undefined);
    await session.exec(`DROP TABLE IF EXISTS temp.${quoteIdent(rows)}`).catch(() => undefined);
  }
}
