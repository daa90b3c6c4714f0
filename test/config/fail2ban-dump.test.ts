import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { LoadedConfig } from '../../src/config/model.js';
import { actionSuffix } from '../../src/config/action-def.js';
import { parseDuration } from '../../src/util/duration.js';
import { parseLogTimeZone } from '../../src/filter/dates.js';
import { fail2banSkipReason } from '../support/fail2ban-regex.js';
import { skipNote } from '../support/skip-note.js';

/** What fail2ban-client -d says of each jail: its `set` commands by option, in order. */
type Dump = Map<string, Map<string, unknown[]>>;

/**
 * fail2ban's own reading of a config: `fail2ban-client -d` prints the
 * commands it would send its server, one Python literal a line; Python reads
 * them back into JSON.
 */
function fail2banDump(dir: string): Dump {
  const text = execFileSync('fail2ban-client', ['-c', dir, '-d'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const json = execFileSync('/usr/bin/python3', ['-c', 'import ast, json, sys\nfor l in sys.stdin:\n  l = l.strip()\n  if l.startswith("["): print(json.dumps(ast.literal_eval(l)))'],
    { input: text, encoding: 'utf8' });
  const jails: Dump = new Map();
  const jail = (n: string) => jails.get(n) ?? jails.set(n, new Map()).get(n)!;
  const add = (n: string, k: string, v: unknown) => jail(n).set(k, [...(jail(n).get(k) ?? []), v]);
  for (const line of json.split('\n').filter(Boolean)) {
    const c = JSON.parse(line) as unknown[];
    const [op, name, key] = c as [string, string, string];
    if (op === 'add') add(name, 'backend', key);
    else if (op === 'set' && c.length >= 4 && jails.has(name)) add(name, key, c.length === 4 ? c[3] : c.slice(3));
    else if (op === 'multi-set' && (key === 'addfailregex' || key === 'addignoreregex')) for (const r of c[3] as string[]) add(name, key, r);
  }
  return jails;
}

const skip = fail2banSkipReason ?? (existsSync('/usr/bin/fail2ban-client') ? null : 'fail2ban-client is not installed: apt-get install fail2ban');

const ASSETS = join(import.meta.dirname, '..', '..', 'assets', 'config');

/**
 * Every jail of `source`'s jail.conf enabled (each with a log file that
 * exists: fail2ban leaves out a jail whose log is missing), read by bantop and
 * by fail2ban-client -d. `extra`: more options for each jail.
 */
function compareWithFail2ban(label: string, source: string, extra: string, defaults = '') {
  describe.skipIf(skip !== null)(`${label}: bantop reads what fail2ban-client -d reads${skipNote(skip)}`, () => {
    let dir: string;
    let theirs: Dump;
    let ours: LoadedConfig;
    let names: string[];
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'bantop-f2bdump-'));
      cpSync(source, dir, { recursive: true });
      mkdirSync(join(dir, 'jail.d'), { recursive: true });
      writeFileSync(join(dir, 'x.log'), '');
      names = [...readFileSync(join(source, 'jail.conf'), 'utf8').matchAll(/^\[([^\]]+)\]\s*$/gm)].map((m) => m[1]!).filter((n) => n !== 'INCLUDES' && n !== 'DEFAULT');
      writeFileSync(join(dir, 'jail.d', 'zz-all.local'), (defaults && `[DEFAULT]\n${defaults}`) + names.map((n) => `[${n}]\nenabled = true\nlogpath = ${dir}/x.log\n${extra}`).join(''));
      theirs = fail2banDump(dir);
      ours = loadConfig(dir);
    }, 30_000);
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('loads the same jails', () => {
      expect(ours.jails.map((j) => j.name).sort()).toEqual([...theirs.keys()].sort());
      expect(ours.jails.map((j) => j.name).sort()).toEqual([...names].sort());
    });

    it('with the same filter: prefregex, failregex, ignoreregex, datepattern, maxlines and journalmatch, after every substitution', () => {
      for (const j of ours.jails) {
        const t = theirs.get(j.name)!;
        const one = (k: string) => t.get(k)?.at(-1); // set twice (the filter's, then the jail's): the last holds
        expect({
          prefregex: j.filter.prefregex ?? null, failregex: j.filter.failregex, ignoreregex: j.filter.ignoreregex,
          datepattern: j.filter.datepattern.length ? j.filter.datepattern.join('\n') : null, maxlines: j.filter.maxlines,
          journalmatch: j.journalmatch.join(' ').split(' ').filter(Boolean),
        }, j.name).toEqual({
          prefregex: one('prefregex') ?? null, failregex: t.get('addfailregex') ?? [], ignoreregex: t.get('addignoreregex') ?? [],
          datepattern: one('datepattern') ?? null, maxlines: one('maxlines') ?? 1,
          journalmatch: (t.get('addjournalmatch') ?? []).flatMap((m) => (Array.isArray(m) ? m : [m])),
        });
      }
    });

    it('with the same ignoreip, ignoreself, bantime.increment options and logtimezone', () => {
      for (const j of ours.jails) {
        const t = theirs.get(j.name)!;
        const one = (k: string) => t.get(k)?.at(-1);
        const list = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
        const b = j.bantimeIncrement;
        expect({
          ignoreip: j.ignoreip, ignoreself: j.ignoreself, logtimezone: j.filter.logtimezone ?? null,
          increment: [b.enabled, b.factor, b.multipliers, b.maxtime, b.rndtime, b.overalljails],
        }, j.name).toEqual({
          ignoreip: list(one('addignoreip')), ignoreself: one('ignoreself') ?? true,
          logtimezone: one('logtimezone') === undefined ? null : parseLogTimeZone(String(one('logtimezone'))),
          // What fail2ban's server takes where the jail sets none.
          increment: [one('bantime.increment') ?? false, Number(one('bantime.factor') ?? 1), list(one('bantime.multipliers')).join(' ').split(/\s+/).filter(Boolean).map(Number),
            one('bantime.maxtime') ? parseDuration(String(one('bantime.maxtime'))) : 0, one('bantime.rndtime') ? parseDuration(String(one('bantime.rndtime'))) : 0,
            one('bantime.overalljails') ?? false],
        });
      }
    });

    it('with the same counting, log paths, backend, DNS use, ignorecommand, maxmatches, logencoding and actions', () => {
      for (const j of ours.jails) {
        const t = theirs.get(j.name)!;
        const one = (k: string) => t.get(k)?.at(-1); // set twice (the filter's, then the jail's): the last holds
        expect({
          maxretry: j.maxretry, findtime: j.findtime, bantime: j.bantime, backend: j.backend, usedns: j.usedns, ignorecommand: j.ignorecommand, maxmatches: j.maxmatches, logencoding: j.logencoding,
          // The journal has no log files: fail2ban drops a systemd jail's logpath, bantop keeps it unused.
          logpath: j.backend === 'systemd' ? [] : j.logpath,
          // fail2ban names an action by its file, with a suffix where the action's `name` is not the jail's.
          actions: j.actions.map((a) => a.name + actionSuffix(j.name, a)),
        }, j.name).toEqual({
          maxretry: one('maxretry'), findtime: parseDuration(String(one('findtime'))), bantime: parseDuration(String(one('bantime'))), ignorecommand: one('ignorecommand') ?? '', maxmatches: one('maxmatches'), logencoding: one('logencoding'),
          backend: one('backend'), usedns: one('usedns'), logpath: (t.get('addlogpath') ?? []).map((p) => (Array.isArray(p) ? p[0] : p)),
          actions: t.get('addaction') ?? [],
        });
      }
    });
  });
}

compareWithFail2ban("every jail of Debian's jail.conf, enabled", '/etc/fail2ban', '');
// Ban time increments, ignoreip (a netmask, a host name), ignoreself and logtimezone, for every jail.
compareWithFail2ban("every jail of Debian's jail.conf, enabled, with bantime.increment, ignoreip, ignoreself and logtimezone in [DEFAULT]", '/etc/fail2ban', '',
  'bantime.increment = true\nbantime.rndtime = 5m\nbantime.maxtime = 2w\nbantime.factor = 2\nbantime.multipliers = 1 2 4 8\nbantime.overalljails = true\n' +
  'ignoreself = false\nignoreip = 127.0.0.1/8 ::1 10.0.0.0/255.0.0.0 example.org\nlogtimezone = UTC+02\n');
// A jail's own failregex and ignoreregex replace its filter's; `%(known/…)s` there is the filter's value.
compareWithFail2ban("every jail of Debian's jail.conf, enabled, each with an ignoreregex of its own", '/etc/fail2ban', 'ignoreregex = ^Connection closed by 10\\.0\\.\n');
// (Not %(known/ignoreregex)s: most filters have none, and both refuse a reference to it; load.test.ts has it.)
compareWithFail2ban("every jail of Debian's jail.conf, enabled, each extending its filter's failregex with %(known/failregex)s", '/etc/fail2ban',
  'failregex = %(known/failregex)s\n            ^extra from <HOST>$\n');
compareWithFail2ban("every jail of Debian's jail.conf, enabled, with an ignoreregex in [DEFAULT]", '/etc/fail2ban', '', 'ignoreregex = ^from default\n');
// The filter's options from [DEFAULT], for every jail, each its own way; a jail's logtype is not the filter's.
compareWithFail2ban("every jail of Debian's jail.conf, enabled, with a logtype, and maxlines, datepattern, prefregex and journalmatch in [DEFAULT]", '/etc/fail2ban',
  'logtype = journal\n', 'maxlines = 3\ndatepattern = {^LN-BEG}%%Y-%%m-%%d\nprefregex = ^<F-MLFID>\\S+</F-MLFID> <F-CONTENT>.+</F-CONTENT>$\njournalmatch = _COMM=extra\n');
// And each jail's own, which replace the filter's.
compareWithFail2ban("every jail of Debian's jail.conf, enabled, each with its own maxlines, datepattern, prefregex and journalmatch", '/etc/fail2ban',
  'maxlines = 3\ndatepattern = {^LN-BEG}%%Y-%%m-%%d\nprefregex = ^<F-MLFID>\\S+</F-MLFID> <F-CONTENT>.+</F-CONTENT>$\njournalmatch = _COMM=extra\n');
// bantop's own actions (bantop, dry-run) have no action.d file for fail2ban to read: none, for both.
compareWithFail2ban("every jail of bantop's shipped jail.conf, enabled, without actions", ASSETS, 'action =\n');
