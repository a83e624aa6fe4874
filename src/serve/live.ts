// Live pages: the lake's table versions, looked at a few times a second (the newest commit file of
// each table's _delta_log), and every change sent to the pages that listen (server-sent events:
// `event: commit`, `data: {"table": "gold.fact_sales", "version": 12}`).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Project } from '../project/index.js';

type Listener = (table: string, version: number) => void;

export class LiveLake {
  private readonly versions = new Map<string, number>();
  private readonly listeners = new Set<Listener>();
  private timer: NodeJS.Timeout | undefined;
  private looking = false;

  constructor(
    private readonly project: Project,
    private readonly everyMs = 250,
  ) {}

  /** Starts looking (the versions of now are the baseline: no event for them). */
  async start(): Promise<void> {
    await this.look(false);
    this.timer = setInterval(() => void this.look(true), this.everyMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The version of each table, as last seen. */
  current(): Record<string, number> {
    return Object.fromEntries(this.versions);
  }

  onCommit(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async look(tell: boolean): Promise<void> {
    if (this.looking) return;
    this.looking = true;
    try {
      for (const t of await this.project.catalog.listTables()) {
        const v = await latestVersion(t.location);
        if (v === undefined || this.versions.get(t.name) === v) continue;
        this.versions.set(t.name, v);
        if (tell) for (const l of this.listeners) l(t.name, v);
      }
    } catch {
      // a table being created or removed as we look: the next look sees it settled
    } finally {
      this.looking = false;
    }
  }

  /** GET /api/live: the commits, as server-sent events, until the page goes away. */
  stream(c: Context): Response {
    return streamSSE(c, async (sse) => {
      const queue: { table: string; version: number }[] = [];
      let wake: (() => void) | undefined;
      const off = this.onCommit((table, version) => {
        queue.push({ table, version });
        wake?.();
      });
      let open = true;
      sse.onAbort(() => {
        open = false;
        wake?.();
      });
      try {
        await sse.writeSSE({ event: 'hello', data: JSON.stringify(this.current()) });
        while (open) {
          if (queue.length === 0)
            await new Promise<void>((r) => {
              wake = r;
              setTimeout(r, 15_000); // a comment now and then keeps proxies from closing it
            });
          wake = undefined;
          if (!open) break;
          if (queue.length === 0) await sse.write(': keep-alive\n\n');
          for (const e of queue.splice(0)) await sse.writeSSE({ event: 'commit', data: JSON.stringify(e) });
        }
      } finally {
        off();
      }
    });
  }
}

/** The newest commit version in a table's _delta_log (from the file names). */
export async function latestVersion(location: string): Promise<number | undefined> {
  let names: string[];
  try {
    names = await fs.readdir(path.join(location, '_delta_log'));
  } catch {
    return undefined;
  }
  let best: number | undefined;
  for (const n of names) {
    const m = /^(\d{20})\.json$/.exec(n);
    if (m) best = Math.max(best ?? -1, Number(m[1]));
  }
  return best;
}
