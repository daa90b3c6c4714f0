/** Counts per minute over the last `minutes`, for the UI's sparklines. */
export class RateSeries {
  private readonly buckets: number[];
  private headMinute = 0;

  constructor(private readonly minutes = 60) {
    this.buckets = new Array<number>(minutes).fill(0);
  }

  add(time: number, n = 1): void {
    const minute = Math.floor(time / 60_000);
    this.advance(minute);
    const age = this.headMinute - minute;
    if (age < 0 || age >= this.minutes) return;
    this.buckets[minute % this.minutes]! += n;
  }

  /** Oldest first, the current minute last. */
  series(now: number): number[] {
    this.advance(Math.floor(now / 60_000));
    const out: number[] = [];
    for (let i = this.minutes - 1; i >= 0; i--) out.push(this.buckets[(this.headMinute - i + this.minutes * 2) % this.minutes]!);
    return out;
  }

  private advance(minute: number): void {
    if (minute <= this.headMinute) return;
    const steps = Math.min(minute - this.headMinute, this.minutes);
    for (let i = 1; i <= steps; i++) this.buckets[(this.headMinute + i) % this.minutes] = 0;
    this.headMinute = minute;
  }
}
