/**
 * Recent failures per address for one jail, bounded in memory.
 *
 * Each address keeps at most `maxretry` timestamps (older ones cannot change a
 * decision). Entries leave when their newest failure falls out of findtime.
 * Map insertion order doubles as LRU: a touched address moves to the end, and
 * past `capacity` the least recently seen is dropped and counted, so a flood of
 * a million one-shot addresses cannot grow memory without limit.
 */
export class FailureWindow {
  private readonly entries = new Map<string, number[]>();
  /** Addresses dropped because the window was full. */
  evicted = 0;
  private oldest: MapIterator<string> | undefined;

  constructor(
    private readonly findtimeMs: number,
    private readonly maxretry: number,
    private readonly capacity: number = 100_000,
  ) {}

  /** Record a failure at `time`; returns how many failures the address now has in the window. */
  add(ip: string, time: number, now: number): number {
    const horizon = now - this.findtimeMs;
    let times = this.entries.get(ip);
    if (times) this.entries.delete(ip);
    else times = [];
    let keep = 0;
    for (const t of times) if (t >= horizon) times[keep++] = t;
    times.length = keep;
    times.push(time);
    if (times.length > this.maxretry) times.splice(0, times.length - this.maxretry);
    this.entries.set(ip, times);
    if (this.entries.size > this.capacity) {
      // A fresh keys() iterator would walk past every slot deleted since the Map was last
      // compacted (each touch deletes one), making a flood quadratic. A live iterator kept
      // at the front resumes where it stopped and still sees moved keys at their new place.
      let next = this.oldest?.next();
      if (!next || next.done) {
        this.oldest = this.entries.keys();
        next = this.oldest.next();
      }
      this.entries.delete(next.value!);
      this.evicted++;
    }
    return times.length;
  }

  count(ip: string, now: number): number {
    const horizon = now - this.findtimeMs;
    return (this.entries.get(ip) ?? []).filter((t) => t >= horizon).length;
  }

  reset(ip: string): void {
    this.entries.delete(ip);
  }

  /** Drop addresses whose newest failure left the window. */
  prune(now: number): void {
    const horizon = now - this.findtimeMs;
    for (const [ip, times] of this.entries) {
      if (times[times.length - 1]! < horizon) this.entries.delete(ip);
    }
  }

  /** Failures still inside the window, over all addresses. */
  total(now: number): number {
    const horizon = now - this.findtimeMs;
    let n = 0;
    for (const times of this.entries.values()) for (const t of times) if (t >= horizon) n++;
    return n;
  }

  get size(): number {
    return this.entries.size;
  }
}
