import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { buildPlan, commandBackend } from '../../src/firewall/select.js';
import type { Change } from '../../src/firewall/types.js';
import { hostRunner } from '../../src/proc/run.js';
import { fail2banSkipReason } from '../support/fail2ban-regex.js';
import { createLab, inNs, listen, listening, netnsSkipReason, tcpReaches, type Lab } from '../support/netns.js';
import { skipNote } from '../support/skip-note.js';
import { tempDirEach } from '../support/temp-dir.js';

const skip = netnsSkipReason(['iptables', 'ip6tables', 'nft']) ?? fail2banSkipReason;
const tmp = tempDirEach('cmdns');

describe.skipIf(skip !== null)(`Debian's iptables-multiport action.d, run as a command action in a network namespace${skipNote(skip)}`, () => {
  let lab: Lab;
  let server: ReturnType<typeof listen>;
  beforeAll(async () => {
    lab = createLab();
    server = listen(lab, [2222]);
    await listening(server);
  });
  afterAll(() => {
    server?.kill();
    lab?.cleanup();
  });

  /** Debian's iptables-multiport for an sshd jail on port 2222, from a copy of /etc/fail2ban, run in the lab's host namespace. */
  function debianMultiport() {
    const dir = tmp();
    cpSync('/etc/fail2ban', dir, { recursive: true });
    writeFileSync(join(dir, 'x.log'), '');
    writeFileSync(join(dir, 'jail.d', 'zz.local'), `[sshd]\nenabled = true\nlogpath = ${dir}/x.log\naction = iptables-multiport[port="2222", protocol=tcp]\n`);
    const cfg = loadConfig(dir);
    const jail = cfg.jails.find((j) => j.name === 'sshd')!;
    return commandBackend(cfg, jail, jail.actions[0]!, hostRunner({ netns: lab.host }));
  }
  const change = (op: Change['op'], ip: string): Change => ({ op, target: 'sshd', ip, info: { jail: 'sshd', failures: 5, time: Date.now(), bantime: 600 } });

  it('blocks IPv4 with iptables and IPv6 with ip6tables (its [Init?family=inet6]), unblocks, and leaves no chain behind', async () => {
    const b = debianMultiport();
    const rules = (tool: string) => inNs(lab.host, tool, ['-S']);

    expect((await b.setup([])).ok).toBe(true);
    expect(tcpReaches(lab, 2222)).toBe(true);
    expect(tcpReaches(lab, 2222, { v6: true })).toBe(true);
    expect((await b.apply([change('add', lab.peerIp)])).ok).toBe(true);
    expect((await b.apply([change('add', lab.peerIp6)])).ok).toBe(true);
    expect(rules('iptables')).toContain(`-A f2b-sshd -s ${lab.peerIp}/32 -j REJECT`);
    expect(rules('ip6tables')).toContain(`-A f2b-sshd -s ${lab.peerIp6}/128 -j REJECT`);
    expect(tcpReaches(lab, 2222)).toBe(false);
    expect(tcpReaches(lab, 2222, { v6: true })).toBe(false);

    expect((await b.apply([change('del', lab.peerIp)])).ok).toBe(true);
    expect(tcpReaches(lab, 2222)).toBe(true);
    expect(tcpReaches(lab, 2222, { v6: true })).toBe(false);

    expect((await b.teardown()).ok).toBe(true);
    expect(rules('iptables')).not.toContain('f2b-sshd');
    expect(rules('ip6tables')).not.toContain('f2b-sshd');
    expect(tcpReaches(lab, 2222, { v6: true })).toBe(true);
  });

  it('when a ban finds its chain deleted behind its back, restarts the action and bans every address it held again, not only the new one', async () => {
    const b = debianMultiport();
    try {
      expect((await b.setup([])).ok).toBe(true);
      expect((await b.apply([change('add', lab.peerIp), change('add', '192.0.2.50')])).ok).toBe(true);
      expect(tcpReaches(lab, 2222)).toBe(false);
      // Someone flushes the firewall: the jump and the chain are gone, and the attacker gets through.
      inNs(lab.host, 'iptables', ['-F', 'INPUT']);
      inNs(lab.host, 'iptables', ['-F', 'f2b-sshd']);
      inNs(lab.host, 'iptables', ['-X', 'f2b-sshd']);
      expect(tcpReaches(lab, 2222)).toBe(true);
      // The next ban fails, actioncheck fails, the action restarts: the held bans come back with the new one.
      expect((await b.apply([change('add', '192.0.2.51')])).ok).toBe(true);
      const rules = inNs(lab.host, 'iptables', ['-S', 'f2b-sshd']);
      for (const ip of [lab.peerIp, '192.0.2.50', '192.0.2.51']) expect(rules).toContain(`-A f2b-sshd -s ${ip}/32 -j REJECT`);
      expect(tcpReaches(lab, 2222)).toBe(false);
    } finally {
      await b.teardown();
    }
    expect(inNs(lab.host, 'iptables', ['-S'])).not.toContain('f2b-sshd');
  });

  it("runs Debian's nftables-multiport from action.d when nftables-common.local hooks it at prerouting, and it blocks there", async () => {
    const dir = tmp();
    cpSync('/etc/fail2ban', dir, { recursive: true });
    writeFileSync(join(dir, 'x.log'), '');
    writeFileSync(join(dir, 'jail.d', 'zz.local'), `[sshd]\nenabled = true\nlogpath = ${dir}/x.log\nport = 2222\nbanaction = nftables-multiport\n`);
    // Dropped before the routing decision, at the raw priority (-300, before conntrack), as an operator hooks it against floods.
    writeFileSync(join(dir, 'action.d', 'nftables-common.local'), '[Init]\nchain_hook = prerouting\nchain_priority = -300\nblocktype = drop\n');
    const plan = buildPlan(loadConfig(dir), { runner: hostRunner({ netns: lab.host }), passiveJails: [] });
    const [route] = plan.routes.get('sshd')!;
    expect(route!.backend.name).toBe('action:nftables-multiport');
    const b = route!.backend;
    try {
      expect((await b.setup([])).ok).toBe(true);
      expect((await b.apply([change('add', lab.peerIp)])).ok).toBe(true);
      expect(inNs(lab.host, 'nft', ['list', 'table', 'inet', 'f2b-table'])).toMatch(/type filter hook prerouting priority (-300|raw);/);
      expect(tcpReaches(lab, 2222)).toBe(false);
      expect((await b.apply([change('del', lab.peerIp)])).ok).toBe(true);
      expect(tcpReaches(lab, 2222)).toBe(true);
    } finally {
      await b.teardown();
    }
    expect(inNs(lab.host, 'nft', ['list', 'ruleset'])).not.toContain('f2b');
  });
});
