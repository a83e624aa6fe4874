import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { LocalStore } from './local-store.js';
import { objectStoreSuite } from './object-store.case.js';

objectStoreSuite('LocalStore', async () => new LocalStore(mkdtempSync(path.join(tmpdir(), 'strata-store-'))));

it('LocalStore leaves no temporary files behind after put-if-absent, won or lost', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'strata-store-'));
  const store = new LocalStore(root);
  await store.putIfAbsent('x/0.json', 'a');
  await store.putIfAbsent('x/0.json', 'b');
  expect(readdirSync(path.join(root, 'x'))).toEqual(['0.json']);
});
