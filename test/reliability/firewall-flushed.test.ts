import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFailures, cli, startDaemon, writeConfig, type Daemon } from '../support/daemon.js';
import { createLab, inNs, kernelAddresses, netnsSkipReason, type Lab } from '../support/netns.js';
import { waitFor } from '../support/wait.js';
import { skipNote } from '../support/skip-note.js';

const CHECK_MS = 2000;
// Past iptables' SHARD_OVER, so its repair rebuilds a sharded target.
const BANS = 1100;

for (const firewall of ['nftables', 'ipset', 'iptables'] as const) {
  const tools = firewall === 'nftables' ? ['nft'] : firewall === 'ipset' ? ['ipset', 'iptables', 'nft'] : ['iptables', 'nft'];
  const skip = netnsSkipReason(tools);
  describe.skipIf(skip !== null)(`${firewall}: ruleset flushed behind bantop's back${skipNote(skip)}`, () => {
    let lab: Lab;
    let dir: string;
    let cfg: string;
    let log: string;
    let daemon: Daemon | undefined;

    beforeAll(async () => {
      lab = createLab();
      dir = mkdtempSync(join(tmpdir(), `bantop-flushed-${firewall}-`));
      log = join(dir, 'auth.log');
      writeFileSync(log, '');
      cfg = writeConfig(dir, {
        firewall,
        jails: `[DEFAULT]\nescalation = off\n[sshd]\nenabled = true\nport = 22\nlogpath = ${log}\nmaxretry = 1\nbantime = 1d\n`,
        extra: 'loglevel = INFO\n',
      });
      daemon = await startDaemon(cfg, join(dir, 'bantop.sock'), { netns: lab.host, env: { BANTOP_CHECK_INTERVAL_MS: String(CHECK_MS) } });
    }, 60_000);
    afterAll(async () => {
      await daemon?.stop();
      lab?.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    it(`is repaired within one check interval (${CHECK_MS} ms): every ban back, each exactly once`, async () => {
      const ip = (i: number) => `10.55.${i >> 8}.${i & 255}`;
      for (let i = 0; i < BANS; i++) appendFailures(log, ip(i), 1);
      expect(cli(cfg, ['permaban', '10.56.0.1']).status).toBe(0);
      const all = () => kernelAddresses(firewall, lab.host);
      await waitFor(() => all().size === BANS + 1, 20_000, `${BANS + 1} bans in the kernel`, 50);

      inNs(lab.host, 'nft', ['flush', 'ruleset']); // iptables-nft and ipset's match rules go with it
      if (firewall === 'ipset') inNs(lab.host, 'ipset', ['destroy']);
      expect(all().size).toBe(0);
      const flushedAt = Date.now();
      await waitFor(() => all().size === BANS + 1, CHECK_MS * 3, 'the repair', 20);
      const took = Date.now() - flushedAt;
      // One interval, plus the repair itself and our polling.
      expect(took).toBeLessThan(CHECK_MS + 1500);
      expect([...all().values()].every((n) => n === 1)).toBe(true);
    }, 60_000);
  });
}
