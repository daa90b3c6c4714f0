import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { FilterSpec, FilterStats } from '../filter/filter.js';
import { forEachLine, forEachLineInRange } from '../source/read-lines.js';
import { HostCounter } from './host-counter.js';
import { matchOf, RegexScanner, summaryOf, type RegexSummary } from './regex-scan.js';
import { parallelMinBytes, spawnRegexThread, takeEarlyRegexThread } from './regex-thread.js';

/**
 * `bantop regex` on a large file with two threads, giving exactly the
 * sequential result.
 *
 * Lines must go through one filter in order: a session (`<F-MLFID>`) opened
 * on one line changes what a later line means. So the worker reads the second
 * half with a fresh filter and records the filter's state (fingerprint) every
 * 256 lines, while this thread reads the first half. This thread then goes on
 * into the second half with the true state until its fingerprint equals the
 * worker's at the same line; from there on both filters are in the same state,
 * so the worker's results stand. fail2ban's session cache holds 100 sessions,
 * so the states meet within a few hundred lines of a real log; if they have not
 * met after 16,384 lines, this thread reads the rest itself.
 */

const EVERY = 256;
const COUNT = 64;
/** Left to read when the worker is ready: below this, this thread reads it alone. */
const MIN_LEFT = 4 * 1024 * 1024;


export interface ScanResult {
  summary: RegexSummary;
  /** --json: each failure as JSON text, in line order. */
  parts: string[] | null;
  /** How the work was split, for the curious and for tests. */
  parallel: { used: boolean; metAfterLines: number | null };
}

export interface ScanOptions {
  json: boolean;
  now?: number;
  /** Files smaller than this are read by one thread. */
  minBytes?: number;
  /**
   * `adaptive` (the default) places the cut when the worker is ready to read,
   * halfway through what is left; `half` places it in the middle at once.
   */
  split?: 'adaptive' | 'half';
}

export async function scanFile(spec: FilterSpec, path: string, opts: ScanOptions): Promise<ScanResult> {
  const now = opts.now ?? Date.now();
  const parts: string[] | null = opts.json ? [] : null;
  const scanner = new RegexScanner(spec, now, parts ? (line, f) => parts.push(JSON.stringify(matchOf(line, f))) : undefined);
  const size = statSync(path).size;
  const minBytes = opts.minBytes ?? parallelMinBytes();
  const sequential = () => ({ summary: summaryOf(scanner.stats, scanner.counts), parts, parallel: { used: false, metAfterLines: null } });
  if (!(size >= minBytes && spec.maxlines === 1 && availableParallelism() >= 2)) {
    // A worker started early (for a filter that turns out to be multi-line) is not needed.
    void takeEarlyRegexThread(path)?.worker.terminate();
    forEachLine(path, (l) => scanner.line(l));
    return sequential();
  }

  // The worker starts up (modules, filter) while this thread reads. Cutting in the middle from the
  // start left this thread idle at the end for as long as that start-up took (measured, 0.18 s of
  // 1.2 s); the cut is placed when the worker is ready, halfway through what is left by then.
  const thread = takeEarlyRegexThread(path) ?? spawnRegexThread();
  const { worker, ctl } = thread;
  let cut: number | null = null;
  const place = (at: number) => {
    cut = at;
    ctl.decide(at);
  };
  if (opts.split === 'half') place(lineStartNear(path, Math.floor(size / 2)));
  thread.start({ spec, path, now, json: opts.json, every: EVERY, count: COUNT });
  forEachLineInRange(path, 0, (pos) => {
    if (cut === null && ctl.workerReady()) {
      const at = size - pos > MIN_LEFT ? lineStartNear(path, pos + Math.floor((size - pos) / 2)) : Infinity;
      if (at < size) place(at);
      else cut = size;
    }
    return cut ?? size;
  }, (l) => (scanner.line(l), true));
  if (cut === null || cut >= size) {
    // Too late to share the work: this thread read the whole file.
    ctl.cancel();
    await worker.terminate();
    return sequential();
  }
  const from: number = cut;
  const before = scanner.lines;
  const prints = await thread.checkpoints.catch(() => null);

  let met: number | null = null;
  forEachLineInRange(path, from, Infinity, (l) => {
    scanner.line(l);
    const local = scanner.lines - before;
    if (met === null && prints && local % EVERY === 0 && local / EVERY <= prints.length) {
      if (scanner.filter.fingerprint() === prints[local / EVERY - 1]) {
        met = local;
        return false;
      }
    }
    return true;
  });
  const done = met === null ? null : await thread.done.catch(() => null);
  await worker.terminate();
  if (met === null || done === null) {
    if (met !== null) {
      // The worker failed after the states met: read the rest here.
      const skip = met;
      let i = 0;
      forEachLineInRange(path, from, Infinity, (l) => (++i > skip ? scanner.line(l) : undefined, true));
    }
    return { summary: summaryOf(scanner.stats, scanner.counts), parts, parallel: { used: true, metAfterLines: null } };
  }

  // Ours up to the meeting line, the worker's after it.
  const snap = done.snaps[met / EVERY - 1]!;
  const stats = scanner.stats;
  for (const k of Object.keys(stats) as Array<keyof FilterStats>) stats[k] += done.totals[k] - snap[k];
  const early = new HostCounter();
  for (let i = 0; i < done.earlyLines.length && done.earlyLines[i]! <= met; i++) early.add(done.earlyHosts[i]!);
  scanner.counts.merge(done.counts, early);
  if (parts) {
    for (let i = 0; i < done.matchLines.length; i++) {
      const local = done.matchLines[i]!;
      if (local <= met) continue;
      parts.push(`{"line":${before + local},${done.matchTexts[i]!.slice(1)}`);
    }
  }
  return { summary: summaryOf(stats, scanner.counts), parts, parallel: { used: true, metAfterLines: met } };
}

/** The start of the first line at or after `pos`. */
function lineStartNear(path: string, pos: number): number {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(64 * 1024);
    for (let at = pos; ; at += buf.length) {
      const got = readSync(fd, buf, 0, buf.length, at);
      if (got === 0) return Infinity;
      const nl = buf.subarray(0, got).indexOf(10);
      if (nl >= 0) return at + nl + 1;
    }
  } finally {
    closeSync(fd);
  }
}
