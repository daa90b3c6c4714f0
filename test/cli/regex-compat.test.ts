import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM module without types (shared with the bench)
import { GENERATORS, writeLog } from '../../bench/gen-logs.mjs';
import { filterFromArgument } from '../../src/cli/filter-argument.js';
import { runRegex } from '../../src/cli/regex.js';
import { fail2banRegex, haveFail2ban } from '../support/fail2ban-regex.js';

const CASES: Array<[filter: string, log: string]> = [
  ['sshd', 'sshd'],
  ['sshd[mode=aggressive]', 'sshd'],
  ['sshd[mode=ddos]', 'sshd'],
  ['sshd[mode=extra]', 'sshd'],
  ['nginx-http-auth', 'nginx-error'],
  ['nginx-botsearch', 'nginx-access'],
  ['postfix', 'mail'],
  ['postfix[mode=aggressive]', 'mail'],
  ['dovecot', 'mail'],
];

describe.skipIf(!haveFail2ban)('bantop regex agrees with fail2ban-regex on Debian filters', () => {
  let dir: string;
  const prev = process.env['TZ'];
  beforeAll(async () => {
    process.env['TZ'] = 'UTC';
    dir = mkdtempSync(join(tmpdir(), 'bantop-compat-'));
    for (const kind of new Set(CASES.map((c) => c[1]))) await writeLog(join(dir, `${kind}.log`), GENERATORS[kind], 2000);
  });
  afterAll(() => {
    process.env['TZ'] = prev;
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(CASES)('%s on a generated %s log: same counts, hosts and times', (filter, log) => {
    const path = join(dir, `${log}.log`);
    const theirs = fail2banRegex(path, filter);
    const { spec } = filterFromArgument('/etc/fail2ban', filter);
    const ours = runRegex(spec, path);
    expect({ lines: ours.lines, matched: ours.matched, ignored: ours.ignored, missed: ours.missed })
      .toEqual({ lines: theirs.lines, matched: theirs.matched, ignored: theirs.ignored, missed: theirs.missed });
    expect(theirs.matched).toBeGreaterThan(0);
    // fail2ban's row shows the normalised address; ours keeps the raw host and adds `ip`.
    const oursRows = ours.matches.map((m) => ({ host: m.ip ?? m.host, time: m.time === null ? null : Date.parse(`${m.time}Z`) / 1000 }));
    expect(oursRows).toEqual(theirs.rows);
  });

  // Sessions by hand: two users in one session, host-less failures waiting for a host, an accepted
  // login, IPv4 then IPv6 in one session, and 150 interleaved sessions against fail2ban's 100-entry cache.
  it('sshd sessions (<F-MLFID>): the same failures as fail2ban, which reports what its server would ban', () => {
    const path = fileURLToPath(new URL('../fixtures/sshd-sessions.txt', import.meta.url));
    const theirs = fail2banRegex(path, 'sshd');
    const ours = runRegex(filterFromArgument('/etc/fail2ban', 'sshd').spec, path);
    const oursRows = ours.matches.map((m) => ({ host: m.ip ?? m.host, time: Date.parse(`${m.time}Z`) / 1000 }));
    expect(oursRows).toEqual(theirs.rows);
    expect(theirs.rows.length).toBeGreaterThan(100);
    // Its counts take a failure whose host is still to come (a later line of the session) as matched.
    expect({ lines: ours.lines, matched: ours.matched, ignored: ours.ignored, missed: ours.missed })
      .toEqual({ lines: theirs.lines, matched: theirs.matched, ignored: theirs.ignored, missed: theirs.missed });
    expect(ours.matched).toBeGreaterThan(theirs.rows.length);
  });
});

if (!haveFail2ban) {
  describe('fail2ban compatibility', () => {
    it.skip('needs Debian fail2ban (apt-get install fail2ban): fail2ban-regex is not installed here', () => {});
  });
}
