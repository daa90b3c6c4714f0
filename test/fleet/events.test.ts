import { describe, expect, it } from 'vitest';
import { decodeEvent, encodeEvent, idAfter, isShared, type FleetEvent } from '../../src/fleet/events.js';
import { SHAREABLE } from '../../src/fleet/settings.js';

const all = new Set(SHAREABLE);

describe('fleet events', () => {
  it('round-trips every event type through stream fields, canonicalising the address', () => {
    const events: FleetEvent[] = [
      { type: 'ban', origin: 'web-1', ip: '203.0.113.9', jail: 'sshd', bantime: -1, source: 'filter', reason: '5 failures', time: 1 },
      { type: 'unban', origin: 'web-1', ip: '2001:db8::1', everywhere: true, time: 2 },
      { type: 'whitelist', origin: 'web-1', ip: '198.51.100.0/24', time: 3 },
      { type: 'unwhitelist', origin: 'web-1', ip: '198.51.100.0/24', time: 4 },
    ];
    for (const e of events) expect(decodeEvent(encodeEvent(e))).toEqual(e);
    const f = encodeEvent({ ...events[0]!, ip: '::ffff:203.0.113.9' } as FleetEvent);
    expect((decodeEvent(f) as FleetEvent).ip).toBe('203.0.113.9');
  });

  it('refuses entries another host (or anyone with the Redis password) could forge, naming the field', () => {
    const ok = encodeEvent({ type: 'ban', origin: 'web-1', ip: '203.0.113.9', jail: 'sshd', bantime: 600, source: 'manual', reason: '', time: 1 });
    const set = (k: string, v: string) => { const f = [...ok]; f[f.indexOf(k) + 1] = v; return f; };
    expect(decodeEvent(set('ip', '1.2.3.4; nft flush ruleset'))).toMatch(/^ip: "1\.2\.3\.4; nft flush ruleset" is not an IP address/);
    expect(decodeEvent(set('origin', '../../etc'))).toMatch(/^origin: /);
    expect(decodeEvent(set('bantime', '0'))).toMatch(/^bantime: /);
    expect(decodeEvent(set('type', 'flush'))).toMatch(/^type: /);
    expect(decodeEvent(set('v', '2'))).toBe('unknown event version "2"');
    expect(decodeEvent(['garbage'])).toBe('unknown event version null');
  });

  it('shares permanent, escalation and manual bans as configured, and never sends a fleet ban back', () => {
    expect(isShared({ expiresAt: null, source: 'filter' }, all)).toBe(true);
    expect(isShared({ expiresAt: 5, source: 'filter' }, all)).toBe(false);
    expect(isShared({ expiresAt: 5, source: 'escalation' }, all)).toBe(true);
    expect(isShared({ expiresAt: 5, source: 'manual' }, new Set(['permanent'] as const))).toBe(false);
    expect(isShared({ expiresAt: null, source: 'fleet' }, all)).toBe(false);
  });

  it('orders stream IDs by time, then sequence', () => {
    expect(idAfter('1700000000001-0', '1700000000000-5')).toBe(true);
    expect(idAfter('1700000000000-5', '1700000000000-4')).toBe(true);
    expect(idAfter('1700000000000-4', '1700000000000-4')).toBe(false);
  });
});
