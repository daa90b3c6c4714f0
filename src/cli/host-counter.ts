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
  /**
   * The slots in use, in the order their hosts came: what reads every count
   * (merging, the top hosts, export) walks these instead of the whole table.
   * It runs once, at the end of `bantop regex`, before V8 has optimised it,
   * over tables of 131,072 slots: 15-25 ms of the command's last moments.
   */
  private order: Int32Array;
  private used = 0;
  private shift: number;
  /**
   * Counts by host text. Plain numbers, set again on each failure: a counter
   * object per host was allocated where the reading loop inlines this, and
   * once V8 chose to allocate those in the old generation it threw that
   * loop's code away.
   */
  private readonly others = new Map<string, number>();

  /**
   * `capacity`: a power of two, the table's starting size. Small by default,
   * so that the first tables grow within the first few hundred hosts, while
   * V8 still gathers feedback: growing first in optimised code threw away the
   * code of the loop that reads every line, once per growth (5 times over a
   * million sshd lines, 5-7 ms of compiling each time).
   */
  constructor(capacity = 16) {
    this.keys = new Int32Array(capacity);
    this.counts = new Int32Array(capacity);
    this.order = new Int32Array(capacity / 2 + 1);
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
    // A known host keeps the key stored when it was new.
    this.others.set(c === undefined ? detach(host) : host, (c ?? 0) + n);
  }

  /** Forgets every count (the table keeps its size). */
  clear(): void {
    for (let k = 0; k < this.used; k++) {
      const s = this.order[k]!;
      this.keys[s] = 0;
      this.counts[s] = 0;
    }
    this.used = 0;
    this.others.clear();
  }

  get size(): number {
    return this.used + this.others.size;
  }

  /** Every host with its count, in no particular order. */
  toMap(): Map<string, number> {
    const out = new Map<string, number>();
    const { keys, counts, order } = this;
    for (let k = 0; k < this.used; k++) out.set(quad(keys[order[k]!]!), counts[order[k]!]!);
    for (const [h, c] of this.others) if (c !== 0) out.set(h, c);
    return out;
  }

  /**
   * The `n` hosts with the most failures, most first, ties by host text.
   * The counts are ranked as numbers: only hosts that can make the top `n`
   * become strings. It runs once, at the end of `bantop regex`, in code V8
   * has not optimised: one pass with no call per host took 1.5-2 ms for
   * 50,000 hosts, against 6-16 ms for a pass that ranked with a call per
   * host and a second that picked (and 10 ms for a closure per host before).
   */
  top(n: number): Array<[string, number]> {
    if (n <= 0) return [];
    // The n largest counts so far, and the hosts that reached them when seen: a few more than n, and every
    // one of the top n among them (the floor only rises). One pass, with a call only when the ranking changes.
    const best = new Int32Array(n);
    for (const c of this.others.values()) if (c > best[n - 1]!) rank(best, c);
    const kept: number[] = [];
    const { keys, counts, order, used } = this;
    let low = Math.max(1, best[n - 1]!);
    for (let k = 0; k < used; k++) {
      const c = counts[order[k]!]!;
      if (c < low) continue;
      kept.push(order[k]!);
      if (c > best[n - 1]!) low = Math.max(1, rank(best, c));
    }
    const floor = low;
    const picked: Array<[string, number]> = [];
    for (const s of kept) if (counts[s]! >= floor) picked.push([quad(keys[s]!), counts[s]!]);
    for (const [h, c] of this.others) if (c >= floor) picked.push([h, c]);
    picked.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return picked.length > n ? picked.slice(0, n) : picked;
  }

  /**
   * The counts as plain data, for a thread to post. Copies of the table's
   * arrays (native copies; the loop that picked the hosts in use ran once per
   * run, in code V8 had not optimised, 5-8 ms for 50,000 hosts at the end of
   * `bantop regex`), and the other hosts as one text: posting a pair per
   * host cost a structured clone per pair.
   */
  export(): HostCounts {
    return { keys: this.keys.slice(), counts: this.counts.slice(), order: this.order.slice(0, this.used), ...this.othersAsData() };
  }

  /**
   * The counts as export() gives them, in this counter's own tables, which
   * it hands over: it must not be used after. For a thread to transfer
   * (countsBuffers) instead of copying: posted, the copies of a worker's
   * tables (1.4 MB at the end of a million sshd lines) took 5-9 ms to
   * serialise and as long to read on the first thread, in fresh memory.
   */
  handOver(): HostCounts {
    const out = { keys: this.keys, counts: this.counts, order: this.order.subarray(0, this.used), ...this.othersAsData() };
    this.keys = this.counts = this.order = new Int32Array(0);
    this.used = 0;
    this.others.clear();
    return out;
  }

  /** The hosts counted by text, as HostCounts holds them. */
  private othersAsData(): Pick<HostCounts, 'others' | 'otherCounts'> {
    const names: string[] = [];
    const otherCounts = new Int32Array(this.others.size);
    for (const [h, c] of this.others) otherCounts[names.push(h) - 1] = c;
    return { others: names.join('\n'), otherCounts };
  }

  /**
   * Adds `other`'s counts, in the order of its table's slots rather than the
   * order its hosts came: both tables place a host by the same hash, so this
   * table is then probed almost from one end to the other, not at random. At
   * the end of `bantop regex` (50,000 hosts each, in code V8 has not
   * optimised): 3.3-3.6 ms, against 8-10 ms.
   */
  merge(other: HostCounts): void {
    this.mergeTable(other.keys, other.counts);
    if (other.otherCounts.length !== 0) this.mergeOthers(other.others, other.otherCounts);
  }

  private mergeTable(keys: Int32Array, counts: Int32Array): void {
    for (let s = 0; s < counts.length; s++) {
      const c = counts[s]!;
      if (c !== 0) this.addV4(keys[s]!, c);
    }
  }

  /** A host outside the table is never a canonical quad (addHost): no need to look again. No host holds a newline. */
  private mergeOthers(others: string, counts: Int32Array): void {
    const names = others.split('\n');
    for (let i = 0; i < names.length; i++) this.addHost(names[i]!, -1, counts[i]!);
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
    this.order[this.used] = i;
    // Half full at most: linear probing stays short.
    if (++this.used * 2 > this.counts.length) this.grow();
  }

  /**
   * Twice the slots, every host placed again. Its own probe loop, not
   * addV4(): V8 compiles a long loop while it runs, with what it calls
   * inlined, and a loop calling addV4 (which may call grow()) took 12 ms to
   * compile, in each thread, at the end of a run.
   */
  private grow(): void {
    const { keys, counts, order, used } = this;
    const size = keys.length * 2;
    const mask = size - 1;
    const shift = this.shift - 1;
    const k2 = new Int32Array(size);
    const c2 = new Int32Array(size);
    const o2 = new Int32Array(size / 2 + 1);
    for (let k = 0; k < used; k++) {
      const s = order[k]!;
      const key = keys[s]!;
      let i = Math.imul(key, 0x9e3779b1) >>> shift;
      while (c2[i] !== 0) i = (i + 1) & mask;
      k2[i] = key;
      c2[i] = counts[s]!;
      o2[k] = i;
    }
    this.keys = k2;
    this.counts = c2;
    this.order = o2;
    this.shift = shift;
  }
}

/** Puts `c` among the largest counts `best` (descending), the smallest dropping out; the new smallest. */
function rank(best: Int32Array, c: number): number {
  let i = best.length - 1;
  for (; i > 0 && best[i - 1]! < c; i--) best[i] = best[i - 1]!;
  best[i] = c;
  return best[best.length - 1]!;
}

/** The memory of `c`'s arrays, to transfer to another thread (see HostCounter.handOver). */
export function countsBuffers(c: HostCounts): ArrayBuffer[] {
  return [c.keys, c.counts, c.order, c.otherCounts].map((a) => a.buffer as ArrayBuffer);
}

/** A HostCounter as plain data (export(), handOver()). */
export interface HostCounts {
  /** The open-addressing table: a count of 0 is an empty slot. */
  keys: Int32Array;
  counts: Int32Array;
  /** The table's slots in use, in the order their hosts came. */
  order: Int32Array;
  /** The hosts counted by text (not canonical quads), joined by newlines, and their counts. */
  others: string;
  otherCounts: Int32Array;
}

function quad(k: number): string {
  return `${k >>> 24}.${(k >>> 16) & 255}.${(k >>> 8) & 255}.${k & 255}`;
}
