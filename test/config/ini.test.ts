import { describe, expect, it } from 'vitest';
import { parseIni } from '../../src/config/ini.js';
import { ConfigError } from '../../src/util/errors.js';

describe('parseIni', () => {
  it('reads sections, both delimiters, multi-line values and skips comments inside them', () => {
    const s = parseIni([
      '# comment', '[Definition]', 'failregex = ^one <HOST>$', '            # a comment between lines', '            ^two <HOST>$',
      '', 'ignoreregex:', 'journalmatch = _SYSTEMD_UNIT=sshd.service + _COMM=sshd', 'x = a ; inline comment', 'y = a;b',
    ].join('\n'), 'f.conf');
    const d = s[0]!.entries;
    expect(d.get('failregex')!.value).toBe('^one <HOST>$\n^two <HOST>$');
    expect(d.get('ignoreregex')!.value).toBe('');
    expect(d.get('journalmatch')!.value).toBe('_SYSTEMD_UNIT=sshd.service + _COMM=sshd');
    expect(d.get('x')!.value).toBe('a');
    expect(d.get('y')!.value).toBe('a;b');
    expect(d.get('failregex')!.line).toBe(3);
  });

  it('names file and line of a malformed line', () => {
    let err: unknown;
    try {
      parseIni('[a]\nok = 1\nthis is not an option\n', '/etc/bantop/jail.local');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/^\/etc\/bantop\/jail\.local:line 3: cannot parse line/);
    expect((err as ConfigError).exitCode).toBe(2);
  });

  it('refuses an option before any section', () => {
    expect(() => parseIni('key = v\n', 'x.conf')).toThrow(/x\.conf:line 1 \[key\]: option outside of any \[section\]/);
  });
});
