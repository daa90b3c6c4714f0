/**
 * How the two threads of the parallel `bantop regex` share the file, in a
 * SharedArrayBuffer: the reading thread is busy and would not see a message
 * until it is done.
 *
 * When the worker says it is ready, the first thread cuts what is left into
 * chunks (byte ranges that start lines) and writes their bounds here. It then
 * claims chunks from the front as it reaches them, and the worker claims them
 * from the back; a chunk belongs to whoever claims it first. Whichever thread
 * is slower (this machine's cores differ in speed from minute to minute)
 * simply ends up with fewer chunks.
 */
export class SplitControl {
  static readonly MAX_CHUNKS = 64;
  readonly buffer: SharedArrayBuffer;
  private readonly flags: Int32Array;
  private readonly claims: Int32Array;
  private readonly bounds: Float64Array;

  constructor(buffer = new SharedArrayBuffer(16 + 4 * SplitControl.MAX_CHUNKS + 8 * (SplitControl.MAX_CHUNKS + 1))) {
    this.buffer = buffer;
    this.flags = new Int32Array(buffer, 0, 4);
    this.claims = new Int32Array(buffer, 16, SplitControl.MAX_CHUNKS);
    this.bounds = new Float64Array(buffer, 16 + 4 * SplitControl.MAX_CHUNKS, SplitControl.MAX_CHUNKS + 1);
  }

  /** In the worker: its first line runs, Node's boot is over. */
  booted(): void {
    Atomics.store(this.flags, BOOTED, 1);
    Atomics.notify(this.flags, BOOTED);
  }

  /** Waits until the worker has booted, at most `ms`; whether it has. */
  awaitBoot(ms: number): boolean {
    Atomics.wait(this.flags, BOOTED, 0, ms);
    return Atomics.load(this.flags, BOOTED) === 1;
  }

  workerReady(): boolean {
    return Atomics.load(this.flags, READY) === 1;
  }

  /**
   * Publishes the chunks: chunk k is bytes [bounds[k], bounds[k+1]). `owners`
   * assigns some chunks up front (tests: a fixed split); the rest are free.
   */
  decide(bounds: number[], owners: Array<typeof MAIN | typeof WORKER | typeof FREE> = []): void {
    const count = bounds.length - 1;
    if (count < 1 || count > SplitControl.MAX_CHUNKS) throw new Error(`bad chunk count ${count}`);
    bounds.forEach((b, i) => (this.bounds[i] = b));
    for (let k = 0; k < count; k++) Atomics.store(this.claims, k, owners[k] ?? FREE);
    Atomics.store(this.flags, COUNT, count);
    Atomics.store(this.flags, DECIDED, 1);
    Atomics.notify(this.flags, DECIDED);
  }

  cancel(): void {
    Atomics.store(this.flags, DECIDED, 2);
    Atomics.notify(this.flags, DECIDED);
  }

  /** In the worker: says it is ready and waits for the chunks; false when cancelled. */
  awaitChunks(): boolean {
    Atomics.store(this.flags, READY, 1);
    Atomics.wait(this.flags, DECIDED, 0);
    return Atomics.load(this.flags, DECIDED) === 1;
  }

  get chunkCount(): number {
    return Atomics.load(this.flags, COUNT);
  }

  /** Chunk k's bytes. */
  chunk(k: number): { start: number; end: number } {
    return { start: this.bounds[k]!, end: this.bounds[k + 1]! };
  }

  /** Takes chunk k for `who`, unless the other thread has it. */
  claim(k: number, who: typeof MAIN | typeof WORKER): boolean {
    const was = Atomics.compareExchange(this.claims, k, FREE, who);
    return was === FREE || was === who;
  }
}

export const FREE = 0;
export const MAIN = 1;
export const WORKER = 2;
const READY = 0;
const DECIDED = 1;
const COUNT = 2;
const BOOTED = 3;
