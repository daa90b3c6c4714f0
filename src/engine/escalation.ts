import { DurationError, formatDuration, parseDuration } from '../util/duration.js';

/** "An address banned `bans` times across all jails within `window` gets a ban of `bantime`" (-1: permanent). */
export interface EscalationRule {
  bans: number;
  /** Seconds. */
  window: number;
  /** Seconds; -1 is permanent. */
  bantime: number;
}

/** The defaults: 3 bans in a day earn a week, 5 in 30 days a permanent ban. */
export const DEFAULT_ESCALATION: readonly EscalationRule[] = [
  { bans: 3, window: 86400, bantime: 604800 },
  { bans: 5, window: 30 * 86400, bantime: -1 },
];

/** The built-in jail that holds escalated bans; its own bans never count towards escalation. */
export const ESCALATION_JAIL = 'escalation';

/**
 * Parses `3/1d:1w 5/30d:permanent` (rules separated by spaces, commas or new
 * lines). `off`, `no`, `false` or an empty value turn escalation off.
 */
export function parseEscalation(text: string): EscalationRule[] {
  const s = text.trim();
  if (s === '' || /^(?:off|no|false|none|0)$/i.test(s)) return [];
  const rules: EscalationRule[] = [];
  for (const part of s.split(/[\s,]+/).filter(Boolean)) {
    const m = /^(\d+)\/([^:]+):(.+)$/.exec(part);
    if (!m) throw new DurationError(`"${part}" is not an escalation rule (write BANS/WINDOW:BANTIME, e.g. 3/1d:1w or 5/30d:permanent)`);
    const bans = Number(m[1]);
    if (bans < 2) throw new DurationError(`"${part}": the ban count must be at least 2`);
    const window = parseDuration(m[2]!);
    if (window <= 0) throw new DurationError(`"${part}": the window must be a positive duration`);
    const bantime = parseDuration(m[3]!);
    if (bantime === 0) throw new DurationError(`"${part}": a ban of 0 seconds does nothing`);
    rules.push({ bans, window, bantime });
  }
  return rules;
}

/** "5 bans in 30d": windows are written in days when they are whole days, as operators configure them. */
export function formatRule(r: EscalationRule): string {
  const w = r.window % 86400 === 0 ? `${r.window / 86400}d` : formatDuration(r.window);
  return `${r.bans} bans in ${w}`;
}

const stronger = (a: number, b: number) => (a < 0 ? b >= 0 : b >= 0 && a > b);

/**
 * The strongest rule that `banTimes` (epoch ms of this address's bans in all
 * jails, the escalation jail excluded) meets at `now`, or null.
 */
export function matchEscalation(banTimes: readonly number[], rules: readonly EscalationRule[], now: number): { rule: EscalationRule; count: number } | null {
  let best: { rule: EscalationRule; count: number } | null = null;
  for (const rule of rules) {
    const since = now - rule.window * 1000;
    let count = 0;
    for (const t of banTimes) if (t > since && t <= now) count++;
    if (count >= rule.bans && (best === null || stronger(rule.bantime, best.rule.bantime))) best = { rule, count };
  }
  return best;
}

/**
 * Whether an escalated ban of `bantime` seconds from `now` adds anything to
 * what the address already has: never for a permanent ban held anywhere, and
 * never when the current escalation ban already lasts as long. This is what
 * keeps escalation from banning twice.
 */
export function escalationAddsTime(held: ReadonlyArray<{ expiresAt: number | null }>, bantime: number, now: number): boolean {
  if (held.some((b) => b.expiresAt === null)) return false;
  if (bantime < 0) return true;
  const until = now + bantime * 1000;
  return !held.some((b) => b.expiresAt !== null && b.expiresAt >= until);
}
