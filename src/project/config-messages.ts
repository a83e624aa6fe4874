// Plain-English messages for strata.yaml's problems: zod's issues reworded, unknown keys with a
// suggestion, key paths written as `jobs.daily.tasks[1].depends_on`.
import { z } from 'zod';
import { strataConfigSchema } from './config-schema.js';

/** A step of a key path: a key or a list index. */
export type PathSegment = string | number;

/** One thing wrong with strata.yaml. line and column are 1-based. */
export interface ConfigProblem {
  /** The file as given to parseConfig (absolute for loadConfig). */
  file: string;
  line: number;
  column: number;
  /** Key path such as `jobs.daily.tasks[1].depends_on`; '' for the whole file or a syntax error. */
  path: string;
  message: string;
}

/** `jobs.daily.tasks[1].depends_on`; keys that are not plain words are quoted: `pipelines["a b"]`. */
export function formatPath(p: readonly PathSegment[]): string {
  let out = '';
  for (const seg of p) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

export function describeValue(v: unknown): string {
  if (v === null) return 'an empty value';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'string':
      return 'a string';
    case 'number':
      return Number.isInteger(v) ? 'an integer' : 'a number';
    case 'boolean':
      return `a boolean (${v})`;
    case 'object':
      return 'an object';
    default:
      return typeof v;
  }
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'an object',
  record: 'an object',
  array: 'an array',
  null: 'an empty value',
};

/** The per-parse zod error map: every issue without a schema-level message gets plain English. */
export const plainMessage: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return 'required, but missing';
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      return `expected ${expected}, got ${describeValue(issue.input)}`;
    }
    case 'invalid_value':
      return `expected ${issue.values
        .map((v) => JSON.stringify(v))
        .join(', ')
        .replace(/, ([^,]*)$/, ' or $1')}, got ${
        typeof issue.input === 'string' ? JSON.stringify(issue.input) : describeValue(issue.input)
      }`;
    case 'too_small':
      if (issue.origin === 'string') return 'must not be empty';
      if (issue.origin === 'array') return `must have at least ${issue.minimum} item(s)`;
      return `must be ${issue.inclusive === false ? 'more than' : 'at least'} ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters`;
      if (issue.origin === 'array') return `must have at most ${issue.maximum} item(s)`;
      return `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${issue.maximum}`;
    case 'invalid_format':
      return `is not in the expected format`;
    case 'invalid_union':
      return `has the wrong type (${describeValue(issue.input)})`;
    case 'unrecognized_keys':
      return `unknown key(s): ${issue.keys.join(', ')}`;
    default:
      return 'is not valid';
  }
};

/** Fields of a Databricks job or task (the bundle schema's JobSettings and Task) that Strata does not have. */
const DATABRICKS_ONLY = new Set(
  (
    'budget_policy_id environments git_source job_clusters lifecycle parent_path performance_target permissions ' +
    'run_as triggers usage_policy_id deployment edit_mode format ai_runtime_task clean_rooms_notebook_task compute ' +
    'dashboard_task dbt_cloud_task dbt_platform_task dbt_task disable_auto_optimization disabled environment_key ' +
    'existing_cluster_id for_each_task gen_ai_compute_task job_cluster_key libraries new_cluster notebook_task ' +
    'power_bi_task python_operator_task python_wheel_task spark_jar_task spark_python_task spark_submit_task ' +
    'email_notifications webhook_notifications notification_settings health'
  ).split(' '),
);

/** Databricks job fields Strata will have, with what to use meanwhile. */
const NOT_YET: Record<string, string> = {};

export function unknownKeyMessage(key: string, parentPath: PathSegment[]): string {
  if (parentPath[0] === 'jobs' && parentPath.length === 2 && NOT_YET[key]) return NOT_YET[key];
  if (parentPath[0] === 'jobs' && DATABRICKS_ONLY.has(key))
    return `"${key}" is a Databricks job setting that Strata does not support (a job here runs on this machine, with the task kinds pipeline_task, sql_task, condition_task, run_job_task, alert_task and command_task); remove it`;
  const allowed = allowedKeys(parentPath);
  if (allowed.length === 0) return `unknown key "${key}"`;
  const near = allowed.filter((k) => editDistance(k, key) <= Math.max(1, Math.floor(k.length / 4)));
  if (near.length > 0) return `unknown key "${key}"; did you mean "${near[0]}"?`;
  return `unknown key "${key}"; expected one of: ${allowed.join(', ')}`;
}

/** The keys the schema allows in the object at `p` (empty if unknown). */
function allowedKeys(p: PathSegment[]): string[] {
  let schema: z.core.$ZodType | undefined = strataConfigSchema;
  for (const seg of [undefined, ...p]) {
    schema = schema === undefined ? undefined : unwrap(schema);
    if (seg === undefined || schema === undefined) continue;
    if (schema instanceof z.ZodObject) schema = (schema.shape as Record<string, z.core.$ZodType>)[String(seg)];
    else if (schema instanceof z.ZodRecord) schema = schema.valueType as z.core.$ZodType;
    else if (schema instanceof z.ZodArray) schema = schema.element as z.core.$ZodType;
    else schema = undefined;
  }
  schema = schema === undefined ? undefined : unwrap(schema);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let s = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodNullable)
    s = s.unwrap() as z.core.$ZodType;
  return s;
}

/** Edits (insert, delete, substitute, swap two neighbours) that turn a into b. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** yaml's messages, first line only, without a trailing period. */
export function yamlMessage(message: string): string {
  const first = message.split('\n')[0].trim();
  const clean = first.replace(/ at line \d+, column \d+:?$/, '').replace(/\.$/, '');
  return clean.charAt(0).toLowerCase() + clean.slice(1);
}

export function isPrefix(prefix: PathSegment[], p: PathSegment[]): boolean {
  return prefix.length <= p.length && prefix.every((s, i) => p[i] === s);
}

export function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => a.p.line - b.p.line || a.p.column - b.p.column || a.i - b.i)
    .map(({ p }) => p);
}
