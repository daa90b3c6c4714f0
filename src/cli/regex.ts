import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseNameWithArgs } from '../config/args.js';
import { filterFilePath, resolveFilter } from '../config/filter-def.js';
import { Filter, type FilterSpec } from '../filter/filter.js';
import { isoLocal } from '../filter/dates.js';
import { forEachLine } from '../source/read-lines.js';
import { detach } from '../util/detach.js';
import { UserError } from '../util/errors.js';

export interface RegexMatch {
  line: number;
  host: string;
  ip: string | null;
  time: string | null;
  [field: string]: unknown;
}

export interface RegexReport {
  lines: number;
  matched: number;
  ignored: number;
  missed: number;
  matches: RegexMatch[];
}

export interface RegexSummary {
  lines: number;
  matched: number;
  ignored: number;
  missed: number;
  /** Failures per host, for the readable summary. */
  hosts: Map<string, number>;
}

/** FILTER: a name from filter.d with fail2ban-style options, a .conf path, or a raw failregex. */
export function filterFromArgument(configDir: string, arg: string): { spec: FilterSpec; label: string } {
  const looksLikeName = /^[\w.\-]+(?:\[.*\])?$/.test(arg);
  if (looksLikeName || arg.endsWith('.conf') || arg.endsWith('.local')) {
    let ref: { name: string; args: Record<string, string> } | undefined;
    try {
      ref = parseNameWithArgs(arg);
    } catch {
      ref = undefined;
    }
    if (ref && filterFilePath(configDir, ref.name)) {
      const r = resolveFilter(configDir, { ...ref, where: { file: '<command line>', key: 'FILTER' } });
      return { spec: r.spec, label: `${r.file}${Object.keys(ref.args).length ? ` ${JSON.stringify(ref.args)}` : ''}` };
    }
    if (!looksLikeName || arg.endsWith('.conf')) {
      throw new UserError(`filter file ${arg} not found`, { hint: 'give a filter name from filter.d, a path to a .conf file, or a regex' });
    }
  }
  return {
    spec: { name: 'regex', failregex: [arg], ignoreregex: [], datepattern: [], maxlines: 1, maxlinelen: 10_000, useDns: true },
    label: 'failregex given on the command line',
  };
}

/**
 * Run LOG (a file, or one literal line) through one filter instance, in order,
 * handing each match to `onMatch` so a million matches need not sit in memory.
 */
export function scanLog(spec: FilterSpec, log: string, onMatch?: (m: RegexMatch) => void, now: number = Date.now()): RegexSummary {
  const filter = new Filter(spec);
  const hosts = new Map<string, number>();
  const onLine = (line: string, lineNo: number) => {
    const v = filter.processLine(line, now);
    if (v.kind !== 'failure') return;
    const f = v.failure;
    const n = hosts.get(f.host);
    if (n === undefined) hosts.set(detach(f.host), 1);
    else hosts.set(f.host, n + 1);
    // The summary only counts hosts: a match object per failure would be a third of its time.
    if (onMatch) onMatch({ line: lineNo, host: f.host, ip: f.ip, time: f.dated ? isoLocal(f.time) : null, ...f.fields });
  };
  if (isFile(log)) forEachLine(log, onLine);
  else onLine(log, 1);
  const s = filter.stats;
  return { lines: s.lines, matched: s.matched, ignored: s.ignored, missed: s.missed, hosts };
}

/** All matches in memory: for tests and small logs. */
export function runRegex(spec: FilterSpec, log: string, now: number = Date.now()): RegexReport {
  const matches: RegexMatch[] = [];
  const s = scanLog(spec, log, (m) => matches.push(m), now);
  return { lines: s.lines, matched: s.matched, ignored: s.ignored, missed: s.missed, matches };
}

/**
 * `--json`: one JSON object. The counts come first in the object but are known
 * only at the end, so matches are kept as compact JSON text (a fraction of the
 * objects' size) and written after.
 */
export function regexJson(spec: FilterSpec, log: string, write: (s: string) => void): void {
  const parts: string[] = [];
  const s = scanLog(spec, log, (m) => parts.push(JSON.stringify(m)));
  write(`{"lines":${s.lines},"matched":${s.matched},"ignored":${s.ignored},"missed":${s.missed},"matches":[`);
  for (let i = 0; i < parts.length; i += 10_000) write((i ? ',' : '') + parts.slice(i, i + 10_000).join(','));
  write(']}\n');
}

function isFile(p: string): boolean {
  try {
    return existsSync(p) && statSync(p).isFile();
  } catch {
    return false;
  }
}

export function formatRegexReport(r: RegexSummary, label: string, log: string): string {
  const out: string[] = [];
  out.push(`Filter: ${label}`);
  out.push(`Log:    ${isFile(log) ? resolve(log) : 'one line from the command line'}`);
  out.push('');
  out.push(`Lines: ${r.lines} lines, ${r.ignored} ignored, ${r.matched} matched, ${r.missed} missed`);
  const byHost = r.hosts;
  const top = topN([...byHost], 10);
  if (top.length) {
    out.push('');
    out.push(`Top hosts (${byHost.size} distinct):`);
    const w = Math.max(...top.map(([, n]) => String(n).length));
    for (const [h, n] of top) out.push(`  ${String(n).padStart(w)}  ${h}`);
  }
  return out.join('\n') + '\n';
}

/** The n largest counts without sorting every host (50,000 hosts in a big log). */
function topN(entries: Array<[string, number]>, n: number): Array<[string, number]> {
  const cmp = (a: [string, number], b: [string, number]) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  const top: Array<[string, number]> = [];
  for (const e of entries) {
    if (top.length === n && cmp(e, top[n - 1]!) >= 0) continue;
    top.push(e);
    top.sort(cmp);
    if (top.length > n) top.pop();
  }
  return top;
}
