import { isAscii } from 'node:buffer';
import { closeSync, openSync, readSync } from 'node:fs';
import type { LineDecoder } from './log-encoding.js';

const CHUNK = 64 * 1024;
/**
 * The first read's size; each read after it doubles, up to CHUNK. A caller
 * that sets where to stop while it reads (the parallel `bantop regex`, which
 * cuts the file when its worker is ready) is asked again after each read, and
 * its first reads run in code V8 has not compiled yet: a first read of 64 KB
 * took 10-25 ms there, while the ready worker waited for its chunks.
 */
const FIRST = 8 * 1024;

/**
 * The lines in bytes [start, end) of a file, one by one, for batch use
 * (`bantop regex`); `start` must begin a line. A last line without a newline
 * is read at the end of the file. An `end` given as a function is asked again
 * before each read, with the position reached, so a caller can set where to
 * stop while it reads.
 *
 * Each read is decoded once, whole lines only, and the lines are cut out of
 * that text: a cut is a view into it, not a copy. Decoding line by line took
 * two calls into Node's C++ per line (indexOf, toString), 145 against 50 ns
 * a line on the 1,000,000-line sshd log. A line is such a view, so whatever
 * keeps one long-term must copy it (util/detach.ts), as `bantop regex`'s host
 * counter does; the tailer, whose lines go into the engine's state, splits
 * line by line instead (line-splitter.ts). The bytes of a line that runs past
 * a read are read again with the next one: there is no partial line to hold.
 *
 * Pulled with next() rather than pushed to a callback: the loop that handles
 * the lines is the caller's own, so V8 optimises it for the one thing it
 * calls. A shared loop calling each caller's callback (a new closure for
 * every chunk `bantop regex`'s worker reads) kept throwing its optimised code
 * away ("wrong call target") and paying for it again.
 */
export class LineReader {
  private readonly fd: number;
  private buf = Buffer.allocUnsafe(FIRST);
  private readonly endAt: (pos: number) => number;
  /** The file offset after the last line decoded so far. */
  private pos: number;
  /** Whole lines, each with its newline. */
  private text = '';
  /** Where the next line starts in `text`. */
  private at = 0;
  private eof = false;
  /**
   * No line of the current read holds a NUL: the filter need not look for one
   * in each (a call into V8's C++ per line, 2% of `bantop regex`; once per
   * read it is a scan of 64 KB of a flat string).
   */
  nulFree = false;

  /** `decode`: a log encoding other than UTF-8 (log-encoding.ts); null for UTF-8. */
  constructor(path: string, start: number, end: number | ((pos: number) => number), private readonly decode: LineDecoder | null = null) {
    this.endAt = typeof end === 'number' ? () => end : end;
    this.pos = start;
    this.fd = openSync(path, 'r');
  }

  /** The next line, or null at the end (then the file is closed). */
  next(): string | null {
    const nl = this.text.indexOf('\n', this.at);
    if (nl < 0) return this.refill();
    const line = this.text.slice(this.at, nl);
    this.at = nl + 1;
    return line;
  }

  /** Closes the file early (next() closes it at the end). */
  close(): void {
    if (this.eof) return;
    this.eof = true;
    this.text = '';
    closeSync(this.fd);
  }

  private refill(): string | null {
    while (!this.eof) {
      const stop = this.endAt(this.pos);
      const want = Math.min(this.buf.length, stop - this.pos);
      const got = want > 0 ? readSync(this.fd, this.buf, 0, want, this.pos) : 0;
      if (got === 0) {
        this.close();
        return null;
      }
      const lastNl = this.buf.lastIndexOf(10, got - 1);
      if (lastNl < 0) {
        if (got === want && this.pos + got < stop) {
          // A line longer than the buffer: read it again into one twice the size.
          this.buf = Buffer.allocUnsafe(this.buf.length * 2);
          continue;
        }
        // The end of the range, or of the file, without a newline: the last line.
        this.pos += got;
        this.text = '';
        this.at = 0;
        this.nulFree = false;
        return this.decode !== null ? this.decode(this.buf, 0, got) : this.buf.toString('utf8', 0, got);
      }
      const whole = this.buf.subarray(0, lastNl + 1);
      // ASCII decodes the same as latin1, the cheapest decoder; anything else goes through UTF-8 (invalid
      // sequences become U+FFFD as when each line is decoded alone: a newline never sits inside a sequence).
      this.text = this.decode !== null ? this.decode(whole, 0, whole.length) : whole.toString(isAscii(whole) ? 'latin1' : 'utf8');
      this.nulFree = !this.text.includes('\u0000');
      this.at = 0;
      this.pos += lastNl + 1;
      // The text is a copy: the buffer can go, for one twice its size up to CHUNK.
      if (this.buf.length < CHUNK) this.buf = Buffer.allocUnsafe(this.buf.length * 2);
      return this.next();
    }
    return null;
  }
}
