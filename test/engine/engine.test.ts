import { describe, expect, it } from 'vitest';
import { Engine, type JailDefinition } from '../../src/engine/engine.js';
import { MemoryBanHistory, type BanHistory } from '../../src/engine/jail-core.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { ManualClock } from '../../src/util/clock.js';

const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);
const def = (o: Partial<JailDefinition> = {}): JailDefinition => ({
  name: 'app', maxretry: 2, findtime: 600, bantime: 60, ignoreip: [], ignoreself: true, usedns: 'warn',
  bantimeIncrement: { enabled: false, factor: 1, multipliers: [], maxtime: 0, rndtime: 0, overalljails: false },
  filter: { name: 'app', failregex: ['fail from <HOST>$'], ignoreregex: [], datepattern: [], maxlines: 1, maxlinelen: 10_000, useDns: true },
  ...o,
});

function setup(defs: JailDefinition[], opts: Partial<ConstructorParameters<typeof Engine>[1]> = {}) {
  const clock = new ManualClock(T0);
  const engine = new Engine(defs, { clock, selfAddresses: ['192.0.2.1'], ...opts });
  const events: EngineEvent[] = [];
  engine.subscribe((e) => events.push(e));
  return { clock, engine, events };
}

describe('Engine', () => {
  it('turns log lines into failure and ban events, and expires bans with the clock', () => {
    const { clock, engine, events } = setup([def()]);
    engine.line('app', 'first: fail from 1.2.3.4');
    engine.line('app', 'second: fail from 1.2.3.4');
    expect(events.map((e) => e.type)).toEqual(['failure', 'failure', 'ban']);
    // The part of the line the failregex matched travels with the failure, for the TUI to highlight.
    expect(events[0]).toMatchObject({ type: 'failure', ip: '1.2.3.4', match: 'fail from 1.2.3.4' });
    // The ban carries the lines that earned it, for its history.
    expect(events[2]).toMatchObject({ type: 'ban', ip: '1.2.3.4', lines: ['first: fail from 1.2.3.4', 'second: fail from 1.2.3.4'] });
    clock.advance(60_000);
    engine.tick();
    expect(events.at(-1)).toMatchObject({ type: 'unban', ip: '1.2.3.4', reason: 'expired' });
  });

  it('counts a live line dated over a minute off the clock as just happened, as fail2ban in operation mode; a line read back keeps its date', () => {
    const warned: string[] = [];
    const { clock, engine, events } = setup([def({ maxretry: 3 })], { warn: (m) => warned.push(m) });
    const at = (ms: number) => new Date(ms).toISOString().slice(0, 19) + 'Z';
    // Read back after a restart: an hour old is older than findtime.
    engine.line('app', `${at(T0 - 3_600_000)} fail from 1.2.3.4`, T0, { read: 'back' });
    expect(events.at(-1)).toMatchObject({ type: 'ignored', reason: 'too-old', time: T0 - 3_600_000 });
    expect(warned).toEqual([]);
    // Live, a log an hour behind (a wrong time zone) still bans: each failure is taken as now, and said once.
    for (let i = 0; i < 3; i++) {
      engine.line('app', `${at(clock.now() - 3_600_000)} fail from 5.6.7.8`, clock.now(), { read: 'live' });
      clock.advance(1000);
    }
    expect(events.filter((e) => e.ip === '5.6.7.8').map((e) => [e.type, e.time])).toEqual([
      ['failure', T0], ['failure', T0 + 1000], ['failure', T0 + 2000], ['ban', T0 + 2000]]);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(/^\[app\] a log line is dated 1h before the clock as it is read: a time zone or clock problem, .*logtimezone.* The line: 2026-11-21T11:00:00Z fail from 5\.6\.7\.8$/);
    // Within a minute the date stands (a second late is no problem); over it, a line a few minutes late is late delivery.
    engine.line('app', `${at(clock.now() - 59_000)} fail from 9.9.9.9`, clock.now(), { read: 'live' });
    expect(events.at(-1)).toMatchObject({ type: 'failure', ip: '9.9.9.9', time: clock.now() - 59_000 });
    // Ahead of the clock too, and after a day the warning comes again.
    clock.advance(86_400_000);
    engine.line('app', `${at(clock.now() + 300_000)} fail from 9.9.9.10`, clock.now(), { read: 'live' });
    expect(events.at(-1)).toMatchObject({ type: 'failure', ip: '9.9.9.10', time: clock.now() });
    engine.line('app', `${at(clock.now() - 120_000)} fail from 9.9.9.11`, clock.now(), { read: 'live' });
    expect(warned).toHaveLength(2);
    expect(warned[1]).toMatch(/^\[app\] a log line is dated 5m after the clock as it is read: a time zone or clock problem/);
    clock.advance(86_400_000);
    engine.line('app', `${at(clock.now() - 120_000)} fail from 9.9.9.12`, clock.now(), { read: 'live' });
    expect(warned[2]).toMatch(/dated 2m before the clock as it is read: a late delivery problem/);
  });

  it('skips a failure read back with no date it can read (its age is unknown), as fail2ban does; a journal entry\'s own time is its date', () => {
    const warned: string[] = [];
    const { engine, events } = setup([def({ maxretry: 1 }), def({ name: 'nodate', maxretry: 1, filter: { ...def().filter, datepattern: ['{NONE}'] } })],
      { warn: (m) => warned.push(m) });
    engine.line('app', 'fail from 1.2.3.4', T0, { read: 'back' });
    engine.line('app', 'fail from 1.2.3.9', T0, { read: 'back' });
    expect(events.map((e) => [e.type, e.ip, (e as { reason?: string }).reason])).toEqual([['ignored', '1.2.3.4', 'undated'], ['ignored', '1.2.3.9', 'undated']]);
    expect(warned).toEqual([expect.stringMatching(/^\[app\] a failure read back at start has no date the filter can read, so it is skipped .* The line: fail from 1\.2\.3\.4$/)]);
    // Live, or without a date to look for ({NONE}), it is taken as read.
    engine.line('app', 'fail from 1.2.3.5', T0, { read: 'live' });
    engine.line('nodate', 'fail from 1.2.3.6', T0 - 1000, { read: 'back' });
    expect(events.filter((e) => e.type === 'ban').map((e) => [e.ip, e.time])).toEqual([['1.2.3.5', T0], ['1.2.3.6', T0]]);
    // Read back, a date ahead of the clock (a host whose clock runs fast) is taken as now, as fail2ban takes it.
    engine.line('app', `${new Date(T0 + 3_600_000).toISOString().slice(0, 19)}Z fail from 1.2.3.8`, T0, { read: 'back' });
    expect(events.filter((e) => e.ip === '1.2.3.8').map((e) => [e.type, e.time])).toEqual([['failure', T0], ['ban', T0]]);
    // Stamped: the time given is the line's, and a date in its text is no date (text an attacker chose).
    engine.line('app', 'user 2026-11-21 11:59:00 fail from 1.2.3.7', T0 - 5000, { read: 'back', stamped: true });
    expect(events.filter((e) => e.ip === '1.2.3.7').map((e) => [e.type, e.time])).toEqual([['failure', T0 - 5000], ['ban', T0]]);
  });

  it("asks the ignorecommand before counting an address's failures: they wait for the answer, in order, then count or are ignored", async () => {
    const asked: Array<[string, string, string, Record<string, string>]> = [];
    const answers = new Map<string, (ignored: boolean) => void>();
    const { engine, events } = setup([def({ maxretry: 2, ignorecommand: 'is-office <ip>',
      filter: { ...def().filter, failregex: ['fail <F-USER>\\w+</F-USER> from <HOST>$'] } })], {
      askIgnoreCommand: (jail, command, ip, f) => {
        asked.push([jail, command, ip, f.fields]);
        return new Promise((res) => answers.set(ip, res));
      },
    });
    engine.line('app', 'fail root from 198.51.100.1');
    engine.line('app', 'fail bob from 198.51.100.1');
    engine.line('app', 'fail eve from 198.51.100.2');
    // One question per address, none counted yet.
    expect(asked).toEqual([['app', 'is-office <ip>', '198.51.100.1', { user: 'root' }], ['app', 'is-office <ip>', '198.51.100.2', { user: 'eve' }]]);
    expect(events).toEqual([]);
    answers.get('198.51.100.1')!(false);
    answers.get('198.51.100.2')!(true);
    await new Promise((r) => setTimeout(r, 0));
    expect(events.map((e) => `${e.type}:${e.ip}${e.type === 'ignored' ? `:${e.reason}` : ''}`)).toEqual([
      'failure:198.51.100.1', 'failure:198.51.100.1', 'ban:198.51.100.1', 'ignored:198.51.100.2:ignorecommand']);
    // Without ignorecache, as in fail2ban, the next failure asks again.
    engine.line('app', 'fail eve from 198.51.100.2');
    expect(asked).toHaveLength(3);
  });

  it('keeps ignorecommand answers for ignorecache max-time, and a command that fails to run clears no one', async () => {
    let calls = 0;
    const { clock, engine, events } = setup([def({ maxretry: 3, ignorecommand: 'x', ignorecache: { maxTimeMs: 60_000, maxCount: 10 } })], {
      askIgnoreCommand: async (_j, _c, ip) => {
        calls++;
        if (ip === '198.51.100.9') throw new Error('spawn failed');
        return true;
      },
    });
    engine.line('app', 'fail from 198.51.100.1');
    await new Promise((r) => setTimeout(r, 0));
    engine.line('app', 'fail from 198.51.100.1');
    expect(calls).toBe(1);
    clock.advance(61_000);
    engine.line('app', 'fail from 198.51.100.1');
    await new Promise((r) => setTimeout(r, 0));
    expect(calls).toBe(2);
    expect(events.map((e) => (e.type === 'ignored' ? e.reason : e.type))).toEqual(['ignorecommand', 'ignorecommand', 'ignorecommand']);
    engine.line('app', 'fail from 198.51.100.9');
    await new Promise((r) => setTimeout(r, 0));
    expect(events.at(-1)).toMatchObject({ type: 'failure', ip: '198.51.100.9' });
  });

  it('keeps answers by an ignorecache key of the failure\'s tags: key="<F-USER>@<ip>" asks again for each user', async () => {
    const asked: string[] = [];
    const { engine, events } = setup([def({ maxretry: 5, ignorecommand: 'x', ignorecache: { maxTimeMs: 60_000, maxCount: 10, key: '<F-USER>@<ip>' },
      filter: { ...def().filter, failregex: ['fail <F-USER>\\w+</F-USER> from <HOST>$'] } })], {
      askIgnoreCommand: async (_j, _c, ip, f) => {
        asked.push(`${f.fields['user']}@${ip}`);
        // The office's deploy account may fail; nobody else.
        return f.fields['user'] === 'deploy';
      },
    });
    for (const user of ['deploy', 'root', 'deploy', 'root', 'bob']) {
      engine.line('app', `fail ${user} from 198.51.100.1`);
      await new Promise((r) => setTimeout(r, 0));
    }
    expect(asked).toEqual(['deploy@198.51.100.1', 'root@198.51.100.1', 'bob@198.51.100.1']);
    expect(events.map((e) => (e.type === 'ignored' ? 'ignored' : e.type))).toEqual(['ignored', 'failure', 'ignored', 'failure', 'failure']);
  });

  it('honours ignoreip (address, CIDR, IPv6) and ignoreself', () => {
    // A netmask (203.0.113.0/255.255.255.0) as fail2ban reads it.
    const { engine, events } = setup([def({ maxretry: 1, ignoreip: ['10.0.0.0/8', '2001:db8::/32', '198.51.100.7', '203.0.113.0/255.255.255.0'] })]);
    for (const ip of ['10.1.2.3', '2001:db8::5', '198.51.100.7', '192.0.2.1', '203.0.113.77']) engine.line('app', `fail from ${ip}`);
    expect(events.map((e) => (e.type === 'ignored' ? e.reason : e.type))).toEqual(['ignoreip', 'ignoreip', 'ignoreip', 'ignoreself', 'ignoreip']);
    expect(events[0]).toMatchObject({ match: 'fail from 10.1.2.3' });
  });

  it('resolves ignoreip host names through the injected lookup', async () => {
    const { engine, events } = setup([def({ maxretry: 1, ignoreip: ['office.example'] })]);
    await engine.refreshIgnoreNames(async (n) => (n === 'office.example' ? ['203.0.113.50'] : []));
    engine.line('app', 'fail from 203.0.113.50');
    expect(events[0]).toMatchObject({ type: 'ignored', reason: 'ignoreip' });
  });

  it('keeps jails apart: an unban in one jail leaves the other jail\'s ban', () => {
    const { engine } = setup([def({ name: 'a' }), def({ name: 'b' })]);
    engine.ban('a', '1.2.3.4', { source: 'manual', seconds: 60 });
    engine.ban('b', '1.2.3.4', { source: 'manual', seconds: -1 });
    engine.unban('1.2.3.4', 'a');
    expect(engine.bans().map((b) => b.jail)).toEqual(['b']);
    expect(engine.unban('1.2.3.4')).toBe(1);
    expect(engine.bans()).toEqual([]);
  });

  it('resolves DNS hosts with usedns=warn and bans each address', async () => {
    const { engine, events } = setup([def({ maxretry: 1 })], { resolveHost: async () => ['203.0.113.1', '2001:db8::1'] });
    engine.line('app', 'fail from evil.example');
    await new Promise((r) => setTimeout(r, 0));
    expect(events.filter((e) => e.type === 'ban').map((e) => e.ip)).toEqual(['203.0.113.1', '2001:db8::1']);
  });

  it('never resolves an <F-ID> value as a host name', async () => {
    const asked: string[] = [];
    const filter = { ...def().filter, failregex: ['session <F-ID>\\S+</F-ID> failed$'] };
    const { engine, events } = setup([def({ maxretry: 1, filter })], { resolveHost: async (n) => { asked.push(n); return ['203.0.113.9']; } });
    expect(engine.line('app', 'session evil.example failed')).toMatchObject({ kind: 'failure', failure: { host: 'evil.example', isId: true } });
    await new Promise((r) => setTimeout(r, 0));
    expect(asked).toEqual([]);
    expect(events.filter((e) => e.type === 'ban')).toEqual([]);
  });

  it('snapshots per-jail counts and filter health', () => {
    const { engine } = setup([def({ maxretry: 5 })]);
    engine.line('app', 'fail from 1.2.3.4');
    engine.line('app', 'hello');
    const s = engine.snapshot().jails[0]!;
    expect(s).toMatchObject({ name: 'app', failuresInWindow: 1, currentBans: 0, filter: { lines: 2, matched: 1, missed: 1 } });
  });

  it('never counts a failure from an operator session or loopback, and says so', () => {
    const { engine, events } = setup([def({ maxretry: 1 })]);
    const release = engine.protectOperator('198.51.100.7', 'the SSH connection from 198.51.100.7 (test)');
    engine.line('app', 'fail from 198.51.100.7');
    engine.line('app', 'fail from 127.0.0.5');
    expect(events.map((e) => (e.type === 'ignored' ? e.reason : e.type))).toEqual(['protected', 'protected']);
    release();
    engine.line('app', 'fail from 198.51.100.7');
    expect(events.at(-1)).toMatchObject({ type: 'ban', ip: '198.51.100.7' });
  });

  it('refuses a ban that would cut an operator, this host or loopback (unless forced), naming the connection', () => {
    const { engine } = setup([def()]);
    engine.protectOperator('198.51.100.7', 'the SSH connection from 198.51.100.7 port 5000 (test)');
    expect(() => engine.ban('app', '198.51.100.0/24', { source: 'manual' }))
      .toThrow('refusing to ban 198.51.100.0/24: it covers 198.51.100.7, which is the SSH connection from 198.51.100.7 port 5000 (test)');
    expect(() => engine.ban('app', '192.0.2.1', { source: 'manual' })).toThrow(/an address of this host/);
    expect(() => engine.ban('app', '127.0.0.0/8', { source: 'manual' })).toThrow(/covers 127\.0\.0\.1, which is loopback/);
    expect(() => engine.ban('app', '127.0.0.5', { source: 'manual' })).toThrow(/127\.0\.0\.5: it is loopback/);
    expect(() => engine.ban('app', '127.9.0.0/16', { source: 'manual' })).toThrow(/it covers loopback addresses/);
    expect(() => engine.ban('app', '203.0.113.9', { source: 'manual', protect: [{ ip: '203.0.113.9', label: 'the caller' }] })).toThrow(/is the caller/);
    engine.ban('app', '198.51.100.7', { source: 'manual', force: true });
    expect(engine.getBan('app', '198.51.100.7')).toBeDefined();
    // The whitelist is never forced.
    engine.whitelist.add('203.0.113.0/24');
    expect(() => engine.ban('app', '203.0.113.9', { source: 'manual', force: true })).toThrow(/whitelisted/);
  });

  it('banMany makes each ban as ban() makes it, returns the ones ban() would refuse, and reads the ban counts in one query per scope', () => {
    const asked: Array<[number, string | null]> = [];
    const history = new MemoryBanHistory();
    const bulk: BanHistory = {
      previousBans: (ip, jail) => history.previousBans(ip, jail),
      previousBansMany: (ips, jail) => {
        asked.push([ips.length, jail]);
        return new Map(ips.map((ip) => [ip, history.previousBans(ip, jail)] as const).filter(([, n]) => n > 0));
      },
      recordBan: (ip, jail, t) => history.recordBan(ip, jail, t),
    };
    const over = { ...def().bantimeIncrement, overalljails: true };
    const { engine, events } = setup([def(), def({ name: 'web' }), def({ name: 'all', bantimeIncrement: over })], { history: bulk });
    engine.protectOperator('198.51.100.7', 'the SSH connection from 198.51.100.7 port 5000 (test)');
    engine.whitelist.add('203.0.113.0/24');
    engine.ban('app', '198.51.100.1', { source: 'manual' });
    engine.ban('web', '198.51.100.2', { source: 'manual' });
    events.length = 0;
    const items = [
      { jail: 'app', ip: '198.51.100.1', reason: 'list' }, { jail: 'app', ip: '198.51.100.2' }, { jail: 'all', ip: '198.51.100.2' },
      { jail: 'web', ip: '127.0.0.5' }, { jail: 'web', ip: '203.0.113.9' }, { jail: 'app', ip: '198.51.100.0/29' }, { jail: 'app', ip: '::/127' },
      { jail: 'app', ip: '192.0.2.1' }, { jail: 'web', ip: '2001:db8::7' },
    ];
    const refused = engine.banMany(items, { seconds: -1, source: 'import' }).map((r) => {
      // The caller's own item comes back, whatever else it carries.
      expect(items).toContain(r.item);
      return { jail: r.item.jail, ip: r.item.ip, reason: r.reason };
    });
    expect(refused).toEqual([
      { jail: 'web', ip: '127.0.0.5', reason: 'it is loopback' },
      { jail: 'web', ip: '203.0.113.9', reason: 'it covers 203.0.113.0/24, which is whitelisted' },
      { jail: 'app', ip: '198.51.100.0/29', reason: 'it covers 198.51.100.7, which is the SSH connection from 198.51.100.7 port 5000 (test)' },
      { jail: 'app', ip: '::/127', reason: 'it covers ::1, which is loopback' },
      { jail: 'app', ip: '192.0.2.1', reason: 'it is an address of this host' },
    ]);
    // Counts as ban() reads them: the jail's own earlier bans, every jail's with overalljails.
    expect(events.map((e) => e.type === 'ban' && [e.jail, e.ip, e.banCount, e.expiresAt, e.source, e.reason ?? null])).toEqual([
      ['app', '198.51.100.1', 1, null, 'import', 'list'], ['app', '198.51.100.2', 0, null, 'import', null], ['all', '198.51.100.2', 1, null, 'import', null],
      ['web', '2001:db8::7', 0, null, 'import', null],
    ]);
    expect(asked.sort()).toEqual([[1, null], [2, 'app'], [1, 'web']].sort());
    // The same refusals as ban() one at a time.
    for (const r of refused) expect(() => engine.ban(r.jail, r.ip, { source: 'manual' })).toThrow(r.reason);
  });

  it('unban everywhere lifts every jail and makes every jail forget what was logged before it', () => {
    const { clock, engine, events } = setup([def({ name: 'a', maxretry: 2 }), def({ name: 'b', maxretry: 2 })]);
    engine.line('a', 'fail from 203.0.113.9');
    engine.line('a', 'fail from 203.0.113.9');
    engine.line('b', 'fail from 203.0.113.9'); // pending in b, not banned there
    expect(engine.unbanEverywhere('203.0.113.9')).toEqual(['a']);
    events.length = 0;
    // A re-read of the same lines (same timestamps): nothing counts.
    engine.line('b', 'fail from 203.0.113.9', T0);
    engine.line('a', 'fail from 203.0.113.9', T0);
    expect(events.map((e) => (e.type === 'ignored' ? e.reason : e.type))).toEqual(['unban-watermark', 'unban-watermark']);
    expect(engine.bans()).toEqual([]);
    clock.advance(1000);
    engine.line('b', 'fail from 203.0.113.9');
    engine.line('b', 'fail from 203.0.113.9');
    expect(events.at(-1)).toMatchObject({ type: 'ban', jail: 'b' });
  });

  it('failures that earned a ban never count again after it expires (a log read twice bans once)', () => {
    const { clock, engine, events } = setup([def({ maxretry: 2, bantime: 60 })]);
    const lines = ['2026-11-21T11:59:58Z fail from 203.0.113.9', '2026-11-21T11:59:59Z fail from 203.0.113.9'];
    for (const l of lines) engine.line('app', l);
    expect(events.filter((e) => e.type === 'ban')).toHaveLength(1);
    clock.advance(61_000);
    engine.tick();
    for (const l of lines) engine.line('app', l);
    expect(events.filter((e) => e.type === 'ban')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'ignored').map((e) => (e as { reason: string }).reason)).toEqual(['before-last-ban', 'before-last-ban']);
  });
});
