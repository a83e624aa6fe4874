// Loading strata.yaml: YAML parsed with node positions, ${env:NAME} resolved, literal secrets
// refused, then the zod schema of config-schema.ts. Every problem is collected with its line and
// column, and all of them are thrown together in one ConfigError.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import { z } from 'zod';
import { StrataError } from '../core/index.js';
import {
  RESERVED_SECTIONS,
  strataConfigSchema,
  type EngineSection,
  type NotificationsSection,
  type PipelineSettings,
  type ReservedSection,
  type StrataYamlParsed,
} from './config-schema.js';

export const CONFIG_FILE = 'strata.yaml';

/** The same shape as the engine's EngineSettings (kept local: project does not import engine). */
export interface ProjectEngineSettings {
  threads?: number;
  memoryLimit?: string;
  tempDirectory?: string;
  timeZone?: string;
}

/** A project's settings: strata.yaml's values (snake_case, defaults applied) and derived paths. */
export interface ProjectConfig {
  name: string;
  lake: string;
  landing: string;
  pipelines: Record<string, PipelineSettings>;
  engine: EngineSection;
  notifications: NotificationsSection;
  jobs?: StrataYamlParsed['jobs'];
  serve?: StrataYamlParsed['serve'];
  storage?: StrataYamlParsed['storage'];
  /** Absolute path of strata.yaml, or undefined when the project has none (defaults). */
  file: string | undefined;
  /** Absolute project folder. */
  dir: string;
  /** Absolute: path.resolve(dir, lake). */
  lakeRoot: string;
  /** Absolute: path.resolve(dir, landing). */
  landingRoot: string;
  /** engine: as the engine takes it; temp_directory made absolute (relative to dir). */
  engineSettings: ProjectEngineSettings;
  /** Reserved sections present in the file (not used by this version), e.g. ['jobs']. */
  reserved: ReservedSection[];
}

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

/** strata.yaml is invalid; `problems` has every problem, the message one per line. */
export class ConfigError extends StrataError {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[], projectDir: string) {
    super('CONFIG', problems.map((p) => formatProblem(p, projectDir)).join('\n'), {
      context: { file: problems[0]?.file },
    });
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** `strata.yaml:12:5: jobs.daily.tasks[1].depends_on: expected an array, got a string` */
export function formatProblem(problem: ConfigProblem, projectDir: string): string {
  const rel = path.isAbsolute(problem.file) ? path.relative(path.resolve(projectDir), problem.file) : problem.file;
  const shown = rel === '' || rel.startsWith('..') ? problem.file : rel;
  const where = `${shown}:${problem.line}:${problem.column}`;
  return problem.path === '' ? `${where}: ${problem.message}` : `${where}: ${problem.path}: ${problem.message}`;
}

/** Reads <projectDir>/strata.yaml; the defaults when there is none. Throws ConfigError if invalid. */
export async function loadConfig(projectDir: string, env: NodeJS.ProcessEnv = process.env): Promise<ProjectConfig> {
  const file = path.join(path.resolve(projectDir), CONFIG_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return defaultConfig(projectDir);
    throw new StrataError('CONFIG', `cannot read ${file}: ${(err as Error).message}`, {
      cause: err,
      context: { file },
    });
  }
  return parseConfig(text, file, projectDir, env);
}

/** The settings of a project without strata.yaml. */
export function defaultConfig(projectDir: string): ProjectConfig {
  return finish(strataConfigSchema.parse({}), undefined, projectDir, []);
}

/** Parses and validates strata.yaml's text. Pure: reads only `env`. Throws ConfigError. */
export function parseConfig(
  text: string,
  file: string,
  projectDir: string,
  env: NodeJS.ProcessEnv = process.env,
): ProjectConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, keepSourceTokens: false });
  const at = (offset: number) => {
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };

  if (doc.errors.length > 0) {
    // A broken document is not validated further: its shape would only produce misleading errors.
    const problems = doc.errors.map((err) => ({
      file,
      ...at(err.pos[0]),
      path: '',
      message: `invalid YAML: ${yamlMessage(err.message)}`,
    }));
    throw new ConfigError(sortProblems(problems), projectDir);
  }

  const walker = new Walker(doc, file, env, at);
  const data = doc.contents === null ? {} : walker.value(doc.contents as YamlNode, []);
  const problems = walker.problems;

  // A null document (empty file, or only comments) is an empty configuration.
  const result = strataConfigSchema.safeParse(data ?? {}, { error: plainMessage, reportInput: true });
  if (!result.success) {
    for (const issue of result.error.issues) {
      const issuePath = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
      if (walker.envFailed.some((p) => isPrefix(p, issuePath))) continue; // already reported: the variable
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          const keyPath = [...issuePath, key];
          problems.push({
            file,
            ...walker.locate(keyPath, 'key'),
            path: formatPath(keyPath),
            message: unknownKeyMessage(key, issuePath),
          });
        }
        continue;
      }
      const missing = issue.code === 'invalid_type' && issue.input === undefined;
      problems.push({
        file,
        ...walker.locate(issuePath, missing ? 'parent' : 'value'),
        path: formatPath(issuePath),
        message: issue.message,
      });
    }
  }
  if (problems.length > 0) throw new ConfigError(sortProblems(problems), projectDir);
  if (!result.success) throw new StrataError('INTERNAL', 'strata.yaml: validation failed without a reported problem');

  const root = data !== null && typeof data === 'object' ? (data as Record<string, unknown>) : {};
  const reserved = RESERVED_SECTIONS.filter((s) => Object.prototype.hasOwnProperty.call(root, s));
  return finish(result.data, file, projectDir, reserved);
}

function finish(
  parsed: StrataYamlParsed,
  file: string | undefined,
  projectDir: string,
  reserved: ReservedSection[],
): ProjectConfig {
  const dir = path.resolve(projectDir);
  const engine = parsed.engine ?? {};
  const engineSettings: ProjectEngineSettings = {};
  if (engine.threads !== undefined) engineSettings.threads = engine.threads;
  if (engine.memory_limit !== undefined) engineSettings.memoryLimit = engine.memory_limit.replace(/\s+/g, '');
  if (engine.temp_directory !== undefined) engineSettings.tempDirectory = path.resolve(dir, engine.temp_directory);
  if (engine.timezone !== undefined) engineSettings.timeZone = engine.timezone;
  const config: ProjectConfig = {
    name: parsed.name ?? path.basename(dir),
    lake: parsed.lake,
    landing: parsed.landing,
    pipelines: parsed.pipelines ?? {},
    engine,
    notifications: parsed.notifications ?? {},
    file,
    dir,
    lakeRoot: path.resolve(dir, parsed.lake),
    landingRoot: path.resolve(dir, parsed.landing),
    engineSettings,
    reserved,
  };
  if (parsed.jobs !== undefined) config.jobs = parsed.jobs;
  if (parsed.serve !== undefined) config.serve = parsed.serve;
  if (parsed.storage !== undefined) config.storage = parsed.storage;
  return config;
}

// ---------------------------------------------------------------------------------------------
// The YAML tree → plain values, with ${env:NAME} resolved, secrets checked and positions kept.

type PathSegment = string | number;
interface Located {
  line: number;
  column: number;
}

const ENV_REF = /\$\{env:([^}]*)\}/g;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ONLY_ENV_REF = /^\$\{env:[A-Za-z_][A-Za-z0-9_]*\}$/;
/** Keys whose value is a secret: password, secret, token, and *_password, *_secret, *_token, *_key. */
const SECRET_KEY = /^(password|secret|token)$|_(password|secret|token|key)$/i;

/** True if `key` names a value that must come from the environment. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

class Walker {
  readonly problems: ConfigProblem[] = [];
  /** Paths whose value had an unresolved or malformed ${env:...}: their type errors are not repeated. */
  readonly envFailed: PathSegment[][] = [];
  /** Nodes by path (JSON of the path): the key node (for map entries) and the value node. */
  private readonly nodes = new Map<string, { key?: YamlNode; value?: YamlNode }>();
  private readonly visiting = new Set<YamlNode>();

  constructor(
    private readonly doc: Document,
    private readonly file: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly at: (offset: number) => Located,
  ) {}

  value(node: YamlNode | null, p: PathSegment[]): unknown {
    if (node === null) return null;
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      if (target === undefined) return null; // an unresolved alias is a YAML error, reported before
      if (this.visiting.has(target)) {
        this.problem(p, node, 'an alias refers to a node that contains it');
        return null;
      }
      return this.value(target, p);
    }
    this.visiting.add(node);
    try {
      if (isMap(node)) {
        const entries: [string, unknown][] = [];
        for (const pair of node.items) {
          const keyNode = pair.key as YamlNode | null;
          const key = isScalar(keyNode) ? keyNode.value : undefined;
          if (key === null || key === undefined || typeof key === 'object') {
            this.problem(p, keyNode ?? node, 'a key must be plain text');
            continue;
          }
          const childPath = [...p, String(key)];
          const valueNode = (pair.value as YamlNode | null) ?? undefined;
          this.nodes.set(JSON.stringify(childPath), { key: keyNode ?? undefined, value: valueNode });
          entries.push([String(key), this.value(valueNode ?? null, childPath)]);
        }
        // fromEntries defines properties: a key named __proto__ stays an ordinary key.
        return Object.fromEntries(entries);
      }
      if (isSeq(node)) {
        return node.items.map((item, i) => {
          const childPath = [...p, i];
          this.nodes.set(JSON.stringify(childPath), { value: (item as YamlNode | null) ?? undefined });
          return this.value((item as YamlNode | null) ?? null, childPath);
        });
      }
      if (isScalar(node)) return this.scalar(node.value, node, p);
      return null;
    } finally {
      this.visiting.delete(node);
    }
  }

  private scalar(value: unknown, node: YamlNode, p: PathSegment[]): unknown {
    const key = p[p.length - 1];
    if (typeof key === 'string' && isSecretKey(key) && value !== null && value !== undefined) {
      if (typeof value !== 'string' || !ONLY_ENV_REF.test(value)) {
        this.problem(
          p,
          node,
          'a secret must not be written in strata.yaml; use ${env:NAME} and set NAME in the environment',
        );
      }
    }
    if (typeof value !== 'string' || !value.includes('${env:')) return value;
    let failed = false;
    const resolved = value.replace(ENV_REF, (ref, name: string) => {
      if (!ENV_NAME.test(name)) {
        failed = true;
        this.problem(
          p,
          node,
          `"${ref}" is not a valid environment reference; write \${env:NAME} with NAME made of letters, digits and _`,
        );
        return ref;
      }
      const v = this.env[name];
      if (v === undefined) {
        failed = true;
        this.problem(p, node, `environment variable ${name} is not set`);
        return ref;
      }
      return v;
    });
    if (failed) this.envFailed.push(p);
    return resolved;
  }

  private problem(p: PathSegment[], node: YamlNode, message: string): void {
    this.problems.push({ file: this.file, ...this.position(node), path: formatPath(p), message });
  }

  private position(node: YamlNode | undefined): Located {
    const offset = node?.range?.[0];
    return offset === undefined ? { line: 1, column: 1 } : this.at(offset);
  }

  /**
   * Where to point for a problem at `p`: 'key' → the key itself; 'value' → the value (its key if
   * it has no value node); 'parent' (a missing key) → the key of the object that lacks it.
   */
  locate(p: PathSegment[], target: 'key' | 'value' | 'parent'): Located {
    let at = target === 'parent' ? p.slice(0, -1) : p;
    let first = true;
    for (;;) {
      if (at.length === 0) {
        const root = this.doc.contents as YamlNode | null;
        return this.position(root ?? undefined);
      }
      const entry = this.nodes.get(JSON.stringify(at));
      if (entry !== undefined) {
        const preferValue = target === 'value' && first;
        const node = preferValue ? (entry.value ?? entry.key) : (entry.key ?? entry.value);
        if (node !== undefined) return this.position(node);
      }
      at = at.slice(0, -1);
      first = false;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Messages in plain English.

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

function describeValue(v: unknown): string {
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
const plainMessage: z.core.$ZodErrorMap = (issue) => {
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

function unknownKeyMessage(key: string, parentPath: PathSegment[]): string {
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
function yamlMessage(message: string): string {
  const first = message.split('\n')[0].trim();
  const clean = first.replace(/ at line \d+, column \d+:?$/, '').replace(/\.$/, '');
  return clean.charAt(0).toLowerCase() + clean.slice(1);
}

function isPrefix(prefix: PathSegment[], p: PathSegment[]): boolean {
  return prefix.length <= p.length && prefix.every((s, i) => p[i] === s);
}

function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => a.p.line - b.p.line || a.p.column - b.p.column || a.i - b.i)
    .map(({ p }) => p);
}
