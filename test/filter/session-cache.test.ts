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
});
