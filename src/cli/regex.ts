import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseNameWithArgs } from '../config/args.js';
import { filterFilePath, resolveFilter } from '../config/filter-def.js';
import { Filter, type FilterSpec } from '../filter/filter.js';
import { isoLocal } from '../filter/dates.js';
import { forEachLine } from '../source/read-lines.js';
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

/** Run LOG (a file, or one literal line) through one filter instance, in order. */
export function runRegex(spec: FilterSpec, log: string, now: number = Date.now()): RegexReport {
  const filter = new Filter(spec);
  const matches: RegexMatch[] = [];
  const onLine = (line: string, lineNo: number) => {
    const v = filter.processLine(line, now);
    if (v.kind !== 'failure') return;
    const f = v.failure;
    matches.push({ line: lineNo, host: f.host, ip: f.ip, time: f.dated ? isoLocal(f.time) : null, ...f.fields });
  };
  if (isFile(log)) forEachLine(log, onLine);
  else onLine(log, 1);
  const s = filter.stats;
  return { lines: s.lines, matched: s.matched, ignored: s.ignored, missed: s.missed, matches };
}

function isFile(p: string): boolean {
  try {
    return existsSync(p) && statSync(p).isFile();
  } catch {
    return false;
  }
}

export function formatRegexReport(r: RegexReport, label: string, log: string): string {
  const out: string[] = [];
  out.push(`Filter: ${label}`);
  out.push(`Log:    ${isFile(log) ? resolve(log) : 'one line from the command line'}`);
  out.push('');
  out.push(`Lines: ${r.lines} lines, ${r.ignored} ignored, ${r.matched} matched, ${r.missed} missed`);
  const byHost = new Map<string, number>();
  for (const m of r.matches) byHost.set(m.host, (byHost.get(m.host) ?? 0) + 1);
  const top = [...byHost].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 10);
  if (top.length) {
    out.push('');
    out.push(`Top hosts (${byHost.size} distinct):`);
    const w = Math.max(...top.map(([, n]) => String(n).length));
    for (const [h, n] of top) out.push(`  ${String(n).padStart(w)}  ${h}`);
  }
  return out.join('\n') + '\n';
}
