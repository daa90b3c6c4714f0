import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveAction } from '../../src/config/action-def.js';
import { loadConfig } from '../../src/config/load.js';
import { CommandBackend, ticketOf } from '../../src/firewall/command.js';
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

/** action.d/NAME.conf with `conf` in the test's directory, run as the sshd jail's command action. */
function sshdAction(name: string, conf: string): CommandBackend {
  mkdirSync(join(dir, 'action.d'), { recursive: true });
  writeFileSync(join(dir, 'action.d', `${name}.conf`), conf);
  return new CommandBackend(hostRunner(), resolveAction(dir, name, {}, { name: 'sshd' }, where), 'sshd');
}

/**
 * An action whose "chain" is the file `ready`: actionstart makes it, actionstop
 * removes it, actioncheck fails without it, and a ban fails without it. Each
 * command it runs is written to `out`.
 */
function restartingAction(out: string, ready: string): CommandBackend {
  return sshdAction('restarting', `[Definition]
actionstart = touch ${ready}; echo start >> ${out}
actionstop = rm -f ${ready}; echo stop >> ${out}
actioncheck = test -e ${ready}
actionban = test -e ${ready} && echo "ban <ip>" >> ${out}
`);
}

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
    const action = resolveAction(dir, 'mine', { logfile: out, port: '22,2222', protocol: 'tcp' }, { name: 'sshd' }, where);
    const b = new CommandBackend(hostRunner(), action, 'sshd');
    expect((await b.setup([])).ok).toBe(true);
    expect((await b.apply([{ op: 'add', target: 'sshd', ip: '192.0.2.1', info }])).ok).toBe(true);
    expect((await b.apply([{ op: 'del', target: 'sshd', ip: '192.0.2.1', info }])).ok).toBe(true);
    expect((await b.teardown()).ok).toBe(true);
    expect(readFileSync(out, 'utf8')).toBe('start sshd\nban 192.0.2.1 sshd 22,2222 tcp 5 600 1700000000.0\nunban 192.0.2.1\nstop\n');
  });

  it('never lets an unvalidated value reach the shell', async () => {
    const out = join(dir, 'out.txt');
    const b = sshdAction('mine', `[Definition]\nactionban = echo "<ip>" >> ${out}\n`);
    const r = await b.apply([{ op: 'add', target: 'sshd', ip: '1.2.3.4"; touch /tmp/pwned; "', info }]);
    expect(r.ok).toBe(false);
    expect(r.stderr).toMatch(/not a canonical address/);
    expect(existsSync(out)).toBe(false);
    expect(ticketOf('192.0.2.1', { ...info, failures: 1.5 }, 'sshd')).toMatch(/non-numeric/);
    expect(ticketOf('192.0.2.1', info, 'ss hd')).toMatch(/refusing/);
  });

  it('hands log lines to the shell as parameters: a failure line with $(…), backquotes and quotes is written, never run', async () => {
    const out = join(dir, 'mail.txt');
    const pwned = join(dir, 'pwned');
    const b = sshdAction('mail', `[Definition]\nactionban = printf '%%s\\n' "<ip> <F-USER>:" "<matches>" >> ${out}\n`);
    const line = `Failed password for x$(touch ${pwned})\`touch ${pwned}\`"'; touch ${pwned} from 192.0.2.1`;
    expect((await b.apply([{ op: 'add', target: 'sshd', ip: '192.0.2.1', info: { ...info, matches: [line, 'second'] } }])).ok).toBe(true);
    expect(readFileSync(out, 'utf8')).toBe(`192.0.2.1 :\n${line}\nsecond\n`);
    expect(existsSync(pwned)).toBe(false);
  });

  it("starts an action with [Init?family=inet6] per family at that family's first ban, with that family's commands, and stops both", async () => {
    const out = join(dir, 'out.txt');
    const b = sshdAction('fam', `[Definition]
actionstart = echo "start <tool> <family>" >> ${out}
actionstop = echo "stop <tool>" >> ${out}
actionban = echo "ban <tool> <ip>" >> ${out}
actionunban = echo "unban <tool> <ip>" >> ${out}
[Init]
tool = iptables
[Init?family=inet6]
tool = ip6tables
`);
    expect((await b.setup([])).ok).toBe(true);
    expect(existsSync(out)).toBe(false);
    await b.apply([{ op: 'add', target: 'sshd', ip: '2001:db8::5', info }]);
    await b.apply([{ op: 'add', target: 'sshd', ip: '192.0.2.5', info }]);
    await b.apply([{ op: 'add', target: 'sshd', ip: '192.0.2.6', info }]);
    await b.close();
    expect(readFileSync(out, 'utf8').trim().split('\n')).toEqual([
      'start ip6tables inet6', 'ban ip6tables 2001:db8::5', 'start iptables inet4', 'ban iptables 192.0.2.5', 'ban iptables 192.0.2.6',
      'unban ip6tables 2001:db8::5', 'unban iptables 192.0.2.5', 'unban iptables 192.0.2.6', 'stop ip6tables', 'stop iptables',
    ]);
  });

  it('after a failed ban, runs actioncheck, restarts the action when the check fails, and bans again', async () => {
    const out = join(dir, 'out.txt');
    const ready = join(dir, 'ready');
    const b = restartingAction(out, ready);
    expect((await b.setup([])).ok).toBe(true);
    rmSync(ready);
    expect((await b.apply([{ op: 'add', target: 'sshd', ip: '192.0.2.9', info }])).ok).toBe(true);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toEqual(['start', 'stop', 'start', 'ban 192.0.2.9']);
    // A replay of a ban the action holds since its start does not ban twice (reconcile replays every ban).
    await b.apply([{ op: 'add', target: 'sshd', ip: '192.0.2.9', info }]);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(4);
  });

  it('after actionrepair, bans again with actionreban everything the action held, at once; the replay after it adds nothing', async () => {
    const out = join(dir, 'out.txt');
    const ready = join(dir, 'ready');
    // The "chain" is the ready file: repair makes it anew, empty, as a rebuilt iptables chain is.
    const b = sshdAction('rep', `[Definition]
actionstart = touch ${ready}; echo start >> ${out}
actioncheck = test -e ${ready}
actionrepair = touch ${ready}; echo repair >> ${out}
actionban = echo "ban <ip>" >> ${ready}; echo "ban <ip>" >> ${out}
actionreban = echo "reban <ip> <bantime>" >> ${ready}; echo "reban <ip> <bantime>" >> ${out}
actionunban = echo "unban <ip>" >> ${out}
`);
    await b.setup([]);
    await b.apply([{ op: 'add', target: 'sshd', ip: '192.0.2.1', info }, { op: 'add', target: 'sshd', ip: '2001:db8::2', info: { ...info, bantime: -1 } }]);
    rmSync(ready);
    expect(await b.healthy()).toBe(false);
    // The enforcer's repair: setup again, then a replay of every ban.
    expect((await b.setup([])).ok).toBe(true);
    await b.apply([{ op: 'add', target: 'sshd', ip: '192.0.2.1', info }, { op: 'add', target: 'sshd', ip: '2001:db8::2', info: { ...info, bantime: -1 } }]);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toEqual(['start', 'ban 192.0.2.1', 'ban 2001:db8::2', 'repair', 'reban 192.0.2.1 600', 'reban 2001:db8::2 -1']);
    expect(readFileSync(ready, 'utf8')).toBe('reban 192.0.2.1 600\nreban 2001:db8::2 -1\n');
    await b.apply([{ op: 'del', target: 'sshd', ip: '192.0.2.1', info }]);
    expect(readFileSync(out, 'utf8').trim().split('\n').at(-1)).toBe('unban 192.0.2.1');
  });

  it('after a restart that a failed ban caused, bans the others again (with actionban, the action having no actionreban) before that ban', async () => {
    const out = join(dir, 'out.txt');
    const ready = join(dir, 'ready');
    const b = restartingAction(out, ready);
    await b.setup([]);
    await b.apply([{ op: 'add', target: 'sshd', ip: '192.0.2.1', info }, { op: 'add', target: 'sshd', ip: '192.0.2.2', info }]);
    rmSync(ready);
    expect((await b.apply([{ op: 'add', target: 'sshd', ip: '192.0.2.3', info }])).ok).toBe(true);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toEqual(['start', 'ban 192.0.2.1', 'ban 192.0.2.2', 'stop', 'start', 'ban 192.0.2.1', 'ban 192.0.2.2', 'ban 192.0.2.3']);
  });

  it('a reban that fails stays due: the next replay rebans it, and an unban meanwhile runs nothing', async () => {
    const out = join(dir, 'out.txt');
    const ready = join(dir, 'ready');
    const refuse = join(dir, 'refuse');
    const b = sshdAction('rf', `[Definition]
actionstart = touch ${ready}
actioncheck = test -e ${ready}
actionrepair = touch ${ready}
actionban = echo "ban <ip>" >> ${out}
actionreban = test ! -e ${refuse} && echo "reban <ip>" >> ${out}
actionunban = echo "unban <ip>" >> ${out}
`);
    await b.setup([]);
    await b.apply([{ op: 'add', target: 'sshd', ip: '192.0.2.1', info }, { op: 'add', target: 'sshd', ip: '192.0.2.2', info }]);
    rmSync(ready);
    writeFileSync(refuse, '');
    await b.setup([]);
    rmSync(refuse);
    await b.apply([{ op: 'del', target: 'sshd', ip: '192.0.2.2', info }]);
    await b.apply([{ op: 'add', target: 'sshd', ip: '192.0.2.1', info }]);
    await b.apply([{ op: 'add', target: 'sshd', ip: '192.0.2.1', info }]);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toEqual(['ban 192.0.2.1', 'ban 192.0.2.2', 'reban 192.0.2.1']);
  });

  it('skips actionban for a restored ban when the action says norestored', async () => {
    const out = join(dir, 'out.txt');
    const b = sshdAction('nr', `[Definition]\nnorestored = 1\nactionban = echo "ban <ip> <restored> <bancount>" >> ${out}\n`);
    await b.apply([{ op: 'add', target: 'sshd', ip: '192.0.2.1', info: { ...info, restored: true } }]);
    await b.apply([{ op: 'add', target: 'sshd', ip: '192.0.2.2', info: { ...info, bancount: 4 } }]);
    expect(readFileSync(out, 'utf8')).toBe('ban 192.0.2.2 0 4\n');
  });

  const noDummy = existsSync('/etc/fail2ban/action.d/dummy.conf') ? null : '/etc/fail2ban/action.d/dummy.conf is missing: apt-get install fail2ban';
  it.skipIf(noDummy !== null)(`runs Debian fail2ban's own dummy action unmodified${skipNote(noDummy)}`, async () => {
    const target = join(dir, 'dummy.state');
    const action = resolveAction('/etc/fail2ban', 'dummy', { target }, { name: 'sshd' }, where);
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

  it.skipIf(noJail !== null)(`runs a native action from action.d when a .local or .d/ file changes it, and says so${skipNote(noJail)}`, () => {
    cpSync('/etc/fail2ban', dir, { recursive: true });
    writeFileSync(join(dir, 'x.log'), '');
    writeFileSync(join(dir, 'jail.d', 'zz.local'), `[sshd]\nenabled = true\nlogpath = ${dir}/x.log\nbanaction = nftables-multiport\n[web]\nenabled = true\nfilter = nginx-http-auth\nlogpath = ${dir}/x.log\nbanaction = iptables-multiport\n`);
    const routes = () => buildPlan(loadConfig(dir), { runner: hostRunner(), passiveJails: ['manual'] }).routes;
    expect([routes().get('sshd')![0]!.backend.name, routes().get('web')![0]!.backend.name]).toEqual(['nftables', 'iptables']);
    // nftables.conf's own example: nftables-common.local redirects to a honeypot; bantop's table would drop instead.
    writeFileSync(join(dir, 'action.d', 'nftables-common.local'), '[Init]\nchain_type = nat\nchain_hook = prerouting\nblocktype = counter redirect to 2222\n');
    mkdirSync(join(dir, 'action.d', 'iptables-multiport.d'));
    writeFileSync(join(dir, 'action.d', 'iptables-multiport.d', 'chain.conf'), '[Init]\nchain = DOCKER-USER\n');
    expect([routes().get('sshd')![0]!.backend.name, routes().get('web')![0]!.backend.name, routes().get('manual')![0]!.backend.name])
      .toEqual(['action:nftables-multiport', 'action:iptables-multiport', 'nftables']);
    expect(loadConfig(dir).warnings).toEqual(expect.arrayContaining([
      expect.stringMatching(/^jail "sshd": action nftables-multiport runs action\.d\/nftables-multiport\.conf .*: action\.d\/nftables-common\.local changes it/),
      expect.stringMatching(/^jail "web": action iptables-multiport runs .*: action\.d\/iptables-multiport\.d\/chain\.conf changes it/),
    ]));
  });

  it.skipIf(noJail !== null)(`runs a native action from action.d when the jail gives it arguments bantop's table does not follow (pass2allow-ftp)${skipNote(noJail)}`, () => {
    cpSync('/etc/fail2ban', dir, { recursive: true });
    writeFileSync(join(dir, 'x.log'), '');
    // jail.conf's pass2allow-ftp: iptables-multiport[blocktype=RETURN, returntype=DROP]; a "ban" lets the address in.
    writeFileSync(join(dir, 'jail.d', 'zz.local'), `[sshd]\nenabled = true\nlogpath = ${dir}/x.log\n[pass2allow-ftp]\nenabled = true\nlogpath = ${dir}/x.log\n` +
      `[hosts]\nenabled = true\nfilter = sshd\nlogpath = ${dir}/x.log\naction = hostsdeny[daemon_list=sshd]\n`);
    const plan = buildPlan(loadConfig(dir), { runner: hostRunner(), passiveJails: ['manual'] });
    expect(['sshd', 'pass2allow-ftp', 'hosts'].map((j) => plan.routes.get(j)![0]!.backend.name)).toEqual(['iptables', 'action:iptables-multiport', 'action:hostsdeny']);
    expect(loadConfig(dir).warnings).toEqual(expect.arrayContaining([
      expect.stringMatching(/^jail "pass2allow-ftp": action iptables-multiport runs .*: the jail gives it blocktype=RETURN, returntype=DROP /),
      expect.stringMatching(/^jail "hosts": action hostsdeny runs .*: the jail gives it daemon_list=sshd /),
    ]));
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

  it.skipIf(noJail !== null)(`hooks a jail where its chain or chain_hook says (Docker's DOCKER-USER), and the permanent list there too${skipNote(noJail)}`, () => {
    cpSync('/etc/fail2ban', dir, { recursive: true });
    writeFileSync(join(dir, 'x.log'), '');
    const jails = (extra: string) => writeFileSync(join(dir, 'jail.d', 'zz.local'),
      `[sshd]\nlogpath = ${dir}/x.log\n[web]\nenabled = true\nfilter = nginx-http-auth\nlogpath = ${dir}/x.log\nport = 8080\n${extra}`);
    const plan = () => buildPlan(loadConfig(dir), { runner: hostRunner(), passiveJails: ['manual'] });
    // jail.conf's own value, <known/chain>, leaves the action's: INPUT.
    jails('');
    expect(plan().routes.get('web')![0]!.target.hooks).toBeUndefined();
    expect(plan().routes.get('manual')![0]!.target.hooks).toBeUndefined();
    jails('chain = DOCKER-USER\n');
    let p = plan();
    expect(p.routes.get('web')![0]!.target).toEqual({ key: 'web', ports: { all: false, ranges: [[8080, 8080]] }, protocol: 'tcp', hooks: ['DOCKER-USER'] });
    expect(p.routes.get('sshd')![0]!.target.hooks).toBeUndefined();
    const ipt = p.routes.get('web')![0]!.backend;
    expect(p.permanentTargets.get(ipt)!.hooks).toEqual(['INPUT', 'DOCKER-USER']);
    // Manual bans (bantop permaban) land on the default backend, nftables here, with no jail of its own: its forward
    // hook takes them to the containers too.
    const manual = p.routes.get('manual')![0]!;
    expect(manual.backend.name).toBe('nftables');
    expect(manual.target.hooks).toEqual(['input', 'forward']);
    expect(p.permanentTargets.get(manual.backend)!.hooks).toEqual(['input', 'forward']);
    jails('banaction = nftables[chain_hook=forward]\n');
    p = plan();
    const nft = p.routes.get('web')![0]!;
    expect(nft.backend.name).toBe('nftables');
    expect(nft.target.hooks).toEqual(['forward']);
    expect(p.permanentTargets.get(nft.backend)!.hooks).toEqual(['input', 'forward']);
    // A hook bantop's table does not filter at: fail2ban's own nftables action runs it, as fail2ban would.
    jails('banaction = nftables[chain_hook=prerouting]\n');
    expect(plan().routes.get('web')![0]!.backend.name).toBe('action:nftables');
    expect(loadConfig(dir).warnings).toContainEqual(expect.stringMatching(/^jail "web": action nftables runs action\.d\/nftables\.conf as fail2ban runs it, not bantop's own table: chain_hook "prerouting"/));
    // Named with the file, line and key, when the config loads.
    jails('chain = bantop-sshd\n');
    expect(() => plan()).toThrow(/zz\.local:line 8 \[chain\]: jail "web": chain "bantop-sshd" is not an iptables chain bantop can hook into/);
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
