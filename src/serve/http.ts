// What every route shares: the server's context, JSON answers and error answers.
import type { Context } from 'hono';
import type { Project } from '../project/index.js';
import type { Auth } from './auth.js';
import { toJson } from './json.js';
import type { LiveLake } from './live.js';

export interface ServeContext {
  project: Project;
  auth: Auth;
  /** Bound to this machine only: reads need no sign-in. */
  loopback: boolean;
  live: LiveLake;
  sqlEditor: boolean;
  /** Work started by requests that goes on after the answer (job runs): awaited on close. */
  pending: Set<Promise<unknown>>;
  /** What routes opened that the server closes when it stops (the SQL editor's sandbox). */
  closing: (() => Promise<void> | void)[];
}

export type Env = { Variables: { signedIn: boolean } };

/** A JSON response (bigints and dates handled). */
export function json(c: Context, value: unknown, status: 200 | 201 | 202 = 200): Response {
  return c.body(toJson(value), status, { 'Content-Type': 'application/json; charset=utf-8' });
}

/** An error response naming the problem. */
export function problem(c: Context, status: 400 | 401 | 403 | 404 | 409 | 415 | 500, message: string, code?: string) {
  return c.body(toJson({ error: message, code }), status, { 'Content-Type': 'application/json; charset=utf-8' });
}
