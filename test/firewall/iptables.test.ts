import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IptablesBackend } from '../../src/firewall/iptables.js';
import { SHARD_OVER, SHARDS } from '../../src/firewall/iptables-shards.js';
import { PERMANENT, type Change, type Target } from '../../src/firewall/types.js';
import { hostRunner } from '../../src/proc/run.js';
import { createLab, inNs, netnsSkipReason, pingReaches, type Lab } from '../support/netns.js';
import { skipNote } from '../support/skip-note.js';

const skip = netnsSkipReason(['iptables', 'ip6tables']);
const sshd: Target = { key: 'sshd', ports: { all: false, ranges: [[22, 22]] }, protocol: 'tcp' };
const perm: Target = { key: PERMANENT, ports: { all: true }, protocol: 'all' };
const N = SHARD_OVER + 1000;
const addr = (i: number) => `10.${100 + ((i >> 16) & 63)}.${(i >> 8) & 255}.${i & 255}`;
/** The permanent target's IPv4 entries as read back (its IPv6 address sits in ip6tables). */
const v4 = async (b: IptablesBackend) => [...(await b.read()).get(PERMANENT)!].filter((ip) => !ip.includes(':')).length;
const adds = (ips: string[], target = PERMANENT): Change[] => ips.map((ip) => ({ op: 'add', target, ip }));

/** Every `-s X -j DROP` rule in our chains, by address, with the chain it sits in. */
function rules(ns: string, bin = 'iptables'): Array<[string, string]> {
  return inNs(ns, bin, ['-S']).split('\n').flatMap((l) => {
    const m = /^-A (bantop-\S+) -s (\S+) -j DROP$/.exec(l);
    return m ? [[m[2]!.replace(/\/(32|128)$/, ''), m[1]!] as [string, string]] : [];
  });
}

describe.skipIf(skip !== null)(`iptables backend in a network namespace${skipNote(skip)}`, () => {
  let lab: Lab;
  let ipt: IptablesBackend;
  beforeAll(() => {
    lab = createLab();
    ipt = new IptablesBackend(hostRunner({ netns: lab.host }));
  });
  afterAll(async () => {
    await ipt?.teardown();
    lab?.cleanup();
  });

  it('starts flat: one chain per target, one DROP rule per address, entered from INPUT', async () => {
    expect((await ipt.setup([perm, sshd])).ok).toBe(true);
    expect((await ipt.apply([...adds(['192.0.2.1', '2001:db8::1']), ...adds(['192.0.2.9'], 'sshd')])).ok).toBe(true);
    expect(inNs(lab.host, 'iptables', ['-S', 'INPUT'])).toMatch(/^-A INPUT -p tcp .*--dports 22 -j bantop-sshd$/m);
    expect(inNs(lab.host, 'iptables', ['-S', 'INPUT'])).toMatch(/^-A INPUT -j bantop-perm$/m);
    expect(rules(lab.host)).toEqual([['192.0.2.1', 'bantop-perm'], ['192.0.2.9', 'bantop-sshd']]);
    expect(rules(lab.host, 'ip6tables')).toEqual([['2001:db8::1', 'bantop-perm']]);
    expect(await ipt.healthy()).toBe(true);
  });

  it(`splits a target into ${SHARDS} shard chains past ${SHARD_OVER} addresses, each address once, in the shard of its last byte`, async () => {
    const ips = Array.from({ length: N }, (_, i) => addr(i));
    expect((await ipt.apply([...adds(ips), ...adds(['198.51.100.0/24'])])).ok).toBe(true);
    const r = rules(lab.host).filter(([, c]) => c.startsWith('bantop-perm'));
    expect(r).toHaveLength(N + 2);
    expect(new Set(r.map(([ip]) => ip)).size).toBe(N + 2);
    for (const [ip, chain] of r) {
      if (ip.includes('/')) expect(chain).toBe('bantop-perm');
      else expect(chain).toBe(`bantop-perm.${(Number(ip.split('.')[3]) & 255).toString(16).padStart(2, '0')}`);
    }
    // The sshd target stayed flat, the IPv6 family too.
    expect(rules(lab.host).filter(([, c]) => c.startsWith('bantop-sshd'))).toEqual([['192.0.2.9', 'bantop-sshd']]);
    expect(rules(lab.host, 'ip6tables')).toEqual([['2001:db8::1', 'bantop-perm']]);
    expect(await v4(ipt)).toBe(N + 2);
    expect(await ipt.healthy()).toBe(true);
  }, 60_000);

  it('a packet from an address in a shard is dropped, and passes again after the unban', async () => {
    expect(pingReaches(lab)).toBe(true);
    expect((await ipt.apply(adds([lab.peerIp]))).ok).toBe(true);
    expect(rules(lab.host).filter(([ip]) => ip === lab.peerIp)).toHaveLength(1);
    expect(pingReaches(lab)).toBe(false);
    // Adding it again changes nothing.
    expect((await ipt.apply(adds([lab.peerIp]))).ok).toBe(true);
    expect(rules(lab.host).filter(([ip]) => ip === lab.peerIp)).toHaveLength(1);
    expect((await ipt.apply([{ op: 'del', target: PERMANENT, ip: lab.peerIp }])).ok).toBe(true);
    expect(rules(lab.host).filter(([ip]) => ip === lab.peerIp)).toHaveLength(0);
    expect(pingReaches(lab)).toBe(true);
  }, 30_000);

  it('removes a batch from the shards, skipping what is not there', async () => {
    const gone = Array.from({ length: 100 }, (_, i) => ({ op: 'del' as const, target: PERMANENT, ip: addr(i) }));
    expect((await ipt.apply([...gone, { op: 'del', target: PERMANENT, ip: '203.0.113.77' }])).ok).toBe(true);
    const left = new Set(rules(lab.host).map(([ip]) => ip));
    expect(left.has(addr(0))).toBe(false);
    expect(left.has(addr(99))).toBe(false);
    expect(left.has(addr(100))).toBe(true);
    expect(await v4(ipt)).toBe(N + 2 - 100);
  }, 30_000);

  it('notices a flushed top chain and a new instance finds the shards, repairs the jumps and keeps every rule', async () => {
    inNs(lab.host, 'iptables', ['-F', 'bantop-perm']);
    expect(await ipt.healthy()).toBe(false);
    const again = new IptablesBackend(hostRunner({ netns: lab.host }));
    expect((await again.setup([perm, sshd])).ok).toBe(true);
    expect(await again.healthy()).toBe(true);
    const jumps = inNs(lab.host, 'iptables', ['-S', 'bantop-perm']).split('\n').filter((l) => / -j bantop-perm\.[0-9a-f]{2}$/.test(l));
    expect(jumps).toHaveLength(SHARDS);
    // The flush took the network rule with it; everything in the shards stayed.
    expect(await v4(again)).toBe(N + 1 - 100);
    expect((await again.apply(adds(['10.250.0.7']))).ok).toBe(true);
    expect(rules(lab.host).filter(([ip]) => ip === '10.250.0.7')).toEqual([['10.250.0.7', 'bantop-perm.07']]);
  }, 30_000);

  it('drops the chains and shards of a target that left the config, and tears everything down', async () => {
    expect((await ipt.setup([sshd])).ok).toBe(true);
    expect(inNs(lab.host, 'iptables', ['-S'])).not.toContain('bantop-perm');
    expect(rules(lab.host)).toEqual([['192.0.2.9', 'bantop-sshd']]);
    expect((await ipt.teardown()).ok).toBe(true);
    expect(inNs(lab.host, 'iptables', ['-S'])).not.toContain('bantop-');
    expect(inNs(lab.host, 'ip6tables', ['-S'])).not.toContain('bantop-');
  }, 30_000);
});

describe.skipIf(skip !== null)(`iptables backend removing most of a sharded target${skipNote(skip)}`, () => {
  let lab: Lab;
  const restores: string[] = [];
  let ipt: IptablesBackend;
  beforeAll(() => {
    lab = createLab();
    const inner = hostRunner({ netns: lab.host });
    // Records what each iptables-restore is given.
    ipt = new IptablesBackend({ ...inner, run: (cmd, args, o) => {
      if (cmd.endsWith('-restore')) restores.push(o?.input ?? '');
      return inner.run(cmd, args, o);
    } });
  });
  afterAll(async () => {
    await ipt?.teardown();
    lab?.cleanup();
  });

  it('rewrites the shards with what stays instead of deleting rule by rule (unban --all), keeping networks, other targets and the rest', async () => {
    const n = 5000;
    const ips = Array.from({ length: n }, (_, i) => addr(i));
    expect((await ipt.setup([perm, sshd])).ok).toBe(true);
    expect((await ipt.apply([...adds(ips), ...adds(['198.51.100.0/24', lab.peerIp]), ...adds(['192.0.2.9'], 'sshd')])).ok).toBe(true);
    expect(pingReaches(lab)).toBe(false);
    restores.length = 0;
    // All but the last 100 addresses, and an address that is not there.
    const gone: Change[] = ips.slice(0, n - 100).map((ip) => ({ op: 'del', target: PERMANENT, ip }));
    expect((await ipt.apply([...gone, { op: 'del', target: PERMANENT, ip: '203.0.113.77' }])).ok).toBe(true);
    expect(restores).toHaveLength(1);
    expect(restores[0]!.split('\n').filter((l) => l.startsWith('-D '))).toEqual([]);
    const left = rules(lab.host);
    expect(left.filter(([, c]) => c.startsWith('bantop-perm')).map(([ip]) => ip).sort()).toEqual([...ips.slice(n - 100), '198.51.100.0/24', lab.peerIp].sort());
    expect(left.filter(([, c]) => c === 'bantop-sshd')).toEqual([['192.0.2.9', 'bantop-sshd']]);
    expect(inNs(lab.host, 'iptables', ['-S', 'bantop-perm']).split('\n').filter((l) => / -j bantop-perm\.[0-9a-f]{2}$/.test(l))).toHaveLength(SHARDS);
    expect(pingReaches(lab)).toBe(false);
    expect(await ipt.healthy()).toBe(true);
    // Everything: nothing of the target's addresses is left, and its chains and jumps stay.
    const all: Change[] = [...ips.slice(n - 100), '198.51.100.0/24', lab.peerIp].map((ip) => ({ op: 'del', target: PERMANENT, ip }));
    expect((await ipt.apply(all)).ok).toBe(true);
    expect(rules(lab.host)).toEqual([['192.0.2.9', 'bantop-sshd']]);
    expect(pingReaches(lab)).toBe(true);
    expect(await ipt.healthy()).toBe(true);
    // A handful removed from a large target still goes rule by rule.
    expect((await ipt.apply(adds(ips))).ok).toBe(true);
    restores.length = 0;
    expect((await ipt.apply(ips.slice(0, 50).map((ip) => ({ op: 'del', target: PERMANENT, ip })))).ok).toBe(true);
    expect(restores.join('\n').split('\n').filter((l) => l.startsWith('-D '))).toHaveLength(50);
  }, 60_000);
});

