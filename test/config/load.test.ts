import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveFilter } from '../../src/config/filter-def.js';
import { configWarnings, loadConfig, loadSettings } from '../../src/config/load.js';
import { configError } from '../support/config-error.js';
import { fail2banSkipReason } from '../support/fail2ban-regex.js';
import { skipNote } from '../support/skip-note.js';

const ASSETS = join(import.meta.dirname, '..', '..', 'assets', 'config');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bantop-load-'));
  cpSync(ASSETS, dir, { recursive: true });
  writeFileSync(join(dir, 'auth.log'), '');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const local = (text: string, name = 'jail.local') => writeFileSync(join(dir, name), text);

describe('loadConfig', () => {
  it('loads the shipped defaults: bantop.conf settings and the enabled sshd jail', () => {
    local(`[sshd]\nlogpath = ${dir}/auth.log\n`);
    const c = loadConfig(dir);
    expect(c.settings).toMatchObject({ firewall: 'nftables', socket: '/run/bantop/bantop.sock', dbpurgeage: 7 * 86400, banlog: '/var/log/bantop-bans.log' });
    expect(c.jails.map((j) => j.name)).toEqual(['sshd']);
    expect(c.jails[0]).toMatchObject({ maxretry: 5, findtime: 600, bantime: 600, port: 'ssh', banaction: 'bantop', filterArgs: { mode: 'normal' }, maxmatches: 5 });
    expect(c.jails[0]!.actions).toEqual([{ name: 'bantop', args: { port: 'ssh', protocol: 'tcp' } }]);
    expect(c.warnings).toEqual([]);
  });

  it('escalation: the shipped default, per-jail rules, off, and a bad rule named by file, line and key', () => {
    local(`[DEFAULT]\nescalation = 2/1h:1d\n[sshd]\nlogpath = ${dir}/auth.log\n[closed-ports]\nenabled = true\nlogpath = ${dir}/auth.log\nescalation = off\n`);
    const c = loadConfig(dir);
    expect(c.escalation).toEqual([{ bans: 2, window: 3600, bantime: 86400 }]);
    expect(c.jails.find((j) => j.name === 'sshd')!.escalation).toEqual([{ bans: 2, window: 3600, bantime: 86400 }]);
    expect(c.jails.find((j) => j.name === 'closed-ports')!).toMatchObject({ escalation: [], maxretry: 3, protocol: 'all' });
    local(`[sshd]\nlogpath = ${dir}/auth.log\n`);
    expect(loadConfig(dir).escalation).toEqual([{ bans: 3, window: 86400, bantime: 604800 }, { bans: 5, window: 2592000, bantime: -1 }]);
    local(`[sshd]\nlogpath = ${dir}/auth.log\nescalation = 3 per day\n`);
    expect(configError(() => loadConfig(dir)).message).toMatch(/jail\.local:line 3 \[escalation\]: "3" is not an escalation rule/);
    writeFileSync(join(dir, 'bantop.local'), '[Definition]\nbanlogformat = json\n');
    expect(configError(() => loadSettings(dir)).message).toMatch(/bantop\.local:line 2 \[banlogformat\]/);
  });

  it('applies jail.local and jail.d/*.local overrides, filter arguments and durations', () => {
    mkdirSync(join(dir, 'jail.d'), { recursive: true });
    local(`[sshd]\nlogpath = ${dir}/auth.log\nmode = aggressive\nbantime = 1h\nfindtime = 1d\nmaxretry = 3\nignoreip = 10.0.0.0/8 2001:db8::/32 office.example\n` +
      `bantime.increment = true\nbantime.multipliers = 1 5 30\n[nginx-http-auth]\nenabled = true\nlogpath = ${dir}/*error.log\n`);
    writeFileSync(join(dir, 'jail.d', 'zz.local'), '[sshd]\nbantime = -1\n');
    const c = loadConfig(dir);
    const sshd = c.jails.find((j) => j.name === 'sshd')!;
    expect(sshd).toMatchObject({ bantime: -1, findtime: 86400, maxretry: 3, filterArgs: { mode: 'aggressive' } });
    expect(sshd.ignoreip).toEqual(['10.0.0.0/8', '2001:db8::/32', 'office.example']);
    expect(sshd.bantimeIncrement).toMatchObject({ enabled: true, multipliers: [1, 5, 30], maxtime: 604800 });
    expect(sshd.filter.failregex.some((r) => r.includes('Did not receive identification'))).toBe(true);
    expect(c.jails.find((j) => j.name === 'nginx-http-auth')!.logpath).toEqual([`${dir}/*error.log`]);
  });

  it("reads fail2ban's `head` and `tail` after a log path, per path", () => {
    local(`[sshd]\nlogpath = ${dir}/auth.log tail\n          ${dir}/secure*  HEAD\n          ${dir}/other.log\n`);
    const sshd = loadConfig(dir).jails.find((j) => j.name === 'sshd')!;
    expect(sshd.logpath).toEqual([`${dir}/auth.log`, `${dir}/secure*`, `${dir}/other.log`]);
    expect(sshd.logstart).toEqual({ [`${dir}/auth.log`]: 'tail', [`${dir}/secure*`]: 'head' });
  });

  it("a jail's failregex and ignoreregex replace its filter's, and %(known/…)s there is the filter's value", () => {
    writeFileSync(join(dir, 'filter.d', 'sshd.local'), '[Definition]\nignoreregex = ^from the filter\n');
    const sshd = () => loadConfig(dir).jails[0]!.filter;
    const own = sshd();
    local(`[sshd]\nlogpath = ${dir}/auth.log\nfailregex = ^mine from <HOST>$\nignoreregex =\n`);
    expect(sshd()).toMatchObject({ failregex: ['^mine from <HOST>$'], ignoreregex: [] });
    local(`[sshd]\nlogpath = ${dir}/auth.log\nfailregex = %(known/failregex)s\n            ^mine from <HOST>$\nignoreregex = %(known/ignoreregex)s\n  ^mine\n`);
    expect(sshd()).toMatchObject({ failregex: [...own.failregex, '^mine from <HOST>$'], ignoreregex: ['^from the filter', '^mine'] });
    expect(own.failregex.length).toBeGreaterThan(5);
    // [DEFAULT]'s, for every jail that sets none; a filter option the filter lacks is refused where the jail names it.
    local(`[DEFAULT]\nignoreregex = ^everywhere\n[sshd]\nlogpath = ${dir}/auth.log\n`);
    expect(sshd().ignoreregex).toEqual(['^everywhere']);
    local(`[sshd]\nlogpath = ${dir}/auth.log\nfailregex = %(known/failregex)s\n  %(known/nosuchoption)s\n`);
    expect(configError(() => loadConfig(dir)).message).toMatch(/jail\.local:line 3 \[failregex\]: "%\(known\/nosuchoption\)s" refers to an option that is not set/);
  });

  it("takes the filter's [Init] maxlines over the jail's, and warns that a jail's logtype is not read", () => {
    writeFileSync(join(dir, 'filter.d', 'sshd.local'), '[Init]\nmaxlines = 4\ndatepattern = ^%%Y\njournalmatch = _COMM=a\n');
    local(`[sshd]\nlogpath = ${dir}/auth.log\nmaxlines = 2\ndatepattern = ^%%m\njournalmatch = _COMM=b\nlogtype = journal\n`);
    const c = loadConfig(dir);
    const j = c.jails[0]!;
    expect({ maxlines: j.filter.maxlines, datepattern: j.filter.datepattern, journalmatch: j.journalmatch }).toEqual({ maxlines: 4, datepattern: ['^%m'], journalmatch: ['_COMM=a', '_COMM=b'] });
    expect(j.filterArgs).not.toHaveProperty('logtype');
    expect(c.warnings).toEqual([expect.stringMatching(/jail "sshd": .*jail\.local:line 6: logtype is the filter's option.*write filter = sshd\[logtype=journal\]/)]);
  });

  it('bantime.formula and bantime.factor are read as the Python fail2ban evaluates', () => {
    const exp = 'ban.Time * math.exp(float(ban.Count+1)*banFactor)/math.exp(1*banFactor)';
    local(`[DEFAULT]\nbantime.increment = true\nbantime.formula = ${exp}\nbantime.factor = 2.0 / 2.885385\n[sshd]\nlogpath = ${dir}/auth.log\n`);
    const c = loadConfig(dir);
    expect(c.warnings).toEqual([]);
    expect(c.jails[0]!.bantimeIncrement).toMatchObject({ enabled: true, formula: exp, factor: 2.0 / 2.885385 });
    // Interpolated as every option is: %% is a percent sign.
    local(`[sshd]\nlogpath = ${dir}/auth.log\nbantime.formula = ban.Time * (ban.Count %% 3 + 1)\n`);
    expect(loadConfig(dir).jails[0]!.bantimeIncrement.formula).toBe('ban.Time * (ban.Count % 3 + 1)');
    // fail2ban uses the formula only without multipliers, and does not compile it then.
    local(`[sshd]\nlogpath = ${dir}/auth.log\nbantime.multipliers = 1 2 4\nbantime.formula = ban.Time * (2\n`);
    expect(loadConfig(dir).jails[0]!.bantimeIncrement.formula).toBeUndefined();
  });

  it('a bantime.formula that is not Python is an error; Python that bantop does not evaluate is a warning, and the default formula', () => {
    local(`[sshd]\nlogpath = ${dir}/auth.log\nbantime.formula = ban.Time * (2 ** ban.Count\n`);
    const e = configError(() => loadConfig(dir));
    expect(e.message).toMatch(/jail\.local:line 3 \[bantime\.formula\]: jail "sshd": not a Python expression: expected "\)", found the end \(column 27\)/);
    expect(e.exitCode).toBe(2);
    local(`[sshd]\nlogpath = ${dir}/auth.log\nbantime.formula = ban.Time * [1, 2, 4][ban.Count]\n`);
    const c = loadConfig(dir);
    expect(c.jails[0]!.bantimeIncrement.formula).toBeUndefined();
    expect(c.warnings).toEqual([expect.stringMatching(/jail "sshd": .*jail\.local:line 3: bantime\.formula: lists, subscripts and dicts are not supported here \(column 12\);.*default formula/)]);
    local(`[sshd]\nlogpath = ${dir}/auth.log\nbantime.formula = ban.time * 2\n`);
    expect(loadConfig(dir).warnings).toEqual([expect.stringMatching(/bantime\.formula: "ban" has no attribute "time" \(known: Time, Count\)/)]);
  });

  it('a bantime.factor that is not a number or an expression, or not above 0, names file, line and key', () => {
    for (const [factor, message] of [['two', /"two" is not a number or an arithmetic expression: unknown name "two"/], ['1 - 1', /"1 - 1" is 0: the factor must be above 0/], ['1/0', /"1\/0" is not a number or an arithmetic expression: division by zero/]] as const) {
      local(`[sshd]\nlogpath = ${dir}/auth.log\nbantime.factor = ${factor}\n`);
      expect(configError(() => loadConfig(dir)).message).toMatch(new RegExp(`jail\\.local:line 3 \\[bantime\\.factor\\]: ${message.source}`));
    }
  });

  it('reads the journal for backend = systemd, with the filter\'s journal prefix', () => {
    local('[sshd]\nenabled = false\n[sshd-journal]\nenabled = true\n');
    const j = loadConfig(dir).jails[0]!;
    expect(j).toMatchObject({ name: 'sshd-journal', backend: 'systemd', filterArgs: { logtype: 'journal' } });
    expect(j.journalmatch.join(' ')).toContain('_SYSTEMD_UNIT=sshd.service');
    // fail2ban's rule (applyAutoOptions): a filter whose own [Definition] sets a logtype keeps it.
    writeFileSync(join(dir, 'filter.d', 'sshd.local'), '[Definition]\nlogtype = short\n');
    expect(loadConfig(dir).jails[0]!.filterArgs).toEqual({});
  });

  it("reads a jail's logtimezone (a fixed offset, as fail2ban reads it) and refuses one it cannot read", () => {
    local(`[sshd]\nlogpath = ${dir}/auth.log\nlogtimezone = CET+01\n`);
    expect(loadConfig(dir).jails[0]!.filter.logtimezone).toBe(120);
    local(`[sshd]\nlogpath = ${dir}/auth.log\nlogtimezone = -04:30\n`);
    expect(loadConfig(dir).jails[0]!.filter.logtimezone).toBe(-270);
    local(`[sshd]\nlogpath = ${dir}/auth.log\n`);
    expect(loadConfig(dir).jails[0]!.filter.logtimezone).toBeUndefined();
    local(`[sshd]\nlogpath = ${dir}/auth.log\nlogtimezone = Europe/Paris\n`);
    const e = configError(() => loadConfig(dir));
    expect(e.message).toMatch(/jail\.local:line 3 \[logtimezone\]: jail "sshd": unknown or unsupported time zone "Europe\/Paris"/);
    expect(e.hint).toMatch(/fixed offset/);
  });

  it('reads ignorecommand and ignorecache as fail2ban writes them, and refuses an ignorecache it cannot read', () => {
    local(`[sshd]\nlogpath = ${dir}/auth.log\nignorecommand = %(fail2ban_confpath)s/is-office <ip>\nignorecache = key="<ip>", max-count=50, max-time=10m\n`);
    const c = loadConfig(dir);
    expect(c.jails[0]).toMatchObject({ ignorecommand: `${dir}/is-office <ip>`, ignorecache: { maxCount: 50, maxTimeMs: 600_000 } });
    expect(c.warnings).toEqual([]);
    local(`[sshd]\nlogpath = ${dir}/auth.log\n`);
    expect(loadConfig(dir).jails[0]).toMatchObject({ ignorecommand: '', ignorecache: null });
    local(`[sshd]\nlogpath = ${dir}/auth.log\nignorecommand = x <ip>\nignorecache = key="<F-USER>@<ip>"\n`);
    expect(loadConfig(dir)).toMatchObject({ warnings: [], jails: [{ ignorecache: { key: '<F-USER>@<ip>', maxCount: 100, maxTimeMs: 300_000 } }] });
    local(`[sshd]\nlogpath = ${dir}/auth.log\nignorecommand = x <ip>\nignorecache = key="<ip>/<matches>"\n`);
    expect(loadConfig(dir).warnings).toEqual([expect.stringMatching(/^jail "sshd": ignorecache key "<ip>\/<matches>": <matches> is not a failure's tag, kept as written/)]);
    local(`[sshd]\nlogpath = ${dir}/auth.log\nignorecache = key="<ip>", max-time=soon\n`);
    expect(configError(() => loadConfig(dir)).message).toMatch(/jail\.local:line 3 \[ignorecache\]: .*soon/);
    local(`[sshd]\nlogpath = ${dir}/auth.log\nignorecache = max-time=5m\n`);
    expect(configError(() => loadConfig(dir)).message).toMatch(/jail\.local:line 3 \[ignorecache\]: ignorecache needs a key/);
  });

  it('warns about a log file that does not exist yet, until it does', () => {
    const log = join(dir, 'later', 'auth.log');
    local(`[sshd]\nlogpath = ${log}\n             ${dir}/web-*.log\n             ${dir}/later/sshd.log\n`);
    const cfg = loadConfig(dir);
    // A glob that matches nothing yet is not a missing file. A missing auth.log, of a filter that reads the journal
    // too, is likely a system without a syslog daemon (Debian 12's default).
    expect(configWarnings(cfg)).toEqual([
      `jail "sshd": log file ${log} does not exist yet; bantop will watch for it; if this system logs to the journal alone (no rsyslog), set backend = systemd in [sshd]`,
      `jail "sshd": log file ${dir}/later/sshd.log does not exist yet; bantop will watch for it`,
    ]);
    mkdirSync(join(dir, 'later'));
    writeFileSync(log, '');
    writeFileSync(join(dir, 'later', 'sshd.log'), '');
    expect(configWarnings(cfg)).toEqual([]);
  });

  it('warns about a log path that is a directory or a device', () => {
    mkdirSync(join(dir, 'nginx'));
    local(`[sshd]\nlogpath = ${dir}/nginx\n             /dev/null\n`);
    expect(configWarnings(loadConfig(dir))).toEqual([
      `jail "sshd": log path ${dir}/nginx is a directory, not a log file: it is not read (a glob such as ${dir}/nginx/*.log reads the files in it)`,
      'jail "sshd": log path /dev/null is a device, not a log file: it is not read',
    ]);
  });

  it.each([
    ['maxretry = lots', /jail\.local:line 3 \[maxretry\]: "lots" is not a whole number/],
    // Number() would take these as 10, 3 and 2.5; fail2ban's int() refuses each.
    ['maxretry = 1e1', /jail\.local:line 3 \[maxretry\]: "1e1" is not a whole number/],
    ['maxmatches = 0x3', /jail\.local:line 3 \[maxmatches\]: "0x3" is not a whole number/],
    ['maxlinelen = 2.5', /jail\.local:line 3 \[maxlinelen\]: "2\.5" is not a whole number/],
    // A negative length cut every line short by that many characters (slice(0, -5)).
    ['maxlinelen = -5', /jail\.local:line 3 \[maxlinelen\]: "-5" is below 1/],
    ['bantime.multipliers = 1 2 4.5', /jail\.local:line 3 \[bantime\.multipliers\]: "4\.5" is not a whole number/],
    ['ignorecache = key="<ip>", max-count=1e2, max-time=5m', /jail\.local:line 3 \[ignorecache\]: "1e2" is not a whole number/],
    ['bantime = 10 parsecs', /jail\.local:line 3 \[bantime\]: unknown unit "parsecs"/],
    ['enabled = maybe', /jail\.local:line 3 \[enabled\]: "maybe" is not a boolean/],
    ['filter = nosuchfilter', /jail\.local:line 3 \[filter\]: filter "nosuchfilter" not found/],
    ['logencoding = klingon', /jail\.local:line 3 \[logencoding\]: jail "sshd": log encoding "klingon" is not one bantop can read/],
    ['action = smtp.py[dest=root@localhost]', /jail\.local:line 3 \[action\]: jail "sshd": action "smtp\.py" is a Python action, which fail2ban runs inside its own server/],
    ['action = nosuchaction[port=22]', /jail\.local:line 3 \[action\]: jail "sshd": action "nosuchaction" not found/],
    ['logpath =', /jail\.local:line 3 \[logpath\]: jail "sshd" has no logpath/],
    ['maxretry = 0', /jail\.local:line 3 \[maxretry\]: .*>=1/],
    ['ignoreip = 1.2.3.4/99', /jail\.local:line 3 \[ignoreip\]: "1\.2\.3\.4\/99" is not an address/],
  ])('reports "%s" with file, line and key (exit 2)', (bad, message) => {
    local(`[sshd]\nlogpath = ${dir}/auth.log\n${bad}\n`);
    const e = configError(() => loadConfig(dir));
    expect(e.message).toMatch(message);
    expect(e.exitCode).toBe(2);
  });

  it('reports a bad firewall in bantop.local with its file, line and key', () => {
    local('[Definition]\n\nfirewall = pf\n', 'bantop.local');
    expect(configError(() => loadSettings(dir)).message).toMatch(/bantop\.local:line 3 \[firewall\]: Invalid option/);
  });

  it('takes daemon settings from fail2ban.conf when there is no bantop.conf', () => {
    rmSync(join(dir, 'bantop.conf'));
    writeFileSync(join(dir, 'fail2ban.conf'), '[DEFAULT]\nloglevel = NOTICE\nsocket = /run/f2b.sock\ndbpurgeage = 2d\ndbmaxmatches = 4\n[Definition]\n');
    expect(loadSettings(dir)).toMatchObject({ loglevel: 'NOTICE', socket: '/run/f2b.sock', dbpurgeage: 172800, dbmaxmatches: 4, firewall: 'nftables', dbfile: '/var/lib/bantop/bantop.sqlite3' });
  });

  it("reads dbmaxmatches as fail2ban's count (default 10, 0 keeps none) and refuses anything else with its file, line and key", () => {
    expect(loadSettings(dir).dbmaxmatches).toBe(10);
    local('[Definition]\ndbmaxmatches = 0\n', 'bantop.local');
    expect(loadSettings(dir).dbmaxmatches).toBe(0);
    for (const [bad, why] of [['-1', 'Too small: expected number to be >=0'], ['2.5', '"2.5" is not a whole number'], ['ten', '"ten" is not a whole number']]) {
      local(`[Definition]\ndbmaxmatches = ${bad}\n`, 'bantop.local');
      expect(configError(() => loadSettings(dir)).message).toBe(`${join(dir, 'bantop.local')}:line 2 [dbmaxmatches]: ${why}`);
    }
  });

  it('takes dbfile = None as fail2ban does (no database) and says what that means', () => {
    local('[Definition]\ndbfile = None\n', 'bantop.local');
    expect(loadConfig(dir).warnings.join('\n')).toMatch(/dbfile = None: no ban database; bans and their history live in memory/);
    rmSync(join(dir, 'bantop.local'));
    expect(loadConfig(dir).warnings.join('\n')).not.toMatch(/dbfile/);
  });
});

describe.skipIf(fail2banSkipReason !== null)(`Debian /etc/fail2ban, unmodified${skipNote(fail2banSkipReason)}`, () => {
  it('loads with its enabled sshd jail, filter and iptables-multiport action', () => {
    const c = loadConfig('/etc/fail2ban');
    const sshd = c.jails.find((j) => j.name === 'sshd')!;
    expect(sshd).toMatchObject({ maxretry: 5, findtime: 600, bantime: 600, port: 'ssh', banaction: 'iptables-multiport', logpath: ['/var/log/auth.log'] });
    expect(sshd.actions[0]).toMatchObject({ name: 'iptables-multiport', args: { port: 'ssh', protocol: 'tcp' } });
    expect(sshd.filter.failregex.length).toBeGreaterThan(10);
    expect(c.settings).toMatchObject({ socket: '/var/run/fail2ban/fail2ban.sock', logtarget: '/var/log/fail2ban.log', dbpurgeage: 86400 });
  });

  it('leaves <section/key> as written where there is no such section, as fail2ban does: a logtype common.conf lacks matches nothing', () => {
    // common.conf's DEFAULT has __prefix_line = <lt_<logtype>/__prefix_line>: taking DEFAULT's value for the
    // missing [lt_nosuch] put the tag back in again and again, and the filter failed to load.
    const { spec } = resolveFilter('/etc/fail2ban', { name: 'sshd', args: { logtype: 'nosuch' }, where: { file: '<command line>', key: 'filter' } });
    expect(spec.prefregex).toContain('<lt_nosuch/__prefix_line>');
    expect(resolveFilter('/etc/fail2ban', { name: 'sshd', args: { logtype: 'short' }, where: { file: '<command line>', key: 'filter' } }).spec.prefregex).not.toContain('<lt_');
  });
});
