import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journalLogArgs } from '../../src/cli/regex-journal.js';
import { fail2banRegex, fail2banSkipReason } from '../support/fail2ban-regex.js';
import { appendJournal, journalSkipReason, type JournalFields } from '../support/journal-file.js';
import { skipNote } from '../support/skip-note.js';

const BIN = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
const ASSETS = join(import.meta.dirname, '..', '..', 'assets', 'config');

function bantop(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('journalLogArgs: LOG as the journal', () => {
  it('takes systemd-journal with the systemd backend\'s options, refuses bad ones, and leaves any other LOG alone', () => {
    expect(journalLogArgs('systemd-journal')).toEqual(['--system']);
    expect(journalLogArgs('systemd-journal[journalfiles=/j/a.journal, journalflags=1]')).toEqual(['--file=/j/a.journal']);
    expect(journalLogArgs('/var/log/auth.log')).toBeNull();
    expect(journalLogArgs('Jun 21 16:47:48 web1 sshd[1]: systemd-journal')).toBeNull();
    expect(() => journalLogArgs('systemd-journal[journalfiles=/j')).toThrow(/^LOG systemd-journal\[journalfiles=\/j: /);
    expect(() => journalLogArgs('systemd-journal[files=/j]')).toThrow('LOG systemd-journal[files=/j]: the systemd journal has no option "files"');
  });
});

// python3-systemd: fail2ban-regex reads the journal through it.
const pySystemd = spawnSync('/usr/bin/python3', ['-c', 'import systemd.journal'], { stdio: 'ignore' }).status === 0;
const skip = journalSkipReason ?? fail2banSkipReason ?? (pySystemd ? null : 'fail2ban-regex cannot read the journal without python3-systemd: apt-get install python3-systemd');

describe.skipIf(journalSkipReason !== null)(`bantop regex systemd-journal[…] on a real journal file${skipNote(journalSkipReason)}`, () => {
  let dir: string;
  let journal: string;
  const at = (s: number) => String(1782060469000000 + s * 1_000_000);
  const sshd = (s: number, msg: string, more: Partial<JournalFields> = {}): JournalFields =>
    ({ __REALTIME_TIMESTAMP: at(s), _HOSTNAME: 'web1', SYSLOG_IDENTIFIER: 'sshd', _PID: String(4000 + s), _SYSTEMD_UNIT: 'sshd.service', _COMM: 'sshd', MESSAGE: msg, ...more });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bantop-regex-journal-'));
    journal = join(dir, 'system.journal');
    appendJournal(journal, [
      sshd(0, 'Failed password for root from 203.0.113.1 port 22 ssh2', { SYSLOG_PID: '77' }),
      sshd(1, 'Invalid user admin from 203.0.113.2 port 2222'),
      // Another unit: the sshd filter's journalmatch leaves it out.
      { __REALTIME_TIMESTAMP: at(2), _HOSTNAME: 'web1', SYSLOG_IDENTIFIER: 'cron', _PID: '9', _SYSTEMD_UNIT: 'cron.service', _COMM: 'cron', MESSAGE: 'Failed password for root from 203.0.113.9 port 1 ssh2' },
      sshd(3, 'Accepted publickey for deploy from 198.51.100.7 port 50000 ssh2'),
      sshd(4, 'Failed password for invalid user oracle from 2001:db8::5 port 4 ssh2'),
      // One entry, two lines: kept one line (as fail2ban keeps it), its second line cannot pass for a failure of its own.
      sshd(5, 'Connection closed by 10.0.0.1\nFailed password for root from 198.51.100.99 port 1 ssh2'),
    ]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the entries the filter\'s journalmatch picks, with the journal prefix and each entry\'s time', () => {
    const r = bantop('--config', ASSETS, '--json', 'regex', `systemd-journal[journalfiles=${journal}]`, 'sshd');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { lines: number; matched: number; matches: Array<{ line: number; host: string; time: string; user?: string }> };
    // cron's entry is not read; the accepted login is read and ignored or missed; so is the entry of two lines.
    expect(j.lines).toBe(5);
    expect(j.matches.map((m) => [m.line, m.host, m.time, m.user])).toEqual([
      [1, '203.0.113.1', '2026-06-21T16:47:49', 'root'],
      [2, '203.0.113.2', '2026-06-21T16:47:50', 'admin'],
      [4, '2001:db8::5', '2026-06-21T16:47:53', 'oracle'],
    ]);
    const plain = bantop('--config', ASSETS, 'regex', `systemd-journal[journalfiles=${journal}]`, 'sshd');
    expect(plain.out).toContain(`Log:    the systemd journal (journalctl --file=${journal} _SYSTEMD_UNIT=ssh.service + _SYSTEMD_UNIT=sshd.service + _COMM=sshd + _COMM=sshd-session)`);
    // A raw regex has no journalmatch: every entry, cron's included.
    expect(JSON.parse(bantop('--json', 'regex', `systemd-journal[journalfiles=${journal}]`, 'Failed password for \\S+ from <HOST>').out)).toMatchObject({ lines: 6, matched: 3 });
  });

  it('says what is wrong with the journal LOG, with exit 2 and no stack', () => {
    const missing = bantop('regex', `systemd-journal[journalfiles=${join(dir, 'nothere.journal')}]`, 'sshd');
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^bantop: journalctl --file=\S+nothere\.journal failed \(exit \d+\)/);
    const option = bantop('regex', 'systemd-journal[journalflags=2]', 'sshd');
    expect(option.code).toBe(2);
    expect(option.err.split('\n')[0]).toBe('bantop: LOG systemd-journal[journalflags=2]: journalflags "2" is not one bantop can pass to journalctl');
    for (const r of [missing, option]) expect(r.err).not.toMatch(/internal error|\n {4}at /);
  });

  it.skipIf(skip !== null)(`agrees with fail2ban-regex on the same journal file: counts, hosts and times${skipNote(skip)}`, () => {
    for (const filter of ['sshd', 'sshd[mode=aggressive]']) {
      const log = `systemd-journal[journalfiles=${journal}]`;
      const theirs = fail2banRegex(log, filter);
      const r = bantop('--config', '/etc/fail2ban', '--json', 'regex', log, filter);
      expect(r.code, r.err).toBe(0);
      const ours = JSON.parse(r.out) as { lines: number; matched: number; ignored: number; missed: number; matches: Array<{ host: string; ip: string | null; time: string }> };
      expect({ lines: ours.lines, matched: ours.matched, ignored: ours.ignored, missed: ours.missed }, filter)
        .toEqual({ lines: theirs.lines, matched: theirs.matched, ignored: theirs.ignored, missed: theirs.missed });
      expect(theirs.rows.length, filter).toBeGreaterThan(1);
      expect(ours.matches.map((m) => ({ host: m.ip ?? m.host, time: Date.parse(`${m.time}Z`) / 1000 })), filter).toEqual(theirs.rows);
    }
  });

  it.skipIf(skip !== null)(`takes each entry's time, whatever date its message holds, as fail2ban-regex does${skipNote(skip)}`, () => {
    // A user name (the attacker's choice) that a datepattern would read as a date: the entry's time stands.
    const dated = join(dir, 'dated.journal');
    appendJournal(dated, [sshd(7, 'Invalid user 2020-01-01 00:00:00 from 203.0.113.7 port 22'), sshd(8, 'Invalid user bob from 203.0.113.8 port 22')]);
    const log = `systemd-journal[journalfiles=${dated}]`;
    const theirs = fail2banRegex(log, 'sshd', {}, ['-d', '%Y-%m-%d %H:%M:%S']);
    const r = bantop('--config', '/etc/fail2ban', '--json', 'regex', '--datepattern', '%Y-%m-%d %H:%M:%S', log, 'sshd');
    expect(r.code, r.err).toBe(0);
    const ours = JSON.parse(r.out) as { matches: Array<{ ip: string; time: string; user: string }> };
    expect(ours.matches.map((m) => ({ host: m.ip, time: Date.parse(`${m.time}Z`) / 1000 }))).toEqual(theirs.rows);
    expect(ours.matches.map((m) => [m.time, m.user])).toEqual([['2026-06-21T16:47:56', '2020-01-01 00:00:00'], ['2026-06-21T16:47:57', 'bob']]);
  });
  it.skipIf(skip !== null)(`reads the daemon's own lines in the journal with Debian's recidive filter, as fail2ban-regex does${skipNote(skip)}`, () => {
    // What journald keeps of bantop serve's stderr under systemd: the <N> prefix taken as the priority, the name the unit's.
    const own = (s: number, priority: number, msg: string): JournalFields =>
      ({ __REALTIME_TIMESTAMP: at(s), _HOSTNAME: 'web1', SYSLOG_IDENTIFIER: 'bantop', _PID: '500', _SYSTEMD_UNIT: 'bantop.service', _COMM: 'node', PRIORITY: String(priority), MESSAGE: msg });
    const log = join(dir, 'bantop.journal');
    appendJournal(log, [
      own(10, 5, 'NOTICE  [sshd] Ban 203.0.113.21'),
      own(11, 6, 'INFO    [sshd] 203.0.113.21 banned for 600s (filter)'),
      own(12, 5, 'NOTICE  [recidive] Ban 203.0.113.21'),
      own(13, 5, 'NOTICE  [nginx-http-auth] Ban 2001:db8::21'),
      own(14, 5, 'NOTICE  [sshd] Unban 203.0.113.21'),
      // The line as it was before, with the name again after the journal's: recidive reads no ban in it.
      own(15, 5, 'bantop NOTICE  [sshd] Ban 203.0.113.22'),
    ]);
    const filter = "recidive[_daemon=bantop, journalmatch='_SYSTEMD_UNIT=bantop.service PRIORITY=5']";
    const theirs = fail2banRegex(`systemd-journal[journalfiles=${log}]`, filter);
    const r = bantop('--config', '/etc/fail2ban', '--json', 'regex', `systemd-journal[journalfiles=${log}]`, filter);
    expect(r.code, r.err).toBe(0);
    const ours = JSON.parse(r.out) as { lines: number; matched: number; matches: Array<{ ip: string; time: string }> };
    expect({ lines: ours.lines, matched: ours.matched }).toEqual({ lines: theirs.lines, matched: theirs.matched });
    expect(ours.matches.map((m) => m.ip)).toEqual(['203.0.113.21', '2001:db8::21']);
    expect(ours.matches.map((m) => ({ host: m.ip, time: Date.parse(`${m.time}Z`) / 1000 }))).toEqual(theirs.rows);
  });
});
