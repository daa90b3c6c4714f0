/**
 * A jail's `ignorecommand`: fail2ban asks it about each failure, and an exit
 * status of 0 means "never count this address". The answer comes from a
 * process, later; meanwhile the address's failures wait here, in order, so
 * that none is counted before the answer and none is lost. `ignorecache`
 * keeps answers for a while (without it, as in fail2ban, each failure asks
 * again, but failures that come while a question is open share its answer).
 */

export interface IgnoreCache {
  /** Answers kept at most this long, ms. */
  maxTimeMs: number;
  /** And at most this many; the oldest go first. */
  maxCount: number;
}

export class IgnoreCommandState<F> {
  private readonly answers = new Map<string, { ignored: boolean; until: number }>();
  private readonly waiting = new Map<string, F[]>();

  constructor(private readonly cache: IgnoreCache | null) {}

  /** The kept answer for `ip`, or undefined when the command must be asked. */
  answer(ip: string, now: number): boolean | undefined {
    const a = this.answers.get(ip);
    if (a === undefined) return undefined;
    if (a.until > now) return a.ignored;
    this.answers.delete(ip);
    return undefined;
  }

  /** Queue a failure; true when it is the first, and the command must be started. */
  wait(ip: string, failure: F): boolean {
    const list = this.waiting.get(ip);
    if (list !== undefined) {
      list.push(failure);
      return false;
    }
    this.waiting.set(ip, [failure]);
    return true;
  }

  /** The command answered: the failures that waited for it, in order. */
  settle(ip: string, ignored: boolean, now: number): F[] {
    const list = this.waiting.get(ip) ?? [];
    this.waiting.delete(ip);
    if (this.cache !== null && this.cache.maxCount > 0) {
      this.answers.delete(ip);
      this.answers.set(ip, { ignored, until: now + this.cache.maxTimeMs });
      while (this.answers.size > this.cache.maxCount) this.answers.delete(this.answers.keys().next().value!);
    }
    return list;
  }
}
