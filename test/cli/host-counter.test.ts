import { describe, expect, it } from 'vitest';
import { canonicalV4, HostCounter } from '../../src/cli/host-counter.js';

describe('canonicalV4', () => {
  it('reads a canonical dotted quad as its 32-bit address', () => {
    expect(canonicalV4('0.0.0.0')).toBe(0);
    expect(canonicalV4('1.2.3.4')).toBe(0x01020304);
    expect(canonicalV4('255.255.255.255')).toBe(0xffffffff);
    expect(canonicalV4('10.200.0.1')).toBe(0x0ac80001);
  });

  it('refuses what would not format back to the same text', () => {
    for (const s of ['01.2.3.4', '1.2.3.04', '1.2.3.00', '256.1.1.1', '1.2.3', '1.2.3.4.5', '1..2.3', '.1.2.3', '1.2.3.', ' 1.2.3.4', '1.2.3.4 ', '::1', 'host', '1.2.3.4a', '1234.1.1.1', '']) {
      expect(canonicalV4(s), s).toBe(-1);
    }
  });
});

describe('HostCounter', () => {
  it('counts exactly what a Map of host texts counts, across table growth and non-IPv4 hosts', () => {
    const counter = new HostCounter();
    const naive = new Map<string, number>();
    let seed = 7;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    const hosts = ['2001:db8::1', 'example.org', '010.1.1.1', 'abc123', '::ffff:1.2.3.4', '255.255.255.255', '0.0.0.0', '128.0.0.1'];
    for (let i = 0; i < 30_000; i++) hosts.push(`${rand(256)}.${rand(256)}.${rand(4)}.${rand(256)}`);
    for (let i = 0; i < 200_000; i++) {
      const h = hosts[rand(hosts.length)]!;
      const n = 1 + rand(3);
      counter.add(h, n);
      naive.set(h, (naive.get(h) ?? 0) + n);
    }
    const got = counter.toMap();
    expect(got.size).toBe(naive.size);
    expect(counter.size).toBe(naive.size);
    expect(new Map([...got].sort())).toEqual(new Map([...naive].sort()));
  });

  it('keeps a host that differs only in leading zeros apart from its canonical form', () => {
    const c = new HostCounter();
    c.add('1.2.3.4');
    c.add('001.2.3.4');
    c.add('1.2.3.4');
    expect(c.toMap()).toEqual(new Map([['1.2.3.4', 2], ['001.2.3.4', 1]]));
  });
});
