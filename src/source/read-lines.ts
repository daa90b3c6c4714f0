import { closeSync, openSync, readSync } from 'node:fs';
import { emptyLines, LineSplitter } from './line-splitter.js';

const CHUNK = 64 * 1024;

/**
 * The lines in bytes [start, end) of a file, one by one, for batch use
 * (`bantop regex`); `start` must begin a line. A last line without a newline
 * is read at the end of the file. An `end` given as a function is asked again
 * before each read, with the position reached, so a caller can set where to
 * stop while it reads.
 *
 * Pulled with next() rather than pushed to a callback: the loop that handles
 * the lines is the caller's own, so V8 optimises it for the one thing it
 * calls. A shared loop calling each caller's callback (a new closure for
 * every chunk `bantop regex`'s worker reads) kept throwing its optimised code
 * away ("wrong call target") and paying for it again.
 */
export class LineReader {
  private readonly fd: number;
  private readonly buf = Buffer.allocUnsafe(CHUNK);
  private readonly splitter = new LineSplitter();
  private readonly endAt: (pos: number) => number;
  private pos: number;
  private batch: string[] = emptyLines();
  private i = 0;
  private eof = false;

  constructor(path: string, start: number, end: number | ((pos: number) => number)) {
    this.endAt = typeof end === 'number' ? () => end : end;
    this.pos = start;
    this.fd = openSync(path, 'r');
  }

  /** The next line, or null at the end (then the file is closed). */
  next(): string | null {
    if (this.i < this.batch.length) return this.batch[this.i++]!;
    return this.refill();
  }

  /** Closes the file early (next() closes it at the end). */
  close(): void {
    if (this.eof) return;
    this.eof = true;
    closeSync(this.fd);
  }

  private refill(): string | null {
    while (!this.eof) {
      const stop = this.endAt(this.pos);
      const got = this.pos < stop ? readSync(this.fd, this.buf, 0, Math.min(CHUNK, stop - this.pos), this.pos) : 0;
      if (got === 0) {
        const last = this.splitter.flush();
        this.close();
        return last;
      }
      this.pos += got;
      this.batch = this.splitter.push(this.buf.subarray(0, got)).lines;
      this.i = 0;
      if (this.batch.length > 0) return this.batch[this.i++]!;
    }
    return null;
  }
}
