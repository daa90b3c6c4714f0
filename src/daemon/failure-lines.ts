/**
 * The log lines of the failures still counting towards a ban, per jail and
 * address, so that a ban can keep the lines that caused it in its history (as
 * fail2ban keeps a ticket's matches in its database). Bounded both ways: a few
 * lines per address, each cut to a display length, and a number of addresses
 * beyond which the least recently failing one is dropped.
 */
export class PendingFailureLines {
  private readonly byKey = new Map<string, string[]>();

  constructor(
    private readonly maxAddresses = 10_000,
    private readonly perAddress = 50,
    private readonly lineLength = 500,
  ) {}

  get size(): number {
    return this.byKey.size;
  }

  /** `keep`: the jail's maxretry, the most failures a ban can take (its window starts afresh after each ban). */
  add(jail: string, ip: string, line: string, keep = this.perAddress): void {
    const key = `${jail} ${ip}`;
    let lines = this.byKey.get(key);
    if (lines) {
      this.byKey.delete(key); // to the back: the least recent address is the first one
    } else {
      lines = [];
      if (this.byKey.size >= this.maxAddresses) this.byKey.delete(this.byKey.keys().next().value!);
    }
    this.byKey.set(key, lines);
    lines.push(line.length > this.lineLength ? `${line.slice(0, this.lineLength - 1)}…` : line);
    if (lines.length > Math.min(keep, this.perAddress)) lines.shift();
  }

  /**
   * The lines of the last `count` failures (those in the window that just
   * earned a ban), forgetting them all: the window starts afresh after a ban.
   */
  take(jail: string, ip: string, count: number): string[] {
    const key = `${jail} ${ip}`;
    const lines = this.byKey.get(key);
    if (!lines) return [];
    this.byKey.delete(key);
    return count > 0 ? lines.slice(-count) : [];
  }

}
