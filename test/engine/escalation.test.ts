import { describe, expect, it } from 'vitest';
import { DEFAULT_ESCALATION, escalationAddsTime, formatRule, matchEscalation, parseEscalation } from '../../src/engine/escalation.js';

const H = 3600_000;
const D = 24 * H;
const NOW = Date.UTC(2026, 10, 21, 12);

describe('escalation rules', () => {
  it('parses BANS/WINDOW:BANTIME lists, "off", and rejects what is not a rule', () => {
    expect(parseEscalation('3/1d:1w 5/30d:permanent')).toEqual(DEFAULT_ESCALATION);
    expect(parseEscalation('2/1h:-1,\n4/7d:1mo')).toEqual([{ bans: 2, window: 3600, bantime: -1 }, { bans: 4, window: 604800, bantime: 2629800 }]);
    expect(parseEscalation('off')).toEqual([]);
    expect(parseEscalation('')).toEqual([]);
    expect(() => parseEscalation('3 in 1d')).toThrow(/not an escalation rule/);
    expect(() => parseEscalation('1/1d:1w')).toThrow(/at least 2/);
    expect(() => parseEscalation('3/0:1w')).toThrow(/positive/);
    expect(() => parseEscalation('3/1d:0')).toThrow(/0 seconds/);
  });

  it('the defaults: 3 bans in a day give a week, 5 in 30 days are permanent', () => {
    expect(matchEscalation([NOW - 2 * H, NOW - H], DEFAULT_ESCALATION, NOW)).toBeNull();
    expect(matchEscalation([NOW - 2 * H, NOW - H, NOW], DEFAULT_ESCALATION, NOW)).toEqual({ rule: DEFAULT_ESCALATION[0], count: 3 });
    // Three bans, but spread over more than a day: nothing.
    expect(matchEscalation([NOW - 3 * D, NOW - 2 * D, NOW], DEFAULT_ESCALATION, NOW)).toBeNull();
    const five = [NOW - 20 * D, NOW - 10 * D, NOW - 2 * H, NOW - H, NOW];
    expect(matchEscalation(five, DEFAULT_ESCALATION, NOW)).toEqual({ rule: DEFAULT_ESCALATION[1], count: 5 });
    // Bans older than 30 days do not count.
    expect(matchEscalation([NOW - 40 * D, NOW - 35 * D, NOW - 20 * D, NOW - 10 * D, NOW], DEFAULT_ESCALATION, NOW)).toBeNull();
    expect(formatRule(DEFAULT_ESCALATION[1]!)).toBe('5 bans in 30d');
  });

  it('never bans twice: no escalation over a permanent ban, nor over an escalation that lasts as long', () => {
    expect(escalationAddsTime([], 604800, NOW)).toBe(true);
    expect(escalationAddsTime([{ expiresAt: null }], 604800, NOW)).toBe(false);
    expect(escalationAddsTime([{ expiresAt: null }], -1, NOW)).toBe(false);
    expect(escalationAddsTime([{ expiresAt: NOW + 8 * D }], 604800, NOW)).toBe(false);
    expect(escalationAddsTime([{ expiresAt: NOW + D }], 604800, NOW)).toBe(true);
    expect(escalationAddsTime([{ expiresAt: NOW + 8 * D }], -1, NOW)).toBe(true);
  });
});
