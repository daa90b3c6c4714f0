import { describe, expect, it } from 'vitest';
import type { BantimeIncrement } from '../../src/config/model.js';
import { nextBanTime } from '../../src/engine/bantime.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { FailureWindow } from '../../src/engine/failure-window.js';
import { JailCore, MemoryBanHistory } from '../../src/engine/jail-core.js';

const NO_INC: BantimeIncrement = { enabled: false, factor: 1, multipliers: [], maxtime: 0, rndtime: 0, overalljails: false };
const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);

function jail(o: Partial<{ maxretry: number; findtime: number; bantime: number; increment: BantimeIncrement }> = {}, history = new MemoryBanHistory()) {
  return new JailCore({ name: 'sshd', maxretry: 3, findtime: 600, bantime: 600, increment: NO_INC, ...o }, history, () => 0.5);
}
const types = (es: EngineEvent[]) => es.map((e) => e.type);

describe('JailCore', () => {
  it('bans on the maxretry-th failure inside findtime', () => {
    const j = jail();
    expect(types(j.failure('1.2.3.4', '1.2.3.4', T0, T0, {}))).toEqual(['failure']);
    expect(types(j.failure('1.2.3.4', '1.2.3.4', T0 + 1000, T0 + 1000, {}))).toEqual(['failure']);
    const out = j.failure('1.2.3.4', '1.2.3.4', T0 + 2000, T0 + 2000, {});
    expect(types(out)).toEqual(['failure', 'ban']);
    expect(out[1]).toMatchObject({ ip: '1.2.3.4', bantime: 600, expiresAt: T0 + 2000 + 600_000, failures: 3, source: 'filter' });
  });

  it('forgets failures that slid out of findtime', () => {
    const j = jail();
    j.failure('1.2.3.4', '1.2.3.4', T0, T0, {});
    j.failure('1.2.3.4', '1.2.3.4', T0 + 1000, T0 + 1000, {});
    const late = T0 + 601_000;
    const out = j.failure('1.2.3.4', '1.2.3.4', late, late, {});
    expect(types(out)).toEqual(['failure']);
    expect(out[0]).toMatchObject({ count: 2 });
  });

  it('ignores failures older than findtime (an old log re-read at start) and failures of a banned address', () => {
    const j = jail({ maxretry: 1 });
    expect(j.failure('1.2.3.4', 'h', T0 - 700_000, T0, {})[0]).toMatchObject({ type: 'ignored', reason: 'too-old' });
    expect(types(j.failure('1.2.3.4', 'h', T0, T0, {}))).toEqual(['failure', 'ban']);
    expect(j.failure('1.2.3.4', 'h', T0 + 1, T0 + 1, {})[0]).toMatchObject({ type: 'ignored', reason: 'already-banned' });
  });

  it('expires bans on tick, keeps permanent ones', () => {
    const j = jail({ maxretry: 1 });
    j.failure('1.2.3.4', 'h', T0, T0, {});
    j.ban('5.6.7.8', T0, { source: 'manual', seconds: -1 });
    expect(j.tick(T0 + 599_999)).toEqual([]);
    expect(j.tick(T0 + 600_000)).toEqual([{ type: 'unban', jail: 'sshd', ip: '1.2.3.4', time: T0 + 600_000, reason: 'expired' }]);
    expect(j.tick(T0 + 1e12)).toEqual([]);
    expect(j.snapshot(T0)).toMatchObject({ currentBans: 1, permanentBans: 1, totalBans: 2 });
  });

  it('grows bans for repeat offenders with bantime.increment', () => {
    const inc: BantimeIncrement = { ...NO_INC, enabled: true };
    const j = jail({ maxretry: 1, increment: inc });
    const bantimes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const now = T0 + i * 10_000_000;
      const out = j.failure('1.2.3.4', 'h', now, now, {});
      bantimes.push((out[1] as { bantime: number }).bantime);
      j.unban('1.2.3.4', now);
    }
    expect(bantimes).toEqual([600, 1200, 2400, 4800]);
  });

  it('grows them by bantime.formula where one is set', () => {
    const j = jail({ maxretry: 1, increment: { ...NO_INC, enabled: true, formula: 'ban.Time * (ban.Count + 1) ** 2 * banFactor', factor: 0.5 } });
    const bantimes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const now = T0 + i * 10_000_000;
      bantimes.push((j.failure('1.2.3.4', 'h', now, now, {})[1] as { bantime: number }).bantime);
      j.unban('1.2.3.4', now);
    }
    // The first ban is the bantime; then 600 × (n+1)² × 0.5, never below 600.
    expect(bantimes).toEqual([600, 1200, 2700, 4800]);
  });

  it('tracks offences per minute and failures in the window for the UI', () => {
    const j = jail({ maxretry: 100 });
    for (let i = 0; i < 5; i++) j.failure(`10.0.0.${i}`, 'h', T0 - 120_000 + i, T0, {});
    j.failure('10.0.0.9', 'h', T0, T0, {});
    const s = j.snapshot(T0);
    expect(s.failuresInWindow).toBe(6);
    expect(s.offences.length).toBe(60);
    expect(s.offences.reduce((a, b) => a + b, 0)).toBe(6);
    expect(s.offences.at(-1)).toBe(1);
  });
});

describe('nextBanTime (fail2ban bantime.increment)', () => {
  const inc = (o: Partial<BantimeIncrement>): BantimeIncrement => ({ ...NO_INC, enabled: true, ...o });
  it('doubles by default, scaled by factor, capped by maxtime', () => {
    expect([0, 1, 2, 3].map((n) => nextBanTime(600, inc({}), n))).toEqual([600, 1200, 2400, 4800]);
    expect(nextBanTime(600, inc({ factor: 2 }), 1)).toBe(2400);
    expect(nextBanTime(600, inc({ maxtime: 3600 }), 5)).toBe(3600);
  });
  it('uses multipliers, the last one once the count passes them', () => {
    const m = inc({ multipliers: [1, 5, 30] });
    expect([1, 2, 7].map((n) => nextBanTime(60, m, n))).toEqual([300, 1800, 1800]);
  });
  it('adds up to rndtime random seconds, and leaves permanent bans permanent', () => {
    expect(nextBanTime(600, inc({ rndtime: 100 }), 1, () => 0.5)).toBe(1250);
    expect(nextBanTime(-1, inc({}), 3)).toBe(-1);
  });
});

describe('FailureWindow', () => {
  it('stays bounded under a flood of distinct addresses and counts what it drops', () => {
    const w = new FailureWindow(600_000, 5, 1000);
    for (let i = 0; i < 100_000; i++) w.add(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, T0, T0);
    expect(w.size).toBe(1000);
    expect(w.evicted).toBe(99_000);
  });
  it('keeps the most recently seen addresses (LRU)', () => {
    const w = new FailureWindow(600_000, 5, 2);
    w.add('a', T0, T0);
    w.add('b', T0, T0);
    w.add('a', T0, T0);
    w.add('c', T0, T0);
    expect(w.count('a', T0)).toBe(2);
    expect(w.count('b', T0)).toBe(0);
  });
  it('keeps the line of each failure in the window for the ban it leads to, then starts afresh', () => {
    const w = new FailureWindow(600_000, 3, 100, 100, 10);
    w.add('a', T0 - 700_000, T0 - 700_000, 'expired'); // out of the window by the next failure
    w.add('a', T0, T0, 'first');
    w.add('a', T0, T0, 'second');
    w.add('b', T0, T0, 'b only');
    for (const l of ['third', 'a line far too long']) w.add('a', T0, T0, l);
    // maxretry 3: the three latest failures, each line cut to 10 characters
    expect(w.take('a')).toEqual(['second', 'third', 'a line fa…']);
    expect(w.take('a')).toEqual([]);
    expect(w.count('a', T0)).toBe(0);
    expect(w.lineCount).toBe(1);
  });
  it('holds at most its line budget: the least recently failing addresses lose their lines first, not their counts', () => {
    const w = new FailureWindow(600_000, 5, 1000, 10);
    for (let i = 0; i < 8; i++) w.add(`10.0.0.${i}`, T0, T0, `old ${i}`);
    for (let i = 0; i < 4; i++) w.add('10.0.0.9', T0, T0, `new ${i}`);
    expect(w.lineCount).toBeLessThanOrEqual(10);
    expect(w.take('10.0.0.9')).toEqual(['new 0', 'new 1', 'new 2', 'new 3']);
    expect(w.take('10.0.0.0')).toEqual([]);
    expect(w.count('10.0.0.1', T0)).toBe(1);
    // a flood through a small window: lines leave with the addresses dropped
    const f = new FailureWindow(600_000, 5, 50, 1000);
    for (let i = 0; i < 10_000; i++) f.add(`10.1.${i >> 8}.${i & 255}`, T0, T0, `line ${i}`);
    expect(f.lineCount).toBe(50);
    expect(f.take('10.1.39.15')).toEqual(['line 9999']);
  });
});
