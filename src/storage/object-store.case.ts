// One shared suite for the ObjectStore interface, run against every store.
import { describe, expect, it } from 'vitest';
import type { ObjectStore } from './object-store.js';

export function objectStoreSuite(name: string, makeStore: () => Promise<ObjectStore>): void {
  describe(`${name}: ObjectStore contract`, () => {
    it('reads back what it wrote, whole and by range', async () => {
      const store = await makeStore();
      await store.put('a/b/c.txt', 'hello world');
      expect(new TextDecoder().decode(await store.get('a/b/c.txt'))).toBe('hello world');
      expect(new TextDecoder().decode(await store.getRange('a/b/c.txt', 6, 5))).toBe('world');
      expect((await store.head('a/b/c.txt'))?.size).toBe(11);
      expect(await store.head('a/b/missing')).toBeUndefined();
    });

    it('lists by prefix, recursively, without temporary files', async () => {
      const store = await makeStore();
      await store.put('log/1.json', '1');
      await store.put('log/2.json', '2');
      await store.put('log/sub/3.json', '3');
      await store.put('other/x', 'x');
      const keys = (await store.list('log/')).map((m) => m.key).sort();
      expect(keys).toEqual(['log/1.json', 'log/2.json', 'log/sub/3.json']);
      expect((await store.list('log/1')).map((m) => m.key)).toEqual(['log/1.json']);
      expect(await store.list('nothing/')).toEqual([]);
      expect((await store.list('log/', { startAfter: 'log/1.json' })).map((m) => m.key).sort()).toEqual([
        'log/2.json',
        'log/sub/3.json',
      ]);
    });

    it('lists at most `limit` objects, and none under an empty prefix', async () => {
      const store = await makeStore();
      for (let i = 0; i < 5; i++) await store.put(`many/${i}.json`, String(i));
      await store.put('many/sub/x.json', 'x');
      const all = (await store.list('many/')).map((m) => m.key);
      expect(all).toHaveLength(6);
      const one = await store.list('many/', { limit: 1 });
      expect(one).toHaveLength(1);
      expect(all).toContain(one[0].key);
      expect(await store.list('many/', { limit: 3 })).toHaveLength(3);
      expect(await store.list('many/', { limit: 100 })).toHaveLength(6);
      expect(await store.list('many/', { startAfter: 'many/4.json', limit: 5 })).toHaveLength(1);
      expect(await store.list('none/', { limit: 1 })).toEqual([]);
      expect((await store.list('', { limit: 1 })).length).toBe(1);
    });

    it('put-if-absent writes once and refuses the second writer', async () => {
      const store = await makeStore();
      expect(await store.putIfAbsent('log/0.json', 'first')).toBe(true);
      expect(await store.putIfAbsent('log/0.json', 'second')).toBe(false);
      expect(new TextDecoder().decode(await store.get('log/0.json'))).toBe('first');
    });

    it('lets exactly one of many concurrent put-if-absent calls win', async () => {
      const store = await makeStore();
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.putIfAbsent('race', `writer ${i}`)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect(new TextDecoder().decode(await store.get('race'))).toBe(`writer ${winner}`);
    });

    it('deletes, and deleting a missing object is fine', async () => {
      const store = await makeStore();
      await store.put('gone', 'x');
      await store.delete('gone');
      await store.delete('gone');
      expect(await store.head('gone')).toBeUndefined();
    });

    it('fails to read a missing object with a message naming it', async () => {
      const store = await makeStore();
      await expect(store.get('nope.json')).rejects.toThrow(/nope\.json: no such file/);
    });
  });
}
