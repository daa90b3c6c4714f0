import { cidrContains, normalizeIp, parseCidr, type Cidr } from '../util/ip.js';

/**
 * `ignoreip` and `ignoreself`: addresses, CIDRs and host names that never get
 * banned. Host names are resolved outside the core (see `resolveNames`) and
 * their addresses cached here, so `match` stays synchronous and pure.
 */
export class IgnoreList {
  private exact = new Set<string>();
  private nets: Cidr[] = [];
  private names = new Map<string, { addrs: string[]; until: number }>();
  private self = new Set<string>();

  constructor(entries: string[], opts: { ignoreself?: boolean; selfAddresses?: string[] } = {}) {
    for (const e of entries) {
      const c = parseCidr(e);
      if (!c) {
        this.names.set(e.toLowerCase(), { addrs: [], until: 0 });
        continue;
      }
      const full = c.family === 4 ? 32 : 128;
      if (c.prefix === full) this.exact.add(c.address);
      else this.nets.push(c);
    }
    if (opts.ignoreself) for (const a of opts.selfAddresses ?? []) {
      const n = normalizeIp(a);
      if (n) this.self.add(n);
    }
  }

  /** Why `ip` is ignored, or null. */
  match(ip: string): 'ignoreip' | 'ignoreself' | null {
    if (this.self.has(ip)) return 'ignoreself';
    if (this.exact.has(ip)) return 'ignoreip';
    for (const n of this.nets) if (cidrContains(n, ip)) return 'ignoreip';
    for (const { addrs } of this.names.values()) if (addrs.includes(ip)) return 'ignoreip';
    return null;
  }

  hostNames(): string[] {
    return [...this.names.keys()];
  }

  /** Resolve the host names whose cache expired (`lookup` is DNS at the edge, a fake in tests). */
  async resolveNames(lookup: (name: string) => Promise<string[]>, now: number, ttlMs = 300_000): Promise<void> {
    await Promise.all([...this.names].map(async ([name, entry]) => {
      if (entry.until > now) return;
      try {
        const addrs = (await lookup(name)).map((a) => normalizeIp(a)).filter((a): a is string => a !== null);
        this.names.set(name, { addrs, until: now + ttlMs });
      } catch {
        // Keep the last good answer; a DNS outage must not unprotect a host.
        this.names.set(name, { addrs: entry.addrs, until: now + 30_000 });
      }
    }));
  }
}
