import type { BantimeIncrement } from '../config/model.js';

/**
 * fail2ban's `bantime.increment`, as its jail.conf documents it and its
 * server computes it:
 *  - with multipliers: bantime * factor * multipliers[min(count, len-1)]
 *  - else the default formula: bantime * 2^min(count, 20) * factor, never
 *    less than bantime (a factor below 1 does not shorten a ban)
 * then capped by `maxtime`, and up to `rndtime` random seconds added after
 * the cap (a ban at maxtime still ends at a time a botnet cannot tell).
 * `count` is how many times the address was banned before; none, the ban
 * keeps its bantime. Returns seconds; a permanent base stays permanent.
 */
export function nextBanTime(base: number, inc: BantimeIncrement, previousBans: number, random: () => number = Math.random): number {
  if (base < 0) return -1;
  if (!inc.enabled || previousBans <= 0) return base;
  let t: number;
  if (inc.multipliers.length > 0) {
    const m = inc.multipliers[Math.min(previousBans, inc.multipliers.length - 1)]!;
    t = base * m * inc.factor;
  } else {
    t = Math.max(base, base * 2 ** Math.min(previousBans, 20) * inc.factor);
  }
  if (inc.maxtime > 0) t = Math.min(t, inc.maxtime);
  if (inc.rndtime > 0) t += random() * inc.rndtime;
  return Math.round(t);
}
