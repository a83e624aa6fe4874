// The pages: web/ of the package (index.html, app.js, app.css) and ECharts from its own package —
// nothing from the internet. Only the files named here are served.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import type { Env } from './http.js';

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web');
// The common build (line, bar, pie, scatter and their components): two thirds of the full one.
const ECHARTS = createRequire(import.meta.url).resolve('echarts/dist/echarts.common.min.js');

const FILES: Record<string, { file: string; type: string }> = {
  '/assets/app.js': { file: path.join(WEB, 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/assets/dashboard.js': { file: path.join(WEB, 'dashboard.js'), type: 'text/javascript; charset=utf-8' },
  '/assets/ui.js': { file: path.join(WEB, 'ui.js'), type: 'text/javascript; charset=utf-8' },
  '/assets/ops.js': { file: path.join(WEB, 'ops.js'), type: 'text/javascript; charset=utf-8' },
  '/assets/sql.js': { file: path.join(WEB, 'sql.js'), type: 'text/javascript; charset=utf-8' },
  '/assets/app.css': { file: path.join(WEB, 'app.css'), type: 'text/css; charset=utf-8' },
  '/assets/echarts.min.js': { file: ECHARTS, type: 'text/javascript; charset=utf-8' },
  '/favicon.svg': { file: path.join(WEB, 'favicon.svg'), type: 'image/svg+xml' },
};

export function staticRoutes(): Hono<Env> {
  const r = new Hono<Env>();
  const cache = new Map<string, Buffer>();
  const load = async (file: string) => {
    let b = cache.get(file);
    if (!b) cache.set(file, (b = await readFile(file)));
    return b;
  };
  for (const [route, f] of Object.entries(FILES))
    r.get(route, async (c) => {
      const body = await load(f.file);
      return c.body(new Uint8Array(body), 200, { 'Content-Type': f.type, 'Cache-Control': 'no-cache' });
    });
  // Every other page path is the one-page application (it reads the path to know what to show).
  r.get('/', async (c) => c.html((await load(path.join(WEB, 'index.html'))).toString('utf8')));
  r.get('/:page{(dashboards|quality|pipelines|jobs|tables|sql)(/.*)?}', async (c) =>
    c.html((await load(path.join(WEB, 'index.html'))).toString('utf8')),
  );
  return r;
}
