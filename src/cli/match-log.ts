import { closeSync, mkdtempSync, openSync, readSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isoLocal } from '../filter/dates.js';
import { UserError } from '../util/errors.js';
import type { Failure } from '../filter/filter.js';
import { emptyListOf } from '../util/empty-list.js';
import { matchOf } from './regex-scan.js';

/**
 * The matches of `bantop regex --json`, kept as the JSON text they are
 * printed as, in bytes outside V8's heap. The counts come first in the
 * output and are known only at the end, so every match waits until then.
 * Kept as strings (one per match), a million sshd lines (329,071 matches)
 * took 246 MB and 2.62 s against 0.96 s without --json: the garbage collector
 * walked the strings, the output joined them, and each of the worker's was
 * copied to the first thread. As bytes (and the worker's buffers handed
 * over): 153 MB, 1.75 s (medians of 5 interleaved runs, Debian's sshd.conf);
 * with full blocks written to a spill file (SpillFile), 127-137 MB, and the
 * memory no longer grows with the log.
 *
 * A record is the match's JSON object without its line number,
 * `,"host":…}`: the line a match of the worker's is printed with is known
 * only when its chunk's place in the file is.
 */
export interface MatchLogData {
  /**
   * The records, one after another, in blocks (a record is never split): the
   * last in memory, the full ones before it written to a spill file.
   */
  blocks: Array<Uint8Array | SpilledBlock>;
  /** Per block, its first match. */
  blockFirst: Int32Array;
  /** Per match: its line, and where its record ends in its block. */
  lines: Int32Array;
  ends: Int32Array;
  count: number;
}

/** A full block, written to a spill file at `pos`. */
export interface SpilledBlock {
  fd: number;
  pos: number;
  length: number;
}

/**
 * Where a thread's full blocks go: a file in the temporary directory, removed
 * as soon as it is open, so that nothing is left behind whatever happens; the
 * open descriptor keeps it until it is closed. Without it the matches of a
 * large log (329,071 for a million sshd lines, 36 MB of JSON) all stayed in
 * memory until the end, where the counts that come first are known.
 */
export class SpillFile {
  private pos = 0;

  constructor(readonly fd: number) {}

  static create(): SpillFile {
    let dir: string;
    try {
      dir = mkdtempSync(join(tmpdir(), 'bantop-json-'));
    } catch (e) {
      throw new UserError(`--json: cannot make a temporary file for the matches in ${tmpdir()}: ${(e as Error).message}`,
        { hint: 'set TMPDIR to a writable directory, or run without --json' });
    }
    const path = join(dir, 'matches');
    try {
      const fd = openSync(path, 'w+', 0o600);
      unlinkSync(path);
      return new SpillFile(fd);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  append(b: Uint8Array, length: number): SpilledBlock {
    const at = this.pos;
    for (let done = 0; done < length;) done += writeSync(this.fd, b, done, length - done, at + done);
    this.pos += length;
    return { fd: this.fd, pos: at, length };
  }
}

export class MatchLog {
  /** The blocks before the current one, written out. */
  private readonly blocks: SpilledBlock[] = [];
  private readonly blockFirst: number[] = [];
  private block: Buffer = EMPTY;
  /** The first match whose record is in `block`. */
  private blockStart = 0;
  private used = 0;
  private lines: Int32Array = new Int32Array(1024);
  private ends: Int32Array = new Int32Array(1024);
  private count = 0;
  /** Lines of one second share their time: the last one formatted. */
  private lastMs = Number.NaN;
  private lastIso = '';
  private readonly keys = new Map<string, string>();
  /** Records not yet in a block (flush()), of the last matches counted. */
  private readonly pending = emptyListOf('');

  /** `spill`: where full blocks go (one the log opens when it first needs one, unless given). */
  constructor(private spill: SpillFile | null = null) {}

  add(line: number, f: Failure): void {
    this.addRecord(line, this.record(line, f));
  }

  /** The record for `f`, as JSON.stringify(matchOf(line, f)) gives it less `{"line":N`. */
  private record(line: number, f: Failure): string {
    let s = `,"host":${JSON.stringify(f.host)},"ip":${f.ip === null ? 'null' : JSON.stringify(f.ip)},"time":`;
    if (f.dated) {
      if (f.time !== this.lastMs) {
        this.lastMs = f.time;
        this.lastIso = `"${isoLocal(f.time)}"`;
      }
      s += this.lastIso;
    } else s += 'null';
    const fields = f.fields;
    for (const k in fields) {
      // A field that repeats a name of the record's own replaces its value (matchOf): the general way. No field
      // name is index-like (which objects would order first): group names are identifiers, as in Python.
      if (RESERVED.has(k)) return slowRecord(line, f);
      s += `${this.keyText(k)}${JSON.stringify(fields[k])}`;
    }
    return s + '}';
  }

  /** `,"name":` for a field's name: a filter has few. */
  private keyText(k: string): string {
    let t = this.keys.get(k);
    if (t === undefined) this.keys.set(k, (t = `,${JSON.stringify(k)}:`));
    return t;
  }

  private addRecord(line: number, record: string): void {
    if (this.count === this.lines.length) {
      this.lines = grownInts(this.lines);
      this.ends = grownInts(this.ends);
    }
    this.lines[this.count++] = line;
    this.pending.push(record);
    if (this.pending.length === BATCH) this.flush();
  }

  /**
   * Writes the pending records into the block, as one text: one
   * Buffer.write() a record cost as much as building the record did.
   */
  private flush(): void {
    const list = this.pending;
    if (list.length === 0) return;
    const text = list.join('');
    const first = this.count - list.length;
    // UTF-8 takes at most 3 bytes per UTF-16 unit. A full block is written out and its memory used again: memory
    // touched for the first time is dear here (3 ms a MB, in page faults), and the file's pages are the kernel's.
    const need = text.length * 3;
    if (this.used + need > this.block.length) {
      if (this.used > 0) {
        this.spill ??= SpillFile.create();
        this.blocks.push(this.spill.append(this.block, this.used));
        this.blockFirst.push(this.blockStart);
      }
      if (need > this.block.length) this.block = Buffer.allocUnsafeSlow(Math.max(BLOCK, need));
      this.blockStart = first;
      this.used = 0;
    }
    const wrote = this.block.write(text, this.used, 'utf8');
    // As many bytes as units: every one was ASCII, one byte each.
    const ascii = wrote === text.length;
    let end = this.used;
    for (let i = 0; i < list.length; i++) {
      end += ascii ? list[i]!.length : Buffer.byteLength(list[i]!, 'utf8');
      this.ends[first + i] = end;
    }
    this.used += wrote;
    list.length = 0;
  }

  /** The matches so far, as data; this log is empty afterwards (its buffers can be transferred). */
  handOver(): MatchLogData {
    this.flush();
    const blocks: MatchLogData['blocks'] = [...this.blocks];
    const firsts = [...this.blockFirst];
    if (this.used > 0) {
      blocks.push(new Uint8Array(this.block.buffer, this.block.byteOffset, this.used));
      firsts.push(this.blockStart);
    }
    const out = { blocks, blockFirst: Int32Array.from(firsts), lines: this.lines.subarray(0, this.count), ends: this.ends.subarray(0, this.count), count: this.count };
    this.blocks.length = this.blockFirst.length = 0;
    this.block = EMPTY;
    this.blockStart = 0;
    this.lines = this.ends = new Int32Array(0);
    this.used = this.count = 0;
    return out;
  }
}

/** The buffers to transfer with `d` when it is posted. */
export function matchLogBuffers(d: MatchLogData): ArrayBuffer[] {
  const inMemory = d.blocks.filter((b): b is Uint8Array => b instanceof Uint8Array);
  return [...inMemory.map((b) => b.buffer as ArrayBuffer), d.lines.buffer as ArrayBuffer, d.ends.buffer as ArrayBuffer];
}

/** A block's size, unless a batch needs more. Not from Node's shared pool (allocUnsafeSlow): a block is handed over whole. */
const BLOCK = 1024 * 1024;
const EMPTY = Buffer.alloc(0);

/** Records written to a block at once. */
const BATCH = 256;

const RESERVED = new Set(['line', 'host', 'ip', 'time']);

function slowRecord(line: number, f: Failure): string {
  const text = JSON.stringify(matchOf(line, f));
  // The line comes first in any case: `{"line":N` is dropped.
  return text.slice(`{"line":${line}`.length);
}

function grownInts(a: Int32Array): Int32Array {
  const next = new Int32Array(a.length * 2);
  next.set(a);
  return next;
}

/**
 * Matches to print, in line order: stretches of match logs, each printed
 * from the first match after line `after` (of the log's own numbering) with
 * its lines moved by `base`.
 */
export class JsonMatches {
  private readonly parts: Array<{ log: MatchLogData; base: number; after: number }> = [];
  /** Spill files to close with close(): those the logs' blocks are in, and any handed over with own(). */
  private readonly files = new Set<number>();
  /** Where spilled blocks are read back, one at a time. */
  private scratch: Buffer = Buffer.alloc(0);

  add(log: MatchLogData, base = 0, after = 0): void {
    this.parts.push({ log, base, after });
    for (const b of log.blocks) if (!(b instanceof Uint8Array)) this.files.add(b.fd);
  }

  /** Closes `file` with the others, whether or not a block of it is printed. */
  own(file: SpillFile): void {
    this.files.add(file.fd);
  }

  /** Closes the spill files (their space goes with them). */
  close(): void {
    for (const fd of this.files) {
      try {
        closeSync(fd);
      } catch {
        // Closed already.
      }
    }
    this.files.clear();
  }

  /** A block's bytes: itself, or read back from its spill file into the scratch buffer. */
  private bytesOf(b: Uint8Array | SpilledBlock): Uint8Array {
    if (b instanceof Uint8Array) return b;
    if (this.scratch.length < b.length) this.scratch = Buffer.allocUnsafeSlow(Math.max(BLOCK, b.length));
    for (let done = 0; done < b.length;) {
      const got = readSync(b.fd, this.scratch, done, b.length - done, b.pos + done);
      if (got === 0) throw new Error(`spill file ended ${b.length - done} bytes early`);
      done += got;
    }
    return this.scratch.subarray(0, b.length);
  }

  /**
   * Writes the matches as JSON objects separated by commas, in pieces of
   * about `pieceBytes`: below malloc's threshold for a mapping of its own
   * (128 KB), so that the memory of a piece the stream is done with is used
   * again, not a fresh mapping (page faults) for each.
   */
  write(out: (piece: Uint8Array) => void, pieceBytes = 64 * 1024): void {
    let buf = Buffer.allocUnsafeSlow(pieceBytes);
    let at = 0;
    let first = true;
    for (const { log, base, after } of this.parts) {
      const { blocks, blockFirst, lines, ends } = log;
      for (let b = 0; b < blocks.length; b++) {
        const src = this.bytesOf(blocks[b]!);
        const from = blockFirst[b]!;
        const to = b + 1 < blocks.length ? blockFirst[b + 1]! : log.count;
        for (let i = from; i < to; i++) {
          const local = lines[i]!;
          if (local <= after) continue;
          const start = i === from ? 0 : ends[i - 1]!;
          const end = ends[i]!;
          // `,{"line":` and at most 16 digits.
          const need = HEAD.length + 16 + (end - start);
          if (at + need > buf.length) {
            if (at > 0) out(buf.subarray(0, at));
            // A fresh buffer: the stream may still hold the last one.
            buf = Buffer.allocUnsafeSlow(Math.max(pieceBytes, need));
            at = 0;
          }
          for (let k = first ? 1 : 0; k < HEAD.length; k++) buf[at++] = HEAD[k]!;
          first = false;
          at = writeDigits(buf, at, base + local);
          // set(), not Buffer.copy(): copy() builds a view in JS for each call, 4 times as slow over 329,071 records.
          buf.set(src.subarray(start, end), at);
          at += end - start;
        }
      }
    }
    if (at > 0) out(buf.subarray(0, at));
  }

  /** Each match as its own JSON text (tests): write() with pieces too small for two records, so one a piece. */
  texts(): string[] {
    const pieces: string[] = [];
    this.write((p) => pieces.push(Buffer.from(p.buffer, p.byteOffset, p.length).toString('utf8')), 1);
    return pieces.map((p, i) => (i === 0 ? p : p.slice(1)));
  }
}

const HEAD = Buffer.from(',{"line":', 'latin1');

/** `n` (a non-negative integer) in decimal at `at`; where it ends. */
function writeDigits(buf: Buffer, at: number, n: number): number {
  let digits = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
  let x = n;
  for (let i = at + digits - 1; i >= at; i--) {
    buf[i] = 48 + (x % 10);
    x = Math.floor(x / 10);
  }
  return at + digits;
}
