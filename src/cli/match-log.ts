import { isoLocal } from '../filter/dates.js';
import type { Failure } from '../filter/filter.js';
import { emptyListOf } from '../util/empty-list.js';
import { matchOf } from './regex-scan.js';

/**
 * The matches of `bantop regex --json`, kept as the JSON text they are
 * printed as, in bytes outside V8's heap. The counts come first in the
 * output and are known only at the end, so every match waits in memory.
 * Kept as strings (one per match), a million sshd lines (329,071 matches)
 * took 246 MB and 2.62 s against 0.96 s without --json: the garbage collector
 * walked the strings, the output joined them, and each of the worker's was
 * copied to the first thread. As bytes (and the worker's buffers handed
 * over): 153 MB, 1.75 s (medians of 5 interleaved runs, Debian's sshd.conf).
 *
 * A record is the match's JSON object without its line number,
 * `,"host":…}`: the line a match of the worker's is printed with is known
 * only when its chunk's place in the file is.
 */
export interface MatchLogData {
  /** The records, one after another, in blocks (a record is never split). */
  blocks: Uint8Array[];
  /** Per block, its first match. */
  blockFirst: Int32Array;
  /** Per match: its line, and where its record ends in its block. */
  lines: Int32Array;
  ends: Int32Array;
  count: number;
}

export class MatchLog {
  private readonly blocks: Buffer[] = [];
  private readonly blockFirst: number[] = [];
  private block: Buffer = EMPTY;
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
    // UTF-8 takes at most 3 bytes per UTF-16 unit. A full block is left as it is, not copied into a larger one:
    // memory touched for the first time is dear here (3 ms a MB, in page faults), and a copy touches it twice.
    if (this.used + text.length * 3 > this.block.length) {
      this.block = Buffer.allocUnsafeSlow(Math.max(BLOCK, text.length * 3));
      this.blocks.push(this.block);
      this.blockFirst.push(first);
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
    const blocks = this.blocks.map((b, i) => new Uint8Array(b.buffer, b.byteOffset, i === this.blocks.length - 1 ? this.used : b.length));
    const out = { blocks, blockFirst: Int32Array.from(this.blockFirst), lines: this.lines.subarray(0, this.count), ends: this.ends.subarray(0, this.count), count: this.count };
    this.blocks.length = this.blockFirst.length = 0;
    this.block = EMPTY;
    this.lines = this.ends = new Int32Array(0);
    this.used = this.count = 0;
    return out;
  }
}

/** The buffers to transfer with `d` when it is posted. */
export function matchLogBuffers(d: MatchLogData): ArrayBuffer[] {
  return [...d.blocks.map((b) => b.buffer as ArrayBuffer), d.lines.buffer as ArrayBuffer, d.ends.buffer as ArrayBuffer];
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

  add(log: MatchLogData, base = 0, after = 0): void {
    this.parts.push({ log, base, after });
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
        const src = blocks[b]!;
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

  /** Each match as its own JSON text (tests). */
  texts(): string[] {
    const all: string[] = [];
    for (const { log, base, after } of this.parts) {
      for (let b = 0; b < log.blocks.length; b++) {
        const src = Buffer.from(log.blocks[b]!.buffer, log.blocks[b]!.byteOffset, log.blocks[b]!.length);
        const from = log.blockFirst[b]!;
        const to = b + 1 < log.blocks.length ? log.blockFirst[b + 1]! : log.count;
        for (let i = from; i < to; i++) {
          if (log.lines[i]! > after) all.push(`{"line":${base + log.lines[i]!}${src.toString('utf8', i === from ? 0 : log.ends[i - 1]!, log.ends[i]!)}`);
        }
      }
    }
    return all;
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
