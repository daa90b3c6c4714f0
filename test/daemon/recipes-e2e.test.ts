import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFailures, CLI, cli, cliJson, endDaemonLab, REPO, startDaemon, syslogDate, writeConfig, type Daemon } from '../support/daemon.js';
import { createLab, inNs, kernelCount, listen, listening, netnsSkipReason, nftSet, tcpReaches, type Lab } from '../support/netns.js';
import { waitFor } from '../support/wait.js';
import { skipNote } from '../support/skip-note.js';

type Ban = { ip: string; jail: string; permanent: boolean; expiresAt: number | null; source: string; reason?: string };

const pad = (n: number) => String(n).padStart(2, '0');
const today = () => {
  const d = new Date();
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
};

/** A kernel LOG line as `bantop ports` rules write it to kern.log. */
function probe(ip: string, dst: string, port: number, prefix: string): string {
  return `${syslogDate(Date.now())} web1 kernel: [ 4711.123456] [${prefix}] IN=vh0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=${ip} DST=${dst} ` +
    `LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=4242 DF PROTO=TCP SPT=51515 DPT=${port} WINDOW=64240 RES=0x00 SYN URGP=0\n`;
}

const skip = netnsSkipReason(['nft']);

/**
 * The operators' permanent-ban recipes, one end-to-end test each: the shipped
 * jail.conf (with a jail.local pointing at test logs), a real daemon inside a
 * network namespace, real log files and nftables.
 */
describe.skipIf(skip !== null)(`permanent-ban recipes, daemon in a network namespace${skipNote(skip)}`, () => {
  let lab: Lab;
  let dir: string;
  let cfg: string;
  let socket: string;
  let daemon: Daemon | undefined;
  let listener: ReturnType<typeof listen>;
  const f = (name: string) => join(dir, name);
  const list = () => cliJson<Ban[]>(cfg, ['list']);
  const bansOf = (ip: string) => list().filter((b) => b.ip === ip);
  const banlog = () => { try { return readFileSync(f('bans.log'), 'utf8'); } catch { return ''; } };
  const blocklist = () => { try { return readFileSync(f('blocklist'), 'utf8'); } catch { return ''; } };
  // The operator's SSH session that started the daemon: its address must never be banned from a log line.
  const OPERATOR = '198.51.100.99';
  const start = () => startDaemon(cfg, socket, { netns: lab.host, env: { SSH_CONNECTION: `${OPERATOR} 50001 ${lab.hostIp} 22` } });

  beforeAll(async () => {
    lab = createLab();
    dir = mkdtempSync(join(tmpdir(), 'bantop-recipes-'));
    socket = f('bantop.sock');
    for (const l of ['auth.log', 'web.log', 'kern.log', 'esc-a.log', 'esc-b.log']) writeFileSync(f(l), '');
    cfg = writeConfig(dir, { firewall: 'nftables', jails: readFileSync(join(REPO, 'assets', 'config', 'jail.conf'), 'utf8') });
    writeFileSync(join(cfg, 'jail.local'), `[sshd]
logpath = ${f('auth.log')}
port = 2222
maxretry = 3
[web]
enabled = true
filter = sshd
logpath = ${f('web.log')}
port = 8080
maxretry = 3
[closed-ports]
enabled = true
logpath = ${f('kern.log')}
# The escalation test's jails: bans that end on their own, so that bans add up without a manual unban (which pardons).
${[['esc-a', 2222], ['esc-b', 8080]].map(([j, port]) => `[${j}]\nenabled = true\nfilter = sshd\nlogpath = ${f(`${j}.log`)}\nport = ${port}\nmaxretry = 3\nbantime = 2\n`).join('')}[permanent-bans]
enabled = true
logpath = ${f('bans.log')}
# The escalation test's address: its ban-log lines must not make it permanent before escalation does.
ignoreip = 198.51.100.41
`);
    listener = listen(lab, [2222, 8080]);
    await listening(listener);
    daemon = await start();
  }, 60_000);

  afterAll(() => endDaemonLab({ daemon, listener, lab, dir }));

  it('three probes of a closed port give a ban on all ports, named after the port rule in the ban log', async () => {
    // The LOG rules themselves, installed by `bantop ports` inside the namespace.
    const ports = spawnSync('ip', ['netns', 'exec', lab.host, process.execPath, CLI, 'ports', '--ports', '22,3306', '--apply'], { encoding: 'utf8' });
    expect(ports.status, ports.stderr).toBe(0);
    const rules = inNs(lab.host, 'nft', ['list', 'table', 'inet', 'bantop_ports']);
    expect(rules).toContain('log prefix "[ssh-blocked-port-22] "');
    expect(rules).toContain('log prefix "[mysql-blocked-port-3306] "');

    appendFileSync(f('kern.log'), probe(lab.peerIp, lab.hostIp, 22, 'ssh-blocked-port-22').repeat(2));
    await new Promise((r) => setTimeout(r, 500));
    expect(bansOf(lab.peerIp)).toEqual([]); // two probes are not enough
    appendFileSync(f('kern.log'), probe(lab.peerIp, lab.hostIp, 22, 'ssh-blocked-port-22'));
    await waitFor(() => bansOf(lab.peerIp).some((b) => b.jail === 'closed-ports'), 5000, 'the closed-ports ban');
    expect(tcpReaches(lab, 2222)).toBe(false);
    expect(tcpReaches(lab, 8080)).toBe(false);
    await waitFor(() => banlog().includes(`[${today()}] [ssh-blocked-port-22] [${lab.peerIp}] Host banned for 1d.`), 3000, 'the ban-log line');

    expect(cli(cfg, ['unban', lab.peerIp]).status).toBe(0);
    expect(tcpReaches(lab, 2222)).toBe(true);
    await waitFor(() => banlog().includes(`[${today()}] [ssh-blocked-port-22] [${lab.peerIp}] Host unbanned.`), 3000, 'the unban line');
  }, 30_000);

  it('three bans in the ban log give a permanent ban, and the permanent-bans jail never counts its own', async () => {
    const ip = '198.51.100.31';
    for (let i = 0; i < 3; i++) {
      expect(cli(cfg, ['ban', ip, '--for', '1h']).status).toBe(0);
      if (i < 2) expect(cli(cfg, ['unban', ip, '--jail', 'manual']).status).toBe(0);
    }
    await waitFor(() => bansOf(ip).some((b) => b.jail === 'permanent-bans' && b.permanent), 5000, 'the permanent ban from the ban log');
    expect(nftSet(lab.host, 'perm_4')).toContain(ip);
    await waitFor(() => banlog().includes(`[permanent-bans] [${ip}] Host banned permanently.`), 3000, 'its own ban-log line');
    await new Promise((r) => setTimeout(r, 500));
    // Its own line is in the log, but the filter skips it: it matched only the other jails' bans (of every address).
    const others = banlog().split('\n').filter((l) => l.includes('] Host banned') && !l.includes('[permanent-bans]')).length;
    const st = cliJson<{ jails: Array<{ name: string; totalBans: number; filter: { matched: number } }> }>(cfg, ['status']);
    const pb = st.jails.find((j) => j.name === 'permanent-bans')!;
    expect(pb.filter.matched).toBe(others);
    expect(pb.totalBans).toBe(1);
    // Mirrored to the blocklist file, once.
    expect(blocklist().split('\n').filter((l) => l.startsWith(`${ip},permanent-bans  # bantop `))).toHaveLength(1);
  }, 30_000);

  it('repeat offenders escalate across two jails from the store\'s history, and it survives a restart; a manual unban pardons', async () => {
    const ip = '198.51.100.41';
    const ban = async (log: string, jail: string, n: number) => {
      appendFailures(f(log), ip, 3);
      await waitFor(() => bansOf(ip).some((b) => b.jail === jail), 5000, `ban #${n} in ${jail}`);
    };
    const expired = (jail: string) => waitFor(() => !bansOf(ip).some((b) => b.jail === jail), 10_000, `the ${jail} ban to expire`);
    await ban('esc-a.log', 'esc-a', 1);
    // The ban keeps the log lines of its three failures, in the store.
    const lines = cliJson<Array<{ event: string; jail: string; lines: string[] | null }>>(cfg, ['history', ip])[0]!.lines!;
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l).toMatch(new RegExp(`sshd\\[4242\\]: Failed password for root from ${ip.replace(/\./g, '\\.')} port \\d+ ssh2$`));
    expect(cli(cfg, ['history', ip]).stdout).toContain(`the log lines behind each ban:\n  `);
    expect(cli(cfg, ['history', ip]).stdout).toContain(`    ${lines[2]}\n`);
    await ban('esc-b.log', 'esc-b', 2);
    expect(bansOf(ip).some((b) => b.jail === 'escalation')).toBe(false);
    await expired('esc-a');
    await ban('esc-a.log', 'esc-a', 3);
    // 3 bans in a day: a week in the escalation jail (the shipped default).
    const week = bansOf(ip).find((b) => b.jail === 'escalation')!;
    expect(week.source).toBe('escalation');
    expect(week.expiresAt! - Date.now()).toBeGreaterThan(7 * 86400_000 - 60_000);

    await daemon!.stop();
    daemon = await start();
    expect(bansOf(ip).find((b) => b.jail === 'escalation')!.expiresAt).toBe(week.expiresAt);

    await expired('esc-a');
    await ban('esc-a.log', 'esc-a', 4);
    await expired('esc-b');
    await ban('esc-b.log', 'esc-b', 5);
    // 5 bans in 30 days, counted across the restart: permanent, in the permanent set, exactly once.
    await waitFor(() => bansOf(ip).some((b) => b.jail === 'escalation' && b.permanent), 5000, 'the permanent escalation');
    expect(nftSet(lab.host, 'perm_4').filter((e) => e === ip)).toHaveLength(1);
    expect(bansOf(ip).filter((b) => b.jail === 'escalation')).toHaveLength(1);
    await waitFor(() => blocklist().includes(`${ip},escalation  # bantop `), 3000, 'the blocklist line');
    expect(blocklist()).toMatch(new RegExp(`${ip.replace(/\./g, '\\.')},escalation {2}# bantop \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d permanent \\(5 bans in 30d`));

    // The operator's unban everywhere pardons: the bans before it count no more, as fail2ban's manual unban deletes
    // them from its database. The next ban is a first one again.
    expect(cli(cfg, ['unban', ip, '--everywhere']).status).toBe(0);
    await new Promise((r) => setTimeout(r, 1100)); // past the unban's watermark second
    await ban('esc-a.log', 'esc-a', 6);
    await new Promise((r) => setTimeout(r, 300));
    expect(bansOf(ip).map((b) => b.jail)).toEqual(['esc-a']);
    const h = cliJson<Array<{ event: string; jail: string; reason: string | null }>>(cfg, ['history', ip]);
    const pardon = h.findLastIndex((e) => e.event === 'unban' && e.reason === 'manual');
    expect(h.slice(pardon + 1).map((e) => `${e.event} ${e.jail}`)).toEqual(['ban esc-a']);
  }, 90_000);

  it('a blocklist edited by hand is picked up without duplicates, and bad lines are reported with their number', async () => {
    const [a, b] = ['203.0.113.51', '203.0.113.52'];
    appendFileSync(f('blocklist'), `${a},manual  # spammer\n${a},manual\n${b}\nnot-an-address\n`);
    await waitFor(() => bansOf(a).some((x) => x.permanent) && bansOf(b).some((x) => x.permanent), 5000, 'the hand-added bans');
    expect(nftSet(lab.host, 'perm_4').filter((e) => e === a)).toHaveLength(1);
    await waitFor(() => blocklist().split('\n').filter((l) => l.startsWith(`${a},manual`)).length === 1, 3000, 'the deduplicated file');
    const text = blocklist();
    expect(text).toContain(`${b},manual  # bantop `);
    const bad = text.split('\n').find((l) => l.startsWith('# bantop skipped'))!;
    expect(bad).toMatch(/line \d+ \[ip\]: "not-an-address" is not an IP address or CIDR/);
    const st = cliJson<{ warnings: string[] }>(cfg, ['status']);
    expect(st.warnings.some((w) => /blocklist: .*blocklist:line \d+ \[ip\]: "not-an-address"/.test(w))).toBe(true);

    // Removing a line by hand unbans it; a reload adds nothing twice.
    writeFileSync(f('blocklist.tmp'), blocklist().split('\n').filter((l) => !l.startsWith(`${b},`)).join('\n'));
    renameSync(f('blocklist.tmp'), f('blocklist'));
    await waitFor(() => bansOf(b).length === 0, 5000, 'the hand-removed ban to go');
    expect(nftSet(lab.host, 'perm_4')).not.toContain(b);
    expect(cli(cfg, ['reload']).status).toBe(0);
    expect(nftSet(lab.host, 'perm_4').filter((e) => e === a)).toHaveLength(1);
    expect(blocklist().split('\n').filter((l) => l.startsWith(`${a},`))).toHaveLength(1);
    expect(bansOf(b)).toEqual([]);
  }, 30_000);

  it('an unban everywhere holds after a restart, with the old log lines read again', async () => {
    const ip = lab.peerIp;
    await new Promise((r) => setTimeout(r, 1100)); // the first test unbanned this address
    appendFailures(f('auth.log'), ip, 3);
    await waitFor(() => bansOf(ip).some((b) => b.jail === 'sshd'), 5000, 'the sshd ban');
    expect(cli(cfg, ['permaban', ip]).status).toBe(0);
    await waitFor(() => blocklist().includes(`${ip},manual`), 3000, 'the blocklist line');
    expect(tcpReaches(lab, 2222)).toBe(false);

    const r = cli(cfg, ['unban', ip, '--everywhere']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/unbanned .* in (sshd, manual|manual, sshd)/);
    expect(bansOf(ip)).toEqual([]);
    expect(kernelCount('nftables', lab.host, ip)).toBe(0);
    expect(blocklist()).not.toContain(`${ip},`);
    expect(tcpReaches(lab, 2222)).toBe(true);

    // The log is replaced while bantop is down (rotation): at start it reads every old line again.
    await daemon!.stop();
    copyFileSync(f('auth.log'), f('auth.log.new'));
    renameSync(f('auth.log.new'), f('auth.log'));
    daemon = await start();
    const linesRead = () => cliJson<{ jails: Array<{ name: string; filter: { lines: number } }> }>(cfg, ['status']).jails.find((j) => j.name === 'sshd')!.filter.lines;
    await waitFor(() => linesRead() >= 3, 5000, 'the old lines to be read again');
    await new Promise((res) => setTimeout(res, 300));
    expect(bansOf(ip)).toEqual([]);
    expect(kernelCount('nftables', lab.host, ip)).toBe(0);
    expect(tcpReaches(lab, 2222)).toBe(true);

    // --whitelist also whitelists, in the same step.
    expect(cli(cfg, ['ban', '198.51.100.45']).status).toBe(0);
    const w = cliJson<{ whitelisted: boolean }>(cfg, ['unban', '198.51.100.45', '--whitelist']);
    expect(w.whitelisted).toBe(true);
    expect(cliJson<Array<{ entry: string }>>(cfg, ['whitelist', 'list']).map((e) => e.entry)).toContain('198.51.100.45');
    expect(cli(cfg, ['ban', '198.51.100.45']).status).toBe(2);
  }, 60_000);

  it('a lockout is refused: the operator\'s SSH connection, a network holding it, and log lines from it', async () => {
    const env = { SSH_CONNECTION: `${lab.peerIp} 50514 ${lab.hostIp} 22` };
    const refused = cli(cfg, ['ban', lab.peerIp], env);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(`refusing to ban ${lab.peerIp}: it is the SSH connection from ${lab.peerIp} port 50514 to ${lab.hostIp} port 22`);
    expect(refused.stderr).toContain('--force');
    const net = cli(cfg, ['permaban', `${lab.peerIp.replace(/\.\d+$/, '.0')}/24`], env);
    expect(net.status).toBe(2);
    expect(net.stderr).toMatch(/covers .* which is the SSH connection from/);
    expect(tcpReaches(lab, 2222)).toBe(true);
    expect(bansOf(lab.peerIp)).toEqual([]);

    // The daemon's own SSH session: its failures are logged and ignored.
    appendFailures(f('auth.log'), OPERATOR, 5);
    await waitFor(() => readFileSync(f('daemon.log'), 'utf8').includes(`ignored a failure from ${OPERATOR}: a protected address`), 5000, 'the protected-address log line');
    expect(bansOf(OPERATOR)).toEqual([]);
    const mine = cli(cfg, ['ban', OPERATOR]);
    expect(mine.status).toBe(2);
    expect(mine.stderr).toContain('(the session that started bantop serve)');

    // --force is the explicit way through.
    expect(cli(cfg, ['ban', lab.peerIp, '--force'], env).status).toBe(0);
    expect(tcpReaches(lab, 2222)).toBe(false);
    expect(cli(cfg, ['unban', lab.peerIp]).status).toBe(0);
  }, 30_000);
});
