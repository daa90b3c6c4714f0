import { describe, expect, it } from 'vitest';
import { CompiledRegex } from '../../src/filter/compiled-regex.js';
import { FirstCharRouter } from '../../src/filter/first-char-router.js';

describe('FirstCharRouter', () => {
  const regexes = [
    '^(?:Connection (?:closed|reset)|Disconnected) (?:by|from) <HOST>',
    '^Connection from <HOST>',
    '^[iI](?:llegal|nvalid) user \\S+ from <HOST>',
    '^Failed (?:publickey|\\S+) for \\S+ from <HOST>',
    '^(?:C|X)\\S* <HOST>',
  ].map((r) => new CompiledRegex(r));
  const router = new FirstCharRouter(regexes);
  const routed = (text: string) => [...router.candidates(text)];

  it('narrows by the first two characters where every match starts with a literal of two or more', () => {
    expect(regexes[0]!.leadPairs?.map(([a, b]) => String.fromCharCode(a, b)).sort()).toEqual(['Co', 'Di']);
    expect(regexes[2]!.leadPairs).toBeNull();
    expect(regexes[4]!.leadPairs).toBeNull();
    // CRON shares only its first character with the Connection regexes; the regex that can start with any C stays.
    expect(routed('CRON[42]: session closed')).toEqual([4]);
    expect(routed('Connection closed by 1.2.3.4')).toEqual([0, 1, 4]);
    expect(routed('Disconnected from 1.2.3.4')).toEqual([0]);
    expect(routed('invalid user x from 1.2.3.4')).toEqual([2]);
    expect(routed('Failed password for x from 1.2.3.4')).toEqual([3]);
  });

  it('gives every regex that can start with the first character to a line of one character or a non-ASCII second one', () => {
    expect(routed('C')).toEqual([0, 1, 4]);
    expect(routed('C\u00e9')).toEqual([0, 1, 4]);
    expect(routed('')).toEqual([0, 1, 2, 3, 4]);
    expect(routed('\u00c9t\u00e9')).toEqual([0, 1, 2, 3, 4]);
  });

  it('never leaves out a regex that matches the line', () => {
    const lines = ['Connection closed by 1.2.3.4', 'Connection reset from 1.2.3.4', 'Disconnected by 1.2.3.4', 'Connection from 1.2.3.4',
      'Illegal user a from 1.2.3.4', 'Failed publickey for a from 1.2.3.4', 'Failed none for a from 1.2.3.4', 'Cxyz 1.2.3.4', 'X 1.2.3.4'];
    for (const l of lines) {
      const matching = regexes.flatMap((r, i) => (r.exec(l) ? [i] : []));
      expect(matching.length, l).toBeGreaterThan(0);
      for (const i of matching) expect(routed(l), l).toContain(i);
    }
  });
});
