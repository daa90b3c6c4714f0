import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { hitsByKind, type FilterSpec } from '../filter/filter.js';
import { JsonMatches, MatchLog } from './match-log.js';
import { visible } from '../util/visible.js';
import { scanFile } from './regex-parallel.js';
import { collectLines, fileLines, formatLineLists, listed, PRINT_DEFAULT, type LineFeed, type LineLists, type PrintLines } from './regex-lines.js';
import { lineDecoder } from '../source/log-encoding.js';
import { matchOf, RegexScanner, summaryOf, type RegexMatch, type RegexSummary } from './regex-scan.js';

export type { RegexMatch, RegexSummary } from './regex-scan.js';

/** LOG as the journal: journalctl's arguments for the journals (regex-journal.ts), and the filter's journalmatch. */
export interface JournalLog {
  select: string[];
  match: string[];
}

export interface RegexReport {
  lines: number;
  matched: number;
  ignored: number;
  missed: number;
  /** Lines each regex and date format took (RegexSummary.hits). */
  hits: number[];
  /** RegexSummary.dateLabels. */
  dateLabels: string[];
  matches: RegexMatch[];
}

/**
 * Run LOG (a file, or one literal line) through one filter instance, in order,
 * handing each match to `onMatch` so a million matches need not sit in memory.
 */
export function scanLog(spec: FilterSpec, log: string, onMatch?: (m: RegexMatch) => void, now: number = Date.now()): RegexSummary {
  const scanner = new RegexScanner(spec, now, onMatch ? (line, f) => onMatch(matchOf(line, f)) : undefined);
  if (isFile(log)) scanner.readRange(log, 0, Infinity);
  else scanner.line(log);
  return summaryOf(scanner.snapshot(), scanner.counts, scanner);
}

/** All matches in memory: for tests and small logs. */
export function runRegex(spec: FilterSpec, log: string, now: number = Date.now()): RegexReport {
  const matches: RegexMatch[] = [];
  const s = scanLog(spec, log, (m) => matches.push(m), now);
  return { lines: s.lines, matched: s.matched, ignored: s.ignored, missed: s.missed, hits: s.hits, dateLabels: s.dateLabels, matches };
}

/**
 * The `bantop regex` command: a file is read with two threads when it is
 * large (regex-parallel.ts), one line from the command line directly. The
 * JSON's counts come first but are known only at the end, so matches wait
 * as JSON bytes (match-log.ts) and are written after.
 */
export async function regexCommand(spec: FilterSpec, log: string, label: string, json: boolean, write: (s: string | Uint8Array) => void, journal: JournalLog | null = null,
  encoding?: string, print: PrintLines = PRINT_DEFAULT): Promise<void> {
  const now = Date.now();
  let summary: RegexSummary;
  let matches: JsonMatches | null;
  const file = journal === null && isFile(log);
  if (journal !== null) {
    const { readJournal } = await import('./regex-journal.js');
    // A journal line's time is its entry's, whatever date its text holds: --json gives it, as fail2ban-regex does.
    ({ summary, matches } = await scanHere(spec, json, (scanner) => readJournal(journal.select, journal.match, (line, time) => scanner.lineAt(line, time))));
  } else if (file) {
    const r = await scanFile(spec, log, { json, encoding });
    summary = r.summary;
    matches = r.matches;
  } else {
    ({ summary, matches } = await scanHere(spec, json, (scanner) => scanner.line(log)));
  }
  if (!json) {
    const from = journal !== null ? `the systemd journal (journalctl ${[...journal.select, ...journal.match].join(' ')})` : file ? resolve(log) : 'one line from the command line';
    const counts = { matched: summary.matched, ignored: summary.ignored, missed: summary.missed };
    const want = { matched: listed('matched', counts.matched, print), ignored: listed('ignored', counts.ignored, print), missed: listed('missed', counts.missed, print) };
    let lists: LineLists | null = null;
    if (want.matched || want.ignored || want.missed) {
      const feed: LineFeed = journal !== null
        ? async (line) => (await import('./regex-journal.js')).readJournal(journal.select, journal.match, line)
        : file ? fileLines(log, encoding === undefined ? null : lineDecoder(encoding) ?? null) : (line) => line(log);
      lists = await collectLines(spec, feed, want, now);
    }
    write(formatRegexReport(summary, label, from, spec, formatLineLists(counts, lists, print)));
    return;
  }
  write(`{"lines":${summary.lines},"matched":${summary.matched},"ignored":${summary.ignored},"missed":${summary.missed},"matches":[`);
  try {
    matches?.write(write);
  } finally {
    matches?.close();
  }
  write(']}\n');
}

/**
 * Lines `feed` gives one scanner on this thread (one line from the command
 * line, the journal), with --json's matches.
 */
async function scanHere(spec: FilterSpec, json: boolean, feed: (scanner: RegexScanner) => unknown): Promise<{ summary: RegexSummary; matches: JsonMatches | null }> {
  const own = json ? new MatchLog() : null;
  const scanner = new RegexScanner(spec, Date.now(), own === null ? undefined : (line, f) => own.add(line, f));
  await feed(scanner);
  const summary = summaryOf(scanner.snapshot(), scanner.counts, scanner);
  if (own === null) return { summary, matches: null };
  const matches = new JsonMatches();
  matches.add(own.handOver());
  return { summary, matches };
}

function isFile(p: string): boolean {
  try {
    return existsSync(p) && statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * The readable summary; `from`, where the lines came from. The regexes' hits
 * are listed as fail2ban-regex lists them: the lines the prefregex matched,
 * then the failregexes and ignoreregexes, numbered by their place in the
 * filter, those that took a line; then the date formats that read a line.
 */
export function formatRegexReport(r: RegexSummary, label: string, from: string, spec: Pick<FilterSpec, 'failregex' | 'ignoreregex' | 'prefregex'>, lineLists: string[] = []): string {
  const out: string[] = [];
  out.push(`Filter: ${label}`);
  out.push(`Log:    ${from}`);
  const hits = (title: string, regexes: string[], counts: number[]) => {
    out.push('', `${title}: ${counts.reduce((a, b) => a + b, 0)} total`);
    const listed = regexes.flatMap((rx, i) => (counts[i] ? [`${String(i + 1).padStart(2)}) [${counts[i]}] ${visible(rx)}`] : []));
    if (listed.length > 0) out.push('|-  #) [# of hits] regular expression', ...listed.map((l) => `|  ${l}`), '`-');
  };
  const byKind = hitsByKind(r.hits, spec);
  if (spec.prefregex) out.push('', `Prefregex: ${byKind.prefregex} total`, `|  ${visible(spec.prefregex)}`, '`-');
  hits('Failregex', spec.failregex, byKind.failregex);
  hits('Ignoreregex', spec.ignoreregex, byKind.ignoreregex);
  // Which format read the dates: where a datepattern reads none, or the wrong one, this says so.
  const dates = r.dateLabels.flatMap((l, i) => (byKind.dates[i] ? [`[${byKind.dates[i]}] ${visible(l)}`] : []));
  out.push('', 'Date template hits:');
  if (dates.length > 0) out.push('|- [# of hits] date format', ...dates.map((l) => `|  ${l}`), '`-');
  out.push('');
  out.push(`Lines: ${r.lines} lines, ${r.ignored} ignored, ${r.matched} matched, ${r.missed} missed`);
  if (lineLists.length > 0) out.push('', ...lineLists);
  const top = r.hosts.top(10);
  if (top.length) {
    out.push('');
    out.push(`Top hosts (${r.hosts.size} distinct):`);
    const w = Math.max(...top.map(([, n]) => String(n).length));
    // A host is what the log wrote (an <F-ID> may be any text): shown, not obeyed by the terminal.
    for (const [h, n] of top) out.push(`  ${String(n).padStart(w)}  ${visible(h)}`);
  }
  return out.join('\n') + '\n';
}
