import { describe, expect, it } from 'vitest';
import { formatBlocklist, parseBlocklist } from '../../src/store/blocklist-file.js';

describe('blocklist files', () => {
  it('reads the three formats mixed, canonicalising addresses and skipping comments and blank lines', () => {
    const text = '# my list\n192.0.2.1\n\n2001:DB8::1,sshd\n198.51.100.0/24  # scanner net\n10.0.0.5/32,web # why\r\n';
    expect(parseBlocklist(text, 'list.txt')).toEqual([
      { ip: '192.0.2.1', jail: undefined, comment: undefined, line: 2 },
      { ip: '2001:db8::1', jail: 'sshd', comment: undefined, line: 4 },
      { ip: '198.51.100.0/24', jail: undefined, comment: 'scanner net', line: 5 },
      { ip: '10.0.0.5', jail: 'web', comment: 'why', line: 6 },
    ]);
  });

  it('rejects the whole file and names file, line and field for every bad line', () => {
    const text = '192.0.2.1\n999.1.1.1\n192.0.2.2,bad jail\n192.0.2.3,a,b\n$(reboot)\n';
    expect(() => parseBlocklist(text, 'bl.txt')).toThrow(
      /bl\.txt:line 2 \[ip\]: "999\.1\.1\.1" is not an IP address or CIDR\nbl\.txt:line 3 \[jail\]: "bad jail" is not a jail name\nbl\.txt:line 4 \[jail\]: too many fields[^\n]*\nbl\.txt:line 5 \[ip\]: "\$\(reboot\)"/);
  });

  it('writes each format so that it reads back to the same entries', () => {
    const entries = [{ ip: '192.0.2.1', jail: 'sshd', comment: 'sshd permanent' }, { ip: '2001:db8::/48', jail: 'manual' }];
    expect(formatBlocklist(entries, 'ip')).toBe('192.0.2.1\n2001:db8::/48\n');
    expect(formatBlocklist(entries, 'ip,jail')).toBe('192.0.2.1,sshd\n2001:db8::/48,manual\n');
    expect(formatBlocklist(entries, 'comment')).toBe('192.0.2.1  # sshd permanent\n2001:db8::/48  # manual\n');
    expect(parseBlocklist(formatBlocklist(entries, 'ip,jail'), 'x').map((e) => [e.ip, e.jail])).toEqual([['192.0.2.1', 'sshd'], ['2001:db8::/48', 'manual']]);
  });
});
