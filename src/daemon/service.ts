import { hostname } from 'node:os';
import { configWarnings, loadConfig } from '../config/load.js';
import type { LoadedConfig } from '../config/model.js';
import type { BanEvent, EngineEvent, UnbanEvent } from '../engine/events.js';
import { requireBanTarget } from '../engine/engine.js';
import type { ActiveBan } from '../engine/jail-core.js';
import { mergeBans, type MergedBans } from '../engine/merged-bans.js';
import { Enforcer } from '../firewall/enforcer.js';
import { buildPlan } from '../firewall/select.js';
import type { BanInfo } from '../firewall/types.js';
import type { Runner } from '../proc/run.js';
import { Pipeline } from '../runtime/pipeline.js';
import type { SourceLine } from '../source/types.js';
import { noDatabase } from '../store/db-path.js';
import type { SqliteStore } from '../store/sqlite-store.js';
import type { Clock } from '../util/clock.js';
import { UserError } from '../util/errors.js';
import { canonicalTarget } from '../util/ip.js';
import { BanLogWriter } from '../banlog/writer.js';
import { ESCALATION_JAIL, escalationAddsTime, formatRule, matchEscalation, type EscalationRule } from '../engine/escalation.js';
import { ruleOf } from '../engine/jail-core.js';
import { AbuseReporter } from '../report/reporter.js';
import { BlocklistMirror, blocklistReason, type MirrorChange } from '../store/blocklist-mirror.js';
import { parseSshConnection, sshOperator, type OperatorConnection } from '../util/ssh-connection.js';
import type { Logger } from './logger.js';
import { isShared, type FleetEvent } from '../fleet/events.js';
import { Fleet } from '../fleet/fleet.js';
import { FleetStore } from '../fleet/fleet-store.js';
import { RedisTransport, type FleetTransport } from '../fleet/redis-transport.js';
import { redactUrl } from '../fleet/settings.js';
import { isStorageError } from '../store/storage-error.js';

/** The built-in jail for manual bans and imports without a jail: all ports, the default firewall. */
export const MANUAL_JAIL = 'manual';
const MANUAL_BANTIME = 3600;
/** The built-in jail for bans other hosts of the fleet shared: all ports, each with its origin host. */
export const FLEET_JAIL = 'fleet';

export interface ServiceOptions {
  configDir: string;
  clock: Clock;
  runner: Runner;
  store: SqliteStore;
  log: Logger;
  /** How often the firewall structure is checked and repaired, ms. */
  checkIntervalMs?: number;
  flushOnStop?: boolean;
  /** Preloaded config (the daemon already loaded it to find the store). */
  config?: LoadedConfig;
  /** The daemon's own environment, for the SSH session that started it (protected from bans). */
  env?: NodeJS.ProcessEnv;
  /** Report HTTP client (tests point it at a local server through the config instead). */
  fetch?: typeof fetch;
  /** The fleet's Redis link; by default one to [fleet] redis. */
  fleetTransport?: FleetTransport;
}

/** A shared ban's event names the fleet host it came from, so an attached TUI shows it as it arrives. */
export type ServiceEvent = Exclude<EngineEvent, BanEvent> | (BanEvent & { origin?: string | undefined })
  | { type: 'line'; jail: string; line: string; origin: string; time: number };

export interface BanView {
  ip: string;
  jail: string;
  bannedAt: number;
  expiresAt: number | null;
  permanent: boolean;
  failures: number;
  banCount: number;
  source: string;
  reason?: string | undefined;
  /** The fleet host a shared ban came from. */
  origin?: string | undefined;
}

const view = (b: ActiveBan, originOf?: (ip: string) => string | undefined): BanView => ({
  ip: b.ip, jail: b.jail, bannedAt: b.bannedAt, expiresAt: b.expiresAt, permanent: b.expiresAt === null,
  failures: b.failures, banCount: b.banCount, source: b.source, reason: b.reason,
  ...(b.jail === FLEET_JAIL && originOf ? { origin: originOf(b.ip) } : {}),
});

const infoOf = (b: BanEvent | ActiveBan, bantime: number, o: Pick<BanInfo, 'restored' | 'matches' | 'fields' | 'merged'> = {}): BanInfo => ({
  jail: b.jail, failures: b.failures, time: 'time' in b ? b.time : b.bannedAt, bantime, bancount: b.banCount + 1, ...o,
});

/**
 * The engine API: everything the daemon's socket, the CLI and the TUI can ask
 * for. It wires the pipeline (logs → engine) to the store and the firewall,
 * and keeps the three in step: every engine decision is committed to the store
 * first, then placed in the firewall.
 */
export class BantopService {
  config: LoadedConfig;
  pipeline!: Pipeline;
  enforcer!: Enforcer;
  readonly startedAt: number;
  private readonly listeners = new Set<(e: ServiceEvent) => void>();
  private timers: NodeJS.Timeout[] = [];
  /** A periodic firewall check is running (periodicCheck). */
  private checking = false;
  private unsubscribe: (() => void) | undefined;
  /** While set, store writes are collected and committed as one transaction (imports). */
  private batch: Array<() => void> | null = null;
  /** Store writes that failed for want of disk, in order, retried every second. */
  private unsaved: Array<() => void> = [];
  private storeError: string | null = null;
  readonly warnings: string[] = [];
  private banlog: BanLogWriter | undefined;
  private mirror: BlocklistMirror | undefined;
  private mirrorScheduled = false;
  private mirrorChanges: MirrorChange[] = [];
  readonly reporter: AbuseReporter;
  /** Live operator sessions (the daemon's own SSH login, attached TUIs), re-applied to each engine a reload builds. */
  private readonly operators = new Map<number, OperatorConnection & { release: () => void }>();
  private operatorSeq = 0;
  private built = false;
  fleet: Fleet | undefined;
  private fleetStore: FleetStore | undefined;

  private constructor(private readonly o: ServiceOptions, config: LoadedConfig) {
    this.config = config;
    this.startedAt = o.clock.now();
    this.reporter = new AbuseReporter({
      clock: o.clock,
      isWhitelisted: (ip) => Boolean(this.engine.whitelist.match(ip)),
      log: (level, msg) => o.log.log(level, msg),
      ...(o.fetch ? { fetch: o.fetch } : {}),
    });
    const own = sshOperator(o.env ?? process.env, 'the session that started bantop serve');
    if (own) this.operators.set(++this.operatorSeq, { ...own, release: () => {} });
  }

  static async start(o: ServiceOptions): Promise<BantopService> {
    const s = new BantopService(o, o.config ?? loadConfig(o.configDir));
    await s.build();
    s.startFleet();
    const check = setInterval(() => void s.periodicCheck(), o.checkIntervalMs ?? 30_000);
    const positions = setInterval(() => {
      s.retryUnsaved();
      s.housekeeping(() => o.store.flushPositions());
    }, 1000);
    const purge = setInterval(() => s.housekeeping(() => s.purge()), 3600_000);
    for (const t of [check, positions, purge]) t.unref();
    s.timers.push(check, positions, purge);
    s.housekeeping(() => s.purge());
    return s;
  }

  get engine() {
    return this.pipeline.engine;
  }

  /** Build pipeline and enforcement from the config and the store, then bring the firewall in line. */
  /** Returns what the firewall reconcile added and removed. */
  private async build(): Promise<{ added: number; removed: number }> {
    const { store, clock, log } = this.o;
    const began = performance.now();
    this.pipeline = new Pipeline(this.config, {
      clock, positions: store, history: store,
      note: (m) => log.log('INFO', m),
      warn: (m) => log.log('WARNING', m),
      onLine: (l: SourceLine) => this.emit({ type: 'line', jail: l.jail, line: l.line, origin: l.origin, time: l.time }),
    });
    const engine = this.pipeline.engine;
    engine.addPassiveJail(MANUAL_JAIL, MANUAL_BANTIME);
    engine.addPassiveJail(ESCALATION_JAIL, 604800);
    if (this.config.settings.fleet) engine.addPassiveJail(FLEET_JAIL, MANUAL_BANTIME);
    for (const w of store.whitelist()) engine.whitelist.add(w.entry);
    for (const op of this.operators.values()) op.release = engine.protectOperator(op.ip, op.label);
    this.banlog?.flush();
    this.banlog = new BanLogWriter(this.config.settings.banlog, this.config.settings.banlogformat, (m) => log.log('ERROR', m));
    if (this.mirror?.path !== this.config.settings.blocklist) {
      this.mirror?.unwatch();
      this.mirror = new BlocklistMirror(this.config.settings.blocklist);
    }

    const now = clock.now();
    let expired = 0;
    const orphans = new Set<string>();
    for (const b of store.bans()) {
      if (b.expiresAt !== null && b.expiresAt <= now) {
        store.removeBan(b.jail, b.ip, now, 'expired');
        expired++;
        continue;
      }
      const wl = engine.whitelist.conflict(b.ip);
      if (wl) {
        store.removeBan(b.jail, b.ip, now, 'whitelisted');
        this.note(`ban of ${b.ip} in ${b.jail} not restored: ${wl} is whitelisted`);
        continue;
      }
      if (!engine.hasJail(b.jail)) orphans.add(b.jail);
      engine.restore(b);
    }
    for (const j of orphans) this.note(`jail "${j}" is not in the config any more; its stored bans stay enforced on all ports`);
    for (const w of store.unbanWatermarks()) engine.setUnbanWatermark(w.jail, w.ip, w.time);
    // The failures behind a recent ban are used up: re-reading a log after a restart must not ban again.
    const longest = Math.max(600, ...this.config.jails.map((j) => j.findtime));
    for (const b of store.recentBans(now - longest * 1000)) engine.markBan(b.jail, b.ip, b.time);
    const listed = this.mirror.read(MANUAL_JAIL);
    for (const e of listed?.entries ?? []) if (!engine.hasJail(e.jail)) engine.addPassiveJail(e.jail);

    const passive = engine.jailNames().filter((n) => engine.isPassive(n));
    const plan = buildPlan(this.config, { runner: this.o.runner, passiveJails: passive, onDryRun: (l) => log.log('DEBUG', `dry-run: ${l}`) });
    if (this.enforcer) {
      await this.enforcer.settled();
      for (const b of this.enforcer.backends) if (!plan.backends.includes(b)) await b.close();
      this.enforcer.replacePlan(plan);
    } else {
      this.enforcer = new Enforcer(plan, (name, r) => log.log('ERROR', `firewall ${name}: ${r.stderr.trim() || `exit ${r.exitCode}`}`));
    }
    this.enforcer.infoLookup = (jail, ip) => {
      const b = this.engine.getBan(jail, ip);
      if (b === undefined) return undefined;
      // Only a replay asks (start, reload, repair): a ban decided before, not now, as fail2ban's restored ticket
      // (`norestored` mail actions do not mail each ban again), with the lines its history keeps, as fail2ban's database gives them.
      const lines = this.o.store.historyOf(ip).findLast((h) => h.event === 'ban' && h.jail === jail && h.time === b.bannedAt)?.lines ?? [];
      return infoOf(b, b.expiresAt === null ? -1 : Math.max(1, Math.round((b.expiresAt - b.bannedAt) / 1000)), { restored: true, matches: this.matchesOf(jail, lines),
        merged: this.mergedOf(jail, ip) });
    };
    const restored = engine.bans();
    for (const b of restored) this.enforcer.place({ jail: b.jail, ip: b.ip, permanent: b.expiresAt === null }, { quiet: true });
    const t0 = performance.now();
    const rec = await this.enforcer.reconcile();
    log.log('INFO', `restored ${restored.length} ban(s) (${expired} expired) in ${(performance.now() - began).toFixed(0)} ms; ` +
      `firewall: +${rec.added} -${rec.removed} in ${(performance.now() - t0).toFixed(0)} ms`);
    this.unsubscribe?.();
    this.unsubscribe = this.pipeline.subscribe((e) => this.onEvent(e));
    if (listed) await this.syncBlocklist(listed, this.built);
    this.writeBlocklist();
    this.mirror.watch(() => void this.onBlocklistEdit());
    this.built = true;
    await this.pipeline.start();
    return { added: rec.added, removed: rec.removed };
  }

  // --- the blocklist file -------------------------------------------------------

  /**
   * Bring the engine in line with the blocklist file. Lines not banned yet
   * become permanent bans; with `removals` (a reload or an edit seen by the
   * watch), pairs bantop wrote and the operator deleted are unbanned. At start
   * the two are merged, and the store wins for what is in both.
   */
  private async syncBlocklist(listed: NonNullable<ReturnType<BlocklistMirror['read']>>, removals: boolean): Promise<{ added: number; removed: number }> {
    for (const p of listed.problems) this.note(`blocklist: ${p}; line skipped`);
    let added = 0;
    let removed = 0;
    this.inBatch(() => {
      // read() gives each (jail, address) once, from the first line that names it.
      const entries = listed.entries.filter((e) => this.engine.getBan(e.jail, e.ip)?.expiresAt !== null)
        .map((e) => ({ jail: e.jail, ip: e.ip, line: e.line, reason: e.comment ? blocklistReason(e.comment) : 'blocklist file' }));
      const refused = this.engine.banMany(entries, { seconds: -1, source: 'import' });
      for (const { item, reason } of refused) this.note(`blocklist: ${this.mirror!.path}:line ${item.line} [ip]: ${item.ip} not banned: ${reason}`);
      added = entries.length - refused.length;
      if (removals) {
        for (const r of this.mirror!.removedBy(listed.entries)) {
          if (this.engine.getBan(r.jail, r.ip)?.expiresAt === null && this.engine.unban(r.ip, r.jail)) removed++;
        }
      }
    });
    await this.enforcer.settled();
    if (added || removed) this.o.log.log('INFO', `blocklist ${this.mirror!.path}: ${added} added, ${removed} removed`);
    return { added, removed };
  }

  private async onBlocklistEdit(): Promise<void> {
    if (!this.mirror || this.mirror.unchanged()) return;
    const listed = this.mirror.read(MANUAL_JAIL);
    if (!listed) return;
    try {
      // A jail the engine does not know yet needs a firewall route: that takes a rebuild.
      if (listed.entries.some((e) => !this.engine.hasJail(e.jail))) {
        await this.pipeline.stop();
        await this.build();
        return;
      }
      await this.syncBlocklist(listed, true);
      this.writeBlocklist();
    } catch (e) {
      this.o.log.log('ERROR', `blocklist ${this.mirror!.path}: ${(e as Error).message}`);
    }
  }

  /** A permanent ban added or lifted: the file follows within the same turn of the event loop, in one write. */
  private scheduleBlocklist(change: MirrorChange): void {
    this.mirrorChanges.push(change);
    if (this.mirrorScheduled) return;
    this.mirrorScheduled = true;
    setImmediate(() => this.flushBlocklist());
  }

  private flushBlocklist(): void {
    this.mirrorScheduled = false;
    const changes = this.mirrorChanges;
    this.mirrorChanges = [];
    try {
      this.mirror?.apply(changes);
    } catch (e) {
      this.o.log.log('ERROR', `cannot write the blocklist ${this.mirror!.path}: ${(e as Error).message}`);
    }
  }

  private writeBlocklist(): void {
    this.mirrorChanges = [];
    try {
      this.mirror?.write(this.engine.bans().filter((b) => b.expiresAt === null));
    } catch (e) {
      this.o.log.log('ERROR', `cannot write the blocklist ${this.mirror!.path}: ${(e as Error).message}`);
    }
  }

  private note(msg: string): void {
    if (!this.warnings.includes(msg)) this.warnings.push(msg);
    this.o.log.log('WARNING', msg);
  }

  private write(fn: () => void): void {
    if (this.batch) this.batch.push(fn);
    else this.commit([fn]);
  }

  /** Store writes as one transaction; after a disk failure they queue behind the earlier ones, in order. */
  private commit(ops: Array<() => void>): void {
    if (this.unsaved.length) {
      this.unsaved.push(...ops);
      return;
    }
    try {
      this.o.store.db.transaction(() => { for (const op of ops) op(); })();
    } catch (e) {
      this.storeFailed(e, ops);
    }
  }

  /**
   * A store write failed for want of disk (full, I/O error, read-only): the
   * ban is enforced all the same, and the writes wait in memory, in order,
   * until `retryUnsaved` gets them in. A failed transaction rolls back whole,
   * so the file never holds half a change.
   */
  private storeFailed(e: unknown, ops: Array<() => void>): void {
    if (!isStorageError(e)) throw e;
    this.unsaved.push(...ops);
    if (this.storeError === null) {
      this.o.log.log('ERROR', `cannot write the state database ${this.o.store.path}: ${e.message} (${e.code}); ` +
        'bans stay enforced, and changes are kept in memory and saved when it is writable again (free space on its file system)');
    }
    this.storeError = `${e.message} (${e.code})`;
  }

  private retryUnsaved(): void {
    if (this.unsaved.length === 0) return;
    const ops = this.unsaved;
    this.unsaved = [];
    this.commit(ops);
    if (this.unsaved.length) return; // still failing: storeFailed put them back, in order
    this.storeError = null;
    this.o.log.log('NOTICE', `the state database ${this.o.store.path} is writable again: saved ${ops.length} change(s) kept in memory`);
  }

  /** Positions and purges: a full disk keeps them pending (positions) or skipped (purge) until it has room. */
  private housekeeping(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (!isStorageError(e)) throw e;
      this.storeError ??= `${e.message} (${e.code})`;
    }
  }

  private onEvent(e: EngineEvent): void {
    if (e.type === 'ban') this.onBan(e);
    else if (e.type === 'unban') this.onUnban(e);
    else if (e.type === 'ignored' && e.reason === 'protected') this.o.log.log('WARNING', `[${e.jail}] ignored a failure from ${e.ip}: a protected address (operator session or loopback)`);
    this.emit(e.type === 'ban' && e.jail === FLEET_JAIL ? { ...e, origin: this.originOf(e.ip) } : e);
  }

  /** A ban's `<matches>`: the last maxmatches of its lines, as fail2ban's ticket keeps them (the store keeps them all). */
  private matchesOf(jail: string, lines: readonly string[]): readonly string[] {
    const keep = this.config.jails.find((j) => j.name === jail)?.maxmatches ?? lines.length;
    return keep > 0 ? lines.slice(-keep) : [];
  }

  /**
   * `<ipmatches>` and the like for a ban of `ip` in `jail`: the address's bans
   * in the store (this one with them, committed before the firewall hears of
   * it), each merge made once per ban, as fail2ban makes it once per ticket.
   * Without a database (dbfile = None) there is nothing to merge: the ban's
   * own, as in fail2ban. A store that cannot be read gives the ban's own too,
   * and the action still runs.
   */
  private mergedOf(jail: string, ip: string): BanInfo['merged'] {
    if (noDatabase(this.config.settings.dbfile)) return undefined;
    const made = new Map<boolean, MergedBans | null>();
    return (overall) => {
      if (!made.has(overall)) {
        const s = this.config.settings;
        try {
          made.set(overall, mergeBans(this.o.store.pastBans(ip, overall ? null : jail, this.o.clock.now() - s.dbpurgeage * 1000), s.dbmaxmatches));
        } catch (e) {
          this.o.log.log('ERROR', `[${jail}] cannot read the bans of ${ip} for <ip${overall ? '' : 'jail'}matches>: ${(e as Error).message}; the ban's own are used`);
          made.set(overall, null);
        }
      }
      return made.get(overall)!;
    };
  }

  private onBan(e: BanEvent): void {
    const ban: ActiveBan = { ip: e.ip, jail: e.jail, bannedAt: e.time, expiresAt: e.expiresAt, failures: e.failures, source: e.source, banCount: e.banCount, reason: e.reason };
    const lines = e.lines ?? [];
    // Kept with the ban in the store; subscribers had each line in its 'line' event already (a TUI reads them from history).
    e.lines = undefined;
    this.write(() => this.o.store.addBan(ban, e.bantime, lines));
    this.enforcer.place({ jail: e.jail, ip: e.ip, permanent: e.expiresAt === null,
      info: infoOf(e, e.bantime, { matches: this.matchesOf(e.jail, lines), merged: this.mergedOf(e.jail, e.ip), ...(e.fields ? { fields: e.fields } : {}) }) });
    const rule = ruleOf(e);
    // fail2ban's line exactly, nothing after the address: its recidive filter (`Ban <HOST>\s*$`) reads the daemon's log.
    this.o.log.log('NOTICE', `[${e.jail}] Ban ${e.ip}`);
    this.o.log.log('INFO', `[${e.jail}] ${e.ip} banned ${e.expiresAt === null ? 'permanently' : `for ${e.bantime}s`} (${e.source}${e.reason ? `: ${e.reason}` : ''})`);
    this.banlog?.append({ kind: 'ban', time: e.time, jail: e.jail, ip: e.ip, bantime: e.bantime, rule });
    // A timed ban that replaces a permanent one in the same jail takes its line out of the file.
    this.scheduleBlocklist(e.expiresAt === null ? { op: 'add', ban } : { op: 'del', ip: e.ip, jail: e.jail });
    const jail = this.config.jails.find((j) => j.name === e.jail);
    if (this.fleet && isShared(e, this.fleet.settings.share)) {
      const fleet = this.fleet;
      this.write(() => fleet.publish({ type: 'ban', ip: e.ip, jail: e.jail, bantime: e.expiresAt === null ? -1 : e.bantime, source: e.source, reason: e.reason ?? '', time: e.time }));
    }
    if (jail?.report && e.source !== 'import' && e.source !== 'fleet') this.reporter.report({ ip: e.ip, jail: e.jail, failures: e.failures, bantime: e.bantime, rule }, jail.report);
    if (!this.batch) this.escalate(e, jail?.escalation ?? this.config.escalation);
  }

  private onUnban(e: UnbanEvent): void {
    this.write(() => this.o.store.removeBan(e.jail, e.ip, e.time, e.reason));
    this.enforcer.remove(e.jail, e.ip);
    this.o.log.log('NOTICE', `[${e.jail}] Unban ${e.ip}`);
    this.o.log.log('INFO', `[${e.jail}] ${e.ip} unbanned (${e.reason})`);
    if (e.jail === FLEET_JAIL && this.fleetStore) {
      const fs = this.fleetStore;
      this.write(() => fs.dropOrigin(e.ip));
    }
    this.banlog?.append({ kind: 'unban', time: e.time, jail: e.jail, ip: e.ip, rule: e.rule });
    this.scheduleBlocklist({ op: 'del', ip: e.ip, jail: e.jail });
  }

  /**
   * Repeat offenders: count this address's bans in every jail (from the
   * store, which rotation cannot delete) and, when one of `rules` (the banning
   * jail's, else [DEFAULT]'s) is met, ban it in the escalation jail. A ban that
   * adds no time is never made.
   */
  private escalate(e: BanEvent, rules: EscalationRule[]): void {
    if (e.source === 'escalation' || e.source === 'import' || e.source === 'fleet' || e.jail === ESCALATION_JAIL) return;
    if (rules.length === 0) return;
    const now = this.o.clock.now();
    const longest = Math.max(...rules.map((r) => r.window));
    const m = matchEscalation(this.o.store.banTimes(e.ip, now - longest * 1000, ESCALATION_JAIL), rules, now);
    if (!m) return;
    const held = this.engine.bansOf(e.ip).filter((b) => b.expiresAt === null || b.jail === ESCALATION_JAIL);
    if (!escalationAddsTime(held, m.rule.bantime, now)) return;
    try {
      this.engine.ban(ESCALATION_JAIL, e.ip, { seconds: m.rule.bantime, source: 'escalation', reason: `${formatRule(m.rule)} (${m.count} seen)`, failures: e.failures });
    } catch (err) {
      this.o.log.log('WARNING', `escalation of ${e.ip} refused: ${(err as Error).message}`);
    }
  }

  private emit(e: ServiceEvent): void {
    for (const l of this.listeners) l(e);
  }

  subscribe(fn: (e: ServiceEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private inBatch<T>(fn: () => T): T {
    this.batch = [];
    try {
      return fn();
    } finally {
      const ops = this.batch;
      this.batch = null;
      this.commit(ops);
    }
  }

  // --- the API ----------------------------------------------------------------

  private requireJail(name: string | undefined): string {
    const jail = name ?? MANUAL_JAIL;
    if (!this.engine.hasJail(jail)) {
      throw new UserError(`unknown jail "${jail}"`, { hint: `jails: ${this.engine.jailNames().join(', ')}` });
    }
    return jail;
  }

  /**
   * A manual ban (`seconds` -1: permanent). Refused when it would cut an
   * operator's connection (the caller's `operator` SSH_CONNECTION, `protect`,
   * attached sessions), this host or loopback, unless `force`; never for a
   * whitelisted address.
   */
  async ban(r: { ip: string; jail?: string | undefined; seconds?: number | undefined; protect?: string[] | undefined; operator?: string | undefined; force?: boolean | undefined }): Promise<BanView> {
    const ip = requireBanTarget(r.ip);
    const jail = this.requireJail(r.jail);
    const caller = r.operator ? parseSshConnection(r.operator, 'the session asking for this ban') : null;
    const protect = [...(caller ? [caller] : []), ...(r.protect ?? []).map((p) => ({ ip: p, label: 'the operator\'s own address' }))];
    this.engine.ban(jail, ip, { seconds: r.seconds, source: 'manual', protect, force: r.force ?? false });
    await this.enforcer.settled();
    return view(this.engine.getBan(jail, ip)!, this.originOf);
  }

  /**
   * Unban in one jail, or (no jail) everywhere: every jail's set or chain, the
   * permanent set, the store, the blocklist file; and an unban watermark for
   * every jail, so log lines older than now never count against the address
   * again, after a restart or a re-scan too. `whitelist` also whitelists it.
   */
  async unban(r: { ip: string; jail?: string | undefined; whitelist?: boolean | undefined }): Promise<{ ip: string; jails: string[]; whitelisted: boolean }> {
    const ip = requireBanTarget(r.ip);
    let jails: string[];
    if (r.jail !== undefined) {
      const jail = this.requireJail(r.jail);
      jails = this.engine.unban(ip, jail) ? [jail] : [];
    } else {
      jails = this.unbanEverywhere(ip);
    }
    this.fleet?.publish({ type: 'unban', ip, everywhere: r.jail === undefined, time: this.o.clock.now() });
    if (r.whitelist) await this.whitelistAdd(ip, 'unban --whitelist');
    await this.enforcer.settled();
    this.flushBlocklist();
    return { ip, jails, whitelisted: r.whitelist ?? false };
  }

  /**
   * Every ban lifted (fail2ban's `unban --all`), the permanent list and the
   * blocklist file included; or, with `jail`, every ban of that jail. Each
   * address as unban() lifts it (everywhere: with its watermark for every
   * jail, and shared with the fleet), in one batch: one store transaction
   * and one write of the blocklist file, however many bans there are.
   */
  async unbanAll(r: { jail?: string | undefined }): Promise<{ bans: number; addresses: number; jails: string[] }> {
    const jail = r.jail === undefined ? undefined : this.requireJail(r.jail);
    const bans = this.engine.bans().filter((b) => jail === undefined || b.jail === jail);
    const ips = [...new Set(bans.map((b) => b.ip))];
    this.inBatch(() => {
      for (const ip of ips) {
        if (jail === undefined) this.unbanEverywhere(ip);
        else this.engine.unban(ip, jail);
      }
    });
    const now = this.o.clock.now();
    for (const ip of ips) this.fleet?.publish({ type: 'unban', ip, everywhere: jail === undefined, time: now });
    await this.enforcer.settled();
    this.flushBlocklist();
    return { bans: bans.length, addresses: ips.length, jails: [...new Set(bans.map((b) => b.jail))].sort() };
  }

  /** Every jail, plus a watermark for every jail (in the caller's batch when there is one), so old lines never count. */
  private unbanEverywhere(ip: string): string[] {
    const now = this.o.clock.now();
    this.write(() => this.o.store.setWatermark('*', ip, now));
    return this.engine.unbanEverywhere(ip);
  }

  /** Protect an operator's address while a session (an attached TUI) lives; returns the release. */
  attachOperator(sshConnection: string, who: string): () => void {
    const op = parseSshConnection(sshConnection, who);
    if (!op) return () => {};
    const id = ++this.operatorSeq;
    const entry = { ...op, release: this.engine.protectOperator(op.ip, op.label) };
    this.operators.set(id, entry);
    return () => {
      // `release` is the current engine's: a reload re-protects every live session in the engine it builds.
      entry.release();
      this.operators.delete(id);
    };
  }

  list(jail?: string): BanView[] {
    if (jail !== undefined) this.requireJail(jail);
    return this.engine.bans(jail).map((b) => view(b, this.originOf));
  }

  private readonly originOf = (ip: string): string | undefined => this.fleetStore?.originOf(ip);

  private fleetOrigins(): Record<string, number> {
    const n: Record<string, number> = {};
    for (const b of this.engine.bans(FLEET_JAIL)) {
      const o = this.originOf(b.ip) ?? 'unknown';
      n[o] = (n[o] ?? 0) + 1;
    }
    return n;
  }

  /** Whitelist an address or network (also unbans what it covers) here, and across the fleet. */
  async whitelistAdd(entry: string, comment?: string): Promise<{ entry: string; unbanned: Array<{ ip: string; jail: string }> }> {
    const e = requireBanTarget(entry);
    const unbanned = this.whitelistLocal(e, comment);
    this.fleet?.publish({ type: 'whitelist', ip: e, time: this.o.clock.now() });
    await this.enforcer.settled();
    return { entry: e, unbanned };
  }

  private whitelistLocal(e: string, comment?: string): Array<{ ip: string; jail: string }> {
    this.write(() => this.o.store.whitelistAdd(e, this.o.clock.now(), comment));
    this.engine.whitelist.add(e);
    const unbanned: Array<{ ip: string; jail: string }> = [];
    for (const b of this.engine.bans()) {
      if (this.engine.whitelist.conflict(b.ip)) {
        this.engine.unban(b.ip, b.jail);
        unbanned.push({ ip: b.ip, jail: b.jail });
      }
    }
    return unbanned;
  }

  whitelistRemove(entry: string): { entry: string; removed: boolean } {
    const e = requireBanTarget(entry);
    this.engine.whitelist.remove(e);
    const removed = this.o.store.whitelistRemove(e);
    this.fleet?.publish({ type: 'unwhitelist', ip: e, time: this.o.clock.now() });
    return { entry: e, removed };
  }

  // --- the fleet ------------------------------------------------------------------

  private startFleet(): void {
    const f = this.config.settings.fleet;
    if (!f) return;
    const log = this.o.log;
    this.fleetStore = new FleetStore(this.o.store.db, f.key);
    const transport = this.o.fleetTransport ?? new RedisTransport(f.redis, f.key);
    this.fleet = new Fleet(f, transport, this.fleetStore, {
      applyRemote: (events, cursor) => this.applyRemote(events, cursor),
      sharedPermanent: () => this.engine.bans(FLEET_JAIL).filter((b) => b.expiresAt === null).map((b) => b.ip),
      log: (level, msg) => log.log(level, msg),
    }, this.o.clock);
    this.fleet.start();
    log.log('INFO', `fleet: member ${f.name} of ${redactUrl(f.redis)}, sharing ${[...f.share].join(', ')}`);
  }

  /**
   * Events from other hosts, with the stream position, in one transaction.
   * A shared ban goes to the fleet jail with its origin; it never lands on a
   * whitelisted address or cuts this host's operator, and one this host
   * already holds as long is left alone, so applying an event twice is a no-op.
   */
  private applyRemote(events: FleetEvent[], cursor: string): void {
    const fs = this.fleetStore!;
    const now = this.o.clock.now();
    this.inBatch(() => {
      // Shared bans one after another (a joining host's whole permanent list) are made together, by address;
      // any other event first makes the bans before it, so the order holds.
      const run = new Map<string, { e: Extract<FleetEvent, { type: 'ban' }>; expiresAt: number | null }>();
      const makeRun = () => {
        if (run.size === 0) return;
        const list = [...run.values()];
        run.clear();
        for (const { e } of list) fs.noteOrigin(e.ip, e.origin);
        const items = list.map(({ e, expiresAt }) => ({
          jail: FLEET_JAIL, ip: e.ip, reason: `${e.origin} ${e.jail}${e.reason ? `: ${e.reason}` : ''}`, e,
          seconds: expiresAt === null ? -1 : Math.max(1, Math.round((expiresAt - now) / 1000)),
        }));
        const refused = new Set(this.engine.banMany(items, { seconds: -1, source: 'fleet' }).map((r) => r.item));
        for (const it of items) if (!refused.has(it)) this.write(() => fs.setOrigin(it.ip, it.e.origin, it.e.time));
      };
      for (const e of events) {
        if (e.type !== 'ban') makeRun();
        switch (e.type) {
          case 'ban': {
            const expiresAt = e.bantime === -1 ? null : e.time + e.bantime * 1000;
            if (expiresAt !== null && expiresAt <= now) break;
            if (this.engine.whitelist.conflict(e.ip)) break;
            const have = run.get(e.ip) ?? this.engine.getBan(FLEET_JAIL, e.ip);
            if (have && (have.expiresAt === null || (expiresAt !== null && have.expiresAt >= expiresAt))) break;
            const why = this.engine.lockout(e.ip, []);
            if (why) {
              this.o.log.log('WARNING', `fleet: shared ban of ${e.ip} from ${e.origin} not applied here: ${why}`);
              break;
            }
            run.set(e.ip, { e, expiresAt });
            break;
          }
          case 'unban':
            if (e.everywhere) this.unbanEverywhere(e.ip);
            else this.engine.unban(e.ip, FLEET_JAIL);
            break;
          case 'whitelist':
            if (!this.engine.whitelist.entries().includes(e.ip)) this.whitelistLocal(e.ip, `fleet: from ${e.origin}`);
            break;
          case 'unwhitelist':
            this.engine.whitelist.remove(e.ip);
            this.write(() => this.o.store.whitelistRemove(e.ip));
            break;
        }
      }
      makeRun();
      this.write(() => fs.setCursor(cursor));
    });
  }

  whitelistList() {
    return this.o.store.whitelist();
  }

  history(ip: string) {
    return this.o.store.historyOf(requireBanTarget(ip));
  }

  /**
   * Import blocklist entries (permanent unless `seconds` says otherwise).
   * Idempotent: an entry already banned the same way is left alone, so
   * importing a file twice adds nothing to the store or the firewall.
   */
  async import(entries: Array<{ ip: string; jail?: string | undefined; comment?: string | undefined }>, seconds = -1): Promise<{ added: number; unchanged: number; skipped: Array<{ ip: string; reason: string }> }> {
    const checked = entries.map((e, i) => {
      const ip = canonicalTarget(e.ip);
      if (ip === null) throw new UserError(`entry ${i + 1}: "${e.ip.slice(0, 100)}" is not an IP address or CIDR`, { hint: 'nothing was imported' });
      return { ip, jail: this.requireJail(e.jail), comment: e.comment };
    });
    let unchanged = 0;
    const skipped: Array<{ ip: string; reason: string }> = [];
    // In the file's order: each (jail, address) banned once, where it first comes; a repeat is as it will
    // be after that one (unchanged, or skipped again).
    const todo = new Map<string, { jail: string; ip: string; reason: string | undefined; repeats: number }>();
    for (const e of checked) {
      const k = `${e.jail}\u0000${e.ip}`;
      const have = this.engine.getBan(e.jail, e.ip);
      if (have && (seconds === -1 ? have.expiresAt === null : have.expiresAt !== null)) unchanged++;
      else {
        const t = todo.get(k);
        if (t === undefined) todo.set(k, { jail: e.jail, ip: e.ip, reason: e.comment, repeats: 0 });
        else t.repeats++;
      }
    }
    const refused = this.inBatch(() => this.engine.banMany([...todo.values()], { seconds, source: 'import' }));
    // Refused in the file's order, with the repeats of each.
    for (const { item, reason } of refused) for (let i = 0; i <= item.repeats; i++) skipped.push({ ip: item.ip, reason });
    const out = new Set(refused.map((r) => r.item));
    for (const t of todo.values()) if (!out.has(t)) unchanged += t.repeats;
    const added = todo.size - refused.length;
    await this.enforcer.settled();
    return { added, unchanged, skipped };
  }

  export(): Array<{ ip: string; jail: string; comment: string }> {
    return this.engine.bans().map((b) => ({
      ip: b.ip, jail: b.jail,
      comment: `${b.jail} ${b.expiresAt === null ? 'permanent' : `until ${new Date(b.expiresAt).toISOString()}`} ${b.source}${b.reason ? ` ${b.reason}` : ''}`,
    }));
  }

  status(jail?: string) {
    const snap = this.engine.snapshot();
    const now = this.o.clock.now();
    const bans = this.engine.bans();
    const permanent = bans.filter((b) => b.expiresAt === null).length;
    const jails = snap.jails.filter((j) => jail === undefined || j.name === jail).map((j) => ({
      name: j.name,
      passive: this.engine.isPassive(j.name),
      maxretry: j.maxretry,
      findtime: j.findtime,
      failuresInWindow: j.failuresInWindow,
      trackedAddresses: j.trackedAddresses,
      currentBans: j.currentBans,
      permanentBans: j.permanentBans,
      totalBans: j.totalBans,
      offences: j.offences,
      filter: j.filter,
      ...(jail !== undefined ? { banned: this.engine.bans(j.name).map((b) => b.ip) } : {}),
    }));
    if (jail !== undefined && jails.length === 0) this.requireJail(jail);
    return {
      host: hostname(),
      pid: process.pid,
      startedAt: this.startedAt,
      uptime: Math.round((now - this.startedAt) / 1000),
      configDir: this.config.dir,
      firewall: this.config.settings.firewall,
      backends: this.enforcer.backends.map((b) => b.name),
      totals: {
        bans: bans.length,
        permanentBans: permanent,
        failuresLastMinute: snap.jails.reduce((n, j) => n + (j.offences[j.offences.length - 1] ?? 0), 0),
        whitelist: this.engine.whitelist.entries().length,
      },
      /** Operator sessions that no ban may cut (the TUI header shows the first). */
      operators: [...this.operators.values()].map(({ ip, label }) => ({ ip, label })),
      banlog: this.config.settings.banlog,
      blocklist: this.config.settings.blocklist,
      reports: { ...this.reporter.stats },
      fleet: this.fleet?.status(this.fleetOrigins()) ?? null,
      firewallErrors: this.enforcer.errors,
      lastFirewallError: this.enforcer.lastError ?? null,
      store: { path: this.o.store.path, error: this.storeError, unsaved: this.unsaved.length },
      warnings: [...configWarnings(this.config), ...this.warnings,
        ...(this.storeError ? [`the state database ${this.o.store.path} is not writable: ${this.storeError}; ${this.unsaved.length} change(s) kept in memory until it is`] : [])],
      jails,
    };
  }

  /** Re-read the config and bring the firewall in line (also repairs a flushed ruleset). A bad config keeps the old one. */
  async reload(): Promise<{ jails: string[]; added: number; removed: number }> {
    const next = loadConfig(this.o.configDir);
    await this.pipeline.stop();
    this.housekeeping(() => this.o.store.flushPositions());
    this.config = next;
    const rec = await this.build();
    return { jails: this.engine.jailNames(), ...rec };
  }

  /**
   * One check at a time: a check that outlasts the interval (iptables lists
   * each target's chain, two subprocesses a target and family) would otherwise
   * be started again on every tick beside the ones still running, without end,
   * each repair among them taking the firewall's queue from the bans.
   */
  private async periodicCheck(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      if (await this.enforcer.repairIfNeeded()) this.o.log.log('WARNING', 'firewall structure was missing (ruleset flushed?); restored it');
    } catch (e) {
      this.o.log.log('ERROR', `firewall check failed: ${(e as Error).message}`);
    } finally {
      this.checking = false;
    }
  }

  private purge(): void {
    const n = this.o.store.purgeHistory(this.o.clock.now() - this.config.settings.dbpurgeage * 1000);
    if (n) this.o.log.log('INFO', `purged ${n} history entries older than dbpurgeage`);
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.fleet?.stop();
    this.mirror?.unwatch();
    this.reporter.stop();
    this.banlog?.flush();
    this.unsubscribe?.();
    await this.pipeline.stop();
    const perm = new Set(this.engine.bans().filter((b) => b.expiresAt === null).map((b) => `${b.jail}\u0000${b.ip}`));
    await this.enforcer.stop(this.o.flushOnStop ?? false, (jail, ip) => perm.has(`${jail}\u0000${ip}`));
    this.retryUnsaved();
    if (this.unsaved.length) this.o.log.log('ERROR', `stopping with ${this.unsaved.length} change(s) the state database could not take: ${this.storeError}`);
    this.housekeeping(() => this.o.store.flushPositions());
    this.writeBlocklist();
    this.banlog?.flush();
  }
}
