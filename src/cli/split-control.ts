/**
 * Where the worker starts, shared without messages: this thread is busy
 * reading and would not see a message until it is done. The worker says it is
 * ready; this thread then writes the cut (or cancels) and wakes it.
 */
export class SplitControl {
  readonly buffer: SharedArrayBuffer;
  private readonly flags: Int32Array;
  private readonly at: Float64Array;

  constructor(buffer = new SharedArrayBuffer(16)) {
    this.buffer = buffer;
    this.flags = new Int32Array(buffer, 0, 2);
    this.at = new Float64Array(buffer, 8, 1);
  }

  workerReady(): boolean {
    return Atomics.load(this.flags, READY) === 1;
  }

  decide(cut: number): void {
    this.at[0] = cut;
    Atomics.store(this.flags, DECIDED, 1);
    Atomics.notify(this.flags, DECIDED);
  }

  cancel(): void {
    Atomics.store(this.flags, DECIDED, 2);
    Atomics.notify(this.flags, DECIDED);
  }

  /** In the worker: says it is ready, waits, and returns the cut, or null when cancelled. */
  awaitCut(): number | null {
    Atomics.store(this.flags, READY, 1);
    Atomics.wait(this.flags, DECIDED, 0);
    return Atomics.load(this.flags, DECIDED) === 1 ? this.at[0]! : null;
  }
}
const READY = 0;
const DECIDED = 1;
