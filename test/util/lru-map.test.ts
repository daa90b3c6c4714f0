import { describe, expect, it } from 'vitest';
import { LruMap } from '../../src/util/lru-map.js';

const keysOf = (m: LruMap<string, number>) => [...m.entries()].map(([k]) => k);

describe('LruMap', () => {
  it('drops the least recently set key past its capacity, and gives back what it dropped', () => {
    const m = new LruMap<string, number>(3);
    expect(m.set('a', 1)).toBeUndefined();
    m.set('b', 2);
    m.set('c', 3);
    m.set('a', 10); // a is the most recent now
    expect(m.set('d', 4)).toEqual(['b', 2]);
    expect(keysOf(m)).toEqual(['c', 'a', 'd']);
    expect(m.get('a')).toBe(10);
    // get() does not make a key more recent
    m.get('c');
    expect(m.set('e', 5)).toEqual(['c', 3]);
    expect(m.size).toBe(3);
  });

  it('forgets a deleted key, and a key set again after its delete counts as new', () => {
    const m = new LruMap<string, number>(2);
    m.set('a', 1);
    m.set('b', 2);
    expect(m.delete('a')).toBe(true);
    expect(m.get('a')).toBeUndefined();
    expect(m.set('c', 3)).toBeUndefined();
    expect(m.set('a', 4)).toEqual(['b', 2]);
    expect(keysOf(m)).toEqual(['c', 'a']);
  });

  it('matches a plain LRU model over a long mix of sets, touches, deletes and drops', () => {
    const m = new LruMap<string, number>(50);
    const model: string[] = [];
    let seed = 7;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let i = 0; i < 20_000; i++) {
      const key = `k${rnd(120)}`;
      if (rnd(10) === 0) {
        const at = model.indexOf(key);
        expect(m.delete(key)).toBe(at >= 0);
        if (at >= 0) model.splice(at, 1);
        continue;
      }
      const at = model.indexOf(key);
      if (at >= 0) model.splice(at, 1);
      model.push(key);
      const expected = model.length > 50 ? model.shift() : undefined;
      expect(m.set(key, i)?.[0]).toBe(expected);
    }
    expect(keysOf(m)).toEqual(model);
  });

  it('refuses a capacity below one', () => {
    expect(() => new LruMap(0)).toThrow(/capacity/);
  });
});
