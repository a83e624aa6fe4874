// A project for the Postgres endpoint's tests: strata.yaml with one endpoint user, `analyst`,
// whose password comes from the environment as it must (serve.pg.users.analyst.password).
import pg from 'pg';
import type { Project } from '../../src/project/index.js';
import { projectAt, projectFolder, type TestBed } from './harness.js';

export interface PgProjectOptions {
  /** Lines of strata.yaml before `serve:` (`catalog: lake\n`). */
  top?: string;
  /** Lines under `serve.pg:` before its users (`    max_connections: 2\n`). */
  pg?: string;
  files?: Record<string, string>;
}

/** Makes and opens the project `name` with the endpoint user `analyst` signing in with `password`. */
export async function pgProject(
  bed: TestBed,
  name: string,
  password: string,
  options: PgProjectOptions = {},
): Promise<{ project: Project; dir: string }> {
  const yaml =
    `name: ${name}\n${options.top ?? ''}serve:\n  pg:\n${options.pg ?? ''}` +
    '    users:\n      analyst:\n        password: ${env:STRATA_PG_TEST_PASSWORD}\n';
  const dir = projectFolder(bed, name, yaml, options.files);
  return { project: await projectAt(bed, dir, { env: { STRATA_PG_TEST_PASSWORD: password } }), dir };
}

/** A Node `pg` client (not connected) for `analyst` on the endpoint at `port`. */
export function pgClient(port: number, password: string): pg.Client {
  return new pg.Client({ host: '127.0.0.1', port, user: 'analyst', password, database: 'lake' });
}
