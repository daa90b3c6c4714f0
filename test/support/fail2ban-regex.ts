import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Whether Debian's fail2ban (and so fail2ban-regex and /etc/fail2ban) is installed. */
export const haveFail2ban = existsSync('/usr/bin/fail2ban-regex') && existsSync('/etc/fail2ban/filter.d');

export interface F2bResult {
  lines: number;
  matched: number;
  ignored: number;
  missed: number;
  rows: Array<{ host: string; time: number }>;
}

/** Run fail2ban-regex and read its counts and its `-o row` failures (host, epoch seconds). */
export function fail2banRegex(log: string, filter: string, env: NodeJS.ProcessEnv = {}): F2bResult {
  const opts = { encoding: 'utf8' as const, env: { ...process.env, TZ: 'UTC', ...env }, maxBuffer: 1 << 30 };
  const summary = execFileSync('fail2ban-regex', ['--config', '/etc/fail2ban', '--print-no-missed', '--print-no-ignored', log, filter], opts);
  const m = /Lines: (\d+) lines, (\d+) ignored, (\d+) matched, (\d+) missed/.exec(summary);
  if (!m) throw new Error(`unexpected fail2ban-regex output:\n${summary.slice(-2000)}`);
  const rowsText = execFileSync('fail2ban-regex', ['--config', '/etc/fail2ban', '-o', 'row', log, filter], opts);
  const rows: F2bResult['rows'] = [];
  for (const line of rowsText.split('\n')) {
    const r = /^\['(.*?)',\s+([\d.]+),/.exec(line);
    if (r) rows.push({ host: r[1]!, time: Number(r[2]) });
  }
  return { lines: Number(m[1]), ignored: Number(m[2]), matched: Number(m[3]), missed: Number(m[4]), rows };
}
