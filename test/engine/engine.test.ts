import { describe, expect, it } from 'vitest';
import { Engine, type JailDefinition } from '../../src/engine/engine.js';
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
    engine.line('app', 'fail from 1.2.3.4');
    engine.line('app', 'fail from 1.2.3.4');
    expect(events.map((e) => e.type)).toEqual(['failure', 'failure', 'ban']);
    clock.advance(60_000);
    engine.tick();
    expect(events.at(-1)).toMatchObject({ type: 'unban', ip: '1.2.3.4', reason: 'expired' });
  });

  it('honours ignoreip (address, CIDR, IPv6) and ignoreself', () => {
    const { engine, events } = setup([def({ maxretry: 1, ignoreip: ['10.0.0.0/8', '2001:db8::/32', '198.51.100.7'] })]);
    for (const ip of ['10.1.2.3', '2001:db8::5', '198.51.100.7', '192.0.2.1']) engine.line('app', `fail from ${ip}`);
    expect(events.map((e) => (e.type === 'ignored' ? e.reason : e.type))).toEqual(['ignoreip', 'ignoreip', 'ignoreip', 'ignoreself']);
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

  it('snapshots per-jail counts and filter health', () => {
    const { engine } = setup([def({ maxretry: 5 })]);
    engine.line('app', 'fail from 1.2.3.4');
    engine.line('app', 'hello');
    const s = engine.snapshot().jails[0]!;
    expect(s).toMatchObject({ name: 'app', failuresInWindow: 1, currentBans: 0, filter: { lines: 2, matched: 1, missed: 1 } });
  });
});
