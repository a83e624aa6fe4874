// alert_task: a SQL alert (strata.yaml alerts.<key>, Databricks SQL alerts' fields) evaluated in a
// job. Its query runs (Databricks SQL, on the project's tables); the value is the source column of
// the first row (or an aggregation over all rows), compared with the threshold: TRIGGERED or OK
// (no row: empty_result_state, default UNKNOWN). When it triggers, its subscribers — the task's
// and the alert's own — are told by e-mail or webhook (and when OK, if notify_on_ok). The task
// succeeds whatever the state (as in Databricks); a query that fails fails it.
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { StrataError } from '../core/index.js';
import type { AlertSettings, Project, TaskSettings } from '../project/index.js';
import { deliver, type NotifyOptions } from './notify.js';
import type { ReferenceContext } from './template.js';
import { substituteSql } from './template.js';

export function alertKeyOf(id: string): string {
  return /^\$\{resources\.alerts\.([\w-]+)\.id\}$/.exec(id.trim())?.[1] ?? id.trim();
}

export interface AlertOutcome {
  state: 'TRIGGERED' | 'OK' | 'UNKNOWN';
  value: unknown;
}

/** The state of an alert for `values` (its source column's, in result order). */
export function evaluateAlert(a: AlertSettings, values: unknown[]): AlertOutcome {
  const e = a.evaluation;
  if (values.length === 0) return { state: (e.empty_result_state as AlertOutcome['state']) ?? 'UNKNOWN', value: null };
  const nums = () => values.filter((v) => v !== null && v !== undefined).map(Number);
  const agg = e.source.aggregation;
  const value: unknown =
    agg === undefined
      ? values[0]
      : agg === 'COUNT'
        ? values.filter((v) => v !== null && v !== undefined).length
        : agg === 'COUNT_DISTINCT'
          ? new Set(values.filter((v) => v !== null && v !== undefined).map(String)).size
          : aggregate(agg, nums());
  const op = e.comparison_operator;
  if (op === 'IS_NULL' || op === 'IS_NOT_NULL') {
    const isNull = value === null || value === undefined;
    return { state: (op === 'IS_NULL') === isNull ? 'TRIGGERED' : 'OK', value };
  }
  const t = e.threshold!.value;
  let c: number;
  if (t.double_value !== undefined) {
    if (value === null || value === undefined || Number.isNaN(Number(value))) return { state: 'UNKNOWN', value };
    c = Number(value) - t.double_value;
  } else if (t.bool_value !== undefined) c = Number(String(value) === 'true') - Number(t.bool_value);
  else c = String(value) < (t.string_value ?? '') ? -1 : String(value) > (t.string_value ?? '') ? 1 : 0;
  const holds = {
    GREATER_THAN: c > 0,
    GREATER_THAN_OR_EQUAL: c >= 0,
    LESS_THAN: c < 0,
    LESS_THAN_OR_EQUAL: c <= 0,
    EQUAL: c === 0,
    NOT_EQUAL: c !== 0,
  }[op];
  return { state: holds ? 'TRIGGERED' : 'OK', value };
}

function aggregate(agg: string, xs: number[]): number | null {
  if (xs.length === 0) return null;
  const sum = xs.reduce((a, b) => a + b, 0);
  const sorted = [...xs].sort((a, b) => a - b);
  switch (agg) {
    case 'SUM':
      return sum;
    case 'AVG':
      return sum / xs.length;
    case 'MIN':
      return sorted[0];
    case 'MAX':
      return sorted[sorted.length - 1];
    case 'MEDIAN': {
      const m = Math.floor(sorted.length / 2);
      return sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
    }
    default: {
      const mean = sum / xs.length;
      return Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
    }
  }
}

/** Runs an alert_task: evaluates the alert, tells its subscribers, gives the state and value as task values. */
export async function alertTask(
  t: NonNullable<TaskSettings['alert_task']>,
  project: Project,
  refs: ReferenceContext,
  notifyOptions?: NotifyOptions,
): Promise<{ values: Record<string, string>; output: string }> {
  const key = alertKeyOf(t.alert_id);
  const alert = project.config.alerts[key];
  if (!alert) {
    const known = Object.keys(project.config.alerts);
    throw new StrataError(
      'USAGE',
      `no alert ${key} in strata.yaml${known.length ? `; the alerts are ${known.join(', ')}` : ''}`,
    );
  }
  const text = alert.query_text ?? (await readFile(path.resolve(project.dir, alert.file_path!), 'utf8'));
  const results = await project.queryAll(substituteSql(text, refs));
  const last = results.at(-1)?.result;
  const col = last?.columns.findIndex((c) => c.name === alert.evaluation.source.name) ?? -1;
  if (!last || col < 0)
    throw new StrataError(
      'JOB',
      `alert ${key}: the query has no column ${alert.evaluation.source.name}${last ? ` (it has ${last.columns.map((c) => c.name).join(', ')})` : ''}`,
    );
  const out = evaluateAlert(
    alert,
    last.rows.map((r) => r[col]),
  );
  const shown = alert.evaluation.source.display ?? alert.evaluation.source.name;
  const thr = alert.evaluation.threshold?.value;
  const threshold = thr ? String(thr.double_value ?? thr.string_value ?? thr.bool_value) : '';
  const condition = `${shown} ${alert.evaluation.comparison_operator}${threshold ? ` ${threshold}` : ''}`;
  const line = `alert ${alert.display_name}: ${out.state} (${shown} = ${String(out.value)}; triggers when ${condition})`;
  const notifyOk = alert.evaluation.notification?.notify_on_ok === true;
  if (out.state === 'TRIGGERED' || (out.state === 'OK' && notifyOk)) {
    const subs = [
      ...(t.subscribers ?? []).map((s) => ({ email: s.user_name, hook: s.destination_id })),
      ...(alert.evaluation.notification?.subscriptions ?? []).map((s) => ({
        email: s.user_email,
        hook: s.destination_id,
      })),
    ];
    const emails = [...new Set(subs.map((s) => s.email).filter((e): e is string => Boolean(e)))];
    const webhooks = [...new Set(subs.map((s) => s.hook).filter((h): h is string => Boolean(h)))];
    const body = [
      alert.custom_summary ?? line,
      ...(alert.custom_description ? ['', alert.custom_description] : []),
      '',
      `${shown} = ${String(out.value)}; the alert triggers when ${condition}.`,
      `Job ${refs.jobName}, run ${refs.runId}: strata jobs show ${refs.runId}`,
    ].join('\n');
    await deliver(
      project,
      { emails, webhooks },
      {
        subject: `[Strata] alert ${alert.display_name}: ${out.state}`,
        text: `${body}\n`,
        json: {
          event_type: 'ALERT',
          alert: { id: key, name: alert.display_name, state: out.state, value: out.value ?? null },
          job: { id: refs.jobKey },
          run: { run_id: String(refs.runId) },
          text: body,
        },
      },
      { runId: refs.runId, jobKey: refs.jobKey, event: `alert:${key}` },
      notifyOptions,
    );
  }
  return {
    values: { state: out.state, value: out.value === null || out.value === undefined ? '' : String(out.value) },
    output: line,
  };
}
