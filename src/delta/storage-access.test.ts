// delta/ reads, lists, writes and deletes through the ObjectStore (storage/),
// never the filesystem itself, so that another store (S3) needs no change here.
// Where DuckDB opens files by path, LocalPathStore.localPath / localFolder say so.
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const DIR = path.dirname(fileURLToPath(import.meta.url));
const FS_MODULE = /(?:from\s+|import\s*\(\s*|require\s*\(\s*|import\s+)['"](?:node:)?fs(?:\/promises)?['"]/;

it('no source file of delta/ imports node:fs', () => {
  const sources = readdirSync(DIR).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  expect(sources.length).toBeGreaterThan(20);
  const offenders = sources.filter((f) => FS_MODULE.test(readFileSync(path.join(DIR, f), 'utf8')));
  expect(offenders).toEqual([]);
});

it('the check recognizes every form of import', () => {
  for (const line of [
    "import { promises as fs } from 'node:fs';",
    'import * as fs from "fs";',
    "import { readFile } from 'node:fs/promises';",
    "let e: import('node:fs').Dirent;",
    "import 'fs';",
    "const fs = require('fs');",
  ]) {
    expect(FS_MODULE.test(line), line).toBe(true);
  }
  expect(FS_MODULE.test("import * as path from 'node:path';")).toBe(false);
  expect(FS_MODULE.test("import { x } from './fs-helpers.js';")).toBe(false);
});
