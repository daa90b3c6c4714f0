import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { BantimeIncrement } from '../../src/config/model.js';
import { evaluateBantimeFactor, LONGEST_GROWN_BAN, nextBanTime } from '../../src/engine/bantime.js';
import { skipNote } from '../support/skip-note.js';

/**
 * fail2ban's own server code computes each case: its Jail builds the
 * formula from the bantime.* options as the server does, its observer applies
 * it; random.random() is pinned to 0.5, as bantop's random is here.
 */
const HARNESS = `
import sys, json, types
from fail2ban.server.jail import Jail
import fail2ban.server.jail as J
from fail2ban.server.observer import ObserverThread
J.random.random = lambda: 0.5
out = []
for c in json.load(sys.stdin):
    j = types.SimpleNamespace(_banExtra={}, database=object())
    for k in ('factor', 'multipliers', 'maxtime', 'rndtime', 'formula'):
        if c.get(k) is not None: Jail.setBanTimeExtra(j, k, str(c[k]))
    if not j._banExtra.get('evformula'): Jail.setBanTimeExtra(j, 'factor', '1')
    try:
        out.append(j._banExtra['evformula'](ObserverThread.BanTimeIncr(c['base'], c['count'])))
    except Exception:
        # the observer's incrBanTime logs the error and the ban keeps its time
        out.append(c['base'])
print(json.dumps(out))
`;

const skip = spawnSync('/usr/bin/python3', ['-c', 'import fail2ban.server.observer'], { stdio: 'ignore' }).status === 0
  ? null : "fail2ban's server code is not installed: apt-get install fail2ban";

type Case = { base: number; count: number; factor?: number | string; multipliers?: number[]; maxtime?: number; rndtime?: number; formula?: string };

describe.skipIf(skip !== null)(`nextBanTime gives what fail2ban's server gives${skipNote(skip)}`, () => {
  it('for the default formula, multipliers, factors below and above 1, maxtime and rndtime, over ban counts 1 to 25', () => {
    const options: Array<Omit<Case, 'base' | 'count'>> = [
      {}, { factor: 2 }, { factor: 0.25 }, { factor: 1.5, maxtime: 86_400 }, { maxtime: 3600, rndtime: 100 }, { rndtime: 30 },
      { multipliers: [1, 5, 30, 60, 300, 720, 1440, 2880] }, { multipliers: [1, 2, 4], factor: 3 }, { multipliers: [1, 5, 30], maxtime: 1000, rndtime: 10 },
    ];
    const cases: Case[] = [];
    for (const o of options) for (const base of [60, 600]) for (const count of [1, 2, 3, 5, 8, 20, 25]) cases.push({ base, count, ...o });
    const wire = cases.map((c) => ({ ...c, multipliers: c.multipliers?.join(' ') }));
    const theirs = JSON.parse(execFileSync('/usr/bin/python3', ['-c', HARNESS], { input: JSON.stringify(wire), encoding: 'utf8' })) as number[];
    const inc = (c: Case): BantimeIncrement => ({ enabled: true, factor: typeof c.factor === 'string' ? evaluateBantimeFactor(c.factor) : c.factor ?? 1, multipliers: c.multipliers ?? [], maxtime: c.maxtime ?? 0, rndtime: c.rndtime ?? 0, overalljails: false });
    const ours = cases.map((c) => nextBanTime(c.base, inc(c), c.count, () => 0.5));
    expect(ours.map((t, i) => ({ ...cases[i], t }))).toEqual(theirs.map((t, i) => ({ ...cases[i], t: Math.round(t) })));
  });

  it('for bantime.formula and a factor written as Python, published formulas and ones that fail at some counts', () => {
    const formulas = [
      'ban.Time * (1<<(ban.Count if ban.Count<20 else 20)) * banFactor',
      'ban.Time * math.exp(float(ban.Count+1)*banFactor)/math.exp(1*banFactor)',
      'ban.Time * banFactor * (ban.Count ** 2)',
      'ban.Time / 2 if ban.Count < 3 else ban.Time * 10 + random.random() * 100',
      'min(ban.Time * 3 ** ban.Count, 86400 * 7) * banFactor',
      'ban.Time * math.log(ban.Count - 1)',
      'ban.Time * math.exp(ban.Count * 100)',
      'ban.Time * 10.0 ** (ban.Count * 100)',
      'ban.Time // (ban.Count - 2)',
    ];
    const options: Array<Omit<Case, 'base' | 'count'>> = [
      ...formulas.map((formula) => ({ formula })),
      { formula: formulas[1]!, factor: '2.0 / 2.885385' },
      { formula: formulas[1]!, factor: '2.0 / 2.885385', maxtime: 604_800 },
      { formula: formulas[2]!, factor: '0.5', rndtime: 20 },
      { formula: formulas[6]!, maxtime: 3600 },
      // multipliers win over a formula, as fail2ban uses the formula only without them
      { formula: formulas[2]!, multipliers: [1, 5, 30] },
    ];
    const cases: Case[] = [];
    for (const o of options) for (const base of [60, 600]) for (const count of [1, 2, 3, 5, 8, 20, 25]) cases.push({ base, count, ...o });
    const wire = cases.map((c) => ({ ...c, multipliers: c.multipliers?.join(' ') }));
    const theirs = JSON.parse(execFileSync('/usr/bin/python3', ['-c', HARNESS], { input: JSON.stringify(wire), encoding: 'utf8' })) as number[];
    const inc = (c: Case): BantimeIncrement => ({
      enabled: true, factor: typeof c.factor === 'string' ? evaluateBantimeFactor(c.factor) : c.factor ?? 1, multipliers: c.multipliers ?? [],
      maxtime: c.maxtime ?? 0, rndtime: c.rndtime ?? 0, overalljails: false, formula: c.formula,
    });
    // 12 significant digits: V8's exp and the C library's can differ in the last bit of a double.
    const ours = cases.map((c) => Number(nextBanTime(c.base, inc(c), c.count, () => 0.5).toPrecision(12)));
    // fail2ban keeps any float; bantop ends a grown ban within LONGEST_GROWN_BAN.
    expect(ours.map((t, i) => ({ ...cases[i], t }))).toEqual(theirs.map((t, i) => ({ ...cases[i], t: Number(Math.round(Math.min(t, LONGEST_GROWN_BAN)).toPrecision(12)) })));
    expect(theirs.filter((t) => t > LONGEST_GROWN_BAN).length).toBeGreaterThan(0);
  });
});

describe('bantime.formula', () => {
  const inc = (formula: string, factor = 1): BantimeIncrement => ({ enabled: true, factor, multipliers: [], maxtime: 0, rndtime: 0, overalljails: false, formula });

  it("jail.conf's claim: the exp formula with factor 2.0 / 2.885385 grows as the default, 1, 2, 4, 8 …", () => {
    const exp = inc('ban.Time * math.exp(float(ban.Count+1)*banFactor)/math.exp(1*banFactor)', evaluateBantimeFactor('2.0 / 2.885385'));
    const dflt: BantimeIncrement = { ...exp, formula: undefined, factor: 1 };
    for (const count of [1, 2, 3, 4, 5, 6]) {
      const ours = nextBanTime(600, exp, count, () => 0);
      expect(Math.abs(ours - nextBanTime(600, dflt, count, () => 0)) / ours).toBeLessThan(0.001);
    }
  });

  it('is never below bantime, and a first ban keeps bantime', () => {
    expect(nextBanTime(600, inc('ban.Time / 100'), 3)).toBe(600);
    expect(nextBanTime(600, inc('ban.Time * 1000'), 0)).toBe(600);
  });
});
