import { promises as fs, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { StrataError } from '../core/index.js';
import { ConfigError, formatPath, loadConfig, parseConfig, type ConfigProblem } from './config.js';
import { strataJsonSchema } from './config-schema.js';
import { schemaRefFor, STRATA_SCHEMA_FILE, strataYaml } from './templates.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const DIR = '/projects/shop';
const FILE = path.join(DIR, 'strata.yaml');

/** The lines of `text` joined: line numbers in the tests are the array's index + 1. */
const yaml = (...lines: string[]) => lines.join('\n') + '\n';

function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): { error: ConfigError; problems: ConfigProblem[] } {
  try {
    parseConfig(text, FILE, DIR, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return { error: err as ConfigError, problems: (err as ConfigError).problems };
  }
  throw new Error('expected strata.yaml to be refused');
}

/** Problems as `line:column path: message`, the easiest form to compare. */
const brief = (problems: ConfigProblem[]) => problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`);

const tmpDirs: string[] = [];
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});
function tmpProject(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-config-'));
  tmpDirs.push(dir);
  return dir;
}

describe('defaults', () => {
  it('a project without strata.yaml gets the defaults', async () => {
    const dir = tmpProject();
    const config = await loadConfig(dir, {});
    expect(config).toEqual({
      name: path.basename(dir),
      catalog: 'main',
      lake: 'lake',
      landing: 'landing',
      pipelines: {},
      engine: {},
      notifications: {},
      alerts: {},
      file: undefined,
      dir,
      lakeRoot: path.join(dir, 'lake'),
      landingRoot: path.join(dir, 'landing'),
      engineSettings: {},
      reserved: [],
    });
  });

  it('an empty strata.yaml, or one of comments only, is the defaults too', () => {
    for (const text of ['', '# nothing here yet\n']) {
      const config = parseConfig(text, FILE, DIR, {});
      expect(config.name).toBe('shop');
      expect(config.lakeRoot).toBe('/projects/shop/lake');
      expect(config.file).toBe(FILE);
    }
  });

  it('loadConfig reads strata.yaml and resolves paths against the project folder', async () => {
    const dir = tmpProject();
    await fs.writeFile(path.join(dir, 'strata.yaml'), yaml('name: shop', 'lake: data/lake', 'landing: /srv/landing'));
    const config = await loadConfig(dir, {});
    expect(config.name).toBe('shop');
    expect(config.file).toBe(path.join(dir, 'strata.yaml'));
    expect(config.lakeRoot).toBe(path.join(dir, 'data', 'lake'));
    expect(config.landingRoot).toBe('/srv/landing');
  });
});

describe('a valid file', () => {
  it('gives the values, the defaults of what is left out, and the engine settings', () => {
    const config = parseConfig(
      yaml(
        'name: shop',
        'pipelines:',
        '  sales:',
        '    configuration:',
        '      region: EU',
        '      days: 30',
        '      full_refresh: false',
        'engine:',
        '  threads: 4',
        '  memory_limit: 4GB',
        '  temp_directory: tmp/spill',
        '  timezone: Europe/Paris',
        'notifications:',
        '  email:',
        '    host: smtp.example.com',
        '    from: strata@example.com',
      ),
      FILE,
      DIR,
      {},
    );
    expect(config.pipelines).toEqual({ sales: { configuration: { region: 'EU', days: 30, full_refresh: false } } });
    expect(config.engine).toEqual({
      threads: 4,
      memory_limit: '4GB',
      temp_directory: 'tmp/spill',
      timezone: 'Europe/Paris',
    });
    expect(config.engineSettings).toEqual({
      threads: 4,
      memoryLimit: '4GB',
      tempDirectory: '/projects/shop/tmp/spill',
      timeZone: 'Europe/Paris',
    });
    expect(config.notifications.email).toEqual({
      host: 'smtp.example.com',
      port: 587,
      tls: 'starttls',
      from: 'strata@example.com',
    });
    expect(config.reserved).toEqual([]);
  });
});

describe('problems, with their line and column', () => {
  it('a YAML syntax error', () => {
    const { problems, error } = problemsOf(yaml('name: shop', 'engine:', '  threads: 4', '\tmemory_limit: 4GB'));
    expect(brief(problems)).toEqual(['4:1 : invalid YAML: tabs are not allowed as indentation']);
    expect(error.message).toBe('strata.yaml:4:1: invalid YAML: tabs are not allowed as indentation');
  });

  it('a duplicated key is a YAML error at the second one', () => {
    const { problems } = problemsOf(yaml('name: shop', 'lake: lake', 'name: again'));
    expect(brief(problems)).toEqual(['3:1 : invalid YAML: map keys must be unique']);
  });

  it('an unknown key nested deep points at the key and suggests the right one', () => {
    const { problems } = problemsOf(
      yaml('notifications:', '  email:', '    host: smtp.example.com', '    from: a@example.com', '    tsl: none'),
    );
    expect(brief(problems)).toEqual(['5:5 notifications.email.tsl: unknown key "tsl"; did you mean "tls"?']);
  });

  it('a wrong type points at the value', () => {
    const { problems } = problemsOf(yaml('name: shop', 'engine:', '  memory_limit: 4', '  timezone: [UTC]'));
    expect(brief(problems)).toEqual([
      '3:17 engine.memory_limit: expected a string, got an integer',
      '4:13 engine.timezone: expected a string, got an array',
    ]);
  });

  it('a missing required key points at the key of the object that lacks it', () => {
    const { problems } = problemsOf(yaml('name: shop', 'notifications:', '  email:', '    from: strata@example.com'));
    expect(brief(problems)).toEqual(['3:3 notifications.email.host: required, but missing']);
  });

  it('reports every problem at once, in file order, one per line of the message', () => {
    const text = yaml(
      'name: demo', //                          1
      'lake: 42', //                            2
      'engine:', //                             3
      '  threads: many', //                     4
      '  memroy_limit: 4GB', //                 5
      'pipelines:', //                          6
      '  sales:', //                            7
      '    configuration:', //                  8
      '      region: [EU, US]', //              9
      '    schedule: daily', //                 10
      'notifications:', //                      11
      '  email:', //                            12
      '    port: 70000', //                     13
      '    tls: ssl', //                        14
      '    from: strata@example.com', //        15
      '    password: hunter2', //               16
      'jobs:', //                               17
      '  daily:', //                            18
      '    tasks: []', //                       19
      'extra: true', //                         20
    );
    const { problems, error } = problemsOf(text);
    const secretRule = 'a secret must not be written in strata.yaml; use ${env:NAME} and set NAME in the environment';
    expect(brief(problems)).toEqual([
      '2:7 lake: expected a string, got an integer',
      '4:12 engine.threads: expected a thread count: an integer from 1 to 1024',
      '5:3 engine.memroy_limit: unknown key "memroy_limit"; did you mean "memory_limit"?',
      '9:15 pipelines.sales.configuration.region: expected a string, a number or a boolean',
      '10:5 pipelines.sales.schedule: unknown key "schedule"; expected one of: catalog, schema, target, configuration',
      '12:3 notifications.email.host: required, but missing',
      '13:11 notifications.email.port: expected a port number: an integer from 1 to 65535',
      '14:10 notifications.email.tls: expected "starttls", "tls" or "none", got "ssl"',
      `16:15 notifications.email.password: ${secretRule}`,
      '19:12 jobs.daily.tasks: a job needs at least one task',
      '20:1 extra: unknown key "extra"; expected one of: name, lake, landing, catalog, pipelines, engine, notifications, jobs, alerts, serve, storage',
    ]);
    expect(problems.every((p) => p.file === FILE)).toBe(true);
    expect(error).toBeInstanceOf(StrataError);
    expect(error.code).toBe('CONFIG');
    const lines = error.message.split('\n');
    expect(lines).toHaveLength(11);
    expect(lines[0]).toBe('strata.yaml:2:7: lake: expected a string, got an integer');
    expect(lines[8]).toBe(`strata.yaml:16:15: notifications.email.password: ${secretRule}`);
    expect(error.message).not.toContain('hunter2');
  });

  it('the whole file must be a mapping', () => {
    const { problems } = problemsOf(yaml('- name: shop'));
    expect(brief(problems)).toEqual(['1:1 : expected an object, got an array']);
  });

  it('an empty section is a wrong type, not silently nothing', () => {
    const { problems } = problemsOf(yaml('name: shop', 'engine:', 'lake: lake'));
    expect(brief(problems)).toEqual(['2:8 engine: expected an object, got an empty value']);
  });

  it('key paths are written with dots and [index]', () => {
    expect(formatPath(['jobs', 'daily', 'tasks', 1, 'depends_on'])).toBe('jobs.daily.tasks[1].depends_on');
    expect(formatPath(['pipelines', 'my pipeline', 'configuration'])).toBe('pipelines["my pipeline"].configuration');
    expect(formatPath([])).toBe('');
  });
});

describe('${env:NAME}', () => {
  const text = yaml(
    'name: ${env:PROJECT}-lake', //                1
    'notifications:', //                           2
    '  email:', //                                 3
    '    host: ${env:SMTP_HOST}', //               4
    '    port: ${env:SMTP_PORT}', //               5
    '    from: strata@example.com', //             6
    '    user: ${env:SMTP_USER}', //               7
    '    password: ${env:SMTP_PASSWORD}', //       8
  );

  it('is replaced by the environment variable, and a port from the environment is a number', () => {
    const config = parseConfig(text, FILE, DIR, {
      PROJECT: 'shop',
      SMTP_HOST: 'mail.internal',
      SMTP_PORT: '2525',
      SMTP_USER: 'strata',
      SMTP_PASSWORD: 's3cret!',
    });
    expect(config.name).toBe('shop-lake');
    expect(config.notifications.email).toEqual({
      host: 'mail.internal',
      port: 2525,
      tls: 'starttls',
      from: 'strata@example.com',
      user: 'strata',
      password: 's3cret!',
    });
  });

  it('a missing variable is a problem naming the variable and the key, never showing values', () => {
    const { problems, error } = problemsOf(text, { PROJECT: 'shop', SMTP_HOST: 'mail.internal', SMTP_PORT: 'x25' });
    expect(brief(problems)).toEqual([
      '5:11 notifications.email.port: expected a port number: an integer from 1 to 65535',
      '7:11 notifications.email.user: environment variable SMTP_USER is not set',
      '8:15 notifications.email.password: environment variable SMTP_PASSWORD is not set',
    ]);
    expect(error.message).not.toContain('mail.internal');
  });

  it('an unset variable is reported once, without a type error for the same value', () => {
    const { problems } = problemsOf(yaml('engine:', '  threads: ${env:THREADS}'));
    expect(brief(problems)).toEqual(['2:12 engine.threads: environment variable THREADS is not set']);
    expect(
      parseConfig(yaml('engine:', '  threads: ${env:THREADS}'), FILE, DIR, { THREADS: '8' }).engineSettings,
    ).toEqual({ threads: 8 });
  });

  it('a malformed reference is a problem', () => {
    const { problems } = problemsOf(yaml('landing: ${env:MY-DIR}'));
    expect(brief(problems)).toEqual([
      '1:10 landing: "${env:MY-DIR}" is not a valid environment reference; write ${env:NAME} with NAME made of letters, digits and _',
    ]);
  });
});

describe('secrets', () => {
  const rule = 'a secret must not be written in strata.yaml; use ${env:NAME} and set NAME in the environment';

  it('a literal secret is refused wherever it is, reserved sections included', () => {
    const { problems } = problemsOf(
      yaml(
        'pipelines:', //                             1
        '  sales:', //                               2
        '    configuration:', //                     3
        '      api_key: abc123', //                  4
        'storage:', //                               5
        '  secret_access_key: AKIA', //              6
        'jobs:', //                                  7
        '  daily:', //                               8
        '    tasks:', //                             9
        '      - task_key: export', //               10
        '        command_task:', //                  11
        '          command: [node, export.js]', //   12
        '          env:', //                         13
        "            token: '12345'", //             14
        '            private_key: ${env:KEY}-and-more', //15
      ),
      { KEY: 'k' },
    );
    expect(brief(problems)).toEqual([
      `4:16 pipelines.sales.configuration.api_key: ${rule}`,
      `6:22 storage.secret_access_key: ${rule}`,
      `14:20 jobs.daily.tasks[0].command_task.env.token: ${rule}`,
      `15:26 jobs.daily.tasks[0].command_task.env.private_key: ${rule}`,
    ]);
  });

  it('a secret written as one ${env:NAME} is accepted', () => {
    const config = parseConfig(
      yaml('storage:', '  secret_access_key: ${env:AWS_SECRET_ACCESS_KEY}', '  region: eu-west-1'),
      FILE,
      DIR,
      { AWS_SECRET_ACCESS_KEY: 'xyz' },
    );
    expect(config.storage).toEqual({ secret_access_key: 'xyz', region: 'eu-west-1' });
  });

  it('keys that merely contain the words are not secrets', () => {
    const config = parseConfig(
      yaml('pipelines:', '  p:', '    configuration:', '      key_column: id', '      tokens_per_batch: 5'),
      FILE,
      DIR,
      {},
    );
    expect(config.pipelines.p.configuration).toEqual({ key_column: 'id', tokens_per_batch: 5 });
  });
});

describe('reserved sections', () => {
  it('are accepted as they are and listed, so the caller can warn', () => {
    const config = parseConfig(yaml('storage: { kind: s3 }'), FILE, DIR, {});
    expect(config.reserved).toEqual(['storage']);
    expect(config.storage).toEqual({ kind: 's3' });
  });
});

describe('serve', () => {
  it('defaults to 127.0.0.1:4000 without auth or SQL editor; a port may come from the environment', () => {
    const config = parseConfig(yaml('serve:', '  port: ${env:PORT}', '  auth:', '    token: ${env:TOKEN}'), FILE, DIR, {
      PORT: '8080',
      TOKEN: 't0ken',
    });
    expect(config.serve).toEqual({ host: '127.0.0.1', port: 8080, auth: { token: 't0ken' }, sql_editor: false });
  });

  it('pg: users with passwords from the environment, and the defaults', () => {
    const config = parseConfig(
      yaml('serve:', '  pg:', '    port: 6543', '    users:', '      analyst:', '        password: ${env:PG_PW}'),
      FILE,
      DIR,
      { PG_PW: 's3cret' },
    );
    expect(config.serve?.pg).toEqual({
      host: '127.0.0.1',
      port: 6543,
      users: { analyst: { password: 's3cret' } },
      max_connections: 100,
      statement_timeout_seconds: 300,
    });
    const tls = parseConfig(
      yaml('serve:', '  pg:', '    tls: { cert: tls/server.crt, key: /etc/strata/server.key }'),
      FILE,
      DIR,
      {},
    );
    expect(tls.serve?.pg?.tls).toEqual({ cert: 'tls/server.crt', key: '/etc/strata/server.key', required: false });
    expect(brief(problemsOf(yaml('serve:', '  pg:', '    tls: { cert: a.crt, required: yes }')).problems)).toEqual([
      '3:5 serve.pg.tls.key: required, but missing',
      '3:35 serve.pg.tls.required: expected true or false, got a string',
    ]);
    expect(brief(problemsOf(yaml('serve:', '  pg:', '    users:', '      a: { password: hunter2 }')).problems)).toEqual(
      [
        '4:22 serve.pg.users.a.password: a secret must not be written in strata.yaml; use ${env:NAME} and set NAME in the environment',
      ],
    );
  });

  it('auth needs a token or a password, from the environment', () => {
    expect(brief(problemsOf(yaml('serve:', '  auth: {}')).problems)).toEqual([
      '2:9 serve.auth: serve.auth needs a token or a password (from ${env:NAME})',
    ]);
    expect(brief(problemsOf(yaml('serve:', '  auth: { password: hunter2 }')).problems)).toEqual([
      '2:21 serve.auth.password: a secret must not be written in strata.yaml; use ${env:NAME} and set NAME in the environment',
    ]);
  });
});

describe('jobs (the job settings of a Databricks bundle)', () => {
  it("a bundle's job loads as written", () => {
    const config = parseConfig(
      yaml(
        'jobs:',
        '  daily:',
        '    name: Daily sales',
        '    schedule:',
        "      quartz_cron_expression: '0 0 6 * * ?'",
        '      timezone_id: Europe/Berlin',
        '    parameters:',
        '      - { name: day, default: today }',
        '    email_notifications:',
        '      on_failure: [data@example.com]',
        '    tasks:',
        '      - task_key: refresh',
        '        pipeline_task: { pipeline_id: "${resources.pipelines.sales.id}", full_refresh: false }',
        '        max_retries: 2',
        '        min_retry_interval_millis: 60000',
        '      - task_key: kpis',
        '        depends_on: [{ task_key: refresh }]',
        '        sql_task: { file: { path: sql/kpis.sql }, warehouse_id: abc }',
        '      - task_key: check',
        '        depends_on: [{ task_key: kpis }]',
        "        condition_task: { left: '{{tasks.kpis.values.n}}', op: GREATER_THAN, right: '0' }",
        '      - task_key: report',
        "        depends_on: [{ task_key: check, outcome: 'true' }]",
        '        run_if: ALL_SUCCESS',
        '        command_task: { command: [node, report.js] }',
      ),
      FILE,
      DIR,
      {},
    );
    expect(config.reserved).toEqual([]);
    const job = config.jobs!.daily;
    expect(job.tasks.map((t) => t.task_key)).toEqual(['refresh', 'kpis', 'check', 'report']);
    expect(job.tasks[0].pipeline_task?.pipeline_id).toBe('${resources.pipelines.sales.id}');
    expect(job.schedule?.timezone_id).toBe('Europe/Berlin');
  });

  it('names what is wrong: a Databricks-only field, a missing kind, an unknown dependency, a cycle', () => {
    const { problems } = problemsOf(
      yaml(
        'jobs:', //                                          1
        '  j:', //                                           2
        '    job_clusters: []', //                           3
        '    tasks:', //                                     4
        '      - task_key: a', //                            5
        '        notebook_task: { notebook_path: x }', //    6
        '        depends_on: [{ task_key: c }]', //          7
        '      - task_key: b', //                            8
        '        depends_on: [{ task_key: nope }]', //       9
        '        sql_task: { file: { path: x.sql } }', //    10
        '      - task_key: c', //                            11
        '        depends_on: [{ task_key: a }]', //          12
        '        command_task: { command: [ls] }', //        13
      ),
    );
    const messages = brief(problems);
    expect(messages[0]).toMatch(
      /^3:5 jobs\.j\.job_clusters: "job_clusters" is a Databricks job setting that Strata does not support/,
    );
    expect(
      messages.some((m) => /^6:9 jobs\.j\.tasks\[0\]\.notebook_task: "notebook_task" is a Databricks/.test(m)),
    ).toBe(true);
    expect(messages).toContain('9:34 jobs.j.tasks[1].depends_on[0].task_key: no task nope in this job');
    expect(messages.some((m) => /a task needs one of pipeline_task, sql_task/.test(m))).toBe(true);
  });

  it('continuous is accepted alone; with a schedule, or with task_retry_mode ON_FAILURE, it is refused', () => {
    const ok = parseConfig(
      yaml(
        'jobs:',
        '  j:',
        '    continuous: { pause_status: UNPAUSED, task_retry_mode: NEVER }',
        '    tasks:',
        '      - { task_key: a, command_task: { command: [ls] } }',
      ),
      FILE,
      DIR,
      {},
    );
    expect(ok.jobs?.j.continuous).toEqual({ pause_status: 'UNPAUSED', task_retry_mode: 'NEVER' });
    const both = problemsOf(
      yaml(
        'jobs:',
        '  j:',
        "    schedule: { quartz_cron_expression: '0 0 6 * * ?' }",
        '    continuous: {}',
        '    tasks:',
        '      - { task_key: a, command_task: { command: [ls] } }',
      ),
    );
    expect(brief(both.problems)).toEqual([
      '4:17 jobs.j.continuous: a job has one of schedule, trigger and continuous, not schedule and continuous',
    ]);
    const retry = problemsOf(
      yaml(
        'jobs:',
        '  j:',
        '    continuous: { task_retry_mode: ON_FAILURE }',
        '    tasks:',
        '      - { task_key: a, command_task: { command: [ls] } }',
      ),
    );
    expect(brief(retry.problems)).toEqual([
      '3:36 jobs.j.continuous.task_retry_mode: task_retry_mode ON_FAILURE is not supported yet; NEVER (the default) is: a failed run is followed by a new one, after a wait that grows with each failure',
    ]);
  });

  it('a cycle of dependencies is named', () => {
    const { problems } = problemsOf(
      yaml(
        'jobs:',
        '  j:',
        '    tasks:',
        '      - { task_key: a, depends_on: [{ task_key: b }], command_task: { command: [ls] } }',
        '      - { task_key: b, depends_on: [{ task_key: a }], command_task: { command: [ls] } }',
      ),
    );
    expect(brief(problems)).toEqual([
      '4:36 jobs.j.tasks[0].depends_on: the tasks depend on each other in a cycle: a → b → a',
    ]);
  });

  it('a job must still be an object', () => {
    const { problems } = problemsOf(yaml('jobs:', '  daily: every day'));
    expect(brief(problems)).toEqual(['2:10 jobs.daily: expected an object, got a string']);
  });
});

describe('the JSON Schema', () => {
  it('schema/strata.schema.json is the schema generated from the zod schema (run `npm run schema`)', () => {
    const published = JSON.parse(readFileSync(path.join(REPO, 'schema', 'strata.schema.json'), 'utf8'));
    expect(published).toEqual(strataJsonSchema());
    expect(readFileSync(path.join(REPO, 'schema', 'strata.schema.json'), 'utf8')).toBe(
      JSON.stringify(strataJsonSchema(), null, 2) + '\n',
    );
  });

  it('describes every key and forbids unknown ones', () => {
    const schema = strataJsonSchema() as JsonSchema;
    expect(schema.$id).toBeTruthy();
    expect(schema.title).toBe('strata.yaml');
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties ?? {})).toEqual([
      'name',
      'lake',
      'landing',
      'catalog',
      'pipelines',
      'engine',
      'notifications',
      'jobs',
      'alerts',
      'serve',
      'storage',
    ]);
    const email = schema.properties!.notifications.properties!.email;
    expect(email.required).toEqual(['host', 'from']);
    expect(email.additionalProperties).toBe(false);
    expect(email.properties!.port.default).toBe(587);
    // Every object and field carries a description for editors.
    const undescribed: string[] = [];
    const walk = (s: JsonSchema, at: string) => {
      if (at !== '' && s.description === undefined) undescribed.push(at);
      for (const [k, v] of Object.entries(s.properties ?? {})) walk(v, at === '' ? k : `${at}.${k}`);
      if (typeof s.additionalProperties === 'object' && Object.keys(s.additionalProperties).length > 0)
        walk(s.additionalProperties, `${at}.*`);
    };
    walk(schema, '');
    expect(undescribed).toEqual([]);
  });

  it('validates a full example and refuses unknown keys and wrong types', () => {
    const schema = strataJsonSchema() as JsonSchema;
    const full = {
      name: 'shop',
      lake: 'lake',
      landing: 'landing',
      pipelines: { sales: { configuration: { region: 'EU', days: 30, full: true } } },
      engine: { threads: 4, memory_limit: '4GB', temp_directory: 'tmp', timezone: 'UTC' },
      notifications: { email: { host: 'h', port: 587, tls: 'tls', from: 'f', user: 'u', password: '${env:P}' } },
      jobs: { daily: { tasks: [{ task_key: 'run', pipeline_task: { pipeline_id: 'sales' } }] } },
      serve: { port: 8080 },
      storage: {},
    };
    expect(validate(schema, full)).toEqual([]);
    expect(validate(schema, { ...full, extra: 1 })).toEqual(['/extra: unknown key']);
    expect(validate(schema, { engine: { threads: 0 } })).toEqual(['/engine/threads: matches no alternative']);
    expect(validate(schema, { notifications: { email: { host: 'h', tls: 'ssl' } } })).toEqual([
      '/notifications/email: missing from',
      '/notifications/email/tls: not one of the allowed values',
    ]);
  });
});

describe('the strata.yaml of strata init', () => {
  const ref = './node_modules/strata/schema/strata.schema.json';

  it('starts with the schema line and parses without problems', () => {
    const text = strataYaml('shop', ref);
    expect(text.split('\n')[0]).toBe(`# yaml-language-server: $schema=${ref}`);
    const config = parseConfig(text, FILE, DIR, {});
    expect(config.name).toBe('shop');
    expect(config.lake).toBe('lake');
    expect(config.landing).toBe('landing');
    expect(config.reserved).toEqual([]);
  });

  it('its commented-out examples are valid once uncommented', () => {
    const examples = /^# ((pipelines|engine|notifications):| {2})/;
    const text = strataYaml('shop', ref)
      .split('\n')
      .map((line) => (examples.test(line) ? line.slice(2) : line))
      .join('\n');
    expect(text).toContain('\nnotifications:\n  email:\n');
    const config = parseConfig(text, FILE, DIR, { SMTP_PASSWORD: 'pw' });
    expect(config.pipelines.sales.configuration).toEqual({ start_date: '2024-01-01', region: 'EU' });
    expect(config.engineSettings.threads).toBe(4);
    expect(config.notifications.email?.password).toBe('pw');
  });

  it('quotes names YAML would read as something else', () => {
    for (const name of ['123', 'true', 'a: b', '#x', "it's", 'null']) {
      expect(parseConfig(strataYaml(name, ref), FILE, DIR, {}).name).toBe(name);
    }
  });

  it("points at this install's schema", () => {
    expect(existsSync(STRATA_SCHEMA_FILE)).toBe(true);
    expect(schemaRefFor(REPO)).toBe('./schema/strata.schema.json');
    expect(schemaRefFor(path.join(REPO, 'examples', 'retail'))).toBe('../../schema/strata.schema.json');
  });
});

describe('the examples', () => {
  const examples = readdirSync(path.join(REPO, 'examples')).filter((d) =>
    existsSync(path.join(REPO, 'examples', d, 'strata.yaml')),
  );

  it.each(examples)('examples/%s/strata.yaml is valid', async (example) => {
    const config = await loadConfig(path.join(REPO, 'examples', example), {});
    expect(config.name).toBe(example);
  });
});

// A small JSON Schema check: the keywords the generated schema uses, nothing more.
interface JsonSchema {
  $id?: string;
  title?: string;
  description?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  required?: string[];
  enum?: unknown[];
  anyOf?: JsonSchema[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  default?: unknown;
}

function validate(schema: JsonSchema, value: unknown, at = ''): string[] {
  const errors: string[] = [];
  const typeOf = (v: unknown) =>
    v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;
  if (schema.anyOf !== undefined) {
    if (!schema.anyOf.some((s) => validate(s, value, at).length === 0)) errors.push(`${at}: matches no alternative`);
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    const t = typeOf(value);
    if (!types.includes(t) && !(t === 'integer' && types.includes('number')))
      return [...errors, `${at}: expected ${types.join('|')}`];
  }
  if (schema.enum !== undefined && !schema.enum.includes(value)) errors.push(`${at}: not one of the allowed values`);
  if (typeof value === 'string') {
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value))
      errors.push(`${at}: does not match ${schema.pattern}`);
    if (schema.minLength !== undefined && value.length < schema.minLength) errors.push(`${at}: too short`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${at}: below minimum`);
    if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${at}: above maximum`);
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) errors.push(`${at}: below minimum`);
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in obj)) errors.push(`${at}: missing ${key}`);
    for (const [key, v] of Object.entries(obj)) {
      const child = schema.properties?.[key];
      if (child !== undefined) errors.push(...validate(child, v, `${at}/${key}`));
      else if (schema.additionalProperties === false) errors.push(`${at}/${key}: unknown key`);
      else if (typeof schema.additionalProperties === 'object')
        errors.push(...validate(schema.additionalProperties, v, `${at}/${key}`));
    }
  }
  return errors;
}
