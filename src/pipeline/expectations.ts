// Expectations applied to a flow's output: counts per rule, FAIL UPDATE, DROP ROW, QUARANTINE.
import { randomUUID } from 'node:crypto';
import { StrataError } from '../core/index.js';
import { quoteIdent, quoteLiteral } from '../engine/index.js';
import { sparkExpressions } from '../sql/index.js';
import { NONDETERMINISTIC, type FlowResult, type RunContext } from './context.js';
import type { DatasetDefinition, Expectation } from './parse.js';

const zip = <A, B>(a: A[], b: B[]): [A, B][] => a.map((x, i) => [x, b[i]]);

export interface Checked {
  /** The rows to write. */
  select: string;
  /** Rows for the quarantine, if a QUARANTINE rule exists. */
  quarantine?: string;
  /** Rows in, when expectations were evaluated. */
  total?: number;
  /** Rows sent to the quarantine. */
  quarantined: number;
  cleanup: string[];
}

/**
 * Applies a dataset's expectations to a flow's output: counts each rule's
 * failures (a NULL result counts as failed), fails the flow on a FAIL UPDATE
 * rule with a sample row, leaves out DROP ROW failures and sends QUARANTINE
 * failures to the quarantine with the names of every rule they failed.
 */
export async function applyExpectations(
  ctx: RunContext,
  def: DatasetDefinition,
  sql: string,
  result: FlowResult,
  batchId: number,
): Promise<Checked> {
  const { session } = ctx;
  const rules = def.expectations;
  if (rules.length === 0) return { select: sql, quarantined: 0, cleanup: [] };
  const table = `__strata_checked_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const cleanup = [`DROP TABLE IF EXISTS temp.${quoteIdent(table)}`];
  // The rows are counted, then written: two passes over the query, cheaper than a copy —
  // unless quarantined rows are taken out too (a third pass) or the query is not
  // deterministic (each pass would see other rows): then it is computed once, into a table.
  const once = rules.some((e) => e.action === 'quarantine') || NONDETERMINISTIC.test(sql);
  if (once) await session.exec(`CREATE TEMP TABLE ${quoteIdent(table)} AS ${sql}`);
  const rel = once ? `temp.${quoteIdent(table)}` : `(${sql})`;
  // (Each condition typed against the rows: a string compared with a number cast as Spark does.)
  const exprs = new Map(
    zip(
      rules,
      await sparkExpressions(
        session,
        rel,
        rules.map((e) => e.expr),
      ),
    ),
  );
  const ok = (e: Expectation) => `coalesce((${exprs.get(e)})::BOOLEAN, false)`;
  const drops = rules.filter((e) => e.action === 'drop');
  const quarantines = rules.filter((e) => e.action === 'quarantine');
  const keep = [...drops, ...quarantines].map(ok).join(' AND ') || 'true';
  const quarantineOk = quarantines.map(ok).join(' AND ') || 'true';
  let counts: Record<string, bigint>;
  try {
    [counts] = await session.rows<Record<string, bigint>>(
      `SELECT count(*) AS total, ${rules.map((e, i) => `count(*) FILTER (WHERE NOT ${ok(e)}) AS ${quoteIdent(`f${i}`)}`).join(', ')},
         count(*) FILTER (WHERE NOT (${keep}) AND (${quarantineOk})) AS __dropped, count(*) FILTER (WHERE NOT (${quarantineOk})) AS __quarantined FROM ${rel}`,
    );
  } catch (caught) {
    // The query's own failure is the query's, not an expectation's (every column computed).
    try {
      await session.rows(`SELECT count(hash(q)) AS n FROM ${rel} AS q`);
    } catch {
      await session.exec(cleanup[0]).catch(() => undefined);
      throw caught;
    }
    // Name the rule that does not evaluate.
    for (const e of rules) {
      try {
        await session.rows(`SELECT ${ok(e)} FROM ${rel} LIMIT 0`);
      } catch (err) {
        await session.exec(cleanup[0]).catch(() => undefined);
        throw new StrataError(
          'PIPELINE',
          `${def.where.file}:${def.where.line}: expectation ${e.name} of ${def.name} cannot be evaluated: ${(err as Error).message.split('\n')[0]}`,
          { context: { table: def.name } },
        );
      }
    }
    throw new StrataError('PIPELINE', `expectations of ${def.name} cannot be evaluated`);
  }
  const total = Number(counts.total);
  const failed = rules.map((_, i) => Number(counts[`f${i}`]));
  for (const [i, e] of rules.entries()) {
    const prev = result.expectations.find((x) => x.name === e.name);
    if (prev) {
      prev.passed_records += total - failed[i];
      prev.failed_records += failed[i];
    } else
      result.expectations.push({
        name: e.name,
        dataset: def.name,
        passed_records: total - failed[i],
        failed_records: failed[i],
      });
  }
  const failing = rules.findIndex((e, i) => e.action === 'fail' && failed[i] > 0);
  if (failing >= 0) {
    const e = rules[failing];
    const [sample] = await session.rows<{ j: string }>(
      `SELECT to_json(__r)::VARCHAR AS j FROM ${rel} AS __r WHERE NOT ${ok(e)} LIMIT 1`,
    );
    await session.exec(cleanup[0]).catch(() => undefined);
    throw new StrataError(
      'EXPECTATION_FAILED',
      `expectation ${e.name} (ON VIOLATION FAIL UPDATE) of ${def.name} failed for ${failed[failing]} row(s), e.g. ${sample?.j ?? '?'}; the update of ${def.name} was rolled back`,
      { context: { table: def.name } },
    );
  }
  const { __dropped: dropped, __quarantined: quarantined } = counts;
  result.dropped += Number(dropped);
  const columns = new Set((await session.describe(`SELECT * FROM ${rel}`)).map((c) => c.name.toLowerCase()));
  const fileCol = columns.has('_source_file') ? '__r._source_file::VARCHAR' : 'NULL::VARCHAR';
  const lineCol = columns.has('_file_row') ? '__r._file_row::BIGINT' : 'NULL::BIGINT';
  const failedRules = `list_filter([${rules.map((e) => `CASE WHEN NOT ${ok(e)} THEN ${quoteLiteral(e.name)} END`).join(', ')}], x -> x IS NOT NULL)`;
  const quarantine =
    quarantines.length > 0 && Number(quarantined) > 0
      ? `SELECT ${fileCol} AS _source_file, ${lineCol} AS _file_line, 'failed expectation(s): ' || array_to_string(${failedRules}, ', ') AS _reason, to_json(__r)::VARCHAR AS _raw, ${batchId}::BIGINT AS _batch_id, make_timestamptz(${ctx.now() * 1000}::BIGINT) AS _ingested_at, ${failedRules} AS _rules, ${quoteLiteral(ctx.updateId)} AS _run_id, ${quoteLiteral(result.flow)} AS _flow FROM ${rel} AS __r WHERE NOT (${quarantineOk})`
      : undefined;
  return {
    select: `SELECT * FROM ${rel} WHERE ${keep}`,
    quarantine,
    total,
    quarantined: quarantine ? Number(quarantined) : 0,
    cleanup,
  };
}
