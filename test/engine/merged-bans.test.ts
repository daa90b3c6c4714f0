import { describe, expect, it } from 'vitest';
import { mergeBans } from '../../src/engine/merged-bans.js';

describe("mergeBans (fail2ban's bans merged from its database)", () => {
  it('adds up the failures and keeps the last dbmaxmatches lines of all the bans, oldest first', () => {
    const bans = [
      { failures: 5, lines: ['a1', 'a2', 'a3', 'a4', 'a5'] },
      { failures: 0, lines: [] },
      { failures: 3, lines: ['b1', 'b2', 'b3'] },
    ];
    expect(mergeBans(bans, 10)).toEqual({ failures: 8, matches: ['a1', 'a2', 'a3', 'a4', 'a5', 'b1', 'b2', 'b3'] });
    // The newest ban's lines first, then the older ones' last lines fill what room is left (fail2ban's getBansMerged).
    expect(mergeBans(bans, 4)).toEqual({ failures: 8, matches: ['a5', 'b1', 'b2', 'b3'] });
    expect(mergeBans(bans, 2)).toEqual({ failures: 8, matches: ['b2', 'b3'] });
  });

  it('keeps no lines with dbmaxmatches = 0, and merges nothing to nothing', () => {
    expect(mergeBans([{ failures: 2, lines: ['x', 'y'] }], 0)).toEqual({ failures: 2, matches: [] });
    expect(mergeBans([], 10)).toEqual({ failures: 0, matches: [] });
  });
});
