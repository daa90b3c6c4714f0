/**
 * The `<F-MLFID>` session cache, sized and aged as fail2ban's: at most 100
 * sessions, each forgotten 5 minutes after it was opened. When full, the
 * oldest session goes first. The limits matter for compatibility: a session
 * that fail2ban has forgotten no longer lends its host or its pending failure
 * to a later line, so a larger cache would report failures fail2ban does not.
 *
 * Most failure lines of sshd open a session of their own, so the cache is
 * read and written once per such line. The sessions sit in a ring in the
 * order they were opened (the oldest is found without walking anything),
 * found through a small open-addressing index with a hash of our own. Not a
 * Map: a Map that keeps taking young string keys and dropping old ones makes
 * V8 promote about 100 bytes a line into the old generation (measured: 34 MB
 * over a million sshd lines, with the Map renewed every 256 sessions; 97 MB
 * without), which cost more than the filter's own work after a match.
 */
export class SessionCache<V extends { expires: number }> {
  /** The sessions in the order they were opened, from `head` to `tail` (counters; the slot is `& ringMask`). A closed session leaves a hole. */
  private keys: Array<string | undefined>;
  private values: Array<V | undefined>;
  private hashes: Int32Array;
  private readonly ringMask: number;
  private head = 0;
  private tail = 0;
  private live = 0;
  /** Hash index: a ring slot + 1, EMPTY or GONE. */
  private readonly index: Int32Array;
  private readonly indexMask: number;
  private gone = 0;
  private lastKey = '';
  private lastHash = hashOf('');

  constructor(
    private readonly maxCount = 100,
    private readonly maxAgeMs = 5 * 60_000,
  ) {
    // Twice the sessions: the ring fills with holes at most every maxCount closes before it is compacted.
    const ring = pow2AtLeast(2 * maxCount);
    this.keys = new Array<string | undefined>(ring).fill(undefined);
    this.values = new Array<V | undefined>(ring).fill(undefined);
    this.hashes = new Int32Array(ring);
    this.ringMask = ring - 1;
    this.index = new Int32Array(2 * ring);
    this.indexMask = 2 * ring - 1;
  }

  get(key: string, now: number): V | undefined {
    // Hashed afresh, not compared with the last key: a lookup's key is a new string, and comparing two equally
    // long strings cut from log lines is a call into V8's C++ (0.6% of `bantop regex`, valgrind's count).
    const h = hashOf(key);
    this.lastKey = key;
    this.lastHash = h;
    const at = this.find(key, h);
    if (at < 0) return undefined;
    const e = this.values[this.index[at]! - 1]!;
    if (e.expires > now) return e;
    this.removeAt(at);
    return undefined;
  }

  /** Opens a session (callers only set keys that are not cached); sets its expiry. */
  set(key: string, value: V, now: number): void {
    if (this.live >= this.maxCount) {
      // fail2ban's popitem loop: expired sessions at the front go, and the first live one makes room and ends the sweep.
      while (this.head < this.tail) {
        const r = this.head & this.ringMask;
        this.head++;
        const k = this.keys[r];
        if (k === undefined) continue;
        const e = this.values[r]!;
        this.removeAt(this.find(k, this.hashes[r]!));
        if (e.expires > now && this.live < this.maxCount) break;
      }
    }
    if (this.tail - this.head > this.ringMask) this.compact();
    value.expires = now + this.maxAgeMs;
    const h = this.hashFor(key);
    const r = this.tail & this.ringMask;
    this.tail++;
    this.keys[r] = key;
    this.values[r] = value;
    this.hashes[r] = h;
    this.live++;
    this.place(h, r);
    // Holes left by closed sessions lengthen every probe: rebuilt when they outnumber the sessions.
    if (this.gone > this.maxCount) this.reindex();
  }

  delete(key: string): void {
    const at = this.find(key, this.hashFor(key));
    if (at >= 0) this.removeAt(at);
  }

  /** The sessions, oldest first. */
  list(): Array<[string, V]> {
    const out: Array<[string, V]> = [];
    for (let p = this.head; p < this.tail; p++) {
      const r = p & this.ringMask;
      const k = this.keys[r];
      if (k !== undefined) out.push([k, this.values[r]!]);
    }
    return out;
  }

  get size(): number {
    return this.live;
  }

  /** The hash of `key`: a set() or delete() follows a get() of the same key (the same string: compared in a step), which has hashed it already. */
  private hashFor(key: string): number {
    if (key !== this.lastKey) {
      this.lastKey = key;
      this.lastHash = hashOf(key);
    }
    return this.lastHash;
  }

  /** The index slot that holds `key`, or -1. */
  private find(key: string, h: number): number {
    for (let i = h & this.indexMask; ; i = (i + 1) & this.indexMask) {
      const e = this.index[i]!;
      if (e === EMPTY) return -1;
      if (e > 0 && this.hashes[e - 1] === h && this.keys[e - 1] === key) return i;
    }
  }

  private removeAt(at: number): void {
    const r = this.index[at]! - 1;
    this.keys[r] = undefined;
    this.values[r] = undefined;
    this.index[at] = GONE;
    this.gone++;
    this.live--;
  }

  /** The ring is full of holes: the open sessions move to its front, in order. */
  private compact(): void {
    const keys = new Array<string | undefined>(this.keys.length).fill(undefined);
    const values = new Array<V | undefined>(this.keys.length).fill(undefined);
    const hashes = new Int32Array(this.keys.length);
    let n = 0;
    for (let p = this.head; p < this.tail; p++) {
      const r = p & this.ringMask;
      if (this.keys[r] === undefined) continue;
      keys[n] = this.keys[r];
      values[n] = this.values[r];
      hashes[n] = this.hashes[r]!;
      n++;
    }
    this.keys = keys;
    this.values = values;
    this.hashes = hashes;
    this.head = 0;
    this.tail = n;
    this.reindex();
  }

  private reindex(): void {
    this.index.fill(EMPTY);
    this.gone = 0;
    for (let p = this.head; p < this.tail; p++) {
      const r = p & this.ringMask;
      if (this.keys[r] !== undefined) this.place(this.hashes[r]!, r);
    }
  }

  /** Enters ring slot `r` in the index, in the first free or closed place from its hash. */
  private place(h: number, r: number): void {
    let i = h & this.indexMask;
    while (this.index[i]! > 0) i = (i + 1) & this.indexMask;
    if (this.index[i] === GONE) this.gone--;
    this.index[i] = r + 1;
  }
}

const EMPTY = 0;
const GONE = -1;

/**
 * FNV-1a over the length and the last 8 UTF-16 code units. The key is a
 * slice of a log line (sshd's "host sshd[pid]: "), whose characters are
 * slow to read one by one (about 30 instructions each): the whole key cost
 * 2-3% of `bantop regex`, its last 12 characters 1.3%, its last 8 0.7%. What
 * tells two sessions apart (the pid, a session id) sits at the key's end:
 * 8 characters hold sshd's "[60400]: " but for its bracket; keys that share
 * their last 8 characters and their length only probe a little further,
 * among at most 100 sessions.
 */
function hashOf(s: string): number {
  const n = s.length;
  let h = Math.imul(0x811c9dc5 ^ n, 0x01000193);
  for (let i = n > TAIL ? n - TAIL : 0; i < n; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}

const TAIL = 8;

function pow2AtLeast(n: number): number {
  let p = 16;
  while (p < n) p *= 2;
  return p;
}
