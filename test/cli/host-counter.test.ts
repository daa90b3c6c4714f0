import { describe, expect, it } from 'vitest';
import { countsBuffers, HostCounter } from '../../src/cli/host-counter.js';

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

  it('gives the top hosts, most failures first and ties by host text, as a full sort would', () => {
    const c = new HostCounter();
    const all = new Map<string, number>();
    for (let i = 0; i < 5000; i++) {
      const h = i % 7 === 0 ? `host${i % 50}` : `10.0.${i % 40}.${i % 23}`;
      c.add(h);
      all.set(h, (all.get(h) ?? 0) + 1);
    }
    const sorted = [...all].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    expect(c.top(10)).toEqual(sorted.slice(0, 10));
    expect(c.top(1000)).toEqual(sorted.slice(0, 1000));
  });

  it('exports only the hosts in use, and after clear() counts afresh in the same table', () => {
    const c = new HostCounter();
    for (let i = 0; i < 3000; i++) c.add(`10.1.${i % 50}.${i % 7}`);
    c.add('2001:db8::1');
    c.add('name.example', 2);
    const out = c.export();
    expect(out.order.length).toBe(350);
    expect(new Set(out.order).size).toBe(350);
    expect([...out.order].reduce((a, s) => a + out.counts[s]!, 0)).toBe(3000);
    expect(out.others.split('\n')).toEqual(['2001:db8::1', 'name.example']);
    expect([...out.otherCounts]).toEqual([1, 2]);
    c.clear();
    expect(c.size).toBe(0);
    expect(c.top(5)).toEqual([]);
    c.add('10.1.0.0');
    c.add('10.1.0.0');
    expect(c.toMap()).toEqual(new Map([['10.1.0.0', 2]]));
    const again = new HostCounter();
    again.merge(c.export());
    expect(again.toMap()).toEqual(new Map([['10.1.0.0', 2]]));
  });

  it('merges another thread\'s counts, posted as plain data', () => {
    const mine = new HostCounter();
    mine.add('1.1.1.1', 2);
    const theirs = new HostCounter();
    theirs.add('1.1.1.1', 3);
    theirs.add('2.2.2.2', 1);
    theirs.add('name.example', 4);
    mine.merge(structuredClone(theirs.export()));
    expect(new Map([...mine.toMap()].sort())).toEqual(new Map([['1.1.1.1', 5], ['2.2.2.2', 1], ['name.example', 4]]));
  });

  it('hands its own tables over, to be transferred rather than copied: the same counts arrive, and the sender keeps nothing', () => {
    const theirs = new HostCounter();
    for (let i = 0; i < 5000; i++) theirs.add(`10.2.${i % 90}.${i % 11}`);
    theirs.add('name.example', 3);
    const expected = new Map([...theirs.toMap()].sort());
    const given = theirs.handOver();
    expect(theirs.size).toBe(0);
    const buffers = countsBuffers(given);
    expect(new Set(buffers).size).toBe(4);
    // What postMessage with a transfer list does: the memory moves, the sender's arrays are left empty.
    const moved = structuredClone(given, { transfer: buffers });
    expect(given.keys.length).toBe(0);
    expect(given.order.length).toBe(0);
    const mine = new HostCounter();
    mine.merge(moved);
    expect(new Map([...mine.toMap()].sort())).toEqual(expected);
    expect(mine.size).toBe(991);
  });
});
