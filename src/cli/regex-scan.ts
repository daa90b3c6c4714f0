import { isoLocal } from '../filter/dates.js';
import { Filter, LineKind, type Failure, type FilterSpec, type FilterStats } from '../filter/filter.js';
import type { LineDecoder } from '../source/log-encoding.js';
import { LineReader } from '../source/read-lines.js';
import { HostCounter } from './host-counter.js';

export interface RegexMatch {
  line: number;
  host: string;
  ip: string | null;
  time: string | null;
  [field: string]: unknown;
}

/** A failure as `bantop regex --json` reports it. */
export function matchOf(line: number, f: Failure): RegexMatch {
  return { line, host: f.host, ip: f.ip, time: f.dated ? isoLocal(f.time) : null, ...f.fields };
}

/** One filter instance fed lines in order, counting failures per host. */
export class RegexScanner {
  readonly filter: Filter;
  readonly counts = new HostCounter();
  /**
   * With `segmented`: the failures of lines up to the last checkpoint, counted
   * apart per stretch between checkpoints, so that whatever another thread
   * read again before the states met can be left out.
   */
  readonly segments: HostCounter[] | null;
  lines = 0;
  /** Where line() counts a failure, up to line `intoUntil` (pickCounter). */
  private into: HostCounter;
  private intoUntil = 0;

  /** The log's encoding where it is not UTF-8 (`bantop regex --encoding`). */
  decode: LineDecoder | null = null;

  /** `spec`: a filter to build, or one built already, whose fresh copy is used. */
  constructor(
    spec: FilterSpec | Filter,
    private now: number,
    private readonly onFailure?: (line: number, f: Failure) => void,
    segmented = false,
  ) {
    this.filter = spec instanceof Filter ? spec.fresh() : new Filter(spec);
    this.segments = segmented ? Array.from({ length: CHECKPOINT_COUNT }, () => new HostCounter(64)) : null;
    this.into = this.counts;
  }

  /** `nulFree`: the line's reader found no NUL in it (LineReader.nulFree). */
  line(text: string, nulFree = false): void {
    const lineNo = ++this.lines;
    // fail2ban-regex skips comments and empty lines: not tested, not counted, no part of a multi-line match.
    // A line keeps its number in the file.
    if (isSkipped(text)) return;
    const f = this.filter;
    f.nulFree = nulFree;
    if (f.scan(text, this.now) !== LineKind.Failure) return;
    if (lineNo > this.intoUntil) this.pickCounter(lineNo);
    this.into.addHost(f.failureHost, f.failureV4);
    if (this.onFailure) this.onFailure(lineNo, f.failure());
  }

  /** A line with a time of its own (a journal entry's): its time, whatever date its text holds (Filter.stamped). */
  lineAt(text: string, time: number): void {
    this.now = time;
    this.filter.stamped = true;
    this.line(text);
  }

  /**
   * The counter for failures from `lineNo` on, and the last line it takes.
   * Chosen here, away from line(): a branch line() first took after V8 had
   * optimised it (the switch to `counts` at line 16,385 of every chunk) threw
   * its code away, and the worker's warm-up paid for it again.
   */
  private pickCounter(lineNo: number): void {
    if (this.segments !== null && lineNo <= CHECKPOINT_LAST) {
      const i = segmentOf(lineNo);
      this.into = this.segments[i]!;
      this.intoUntil = CHECKPOINT_FIRST << i;
    } else {
      this.into = this.counts;
      // A small integer, as every value of the field is: a double here would change the object's layout, and V8's code for line() with it.
      this.intoUntil = 0x3fff_ffff;
    }
  }

  /**
   * Up to `n` lines of `r` through this scanner; how many there were (fewer
   * only where `r` ended). The one loop that reads lines, for every caller:
   * V8 compiles a loop while it runs, with the whole filter inlined (5-10 ms
   * a loop), so each loop of its own cost that again, in each thread, and
   * the one that reads on to where the threads' states meet paid it on the
   * critical path at the end of a run.
   */
  readSome(r: LineReader, n: number): number {
    let k = 0;
    for (; k < n; k++) {
      const l = r.next();
      if (l === null) break;
      this.line(l, r.nulFree);
    }
    return k;
  }

  /** Every line `r` has left. */
  readAll(r: LineReader): void {
    // A count that is a small integer, as every other caller's is: Infinity made V8 throw away readSome's code.
    while (this.readSome(r, ALL) === ALL);
  }

  /** Bytes [start, end) of a file; an `end` function is asked before each read (LineReader). */
  readRange(path: string, start: number, end: number | ((pos: number) => number)): void {
    const r = new LineReader(path, start, end, this.decode);
    try {
      this.readAll(r);
    } finally {
      r.close();
    }
  }

  get stats(): FilterStats {
    return this.filter.stats;
  }

  /** The counts so far, the regexes' hits with them, copied (they go on counting). */
  snapshot(): ScanStats {
    return { ...this.filter.stats, hits: this.filter.hits.slice() };
  }
}

/** What a scan counted: the filter's stats and its regexes' hits (Filter.hits). */
export interface ScanStats extends FilterStats {
  hits: number[];
}

export interface RegexSummary {
  lines: number;
  matched: number;
  ignored: number;
  missed: number;
  /** Lines each regex and date format took (Filter.hits). */
  hits: number[];
  /** Failures per host, for the readable summary. */
  hosts: HostCounter;
  /** The date formats, as fail2ban-regex names them, in the order of their hits (Filter.dateLabels). */
  dateLabels: string[];
}

/** `scanner`: one that read the lines (any thread's: the filters are the same). */
export function summaryOf(stats: ScanStats, hosts: HostCounter, scanner: RegexScanner): RegexSummary {
  return { lines: stats.lines, matched: stats.matched, ignored: stats.ignored, missed: stats.missed, hits: stats.hits, hosts, dateLabels: scanner.filter.dateLabels };
}

/**
 * A line fail2ban-regex leaves out: empty once its line end (\r\n) is cut,
 * or starting with `#` (sample logs comment their lines so; a log line
 * starts with a date or a host, never with `#`).
 */
export function isSkipped(text: string): boolean {
  const c = text.charCodeAt(0);
  return c === 35 || text.length === 0 || (c === 13 && /^\r+$/.test(text));
}

/** readAll()'s bite: the largest small integer V8 keeps untagged. */
const ALL = 0x3fff_ffff;

/**
 * The lines of a chunk where its fresh filter's state is recorded: 256, 512,
 * 1,024 … 16,384. Doubling, not every 256 lines: a fingerprint costs about
 * 0.1 ms (the session cache as text), every 256 lines it took a tenth of the
 * worker's time, and states usually meet within a few hundred lines.
 */
export const CHECKPOINT_FIRST = 256;
export const CHECKPOINT_COUNT = 7;
export const CHECKPOINT_LAST = CHECKPOINT_FIRST << (CHECKPOINT_COUNT - 1);

/** The stretch a line up to the last checkpoint falls in: 0 up to the first checkpoint, i after checkpoint i-1 up to checkpoint i. */
export function segmentOf(line: number): number {
  return line <= CHECKPOINT_FIRST ? 0 : 32 - Math.clz32(line - 1) - (31 - Math.clz32(CHECKPOINT_FIRST));
}

/** Which checkpoint `line` (counted from a chunk's start) is, or -1. */
export function checkpointIndex(line: number): number {
  if (line < CHECKPOINT_FIRST || line > CHECKPOINT_LAST || (line & (line - 1)) !== 0) return -1;
  return 31 - Math.clz32(line) - (31 - Math.clz32(CHECKPOINT_FIRST));
}

/**
 * Reads `r` through `scanner` from checkpoint to checkpoint (lines counted
 * from the call) and calls `atCheckpoint(i)` at each, until it returns true
 * (then that checkpoint's line is returned) or the lines end first (null).
 * Stops after the last checkpoint; the rest is the caller's.
 */
export function readToCheckpoints(scanner: RegexScanner, r: LineReader, atCheckpoint: (i: number) => boolean): number | null {
  const before = scanner.lines;
  for (let i = 0; i < CHECKPOINT_COUNT; i++) {
    const at = CHECKPOINT_FIRST << i;
    scanner.readSome(r, at - (scanner.lines - before));
    if (scanner.lines - before < at) return null;
    if (atCheckpoint(i)) return at;
  }
  return null;
}

/**
 * Reads a chunk on with `scanner` (which carries state from before the chunk)
 * until its state equals the state a fresh filter had at the same line of the
 * chunk (`prints`, at the checkpoints). Returns that line, or null when the
 * states did not meet in this chunk (the chunk has then been read whole).
 */
export function readOnUntilMeet(scanner: RegexScanner, path: string, chunk: { start: number; end: number }, prints: readonly string[]): number | null {
  const r = new LineReader(path, chunk.start, chunk.end, scanner.decode);
  try {
    // Up to the last checkpoint the states may meet; after it, the rest of the chunk is only read.
    const met = readToCheckpoints(scanner, r, (i) => i < prints.length && scanner.filter.fingerprint() === prints[i]);
    if (met !== null) return met;
    scanner.readAll(r);
    return null;
  } finally {
    r.close();
  }
}
