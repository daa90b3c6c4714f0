import { describe, expect, it } from 'vitest';
import type { BanView } from '../../src/daemon/service.js';
import { BanTable, FailureLines, filterMatcher, LogRing } from '../../src/tui/data.js';

const ban = (ip: string, jail: string, o: Partial<BanView> = {}): BanView => ({
  ip, jail, bannedAt: 1000, expiresAt: 5000, permanent: false, failures: 3, banCount: 0, source: 'filter', ...o,
});

describe('TUI data', () => {
  it('groups an address held by several jails into one row, filters by CIDR or text, and sorts', () => {
    const t = new BanTable();
    t.load([ban('203.0.113.9', 'sshd'), ban('203.0.113.9', 'closed-ports', { expiresAt: null, permanent: true, source: 'escalation' }), ban('198.51.100.1', 'sshd', { bannedAt: 2000, failures: 9 })]);
    const all = t.rows(null, '', 'since');
    expect(all.map((r) => [r.ip, r.jails.join(','), r.expiresAt, r.source])).toEqual([['198.51.100.1', 'sshd', 5000, 'filter'], ['203.0.113.9', 'sshd,closed-ports', null, 'escalation']]);
    expect(t.rows('sshd', '', 'since')).toHaveLength(2);
    expect(t.rows(null, '203.0.113.0/24', 'since').map((r) => r.ip)).toEqual(['203.0.113.9']);
    expect(t.rows(null, 'escalation', 'since').map((r) => r.ip)).toEqual(['203.0.113.9']);
    expect(t.rows(null, '', 'failures')[0]!.ip).toBe('198.51.100.1');
    expect(t.rows(null, '', 'expires')[0]!.ip).toBe('203.0.113.9');
    t.delete('closed-ports', '203.0.113.9');
    expect(t.rows(null, '', 'since').find((r) => r.ip === '203.0.113.9')!.jails).toEqual(['sshd']);
  });

  it('keeps 100,000 bans sorted and filtered without recomputing when nothing changed', () => {
    const t = new BanTable();
    const list: BanView[] = [];
    for (let i = 0; i < 100_000; i++) list.push(ban(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 'sshd', { bannedAt: i }));
    t.load(list);
    const rows = t.rows(null, '', 'since');
    expect(rows).toHaveLength(100_000);
    expect(rows[0]!.bannedAt).toBe(99_999);
    expect(t.rows(null, '', 'since')).toBe(rows); // cached: same array
    expect(t.rows(null, '10.0.1.0/24', 'ip')).toHaveLength(256);
  });

  it('a network ban matches a filter for an address inside it', () => {
    expect(filterMatcher('203.0.113.9')('203.0.113.0/24', '')).toBe(true);
    expect(filterMatcher('203.0.113.9')('203.0.113.10', '')).toBe(false);
    expect(filterMatcher('SSH')('1.2.3.4', 'sshd filter')).toBe(true);
  });

  it('failure lines for the detail view stay bounded: the last few per address, the addresses that failed most recently', () => {
    const f = new FailureLines(2, 3);
    for (const line of ['a1', 'a2', 'a3']) f.add('a', line);
    f.add('b', 'b1');
    f.add('c', 'c1');
    f.add('a', 'a4'); // a failed again: the most recent now
    f.add('d', 'd1'); // drops b, the least recent
    expect(f.of('a')).toEqual(['a3', 'a4']);
    expect(f.of('b')).toEqual([]);
    expect(f.of('c')).toEqual(['c1']);
    expect(f.of('d')).toEqual(['d1']);
  });

  it('the log ring is bounded, marks the line a failure came from, and pausing stops taking lines', () => {
    const r = new LogRing(3);
    for (let i = 0; i < 5; i++) r.push({ time: i, jail: 'sshd', text: `fail from 203.0.113.${i}`, kind: 'missed' });
    expect(r.entries().map((e) => e.time)).toEqual([2, 3, 4]);
    r.mark('sshd', '203.0.113.4', 'matched');
    expect(r.entries()[2]).toMatchObject({ kind: 'matched', ip: '203.0.113.4' });
    r.paused = true;
    r.push({ time: 9, jail: 'sshd', text: 'x', kind: 'missed' });
    expect(r.entries()).toHaveLength(3);
    expect(r.dropped).toBe(1);
  });
});
