import type { BantimeIncrement } from '../config/model.js';

/**
 * fail2ban's `bantime.increment`, as its jail.conf documents it:
 *  - with multipliers: bantime * factor * multipliers[min(count, len-1)]
 *  - else the default formula: bantime * 2^min(count, 20) * factor
 * then up to `rndtime` random seconds are added and the result is capped by
 * `maxtime`. `count` is how many times the address was banned before.
 * Returns seconds; a permanent base stays permanent.
 */
export function nextBanTime(base: number, inc: BantimeIncrement, previousBans: number, random: () => number = Math.random): number {
  if (base < 0) return -1;
  if (!inc.enabled || previousBans <= 0) return base;
  let t: number;
  if (inc.multipliers.length > 0) {
    const m = inc.multipliers[Math.min(previousBans, inc.multipliers.length - 1)]!;
    t = base * m * inc.factor;
  } else {
    t = base * 2 ** Math.min(previousBans, 20) * inc.factor;
  }
  if (inc.rndtime > 0) t += Math.floor(random() * inc.rndtime);
  if (inc.maxtime > 0) t = Math.min(t, inc.maxtime);
  return Math.round(t);
}
