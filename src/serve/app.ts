// The HTTP application: security headers on every response, the read and action guards, the API
// routes, and the pages. Errors are JSON `{ error, code }` with the status their code means; a
// failure of Strata's own is a 500 without its stack.
import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { StrataError } from '../core/index.js';
import { SESSION_COOKIE } from './auth.js';
import { json, problem, type Env, type ServeContext } from './http.js';
import { tableRoutes } from './api-tables.js';
import { runRoutes } from './api-runs.js';
import { pipelineRoutes } from './api-pipelines.js';
import { dashboardRoutes } from './api-dashboards.js';
import { sqlRoutes } from './api-sql.js';
import { staticRoutes } from './static.js';

const STATUS: Partial<Record<string, 400 | 404 | 409>> = {
  USAGE: 400,
  SQL_ERROR: 400,
  SQL_SYNTAX: 400,
  SQL_UNSUPPORTED: 400,
  READ_ONLY: 400,
  CANCELLED: 400,
  CONFIG: 400,
  TABLE_NOT_FOUND: 404,
  NOT_A_TABLE: 404,
  VERSION_NOT_FOUND: 404,
  CONFLICT: 409,
};

/** POSTs that only read (sign-in; the SQL editor's read-only queries): open on loopback like other reads. */
const READ_POSTS = new Set(['/api/login', '/api/sql']);

export function createApp(s: ServeContext): Hono<Env> {
  const app = new Hono<Env>();
  app.use('*', async (c, next) => {
    await next();
    c.header('X-Frame-Options', 'DENY');
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Cross-Origin-Opener-Policy', 'same-origin');
    c.header('Cross-Origin-Resource-Policy', 'same-origin');
    c.header(
      'Content-Security-Policy',
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    );
    if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
  });
  app.onError((err, c) => {
    if (StrataError.is(err)) return problem(c, STATUS[err.code] ?? 500, err.message, err.code);
    return problem(c, 500, 'internal error (the server log has it)', 'INTERNAL');
  });
  app.notFound((c) => problem(c, 404, `no route ${c.req.method} ${c.req.path}`));

  // Who is signed in; reads beyond loopback and every action need it.
  app.use('*', async (c, next) => {
    c.set('signedIn', s.auth.signedIn(c.req.header('Authorization'), getCookie(c, SESSION_COOKIE)));
    const open = c.req.path === '/api/login' || c.req.path === '/api/session' || !c.req.path.startsWith('/api/');
    if (!s.loopback && !c.get('signedIn') && !open) return problem(c, 401, 'sign in first (serve.auth)');
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      // A write must be JSON from this origin (no form from another site can send that), and signed in.
      const origin = c.req.header('Origin');
      if (origin !== undefined && origin !== new URL(c.req.url).origin)
        return problem(c, 403, `requests from ${origin} are refused`);
      if (!(c.req.header('Content-Type') ?? '').startsWith('application/json'))
        return problem(c, 415, 'send JSON (Content-Type: application/json)');
      if (!READ_POSTS.has(c.req.path) && !c.get('signedIn'))
        return problem(
          c,
          s.auth.configured ? 401 : 403,
          s.auth.configured
            ? 'sign in to do this'
            : 'actions need serve.auth in strata.yaml (a token or a password from ${env:NAME})',
        );
    }
    await next();
  });

  app.get('/api/session', (c) =>
    json(c, {
      signedIn: c.get('signedIn'),
      authConfigured: s.auth.configured,
      sqlEditor: s.sqlEditor,
      project: s.project.config.name,
    }),
  );
  app.post('/api/login', async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { secret?: unknown };
    if (typeof body.secret !== 'string' || !s.auth.accepts(body.secret)) {
      await new Promise((r) => setTimeout(r, 500)); // a wrong guess costs time
      return problem(c, 401, 'wrong token or password');
    }
    const session = s.auth.open();
    setCookie(c, SESSION_COOKIE, session.id, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      maxAge: session.maxAgeSeconds,
      secure: new URL(c.req.url).protocol === 'https:',
    });
    return json(c, { signedIn: true });
  });
  app.post('/api/logout', (c) => {
    s.auth.close(getCookie(c, SESSION_COOKIE));
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return json(c, { signedIn: false });
  });

  app.route('/api', tableRoutes(s));
  app.route('/api', runRoutes(s));
  app.route('/api', pipelineRoutes(s));
  app.route('/api', dashboardRoutes(s));
  app.route('/api', sqlRoutes(s));
  app.get('/api/live', (c) => s.live.stream(c));
  app.route('/', staticRoutes());
  return app;
}
