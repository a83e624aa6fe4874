// Loading strata.yaml: YAML parsed with node positions, ${env:NAME} resolved, literal secrets
// refused, then the zod schema of config-schema.ts. Every problem is collected with its line and
// column, and all of them are thrown together in one ConfigError.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
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
import {
  formatPath,
  isPrefix,
  plainMessage,
  sortProblems,
  unknownKeyMessage,
  yamlMessage,
  type ConfigProblem,
} from './config-messages.js';
import { Walker } from './config-yaml.js';

export { formatPath, type ConfigProblem } from './config-messages.js';
export { isSecretKey } from './config-yaml.js';

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
  /** The catalog of the project's tables (strata.yaml `catalog`, default `main`). */
  catalog: string;
  lake: string;
  landing: string;
  pipelines: Record<string, PipelineSettings>;
  engine: EngineSection;
  notifications: NotificationsSection;
  jobs?: StrataYamlParsed['jobs'];
  alerts: NonNullable<StrataYamlParsed['alerts']>;
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
  const { data, raw } = validateYaml(text, file, projectDir, env, strataConfigSchema, unknownKeyMessage);
  const root = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const reserved = RESERVED_SECTIONS.filter((s) => Object.prototype.hasOwnProperty.call(root, s));
  return finish(data, file, projectDir, reserved);
}

/**
 * A YAML file of the project validated by a zod schema: YAML errors, then ${env:NAME}, literal
 * secrets and the schema's problems, each at its file:line:column, all thrown together in one
 * ConfigError. `unknownKey` words the message for a key the schema does not have.
 */
export function validateYaml<S extends z.ZodType>(
  text: string,
  file: string,
  projectDir: string,
  env: NodeJS.ProcessEnv,
  schema: S,
  unknownKey: (key: string, parentPath: (string | number)[]) => string,
): { data: z.output<S>; raw: unknown } {
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

  // A null document (empty file, or only comments) is an empty one.
  const result = schema.safeParse(data ?? {}, { error: plainMessage, reportInput: true });
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
            message: unknownKey(key, issuePath),
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
  if (!result.success) throw new StrataError('INTERNAL', `${file}: validation failed without a reported problem`);
  return { data: result.data, raw: data };
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
    catalog: parsed.catalog ?? 'main',
    lake: parsed.lake,
    landing: parsed.landing,
    pipelines: parsed.pipelines ?? {},
    engine,
    notifications: parsed.notifications ?? {},
    alerts: parsed.alerts ?? {},
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
