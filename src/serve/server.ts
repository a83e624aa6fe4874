// Starting and stopping the HTTP server: bound to 127.0.0.1 unless told otherwise, and refused on
// any other address without serve.auth.
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { StrataError } from '../core/index.js';
import type { Project } from '../project/index.js';
import { createApp } from './app.js';
import { Auth, isLoopback } from './auth.js';
import { LiveLake } from './live.js';

export interface ServeOptions {
  /** Default: serve.host in strata.yaml, else 127.0.0.1. */
  host?: string;
  /** Default: serve.port, else 4000; 0 takes a free port. */
  port?: number;
  /** How often the lake is looked at for new versions (default 250 ms). */
  liveMs?: number;
}

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

export async function startServer(project: Project, options: ServeOptions = {}): Promise<RunningServer> {
  const settings = project.config.serve;
  const host = options.host ?? settings?.host ?? '127.0.0.1';
  const auth = new Auth(settings?.auth);
  if (!isLoopback(host) && !auth.configured)
    throw new StrataError(
      'CONFIG',
      `strata serve on ${host} would let anyone who reaches this machine read the lake: set serve.auth in strata.yaml (a token or a password from \${env:NAME}), or serve on 127.0.0.1`,
    );
  const live = new LiveLake(project, options.liveMs);
  await live.start();
  const pending = new Set<Promise<unknown>>();
  const closing: (() => Promise<void> | void)[] = [];
  const app = createApp({
    closing,
    project,
    auth,
    loopback: isLoopback(host),
    live,
    sqlEditor: settings?.sql_editor ?? false,
    pending,
  });
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port: options.port ?? settings?.port ?? 4000 }, () =>
      resolve(s),
    );
    s.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new StrataError(
              'USAGE',
              `port ${options.port ?? settings?.port ?? 4000} on ${host} is in use: serve on another with --port`,
            )
          : err,
      ),
    );
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}`,
    host,
    port,
    close: async () => {
      live.stop();
      // Job runs started from the pages finish first (a run is never left half-recorded).
      await Promise.allSettled([...pending]);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      for (const close of closing) await close();
    },
  };
}
