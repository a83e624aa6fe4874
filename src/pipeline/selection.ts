// Which datasets an update runs (--select, with what they read) and rebuilds (--full-refresh),
// and the checks a full refresh needs before anything is written.
import { StrataError } from '../core/index.js';
import { normalizeName } from './graph.js';
import type { Pipeline } from './project.js';

/** The selected datasets and, transitively, the pipeline datasets they read. */
export function selection(pipeline: Pipeline, select?: string[]): Set<string> {
  if (!select || select.length === 0) return new Set(pipeline.datasets.keys());
  const out = new Set<string>();
  const visit = (name: string) => {
    if (out.has(name)) return;
    out.add(name);
    for (const n of pipeline.nodes.filter((x) => x.target === name))
      for (const r of n.reads) if (pipeline.datasets.has(r.name)) visit(r.name);
  };
  for (const s of select) {
    const name = normalizeName(s, pipeline.schema);
    if (!pipeline.datasets.has(name))
      throw new StrataError(
        'USAGE',
        `--select: ${s} is not a dataset of pipeline ${pipeline.name} (datasets: ${[...pipeline.datasets.values()].map((d) => d.name).join(', ')})`,
      );
    visit(name);
  }
  return out;
}

export function fullRefreshSet(pipeline: Pipeline, full?: string[] | 'all'): Set<string> {
  if (!full) return new Set();
  if (full === 'all')
    return new Set(
      [...pipeline.datasets.values()]
        .filter((d) => d.kind !== 'temporary-view')
        .map((d) => normalizeName(d.name, pipeline.schema)),
    );
  const out = new Set<string>();
  for (const s of full) {
    const name = normalizeName(s, pipeline.schema);
    if (!pipeline.datasets.has(name))
      throw new StrataError('USAGE', `--full-refresh: ${s} is not a dataset of pipeline ${pipeline.name}`);
    out.add(name);
  }
  return out;
}

/**
 * Before anything is written: a full refresh replaces its tables, so every streaming table that
 * reads one of them as a stream must be refreshed too (its stream could not continue on the
 * replaced table) — refused otherwise, naming them. Tables that read files refuse a full refresh
 * without force: the landing files may be gone.
 */
export function checkFullRefresh(pipeline: Pipeline, refresh: Set<string>, force: boolean): void {
  for (const name of force ? [] : refresh) {
    const reader = pipeline.nodes.find((n) => n.target === name && n.files.some((f) => f.streaming));
    if (reader) {
      const def = pipeline.datasets.get(name)!;
      throw new StrataError(
        'USAGE',
        `${def.name} loads files (${reader.files[0].call}); a full refresh empties it and loads again only the files still in the landing folder — rows of files removed since would be lost. Add --force to refresh it anyway.`,
        { context: { table: def.name } },
      );
    }
  }
  const needed = new Set(refresh);
  for (let grew = true; grew;) {
    grew = false;
    for (const n of pipeline.nodes)
      if (!needed.has(n.target) && n.reads.some((r) => r.streaming && needed.has(r.name))) {
        needed.add(n.target);
        grew = true;
      }
  }
  const missing = [...needed].filter((t) => !refresh.has(t));
  if (missing.length > 0) {
    const name = (t: string) => pipeline.datasets.get(t)?.name ?? t;
    throw new StrataError(
      'USAGE',
      `--full-refresh ${[...refresh].map(name).join(',')} would replace tables that ${missing.map(name).join(', ')} ${missing.length === 1 ? 'reads' : 'read'} as a stream, which could not continue on the replaced tables; refresh them together: --full-refresh ${[...needed].map(name).join(',')}`,
    );
  }
}
