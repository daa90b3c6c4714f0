import { describe, expect, it } from 'vitest';
import { parseNameWithArgs, splitActionList } from '../../src/config/args.js';

describe('parseNameWithArgs: fail2ban\'s name[k=v, …] syntax', () => {
  it('reads a bare name, quoted and unquoted values, and commas inside quotes', () => {
    expect(parseNameWithArgs('sshd')).toEqual({ name: 'sshd', args: {} });
    expect(parseNameWithArgs('sshd[mode=aggressive, logtype=journal]')).toEqual({ name: 'sshd', args: { mode: 'aggressive', logtype: 'journal' } });
    expect(parseNameWithArgs(`iptables-multiport[port="ssh,2222", protocol='tcp', chain=INPUT]`))
      .toEqual({ name: 'iptables-multiport', args: { port: 'ssh,2222', protocol: 'tcp', chain: 'INPUT' } });
  });

  it('reads option groups one after another (fail2ban 0.10+), a later value winning, as Debian\'s jail.conf writes them', () => {
    // nsd, asterisk, freeswitch …: action_ = %(default/action_)s[name=%(__name__)s-tcp, protocol="tcp"]
    expect(parseNameWithArgs('iptables-multiport[port="53", protocol="tcp", chain="INPUT"][name=nsd-tcp, protocol="udp"]'))
      .toEqual({ name: 'iptables-multiport', args: { port: '53', protocol: 'udp', chain: 'INPUT', name: 'nsd-tcp' } });
    expect(parseNameWithArgs('act[a=1] [b=2]')).toEqual({ name: 'act', args: { a: '1', b: '2' } });
    expect(parseNameWithArgs('act[a=1][b="x"][c=3]')).toEqual({ name: 'act', args: { a: '1', b: 'x', c: '3' } });
  });

  it('refuses what is not the syntax', () => {
    expect(() => parseNameWithArgs('sshd[mode=aggressive')).toThrow('without a closing "]"');
    expect(() => parseNameWithArgs('sshd[aggressive]')).toThrow('has no "="');
    expect(() => parseNameWithArgs('sshd[mode="aggressive]')).toThrow('unterminated quote');
    expect(() => parseNameWithArgs('ss hd')).toThrow('is not a name');
  });
});

describe('splitActionList: an action = value with several actions', () => {
  it('splits at lines and spaces outside brackets, not between option groups of one action', () => {
    expect(splitActionList('iptables-multiport[name=a-tcp, protocol="tcp"]\n  iptables-multiport[name=a-udp, protocol="udp"]'))
      .toEqual(['iptables-multiport[name=a-tcp, protocol="tcp"]', 'iptables-multiport[name=a-udp, protocol="udp"]']);
    expect(splitActionList('act[a=1] [b=2] other[c="x y"]')).toEqual(['act[a=1] [b=2]', 'other[c="x y"]']);
    expect(splitActionList('hostsdeny report')).toEqual(['hostsdeny', 'report']);
  });
});
