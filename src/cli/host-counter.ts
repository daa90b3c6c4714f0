import { detach } from '../util/detach.js';
import { canonicalV4 } from '../util/ip.js';

/**
 * Failures per host for `bantop regex`'s summary. A log of a million lines
 * has a few hundred thousand failures over tens of thousands of hosts, and a
 * Map keyed by the host text cost more than the filter's own work after a
 * match (measured, 0.3–0.6 s per million lines: each lookup hashes a fresh
 * string and chases a pointer into a large table). Hosts written as a
 * canonical dotted quad, almost all of them, are counted as 32-bit numbers
 * in an open-addressing table of typed arrays; anything else (IPv6, names,
 * F-ID values, a quad with leading zeros) goes to a Map under its text.
 * A canonical quad formats back to exactly the text it was read from, so the
 * two halves never hold the same host.
 */
export class HostCounter {
  private keys: Int32Array;
  /** 0 marks an empty slot. */
  private counts: Int32Array;
  private used = 0;
  private shift: number;
  private readonly others = new Map<string, { n: number }>();

  /** `capacity`: a power of two, the table's starting size. */
  constructor(capacity = 1 << 12) {
    this.keys = new Int32Array(capacity);
    this.counts = new Int32Array(capacity);
    this.shift = Math.clz32(capacity) + 1;
  }

  /** `n` > 0. */
  add(host: string, n = 1): void {
    this.addHost(host, canonicalV4(host), n);
  }

  /** Failures of `host`, whose value as a canonical dotted quad is known already (`v4`, or -1). */
  addHost(host: string, v4: number, n = 1): void {
    if (v4 >= 0) {
      this.addV4(v4 | 0, n);
      return;
    }
    const c = this.others.get(host);
    if (c === undefined) this.others.set(detach(host), { n });
    else c.n += n;
  }

  get size(): number {
    return this.used + this.others.size;
  }

  /** Every host with its count, in no particular order. */
  toMap(): Map<string, number> {
    const out = new Map<string, number>();
    const { keys, counts } = this;
    for (let i = 0; i < counts.length; i++) if (counts[i] !== 0) out.set(quad(keys[i]!), counts[i]!);
    for (const [h, c] of this.others) if (c.n !== 0) out.set(h, c.n);
    return out;
  }

  /**
   * The `n` hosts with the most failures, most first, ties by host text.
   * Only those become strings: 50,000 hosts formatted for a top ten took
   * longer than the merge of two threads' counts.
   */
  top(n: number): Array<[string, number]> {
    const cmp = (a: [string, number], b: [string, number]) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
    const best: Array<[string, number]> = [];
    const offer = (count: number, host: () => string) => {
      // Strictly fewer than the last kept: out without formatting. Equal: the host text decides.
      if (best.length === n && count < best[n - 1]![1]) return;
      const e: [string, number] = [host(), count];
      if (best.length === n && cmp(e, best[n - 1]!) >= 0) return;
      best.push(e);
      best.sort(cmp);
      if (best.length > n) best.pop();
    };
    const { keys, counts } = this;
    for (let i = 0; i < counts.length; i++) if (counts[i] !== 0) offer(counts[i]!, () => quad(keys[i]!));
    for (const [h, c] of this.others) if (c.n !== 0) offer(c.n, () => h);
    return best;
  }

  /** The counts as plain data, for a thread to post (typed arrays are copied cheaply). */
  export(): HostCounts {
    return { keys: this.keys, counts: this.counts, others: [...this.others].map(([h, c]): [string, number] => [h, c.n]) };
  }

  /** Adds `other`'s counts. */
  merge(other: HostCounts): void {
    const { keys, counts } = other;
    for (let i = 0; i < counts.length; i++) if (counts[i] !== 0) this.addV4(keys[i]!, counts[i]!);
    for (const [h, n] of other.others) this.add(h, n);
  }

  private addV4(key: number, n: number): void {
    const mask = this.counts.length - 1;
    let i = Math.imul(key, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const c = this.counts[i]!;
      if (c === 0) break;
      if (this.keys[i] === key) {
        this.counts[i] = c + n;
        return;
      }
      i = (i + 1) & mask;
    }
    this.keys[i] = key;
    this.counts[i] = n;
    // Half full at most: linear probing stays short.
    if (++this.used * 2 > this.counts.length) this.grow();
  }

  private grow(): void {
    const { keys, counts } = this;
    this.keys = new Int32Array(keys.length * 2);
    this.counts = new Int32Array(counts.length * 2);
    this.shift--;
    this.used = 0;
    for (let i = 0; i < counts.length; i++) if (counts[i] !== 0) this.addV4(keys[i]!, counts[i]!);
  }
}

export interface HostCounts {
  keys: Int32Array;
  counts: Int32Array;
  others: Array<[string, number]>;
}

function quad(k: number): string {
  return `${k >>> 24}.${(k >>> 16) & 255}.${(k >>> 8) & 255}.${k & 255}`;
}
