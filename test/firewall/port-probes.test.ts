import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMON_PORTS } from '../../src/cli/ports.js';
import { iptablesRuleArgs, listeningPorts, MAX_PREFIX, nftScript, parsePortList, parsePortTable, probePrefix, probeRules } from '../../src/firewall/port-probes.js';

const table = parsePortTable(readFileSync(COMMON_PORTS, 'utf8'), COMMON_PORTS);

describe('closed-port LOG rules', () => {
  it('the shipped table covers every port the issue lists, and every prefix fits iptables', () => {
    const want = [20, 21, 22, 23, 25, 53, 67, 68, 69, 80, 110, 115, 123, 137, 138, 139, 143, 161, 389, 443, 445, 465, 514, 587, 636, 993, 995, 1433, 1434, 1521, 2049, 3306, 3389, 5432, 5900, 5985, 6379, 8080];
    expect(table.map((e) => e.port)).toEqual(want);
    expect(table.find((e) => e.port === 53)!.protocols).toEqual(['tcp', 'udp']);
    expect(table.find((e) => e.port === 123)!.protocols).toEqual(['udp']);
    for (const r of probeRules(table)) expect(r.prefix.length, r.prefix).toBeLessThanOrEqual(MAX_PREFIX);
    expect(probePrefix('ssh', 22)).toBe('[ssh-blocked-port-22] ');
    expect(probePrefix('mysql', 3306)).toBe('[mysql-blocked-port-3306] ');
    expect(probePrefix('averyveryverylongname', 65535).length).toBe(MAX_PREFIX);
  });

  it('--ports takes lists, ranges and protocols, and names unknown ports from /etc/services', () => {
    const rules = probeRules(parsePortList('22,53,8000-8001/udp,9999', table, (p) => (p === 9999 ? 'distinct' : undefined)));
    expect(rules.map((r) => `${r.port}/${r.protocol} ${r.prefix}`)).toEqual([
      '22/tcp [ssh-blocked-port-22] ', '53/tcp [dns-blocked-port-53] ', '53/udp [dns-blocked-port-53] ',
      '8000/udp [port-blocked-port-8000] ', '8001/udp [port-blocked-port-8001] ', '9999/tcp [distinct-blocked-port-9999] ',
    ]);
    expect(() => parsePortList('22,ssh', table, () => undefined)).toThrow(/"ssh" is not a port/);
    expect(() => parsePortList('0', table, () => undefined)).toThrow(/out of range/);
    expect(() => parsePortTable('22 tcp ssh\n99999 tcp x\n', 'ports.txt')).toThrow('ports.txt:line 2 [port]');
  });

  it('nft: one table replaced in one transaction; only new TCP connections are logged, rate-limited', () => {
    const s = nftScript(probeRules(parsePortList('22,53/udp', table, () => undefined)));
    expect(s).toContain('delete table inet bantop_ports');
    expect(s).toContain('tcp dport 22 tcp flags & (syn | ack) == syn limit rate 10/second burst 20 packets log prefix "[ssh-blocked-port-22] " level info');
    expect(s).toContain('udp dport 53 limit rate 10/second');
    expect(iptablesRuleArgs(probeRules(parsePortList('22', table, () => undefined))[0]!)).toEqual(
      ['-p', 'tcp', '--syn', '--dport', '22', '-m', 'limit', '--limit', '10/second', '--limit-burst', '20', '-j', 'LOG', '--log-prefix', '[ssh-blocked-port-22] ', '--log-level', 'info']);
  });

  it('reads listening ports from /proc/net tables (TCP LISTEN, bound UDP)', () => {
    const tcp = '  sl  local_address rem_address   st\n   0: 00000000:0016 00000000:0000 0A 0\n   1: 0100007F:0CEA 0100007F:9C40 01 0\n';
    const udp = '  sl  local_address rem_address   st\n  10: 00000000:0035 00000000:0000 07 0\n';
    expect([...listeningPorts([{ protocol: 'tcp', text: tcp }, { protocol: 'udp', text: udp }])].sort()).toEqual(['22/tcp', '53/udp']);
  });
});
