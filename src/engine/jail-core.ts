import type { BantimeIncrement } from '../config/model.js';
import { nextBanTime } from './bantime.js';
import type { BanEvent, BanSource, EngineEvent, UnbanEvent } from './events.js';
import { FailureWindow } from './failure-window.js';
import { RateSeries } from './rate-series.js';

/** A filter ban's reason is the rule it matched (see `failure`); other sources' reasons are free text. */
export const ruleOf = (b: { source: BanSource; reason?: string | undefined }) => (b.source === 'filter' ? b.reason : undefined);

export interface JailRules {
  name: string;
  maxretry: number;
  /** Seconds. */
  findtime: number;
  /** Seconds; -1 permanent. */
  bantime: number;
  increment: BantimeIncrement;
}

export interface ActiveBan {
  ip: string;
  jail: string;
  bannedAt: number;
  expiresAt: number | null;
  failures: number;
  source: BanSource;
  banCount: number;
  reason?: string | undefined;
}

/** Answers "how often was this address banned before" (the store, later; a map in tests). */
export interface BanHistory {
  previousBans(ip: string, jail: string | null): number;
  /**
   * previousBans() of many addresses at once, as the history stands before
   * any of them is banned: the addresses with a count above 0. Optional: a
   * history without it is asked one address at a time.
   */
  previousBansMany?(ips: readonly string[], jail: string | null): Map<string, number>;
  recordBan(ip: string, jail: string, time: number): void;
}

export class MemoryBanHistory implements BanHistory {
  private readonly perJail = new Map<string, number>();
  private readonly overall = new Map<string, number>();
  previousBans(ip: string, jail: string | null): number {
    return jail === null ? this.overall.get(ip) ?? 0 : this.perJail.get(`${jail}\u0000${ip}`) ?? 0;
  }
  recordBan(ip: string, jail: string, _time: number): void {
    const k = `${jail}\u0000${ip}`;
    this.perJail.set(k, (this.perJail.get(k) ?? 0) + 1);
    this.overall.set(ip, (this.overall.get(ip) ?? 0) + 1);
  }
}

export interface JailSnapshot {
  name: string;
  maxretry: number;
  findtime: number;
  failuresInWindow: number;
  trackedAddresses: number;
  evictedAddresses: number;
  currentBans: number;
  permanentBans: number;
  totalBans: number;
  /** Offences per minute, oldest first, the last 60 minutes. */
  offences: number[];
}

/**
 * One jail's decisions: failures in, bans and unbans out. Pure apart from the
 * injected time and randomness, so every rule can be tested with a fake clock.
 */
export class JailCore {
  readonly window: FailureWindow;
  readonly bans = new Map<string, ActiveBan>();
  private readonly offences = new RateSeries(60);
  /** Address → time of its last manual unban; older failures are not counted again. */
  private readonly watermarks = new Map<string, number>();
  /** Address → time of its last ban here: the failures that earned it never count again (a re-read log). */
  private readonly banMarks = new Map<string, number>();
  totalBans = 0;
  private lastMarkPrune = -Infinity;

  constructor(
    public rules: JailRules,
    private readonly history: BanHistory,
    private readonly random: () => number = Math.random,
    windowCapacity?: number,
  ) {
    this.window = new FailureWindow(rules.findtime * 1000, rules.maxretry, windowCapacity);
  }

  /** A failure from the filter. `now` is the engine's clock; `time` the line's; `line` the log line, kept for the ban it may lead to. */
  failure(ip: string, host: string, time: number, now: number, fields: Record<string, string>, line?: string): EngineEvent[] {
    const findMs = this.rules.findtime * 1000;
    if (time < now - findMs) return [{ type: 'ignored', jail: this.rules.name, ip, time, reason: 'too-old' }];
    if (this.bans.has(ip)) return [{ type: 'ignored', jail: this.rules.name, ip, time, reason: 'already-banned' }];
    const mark = this.watermarks.get(ip);
    if (mark !== undefined && time <= mark) return [{ type: 'ignored', jail: this.rules.name, ip, time, reason: 'unban-watermark' }];
    const banned = this.banMarks.get(ip);
    if (banned !== undefined && time <= banned) return [{ type: 'ignored', jail: this.rules.name, ip, time, reason: 'before-last-ban' }];
    this.offences.add(Math.min(time, now));
    const count = this.window.add(ip, time, now, line);
    const out: EngineEvent[] = [{ type: 'failure', jail: this.rules.name, ip, host, time, count, maxretry: this.rules.maxretry, fields }];
    if (count >= this.rules.maxretry) {
      const lines = this.window.take(ip);
      // A filter that names the rule it matched (the closed-ports LOG prefix) gives the ban its reason.
      out.push(this.ban(ip, now, { failures: count, source: 'filter', reason: fields['rule'], lines, fields }));
    }
    return out;
  }

  /** Whose bans count as this jail's earlier ones (BanHistory's `jail`): null, every jail's, with bantime.overalljails. */
  get historyScope(): string | null {
    return this.rules.increment.overalljails ? null : this.rules.name;
  }

  /** Ban now; `seconds` overrides the jail's bantime (-1 permanent); `banCount`, the history's count, when the caller has read it already. */
  ban(ip: string, now: number, o: { failures?: number; source: BanSource; seconds?: number; reason?: string | undefined; lines?: string[]; fields?: Record<string, string>; banCount?: number }): BanEvent {
    const banCount = o.banCount ?? this.history.previousBans(ip, this.historyScope);
    const seconds = o.seconds ?? nextBanTime(this.rules.bantime, this.rules.increment, banCount, this.random);
    const expiresAt = seconds < 0 ? null : now + seconds * 1000;
    const ban: ActiveBan = { ip, jail: this.rules.name, bannedAt: now, expiresAt, failures: o.failures ?? 0, source: o.source, banCount, reason: o.reason };
    this.bans.set(ip, ban);
    this.window.reset(ip);
    this.markBan(ip, now);
    this.history.recordBan(ip, this.rules.name, now);
    this.totalBans++;
    const event: BanEvent = { type: 'ban', jail: this.rules.name, ip, time: now, bantime: seconds, expiresAt, failures: ban.failures, banCount, source: o.source, reason: o.reason };
    if (o.lines !== undefined) event.lines = o.lines;
    if (o.fields !== undefined && Object.keys(o.fields).length > 0) event.fields = o.fields;
    return event;
  }

  /** Put back a ban restored from the store, with its remaining time (no history entry). */
  restore(ban: ActiveBan): void {
    this.bans.set(ban.ip, ban);
  }

  setWatermark(ip: string, time: number): void {
    if ((this.watermarks.get(ip) ?? -Infinity) < time) this.watermarks.set(ip, time);
  }

  /** Failures logged at or before `time` were used up by a ban (also one restored from the store). */
  markBan(ip: string, time: number): void {
    if ((this.banMarks.get(ip) ?? -Infinity) < time) this.banMarks.set(ip, time);
  }

  /** An unban everywhere: the address starts from nothing here too, even without a ban in this jail. */
  forget(ip: string, now: number): void {
    this.window.reset(ip);
    this.setWatermark(ip, now);
  }

  unban(ip: string, now: number): UnbanEvent | null {
    const b = this.bans.get(ip);
    if (!b) return null;
    this.bans.delete(ip);
    this.window.reset(ip);
    this.setWatermark(ip, now);
    return { type: 'unban', jail: this.rules.name, ip, time: now, reason: 'manual', rule: ruleOf(b) };
  }

  /** Expire bans whose time is up, and forget failures that left the window. */
  tick(now: number): UnbanEvent[] {
    const out: UnbanEvent[] = [];
    for (const [ip, b] of this.bans) {
      if (b.expiresAt !== null && b.expiresAt <= now) {
        this.bans.delete(ip);
        out.push({ type: 'unban', jail: this.rules.name, ip, time: now, reason: 'expired', rule: ruleOf(b) });
      }
    }
    this.window.prune(now);
    // Marks older than findtime decide nothing: such failures are too old anyway.
    if (now - this.lastMarkPrune < 60_000) return out;
    this.lastMarkPrune = now;
    const oldest = now - this.rules.findtime * 1000;
    for (const marks of [this.watermarks, this.banMarks]) {
      for (const [ip, t] of marks) if (t < oldest) marks.delete(ip);
    }
    return out;
  }

  snapshot(now: number): JailSnapshot {
    let permanent = 0;
    for (const b of this.bans.values()) if (b.expiresAt === null) permanent++;
    return {
      name: this.rules.name,
      maxretry: this.rules.maxretry,
      findtime: this.rules.findtime,
      failuresInWindow: this.window.total(now),
      trackedAddresses: this.window.size,
      evictedAddresses: this.window.evicted,
      currentBans: this.bans.size,
      permanentBans: permanent,
      totalBans: this.totalBans,
      offences: this.offences.series(now),
    };
  }
}
