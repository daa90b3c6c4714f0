import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFailures, cli, cliJson, endDaemonLab, startDaemon, type Daemon } from '../support/daemon.js';
import { fail2banSkipReason } from '../support/fail2ban-regex.js';
import { createLab, listen, listening, netnsSkipReason, tcpReaches, type Lab } from '../support/netns.js';
import { skipNote } from '../support/skip-note.js';
import { waitFor } from '../support/wait.js';

type Ban = { ip: string; jail: string; permanent: boolean };

const skip = fail2banSkipReason ?? netnsSkipReason(['iptables']);

/**
 * Debian's own /etc/fail2ban, copied as it is, with a jail.local and a
 * fail2ban.local that only point its paths at the test's files: the daemon
 * logs to its logtarget, and Debian's [recidive] jail, with Debian's recidive
 * filter, reads that log as it reads fail2ban's. Debian's banaction
 * (iptables-multiport, iptables-allports for recidive) enforces in a network
 * namespace.
 */
describe.skipIf(skip !== null)(`an unmodified /etc/fail2ban, daemon in a network namespace${skipNote(skip)}`, () => {
  let lab: Lab;
  let dir: string;
  let cfg: string;
  let daemon: Daemon | undefined;
  let listener: ReturnType<typeof listen>;
  const f = (name: string) => join(dir, name);
  const bans = () => cliJson<Ban[]>(cfg, ['list']).filter((b) => b.ip === lab.peerIp);

  beforeAll(async () => {
    lab = createLab();
    dir = mkdtempSync(join(tmpdir(), 'bantop-debian-'));
    cfg = f('fail2ban');
    cpSync('/etc/fail2ban', cfg, { recursive: true });
    writeFileSync(f('auth.log'), '');
    writeFileSync(join(cfg, 'fail2ban.local'), `[Definition]
logtarget = ${f('fail2ban.log')}
socket = ${f('fail2ban.sock')}
pidfile = ${f('fail2ban.pid')}
dbfile = ${f('fail2ban.sqlite3')}
# bantop's own files, which a fail2ban config does not name: the test's, not this machine's.
banlog = ${f('bans.log')}
blocklist = ${f('blocklist')}
`);
    writeFileSync(join(cfg, 'jail.local'), `[sshd]
logpath = ${f('auth.log')}
maxretry = 2
bantime = 1

[recidive]
enabled = true
logpath = ${f('fail2ban.log')}
maxretry = 2
`);
    listener = listen(lab, [22, 8080]);
    await listening(listener);
    daemon = await startDaemon(cfg, f('fail2ban.sock'), { netns: lab.host, env: { SSH_CONNECTION: `198.51.100.99 50001 ${lab.hostIp} 22` } });
  }, 60_000);

  afterAll(() => endDaemonLab({ daemon, listener, lab, dir }));

  it('says a log file is missing only while it is', () => {
    // The daemon's own log did not exist when the config was read; it does now.
    const st = cliJson<{ warnings: string[] }>(cfg, ['status']);
    expect(st.warnings.filter((w) => w.includes('does not exist yet'))).toEqual([]);
    expect(readFileSync(f('fail2ban.log'), 'utf8')).toContain(`WARNING jail "recidive": log file ${f('fail2ban.log')} does not exist yet`);
  });

  it('Debian\'s recidive jail reads the daemon\'s log: two sshd bans give a ban on all ports', async () => {
    appendFailures(f('auth.log'), lab.peerIp, 2);
    await waitFor(() => bans().some((b) => b.jail === 'sshd'), 5000, 'the first sshd ban');
    expect(tcpReaches(lab, 22)).toBe(false);
    expect(tcpReaches(lab, 8080)).toBe(true);
    // bantime = 1: it lifts by itself, and recidive has seen one ban.
    await waitFor(() => bans().length === 0, 5000, 'the first sshd ban to expire');
    expect(tcpReaches(lab, 22)).toBe(true);
    appendFailures(f('auth.log'), lab.peerIp, 2);
    await waitFor(() => bans().some((b) => b.jail === 'recidive'), 5000, 'the recidive ban');
    expect(tcpReaches(lab, 22)).toBe(false);
    expect(tcpReaches(lab, 8080)).toBe(false);
    const log = readFileSync(f('fail2ban.log'), 'utf8');
    // fail2ban's line, which recidive's `Ban <HOST>\s*$` reads; the details on a line of their own.
    expect(log).toMatch(new RegExp(`NOTICE  \\[sshd\\] Ban ${lab.peerIp.replace(/\./g, '\\.')}\\n.*INFO    \\[sshd\\] ${lab.peerIp.replace(/\./g, '\\.')} banned for 1s \\(filter\\)\\n`));
    expect(log).toContain(`NOTICE  [recidive] Ban ${lab.peerIp}\n`);
    // recidive matches every other jail's ban (bantop's escalation may add one), and not its own: once it has read
    // the log to its end, the two counts are equal.
    const others = () => readFileSync(f('fail2ban.log'), 'utf8').split('\n').filter((l) => / NOTICE +\[(?!recidive\]).*\] Ban /.test(l)).length;
    expect(readFileSync(f('bans.log'), 'utf8')).toContain(`[recidive] [${lab.peerIp}] Host banned for 1w.`);
    const matched = () => cliJson<{ jails: Array<{ name: string; filter: { matched: number } }> }>(cfg, ['status']).jails.find((j) => j.name === 'recidive')!.filter.matched;
    await waitFor(() => matched() === others(), 5000, 'recidive to have read the log').catch((e: Error) => {
      throw new Error(`${e.message}: matched ${matched()}, others ${others()}\n${readFileSync(f('fail2ban.log'), 'utf8')}`);
    });
    expect(others()).toBeGreaterThanOrEqual(2);
    expect(cli(cfg, ['unban', lab.peerIp]).status).toBe(0);
    expect(tcpReaches(lab, 8080)).toBe(true);
  }, 30_000);
});
