import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFailures, cli, cliJson, startDaemon, writeConfig, type Daemon } from '../support/daemon.js';
import { waitFor } from '../support/wait.js';

let dir: string;
let cfg: string;
let log: string;
let daemon: Daemon;
type Ban = { ip: string; jail: string; permanent: boolean; expiresAt: number | null; source: string };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bantop-cli-'));
  log = join(dir, 'auth.log');
  writeFileSync(log, '');
  cfg = writeConfig(dir, { firewall: 'dry-run', jails: `[DEFAULT]\nmaxretry = 2\n# escalation has its own end-to-end test; here it would add bans\nescalation = off\n[sshd]\nenabled = true\nport = ssh\nlogpath = ${log}\n` });
  daemon = await startDaemon(cfg, join(dir, 'bantop.sock'));
}, 30_000);

afterAll(async () => {
  await daemon?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('bantop CLI against a real daemon (dry-run firewall)', () => {
  it('bans, permabans, lists and unbans, with --json output', () => {
    expect(cli(cfg, ['ban', '198.51.100.7', '--jail', 'sshd', '--for', '2h']).stdout).toBe('banned 198.51.100.7 in sshd for 2h\n');
    expect(cli(cfg, ['permaban', '2001:DB8::7']).stdout).toBe('banned 2001:db8::7 in manual permanently\n');
    const list = cliJson<Ban[]>(cfg, ['list']);
    expect(list.map((b) => [b.ip, b.jail, b.permanent]).sort()).toEqual([['198.51.100.7', 'sshd', false], ['2001:db8::7', 'manual', true]]);
    const human = cli(cfg, ['list']).stdout;
    expect(human).toMatch(/^IP\s+JAIL\s+SINCE\s+EXPIRES/);
    expect(human).toMatch(/2001:db8::7\s+manual\s+.*permanent/);
    expect(cli(cfg, ['unban', '198.51.100.7']).stdout).toBe('unbanned 198.51.100.7 in sshd; its earlier log lines will never count again\n');
    expect(cli(cfg, ['unban', '198.51.100.7', '--jail', 'sshd']).stdout).toBe('198.51.100.7 was not banned in sshd\n');
    expect(cli(cfg, ['unban', '2001:db8::7', '--everywhere']).status).toBe(0);
    expect(cliJson<Ban[]>(cfg, ['list'])).toEqual([]);
  });

  it('refuses bad input with exit 2 and a clear message, and changes nothing', () => {
    cli(cfg, ['permaban', '192.0.2.50']);
    const before = cli(cfg, ['--json', 'list']).stdout;
    const cases: Array<[string[], RegExp]> = [
      [['ban', '300.1.2.3'], /"300\.1\.2\.3" is not an IP address or CIDR/],
      [['ban', '1.2.3.4', '--jail', 'nosuch'], /unknown jail "nosuch"/],
      [['ban', '1.2.3.4', '--for', 'soon'], /--for: .*soon/],
      [['ban', '1.2.3.4', '--jail', 'a b'], /--jail: not a jail name/],
      [['unban', '1.2.3.4', '--jail', 'sshd', '--everywhere'], /not both/],
      [['permaban', '1.2.3.4', '--for', '1h'], /permaban takes no --for/],
      [['whitelist', 'add', 'example.com'], /not an IP address or CIDR/],
      [['whitelist', 'frobnicate', '1.2.3.4'], /unknown whitelist command/],
      [['status', 'nosuch'], /unknown jail "nosuch"/],
      [['ban', '1.2.3.4', '--bogus'], /unknown option --bogus/],
    ];
    for (const [args, msg] of cases) {
      const r = cli(cfg, args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(msg);
      expect(r.stdout).toBe('');
    }
    expect(cli(cfg, ['--json', 'list']).stdout).toBe(before);
    cli(cfg, ['unban', '192.0.2.50']);
  });

  it('refuses to ban the operator\'s own SSH client address', () => {
    const r = cli(cfg, ['ban', '203.0.113.0/24'], { SSH_CONNECTION: '203.0.113.77 51000 192.0.2.1 22' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('refusing to ban 203.0.113.0/24: it covers 203.0.113.77, which is the SSH connection from 203.0.113.77 port 51000 to 192.0.2.1 port 22 (the session asking for this ban)');
    expect(r.stderr).toContain('try: add --force if you really mean it');
  });

  it('whitelist add unbans everywhere and stops future bans; rm and list work', async () => {
    cli(cfg, ['ban', '192.0.2.9', '--jail', 'sshd']);
    cli(cfg, ['ban', '192.0.2.9']);
    expect(cli(cfg, ['whitelist', 'add', '192.0.2.0/28']).stdout).toMatch(/^whitelisted 192\.0\.2\.0\/28; unbanned 192\.0\.2\.9 \(sshd\), 192\.0\.2\.9 \(manual\)/);
    expect(cli(cfg, ['whitelist', 'list']).stdout).toBe('192.0.2.0/28\n');
    const refused = cli(cfg, ['ban', '192.0.2.9']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/covers|whitelisted/);
    appendFailures(log, '192.0.2.9', 3);
    appendFailures(log, '198.51.100.200', 2);
    await waitFor(() => cliJson<Ban[]>(cfg, ['list']).some((b) => b.ip === '198.51.100.200'), 5000, 'the other address to be banned');
    expect(cliJson<Ban[]>(cfg, ['list']).map((b) => b.ip)).toEqual(['198.51.100.200']);
    expect(cli(cfg, ['whitelist', 'rm', '192.0.2.0/28']).stdout).toBe('removed 192.0.2.0/28 from the whitelist\n');
    cli(cfg, ['unban', '198.51.100.200']);
  });

  it('an unbanned address stays unbanned when old log lines are read again after a restart', async () => {
    appendFailures(log, '198.51.100.33', 2);
    await waitFor(() => cliJson<Ban[]>(cfg, ['list']).some((b) => b.ip === '198.51.100.33'), 5000, 'ban');
    cli(cfg, ['unban', '198.51.100.33']);
    await daemon.stop();
    // Forget the read position, as after a lost state file: the same lines come round again.
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(join(dir, 'bantop.sqlite3'));
    db.prepare('DELETE FROM bantop_positions').run();
    db.close();
    writeFileSync(log, readFileSync(log, 'utf8'));
    daemon = await startDaemon(cfg, join(dir, 'bantop.sock'));
    appendFailures(log, '198.51.100.34', 2);
    await waitFor(() => cliJson<Ban[]>(cfg, ['list']).some((b) => b.ip === '198.51.100.34'), 5000, 'a fresh ban');
    expect(cliJson<Ban[]>(cfg, ['list']).map((b) => b.ip)).toEqual(['198.51.100.34']);
    cli(cfg, ['unban', '198.51.100.34']);
  }, 30_000);

  it("unban --all lifts one jail's bans, or every ban with the permanent list and the blocklist file, as fail2ban-client unban --all", async () => {
    for (const ip of ['198.51.100.60', '198.51.100.61']) expect(cli(cfg, ['ban', ip, '--jail', 'sshd']).status).toBe(0);
    expect(cli(cfg, ['ban', '198.51.100.61']).status).toBe(0);
    expect(cli(cfg, ['permaban', '2001:db8::60']).status).toBe(0);
    await waitFor(() => readFileSync(join(dir, 'blocklist'), 'utf8').includes('2001:db8::60,manual'), 3000, 'the blocklist line');
    const jails = () => cliJson<Ban[]>(cfg, ['list']).map((b) => `${b.ip} ${b.jail}`).sort();

    expect(cli(cfg, ['unban', '--all', '--jail', 'sshd']).stdout).toBe('unbanned 2 address(es), 2 ban(s), in sshd\n');
    expect(jails()).toEqual(['198.51.100.61 manual', '2001:db8::60 manual']);
    expect(cli(cfg, ['unban', '--all', '--jail', 'sshd']).stdout).toBe('no bans in sshd\n');
    const r = cliJson<{ bans: number; addresses: number; jails: string[] }>(cfg, ['unban', '--all']);
    expect(r).toEqual({ bans: 2, addresses: 2, jails: ['manual'] });
    expect(jails()).toEqual([]);
    expect(readFileSync(join(dir, 'blocklist'), 'utf8')).not.toMatch(/^2001:db8::60,/m);
    // Everywhere: the old log lines of an address unbanned so never count again.
    expect(cliJson<Array<{ event: string; reason: string | null }>>(cfg, ['history', '198.51.100.61']).filter((h) => h.event === 'unban').map((h) => h.reason))
      .toEqual(['manual', 'manual']);
    expect(cli(cfg, ['unban', '--all']).stdout).toBe('no bans\n');

    for (const [args, msg] of [
      [['unban', '--all', '198.51.100.60'], /unban --all takes no address/],
      [['unban', '--all', '--whitelist'], /unban --all takes no --whitelist/],
      [['unban', '--all', '--everywhere'], /unban --all takes no --everywhere/],
      [['unban', '--all', '--jail', 'nosuch'], /unknown jail "nosuch"/],
    ] as Array<[string[], RegExp]>) {
      const bad = cli(cfg, args);
      expect(bad.status, args.join(' ')).toBe(2);
      expect(bad.stderr, args.join(' ')).toMatch(msg);
    }
  });

  it('imports a blocklist idempotently and exports it in all three formats', () => {
    const file = join(dir, 'blocklist.txt');
    writeFileSync(file, '# list\n198.51.100.1\n198.51.100.2,sshd\n198.51.100.0/30  # net\n198.51.100.1\n');
    expect(cli(cfg, ['import', file]).stdout).toBe(`imported ${file}: 3 added, 1 already banned, 0 skipped\n`);
    expect(cli(cfg, ['import', file]).stdout).toBe(`imported ${file}: 0 added, 4 already banned, 0 skipped\n`);
    const list = cliJson<Ban[]>(cfg, ['list']);
    expect(list.length).toBe(3);
    expect(list.every((b) => b.permanent && b.source === 'import')).toBe(true);
    expect(cli(cfg, ['export', '--format', 'ip']).stdout.split('\n').filter(Boolean).sort()).toEqual(['198.51.100.0/30', '198.51.100.1', '198.51.100.2']);
    expect(cli(cfg, ['export']).stdout).toContain('198.51.100.2,sshd\n');
    const out = join(dir, 'export.txt');
    expect(cli(cfg, ['export', out, '--format', 'comment']).stdout).toBe(`exported 3 ban(s) to ${out}\n`);
    expect(readFileSync(out, 'utf8')).toMatch(/^198\.51\.100\.\S+  # \S+ permanent import/m);
    // Re-importing an ip,jail export adds nothing.
    cli(cfg, ['export', join(dir, 'export2.txt')]);
    expect(cli(cfg, ['import', join(dir, 'export2.txt')]).stdout).toMatch(/: 0 added, 3 already banned/);
  });

  it('rejects a bad blocklist whole, naming file and line, and keeps what is stored', () => {
    const before = cli(cfg, ['--json', 'list']).stdout;
    const file = join(dir, 'bad.txt');
    writeFileSync(file, '198.51.100.50\nnot-an-ip\n');
    const r = cli(cfg, ['import', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${file}:line 2 [ip]: "not-an-ip" is not an IP address or CIDR`);
    expect(cli(cfg, ['--json', 'list']).stdout).toBe(before);
    const piped = cli(cfg, ['import', '-'], {}, '198.51.100.51\n\n198.51.100.52  # x\nnope\n');
    expect(piped.status).toBe(2);
    expect(piped.stderr).toContain('stdin:line 4 [ip]: "nope" is not an IP address or CIDR');
    expect(cli(cfg, ['--json', 'list']).stdout).toBe(before);
  });

  it('refuses a ban, permaban or whitelist entry whose prefix leaves address bits set (a mistyped prefix), and changes nothing', () => {
    const before = cli(cfg, ['--json', 'list']).stdout;
    for (const args of [['ban', '198.51.100.0/8'], ['permaban', '198.51.100.0/8'], ['whitelist', 'add', '198.51.100.0/8']]) {
      const r = cli(cfg, args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toBe('bantop: "198.51.100.0/8" has bits set past its prefix: it is the network 198.0.0.0/8 (16,777,216 addresses)\n' +
        '  try: give 198.0.0.0/8 if that network is meant, or correct the prefix\n');
    }
    expect(cli(cfg, ['--json', 'list']).stdout).toBe(before);
    expect(cli(cfg, ['whitelist', 'list']).stdout).not.toContain('198.0.0.0/8');
    // Unbanning one is harmless: it is taken as the network it names.
    expect(cli(cfg, ['unban', '198.51.100.0/8']).stdout).toBe('198.0.0.0/8 was not banned; its earlier log lines will never count again\n');
  });

  it('imports a blocklist from standard input with "-"', () => {
    const r = cli(cfg, ['import', '-', '--for', '1h'], {}, '198.51.100.61\n198.51.100.62,sshd\n');
    expect(r.stdout).toBe('imported stdin: 2 added, 0 already banned, 0 skipped\n');
    const got = cliJson<Ban[]>(cfg, ['list']).filter((b) => b.ip.startsWith('198.51.100.6'));
    expect(got.map((b) => [b.ip, b.jail, b.permanent]).sort()).toEqual([['198.51.100.61', 'manual', false], ['198.51.100.62', 'sshd', false]]);
    for (const b of got) expect(cli(cfg, ['unban', b.ip]).status).toBe(0);
  });

  it('status shows the daemon and per-jail figures, fail2ban-style for one jail', () => {
    const all = cli(cfg, ['status']).stdout;
    expect(all).toMatch(/^bantop on \S+ \(pid \d+, up .*\), firewall dry-run \[dry-run\]/);
    expect(all).toMatch(/\nJAIL\s+FAILING\s+MAXRETRY\s+BANS/);
    const one = cli(cfg, ['status', 'sshd']).stdout;
    expect(one).toMatch(/^Status for the jail: sshd\n\|- Filter\n\|  \|- Currently failed: \d+/);
    expect(one).toContain('198.51.100.2');
    const json = cliJson<{ jails: Array<{ name: string }> }>(cfg, ['status']);
    expect(json.jails.map((j) => j.name)).toEqual(['sshd', 'manual', 'escalation']);
  });
});

describe('bantop CLI without a daemon', () => {
  it('says no daemon is running and how to start one, exit 3', () => {
    const r = cli(cfg, ['--socket', join(dir, 'none.sock'), 'status']);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/no bantop daemon is running at .*none\.sock/);
    expect(r.stderr).toMatch(/bantop serve/);
  });
});
