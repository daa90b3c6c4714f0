/**
 * The `<F-MLFID>` session cache, sized and aged as fail2ban's: at most 100
 * sessions, each forgotten 5 minutes after it was opened. When full, the
 * oldest session goes first. The limits matter for compatibility: a session
 * that fail2ban has forgotten no longer lends its host or its pending failure
 * to a later line, so a larger cache would report failures fail2ban does not.
 *
 * Most failure lines of sshd open a session of their own, so the cache is
 * read and written once per such line. The sessions sit in a ring in the
 * order they were opened, and a Map finds a session's place in the ring.
 * The Map holds small integers only: a Map holding the sessions themselves
 * had to be renewed every 256 changes (once it had aged into V8's old
 * generation, its discarded tables kept young sessions alive through every
 * minor GC), and walking it for its oldest entry allocated on every step.
 */
export class SessionCache<V extends { expires: number }> {
  /** From `head` to `tail` (counters; the slot is `& mask`). A closed session leaves a hole. */
  private keys: Array<string | undefined>;
  private values: Array<V | undefined>;
  private readonly mask: number;
  private head = 0;
  private tail = 0;
  private readonly slots = new Map<string, number>();

  constructor(
    private readonly maxCount = 100,
    private readonly maxAgeMs = 5 * 60_000,
  ) {
    // Room for twice the sessions: the ring is compacted at most once every maxCount opens.
    let ring = 16;
    while (ring < 2 * maxCount) ring *= 2;
    this.keys = new Array<string | undefined>(ring).fill(undefined);
    this.values = new Array<V | undefined>(ring).fill(undefined);
    this.mask = ring - 1;
  }

  get(key: string, now: number): V | undefined {
    const r = this.slots.get(key);
    if (r === undefined) return undefined;
    const e = this.values[r]!;
    if (e.expires > now) return e;
    this.removeAt(key, r);
    return undefined;
  }

  /** Opens a session (callers only set keys that are not cached); sets its expiry. */
  set(key: string, value: V, now: number): void {
    if (this.slots.size >= this.maxCount) {
      // fail2ban's popitem loop: expired sessions at the front go, and the first live one makes room and ends the sweep.
      while (this.head < this.tail) {
        const r = this.head & this.mask;
        this.head++;
        const k = this.keys[r];
        if (k === undefined) continue;
        const e = this.values[r]!;
        this.removeAt(k, r);
        if (e.expires > now && this.slots.size < this.maxCount) break;
      }
    }
    if (this.tail - this.head > this.mask) this.compact();
    value.expires = now + this.maxAgeMs;
    const r = this.tail & this.mask;
    this.tail++;
    this.keys[r] = key;
    this.values[r] = value;
    this.slots.set(key, r);
  }

  delete(key: string): void {
    const r = this.slots.get(key);
    if (r !== undefined) this.removeAt(key, r);
  }

  /** The sessions, oldest first. */
  list(): Array<[string, V]> {
    const out: Array<[string, V]> = [];
    for (let p = this.head; p < this.tail; p++) {
      const r = p & this.mask;
      const k = this.keys[r];
      if (k !== undefined) out.push([k, this.values[r]!]);
    }
    return out;
  }

  get size(): number {
    return this.slots.size;
  }

  private removeAt(key: string, r: number): void {
    this.keys[r] = undefined;
    this.values[r] = undefined;
    this.slots.delete(key);
  }

  /** The ring is full of holes: the open sessions move to its front, in order. */
  private compact(): void {
    const open = this.list();
    this.keys.fill(undefined);
    this.values.fill(undefined);
    open.forEach(([k, v], r) => {
      this.keys[r] = k;
      this.values[r] = v;
      this.slots.set(k, r);
    });
    this.head = 0;
    this.tail = open.length;
  }
}
