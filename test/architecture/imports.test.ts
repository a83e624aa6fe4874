// The shape of src/: one folder per capability, imports pointing one way. Each folder's
// CONTEXT.md says which folders it may import (its `May import:` line); other folders are
// reached only through their index.ts; no two files import each other, even through others.
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allowedImports, fileCycles, folderOf, importEdges } from './import-graph.js';

const SRC = path.resolve('src');
const folders = readdirSync(SRC, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();
const edges = importEdges(SRC);
const across = edges.filter((e) => folderOf(e.from) !== folderOf(e.to));

describe('the import graph of src/', () => {
  it('is read from the source (the check itself sees imports)', () => {
    // A graph with no edges would pass every rule below: make sure the reader finds them.
    expect(edges.length).toBeGreaterThan(200);
    expect(across.some((e) => e.from === 'cli/main.ts' || folderOf(e.from) === 'cli')).toBe(true);
  });

  it('every folder has an index.ts (its public surface) and a CONTEXT.md with a May import: line', () => {
    const missing = folders.flatMap((f) => [
      ...(existsSync(path.join(SRC, f, 'index.ts')) ? [] : [`${f}/index.ts`]),
      ...(allowedImports(SRC, f) === undefined ? [`${f}/CONTEXT.md (May import: line)`] : []),
    ]);
    expect(missing).toEqual([]);
  });

  it('has no cycle between files', () => {
    expect(fileCycles(edges).map((c) => c.join(' → '))).toEqual([]);
  });

  it('crosses folders only through their index.ts', () => {
    const bad = across.filter((e) => !e.to.endsWith('/index.ts')).map((e) => `${e.from}:${e.line} imports ${e.to}`);
    expect(bad).toEqual([]);
  });

  it('imports only the folders its CONTEXT.md allows', () => {
    const bad = across
      .filter((e) => !(allowedImports(SRC, folderOf(e.from)) ?? []).includes(folderOf(e.to)))
      .map((e) => `${e.from}:${e.line} imports ${folderOf(e.to)}, which ${folderOf(e.from)}/CONTEXT.md does not allow`);
    expect(bad).toEqual([]);
  });

  it('the allowed imports between folders form no cycle (the layers have an order)', () => {
    const allowed = folders.flatMap((f) =>
      (allowedImports(SRC, f) ?? []).map((to) => ({ from: f, to, line: 0, typeOnly: false })),
    );
    expect(fileCycles(allowed).map((c) => c.join(' ↔ '))).toEqual([]);
  });

  it('the layers are in the intended order: core ← storage, engine ← delta ← sql ← ingest ← pipeline ← project ← orchestrate ← serve ← cli', () => {
    const may = (from: string, to: string) => (allowedImports(SRC, from) ?? []).includes(to);
    const order = ['core', 'delta', 'sql', 'ingest', 'pipeline', 'project', 'orchestrate', 'serve', 'cli'];
    for (let i = 0; i < order.length; i++) {
      for (let j = i + 1; j < order.length; j++)
        expect(may(order[i], order[j]), `${order[i]} may not import ${order[j]}`).toBe(false);
    }
    expect(
      may('cli', 'project') &&
        may('project', 'pipeline') &&
        may('pipeline', 'ingest') &&
        may('ingest', 'sql') &&
        may('sql', 'delta'),
    ).toBe(true);
    // The CLI stands on the project layer, the jobs and the server on it (and core).
    expect(allowedImports(SRC, 'cli')).toEqual(['core', 'project', 'orchestrate', 'serve', 'pg']);
    expect(allowedImports(SRC, 'serve')).toEqual(['core', 'project', 'orchestrate']);
    // The Postgres endpoint stands on the project layer alone (its read-only lake).
    expect(allowedImports(SRC, 'pg')).toEqual(['core', 'project']);
  });
});

describe('the import reader', () => {
  it('finds cycles through several files, and none in a chain', () => {
    const e = (from: string, to: string) => ({ from, to, line: 1, typeOnly: false });
    expect(fileCycles([e('a', 'b'), e('b', 'c'), e('c', 'a'), e('c', 'd')])).toEqual([['a', 'b', 'c']]);
    expect(fileCycles([e('a', 'b'), e('b', 'c')])).toEqual([]);
  });
});
