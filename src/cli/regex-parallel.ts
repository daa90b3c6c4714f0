import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { Filter, type FilterSpec } from '../filter/filter.js';
import { translationsKept } from '../filter/pyregex.js';
import { lineDecoder } from '../source/log-encoding.js';
import { LineReader } from '../source/read-lines.js';
import { addChunkFrom, addStats } from './chunk-chain.js';
import { JsonMatches, MatchLog, SpillFile } from './match-log.js';
import { readOnUntilMeet, RegexScanner, summaryOf, type RegexSummary, type ScanStats } from './regex-scan.js';
import { discardRegexThread, parallelMinBytes, spawnRegexThread, takeEarlyRegexThread, type RegexThread } from './regex-thread.js';
import type { ChunkResult, WorkerFilter } from './regex-worker.js';
import { MAIN, SplitControl, WORKER } from './split-control.js';

/**
 * `bantop regex` on a large file with two threads, giving exactly the
 * sequential result.
 *
 * Lines must go through one filter in order: a session (`<F-MLFID>`) opened
 * on one line changes what a later line means. This thread reads from the
 * start with the true state. When the worker is ready, what is left is cut
 * into chunks; this thread takes them from the front, the worker from the back
 * (split-control.ts), so neither waits long for the other. The worker reads
 * each of its chunks with a fresh filter and records the filter's state
 * (fingerprint) at lines 256, 512, 1,024 … 16,384. Whoever read the chunk before reads on into
 * it until its state equals the fresh one at the same line; from there on the
 * two filters are in the same state, so the fresh filter's results stand, and
 * by the same step down the line, every chunk's do. fail2ban's session cache
 * holds 100 sessions, so the states meet within a few hundred lines of a real
 * log; where they do not meet within a chunk's first 16,384 lines, the reader
 * goes on into the next chunk, to the end of the file if need be.
 */

/** Left to read when the worker is ready: below this, this thread reads it alone. */
const MIN_LEFT = 4 * 1024 * 1024;
/** Chunks of about this size: the threads finish within about one chunk's time of each other. */
const CHUNK_BYTES = 2 * 1024 * 1024;

export interface ScanResult {
  summary: RegexSummary;
  /** --json: the failures, in line order. */
  matches: JsonMatches | null;
  /** How the work was split, for the curious and for tests. */
  parallel: { used: boolean; metAfterLines: number | null; chunks: { main: number; worker: number }; summedByWorker: boolean;
    /** How the worker came by its filter (regex-worker.ts); null when its results were not used. */
    workerFilter: WorkerFilter | null;
    /** The worker's first reply held only the chunk its chain starts from, and the states met elsewhere: this thread asked for every chunk. */
    restFetched: boolean };
}

export interface ScanOptions {
  json: boolean;
  /** LOG's encoding, as fail2ban names it (log-encoding.ts); absent: UTF-8. */
  encoding?: string | undefined;
  now?: number;
  /** Files smaller than this are read by one thread. */
  minBytes?: number;
  /**
   * `adaptive` (the default) cuts the chunks when the worker is ready and lets
   * the threads claim them; `half` cuts the whole file at once and gives the
   * second half's chunks to the worker (tests: a split that does not depend on timing).
   */
  split?: 'adaptive' | 'half';
  /** Chunk size (tests use small ones, for many chunk boundaries). */
  chunkBytes?: number;
  /** The worker to use instead of the one the entry started (tests: one that has booted). */
  thread?: RegexThread;
}

export async function scanFile(spec: FilterSpec, path: string, opts: ScanOptions): Promise<ScanResult> {
  const size = statSync(path).size;
  const minBytes = opts.minBytes ?? parallelMinBytes();
  const parallel = size >= minBytes && spec.maxlines === 1 && availableParallelism() >= 2;
  // --json: the worker's full blocks of matches go to a file this thread opens (see WorkerTask.spillFd); opened
  // before the worker is taken, so that a failure leaves the worker the entry started to end on its own.
  const workerSpill = parallel && opts.json ? SpillFile.create() : null;
  const early = opts.thread ?? takeEarlyRegexThread(path);
  // A worker started early (for a filter that turns out to be multi-line) is not needed.
  if (!parallel && early !== undefined) discardRegexThread(early);
  // The time the early worker guessed its task with: the same task lets it keep the filter it built.
  const now = opts.now ?? (parallel ? early?.now : null) ?? Date.now();
  // --json: this thread's failures; the worker's come from its chunks' logs.
  const own = opts.json ? new MatchLog() : null;
  const matches = opts.json ? new JsonMatches() : null;
  /** The matches with this thread's own first, once it has read all it reads. */
  const matchesAfter = (worker: Array<Parameters<JsonMatches['add']>> = []) => {
    if (own === null || matches === null) return null;
    if (workerSpill !== null) matches.own(workerSpill);
    matches.add(own.handOver());
    for (const w of worker) matches.add(...w);
    return matches;
  };
  let thread: RegexThread | null = null;
  try {
    if (parallel) {
      // The task first: a worker that boots after it has come builds its filter from it, without loading the config.
      thread = early ?? spawnRegexThread();
      thread.start({ spec, path, now, json: opts.json, spillFd: workerSpill?.fd, encoding: opts.encoding });
      // The worker started early is likely still booting, and V8's regex flag, which this thread's filter needs,
      // waits for that (util/regex-budget.ts). Meanwhile the filter's regexes are translated, and the worker gets
      // the translations: one that has not built its filter yet then builds it without translating.
      Filter.pretranslate(spec);
      thread.translations(translationsKept());
    }
    const scanner = new RegexScanner(spec, now, own === null ? undefined : (line, f) => own.add(line, f));
    if (opts.encoding !== undefined) scanner.decode = lineDecoder(opts.encoding) ?? null;
    const alone = (chunks = 0) => ({ summary: summaryOf(scanner.snapshot(), scanner.counts, scanner), matches: matchesAfter(), parallel: { used: false, metAfterLines: null, chunks: { main: chunks, worker: 0 }, summedByWorker: false, workerFilter: null, restFetched: false } });
    if (thread === null) {
      scanner.readRange(path, 0, Infinity);
      return alone();
    }

    const { worker, ctl } = thread;
    /** The chunk bounds once cut; this thread holds chunks 0 .. mine. */
    const split: { bounds: number[] | null; mine: number } = { bounds: null, mine: -1 };
    /** Cuts the chunks from `from` and publishes them; `half` gives the second half to the worker up front. */
    const plan = (from: number, half = false): number[] => {
      const targets = half || opts.chunkBytes !== undefined ? evenTargets(from, size, opts.chunkBytes ?? CHUNK_BYTES, half ? 2 : 1) : tentTargets(from, size);
      const bounds = chunkBounds(path, from, size, targets);
      const n = bounds.length - 1;
      if (n >= 1) ctl.decide(bounds, half ? bounds.slice(1).map((_, k) => (k < n / 2 ? MAIN : WORKER)) : []);
      return bounds;
    };
    if (opts.split === 'half') split.bounds = plan(0, true);
    scanner.readRange(path, 0, (pos) => {
      if (split.bounds === null) {
        if (!ctl.workerReady()) return size;
        split.bounds = size - pos < MIN_LEFT ? [] : plan(pos);
      }
      const b = split.bounds;
      if (b.length < 2) return size;
      // Up to the end of what this thread holds; at that end it claims the next chunk, unless the worker has it.
      while (pos >= b[split.mine + 1]! && split.mine + 1 < b.length - 1 && ctl.claim(split.mine + 1, MAIN)) split.mine++;
      return b[split.mine + 1]!;
    });

    const { bounds: b, mine } = split;
    if (b === null || b.length < 2 || mine + 1 >= b.length - 1) {
      // The worker came too late, or this thread got every chunk: it has read the whole file.
      ctl.cancel();
      release(worker);
      return alone(Math.max(0, mine + 1));
    }
    const first = mine + 1;
    const result = await stitch(scanner, opts.json, thread, path, b, first, ctl);
    release(worker);
    const chunks = { main: first, worker: b.length - 1 - first };
    if (result === null) return { summary: summaryOf(scanner.snapshot(), scanner.counts, scanner), matches: matchesAfter(), parallel: { used: true, metAfterLines: null, chunks, summedByWorker: false, workerFilter: null, restFetched: false } };
    return { summary: summaryOf(result.stats, scanner.counts, scanner), matches: matchesAfter(result.matches), parallel: { used: true, metAfterLines: result.met, chunks, summedByWorker: result.summed, workerFilter: result.filter, restFetched: result.restFetched } };
  } catch (e) {
    // A worker waiting for its chunks would keep the process alive: it is stopped.
    if (thread !== null) {
      thread.ctl.cancel();
      release(thread.worker);
    }
    throw e;
  }
}

/**
 * Ends the worker without waiting for it: its heap (tens of MB after a large
 * file) is torn down on its own thread while this one sums up and reports,
 * instead of before (10 ms at the end of a million lines).
 */
function release(worker: Worker): void {
  void worker.terminate();
}

/**
 * This thread has read up to the worker's first chunk. It reads on until its
 * state meets the worker's, then adds the worker's results from there, chunk
 * after chunk. Returns null when this thread read the rest itself.
 */
async function stitch(scanner: RegexScanner, json: boolean, thread: RegexThread, path: string, b: number[], first: number, ctl: SplitControl): Promise<{ stats: ScanStats; met: number; summed: boolean; filter: WorkerFilter; restFetched: boolean; matches: Array<Parameters<JsonMatches['add']>> } | null> {
  const n = b.length - 1;
  const before = scanner.lines;
  let meet: { chunk: number; line: number } | null = null;
  let j = first;
  for (; j < n && meet === null; j++) {
    const prints = await thread.prints(j).catch(() => null);
    if (prints === null) break;
    const at = readOnUntilMeet(scanner, path, ctl.chunk(j), prints);
    if (at !== null) meet = { chunk: j, line: at };
  }
  const done = meet === null ? null : await thread.done.catch(() => null);
  const chain = done?.chain ?? null;
  // Summing from the worker's chain needs only the chunk where the states met; anything else, every chunk.
  const chained = !json && chain !== null && chain.after === meet?.chunk;
  // The worker sent the chunks it had not sent with `done` when asked.
  const chunks = done === null ? null : chained || done.complete ? done.chunks : await thread.rest().then((rest) => [...done.chunks, ...rest], () => null);
  if (meet === null || done === null || chunks === null) {
    // The states never met, or the worker failed: read what is left here.
    if (meet !== null) {
      // Up to the meeting line, this thread has read the chunk already.
      const r = new LineReader(path, ctl.chunk(meet.chunk).start, ctl.chunk(meet.chunk).end, scanner.decode);
      try {
        for (let i = 0; i < meet.line && r.next() !== null; i++);
        scanner.readAll(r);
      } finally {
        r.close();
      }
      j = meet.chunk + 1;
    }
    if (j < n) scanner.readRange(path, ctl.chunk(j).start, Infinity);
    return null;
  }

  const byChunk = new Map<number, ChunkResult>(chunks.map((c) => [c.chunk, c]));
  const stats = scanner.snapshot();
  if (chained) {
    // The worker summed every chunk after its first: only the first is added here.
    addChunkFrom(scanner.counts, stats, byChunk.get(meet.chunk)!, meet.line);
    scanner.counts.merge(chain.counts);
    addStats(stats, chain.stats);
    return { stats, met: meet.line, summed: true, filter: done.filter, restFetched: false, matches: [] };
  }
  // Line numbers: where each chunk starts in the file.
  const firstLine = new Map<number, number>();
  let lineAt = before;
  for (let k = first; k < n; k++) {
    firstLine.set(k, lineAt);
    lineAt += byChunk.get(k)!.lines;
  }
  const matches: Array<Parameters<JsonMatches['add']>> = [];
  let at: { chunk: number; line: number } | null = meet;
  while (at !== null) {
    const r: ChunkResult = byChunk.get(at.chunk)!;
    const m = at.line;
    // Ours up to the meeting line, this chunk's filter's after it.
    addChunkFrom(scanner.counts, stats, r, m);
    if (r.matches !== null) matches.push([r.matches, firstLine.get(at.chunk)!, m]);
    at = r.meet;
  }
  return { stats, met: meet.line, summed: false, filter: done.filter, restFetched: !done.complete, matches };
}

/**
 * Where to cut `from`..`size` into chunks of about `bytes` each: at least
 * `least` and at most SplitControl.MAX_CHUNKS of them.
 */
function evenTargets(from: number, size: number, bytes: number, least = 1): number[] {
  const count = Math.max(least, Math.min(SplitControl.MAX_CHUNKS, Math.ceil((size - from) / bytes)));
  return Array.from({ length: count - 1 }, (_, k) => from + Math.floor(((size - from) * (k + 1)) / count));
}

/**
 * Where to cut what is left when the worker is ready: small chunks where the
 * threads are likely to meet, large ones away from it. The first thread reads
 * 43-72% of it (measured on 1,000,000 sshd lines, 22 runs, in two clusters,
 * 43-53% and 68-72%; the worker still warms up when the first thread is warm
 * already, and pays for every chunk: its fingerprints and the read on into
 * the next). Near the meeting point a chunk is what one thread may wait for
 * at the end, while the other finishes its last one (an 8 MB chunk, 80 ms of
 * one thread, when the small ones started at 52%: 5 runs of the 22); far from
 * it, each chunk the worker reads only costs.
 */
export function tentTargets(from: number, size: number): number[] {
  const span = size - from;
  const lo = from + Math.floor(span * MEET_FROM);
  const hi = from + Math.floor(span * MEET_TO);
  // The small ones take at most half the chunks there can be; the large ones share the rest.
  const near = Math.max(MEET_CHUNK, Math.ceil((hi - lo) / (SplitControl.MAX_CHUNKS / 2)));
  const far = Math.max(FAR_CHUNK, Math.ceil((span - (hi - lo)) / (SplitControl.MAX_CHUNKS / 2 - 2)));
  return [...evenTargets(from, lo, far), lo, ...evenTargets(lo, hi, near), hi, ...evenTargets(hi, size, far)];
}

/** The share of the rest the first thread is likely to read (tentTargets): from, to. */
const MEET_FROM = 0.4;
const MEET_TO = 0.76;
const MEET_CHUNK = 1024 * 1024;
const FAR_CHUNK = 8 * 1024 * 1024;

/** Chunk bounds from `from` to `size`, each at a line start: the first at or after `from`, then one at or after each target. */
function chunkBounds(path: string, from: number, size: number, targets: number[]): number[] {
  const fd = openSync(path, 'r');
  // A log line is rarely longer than this; a longer one takes more reads. The worker waits while the chunks are
  // cut: reading 64 KB for each of up to 64 bounds took 7-11 ms of it (a fresh buffer each, in cold code).
  const buf = Buffer.allocUnsafe(4096);
  try {
    const start = lineStartNear(fd, from, buf);
    if (start >= size) return [size];
    const out = [start];
    for (const t of targets) {
      const at = lineStartNear(fd, t, buf);
      if (at > out[out.length - 1]! && at < size) out.push(at);
    }
    out.push(size);
    return out;
  } finally {
    closeSync(fd);
  }
}

/** The start of the first line at or after `pos`. */
function lineStartNear(fd: number, pos: number, buf: Buffer): number {
  for (let at = pos; ; at += buf.length) {
    const got = readSync(fd, buf, 0, buf.length, at);
    if (got === 0) return Infinity;
    const nl = buf.subarray(0, got).indexOf(10);
    if (nl >= 0) return at + nl + 1;
  }
}
