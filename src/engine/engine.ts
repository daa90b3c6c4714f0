import type { BantimeIncrement } from '../config/model.js';
import { emptyStats, Filter, type FilterSpec, type FilterStats, type LineVerdict } from '../filter/filter.js';
import type { Clock } from '../util/clock.js';
import { normalizeIp } from '../util/ip.js';
import type { BanSource, EngineEvent } from './events.js';
import { IgnoreCommandState, type IgnoreCache } from './ignore-command.js';
import { IgnoreList } from './ignore-list.js';
import { overlaps, Whitelist } from './whitelist.js';
import { formatDuration } from '../util/duration.js';
import { UserError } from '../util/errors.js';
import { canonicalTarget, cidrContains, ipFamily, isNetwork, parseCidr } from '../util/ip.js';

const LOOPBACK4 = parseCidr('127.0.0.0/8')!;

const isLoopback = (ip: string) => ip === '::1' || ip.startsWith('127.');
import { JailCore, MemoryBanHistory, type ActiveBan, type BanHistory, type JailSnapshot } from './jail-core.js';

/** One ban of Engine.banMany(): a canonical target, its jail, and its reason and time where they are its own. */
export interface BanItem {
  jail: string;
  ip: string;
  reason?: string | undefined;
  seconds?: number;
}

/** The canonical form of a ban target (address or CIDR), or a UserError saying what is wrong with it. */
export function requireBanTarget(text: string): string {
  const t = canonicalTarget(text);
  if (t === null) throw new UserError(`"${text.slice(0, 100)}" is not an IP address or CIDR`, { hint: 'give an address like 203.0.113.7 or a network like 203.0.113.0/24' });
  return t;
}

/** What the engine needs to know about a jail (a subset of the loaded config). */
export interface JailDefinition {
  name: string;
  filter: FilterSpec;
  maxretry: number;
  findtime: number;
  bantime: number;
  bantimeIncrement: BantimeIncrement;
  ignoreip: string[];
  ignoreself: boolean;
  /** Asked about each failure (exit 0: ignore it); '' or absent for none. */
  ignorecommand?: string | undefined;
  /** How long its answers are kept (`ignorecache`); null: each failure asks. */
  ignorecache?: IgnoreCache | null | undefined;
  usedns: 'yes' | 'no' | 'warn' | 'raw';
}

export interface EngineOptions {
  clock: Clock;
  history?: BanHistory;
  random?: () => number;
  /** The host's own addresses, for `ignoreself`. */
  selfAddresses?: string[];
  /** DNS at the edge: resolves a host name found by `<HOST>` (usedns = yes|warn). */
  resolveHost?: (name: string) => Promise<string[]>;
  /** Addresses tracked per jail before the oldest are dropped. */
  windowCapacity?: number;
  /**
   * Runs a jail's ignorecommand for `ip` at the edge: true when it says
   * "ignore" (exit 0). Without it, ignorecommand is not asked.
   */
  askIgnoreCommand?: (jail: string, command: string, ip: string, failure: { line: string; fields: Record<string, string> }) => Promise<boolean>;
  /** A timing or date problem in a jail's log (see Engine.line), each at most once a day per jail, for the daemon's log. */
  warn?: (msg: string) => void;
}

/** A failure that waits for the ignorecommand's answer. */
interface WaitingFailure {
  host: string;
  time: number;
  fields: Record<string, string>;
  match: string;
  line: string;
}

export interface EngineSnapshot {
  time: number;
  jails: Array<JailSnapshot & { filter: FilterStats }>;
}

interface JailRuntime {
  def: JailDefinition;
  /** Null for a passive jail: it holds bans (manual ones, restored ones) but reads no log. */
  filter: Filter | null;
  core: JailCore;
  ignore: IgnoreList;
  /** The jail's ignorecommand's answers and the failures waiting for one; null without a command. */
  asked: IgnoreCommandState<WaitingFailure> | null;
}

/**
 * The decision core for all jails: log lines in, typed events out. It holds no
 * file, socket or firewall; those subscribe to its events.
 */
export class Engine {
  private readonly jails = new Map<string, JailRuntime>();
  private readonly listeners = new Set<(e: EngineEvent) => void>();
  readonly clock: Clock;
  private readonly history: BanHistory;
  /** Global to all jails; the operator's never-ban list. */
  readonly whitelist = new Whitelist();
  /** Operators' live connections (the daemon's own SSH session, attached TUIs): address → what it is. */
  private readonly operators = new Map<string, Set<string>>();

  /** When the next warning of a kind may be said (warnDaily). */
  private readonly warnedUntil = new Map<string, number>();

  constructor(defs: JailDefinition[], private readonly opts: EngineOptions) {
    this.clock = opts.clock;
    this.history = opts.history ?? new MemoryBanHistory();
    for (const d of defs) this.addJail(d);
  }

  addJail(def: JailDefinition): void {
    const core = new JailCore(
      { name: def.name, maxretry: def.maxretry, findtime: def.findtime, bantime: def.bantime, increment: def.bantimeIncrement },
      this.history, this.opts.random, this.opts.windowCapacity);
    const ignore = new IgnoreList(def.ignoreip, { ignoreself: def.ignoreself, selfAddresses: this.opts.selfAddresses });
    const asked = def.ignorecommand && this.opts.askIgnoreCommand ? new IgnoreCommandState<WaitingFailure>(def.ignorecache ?? null) : null;
    this.jails.set(def.name, { def, filter: new Filter(def.filter), core, ignore, asked });
  }

  /** A jail that only holds bans: the built-in manual jail, or a jail of restored bans no longer configured. */
  addPassiveJail(name: string, bantime = 600): void {
    if (this.jails.has(name)) return;
    const def: JailDefinition = {
      name, filter: { name: 'none', failregex: [], ignoreregex: [], datepattern: [], maxlines: 1, maxlinelen: 1, useDns: false },
      maxretry: 1, findtime: 600, bantime,
      bantimeIncrement: { enabled: false, factor: 1, multipliers: [], maxtime: 0, rndtime: 0, overalljails: false },
      ignoreip: [], ignoreself: false, usedns: 'no',
    };
    const core = new JailCore({ name, maxretry: 1, findtime: 600, bantime, increment: def.bantimeIncrement }, this.history, this.opts.random, 16);
    this.jails.set(name, { def, filter: null, core, ignore: new IgnoreList([]), asked: null });
  }

  hasJail(name: string): boolean {
    return this.jails.has(name);
  }

  isPassive(name: string): boolean {
    return this.jails.get(name)?.filter === null;
  }
  jailNames(): string[] {
    return [...this.jails.keys()];
  }

  subscribe(fn: (e: EngineEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(events: EngineEvent[]): void {
    for (const e of events) for (const l of this.listeners) l(e);
  }

  private jail(name: string): JailRuntime {
    const j = this.jails.get(name);
    if (!j) throw new Error(`unknown jail "${name}"`);
    return j;
  }

  /**
   * One line from a source. Never throws on content: bad lines are counted by the filter.
   *
   * `read`, where the source knows it: `live`, the line was read as it was written; `back`, it was read back
   * after a restart. Left out (a caller that cannot tell), neither rule below applies. Live, as in fail2ban's
   * "operation mode", a failure dated more than a minute off the clock is taken as just happened: the log's
   * time zone or its host's clock is wrong, or the line came late, and by its date a log an hour behind would
   * never ban (every failure older than findtime) and one an hour ahead would hold failures an hour too long.
   * A line read back keeps its date: there an old failure is old, and one whose date cannot be read is
   * skipped ('undated'), as fail2ban skips it, rather than taken as now.
   *
   * `stamped`: `readTime` is the line's own time (a journal entry's): no date is looked for in its text
   * (Filter.stamped).
   */
  line(jailName: string, text: string, readTime: number = this.clock.now(), how: { read?: 'live' | 'back'; stamped?: boolean } = {}): LineVerdict {
    const j = this.jail(jailName);
    if (!j.filter) return { kind: 'missed' };
    j.filter.stamped = how.stamped === true;
    const verdict = j.filter.processLine(text, readTime);
    if (verdict.kind !== 'failure') return verdict;
    const f = verdict.failure;
    if (how.read === 'back' && !f.dated && j.filter.readsDates) {
      this.warnDaily(`${j.def.name}\0undated`, `[${j.def.name}] a failure read back at start has no date the filter can read, so it is skipped (its age `
        + `is unknown; fail2ban skips it too); if the log's lines carry dates, give the filter a datepattern that reads them (bantop regex shows which `
        + `format reads a line). The line: ${text.slice(0, 300)}`);
      this.emit([{ type: 'ignored', jail: j.def.name, ip: f.ip ?? f.host, time: f.time, reason: 'undated', match: f.match }]);
      return verdict;
    }
    // Never in the future, as fail2ban's server has it: dated ahead, a failure would stay in findtime's window that much longer.
    const time = Math.min(how.read === 'live' ? this.operationTime(j.def.name, f.time, text) : f.time, this.clock.now());
    if (f.ip !== null) {
      this.failure(j, f.ip, f.host, time, f.fields, f.match, text);
    } else if (j.def.usedns === 'yes' || j.def.usedns === 'warn') {
      const resolve = this.opts.resolveHost;
      if (resolve && !f.isId) {
        resolve(f.host).then(
          (addrs) => {
            for (const a of addrs) {
              const ip = normalizeIp(a);
              if (ip) this.failure(j, ip, f.host, time, f.fields, f.match, text);
            }
          },
          () => { /* an unresolvable name cannot be banned; the filter already counted the line */ },
        );
      }
    }
    return verdict;
  }

  /** A live line's failure time (see line()): its date, or now when that is over a minute off, said once a day per jail. */
  private operationTime(jail: string, time: number, line: string): number {
    const now = this.clock.now();
    // Whole seconds, as fail2ban counts the difference.
    const delta = Math.trunc((time - now) / 1000);
    if (Math.abs(delta) <= 60) return time;
    const problem = delta < 0 && delta >= -3300 ? 'late delivery' : 'time zone or clock';
    this.warnDaily(jail, `[${jail}] a log line is dated ${formatDuration(Math.abs(delta))} ${delta < 0 ? 'before' : 'after'} the clock as it is read: `
      + `a ${problem} problem, so its failures count as if they had just happened (said once a day); check the jail's logtimezone `
      + `and the logging host's clock. The line: ${line.slice(0, 300)}`);
    return now;
  }

  /** Says `msg` through EngineOptions.warn unless something under `key` was said in the last day (fail2ban warns so). */
  private warnDaily(key: string, msg: string): void {
    const now = this.clock.now();
    if (now < (this.warnedUntil.get(key) ?? -Infinity)) return;
    this.warnedUntil.set(key, now + 86_400_000);
    this.opts.warn?.(msg);
  }

  private failure(j: JailRuntime, ip: string, host: string, time: number, fields: Record<string, string>, match: string, line: string): void {
    const now = this.clock.now();
    const why = this.protectedLabel(ip) !== null ? 'protected' as const
      : j.ignore.match(ip) ?? (this.whitelist.match(ip) ? 'whitelist' as const : null);
    if (why) {
      this.emit([{ type: 'ignored', jail: j.def.name, ip, time, reason: why, match }]);
      return;
    }
    if (j.asked !== null) {
      const key = j.asked.keyOf(ip, fields);
      const answer = j.asked.answer(key, now);
      if (answer === true) {
        this.emit([{ type: 'ignored', jail: j.def.name, ip, time, reason: 'ignorecommand', match }]);
        return;
      }
      if (answer === undefined) {
        if (j.asked.wait(key, { host, time, fields, match, line })) this.askIgnoreCommand(j, j.asked, key, ip, { line, fields });
        return;
      }
    }
    this.count(j, ip, host, time, fields, match, line, now);
  }

  /** fail2ban asks the command before it counts a failure: the address's failures wait for its answer, then go on in order. */
  private askIgnoreCommand(j: JailRuntime, asked: IgnoreCommandState<WaitingFailure>, key: string, ip: string, failure: { line: string; fields: Record<string, string> }): void {
    // A command that fails to run (or exits with another status) does not clear the address, as in fail2ban.
    this.opts.askIgnoreCommand!(j.def.name, j.def.ignorecommand!, ip, failure).catch(() => false).then((ignored) => {
      // The jail may have been replaced by a reload meanwhile: its waiting failures went with it.
      if (this.jails.get(j.def.name) !== j) return;
      const now = this.clock.now();
      const waited = asked.settle(key, ignored, now);
      if (ignored) {
        this.emit(waited.map((w) => ({ type: 'ignored' as const, jail: j.def.name, ip, time: w.time, reason: 'ignorecommand' as const, match: w.match })));
        return;
      }
      for (const w of waited) this.count(j, ip, w.host, w.time, w.fields, w.match, w.line, now);
    });
  }

  private count(j: JailRuntime, ip: string, host: string, time: number, fields: Record<string, string>, match: string, line: string, now: number): void {
    const events = j.core.failure(ip, host, time, now, fields, line);
    // The core decides on addresses and times; which part of the line matched is only for display.
    for (const e of events) if (e.type === 'failure' || e.type === 'ignored') e.match = match;
    this.emit(events);
  }

  /**
   * A ban not caused by the filter (manual, escalation, import). `seconds` -1
   * is permanent. Refused, with a UserError, when it would block a whitelisted
   * address, one of this host's own, or the operator's (`protect`).
   */
  ban(jailName: string, target: string, o: { seconds?: number; source: BanSource; reason?: string | undefined; failures?: number; protect?: Array<{ ip: string; label: string }> | string[]; force?: boolean }): void {
    const j = this.jail(jailName);
    const ip = requireBanTarget(target);
    const refused = this.lockout(ip, o.protect ?? [], o.force ?? false);
    if (refused) {
      throw new UserError(`refusing to ban ${ip}: ${refused}`, {
        hint: this.whitelist.conflict(ip) ? 'remove it from the whitelist first if you really mean it' : 'add --force if you really mean it',
      });
    }
    this.emit([j.core.ban(ip, this.clock.now(), o)]);
  }

  /**
   * Many bans at once (an import, a blocklist file), each as ban() makes it,
   * with what one ban costs cut where it can be shared: the ban counts are
   * read in one query per jail, as the history stands before the first of
   * them, and the events go out together. `items` are canonical targets, each
   * (jail, address) once, for `o.seconds` unless an item says otherwise. A
   * ban that would lock someone out is not made: its item is returned with
   * the reason, as ban() would have refused it.
   */
  banMany<T extends BanItem>(items: readonly T[], o: { seconds: number; source: BanSource }): Array<{ item: T; reason: string }> {
    const refused: Array<{ item: T; reason: string }> = [];
    const ok: Array<{ core: JailCore; ip: string; reason?: string | undefined; seconds: number }> = [];
    for (const it of items) {
      const core = this.jail(it.jail).core;
      const why = this.lockout(it.ip, []);
      if (why) refused.push({ item: it, reason: why });
      else ok.push({ core, ip: it.ip, reason: it.reason, seconds: it.seconds ?? o.seconds });
    }
    const counts = new Map<string | null, Map<string, number>>();
    const many = this.history.previousBansMany?.bind(this.history);
    if (many) {
      const byScope = new Map<string | null, string[]>();
      for (const it of ok) {
        const scope = it.core.historyScope;
        let list = byScope.get(scope);
        if (list === undefined) byScope.set(scope, (list = []));
        list.push(it.ip);
      }
      for (const [scope, ips] of byScope) counts.set(scope, many(ips, scope));
    }
    const now = this.clock.now();
    const events: EngineEvent[] = [];
    for (const it of ok) {
      const known = counts.get(it.core.historyScope);
      events.push(it.core.ban(it.ip, now, { seconds: it.seconds, source: o.source, reason: it.reason, ...(known === undefined ? {} : { banCount: known.get(it.ip) ?? 0 }) }));
    }
    this.emit(events);
    return refused;
  }

  /**
   * Protect an operator's address while its session lives; `label` names the
   * connection in refusals. Returns the release function.
   */
  protectOperator(address: string, label: string): () => void {
    const ip = normalizeIp(address);
    if (ip === null) return () => {};
    let labels = this.operators.get(ip);
    if (!labels) this.operators.set(ip, (labels = new Set()));
    labels.add(label);
    return () => {
      labels.delete(label);
      if (labels.size === 0 && this.operators.get(ip) === labels) this.operators.delete(ip);
    };
  }

  operatorAddresses(): Array<{ ip: string; labels: string[] }> {
    return [...this.operators].map(([ip, l]) => ({ ip, labels: [...l] }));
  }

  /** Why a filter match from `ip` must never count: an operator's session or loopback. */
  private protectedLabel(ip: string): string | null {
    const op = this.operators.get(ip);
    if (op) return [...op][0]!;
    return isLoopback(ip) ? 'loopback' : null;
  }

  /**
   * Why banning `target` would lock someone out, or null. `protect` adds the
   * requester's own connection (label → address). `force` lifts every
   * protection except the whitelist, which the operator must edit instead.
   */
  lockout(target: string, protect: Array<{ ip: string; label: string }> | string[], force = false): string | null {
    const wl = this.whitelist.conflict(target);
    if (wl) return `it ${wl === target ? 'is' : `covers ${wl}, which is`} whitelisted`;
    if (force) return null;
    // A network's bounds are read once, not at each address it is checked against (BigInt arithmetic: a
    // third of an import's lockout checks).
    const net = isNetwork(target) ? parseCidr(target) : null;
    const covers = (addr: string) => {
      const n = canonicalTarget(addr);
      return n !== null && (net === null ? n === target : cidrContains(net, n)) ? n : null;
    };
    const what = (n: string) => (n === target ? 'is' : `covers ${n}, which is`);
    for (const p of protect) {
      const { ip, label } = typeof p === 'string' ? { ip: p, label: 'the operator\'s own address' } : p;
      const n = covers(ip);
      if (n) return `it ${what(n)} ${label}`;
    }
    for (const [ip, labels] of this.operators) {
      const n = covers(ip);
      if (n) return `it ${what(n)} ${[...labels][0]}`;
    }
    for (const a of this.opts.selfAddresses ?? []) {
      const n = covers(a);
      if (n) return `it ${what(n)} an address of this host`;
    }
    for (const lo of ['127.0.0.1', '::1']) {
      const n = covers(lo);
      if (n) return `it ${what(n)} loopback`;
    }
    // All of 127.0.0.0/8 is loopback (log lines from it are protected too), not just 127.0.0.1.
    if (net === null) {
      const ip = normalizeIp(target);
      return ip !== null && ipFamily(ip) === 4 && isLoopback(ip) ? 'it is loopback' : null;
    }
    return overlaps(net, LOOPBACK4) ? 'it covers loopback addresses' : null;
  }

  /** Unban in one jail, or (jail null) everywhere: see `unbanEverywhere`. Returns how many bans ended. */
  unban(ip: string, jailName: string | null = null): number {
    if (jailName === null) return this.unbanEverywhere(ip).length;
    const e = this.jail(jailName).core.unban(ip, this.clock.now());
    if (e) this.emit([e]);
    return e ? 1 : 0;
  }

  restore(ban: ActiveBan): void {
    if (!this.jails.has(ban.jail)) this.addPassiveJail(ban.jail);
    this.jail(ban.jail).core.restore(ban);
  }

  /**
   * Failures logged at or before `time` never count again in this jail, or in
   * every jail for `*` (a manual unban, also after a restart).
   */
  setUnbanWatermark(jailName: string, ip: string, time: number): void {
    if (jailName === '*') for (const j of this.jails.values()) j.core.setWatermark(ip, time);
    else this.jails.get(jailName)?.core.setWatermark(ip, time);
  }

  /** A ban restored from the store: the failures before it stay used up. */
  markBan(jailName: string, ip: string, time: number): void {
    this.jails.get(jailName)?.core.markBan(ip, time);
  }

  /**
   * Unban everywhere: every jail's ban on the address ends, and every jail
   * (holding a ban or not) forgets its failures, so nothing logged so far can
   * ban it again.
   */
  unbanEverywhere(ip: string): string[] {
    const now = this.clock.now();
    const events: EngineEvent[] = [];
    for (const j of this.jails.values()) {
      const e = j.core.unban(ip, now);
      if (e) events.push(e);
      j.core.forget(ip, now);
    }
    this.emit(events);
    return events.map((e) => e.jail);
  }

  /** Expire bans and prune windows; the daemon calls this on a timer. */
  tick(): void {
    const now = this.clock.now();
    const events: EngineEvent[] = [];
    for (const j of this.jails.values()) events.push(...j.core.tick(now));
    this.emit(events);
  }

  getBan(jailName: string, ip: string): ActiveBan | undefined {
    return this.jails.get(jailName)?.core.bans.get(ip);
  }

  /** Every jail's ban on exactly this target. */
  bansOf(ip: string): ActiveBan[] {
    const out: ActiveBan[] = [];
    for (const j of this.jails.values()) {
      const b = j.core.bans.get(ip);
      if (b) out.push(b);
    }
    return out;
  }

  bans(jailName?: string): ActiveBan[] {
    const list = jailName ? [this.jail(jailName)] : [...this.jails.values()];
    return list.flatMap((j) => [...j.core.bans.values()]);
  }

  isIgnored(jailName: string, ip: string): string | null {
    return this.jail(jailName).ignore.match(ip);
  }

  /** Resolve ignoreip host names (the daemon calls this at start and then now and then). */
  async refreshIgnoreNames(lookup: (name: string) => Promise<string[]>): Promise<void> {
    const now = this.clock.now();
    await Promise.all([...this.jails.values()].map((j) => j.ignore.resolveNames(lookup, now)));
  }

  snapshot(): EngineSnapshot {
    const now = this.clock.now();
    return { time: now, jails: [...this.jails.values()].map((j) => ({ ...j.core.snapshot(now), filter: j.filter ? { ...j.filter.stats } : EMPTY_STATS })) };
  }
}

const EMPTY_STATS: FilterStats = emptyStats();
