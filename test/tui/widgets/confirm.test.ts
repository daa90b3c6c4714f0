import { describe, expect, it } from 'vitest';
import { key } from '../../../src/tui/keys.js';
import { confirmFor, confirmKey, confirmPrompt } from '../../../src/tui/widgets/confirm.js';

const ban = (ip: string) => ({ type: 'ban' as const, ip, seconds: -1 });

describe('confirm dialog', () => {
  it('one address: y or Y confirms, anything else cancels', () => {
    const c = confirmFor('Permaban 203.0.113.9?', '203.0.113.9', ban('203.0.113.9'));
    expect(c.mustType).toBeUndefined();
    expect(confirmPrompt(c)).toBe('[y/N] Permaban 203.0.113.9?');
    expect(confirmKey(c, key('Y'))).toEqual({ kind: 'yes', action: ban('203.0.113.9') });
    expect(confirmKey(c, key('', 'enter'))).toEqual({ kind: 'no', message: 'cancelled' });
  });

  it('any CIDR, IPv4 or IPv6, is confirmed by typing it exactly; backspace edits', () => {
    expect(confirmFor('?', '203.0.113.0/24', ban('203.0.113.0/24')).mustType).toBe('203.0.113.0/24');
    expect(confirmFor('?', '2001:db8::/64', ban('2001:db8::/64')).mustType).toBe('2001:db8::/64');
    let c = confirmFor('Ban?', '203.0.112.0/23', ban('203.0.112.0/23'));
    for (const ch of '203.0.112.0/233') {
      const r = confirmKey(c, key(ch));
      if (r.kind !== 'typing') throw new Error('typing expected');
      c = r.confirm;
    }
    const back = confirmKey(c, key('', 'backspace'));
    if (back.kind !== 'typing') throw new Error('typing expected');
    expect(confirmPrompt(back.confirm)).toBe('Ban? Type 203.0.112.0/23: 203.0.112.0/23█');
    expect(confirmKey(back.confirm, key('', 'enter'))).toEqual({ kind: 'yes', action: ban('203.0.112.0/23') });
    expect(confirmKey(c, key('', 'enter'))).toEqual({ kind: 'no', message: 'cancelled: "203.0.112.0/233" is not 203.0.112.0/23' });
  });
});
