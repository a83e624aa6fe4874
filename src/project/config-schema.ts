// strata.yaml: one zod schema, the single source of the TypeScript types, of validation and of
// the JSON Schema published as schema/strata.schema.json (for editors). Keys are snake_case, as
// in Databricks bundles. Every object is strict (an unknown key is an error) except the reserved
// sections, which later versions fill in.
import { z } from 'zod';
import { alertSchema } from './config-alerts.js';
import { jobSchema } from './config-jobs.js';

/** Where the JSON Schema says it lives; editors only need it as an identifier. */
export const STRATA_SCHEMA_ID = 'urn:strata:schema:strata.yaml';

/** Names of the sections accepted now but not used by this version of Strata. */
export const RESERVED_SECTIONS = ['storage'] as const;
export type ReservedSection = (typeof RESERVED_SECTIONS)[number];

/**
 * An integer in [min, max], written as a number or as a string of digits (e.g. from `${env:PORT}`);
 * a number once parsed. The description and default go on the input side, where the JSON Schema is.
 */
function intLike(min: number, max: number, what: string, description: string) {
  const message = `expected ${what}: an integer from ${min} to ${max}`;
  const written = z
    .union(
      [
        z.number({ error: message }).int({ error: message }).min(min, { error: message }).max(max, { error: message }),
        z.string({ error: message }).regex(/^\s*[0-9]+\s*$/, { error: message }),
      ],
      { error: message },
    )
    .describe(description);
  const inRange = z.number().min(min, { error: message }).max(max, { error: message });
  return { written, inRange, toNumber: (v: number | string) => (typeof v === 'string' ? Number(v.trim()) : v) };
}

function optionalInt(min: number, max: number, what: string, description: string) {
  const { written, inRange, toNumber } = intLike(min, max, what, description);
  return written.transform(toNumber).pipe(inRange).optional();
}

function intWithDefault(min: number, max: number, what: string, description: string, defaultValue: number) {
  const { written, inRange, toNumber } = intLike(min, max, what, description);
  return written.default(defaultValue).transform(toNumber).pipe(inRange);
}

const configValue = z
  .union([z.string(), z.number(), z.boolean()], { error: 'expected a string, a number or a boolean' })
  .describe("A configuration value, readable in the pipeline's SQL as ${key}.");

const sqlName = (what: string) =>
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
    error: `a ${what} name is letters, digits and _ (not starting with a digit)`,
  });

export const pipelineSchema = z
  .strictObject({
    catalog: sqlName('catalog')
      .describe("The pipeline's catalog, as in a Databricks pipeline's settings: the project's catalog (it has one).")
      .optional(),
    schema: sqlName('schema')
      .describe(
        "The pipeline's target schema: where its datasets with a one-part name are published (Databricks' pipeline setting schema). Default: default.",
      )
      .optional(),
    target: sqlName('schema')
      .describe('The older name of schema (Databricks pipelines written before Unity Catalog).')
      .optional(),
    configuration: z
      .record(z.string(), configValue)
      .describe(
        "Key/value settings passed to the pipeline, as in a Databricks pipeline's configuration; " +
          "each is readable in the pipeline's SQL as ${key}.",
      )
      .optional(),
  })
  .describe('Settings of one pipeline (the folder pipelines/<name>/ of .sql files).');

export const engineSchema = z
  .strictObject({
    threads: optionalInt(1, 1024, 'a thread count', 'Worker threads DuckDB uses. Default: one per core.'),
    memory_limit: z
      .string()
      .regex(/^\s*[0-9]+(\.[0-9]+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$/i, {
        error: "expected a size such as '4GB' or '512MB'",
      })
      .describe("Memory DuckDB may use, e.g. '4GB' or '512MB'. Default: 80% of RAM.")
      .optional(),
    temp_directory: z
      .string()
      .min(1, { error: 'must not be empty' })
      .describe(
        "Where DuckDB spills data that does not fit in memory, relative to the project folder. Default: DuckDB's.",
      )
      .optional(),
    timezone: z
      .string()
      .min(1, { error: 'must not be empty' })
      .describe("Session time zone (an IANA name such as 'Europe/Paris'); timestamps are shown in it. Default: UTC.")
      .optional(),
  })
  .describe('Settings of the embedded DuckDB engine.');

export const emailSchema = z
  .strictObject({
    host: z.string().min(1, { error: 'must not be empty' }).describe('SMTP server host name.'),
    port: intWithDefault(1, 65535, 'a port number', 'SMTP server port. Default: 587.', 587),
    tls: z
      .enum(['starttls', 'tls', 'none'])
      .describe(
        "'starttls' (upgrade a plain connection, usually port 587), 'tls' (TLS from the start, usually port 465) or 'none'. Default: starttls.",
      )
      .default('starttls'),
    from: z.string().min(1, { error: 'must not be empty' }).describe('Sender address of the notification emails.'),
    user: z.string().describe('SMTP user name, if the server requires a login.').optional(),
    password: z
      .string()
      .describe(
        'SMTP password. Must be an environment reference such as ${env:SMTP_PASSWORD}, never the password itself.',
      )
      .optional(),
  })
  .describe('Send notifications by email through an SMTP server.');

export const webhookSchema = z
  .strictObject({
    url: z
      .string()
      .regex(/^https?:\/\/\S+$/, { error: 'expected an http:// or https:// URL' })
      .describe('Where the notification is POSTed, as JSON.'),
    headers: z
      .record(z.string(), z.string().describe('A header value; a token must come from ${env:NAME}.'))
      .describe('Headers sent with it (e.g. Authorization: ${env:HOOK_TOKEN}).')
      .optional(),
  })
  .describe('A webhook destination, named by its id in jobs.<key>.webhook_notifications.');

export const notificationsSchema = z
  .strictObject({
    email: emailSchema.optional(),
    webhooks: z
      .record(z.string(), webhookSchema)
      .describe('Webhook destinations by id, as Databricks notification destinations are referenced.')
      .optional(),
  })
  .describe('Where Strata sends notifications (failed runs, failed expectations).');

const reservedNote = 'Reserved: accepted, but not used by this version of Strata.';

const serveSchema = z
  .strictObject({
    host: z
      .string()
      .min(1, { error: 'must not be empty' })
      .describe('The address strata serve binds. Default: 127.0.0.1 (this machine only); any other needs serve.auth.')
      .default('127.0.0.1'),
    port: intWithDefault(1, 65535, 'a port number', 'The HTTP port of the dashboard and the API. Default: 4000.', 4000),
    auth: z
      .strictObject({
        token: z
          .string()
          .min(1, { error: 'must not be empty' })
          .describe('A token (from ${env:NAME}): sent as "Authorization: Bearer <token>", or typed in to sign in.')
          .optional(),
        password: z
          .string()
          .min(1, { error: 'must not be empty' })
          .describe('A password (from ${env:NAME}), typed in to sign in.')
          .optional(),
      })
      .refine((a) => a.token !== undefined || a.password !== undefined, {
        error: 'serve.auth needs a token or a password (from ${env:NAME})',
      })
      .describe('Who may act (run, repair, pause, replay), and read when bound beyond this machine.')
      .optional(),
    sql_editor: z
      .boolean()
      .describe(
        'Offer the read-only SQL editor (the SQL page, POST /api/sql): open on loopback like every read, signed-in beyond it. Default: false.',
      )
      .default(false),
    pg: z
      .strictObject({
        host: z
          .string()
          .min(1, { error: 'must not be empty' })
          .describe('The address the Postgres endpoint binds. Default: 127.0.0.1 (this machine only).')
          .default('127.0.0.1'),
        port: intWithDefault(1, 65535, 'a port number', 'The Postgres port (--pg-port wins). Default: 5433.', 5433),
        users: z
          .record(
            z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, { error: 'a user name is letters, digits, _ . -' }),
            z
              .strictObject({
                password: z
                  .string()
                  .min(1, { error: 'must not be empty' })
                  .describe('The password, from ${env:NAME} (checked with SCRAM-SHA-256).'),
              })
              .describe('A user of the endpoint.'),
          )
          .describe('Who may connect: serve.pg.users.<name>.password: ${env:NAME}. No user, no endpoint.')
          .optional(),
        max_connections: intWithDefault(
          1,
          10_000,
          'a whole number from 1 to 10000',
          'Connections at once; more are refused (SQLSTATE 53300). Default: 100.',
          100,
        ),
        statement_timeout_seconds: intWithDefault(
          1,
          86_400,
          'a whole number of seconds',
          'A statement running longer is stopped (SQLSTATE 57014). Default: 300.',
          300,
        ),
        tls: z
          .strictObject({
            cert: z
              .string()
              .min(1, { error: 'must not be empty' })
              .describe(
                "The server's certificate chain (PEM: the certificate, then any intermediates), relative to the project folder.",
              ),
            key: z
              .string()
              .min(1, { error: 'must not be empty' })
              .describe(
                "The certificate's private key (PEM, unencrypted), relative to the project folder; keep it out of the repository.",
              ),
            required: z
              .boolean()
              .describe('Refuse connections without TLS (FATAL 28000). Default: false (TLS when the client asks).')
              .default(false),
          })
          .describe(
            'TLS for the endpoint (TLS 1.2 or later): clients that ask (sslmode=prefer, require, verify-full) get it.',
          )
          .optional(),
      })
      .describe('The Postgres endpoint: BI tools read the lake over the PostgreSQL protocol (docs/bi-tools.md).')
      .optional(),
  })
  .describe('strata serve: the dashboard and the HTTP API (and the scheduler).');

export const strataConfigSchema = z
  .strictObject({
    name: z
      .string()
      .min(1, { error: 'must not be empty' })
      .describe("The project's name. Default: the project folder's name.")
      .optional(),
    lake: z
      .string()
      .min(1, { error: 'must not be empty' })
      .describe(
        'The folder of the Delta tables (lake/<schema>/<table>), relative to the project folder. Default: lake.',
      )
      .default('lake'),
    landing: z
      .string()
      .min(1, { error: 'must not be empty' })
      .describe('The folder where source files land, relative to the project folder. Default: landing.')
      .default('landing'),
    catalog: sqlName('catalog')
      .describe(
        "The catalog name of the project's tables: catalog.schema.table names them, as in Databricks. Default: main.",
      )
      .optional(),
    pipelines: z
      .record(z.string(), pipelineSchema)
      .describe(
        'Settings per pipeline, by pipeline name (the folder name under pipelines/). ' +
          'A pipeline needs no entry here to run.',
      )
      .optional(),
    engine: engineSchema.optional(),
    notifications: notificationsSchema.optional(),
    jobs: z
      .record(
        z.string().regex(/^[\w-]{1,100}$/, { error: 'a job key is 1 to 100 letters, digits, _ and -' }),
        jobSchema,
      )
      .describe(
        "Jobs by job key, with the fields of a Databricks bundle's resources.jobs.<key>: tasks run in dependency order, on a schedule or on triggers.",
      )
      .optional(),
    alerts: z
      .record(
        z.string().regex(/^[\w-]{1,100}$/, { error: 'an alert key is 1 to 100 letters, digits, _ and -' }),
        alertSchema,
      )
      .describe(
        "SQL alerts by key, with the fields of a Databricks bundle's resources.alerts.<key>; a job's alert_task runs one.",
      )
      .optional(),
    serve: serveSchema.optional(),
    storage: z.looseObject({}).describe(`Where the lake is stored. ${reservedNote}`).optional(),
  })
  .describe('A Strata project: strata.yaml at the root of the project folder.');

/** strata.yaml as written (before defaults). */
export type StrataYamlInput = z.input<typeof strataConfigSchema>;
/** strata.yaml after validation, with defaults applied (port may still be a digit string: see config.ts). */
export type StrataYamlParsed = z.output<typeof strataConfigSchema>;
export type PipelineSettings = z.output<typeof pipelineSchema>;
export type EngineSection = z.output<typeof engineSchema>;
export type EmailSection = z.output<typeof emailSchema>;
export type NotificationsSection = z.output<typeof notificationsSchema>;
export type ServeSection = z.output<typeof serveSchema>;

/** The JSON Schema of strata.yaml (input side: what may be written), for editors. */
export function strataJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(strataConfigSchema, { io: 'input', target: 'draft-2020-12' }) as Record<
    string,
    unknown
  >;
  const { $schema, ...rest } = generated;
  return { $schema, $id: STRATA_SCHEMA_ID, title: 'strata.yaml', ...rest };
}
