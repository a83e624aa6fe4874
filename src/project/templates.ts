// The strata.yaml that `strata init` writes: the schema line for editors, the keys every project
// has, and commented-out examples of the optional sections.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

/** schema/strata.schema.json of this Strata install (src/project or dist/project → ../../schema). */
export const STRATA_SCHEMA_FILE = fileURLToPath(new URL('../../schema/strata.schema.json', import.meta.url));

/**
 * The schema reference to write in a project's strata.yaml: the path of this install's
 * schema relative to the project folder (./node_modules/strata/schema/strata.schema.json when
 * Strata is installed in the project), with forward slashes.
 */
export function schemaRefFor(projectDir: string): string {
  const rel = path.relative(path.resolve(projectDir), STRATA_SCHEMA_FILE).split(path.sep).join('/');
  return rel.startsWith('.') || path.isAbsolute(rel) ? rel : `./${rel}`;
}

/** The text of a new project's strata.yaml. `schemaRef` goes in the yaml-language-server line. */
export function strataYaml(name: string, schemaRef: string): string {
  return `# yaml-language-server: $schema=${schemaRef}
# A Strata project. Every key is optional; docs/configuration.md describes them all.
# Secrets never go in this file: write \${env:NAME} and set NAME in the environment.

# The project's name (default: the folder's name).
name: ${yamlString(name)}

# Where the Delta tables live: lake/<schema>/<table>, and Strata's own tables in lake/_system.
lake: lake

# Where source files land (any layout); pipelines read them with read_files('landing/...').
landing: landing

# Each folder under pipelines/ is a pipeline of Lakeflow SQL files (*.sql); it needs no entry
# here. Settings of a pipeline, readable in its SQL as \${key}:
# pipelines:
#   sales:
#     configuration:
#       start_date: '2024-01-01'
#       region: EU

# The embedded DuckDB engine. Defaults: all cores, 80% of RAM, DuckDB's spill folder, UTC.
# engine:
#   threads: 4
#   memory_limit: 4GB
#   temp_directory: tmp
#   timezone: Europe/Paris

# Email notifications. The password comes from the environment variable SMTP_PASSWORD.
# notifications:
#   email:
#     host: smtp.example.com
#     port: 587
#     tls: starttls
#     from: strata@example.com
#     user: strata
#     password: \${env:SMTP_PASSWORD}
`;
}

/** A string as one line of YAML: plain when it can be, quoted when it must be (e.g. '123', 'a: b'). */
function yamlString(value: string): string {
  const text = stringify(value).trimEnd();
  return text.includes('\n') ? JSON.stringify(value) : text;
}

/** Puts the yaml-language-server schema line at the top of a project's strata.yaml (a copied template), once. */
export function addSchemaLine(projectDir: string): void {
  const file = path.join(projectDir, 'strata.yaml');
  if (!existsSync(file)) return;
  const text = readFileSync(file, 'utf8');
  if (text.startsWith('# yaml-language-server:')) return;
  writeFileSync(file, `# yaml-language-server: $schema=${schemaRefFor(projectDir)}\n${text}`);
}
