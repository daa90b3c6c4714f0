/**
 * The `<F-MLFID>` session cache, sized and aged as fail2ban's: at most 100
 * sessions, each forgotten 5 minutes after it was opened. When full, the
 * oldest session goes first. The limits matter for compatibility: a session
 * that fail2ban has forgotten no longer lends its host or its pending failure
 * to a later line, so a larger cache would report failures fail2ban does not.
 */
export class SessionCache<V extends { expires: number }> {
  private entries = new Map<string, V>();
  private changes = 0;
  /**
   * The sessions in the order they were opened, with their keys, from `head`
   * on. A session deleted since is skipped when its turn comes; comparing the
   * session itself tells a reopened key from its old place in the queue.
   * (Walking the Map for its oldest entry allocated an iterator and an entry
   * pair per step, once per new session.)
   */
  private queueKeys: string[] = [];
  private queueValues: V[] = [];
  private head = 0;

  constructor(
    private readonly maxCount = 100,
    private readonly maxAgeMs = 5 * 60_000,
  ) {}

  get(key: string, now: number): V | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (e.expires > now) return e;
    this.delete(key);
    return undefined;
  }

  /** Opens a session (callers only set keys that are not cached); sets its expiry. */
  set(key: string, value: V, now: number): void {
    if (this.entries.size >= this.maxCount) {
      // Expired sessions at the front go too; the first live one makes room and ends the sweep.
      while (this.head < this.queueKeys.length) {
        const k = this.queueKeys[this.head]!;
        const e = this.queueValues[this.head]!;
        this.head++;
        if (this.entries.get(k) !== e) continue;
        this.entries.delete(k);
        if (e.expires > now && this.entries.size < this.maxCount) break;
      }
    }
    value.expires = now + this.maxAgeMs;
    this.entries.set(key, value);
    this.queueKeys.push(key);
    this.queueValues.push(value);
    this.changed();
  }

  delete(key: string): void {
    if (this.entries.delete(key)) this.changed();
  }

  /** The sessions, oldest first. */
  list(): Array<[string, V]> {
    return [...this.entries];
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * A Map that keeps taking and dropping entries rebuilds its table every
   * few dozen changes. Once the Map has aged into V8's old generation, each
   * discarded table still points at young sessions, and every minor GC keeps
   * them alive: measured, 1.5 MB survived each scavenge and GC took a fifth of
   * `bantop regex`. A fresh Map every 256 changes dies young instead.
   */
  private changed(): void {
    if (++this.changes < 256) return;
    this.changes = 0;
    this.entries = new Map(this.entries);
    // The queue is renewed with the Map: the part already walked goes.
    this.queueKeys = this.queueKeys.slice(this.head);
    this.queueValues = this.queueValues.slice(this.head);
    this.head = 0;
  }
}
