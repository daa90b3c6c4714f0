import { describe, expect, it } from 'vitest';
import { CompiledRegex } from '../../src/filter/compiled-regex.js';

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
      const full = rx.re.exec(l);
      expect(rx.exec(l) === null ? null : [...rx.exec(l)!], l).toEqual(full === null ? null : [...full]);
    }
    expect(rx.exec(lines[0]!)).not.toBeNull();
    expect(rx.exec(lines[2]!)).not.toBeNull();
    expect(rx.exec(lines[1]!)).toBeNull();
  });
});
