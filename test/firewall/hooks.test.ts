import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpsetBackend } from '../../src/firewall/ipset.js';
import { IptablesBackend } from '../../src/firewall/iptables.js';
import { NftablesBackend } from '../../src/firewall/nftables.js';
import { PERMANENT, type Backend, type Target } from '../../src/firewall/types.js';
import { hostRunner } from '../../src/proc/run.js';
import { createLab, inNs, listen, listening, netnsSkipReason, tcpReaches, type Lab } from '../support/netns.js';
import { skipNote } from '../support/skip-note.js';

/**
 * Jails that guard traffic routed through the host (containers, VMs):
 * fail2ban's `chain` (iptables, ipset: Docker hosts use DOCKER-USER) and
 * `chain_hook` (nftables). Three namespaces: the peer reaches the inner one
 * through the host, which runs the backend.
 */
const CASES = [
  { name: 'nftables', tools: ['nft'], hook: 'forward', input: 'input', make: (lab: Lab): Backend => new NftablesBackend(hostRunner({ netns: lab.host })) },
  { name: 'iptables', tools: ['iptables', 'ip6tables'], hook: 'DOCKER-USER', input: 'INPUT', make: (lab: Lab): Backend => new IptablesBackend(hostRunner({ netns: lab.host })) },
  { name: 'ipset', tools: ['ipset', 'iptables', 'ip6tables'], hook: 'DOCKER-USER', input: 'INPUT', make: (lab: Lab): Backend => new IpsetBackend(hostRunner({ netns: lab.host })) },
] as const;

for (const c of CASES) {
  const skip = netnsSkipReason([...c.tools]);
  describe.skipIf(skip !== null)(`${c.name}: rules hooked on the forward path${skipNote(skip)}`, () => {
    let lab: Lab;
    let b: Backend;
    let listener: ReturnType<typeof listen>;
    const web: Target = { key: 'web', ports: { all: false, ranges: [[8080, 8080]] }, protocol: 'tcp', hooks: [c.hook] };
    // The same port, guarded on the host itself: its bans must not stop the routed traffic.
    const local: Target = { key: 'local', ports: { all: false, ranges: [[8080, 8080]] }, protocol: 'tcp' };
    const perm: Target = { key: PERMANENT, ports: { all: true }, protocol: 'all', hooks: [c.input, c.hook] };
    const routed = () => tcpReaches(lab, 8080, { to: lab.inner!.ip });
    const kernel = () => (c.name === 'nftables' ? inNs(lab.host, 'nft', ['list', 'ruleset']) : inNs(lab.host, 'iptables', ['-S']));

    beforeAll(async () => {
      lab = createLab({ routed: true });
      if (c.name !== 'nftables') {
        // Docker's own chain, entered from FORWARD as Docker enters it.
        inNs(lab.host, 'iptables', ['-N', 'DOCKER-USER']);
        inNs(lab.host, 'iptables', ['-A', 'FORWARD', '-j', 'DOCKER-USER']);
        inNs(lab.host, 'ip6tables', ['-N', 'DOCKER-USER']);
      }
      b = c.make(lab);
      listener = listen(lab, [8080], lab.inner!.ns);
      await listening(listener);
    }, 30_000);
    afterAll(async () => {
      await b?.teardown();
      listener?.kill();
      lab?.cleanup();
    });

    it('drops a banned address on its way to the inner host, and only by the targets hooked there', async () => {
      expect(routed()).toBe(true);
      expect((await b.setup([perm, web, local])).ok).toBe(true);
      expect(await b.healthy()).toBe(true);
      expect((await b.apply([{ op: 'add', target: 'local', ip: lab.peerIp }])).ok).toBe(true);
      expect(routed()).toBe(true);
      expect((await b.apply([{ op: 'add', target: 'web', ip: lab.peerIp }])).ok).toBe(true);
      expect(routed()).toBe(false);
      expect((await b.apply([{ op: 'del', target: 'web', ip: lab.peerIp }, { op: 'add', target: PERMANENT, ip: lab.peerIp }])).ok).toBe(true);
      expect(routed()).toBe(false);
      expect((await b.apply([{ op: 'del', target: PERMANENT, ip: lab.peerIp }])).ok).toBe(true);
      expect(routed()).toBe(true);
    }, 30_000);

    it('takes its rules off the forward path when no target is hooked there any more', async () => {
      expect((await b.apply([{ op: 'add', target: 'web', ip: lab.peerIp }])).ok).toBe(true);
      expect(routed()).toBe(false);
      expect(kernel()).toContain(c.name === 'nftables' ? 'hook forward' : `-A ${c.hook} `);
      expect((await b.setup([{ ...perm, hooks: undefined }, { ...web, hooks: undefined }, local])).ok).toBe(true);
      expect(await b.healthy()).toBe(true);
      expect(routed()).toBe(true);
      expect(kernel()).not.toContain(c.name === 'nftables' ? 'hook forward' : `-A ${c.hook} `);
      // The ban is kept, now on the host's own input.
      expect([...((await b.read())?.get('web') ?? [])]).toContain(lab.peerIp);
    }, 30_000);

    // nftables makes its own base chains: only iptables and ipset hook a chain someone else makes.
    if (c.name !== 'nftables') it('says a hook chain that does not exist yet (Docker not started), and hooks it once it does', async () => {
      const later: Target = { ...web, hooks: ['LATER'] };
      const r = await b.setup([perm, later]);
      expect(r.ok).toBe(false);
      expect(r.stderr).toContain('iptables: chain LATER does not exist (yet)');
      // No IPv6 chain of that name is no error: Docker without IPv6 makes none.
      expect(r.stderr).not.toContain('ip6tables');
      // Nothing to repair while it is missing; once it exists, a repair is due, and the setup hooks it.
      expect(await b.healthy()).toBe(true);
      inNs(lab.host, 'iptables', ['-N', 'LATER']);
      expect(await b.healthy()).toBe(false);
      expect((await b.setup([perm, later])).ok).toBe(true);
      expect(inNs(lab.host, 'iptables', ['-S', 'LATER'])).toMatch(/^-A LATER .*-j bantop/m);
      expect(await b.healthy()).toBe(true);
      await b.setup([perm, web]);
      expect(inNs(lab.host, 'iptables', ['-S', 'LATER'])).not.toMatch(/bantop/);
      inNs(lab.host, 'iptables', ['-X', 'LATER']);
    }, 30_000);

    it('leaves nothing behind on teardown, the hooked chain itself included', async () => {
      expect((await b.setup([perm, web])).ok).toBe(true);
      expect((await b.teardown()).ok).toBe(true);
      expect(kernel()).not.toMatch(/bantop/);
      if (c.name !== 'nftables') expect(inNs(lab.host, 'iptables', ['-S', 'FORWARD'])).toContain('-A FORWARD -j DOCKER-USER');
    }, 30_000);
  });
}
