import type { BantimeIncrement } from '../config/model.js';
import { compilePyExpression, PyExpressionError, type PyExpression, type PyScope } from '../config/py-expression.js';

/** The names fail2ban's jail.py gives `bantime.formula` (with Python's builtins, `math` and `random`). */
const FORMULA_SCOPE: PyScope = {
  ban: { kind: 'namespace', name: 'ban', members: { Time: { kind: 'var', key: 'time' }, Count: { kind: 'var', key: 'count' } } },
  banFactor: { kind: 'var', key: 'factor' },
};

const compiled = new Map<string, PyExpression>();

/**
 * A grown ban ends within a century. A formula can give 1e218 seconds (fail2ban
 * keeps such a float), which no date, timestamp or firewall timeout holds; a
 * hundred years is forever for a ban, and every later step can still print it.
 */
export const LONGEST_GROWN_BAN = 100 * 365.25 * 86_400;

/** `bantime.formula`, compiled once per text; throws PyExpressionError for what bantop cannot evaluate. */
export function compileBantimeFormula(source: string): PyExpression {
  let e = compiled.get(source);
  if (e === undefined) {
    e = compilePyExpression(source, FORMULA_SCOPE);
    compiled.set(source, e);
  }
  return e;
}

/** `bantime.factor`, which fail2ban also evaluates as Python (jail.conf's example: 2.0 / 2.885385). */
export function evaluateBantimeFactor(source: string): number {
  return compilePyExpression(source).evaluate({ vars: {}, random: Math.random }).v;
}

/**
 * fail2ban's `bantime.increment`, as its jail.conf documents it and its
 * server computes it:
 *  - with multipliers: bantime * factor * multipliers[min(count, len-1)]
 *  - else `bantime.formula`, by default bantime * 2^min(count, 20) * factor,
 *    never less than bantime (a factor below 1 does not shorten a ban)
 * then capped by `maxtime`, and up to `rndtime` random seconds added after
 * the cap (a ban at maxtime still ends at a time a botnet cannot tell).
 * `count` is how many times the address was banned before; none, the ban
 * keeps its bantime. Returns seconds; a permanent base stays permanent.
 * A formula that fails as Python would (a math domain error, an overflow,
 * a division by zero) keeps the bantime, as fail2ban's ban does when its
 * formula raises; so does one whose value is not a finite time. A grown ban
 * is at most LONGEST_GROWN_BAN.
 */
export function nextBanTime(base: number, inc: BantimeIncrement, previousBans: number, random: () => number = Math.random): number {
  if (base < 0) return -1;
  if (!inc.enabled || previousBans <= 0) return base;
  let t: number;
  if (inc.multipliers.length > 0) {
    const m = inc.multipliers[Math.min(previousBans, inc.multipliers.length - 1)]!;
    t = base * m * inc.factor;
  } else if (inc.formula) {
    try {
      const v = compileBantimeFormula(inc.formula).evaluate({ vars: { time: base, count: previousBans, factor: inc.factor }, random }).v;
      t = Math.max(base, v);
    } catch (e) {
      if (!(e instanceof PyExpressionError)) throw e;
      return base;
    }
  } else {
    t = Math.max(base, base * 2 ** Math.min(previousBans, 20) * inc.factor);
  }
  if (inc.maxtime > 0) t = Math.min(t, inc.maxtime);
  if (!Number.isFinite(t)) return base;
  t = Math.min(t, LONGEST_GROWN_BAN);
  if (inc.rndtime > 0) t += random() * inc.rndtime;
  return Math.round(t);
}
