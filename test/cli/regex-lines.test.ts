import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fail2banSkipReason } from '../support/fail2ban-regex.js';
import { skipNote } from '../support/skip-note.js';

const BIN = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
const env = { ...process.env, TZ: 'UTC' };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bantop-lines-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The `|- Kind line(s):` lists and "too many to print" lines after the counts, as text, from either tool's output. */
function lists(out: string): string {
  const from = out.indexOf('\nLines: ');
  const rest = out.slice(from + 1).split('\n').slice(1);
  return rest.filter((l) => /^(\|- \w+ line\(s\):|\|  |`-$|\w+ line\(s\): too many to print)/.test(l)).join('\n');
}

const bantop = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const f2b = (...args: string[]) => execFileSync('fail2ban-regex', args, { encoding: 'utf8', env, maxBuffer: 1 << 28 });

/** A log with failures, lines the ignoreregex takes, misses, a comment and an empty line. */
function sample(misses: number): string {
  const log = join(dir, `auth-${misses}.log`);
  const lines = ['# a comment', ''];
  for (let i = 0; i < 3; i++) lines.push(`Dec  7 10:00:0${i} web sshd[${i}]: Failed password for root from 192.0.2.${i + 1} port 22 ssh2`);
  lines.push('Dec  7 10:00:05 web sshd[9]: Failed password for backup from 10.0.0.9 port 22 ssh2');
  for (let i = 0; i < misses; i++) lines.push(`Dec  7 10:01:${String(i % 60).padStart(2, '0')} web sshd[7]: Accepted publickey for deploy from 192.0.2.200 port ${1000 + i} ssh2`);
  writeFileSync(log, lines.join('\n') + '\n');
  return log;
}
const FILTER = 'Failed password for \\S+ from <HOST>';
const IGNORE = 'for backup from';

describe.skipIf(fail2banSkipReason !== null)(`bantop regex lists matched, ignored and missed lines as fail2ban-regex does${skipNote(fail2banSkipReason)}`, () => {
  for (const [name, misses, options] of [
    ['by default, fewer than 20: listed', 5, []],
    ['by default, 19: listed', 19, []],
    ['by default, 20: too many to print', 20, []],
    ['--print-all-missed and --print-all-ignored, many', 40, ['--print-all-missed', '--print-all-ignored']],
    ['--print-all-matched, --print-no-missed, --print-no-ignored', 7, ['--print-all-matched', '--print-no-missed', '--print-no-ignored']],
  ] as const) {
    it(name, () => {
      const log = sample(misses);
      const ours = bantop('regex', ...options, log, FILTER, IGNORE);
      expect(ours.code, ours.err).toBe(0);
      const theirs = lists(f2b(...options, log, FILTER, IGNORE));
      expect(theirs).not.toBe('');
      expect(lists(ours.out)).toBe(theirs);
    });
  }

  it("Debian's guacamole (maxlines = 2): a line a later line's match takes counts as matched, not missed", () => {
    const log = join(dir, 'catalina.log');
    writeFileSync(log, [
      'Dec 07, 2026 10:00:00 AM org.apache.guacamole.net.auth.AuthenticationProviderFacade authenticateUser',
      'WARNING: Authentication attempt from 192.0.2.70 for user "admin" failed.',
      'Dec 07, 2026 10:00:05 AM org.apache.guacamole.rest.auth.AuthenticationService authenticate',
      'INFO: User "guacadmin" successfully authenticated from 192.0.2.71.',
      'Dec 07, 2026 10:00:09 AM org.apache.guacamole.net.auth.AuthenticationProviderFacade authenticateUser',
      'WARNING: Authentication attempt from 192.0.2.72 for user "root" failed.',
    ].join('\n') + '\n');
    const args = ['--print-all-matched', log, 'guacamole'];
    const ours = bantop('--config', '/etc/fail2ban', 'regex', ...args);
    expect(ours.code, ours.err).toBe(0);
    const theirs = lists(f2b('--config', '/etc/fail2ban', ...args));
    expect(theirs).toContain('|- Matched line(s):');
    expect(lists(ours.out)).toBe(theirs);
  });
});

it('refuses --print-all-missed with --print-no-missed', () => {
  const r = bantop('regex', '--print-all-missed', '--print-no-missed', 'x', FILTER);
  expect(r.code).toBe(2);
  expect(r.err).toMatch(/--print-all-missed and --print-no-missed contradict each other/);
});
