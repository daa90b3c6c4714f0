import { isAscii } from 'node:buffer';
import { emptyListOf } from '../util/empty-list.js';
import type { LineDecoder } from './log-encoding.js';

/**
 * Turns byte chunks into whole lines. A partial last line is held (as bytes)
 * until its newline arrives, so a line written in two parts is read once,
 * whole. This is the hot path of both `bantop regex` and the tailer.
 *
 * Each line is decoded on its own rather than cut out of one decoded chunk:
 * the tailer's lines end up in the engine's state (failure windows, the log
 * tail), and a line, or a part of one, kept there would pin its whole chunk.
 * The batch reader (read-lines.ts) does cut its lines out of one decoded
 * read, where the few strings kept are copied.
 */
export class LineSplitter {
  private pending: Buffer | null = null;

  /** `decode`: a jail's logencoding other than UTF-8 (log-encoding.ts); null for UTF-8. */
  constructor(private readonly decode: LineDecoder | null = null) {}

  /**
   * Returns the complete lines in `chunk` (plus any held partial line) and how
   * many bytes of input those lines used, newline included.
   */
  push(chunk: Buffer): { lines: string[]; bytes: number } {
    const lastNl = chunk.lastIndexOf(10);
    if (lastNl < 0) {
      this.pending = this.pending ? Buffer.concat([this.pending, chunk]) : Buffer.from(chunk);
      return { lines: emptyListOf(''), bytes: 0 };
    }
    let bytes = lastNl + 1;
    const lines: string[] = [];
    let from = 0;
    if (this.pending) {
      // Only the held part and the rest of its line are joined: copying the whole chunk behind
      // them cost a memcpy of every byte read.
      const firstNl = chunk.indexOf(10);
      const first = Buffer.concat([this.pending, chunk.subarray(0, firstNl)]);
      lines.push(this.decode !== null ? this.decode(first, 0, first.length) : first.toString(isAscii(first) ? 'latin1' : 'utf8'));
      bytes += this.pending.length;
      this.pending = null;
      from = firstNl + 1;
    }
    const rest = chunk.subarray(lastNl + 1);
    if (rest.length) this.pending = Buffer.from(rest);
    if (from <= lastNl) splitDecoded(chunk.subarray(from, lastNl + 1), lines, this.decode);
    return { lines, bytes };
  }

  /** Bytes of a partial line waiting for its newline. */
  get pendingLength(): number {
    return this.pending?.length ?? 0;
  }

  /** The partial line, for a file that ends without a newline (batch tools read it at EOF). */
  flush(): string | null {
    const p = this.pending;
    this.pending = null;
    return p && p.length ? (this.decode !== null ? this.decode(p, 0, p.length) : p.toString('utf8')) : null;
  }

  reset(): void {
    this.pending = null;
  }
}

/** Appends the lines of `buf`, which ends with a newline. */
function splitDecoded(buf: Buffer, lines: string[], decode: LineDecoder | null): void {
  // ASCII decodes the same as latin1, which is the cheapest decoder; anything else goes through UTF-8
  // (invalid sequences become U+FFFD, as with a whole-chunk decode: a newline never sits inside one).
  const enc = isAscii(buf) ? 'latin1' : 'utf8';
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(10, start);
    if (nl < 0) break;
    lines.push(decode !== null ? decode(buf, start, nl) : buf.toString(enc, start, nl));
    start = nl + 1;
  }
}
