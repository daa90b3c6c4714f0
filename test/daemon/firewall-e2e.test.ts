import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFailures, cli, cliJson, endDaemonLab, startDaemon, writeConfig, type Daemon } from '../support/daemon.js';
import { createLab, inNs, kernelCount, listen, listening, netnsSkipReason, pingReaches, tcpReaches, type Lab } from '../support/netns.js';
import { waitFor } from '../support/wait.js';
import { skipNote } from '../support/skip-note.js';

const JAILS = (log: string) => `[DEFAULT]
ignoreip = 127.0.0.1/8
# These tests count kernel elements per jail; escalation has its own test.
escalation = off
maxretry = 3
findtime = 10m
[sshd]
enabled = true
port = 2222
logpath = ${log}
bantime = 10m
[web]
enabled = true
filter = sshd
port = 8080
logpath = ${log}
bantime = 1h
[short]
enabled = true
filter = sshd
port = 2222
logpath = ${log}.short
bantime = 2
`;

for (const firewall of ['nftables', 'ipset', 'iptables'] as const) {
  const tools = firewall === 'nftables' ? ['nft'] : firewall === 'ipset' ? ['ipset', 'iptables'] : ['iptables', 'ip6tables'];
  const skip = netnsSkipReason([...tools, 'nft']);
  describe.skipIf(skip !== null)(`${firewall} backend, daemon in a network namespace${skipNote(skip)}`, () => {
    let lab: Lab;
    let dir: string;
    let cfg: string;
    let log: string;
    let socket: string;
    let daemon: Daemon | undefined;
    let listener: ReturnType<typeof listen>;

    beforeAll(async () => {
      lab = createLab();
      dir = mkdtempSync(join(tmpdir(), `bantop-${firewall}-`));
      log = join(dir, 'auth.log');
      writeFileSync(log, '');
      writeFileSync(`${log}.short`, '');
      socket = join(dir, 'bantop.sock');
      cfg = writeConfig(dir, { firewall, jails: JAILS(log) });
      listener = listen(lab, [2222, 8080]);
      await listening(listener);
      daemon = await startDaemon(cfg, socket, { netns: lab.host, env: { BANTOP_CHECK_INTERVAL_MS: '300' } });
    }, 60_000);

    afterAll(() => endDaemonLab({ daemon, listener, lab, dir }));

    it('drops a banned address (ping and TCP) and lets it through again after unban', async () => {
      expect(tcpReaches(lab, 2222)).toBe(true);
      expect(pingReaches(lab)).toBe(true);
      cli(cfg, ['ban', lab.peerIp, '--jail', 'manual']);
      expect(tcpReaches(lab, 2222)).toBe(false);
      expect(pingReaches(lab)).toBe(false);
      expect(cli(cfg, ['unban', lab.peerIp]).status).toBe(0);
      expect(tcpReaches(lab, 2222)).toBe(true);
      expect(pingReaches(lab)).toBe(true);
    }, 30_000);

    it('bans from log lines on the jail\'s port only, and keeps the address blocked while any jail holds it', async () => {
      // The previous test unbanned this address: lines stamped in the unban's second never count again.
      await new Promise((r) => setTimeout(r, 1100));
      appendFailures(log, lab.peerIp, 3);
      await waitFor(() => cliJson<unknown[]>(cfg, ['list']).length === 2, 5000, 'bans in sshd and web');
      expect(tcpReaches(lab, 2222)).toBe(false);
      expect(tcpReaches(lab, 8080)).toBe(false);
      // sshd's unban does not lift web's ban, and sshd's port is open again.
      expect(cli(cfg, ['unban', lab.peerIp, '--jail', 'sshd']).status).toBe(0);
      expect(tcpReaches(lab, 2222)).toBe(true);
      expect(tcpReaches(lab, 8080)).toBe(false);
      expect(cli(cfg, ['unban', lab.peerIp, '--everywhere']).status).toBe(0);
      expect(tcpReaches(lab, 8080)).toBe(true);
    }, 30_000);

    it('unban --all takes one jail\'s bans out of the kernel, then every jail\'s and the permanent set\'s', async () => {
      const other = '192.0.2.77';
      for (const args of [['ban', lab.peerIp, '--jail', 'sshd'], ['ban', lab.peerIp, '--jail', 'web'], ['permaban', other]]) expect(cli(cfg, args).status).toBe(0);
      expect(tcpReaches(lab, 2222)).toBe(false);
      expect(tcpReaches(lab, 8080)).toBe(false);
      expect(cli(cfg, ['unban', '--all', '--jail', 'sshd']).status).toBe(0);
      expect(tcpReaches(lab, 2222)).toBe(true);
      expect(tcpReaches(lab, 8080)).toBe(false);
      expect(kernelCount(firewall, lab.host, other)).toBe(1);
      expect(cli(cfg, ['unban', '--all']).status).toBe(0);
      expect(tcpReaches(lab, 8080)).toBe(true);
      expect(kernelCount(firewall, lab.host, lab.peerIp)).toBe(0);
      expect(kernelCount(firewall, lab.host, other)).toBe(0);
    }, 30_000);

    it('a short ban expiring in one jail never lifts a long ban on the same address and port in another', async () => {
      expect(cli(cfg, ['ban', lab.peerIp, '--jail', 'sshd', '--for', '1h']).status).toBe(0);
      await new Promise((r) => setTimeout(r, 1100)); // past the previous test's unban watermark
      appendFailures(`${log}.short`, lab.peerIp, 3);
      await waitFor(() => cliJson<Array<{ jail: string }>>(cfg, ['list']).some((b) => b.jail === 'short'), 5000, 'short ban');
      await waitFor(() => !cliJson<Array<{ jail: string }>>(cfg, ['list']).some((b) => b.jail === 'short'), 8000, 'short ban to expire');
      expect(tcpReaches(lab, 2222)).toBe(false);
      expect(kernelCount(firewall, lab.host, lab.peerIp)).toBe(1);
      cli(cfg, ['unban', lab.peerIp]);
      expect(tcpReaches(lab, 2222)).toBe(true);
    }, 30_000);

    it('keeps bans across restarts and kill -9, with exactly one element each after three restarts', async () => {
      expect(cli(cfg, ['permaban', '10.200.250.7']).status).toBe(0);
      expect(cli(cfg, ['ban', lab.peerIp, '--jail', 'web', '--for', '1h']).status).toBe(0);
      const before = cliJson<Array<{ ip: string; expiresAt: number | null }>>(cfg, ['list']);
      // Someone else's firewall objects, which bantop must never touch.
      const foreign = () => {
        if (firewall === 'nftables') return inNs(lab.host, 'nft', ['list', 'table', 'inet', 'keepme']).includes('10.9.9.9');
        const rules = inNs(lab.host, 'iptables', ['-S']);
        const sets = firewall === 'ipset' ? inNs(lab.host, 'ipset', ['save']).includes('add keepme 10.9.9.9') : true;
        return rules.includes('-N KEEPME') && rules.includes('-A INPUT -s 10.9.9.9/32 -j ACCEPT') && sets;
      };
      if (firewall === 'nftables') {
        inNs(lab.host, 'nft', ['add', 'table', 'inet', 'keepme']);
        inNs(lab.host, 'nft', ['add', 'set', 'inet', 'keepme', 's', '{ type ipv4_addr; }']);
        inNs(lab.host, 'nft', ['add', 'element', 'inet', 'keepme', 's', '{ 10.9.9.9 }']);
      } else {
        inNs(lab.host, 'iptables', ['-N', 'KEEPME']);
        inNs(lab.host, 'iptables', ['-A', 'INPUT', '-s', '10.9.9.9', '-j', 'ACCEPT']);
        if (firewall === 'ipset') {
          inNs(lab.host, 'ipset', ['create', 'keepme', 'hash:ip']);
          inNs(lab.host, 'ipset', ['add', 'keepme', '10.9.9.9']);
        }
      }
      expect(foreign()).toBe(true);
      await daemon!.stop();
      // A service stop keeps permanent bans in the kernel: a restart never opens the door.
      expect(kernelCount(firewall, lab.host, '10.200.250.7')).toBe(1);
      for (let i = 0; i < 3; i++) {
        daemon = await startDaemon(cfg, socket, { netns: lab.host, env: { BANTOP_CHECK_INTERVAL_MS: '300' } });
        if (i < 2) await daemon.stop();
      }
      await daemon!.kill9();
      daemon = await startDaemon(cfg, socket, { netns: lab.host, env: { BANTOP_CHECK_INTERVAL_MS: '300' } });
      const after = cliJson<Array<{ ip: string; expiresAt: number | null }>>(cfg, ['list']);
      // Restored with their remaining time, not a fresh bantime.
      expect(after.map((b) => [b.ip, b.expiresAt]).sort()).toEqual(before.map((b) => [b.ip, b.expiresAt]).sort());
      expect(kernelCount(firewall, lab.host, '10.200.250.7')).toBe(1);
      expect(kernelCount(firewall, lab.host, lab.peerIp)).toBe(1);
      expect(tcpReaches(lab, 8080)).toBe(false);
      expect(cli(cfg, ['reload']).status).toBe(0);
      expect(foreign()).toBe(true);
      cli(cfg, ['unban', lab.peerIp]);
    }, 90_000);

    it('repairs a flushed ruleset on reload, and by itself with the periodic check', async () => {
      const flush = () => {
        inNs(lab.host, 'nft', ['flush', 'ruleset']);
        if (firewall === 'ipset') inNs(lab.host, 'ipset', ['flush']);
      };
      const restart = async (checkMs: number) => {
        await daemon!.stop();
        daemon = await startDaemon(cfg, socket, { netns: lab.host, env: { BANTOP_CHECK_INTERVAL_MS: String(checkMs) } });
      };
      try {
        // First with the periodic check out of the way, so only reload can repair.
        await restart(3_600_000);
        expect(cli(cfg, ['ban', lab.peerIp, '--jail', 'manual']).status).toBe(0);
        flush();
        expect(tcpReaches(lab, 2222)).toBe(true);
        expect(cli(cfg, ['reload']).status).toBe(0);
        expect(tcpReaches(lab, 2222)).toBe(false);
        expect(kernelCount(firewall, lab.host, lab.peerIp)).toBe(1);
        await restart(300);
        flush();
        await waitFor(() => kernelCount(firewall, lab.host, lab.peerIp) === 1, 10_000, 'the periodic check to repair');
        await waitFor(() => !tcpReaches(lab, 2222, { timeoutMs: 200 }), 5000, 'drop');
        // Repairs racing reloads never insert a rule twice.
        for (let i = 0; i < 3; i++) expect(cli(cfg, ['reload']).status).toBe(0);
        expect(kernelCount(firewall, lab.host, lab.peerIp)).toBe(1);
      } finally {
        cli(cfg, ['unban', lab.peerIp]);
      }
    }, 60_000);

    it('blocks IPv6 networks too, and refuses a network that covers the host itself', async () => {
      expect(tcpReaches(lab, 2222, { v6: true })).toBe(true);
      const own = cli(cfg, ['ban', 'fd00:200::/32', '--jail', 'manual']);
      expect(own.status).toBe(2);
      expect(own.stderr).toMatch(/refusing to ban fd00:200::\/32: it covers .* an address of this host/);
      const net = `${lab.peerIp6}/127`;
      expect(cli(cfg, ['ban', net, '--jail', 'manual']).status).toBe(0);
      expect(tcpReaches(lab, 2222, { v6: true })).toBe(false);
      expect(tcpReaches(lab, 2222)).toBe(true);
      cli(cfg, ['unban', net]);
      expect(tcpReaches(lab, 2222, { v6: true })).toBe(true);
    }, 30_000);

    it('with --flush-on-stop, a stop removes every ban, permanent ones included; the store keeps them', async () => {
      await daemon!.stop();
      daemon = await startDaemon(cfg, socket, { netns: lab.host, args: ['--flush-on-stop'] });
      expect(cli(cfg, ['permaban', lab.peerIp]).status).toBe(0);
      expect(tcpReaches(lab, 2222)).toBe(false);
      expect(await daemon.stop()).toBe(0);
      expect(kernelCount(firewall, lab.host, lab.peerIp)).toBe(0);
      expect(tcpReaches(lab, 2222)).toBe(true);
      daemon = await startDaemon(cfg, socket, { netns: lab.host });
      expect(tcpReaches(lab, 2222)).toBe(false);
      cli(cfg, ['unban', lab.peerIp]);
    }, 60_000);
  });
}
