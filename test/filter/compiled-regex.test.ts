import { describe, expect, it } from 'vitest';
import { CompiledRegex } from '../../src/filter/compiled-regex.js';

/** Every named group's value in a match of `rx` (null: no match), by the numbering of the version that ran. */
function named(rx: CompiledRegex, m: RegExpExecArray | null): Record<string, string | undefined> | null {
  if (m === null) return null;
  return Object.fromEntries([...rx.namedGroups.keys()].map((n) => [n, rx.group(m, n)]));
}

/** The same, from the whole regex without pruning. */
function namedFull(rx: CompiledRegex, text: string): Record<string, string | undefined> | null {
  const m = rx.re.exec(text);
  if (m === null) return null;
  return Object.fromEntries([...rx.namedGroups].map(([n, idx]) => [n, idx.map((i) => m[i]).find((v) => v !== undefined)]));
}

describe('CompiledRegex', () => {
  it('skips the alternatives of a conditional that need text a line lacks, with the same match and groups', () => {
    const rx = new CompiledRegex('^(?P<inv>invalid )?user (?P<u>\\S+) from <HOST>(?(inv): (?P<why>.*)|(?: port \\d+)?$)');
    const lines = [
      'invalid user a from 1.2.3.4: no shell',
      'invalid user a from 1.2.3.4 port 22',
      'user b from 1.2.3.4 port 22',
      'user b from 1.2.3.4: odd',
      'user c from host.example',
    ];
    for (const l of lines) {
      const m = rx.exec(l);
      expect(named(rx, m), l).toEqual(namedFull(rx, l));
      expect(m?.[0], l).toBe(rx.re.exec(l)?.[0]);
    }
    expect(rx.exec(lines[0]!)).not.toBeNull();
    expect(rx.exec(lines[2]!)).not.toBeNull();
    expect(rx.exec(lines[1]!)).toBeNull();
  });

  it('leaves the groups of pruned alternatives out of the match, and numbers the rest as namedGroupsOf says', () => {
    const rx = new CompiledRegex('^(?P<inv>invalid )?user (?P<u>\\S+) from <HOST>(?(inv): (?P<why>.*)|(?: port \\d+)?$)');
    const full = rx.re.exec('user b from 1.2.3.4 port 22')!;
    const m = rx.exec('user b from 1.2.3.4 port 22')!;
    expect(rx.version).not.toBe(0);
    expect(m.length).toBeLessThan(full.length);
    const where = rx.namedGroupsOf(rx.version);
    expect(m[where.get('u')!.find((i) => m[i] !== undefined)!]).toBe('b');
    // A group only a left-out alternative had is there, with no place in the match.
    expect([...where.keys()].sort()).toEqual([...rx.namedGroups.keys()].sort());
    expect(rx.exec('invalid user a from 1.2.3.4: no shell')).not.toBeNull();
    expect(rx.version).toBe(0);
  });

  it('keeps every group in place when an alternative refers to a group by number (a back-reference)', () => {
    const rx = new CompiledRegex('^(?P<inv>invalid )?user (?P<u>\\S+) from <HOST>(?(inv): (?P<why>.*)|(?: port \\d+)? again (?P=u)$)');
    for (const l of ['user b from 1.2.3.4 port 22 again b', 'user b from 1.2.3.4 again c', 'invalid user a from 1.2.3.4: x']) {
      const m = rx.exec(l);
      expect(named(rx, m), l).toEqual(namedFull(rx, l));
      if (m) expect(m.length, l).toBe(rx.re.exec(l)!.length);
    }
  });
});
