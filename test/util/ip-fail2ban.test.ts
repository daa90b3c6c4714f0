import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseCidr } from '../../src/util/ip.js';
import { skipNote } from '../support/skip-note.js';

const skip = spawnSync('/usr/bin/python3', ['-c', 'import fail2ban.server.ipdns'], { stdio: 'ignore' }).status === 0
  ? null : "fail2ban's Python package is not installed for /usr/bin/python3: apt-get install fail2ban";

/** How ignoreip entries, addresses to ban and whitelist entries are written in the wild. */
const ENTRIES = [
  '127.0.0.1/8', '::1', '192.168.1.5/24', '10.0.0.1/32', '2001:db8::/32', '2001:DB8::1', '[2001:db8::1]', '::ffff:10.0.0.1',
  '10.0.0.0/255.0.0.0', '192.0.2.0/255.255.255.0', '10.1.2.3/255.255.255.255', '2001:db8::/ffff:ffff::', '192.0.2.7/0.0.0.0',
  '10.0.0.0/255.255.0.255', '1.2.3', '010.1.2.3', '256.1.1.1', '1.2.3.4/x', 'office.example',
];

/**
 * fail2ban's own reading of each entry (its IPAddr): valid or not, and the
 * network and prefix length; a mask it refuses raises, which is "not valid".
 */
function theirs(entries: string[]): Array<{ valid: boolean; address?: string; prefix?: number }> {
  const py = String.raw`
import json, sys
from fail2ban.server.ipdns import IPAddr
out = []
for t in json.load(sys.stdin):
    try:
        a = IPAddr(t)
    except ValueError:
        out.append({'valid': False}); continue
    out.append({'valid': True, 'address': a.ntoa.split('/')[0], 'prefix': a.plen} if a.isValid else {'valid': False})
print(json.dumps(out))
`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', py], { input: JSON.stringify(entries), encoding: 'utf8' })) as Array<{ valid: boolean; address?: string; prefix?: number }>;
}

describe.skipIf(skip !== null)(`addresses and networks are read as fail2ban's IPAddr reads them${skipNote(skip)}`, () => {
  it('the same entries are valid, with the same network and prefix length (netmasks included)', () => {
    const f2b = theirs(ENTRIES);
    const ours = ENTRIES.map((e) => {
      const c = parseCidr(e);
      return c === null ? { valid: false } : { valid: true, address: c.address, prefix: c.prefix };
    });
    expect(ENTRIES.map((e, i) => [e, ours[i]])).toEqual(ENTRIES.map((e, i) => [e, f2b[i]]));
  });

  it('refuses a prefix longer than the address, which fail2ban takes as written (1.2.3.4/33 is no network)', () => {
    const odd = ['1.2.3.4/33', '2001:db8::/129'];
    expect(theirs(odd)).toEqual([{ valid: true, address: '1.2.3.4', prefix: 33 }, { valid: true, address: '2001:db8::', prefix: 129 }]);
    expect(odd.map((e) => parseCidr(e))).toEqual([null, null]);
  });
});
