// `strata run --dry-run`'s binding: every query of a pipeline bound, in update order, against
// its sources' columns — a table of the lake as it is, a dataset of the pipeline as its own
// query yields it — without reading a row of a table: unknown columns, functions, and types
// that do not fit are found before anything runs, each at its file:line:column. A streaming
// table's query is also held to Structured Streaming's rules (streaming-rules.ts).
//
// Tables are stood in for by empty temporary tables of their columns; file sources are read
// as a query would read them (a CSV source's types inferred from its first rows), so a source with no file yet
// leaves the queries that depend on it unchecked, and the report says so.
import { randomUUID } from 'node:crypto';
import type { Catalog } from '../catalog/index.js';
import { LocatedError, StrataError, type Where } from '../core/index.js';
import { loadSnapshot } from '../delta/index.js';
import { quoteIdent, type Session } from '../engine/index.js';
import { sampledFileSources } from '../ingest/index.js';
import { sparkExpressions, userSqlFailure, withReads, type WrittenSql } from '../sql/index.js';
import { cdcOutputColumns } from './cdc-events.js';
import { aliasOf, inlineViews, tableExists } from './context.js';
import { rewriteReferences, type Node } from './graph.js';
import type { DatasetDefinition, Problem } from './parse.js';
import type { Pipeline } from './project.js';
import { columnsDdl, logicalPlan, placed } from './streaming-check.js';
import { streamingViolations, type PlanNode } from './streaming-rules.js';

export interface BindReport {
  /** What would fail, each placed in the user's text: BIND, and STREAMING for an operator Spark refuses over a stream. */
  problems: Problem[];
  /** Queries that could not be bound, and why (a source whose columns are not known yet). */
  unchecked: { target: string; flow?: string; reason: string }[];
}

/** A reason a query cannot be bound yet (not a problem of the query). */
class Unknown extends Error {}

/** CSV column types of file sources are inferred from this many first rows when binding. */
export const BIND_SAMPLE_ROWS = 20_000;

/** Binds every query of `pipeline` (see the file comment). Writes nothing; the session's temporary tables are dropped. */
export async function bindPipeline(
  session: Session,
  pipeline: Pipeline,
  catalog: Catalog,
  /** Only these datasets' queries (the others are read as the lake has them). */
  only?: Set<string>,
): Promise<BindReport> {
  const report: BindReport = { problems: [], unchecked: [] };
  const binder = new Binder(session, pipeline, catalog);
  try {
    for (const node of pipeline.order) {
      const def = pipeline.datasets.get(node.target)!;
      const query = node.flow?.query ?? def.query;
      if (def.kind === 'temporary-view' || query === undefined || (only && !only.has(node.target))) continue;
      const written = node.flow?.written ?? (def.query === undefined ? [] : def.written.slice(0, 1));
      try {
        await binder.bindNode(node, def, inlineViews(pipeline, query), written, report.problems);
      } catch (err) {
        if (err instanceof Unknown) {
          report.unchecked.push({ target: def.name, flow: node.flow?.name, reason: err.message });
          binder.unknown.add(node.target);
        } else {
          report.problems.push(problemOf(err, written, node.flow?.where ?? def.where));
          binder.unknown.add(node.target);
        }
      }
    }
    for (const [name, def] of pipeline.datasets) {
      if (def.kind === 'temporary-view' || def.expectations.length === 0 || (only && !only.has(name))) continue;
      const output = binder.outputs.get(key(def));
      if (output === undefined) continue;
      const pieces = def.query === undefined ? def.written : def.written.slice(1);
      const exprs = await sparkExpressions(
        session,
        quoteIdent(output),
        def.expectations.map((e) => e.expr),
      ).catch(() => def.expectations.map((e) => e.expr));
      for (const [i] of def.expectations.entries()) {
        try {
          await session.describe(`SELECT (${exprs[i]}) AS __rule FROM ${quoteIdent(output)}`);
        } catch (err) {
          report.problems.push(problemOf(err, pieces[i] ? [pieces[i]] : [], pieces[i]?.where ?? def.where));
        }
      }
    }
  } finally {
    await binder.close();
  }
  return report;
}

const key = (def: DatasetDefinition) => def.name.toLowerCase();

class Binder {
  /** Per dataset (`schema.table` as the graph names it), the temporary table of its output columns. */
  readonly outputs = new Map<string, string>();
  /** Datasets whose columns are not known (unbound, or failed). */
  readonly unknown = new Set<string>();
  private readonly temps: string[] = [];
  private readonly id = randomUUID().replace(/-/g, '').slice(0, 8);

  constructor(
    private readonly session: Session,
    private readonly pipeline: Pipeline,
    private readonly catalog: Catalog,
  ) {}

  async bindNode(
    node: Node,
    def: DatasetDefinition,
    query: string,
    written: WrittenSql[],
    streaming: Problem[],
  ): Promise<void> {
    const streams = new Set<string>();
    let fileStreams = false;
    const batch = new Set<string>();
    const sql = await rewriteReferences(
      query,
      async (span) => {
        const alias = span.hasAlias ? '' : ` AS ${quoteIdent(aliasOf(span))}`;
        if (span.call) {
          fileStreams ||= span.streaming;
          return span.call + (span.hasAlias ? '' : ' AS read_files');
        }
        const table = await this.relationOf(span.name!);
        if (table === undefined) return undefined;
        (span.streaming ? streams : batch).add(table);
        return `${quoteIdent(table)}${alias}`;
      },
      this.pipeline.schema,
    );
    const context = { catalog: this.catalog, files: sampledFileSources(BIND_SAMPLE_ROWS) };
    const output = this.temp();
    let plan: PlanNode | undefined;
    await withReads(this.session, sql, context, async (resolved) => {
      await this.session.exec(`CREATE TEMP TABLE ${quoteIdent(output)} AS SELECT * FROM (${resolved}) AS __q LIMIT 0`);
      if (def.kind === 'streaming-table') {
        plan = await logicalPlan(this.session, resolved);
      }
    }).catch((err: unknown) => {
      if (StrataError.is(err) && err.code === 'STORAGE' && /no files match|no file could be read/.test(err.message))
        throw new Unknown(`${err.message.replace(/^read_files: /, '')}: its columns are known once files land`);
      throw err;
    });
    if (plan) {
      const isStream = (scan: PlanNode) => {
        const table = scan.function_data?.table;
        if (table !== undefined && (streams.has(table) || batch.has(table))) return streams.has(table);
        return fileStreams && table === undefined;
      };
      for (const v of streamingViolations(plan, def.name, isStream))
        streaming.push({
          code: 'STREAMING',
          message: v.message,
          where: placed(v.keyword, written, node.flow?.where ?? def.where),
        });
    }
    let columns = output;
    if (node.flow?.kind === 'auto-cdc') columns = await this.cdcOutput(node, output);
    await this.addOutput(def, columns);
  }

  /** AUTO CDC: the target's columns from the source's, as COLUMNS selects them, SCD2's validity columns added. */
  private async cdcOutput(node: Node, source: string): Promise<string> {
    const flow = node.flow!;
    const names = (await this.session.describe(`SELECT * FROM ${quoteIdent(source)}`)).map((c) => c.name);
    const { columns, spec } = cdcOutputColumns(flow, names);
    const from = quoteIdent(source);
    for (const [clause, expr] of [
      ['SEQUENCE BY', spec.sequenceBy],
      ['APPLY AS DELETE WHEN', spec.deleteWhen],
      ['APPLY AS TRUNCATE WHEN', spec.truncateWhen],
    ] as const) {
      if (expr !== undefined) await this.session.describe(`SELECT (${expr}) AS ${quoteIdent(clause)} FROM ${from}`);
    }
    const out = this.temp();
    const validity = spec.scdType === 2 ? `, (${spec.sequenceBy}) AS __START_AT, (${spec.sequenceBy}) AS __END_AT` : '';
    await this.session.exec(
      `CREATE TEMP TABLE ${quoteIdent(out)} AS SELECT ${columns.map(quoteIdent).join(', ')}${validity} FROM ${from}`,
    );
    return out;
  }

  /** A streaming table fed by several flows has the columns of all of them. */
  private async addOutput(def: DatasetDefinition, table: string): Promise<void> {
    const name = key(def);
    const before = this.outputs.get(name);
    if (before === undefined) {
      this.outputs.set(name, table);
      return;
    }
    const merged = this.temp();
    await this.session.exec(
      `CREATE TEMP TABLE ${quoteIdent(merged)} AS SELECT * FROM ${quoteIdent(before)} UNION ALL BY NAME SELECT * FROM ${quoteIdent(table)}`,
    );
    this.outputs.set(name, merged);
  }

  /**
   * An empty table of the columns `name` has: the pipeline's dataset as bound, else the table
   * in the lake; undefined for a name that is neither (a CTE, DuckDB's own).
   */
  private async relationOf(name: string): Promise<string | undefined> {
    const def = this.pipeline.datasets.get(name);
    const bound = def ? this.outputs.get(key(def)) : undefined;
    if (bound !== undefined && !this.unknown.has(name)) return bound;
    let location: string;
    try {
      location = this.catalog.locationOf(name);
    } catch {
      location = '';
    }
    if (location !== '' && tableExists(location)) {
      const snap = await loadSnapshot(location, { session: this.session, name });
      if (snap.schema.fields.length > 0 || !def) {
        const table = this.temp();
        await this.session.exec(`CREATE TEMP TABLE ${quoteIdent(table)} ${columnsDdl(snap.schema.fields)}`);
        return table;
      }
    }
    if (def) throw new Unknown(`${def.name} is read, and its columns are not known (${this.whyUnknown(name)})`);
    return undefined;
  }

  private whyUnknown(name: string): string {
    return this.unknown.has(name) ? 'its own query was not bound' : 'it has no table yet';
  }

  private temp(): string {
    const name = `__strata_bind_${this.id}_${this.temps.length}`;
    this.temps.push(name);
    return name;
  }

  async close(): Promise<void> {
    for (const t of this.temps.reverse())
      await this.session.exec(`DROP TABLE IF EXISTS temp.${quoteIdent(t)}`).catch(() => undefined);
  }
}

/** An error of binding as a problem at its place in the user's text (else where the query starts). */
function problemOf(err: unknown, written: WrittenSql[], where: Where): Problem {
  const user = userSqlFailure(err, written);
  if (user instanceof LocatedError && user.where) return { code: 'BIND', message: user.detail, where: user.where };
  const message = user instanceof LocatedError ? user.detail : user instanceof Error ? user.message : String(user);
  return { code: 'BIND', message: message.split('\n\n')[0], where };
}
