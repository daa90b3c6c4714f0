/**
 * Turns byte chunks into whole lines. A partial last line is held (as bytes)
 * until its newline arrives, so a line written in two parts is read once,
 * whole. Decoding happens once per chunk, not per line: this is the hot path
 * of both `bantop regex` and the tailer.
 */
export class LineSplitter {
  private pending: Buffer | null = null;

  /**
   * Returns the complete lines in `chunk` (plus any held partial line) and how
   * many bytes of input those lines used, newline included.
   */
  push(chunk: Buffer): { lines: string[]; bytes: number } {
    const lastNl = chunk.lastIndexOf(10);
    if (lastNl < 0) {
      this.pending = this.pending ? Buffer.concat([this.pending, chunk]) : Buffer.from(chunk);
      return { lines: [], bytes: 0 };
    }
    let head = chunk.subarray(0, lastNl);
    let bytes = lastNl + 1;
    if (this.pending) {
      bytes += this.pending.length;
      head = Buffer.concat([this.pending, head]);
      this.pending = null;
    }
    const rest = chunk.subarray(lastNl + 1);
    if (rest.length) this.pending = Buffer.from(rest);
    return { lines: head.toString('utf8').split('\n'), bytes };
  }

  /** Bytes of a partial line waiting for its newline. */
  get pendingLength(): number {
    return this.pending?.length ?? 0;
  }

  /** The partial line, for a file that ends without a newline (batch tools read it at EOF). */
  flush(): string | null {
    const p = this.pending;
    this.pending = null;
    return p && p.length ? p.toString('utf8') : null;
  }

  reset(): void {
    this.pending = null;
  }
}
