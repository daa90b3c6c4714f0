import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BantopService } from '../../src/daemon/service.js';
import type { Level } from '../../src/daemon/logger.js';
import { hostRunner, type Runner } from '../../src/proc/run.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { encodeEvent, type FleetEvent } from '../../src/fleet/events.js';
import { FleetStore } from '../../src/fleet/fleet-store.js';
import { MemoryRedis } from '../support/memory-redis.js';
import { ManualClock } from '../../src/util/clock.js';
import { syslogDate, writeConfig } from '../support/daemon.js';
import { createLab, kernelCount, netnsSkipReason } from '../support/netns.js';
import { waitFor } from '../support/wait.js';
import { skipNote } from '../support/skip-note.js';

let dir: string;
let cfg: string;
const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bantop-svc-'));
  writeFileSync(join(dir, 'auth.log'), '');
  cfg = writeConfig(dir, { firewall: 'dry-run', jails: `[sshd]\nenabled = true\nlogpath = ${join(dir, 'auth.log')}\nbantime = 1h\n` });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function open(clock: ManualClock, logs: string[] = []) {
  const store = new SqliteStore(join(dir, 'bantop.sqlite3'));
  const log = { log: (lv: Level, m: string) => logs.push(`${lv} ${m}`) };
  const svc = await BantopService.start({ configDir: cfg, clock, runner: hostRunner(), store, log, checkIntervalMs: 3600_000 });
  return { svc, store, close: async () => { await svc.stop(); store.close(); } };
}

describe('BantopService restore', () => {
  it('restores bans with their remaining time, drops expired ones, and skips and reports whitelisted ones', async () => {
    const clock = new ManualClock(T0);
    const a = await open(clock);
    await a.svc.ban({ ip: '198.18.0.1', jail: 'sshd' });
    await a.svc.ban({ ip: '198.18.0.2', jail: 'sshd', seconds: 60 });
    await a.svc.ban({ ip: '198.51.100.0/24', seconds: -1 });
    await a.svc.ban({ ip: '203.0.113.5', jail: 'sshd', seconds: -1 });
    await a.close();

    // Ten minutes later, with 203.0.113.0/28 whitelisted while the daemon was down.
    clock.advance(600_000);
    const s = new SqliteStore(join(dir, 'bantop.sqlite3'));
    s.whitelistAdd('203.0.113.0/28', clock.now());
    s.close();
    const logs: string[] = [];
    const b = await open(clock, logs);
    const list = b.svc.list().map((x) => [x.ip, x.jail, x.expiresAt]);
    expect(list.sort()).toEqual([['198.18.0.1', 'sshd', T0 + 3600_000], ['198.51.100.0/24', 'manual', null]]);
    expect(b.svc.status().warnings).toContain('ban of 203.0.113.5 in sshd not restored: 203.0.113.0/28 is whitelisted');
    expect(logs.some((l) => /restored 2 ban\(s\) \(1 expired\)/.test(l))).toBe(true);
    // The dropped rows are gone from the store too, with the reason in the history.
    expect(b.store.bans().length).toBe(2);
    expect(b.store.historyOf('203.0.113.5').map((h) => `${h.event}:${h.reason ?? ''}`)).toEqual(['ban:', 'unban:whitelisted']);
    await b.close();
  });

  it('keeps bans of a jail that left the config, enforced on all ports, and says so', async () => {
    const clock = new ManualClock(T0);
    const s = new SqliteStore(join(dir, 'bantop.sqlite3'));
    s.addBan({ ip: '198.18.0.77', jail: 'old-jail', bannedAt: T0, expiresAt: null, failures: 1, source: 'filter', banCount: 0 }, -1);
    s.close();
    const b = await open(clock);
    expect(b.svc.list()).toMatchObject([{ ip: '198.18.0.77', jail: 'old-jail', permanent: true }]);
    expect(b.svc.status().warnings.join('\n')).toMatch(/jail "old-jail" is not in the config any more/);
    await b.close();
  });

  it('a failed reload keeps the running config and bans', async () => {
    const clock = new ManualClock(T0);
    const b = await open(clock);
    await b.svc.ban({ ip: '198.18.0.1', jail: 'sshd' });
    writeFileSync(join(cfg, 'jail.conf'), `[sshd]\nenabled = true\nlogpath = ${join(dir, 'auth.log')}\nmaxretry = lots\n`);
    await expect(b.svc.reload()).rejects.toThrow(/jail\.conf:line 4 \[maxretry\]: "lots" is not a whole number/);
    expect(b.svc.list().map((x) => x.ip)).toEqual(['198.18.0.1']);
    expect(b.svc.engine.jailNames()).toContain('sshd');
    await b.close();
  });
});

describe('BantopService import and the blocklist file', () => {
  it('imports each (jail, address) once, skips with the reason what would lock someone out, and keeps the ban counts of the history', async () => {
    const clock = new ManualClock(T0);
    const b = await open(clock);
    await b.svc.ban({ ip: '198.18.0.1', jail: 'sshd', seconds: 60 });
    await b.svc.ban({ ip: '198.18.0.2', seconds: 60 });
    await b.svc.whitelistAdd('203.0.113.0/28');
    const r = await b.svc.import([
      { ip: '198.18.0.1', jail: 'sshd', comment: 'feed' }, { ip: '198.18.0.2', jail: 'sshd' }, { ip: '198.18.0.3' }, { ip: '198.18.0.3' },
      { ip: '127.0.0.9' }, { ip: '203.0.113.5' }, { ip: '127.0.0.9' }, { ip: '::ffff:198.18.0.4', jail: 'sshd' }, { ip: '198.18.0.4', jail: 'sshd' },
    ]);
    expect(r).toEqual({ added: 4, unchanged: 2, skipped: [
      { ip: '127.0.0.9', reason: 'it is loopback' }, { ip: '127.0.0.9', reason: 'it is loopback' },
      { ip: '203.0.113.5', reason: 'it covers 203.0.113.0/28, which is whitelisted' }] });
    // The temporary ban of 198.18.0.1 became permanent, its earlier ban counted; 198.18.0.2's was in another jail.
    const stored = new Map(b.store.bans().map((x) => [`${x.jail} ${x.ip}`, [x.expiresAt, x.banCount, x.source, x.reason ?? null]]));
    expect(stored).toEqual(new Map([
      ['sshd 198.18.0.1', [null, 1, 'import', 'feed']], ['manual 198.18.0.2', [T0 + 60_000, 0, 'manual', null]], ['sshd 198.18.0.2', [null, 0, 'import', null]],
      ['manual 198.18.0.3', [null, 0, 'import', null]], ['sshd 198.18.0.4', [null, 0, 'import', null]],
    ]));
    expect(await b.svc.import([{ ip: '198.18.0.3' }, { ip: '198.18.0.1', jail: 'sshd' }])).toEqual({ added: 0, unchanged: 2, skipped: [] });
    // Each permanent ban once in the blocklist file (written at the next turn of the event loop).
    await new Promise((r) => setImmediate(r));
    expect(readFileSync(join(dir, 'blocklist'), 'utf8').split('\n').filter((l) => /^\d/.test(l)).map((l) => l.split(' ')[0]).sort())
      .toEqual(['198.18.0.1,sshd', '198.18.0.2,sshd', '198.18.0.3,manual', '198.18.0.4,sshd']);
    await b.close();
  });

  it('bans the blocklist file\'s lines at start, each once, and names the line of each it refuses', async () => {
    writeFileSync(join(dir, 'blocklist'), '198.18.1.1\n127.0.0.3  # oops\n198.18.1.2,sshd\n198.18.1.1\n192.0.2.0/24\n');
    const s0 = new SqliteStore(join(dir, 'bantop.sqlite3'));
    s0.whitelistAdd('192.0.2.9', T0);
    s0.close();
    const logs: string[] = [];
    const b = await open(new ManualClock(T0), logs);
    expect(b.svc.list().map((x) => `${x.jail} ${x.ip} ${x.permanent}`).sort()).toEqual(['manual 198.18.1.1 true', 'sshd 198.18.1.2 true']);
    const warnings = b.svc.status().warnings.filter((w) => w.startsWith('blocklist'));
    expect(warnings).toEqual([
      `blocklist: ${join(dir, 'blocklist')}:line 2 [ip]: 127.0.0.3 not banned: it is loopback`,
      `blocklist: ${join(dir, 'blocklist')}:line 5 [ip]: 192.0.2.0/24 not banned: it covers 192.0.2.9, which is whitelisted`,
    ]);
    expect(logs.filter((l) => l.includes('added'))).toEqual([`INFO blocklist ${join(dir, 'blocklist')}: 2 added, 0 removed`]);
    await b.close();
  });
});

describe('BantopService in a fleet', () => {
  it('applies a read of shared events in order: bans one after another together, an unban or whitelist between them where it came', async () => {
    appendFileSync(join(cfg, 'bantop.conf'), '\n[fleet]\nredis = redis://127.0.0.1:1/0\nname = here\n');
    const redis = new MemoryRedis();
    const clock = new ManualClock(Date.now());
    const store = new SqliteStore(join(dir, 'bantop.sqlite3'));
    const logs: string[] = [];
    const svc = await BantopService.start({ configDir: cfg, clock, runner: hostRunner(), store, log: { log: (lv: Level, m: string) => logs.push(`${lv} ${m}`) }, checkIntervalMs: 3600_000, fleetTransport: redis });
    try {
      await waitFor(() => logs.some((l) => l.includes('fleet: joined')), 5000, 'the join');
      const t = clock.now();
      const ban = (origin: string, ip: string, bantime: number, time = t): FleetEvent => ({ type: 'ban', origin, ip, jail: 'sshd', bantime, source: 'filter', reason: 'r', time });
      const events: FleetEvent[] = [
        ban('a', '198.18.2.1', -1), ban('a', '198.18.2.2', 600), ban('b', '198.18.2.2', -1), ban('a', '198.18.2.3', 60, t - 120_000),
        { type: 'unban', origin: 'a', ip: '198.18.2.1', everywhere: false, time: t },
        ban('b', '198.18.2.1', 3600), ban('a', '127.0.0.2', -1),
        { type: 'whitelist', origin: 'c', ip: '198.18.2.4', time: t },
        ban('a', '198.18.2.4', -1), ban('c', '198.18.2.5', 600), ban('a', '198.18.2.5', 300),
      ];
      for (const e of events) redis.add(encodeEvent(e));
      await waitFor(() => svc.list('fleet').length === 3, 5000, 'the shared bans');
      expect(svc.list('fleet').map((b) => [b.ip, b.expiresAt === null ? 'permanent' : (b.expiresAt - t) / 1000, b.origin]).sort()).toEqual([
        ['198.18.2.1', 3600, 'b'], ['198.18.2.2', 'permanent', 'b'], ['198.18.2.5', 600, 'c'],
      ]);
      expect(logs.filter((l) => l.startsWith('WARNING fleet: shared ban'))).toEqual(['WARNING fleet: shared ban of 127.0.0.2 from a not applied here: it is loopback']);
      // Stored with their origins, in the same transaction as the stream position.
      expect(store.bans().filter((b) => b.jail === 'fleet').map((b) => b.ip).sort()).toEqual(['198.18.2.1', '198.18.2.2', '198.18.2.5']);
      expect(new FleetStore(store.db, 'bantop').originOf('198.18.2.2')).toBe('b');
    } finally {
      await svc.stop();
      store.close();
    }
  });
});

describe('BantopService failure lines', () => {
  it('a filter\'s ban keeps the log lines of its failures in the store; subscribers get each line once', async () => {
    const clock = new ManualClock(T0);
    const b = await open(clock);
    const events: Array<Record<string, unknown>> = [];
    const off = b.svc.subscribe((e) => events.push(e as unknown as Record<string, unknown>));
    // Dated by the service's clock in local time: written as UTC, they were hours outside findtime wherever TZ is not UTC.
    const lines = [1, 2, 3, 4, 5].map((i) => `${syslogDate(T0 + i * 1000)} web1 sshd[4242]: Failed password for root from 203.0.113.44 port 4000${i} ssh2`);
    appendFileSync(join(dir, 'auth.log'), `${lines.join('\n')}\n`);
    await waitFor(() => events.some((e) => e['type'] === 'ban'), 5000, 'the ban');
    off();
    expect(b.store.historyOf('203.0.113.44')).toMatchObject([{ event: 'ban', jail: 'sshd', failures: 5, lines }]);
    // The line went out in its 'line' event; the failure that follows it does not carry it again.
    expect(events.filter((e) => e['type'] === 'line').map((e) => e['line'])).toEqual(lines);
    expect(events.filter((e) => e['type'] === 'failure').map((e) => e['line'])).toEqual([undefined, undefined, undefined, undefined, undefined]);
    await b.close();
  });
});

describe('BantopService with an action.d command action', () => {
  it("gives the action the log lines and the filter's captures behind a ban, stops it with the daemon and on reload, and replays each ban once, as restored", async () => {
    const out = join(dir, 'actions.txt');
    writeFileSync(join(cfg, 'jail.conf'), `[sshd]\nenabled = true\nlogpath = ${join(dir, 'auth.log')}\nbantime = 1h\nmaxmatches = 2\naction = rec\n`);
    writeFileSync(join(cfg, 'bantop.conf'), readFileSync(join(cfg, 'bantop.conf'), 'utf8').replace('firewall = dry-run', 'firewall = hostsdeny'));
    mkdirSync(join(cfg, 'action.d'));
    writeFileSync(join(cfg, 'action.d', 'rec.conf'), `[Definition]
actionstart = echo start >> ${out}
actionstop = echo stop >> ${out}
actionban = printf '%%s\\n' "ban <ip> restored=<restored> bancount=<bancount> user=<F-USER>" "<matches>" >> ${out}
actionunban = echo "unban <ip>" >> ${out}
`);
    const clock = new ManualClock(T0);
    const a = await open(clock);
    const lines = [1, 2, 3, 4, 5].map((i) => `${syslogDate(T0 + i * 1000)} web1 sshd[4242]: Failed password for root from 203.0.113.44 port 4000${i} ssh2`);
    appendFileSync(join(dir, 'auth.log'), `${lines.join('\n')}\n`);
    await waitFor(() => existsSync(out) && readFileSync(out, 'utf8').includes('ban 203.0.113.44'), 5000, 'the ban');
    await a.svc.ban({ ip: '198.18.0.2', jail: 'sshd', seconds: -1 });
    const mark = () => readFileSync(out, 'utf8').split('\n').filter(Boolean);
    // maxmatches = 2: the last two of the five lines, as fail2ban's ticket keeps them.
    expect(mark()).toEqual(['start', 'ban 203.0.113.44 restored=0 bancount=1 user=root', ...lines.slice(-2), 'ban 198.18.0.2 restored=0 bancount=1 user=']);
    writeFileSync(out, '');
    await a.svc.reload();
    // A replayed ban gets its lines from the store's history (not its captures, which the store does not keep).
    expect(mark()).toEqual(['unban 203.0.113.44', 'unban 198.18.0.2', 'stop', 'start', 'ban 203.0.113.44 restored=1 bancount=1 user=', ...lines.slice(-2),
      'ban 198.18.0.2 restored=1 bancount=1 user=']);
    writeFileSync(out, '');
    await a.close();
    // The temporary ban is lifted (no daemon would expire it); the action then stops as fail2ban stops it.
    expect(mark()).toEqual(['unban 203.0.113.44', 'unban 198.18.0.2', 'stop']);
    writeFileSync(out, '');
    const b = await open(clock);
    // Both bans are still in force (the temporary one for the rest of its hour): each is banned once again.
    expect(mark()).toEqual(['start', 'ban 203.0.113.44 restored=1 bancount=1 user=', ...lines.slice(-2), 'ban 198.18.0.2 restored=1 bancount=1 user=']);
    await b.close();
  });
});

describe("BantopService: an action's <ipmatches>, <ipjailmatches>, <ipfailures> and <ipjailfailures>", () => {
  it("come from the address's bans in the store, every jail's or this jail's, up to dbmaxmatches lines, and forget what a manual unban cleared", async () => {
    const out = join(dir, 'actions.txt');
    const other = join(dir, 'other.log');
    writeFileSync(other, '');
    // No escalation: its ban of the third would count among every jail's.
    writeFileSync(join(cfg, 'jail.conf'), `[DEFAULT]\nmaxretry = 2\nbantime = 1h\naction = rec\nescalation = off\n` +
      `[sshd]\nenabled = true\nlogpath = ${join(dir, 'auth.log')}\n[sshd-other]\nenabled = true\nfilter = sshd\nlogpath = ${other}\n`);
    writeFileSync(join(cfg, 'bantop.conf'), readFileSync(join(cfg, 'bantop.conf'), 'utf8').replace('firewall = dry-run', 'firewall = hostsdeny\ndbmaxmatches = 3'));
    mkdirSync(join(cfg, 'action.d'));
    writeFileSync(join(cfg, 'action.d', 'rec.conf'), `[Definition]
actionban = printf '%%s\\n' "<name> <ip> all=<ipfailures> jail=<ipjailfailures>" "<ipmatches>" "--" "<ipjailmatches>" "==" >> ${out}
actionunban = true
[Init]
name = default
`);
    const clock = new ManualClock(T0);
    const a = await open(clock);
    const ip = '203.0.113.44';
    let n = 0;
    const fail = (log: string, tag: string) => {
      n++;
      const l = `${syslogDate(clock.now() + n)} web1 sshd[${4000 + n}]: Failed password for ${tag} from ${ip} port ${40000 + n} ssh2`;
      appendFileSync(log, `${l}\n`);
      return l;
    };
    const banned = (k: number) => waitFor(() => existsSync(out) && readFileSync(out, 'utf8').split('==').length > k, 5000, `ban ${k}`);
    const record = (k: number) => readFileSync(out, 'utf8').split('==\n')[k - 1]!.split('\n').filter(Boolean);

    const s1 = [fail(join(dir, 'auth.log'), 'a'), fail(join(dir, 'auth.log'), 'b')];
    await banned(1);
    expect(record(1)).toEqual([`sshd ${ip} all=2 jail=2`, ...s1, '--', ...s1]);
    // The same address in a second jail: every jail's bans for <ip…>, this one's for <ipjail…>; the last 3 lines of all.
    const o1 = [fail(other, 'c'), fail(other, 'd')];
    await banned(2);
    expect(record(2)).toEqual([`sshd-other ${ip} all=4 jail=2`, s1[1], ...o1, '--', ...o1]);
    // A manual unban everywhere deletes the address's bans, as from fail2ban's database: a new ban starts afresh.
    clock.advance(60_000);
    await a.svc.unban({ ip });
    clock.advance(1_000);
    const s2 = [fail(join(dir, 'auth.log'), 'e'), fail(join(dir, 'auth.log'), 'f')];
    await banned(3);
    expect(record(3)).toEqual([`sshd ${ip} all=2 jail=2`, ...s2, '--', ...s2]);
    await a.close();
  });
});

describe('BantopService with an ignorecommand', () => {
  it("runs the jail's ignorecommand with the failure's address and user: exit 0 clears the address, 1 lets it be banned", async () => {
    const asked = join(dir, 'asked.txt');
    const cmd = join(dir, 'is-office');
    // Prints what it was asked, and clears 203.0.113.44 only.
    writeFileSync(cmd, `#!/bin/sh\nprintf '%s %s\\n' "$1" "$2" >> ${asked}\n[ "$1" = 203.0.113.44 ]\n`, { mode: 0o755 });
    writeFileSync(join(cfg, 'jail.conf'), `[sshd]\nenabled = true\nlogpath = ${join(dir, 'auth.log')}\nmaxretry = 2\nignorecommand = ${cmd} <ip> <F-USER>\n`);
    const clock = new ManualClock(T0);
    const b = await open(clock);
    const events: Array<Record<string, unknown>> = [];
    const off = b.svc.subscribe((e) => events.push(e as unknown as Record<string, unknown>));
    const line = (ip: string, user: string, i: number) => `${syslogDate(T0 + i * 1000)} web1 sshd[4242]: Failed password for ${user} from ${ip} port 4000${i} ssh2`;
    appendFileSync(join(dir, 'auth.log'), [line('203.0.113.44', 'root', 1), line('203.0.113.45', "o'neil;id", 2), line('203.0.113.44', 'root', 3), line('203.0.113.45', 'admin', 4)].join('\n') + '\n');
    await waitFor(() => events.some((e) => e['type'] === 'ban'), 5000, 'the ban');
    await waitFor(() => events.filter((e) => e['type'] === 'ignored').length === 2, 5000, 'both failures of 203.0.113.44 ignored');
    off();
    expect(b.svc.list().map((x) => x.ip)).toEqual(['203.0.113.45']);
    expect(events.filter((e) => e['type'] === 'ignored').map((e) => [e['ip'], e['reason']])).toEqual([['203.0.113.44', 'ignorecommand'], ['203.0.113.44', 'ignorecommand']]);
    // A user name with a quote and a semicolon reached the command as one argument, not as shell text. Each address was
    // asked once: its second failure came while the question was open, and took its answer.
    expect(readFileSync(asked, 'utf8').split('\n').filter(Boolean).sort()).toEqual(['203.0.113.44 root', "203.0.113.45 o'neil;id"]);
    await b.close();
  });
});

const ipSkip = netnsSkipReason(['iptables', 'ip6tables']);
describe.skipIf(ipSkip !== null)(`BantopService periodic firewall check${skipNote(ipSkip)}`, () => {
  it('never starts a check while one runs, and a ban never waits for a running check', async () => {
    const lab = createLab();
    const store = new SqliteStore(join(dir, 'bantop.sqlite3'));
    let release = () => {};
    try {
      const conf = join(cfg, 'bantop.conf');
      writeFileSync(conf, readFileSync(conf, 'utf8').replace('firewall = dry-run', 'firewall = iptables'));
      writeFileSync(join(cfg, 'jail.conf'), `[sshd]\nenabled = true\nport = 2222\nlogpath = ${join(dir, 'auth.log')}\nbantime = 1h\n`);
      // Real iptables in the lab's namespace. The first periodic check stops at its first look at INPUT
      // until the test lets it go: a check that outlasts as many ticks of its 20 ms interval as the test likes.
      const real = hostRunner({ netns: lab.host });
      const held = new Promise<void>((r) => { release = r; });
      let started = false;
      let holding = false;
      const whileHeld: string[] = [];
      const runner: Runner = {
        interactive: (cmd, args) => real.interactive(cmd, args),
        run: async (cmd, args, o) => {
          if (holding) whileHeld.push(`${cmd} ${args.join(' ')}`);
          if (started && !holding && args.includes('-C') && args.includes('INPUT')) {
            holding = true;
            await held;
          }
          return real.run(cmd, args, o);
        },
      };
      const svc = await BantopService.start({ configDir: cfg, clock: new ManualClock(T0), runner, store, log: { log: () => {} }, checkIntervalMs: 20 });
      started = true;
      await waitFor(() => holding, 5000, 'the first periodic check');
      await new Promise((r) => setTimeout(r, 400));
      // Twenty ticks went by, and none started a check beside the one that runs.
      expect(whileHeld).toEqual([]);
      const landed = await Promise.race([svc.ban({ ip: '198.18.0.9', jail: 'sshd' }).then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 5000))]);
      expect(landed).toBe(true);
      expect(whileHeld.filter((c) => / -I bantop-sshd .*198\.18\.0\.9/.test(c))).toHaveLength(1);
      expect(kernelCount('iptables', lab.host, '198.18.0.9')).toBe(1);
      release();
      await svc.stop();
    } finally {
      release();
      store.close();
      lab.cleanup();
    }
  }, 30_000);
});
