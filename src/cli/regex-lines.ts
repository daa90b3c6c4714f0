import { countedAs, Filter, type FilterSpec } from '../filter/filter.js';
import type { LineDecoder } from '../source/log-encoding.js';
import { LineReader } from '../source/read-lines.js';
import { visible } from '../util/visible.js';
import { isSkipped } from './regex-scan.js';

/**
 * fail2ban-regex's line lists: the missed and ignored lines, printed after
 * the counts when there are fewer than 20 of them (more: "too many to
 * print"), every one with --print-all-missed / --print-all-ignored, none with
 * --print-no-missed / --print-no-ignored, and the matched lines with
 * --print-all-matched.
 */
export interface PrintLines {
  allMatched: boolean;
  allMissed: boolean;
  allIgnored: boolean;
  noMissed: boolean;
  noIgnored: boolean;
}

export const PRINT_DEFAULT: PrintLines = { allMatched: false, allMissed: false, allIgnored: false, noMissed: false, noIgnored: false };

/** fail2ban-regex lists a kind's lines when there are fewer than this (its maxlines for the listing). */
export const LIST_UNDER = 20;

export interface LineLists {
  matched: string[];
  ignored: string[];
  missed: string[];
}

type Kind = keyof LineLists;

/** Whether a kind's lines are printed, given how many there are. */
export function listed(kind: Kind, count: number, p: PrintLines): boolean {
  if (count === 0) return false;
  if (kind === 'matched') return p.allMatched;
  if (kind === 'ignored') return !p.noIgnored && (p.allIgnored || count < LIST_UNDER);
  return !p.noMissed && (p.allMissed || count < LIST_UNDER);
}

/** Lines handed one by one to `line`, a journal entry's with its time; may be async. */
export type LineFeed = (line: (text: string, time?: number) => void) => unknown;

/**
 * The lines of each kind that will be printed, read again in order through a
 * fresh filter (the fast scan keeps no text; it runs again only when a list
 * is printed, so a large log with thousands of misses is read once).
 */
export function collectLines(spec: FilterSpec, feed: LineFeed, want: Record<Kind, boolean>, now: number): Promise<LineLists> | LineLists {
  const filter = new Filter(spec);
  const lists: LineLists = { matched: [], ignored: [], missed: [] };
  filter.onTaken = (l) => {
    // A line counted missed that a later line's multi-line match took: matched, as fail2ban-regex counts it.
    const i = lists.missed.lastIndexOf(l);
    if (i >= 0) lists.missed.splice(i, 1);
    if (want.matched) lists.matched.push(l);
  };
  const line = (text: string, time?: number) => {
    if (isSkipped(text)) return;
    // A journal entry's line has its entry's time, as the counting scan gave it (RegexScanner.lineAt).
    if (time !== undefined) filter.stamped = true;
    const kind = countedAs(filter.scan(text, time ?? now));
    if (want[kind]) lists[kind].push(text);
  };
  const done = feed(line);
  return done instanceof Promise ? done.then(() => lists) : lists;
}

/** A file's lines, for collectLines. */
export function fileLines(path: string, decode: LineDecoder | null): LineFeed {
  return (line) => {
    const r = new LineReader(path, 0, Infinity, decode);
    try {
      for (let l = r.next(); l !== null; l = r.next()) line(l);
    } finally {
      r.close();
    }
  };
}

/** The lists as fail2ban-regex prints them after its counts. */
export function formatLineLists(counts: Record<Kind, number>, lists: LineLists | null, p: PrintLines): string[] {
  const out: string[] = [];
  for (const kind of ['matched', 'ignored', 'missed'] as const) {
    const n = counts[kind];
    const header = `${kind[0]!.toUpperCase()}${kind.slice(1)} line(s):`;
    if (listed(kind, n, p) && lists !== null) {
      out.push(`|- ${header}`, ...lists[kind].map((l) => `|  ${visible(l.trimEnd())}`), '`-');
    } else if (n > 0 && kind !== 'matched' && !(kind === 'missed' ? p.noMissed : p.noIgnored)) {
      out.push(`${header} too many to print.  Use --print-all-${kind} to print all ${n} lines`);
    }
  }
  return out;
}
