import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NftablesBackend } from '../../src/firewall/nftables.js';
import { PERMANENT, type Target } from '../../src/firewall/types.js';
import { hostRunner } from '../../src/proc/run.js';
import { createLab, inNs, netnsSkipReason, type Lab } from '../support/netns.js';
import { skipNote } from '../support/skip-note.js';

const skip = netnsSkipReason(['nft']);
const sshd: Target = { key: 'sshd', ports: { all: false, ranges: [[22, 22], [2222, 2222]] }, protocol: 'tcp' };
const perm: Target = { key: PERMANENT, ports: { all: true }, protocol: 'all' };

describe.skipIf(skip !== null)(`nftables backend in a network namespace${skipNote(skip)}`, () => {
  let lab: Lab;
  let nft: NftablesBackend;
  beforeAll(() => {
    lab = createLab();
    nft = new NftablesBackend(hostRunner({ netns: lab.host }));
  });
  afterAll(async () => {
    await nft?.close();
    lab?.cleanup();
  });

  it('builds one inet table: hash sets for addresses, interval sets only for networks, a rule per set', async () => {
    expect((await nft.setup([perm, sshd])).ok).toBe(true);
    const text = inNs(lab.host, 'nft', ['list', 'table', 'inet', 'bantop']);
    expect(text).toMatch(/set j_sshd_4 \{\s+type ipv4_addr\s+\}/);
    expect(text).toMatch(/set j_sshd_n4 \{\s+type ipv4_addr\s+flags interval\s+\}/);
    expect(text).toContain('tcp dport { 22, 2222 } ip saddr @j_sshd_4 drop');
    expect(text).toContain('ip6 saddr @perm_n6 drop');
    expect(await nft.healthy()).toBe(true);
  });

  it('applies single changes through the long-lived session and reads them back', async () => {
    expect((await nft.apply([{ op: 'add', target: 'sshd', ip: '192.0.2.1' }, { op: 'add', target: PERMANENT, ip: '2001:db8::/32' }])).ok).toBe(true);
    const st = await nft.read();
    expect([...st.get('sshd')!]).toEqual(['192.0.2.1']);
    expect([...st.get(PERMANENT)!]).toEqual(['2001:db8::/32']);
  });

  it('recovers when an element it expected was removed by hand: the batch is redone against what is there', async () => {
    inNs(lab.host, 'nft', ['delete', 'element', 'inet', 'bantop', 'j_sshd_4', '{ 192.0.2.1 }']);
    const r = await nft.apply([{ op: 'del', target: 'sshd', ip: '192.0.2.1' }, { op: 'add', target: 'sshd', ip: '192.0.2.2' }]);
    expect(r.ok).toBe(true);
    expect([...(await nft.read()).get('sshd')!]).toEqual(['192.0.2.2']);
  });

  it('loads 10,000 addresses as one batch', async () => {
    const changes = Array.from({ length: 10_000 }, (_, i) => ({ op: 'add' as const, target: PERMANENT, ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }));
    expect((await nft.apply(changes)).ok).toBe(true);
    expect((await nft.read()).get(PERMANENT)!.size).toBe(10_001);
  }, 30_000);

  it('drops sets of jails that left the config, and notices a flushed ruleset', async () => {
    expect((await nft.setup([perm])).ok).toBe(true);
    expect(inNs(lab.host, 'nft', ['list', 'table', 'inet', 'bantop'])).not.toContain('j_sshd');
    inNs(lab.host, 'nft', ['flush', 'ruleset']);
    expect(await nft.healthy()).toBe(false);
    expect((await nft.read()).size).toBe(0);
  });
});
