// The import graph of src/: which file imports which, read from the source text.
// Used by the architecture test; kept apart so a script can print it too.
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

export interface ImportEdge {
  from: string; // 'pipeline/run.ts'
  to: string; // 'sql/index.ts'
  line: number;
  typeOnly: boolean;
}

const IMPORT = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm;
const DYNAMIC = /import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

/** Every non-test .ts file under `src`, relative to it, '/'-separated. */
export function sourceFiles(src: string): string[] {
  return readdirSync(src, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.case.ts'))
    .map((f) => f.split(path.sep).join('/'))
    .sort();
}

/** The relative imports of every source file. */
export function importEdges(src: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of sourceFiles(src)) {
    const text = readFileSync(path.join(src, file), 'utf8');
    const add = (spec: string, index: number, typeOnly: boolean) => {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '.ts');
      edges.push({ from: file, to: target, line: text.slice(0, index).split('\n').length, typeOnly });
    };
    for (const m of text.matchAll(IMPORT)) add(m[3], m.index, Boolean(m[2]));
    for (const m of text.matchAll(DYNAMIC)) add(m[1], m.index, false);
  }
  return edges;
}

/** The folder of a file ('pipeline/run.ts' → 'pipeline'). */
export const folderOf = (file: string) => (file.includes('/') ? file.slice(0, file.indexOf('/')) : '');

/** Groups of files that import each other, directly or not (strongly connected components of more than one file, or a file importing itself). */
export function fileCycles(edges: ImportEdge[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) {
    if (!next.has(e.from)) next.set(e.from, new Set());
    next.get(e.from)!.add(e.to);
  }
  // Tarjan's algorithm.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let counter = 0;
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1 || next.get(v)?.has(v)) out.push(group.sort());
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) visit(v);
  return out;
}

/** The folders a folder may import, from the `May import:` line of its CONTEXT.md (backticked names). */
export function allowedImports(src: string, folder: string): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(src, folder, 'CONTEXT.md'), 'utf8');
  } catch {
    return undefined;
  }
  const line = text.split('\n').find((l) => l.startsWith('May import:'));
  if (line === undefined) return undefined;
  // Only the first sentence lists the folders; the rest may name others to say what is not allowed.
  const first = line.slice('May import:'.length).split(/\.\s|\.$/)[0];
  return [...first.matchAll(/`([a-z-]+)`/g)].map((m) => m[1]);
}
