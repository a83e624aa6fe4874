import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { LocalStore } from './local-store.js';
import { objectAt } from './locate.js';
import { objectStoreSuite } from './object-store.case.js';

objectStoreSuite('LocalStore', async () => new LocalStore(mkdtempSync(path.join(tmpdir(), 'strata-store-'))));

it('LocalStore leaves no temporary files behind after put-if-absent, won or lost', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'strata-store-'));
  const store = new LocalStore(root);
  await store.putIfAbsent('x/0.json', 'a');
  await store.putIfAbsent('x/0.json', 'b');
  expect(readdirSync(path.join(root, 'x'))).toEqual(['0.json']);
});

it('LocalStore makes the folder of a prefix, parents included, for path-based writers', async () => {
  const root = path.join(mkdtempSync(path.join(tmpdir(), 'strata-store-')), 'new-table');
  const store = new LocalStore(root);
  expect(await store.localFolder('')).toBe(root);
  expect(statSync(root).isDirectory()).toBe(true);
  const sub = await store.localFolder('_change_data/part=1/');
  expect(sub).toBe(path.join(root, '_change_data', 'part=1'));
  expect(statSync(sub).isDirectory()).toBe(true);
  expect(await store.localFolder('_change_data/part=1')).toBe(sub); // again: already there
  expect(await store.list('')).toEqual([]); // folders are not objects
});

it('objectAt opens the store of an absolute path or file: URL', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'strata-store-'));
  await new LocalStore(root).put('a b/x.bin', 'data');
  for (const location of [
    path.join(root, 'a b', 'x.bin'),
    `file://${path.join(root, 'a%20b', 'x.bin')}`,
    `file:${path.join(root, 'a%20b', 'x.bin')}`,
  ]) {
    const { store, key } = objectAt(location);
    expect(key).toBe('x.bin');
    expect(new TextDecoder().decode(await store.get(key))).toBe('data');
  }
  expect(() => objectAt('s3://bucket/x.bin')).toThrow(/cannot open s3:\/\/bucket\/x\.bin/);
});
