import { canonicalTarget, cidrContains, isNetwork, parseCidr, type Cidr } from '../util/ip.js';

/** Two targets (address or CIDR) share at least one address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const bits = a.family === 4 ? 32 : 128;
  const p = BigInt(bits - Math.min(a.prefix, b.prefix));
  return a.net >> p === b.net >> p;
}

/**
 * The operator's whitelist, global to all jails: addresses and networks that
 * are never banned. A ban on a network that covers a whitelisted address is
 * refused too, since it would block that address.
 */
export class Whitelist {
  private readonly exact = new Set<string>();
  private readonly nets = new Map<string, Cidr>();

  constructor(entries: Iterable<string> = []) {
    for (const e of entries) this.add(e);
  }

  /** Returns the canonical entry, or null when `entry` is not an address or CIDR. */
  add(entry: string): string | null {
    const t = canonicalTarget(entry);
    if (t === null) return null;
    if (isNetwork(t)) this.nets.set(t, parseCidr(t)!);
    else this.exact.add(t);
    return t;
  }

  remove(entry: string): boolean {
    const t = canonicalTarget(entry);
    if (t === null) return false;
    return isNetwork(t) ? this.nets.delete(t) : this.exact.delete(t);
  }

  entries(): string[] {
    return [...this.exact, ...this.nets.keys()];
  }

  /** The entry that covers a single address, or null. */
  match(ip: string): string | null {
    if (this.exact.has(ip)) return ip;
    for (const [k, c] of this.nets) if (cidrContains(c, ip)) return k;
    return null;
  }

  /** The entry a ban target (address or CIDR) would hit, or null. */
  conflict(target: string): string | null {
    if (!isNetwork(target)) return this.match(target);
    const c = parseCidr(target);
    if (!c) return null;
    for (const e of this.exact) if (cidrContains(c, e)) return e;
    for (const [k, n] of this.nets) if (overlaps(c, n)) return k;
    return null;
  }
}
