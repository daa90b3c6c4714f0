import { describe, expect, it } from 'vitest';
import { fillTicketTags, reversePointer, type TicketTags } from '../../src/firewall/action-tags.js';

const host = { fq: 'gw.example.org', short: 'gw' };
const o = { family: 'inet4' as const, now: 1_700_000_100_000, bantime: 600, host };
const t: TicketTags = { ip: '192.0.2.1', failures: 3, time: 1_700_000_000_250, bantime: 86400, bancount: 2, matches: [], restored: false };

describe('per-ban tags of an action command', () => {
  it('fills the ban, leaves unknown tags as written and empties filter captures the ban does not keep', () => {
    const c = fillTicketTags('<ip> <family> <failures> <time> <bantime> <bancount> <restored> <fid> <ip-rev> <nosuch> [<F-USER>]<br><fq-hostname>/<sh-hostname>', t, o);
    expect(c).toEqual({ script: '192.0.2.1 inet4 3 1700000000.25 86400 2 0 192.0.2.1 1.2.0.192. <nosuch> []\ngw.example.org/gw', args: [] });
    expect(fillTicketTags('<time>', { ...t, time: 1_700_000_001_000 }, o).script).toBe('1700000001.0');
  });

  it('puts a value the shell would read in as a positional parameter, once per tag, in the order first met', () => {
    const matches = ['a; rm -rf / $(id)', "it's"];
    const c = fillTicketTags('x "<matches>" <ipmatches> "<matches>" <ip>', { ...t, matches }, o);
    expect(c.script).toBe('f2bV_matches=$0 f2bV_ipmatches=$1 \nx "$f2bV_matches" $f2bV_ipmatches "$f2bV_matches" 192.0.2.1');
    expect(c.args).toEqual([matches.join('\n'), matches.join('\n')]);
    // A plain line goes in as text, as fail2ban puts it; two lines have a newline between them, which the shell reads.
    expect(fillTicketTags('<matches>', { ...t, matches: ['plain line'] }, o)).toEqual({ script: 'plain line', args: [] });
    expect(fillTicketTags('<matches>', { ...t, matches: ['plain', 'two'] }, o).args).toEqual(['plain\ntwo']);
  });

  it("fills <F-…> tags from the filter's captures, a capture the shell would read as a parameter, like fail2ban's f2bV_F_user", () => {
    const c = fillTicketTags('<F-USER> <F-PORT> [<F-NONE>] <F-ALT-USER>', { ...t, data: { user: "o'neil;id", fport: '22', alt_user: 'admin' } }, o);
    expect(c).toEqual({ script: 'f2bV_F_user=$0 \n$f2bV_F_user 22 [] admin', args: ["o'neil;id"] });
  });

  it("fills <ipmatches>, <ipfailures> from the address's bans in every jail and <ipjail…> from this jail's, asking only for what the command uses", () => {
    const asked: boolean[] = [];
    const merged = (overall: boolean) => {
      asked.push(overall);
      return overall ? { failures: 9, matches: ['old sshd line', 'this line'] } : { failures: 5, matches: ['this line'] };
    };
    const c = fillTicketTags('<ipfailures> <ipjailfailures>|<ipjailmatches>|<ipmatches>|<matches>', { ...t, matches: ['this line'], merged }, o);
    expect(c).toEqual({ script: 'f2bV_ipmatches=$0 \n9 5|this line|$f2bV_ipmatches|this line', args: ['old sshd line\nthis line'] });
    expect(asked).toEqual([true, false]);
    asked.length = 0;
    fillTicketTags('<ip> <matches> <failures>', { ...t, merged }, o);
    expect(asked).toEqual([]);
    // Nothing to merge (no database, or the store could not say): the ban's own, as fail2ban falls back to its ticket.
    expect(fillTicketTags('<ipfailures> <ipjailfailures> <ipmatches>', { ...t, matches: ['x'], merged: () => null }, o).script).toBe('3 3 x');
    expect(fillTicketTags('<ipfailures> <ipjailmatches>', { ...t, matches: ['x'] }, o).script).toBe('3 x');
  });

  it('gives an operation (actionstart …) an empty ticket: no address, the time now, the jail bantime', () => {
    expect(fillTicketTags('[<ip>] <family> <time> <bantime>', null, { ...o, family: 'inet6' }).script).toBe('[] inet6 1700000100.0 600');
  });

  it('writes the reverse-DNS name of IPv4 and IPv6 addresses as fail2ban does, without the arpa domain', () => {
    expect(reversePointer('198.51.100.7')).toBe('7.100.51.198.');
    expect(reversePointer('2001:db8::1')).toBe(`1.${'0.'.repeat(23)}8.b.d.0.1.0.0.2.`);
    expect(reversePointer('192.0.2.0/24')).toBe('');
  });
});
