import { LruMap } from '../util/lru-map.js';

/** One address's failures still in the window: their times, and the log lines of the most recent ones. */
interface Failures {
  times: number[];
  /** The lines of the last `lines.length` failures (fewer than `times` once shed, or for failures given without one); null for none. */
  lines: string[] | null;
}

/**
 * Recent failures per address for one jail, bounded in memory.
 *
 * Each address keeps at most `maxretry` timestamps (older ones cannot change a
 * decision). Entries leave when their newest failure falls out of findtime.
 * An LruMap: a touched address moves to the end, and past `capacity` the
 * least recently seen is dropped and counted, so a flood of
 * a million one-shot addresses cannot grow memory without limit.
 *
 * The log line of each failure is kept beside its time, so that a ban takes
 * the lines that earned it into its history (as fail2ban keeps a ticket's
 * matches). Here, not in a map of their own: a second map looked up and
 * reordered on every failure took a flood of a million addresses from 4.2-4.7
 * to 6.2-6.6 s. The lines held across all addresses are capped
 * (`lineBudget`): past it, the least recently failing addresses lose theirs
 * first, and a ban of one of them keeps no lines.
 */
export class FailureWindow {
  private readonly entries: LruMap<string, Failures>;
  /** Addresses dropped because the window was full. */
  evicted = 0;
  /** Lines held over all addresses. */
  private linesHeld = 0;
  /** Where shedding lines goes on from: a live iterator, least recently failing first. */
  private shedFrom: MapIterator<[string, Failures]> | undefined;

  constructor(
    private readonly findtimeMs: number,
    private readonly maxretry: number,
    capacity: number = 100_000,
    private readonly lineBudget: number = 20_000,
    private readonly lineLength: number = 500,
  ) {
    this.entries = new LruMap(capacity);
  }

  /** Record a failure at `time`, with its log line; returns how many failures the address now has in the window. */
  add(ip: string, time: number, now: number, line?: string): number {
    const kept = line === undefined ? undefined : line.length > this.lineLength ? `${line.slice(0, this.lineLength - 1)}…` : line;
    if (kept !== undefined) this.linesHeld++;
    let f = this.entries.get(ip);
    if (f === undefined) {
      // Arrays of one, not empty ones pushed to: a first push makes room for 17 (most flooding addresses fail once).
      f = { times: [time], lines: kept === undefined ? null : [kept] };
    } else {
      const horizon = now - this.findtimeMs;
      const times = f.times;
      let keep = 0;
      for (const t of times) if (t >= horizon) times[keep++] = t;
      times.length = keep;
      times.push(time);
      if (times.length > this.maxretry) times.splice(0, times.length - this.maxretry);
      if (kept !== undefined) (f.lines ??= []).push(kept);
      const lines = f.lines;
      if (lines !== null && lines.length > times.length) this.linesHeld -= lines.splice(0, lines.length - times.length).length;
    }
    const dropped = this.entries.set(ip, f);
    if (dropped !== undefined) {
      this.evicted++;
      this.linesHeld -= dropped[1].lines?.length ?? 0;
    }
    if (this.linesHeld > this.lineBudget) this.shedLines();
    return f.times.length;
  }

  /** The lines of the address's failures in the window, most recent last; its failures are forgotten. */
  take(ip: string): string[] {
    const f = this.entries.get(ip);
    if (f === undefined) return [];
    this.linesHeld -= f.lines?.length ?? 0;
    this.entries.delete(ip);
    return f.lines ?? [];
  }

  count(ip: string, now: number): number {
    const horizon = now - this.findtimeMs;
    return (this.entries.get(ip)?.times ?? []).filter((t) => t >= horizon).length;
  }

  reset(ip: string): void {
    this.take(ip);
  }

  /** Drop addresses whose newest failure left the window. */
  prune(now: number): void {
    const horizon = now - this.findtimeMs;
    for (const [ip, f] of this.entries.entries()) {
      if (f.times[f.times.length - 1]! < horizon) {
        this.linesHeld -= f.lines?.length ?? 0;
        this.entries.delete(ip);
      }
    }
  }

  /** Failures still inside the window, over all addresses. */
  total(now: number): number {
    const horizon = now - this.findtimeMs;
    let n = 0;
    for (const f of this.entries.values()) for (const t of f.times) if (t >= horizon) n++;
    return n;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Lines held over all addresses (at most `lineBudget`). */
  get lineCount(): number {
    return this.linesHeld;
  }

  /** Down to nine tenths of the budget, so that shedding runs once per many failures, not on each. */
  private shedLines(): void {
    const target = Math.floor(this.lineBudget * 0.9);
    // One pass over every address at most: a count that had gone wrong must not hang the engine.
    let restarts = 0;
    while (this.linesHeld > target) {
      let next = this.shedFrom?.next();
      if (next === undefined || next.done === true) {
        if (++restarts > 1) return;
        this.shedFrom = this.entries.entries();
        next = this.shedFrom.next();
        if (next.done === true) return;
      }
      const f = next.value[1];
      this.linesHeld -= f.lines?.length ?? 0;
      f.lines = null;
    }
  }
}
