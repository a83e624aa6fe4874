// Databricks' dynamic value references in task settings and SQL: {{job.parameters.x}},
// {{job.run_id}}, {{job.id}}, {{job.name}}, {{job.repair_count}}, {{job.trigger.type}},
// {{job.start_time.iso_date}} and {{job.trigger.time.iso_date}} (and iso_datetime, year, month,
// day, hour, minute, second, timestamp_ms, in UTC), {{task.name}}, {{task.run_id}}, {{task.execution_count}},
// {{tasks.<key>.values.<name>}}, {{tasks.<key>.result_state}}, {{tasks.<key>.run_id}},
// {{tasks.<key>.execution_count}}, and in a SQL task {{parameters.<name>}}
// (https://docs.databricks.com/jobs/dynamic-value-references.html). A reference Strata does not
// know is an error naming it, never an empty string.
import { StrataError } from '../core/index.js';

export interface ReferenceContext {
  jobKey: string;
  jobName: string;
  runId: bigint;
  repairCount: number;
  trigger: string;
  startTime: number;
  /** When the run was triggered: a schedule's tick, a file's arrival (default: its start). */
  triggerTime?: number;
  parameters: Record<string, string>;
  task?: { key: string; attempt: number };
  tasks: Map<string, { result?: string; attempt: number; values: Record<string, string> }>;
  /** A SQL task's own parameters. */
  sqlParameters?: Record<string, string>;
}

const REF = /\{\{\s*([^{}]+?)\s*\}\}/g;

/** A moment as the time references give it (UTC). */
function timeParts(t: number): Record<string, string> {
  const d = new Date(t);
  const pad = (n: number) => String(n).padStart(2, '0');
  return {
    iso_date: d.toISOString().slice(0, 10),
    iso_datetime: d.toISOString(),
    year: String(d.getUTCFullYear()),
    month: pad(d.getUTCMonth() + 1),
    day: pad(d.getUTCDate()),
    hour: pad(d.getUTCHours()),
    minute: pad(d.getUTCMinutes()),
    second: pad(d.getUTCSeconds()),
    timestamp_ms: String(t),
  };
}

/** The value of one reference (its text without the braces). */
export function resolveReference(ref: string, c: ReferenceContext): string {
  const parts = ref.split('.');
  const fail = (why: string): never => {
    throw new StrataError('USAGE', `{{${ref}}}: ${why}`, { context: { reference: ref } });
  };
  const time = timeParts(c.startTime);
  const triggered = timeParts(c.triggerTime ?? c.startTime);
  if (parts[0] === 'job') {
    const job: Record<string, string> = {
      id: c.jobKey,
      name: c.jobName,
      run_id: String(c.runId),
      repair_count: String(c.repairCount),
    };
    if (parts.length === 2 && job[parts[1]] !== undefined) return job[parts[1]];
    if (parts[1] === 'trigger' && parts[2] === 'type' && parts.length === 3) return c.trigger;
    if (parts[1] === 'trigger' && parts[2] === 'time' && parts.length === 4 && triggered[parts[3]] !== undefined)
      return triggered[parts[3]];
    if (parts[1] === 'start_time' && parts.length === 3 && time[parts[2]] !== undefined) return time[parts[2]];
    if (parts[1] === 'parameters' && parts.length >= 3) {
      const name = parts.slice(2).join('.');
      return c.parameters[name] ?? fail(`the job has no parameter ${name}`);
    }
    return fail('not a job reference Strata knows');
  }
  if (parts[0] === 'task') {
    if (!c.task) return fail('task references are for task settings');
    if (parts[1] === 'name' && parts.length === 2) return c.task.key;
    if (parts[1] === 'run_id' && parts.length === 2) return `${c.runId}-${c.task.key}`;
    if (parts[1] === 'execution_count' && parts.length === 2) return String(c.task.attempt + 1);
    return fail('not a task reference Strata knows');
  }
  if (parts[0] === 'tasks' && parts.length >= 3) {
    const key = parts[1];
    const t = c.tasks.get(key) ?? fail(`no task ${key} has run before this one in the run`);
    if (parts[2] === 'values' && parts.length >= 4) {
      const name = parts.slice(3).join('.');
      return t.values[name] ?? fail(`task ${key} has no value ${name}`);
    }
    if (parts[2] === 'result_state' && parts.length === 3) return (t.result ?? '').toLowerCase();
    if (parts[2] === 'run_id' && parts.length === 3) return `${c.runId}-${key}`;
    if (parts[2] === 'execution_count' && parts.length === 3) return String(t.attempt + 1);
    return fail('not a tasks reference Strata knows');
  }
  if (parts[0] === 'parameters' && parts.length >= 2 && c.sqlParameters) {
    const name = parts.slice(1).join('.');
    return c.sqlParameters[name] ?? fail(`the SQL task has no parameter ${name}`);
  }
  return fail('not a reference Strata knows (job.*, task.*, tasks.<key>.*, parameters.*)');
}

/** `text` with every {{reference}} replaced by its value. */
export function substitute(text: string, c: ReferenceContext): string {
  return text.replace(REF, (_, ref: string) => resolveReference(ref, c));
}

/**
 * SQL with every {{reference}} replaced, safely: inside a string literal the value is escaped for
 * it (Spark's backslash escapes), elsewhere it becomes a string literal — never SQL text.
 */
export function substituteSql(sql: string, c: ReferenceContext): string {
  let out = '';
  let quote: string | undefined;
  for (let i = 0; i < sql.length;) {
    const ch = sql[i];
    if (quote === undefined && ch === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end < 0 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop;
      continue;
    }
    if (ch === '{' && sql[i + 1] === '{') {
      const end = sql.indexOf('}}', i + 2);
      if (end > 0) {
        const value = resolveReference(sql.slice(i + 2, end).trim(), c);
        const escaped = value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/"/g, '\\"');
        out += quote === undefined ? `'${escaped}'` : escaped;
        i = end + 2;
        continue;
      }
    }
    if (quote === undefined && (ch === "'" || ch === '"')) quote = ch;
    else if (quote !== undefined && ch === '\\') {
      out += ch + (sql[i + 1] ?? '');
      i += 2;
      continue;
    } else if (ch === quote) quote = undefined;
    out += ch;
    i++;
  }
  return out;
}
