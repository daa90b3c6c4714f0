import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { BantimeIncrement } from '../../src/config/model.js';
import { nextBanTime } from '../../src/engine/bantime.js';
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
    for k in ('factor', 'multipliers', 'maxtime', 'rndtime'):
        if c.get(k) is not None: Jail.setBanTimeExtra(j, k, str(c[k]))
    if not j._banExtra.get('evformula'): Jail.setBanTimeExtra(j, 'factor', '1')
    out.append(j._banExtra['evformula'](ObserverThread.BanTimeIncr(c['base'], c['count'])))
print(json.dumps(out))
`;

const skip = spawnSync('/usr/bin/python3', ['-c', 'import fail2ban.server.observer'], { stdio: 'ignore' }).status === 0
  ? null : "fail2ban's server code is not installed: apt-get install fail2ban";

type Case = { base: number; count: number; factor?: number; multipliers?: number[]; maxtime?: number; rndtime?: number };

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
    const inc = (c: Case): BantimeIncrement => ({ enabled: true, factor: c.factor ?? 1, multipliers: c.multipliers ?? [], maxtime: c.maxtime ?? 0, rndtime: c.rndtime ?? 0, overalljails: false });
    const ours = cases.map((c) => nextBanTime(c.base, inc(c), c.count, () => 0.5));
    expect(ours.map((t, i) => ({ ...cases[i], t }))).toEqual(theirs.map((t, i) => ({ ...cases[i], t: Math.round(t) })));
  });
});
