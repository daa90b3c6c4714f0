import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveAction } from '../../src/config/action-def.js';
import { loadConfig } from '../../src/config/load.js';
import { CommandBackend, tagValues } from '../../src/firewall/command.js';
import { IptablesBackend } from '../../src/firewall/iptables.js';
import { Enforcer } from '../../src/firewall/enforcer.js';
import { actionKey, buildPlan } from '../../src/firewall/select.js';
import { hostRunner } from '../../src/proc/run.js';
import { skipNote } from '../support/skip-note.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'bantop-action-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const where = { file: 'jail.conf', key: 'action' };
const info = { jail: 'sshd', failures: 5, time: 1_700_000_000_000, bantime: 600 };

describe('command backend (fail2ban action.d)', () => {
  it('runs actionstart, actionban and actionunban with the tags filled in', async () => {
    const out = join(dir, 'out.txt');
    mkdirSync(join(dir, 'action.d'));
    writeFileSync(join(dir, 'action.d', 'mine.conf'), `[Definition]
actionstart = echo "start <name>" >> <logfile>
actionban = echo "ban <ip> <name> <port> <protocol> <failures> <bantime> <time>" >> <logfile>
actionunban = echo "unban <ip>" >> <logfile>
actionstop = echo stop >> <logfile>
[Init]
logfile = /nonexistent/overridden
`);
    const action = resolveAction(dir, 'mine', { logfile: out, port: '22,2222' }, { name: 'sshd', port: 'ssh', protocol: 'tcp' }, where);
    const b = new CommandBackend(hostRunner(), action, 'sshd');
    expect((await b.setup([])).ok).toBe(true);
    expect((await b.apply([{ op: 'add', target: 'sshd', ip: '192.0.2.1', info }])).ok).toBe(true);
    expect((await b.apply([{ op: 'del', target: 'sshd', ip: '192.0.2.1', info }])).ok).toBe(true);
    expect((await b.teardown()).ok).toBe(true);
    expect(readFileSync(out, 'utf8')).toBe('start sshd\nban 192.0.2.1 sshd 22,2222 tcp 5 600 1700000000.000\nunban 192.0.2.1\nstop\n');
  });

  it('never lets an unvalidated value reach the shell', async () => {
    const out = join(dir, 'out.txt');
    mkdirSync(join(dir, 'action.d'));
    writeFileSync(join(dir, 'action.d', 'mine.conf'), `[Definition]\nactionban = echo "<ip>" >> ${out}\n`);
    const b = new CommandBackend(hostRunner(), resolveAction(dir, 'mine', {}, { name: 'sshd' }, where), 'sshd');
    const r = await b.apply([{ op: 'add', target: 'sshd', ip: '1.2.3.4"; touch /tmp/pwned; "', info }]);
    expect(r.ok).toBe(false);
    expect(r.stderr).toMatch(/not a canonical address/);
    expect(existsSync(out)).toBe(false);
    expect(tagValues('192.0.2.1', { ...info, failures: 1.5 }, 'sshd')).toMatch(/non-numeric/);
    expect(tagValues('192.0.2.1', info, 'ss hd')).toMatch(/refusing/);
  });

  const noDummy = existsSync('/etc/fail2ban/action.d/dummy.conf') ? null : '/etc/fail2ban/action.d/dummy.conf is missing: apt-get install fail2ban';
  it.skipIf(noDummy !== null)(`runs Debian fail2ban's own dummy action unmodified${skipNote(noDummy)}`, async () => {
    const target = join(dir, 'dummy.state');
    const action = resolveAction('/etc/fail2ban', 'dummy', { target }, { name: 'sshd', port: 'ssh', protocol: 'tcp' }, where);
    const b = new CommandBackend(hostRunner(), action, 'sshd');
    expect((await b.setup([])).ok).toBe(true);
    expect((await b.apply([{ op: 'add', target: 'sshd', ip: '192.0.2.7', info }])).ok).toBe(true);
    expect(readFileSync(target, 'utf8')).toContain('+192.0.2.7');
    await b.teardown();
    expect(existsSync(target)).toBe(false);
  });
});

describe('backend choice', () => {
  const noJail = existsSync('/etc/fail2ban/jail.conf') ? null : '/etc/fail2ban/jail.conf is missing: apt-get install fail2ban';
  it.skipIf(noJail !== null)(`enforces Debian's /etc/fail2ban sshd jail natively with iptables-multiport's port${skipNote(noJail)}`, () => {
    const cfg = loadConfig('/etc/fail2ban');
    const plan = buildPlan(cfg, { runner: hostRunner(), passiveJails: ['manual'] });
    const [route] = plan.routes.get('sshd')!;
    expect(route!.backend).toBeInstanceOf(IptablesBackend);
    expect(route!.target).toEqual({ key: 'sshd', ports: { all: false, ranges: [[22, 22]] }, protocol: 'tcp' });
  });

  it.skipIf(noJail !== null)(`keeps Debian's tcp and udp actions of one jail apart, as fail2ban's f2b-asterisk-tcp and f2b-asterisk-udp${skipNote(noJail)}`, () => {
    // jail.conf: action_ = %(default/action_)s[name=%(__name__)s-tcp, protocol="tcp"] and the same with udp. Before, both
    // rules were keyed "asterisk" on one backend, and the udp one replaced the tcp one: SIP over tcp was not blocked.
    cpSync('/etc/fail2ban', dir, { recursive: true });
    writeFileSync(join(dir, 'x.log'), '');
    writeFileSync(join(dir, 'jail.d', 'zz.local'), `[sshd]\nenabled = false\n[asterisk]\nenabled = true\nlogpath = ${dir}/x.log\n`);
    const plan = buildPlan(loadConfig(dir), { runner: hostRunner(), passiveJails: [] });
    const sip = { all: false, ranges: [[5060, 5060], [5061, 5061]] };
    expect(plan.routes.get('asterisk')!.map((r) => r.target)).toEqual([
      { key: 'asterisk-tcp', ports: sip, protocol: 'tcp' },
      { key: 'asterisk-udp', ports: sip, protocol: 'udp' },
    ]);
    const enforcer = new Enforcer(plan);
    expect(enforcer.targetsOf(plan.backends.indexOf(plan.routes.get('asterisk')![0]!.backend)).map((t) => t.key)).toEqual(expect.arrayContaining(['asterisk-tcp', 'asterisk-udp']));
  });

  it('names an action\'s rule as fail2ban names its chain', () => {
    expect(actionKey('nsd', { name: 'iptables-multiport', args: {} })).toBe('nsd');
    expect(actionKey('nsd', { name: 'iptables-multiport', args: { name: 'nsd' } })).toBe('nsd');
    expect(actionKey('nsd', { name: 'iptables-multiport', args: { name: 'nsd-udp' } })).toBe('nsd-udp');
    expect(actionKey('nsd', { name: 'iptables-multiport', args: { name: 'dns' } })).toBe('nsd-dns');
  });

  it('routes a custom action through action.d and everything through dry-run when firewall = dry-run', () => {
    mkdirSync(join(dir, 'action.d'));
    mkdirSync(join(dir, 'filter.d'));
    writeFileSync(join(dir, 'filter.d', 'f.conf'), '[Definition]\nfailregex = ^fail <HOST>$\n');
    writeFileSync(join(dir, 'action.d', 'mine.conf'), '[Definition]\nactionban = true\n');
    writeFileSync(join(dir, 'jail.conf'), `[a]\nenabled = true\nfilter = f\nlogpath = ${dir}/x.log\naction = mine\n[b]\nenabled = true\nfilter = f\nlogpath = ${dir}/x.log\nbanaction = hostsdeny\naction = %(banaction)s\n`);
    writeFileSync(join(dir, 'bantop.conf'), '[Definition]\nfirewall = nftables\n');
    const plan = buildPlan(loadConfig(dir), { runner: hostRunner(), passiveJails: [] });
    expect(plan.routes.get('a')!.map((r) => r.backend.name)).toEqual(['action:mine']);
    expect(plan.routes.get('b')!.map((r) => r.backend.name)).toEqual(['hostsdeny']);
    writeFileSync(join(dir, 'bantop.conf'), '[Definition]\nfirewall = dry-run\n');
    const dry = buildPlan(loadConfig(dir), { runner: hostRunner(), passiveJails: [] });
    expect(dry.backends.map((b) => b.name)).toEqual(['dry-run']);
  });
});
