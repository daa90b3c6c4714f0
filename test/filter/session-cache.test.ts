import { describe, expect, it } from 'vitest';
import { SessionCache } from '../../src/filter/session-cache.js';

const T = 1_000_000;
const s = (n: number) => ({ n, expires: 0 });

describe('SessionCache (fail2ban\'s <F-MLFID> cache: 100 sessions, 5 minutes)', () => {
  it('forgets a session 5 minutes after it was opened', () => {
    const c = new SessionCache<{ n: number; expires: number }>();
    c.set('a', s(1), T);
    expect(c.get('a', T + 5 * 60_000 - 1)?.n).toBe(1);
    expect(c.get('a', T + 5 * 60_000)).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it('when full, drops the oldest open session, also across the Map\'s renewals', () => {
    const c = new SessionCache<{ n: number; expires: number }>(3);
    for (let i = 0; i < 1000; i++) c.set(`k${i}`, s(i), T);
    expect(c.list().map(([k]) => k)).toEqual(['k997', 'k998', 'k999']);
  });

  it('keeps apart keys of one length that differ only before their last 12 characters (they hash alike)', () => {
    const c = new SessionCache<{ n: number; expires: number }>();
    const key = (i: number) => `${String(i).padStart(3, '0')} host sshd[1]: `;
    for (let i = 0; i < 100; i++) c.set(key(i), s(i), T);
    for (let i = 0; i < 100; i++) expect(c.get(key(i), T)?.n).toBe(i);
    c.delete(key(50));
    expect(c.get(key(50), T)).toBeUndefined();
    expect(c.get(key(51), T)?.n).toBe(51);
    // Full again: the oldest goes first, whatever its hash.
    c.set(key(50), s(500), T);
    c.set(key(100), s(100), T);
    expect(c.get(key(0), T)).toBeUndefined();
    expect(c.get(key(1), T)?.n).toBe(1);
    expect(c.size).toBe(100);
  });

  it('a key closed and opened again counts from its new opening, not its old place', () => {
    const c = new SessionCache<{ n: number; expires: number }>(3);
    c.set('a', s(1), T);
    c.set('b', s(2), T);
    c.delete('a');
    c.set('c', s(3), T);
    c.set('a', s(4), T);
    // Full (b, c, a): the next session pushes out b, the oldest, not the reopened a.
    c.set('d', s(5), T);
    expect(c.list().map(([k, v]) => `${k}${v.n}`)).toEqual(['c3', 'a4', 'd5']);
  });

  it('when full, sweeps from the front up to and including the first live session, as fail2ban\'s popitem loop', () => {
    const c = new SessionCache<{ n: number; expires: number }>(3, 1000);
    c.set('old1', s(1), T);
    c.set('old2', s(2), T);
    c.set('live', s(3), T + 900);
    c.set('new', s(4), T + 1500);
    // old1 and old2 have expired (T + 1000) and go; live is the first live one: it goes too, and ends the sweep.
    expect(c.list().map(([k]) => k)).toEqual(['new']);
  });

  it('behaves as fail2ban\'s ordered dict through a long run of opens, lookups, closes and expiries', () => {
    // The reference: an insertion-ordered Map swept as fail2ban's Cache.set sweeps its OrderedDict.
    const ref = new Map<string, { n: number; expires: number }>();
    const refSet = (k: string, v: { n: number; expires: number }, now: number) => {
      if (ref.size >= 5) {
        for (const [ck, cv] of ref) {
          ref.delete(ck);
          if (cv.expires > now && ref.size < 5) break;
        }
      }
      v.expires = now + 1000;
      ref.set(k, v);
    };
    const refGet = (k: string, now: number) => {
      const v = ref.get(k);
      if (v === undefined) return undefined;
      if (v.expires > now) return v;
      ref.delete(k);
      return undefined;
    };
    const c = new SessionCache<{ n: number; expires: number }>(5, 1000);
    let seed = 7;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
    let now = T;
    for (let step = 0; step < 20_000; step++) {
      now += rnd(60);
      const k = `key ${rnd(12)}`;
      const op = rnd(3);
      if (op === 0) expect(c.get(k, now)?.n).toBe(refGet(k, now)?.n);
      else if (op === 1) {
        if (refGet(k, now) === undefined && c.get(k, now) === undefined) {
          refSet(k, s(step), now);
          c.set(k, s(step), now);
        }
      } else {
        ref.delete(k);
        c.delete(k);
      }
      expect(c.size).toBe(ref.size);
    }
    expect(c.list().map(([k, v]) => [k, v.n])).toEqual([...ref].map(([k, v]) => [k, v.n]));
  });
});
