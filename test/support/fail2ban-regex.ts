import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { hitsByKind, type FilterSpec } from '../../src/filter/filter.js';

/** Whether Debian's fail2ban (and so fail2ban-regex and /etc/fail2ban) is installed. */
export const haveFail2ban = existsSync('/usr/bin/fail2ban-regex') && existsSync('/etc/fail2ban/filter.d');
/** Why what needs Debian's fail2ban is skipped (skip-note.ts); null when it is installed. */
export const fail2banSkipReason = haveFail2ban ? null : 'fail2ban is not installed: apt-get install fail2ban';

export interface F2bResult {
  lines: number;
  matched: number;
  ignored: number;
  missed: number;
  /** Its `-o row` failures: the host and the time in epoch seconds (null: the line had none). */
  rows: Array<{ host: string; time: number | null }>;
  /**
   * Its hits by regex, from 1 as it numbers them (those it lists: the ones that took a line); the prefregex's lines,
   * where there is one; its "Date template hits", by the format's name (those that read a line).
   */
  hits: { prefregex: number | null; failregex: Record<number, number>; ignoreregex: Record<number, number>; dates: Record<string, number> };
}

const SUMMARY = ['--config', '/etc/fail2ban', '--print-no-missed', '--print-no-ignored'];
const ROWS = ['--config', '/etc/fail2ban', '-o', 'row'];
const options = (env: NodeJS.ProcessEnv) => ({ encoding: 'utf8' as const, env: { ...process.env, TZ: 'UTC', ...env }, maxBuffer: 1 << 30 });

/** Run fail2ban-regex and read its counts and its `-o row` failures; `ignoreregex`, its third argument. */
export function fail2banRegex(log: string, filter: string, env: NodeJS.ProcessEnv = {}, args: string[] = [], ignoreregex?: string): F2bResult {
  const positionals = ignoreregex === undefined ? [log, filter] : [log, filter, ignoreregex];
  const summary = execFileSync('fail2ban-regex', [...SUMMARY, ...args, ...positionals], options(env));
  return parse(summary, execFileSync('fail2ban-regex', [...ROWS, ...args, ...positionals], options(env)));
}

/** Only its `-o row` failures: where its counts are not to be trusted. */
export function fail2banRegexRows(log: string, filter: string): F2bResult['rows'] {
  return parseRows(execFileSync('fail2ban-regex', [...ROWS, log, filter], options({})));
}

/** The same, without blocking: two of these run side by side. */
export async function fail2banRegexAsync(log: string, filter: string): Promise<F2bResult> {
  const run = promisify(execFile);
  const [summary, rows] = await Promise.all([run('fail2ban-regex', [...SUMMARY, log, filter], options({})), run('fail2ban-regex', [...ROWS, log, filter], options({}))]);
  return parse(summary.stdout, rows.stdout);
}

function parse(summary: string, rowsText: string): F2bResult {
  const m = /Lines: (\d+) lines, (\d+) ignored, (\d+) matched, (\d+) missed/.exec(summary);
  if (!m) throw new Error(`unexpected fail2ban-regex output:\n${summary.slice(-2000)}`);
  return { lines: Number(m[1]), ignored: Number(m[2]), matched: Number(m[3]), missed: Number(m[4]), rows: parseRows(rowsText),
    hits: { prefregex: prefregexTotal(summary), failregex: parseHits(summary, 'Failregex'), ignoreregex: parseHits(summary, 'Ignoreregex'), dates: parseDateHits(summary) } };
}

function prefregexTotal(summary: string): number | null {
  const m = /\nPrefregex: (\d+) total\n/.exec(summary);
  return m === null ? null : Number(m[1]);
}

/** Its `Failregex: N total` list: `|   4) [4598] ^Failed …` lines, up to the closing `` `- ``. */
function parseHits(summary: string, title: string): Record<number, number> {
  const out: Record<number, number> = {};
  const at = summary.indexOf(`\n${title}: `);
  if (at < 0) throw new Error(`no ${title} hits in fail2ban-regex output:\n${summary.slice(-2000)}`);
  for (const line of summary.slice(at + 1).split('\n').slice(1)) {
    if (line.startsWith('`-') || line === '') break;
    const h = /^\|\s+(\d+)\) \[(\d+)\] /.exec(line);
    if (h) out[Number(h[1])] = Number(h[2]);
  }
  return out;
}

/** Its `Date template hits:` list: `|  [3] {^LN-BEG}(?:DAY )?MON Day …` lines, up to the closing `` `- ``. */
function parseDateHits(summary: string): Record<string, number> {
  const out: Record<string, number> = {};
  const at = summary.indexOf('\nDate template hits:\n');
  if (at < 0) return out;
  for (const line of summary.slice(at + 1).split('\n').slice(2)) {
    if (line.startsWith('`-') || line === '') break;
    const h = /^\|  \[(\d+)\] (.*)$/.exec(line);
    if (h) out[h[2]!] = (out[h[2]!] ?? 0) + Number(h[1]);
  }
  return out;
}

/** bantop's hits (RegexSummary.hits; `dateLabels`, its date formats' names) numbered and named as fail2ban-regex lists them. */
export function hitsAsListed(hits: number[], spec: Pick<FilterSpec, 'failregex' | 'ignoreregex' | 'prefregex'>, dateLabels: string[]): F2bResult['hits'] {
  const listed = (counts: number[]) => Object.fromEntries(counts.flatMap((n, i) => (n > 0 ? [[i + 1, n]] : [])));
  const byKind = hitsByKind(hits, spec);
  const dates: Record<string, number> = {};
  byKind.dates.forEach((n, i) => {
    if (n > 0) dates[dateLabels[i]!] = (dates[dateLabels[i]!] ?? 0) + n;
  });
  return { prefregex: byKind.prefregex, failregex: listed(byKind.failregex), ignoreregex: listed(byKind.ignoreregex), dates };
}

function parseRows(rowsText: string): F2bResult['rows'] {
  const rows: F2bResult['rows'] = [];
  for (const line of rowsText.split('\n')) {
    const r = /^\['(.*?)',\s+([\d.]+|None),/.exec(line);
    if (r) rows.push({ host: r[1]!, time: r[2] === 'None' ? null : Number(r[2]) });
  }
  return rows;
}
