import { describe, expect, it } from 'vitest';
import { parseListing, parseShardChain, SHARDS, shardChain, shardedRestoreLines, shardMatch, shardOf, shardRepairLines } from '../../src/firewall/iptables-shards.js';

describe('iptables shards', () => {
  it('puts a single address in the shard of its last byte, and a network in none', () => {
    expect(shardOf('192.0.2.7')).toBe(7);
    expect(shardOf('192.0.2.255')).toBe(255);
    expect(shardOf('2001:db8::1:a7')).toBe(0xa7);
    expect(shardOf('2001:db8::1:1a7')).toBe(0xa7);
    expect(shardOf('2001:db8::')).toBe(0);
    expect(shardOf('192.0.2.0/24')).toBeNull();
    expect(shardOf('2001:db8::/64')).toBeNull();
  });

  it('names shards so that they round-trip and never look like a top chain', () => {
    expect(shardChain('bantop-sshd', 7)).toBe('bantop-sshd.07');
    expect(parseShardChain('bantop-sshd.a7')).toEqual({ base: 'bantop-sshd', shard: 0xa7 });
    expect(parseShardChain('bantop-sshd')).toBeNull();
    expect(parseShardChain('bantop-web-07')).toBeNull();
  });

  it('matches a shard with a masked source in both families', () => {
    expect(shardMatch(4, 7)).toBe('0.0.0.7/0.0.0.255');
    expect(shardMatch(6, 0xa7)).toBe('::a7/::ff');
  });

  it('reads chains, DROP rules and jumps from iptables -S', () => {
    const l = parseListing([
      '-P INPUT ACCEPT', '-N bantop-perm', '-N bantop-perm.07',
      '-A INPUT -j bantop-perm',
      '-A bantop-perm -s 192.0.2.0/24 -j DROP',
      '-A bantop-perm -s 0.0.0.7/0.0.0.255 -j bantop-perm.07',
      '-A bantop-perm.07 -s 10.0.0.7/32 -j DROP',
    ].join('\n'));
    expect([...l.chains]).toEqual(['bantop-perm', 'bantop-perm.07']);
    expect(l.drops.get('bantop-perm')).toEqual(['192.0.2.0/24']);
    expect(l.drops.get('bantop-perm.07')).toEqual(['10.0.0.7/32']);
    expect([...l.jumps.get('bantop-perm')!]).toEqual(['bantop-perm.07']);
    expect([...l.jumps.get('INPUT')!]).toEqual(['bantop-perm']);
  });

  it('writes a whole sharded target: every chain declared, networks on top, one jump per shard, each address in its shard', () => {
    const lines = shardedRestoreLines('bantop-perm', 'bantop-perm', 4, ['10.0.0.7', '10.0.1.7', '192.0.2.0/24', '10.0.0.255']);
    expect(lines.filter((l) => l.startsWith(':'))).toHaveLength(SHARDS + 1);
    expect(lines).toContain('-A bantop-perm -s 192.0.2.0/24 -j DROP');
    expect(lines.filter((l) => / -j bantop-perm\.[0-9a-f]{2}$/.test(l))).toHaveLength(SHARDS);
    expect(lines).toContain('-A bantop-perm.07 -s 10.0.0.7 -j DROP');
    expect(lines).toContain('-A bantop-perm.07 -s 10.0.1.7 -j DROP');
    expect(lines).toContain('-A bantop-perm.ff -s 10.0.0.255 -j DROP');
    // Jumps come after the chains they name are declared.
    expect(lines.indexOf('-A bantop-perm -s 0.0.0.255/0.0.0.255 -j bantop-perm.ff')).toBeGreaterThan(lines.indexOf(':bantop-perm.ff - [0:0]'));
  });

  it('repairs only what a sharded target lacks', () => {
    const full = parseListing(shardedRestoreLines('t', 't', 4, []).map((l) => (l.startsWith(':') ? `-N ${l.slice(1, -8)}` : l)).join('\n'));
    expect(shardRepairLines('t', 't', 4, full)).toEqual([]);
    full.jumps.get('t')!.delete('t.10');
    full.chains.delete('t.20');
    full.jumps.get('t')!.delete('t.20');
    expect(shardRepairLines('t', 't', 4, full)).toEqual([':t.20 - [0:0]', '-A t -s 0.0.0.16/0.0.0.255 -j t.10', '-A t -s 0.0.0.32/0.0.0.255 -j t.20']);
  });
});
