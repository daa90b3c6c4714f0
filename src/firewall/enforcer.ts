import { PERMANENT, type Backend, type BanInfo, type Change, type FirewallResult, type FirewallState, type Target } from './types.js';

/** Where one jail's bans go: a backend and the jail's target in it. */
export interface JailRoute {
  backend: Backend;
  target: Target;
  /** Permanent bans go to the backend's shared permanent target (native backends), not the jail's. */
  sharedPermanent: boolean;
}

export interface EnforcementPlan {
  backends: Backend[];
  /** Jail name → its routes (several when a jail lists several actions). */
  routes: Map<string, JailRoute[]>;
  /** The permanent list's target in each backend that has one. */
  permanentTargets: Map<Backend, Target>;
}

export interface Placement {
  jail: string;
  ip: string;
  permanent: boolean;
  info?: BanInfo;
}

type Slot = `${number}\u0000${string}`;

/**
 * Turns "jail J bans address A" into firewall elements, with ownership: an
 * element stays while any jail (or the permanent list) holds a ban on that
 * address in that target, so one jail's unban or expiry never lifts another's.
 * Changes made in the same turn of the event loop go out as one batch per backend.
 */
export class Enforcer {
  /**
   * slot (backend index + target) → address → the jail holding it, or the set
   * of jails when several do (rare; a set per address cost ~70 bytes a ban).
   */
  private readonly owners = new Map<Slot, Map<string, string | Set<string>>>();
  /**
   * jail → address → the slots its ban occupies (one shared array per route
   * and permanence). By jail, then by the address string the ban already
   * holds: a `jail\0ip` key was a string of its own for every ban (about 40
   * bytes each, 12 MB at 300,000 bans).
   */
  private readonly placed = new Map<string, Map<string, readonly Slot[]>>();
  private readonly slotLists = new Map<string, readonly Slot[]>();
  private readonly pending = new Map<number, Change[]>();
  /**
   * Every backend operation runs one at a time, in order. A reconcile racing a
   * repair check (or a ban) would otherwise read the same "missing" rule twice
   * and insert it twice on iptables.
   */
  private serial: Promise<unknown> = Promise.resolve();
  private scheduled = false;
  errors = 0;
  lastError: string | undefined;

  constructor(private plan: EnforcementPlan, private readonly onError: (backend: string, r: FirewallResult) => void = () => {}) {}

  get backends(): Backend[] {
    return this.plan.backends;
  }

  private slotsFor(p: Placement): readonly Slot[] {
    const id = `${p.permanent ? 'p' : 't'}${p.jail}`;
    let slots = this.slotLists.get(id);
    if (slots) return slots;
    const routes = this.plan.routes.get(p.jail) ?? [];
    slots = routes.map((r) => {
      const idx = this.plan.backends.indexOf(r.backend);
      const key = p.permanent && r.sharedPermanent ? PERMANENT : r.target.key;
      return `${idx}\u0000${key}` as Slot;
    });
    this.slotLists.set(id, slots);
    return slots;
  }

  /**
   * A ban is in force (new, restored, or changed between temporary and
   * permanent). `quiet` records ownership without queueing changes: restored
   * bans reach the firewall through `reconcile`, as one batch.
   */
  place(p: Placement, o: { quiet?: boolean } = {}): void {
    let ofJail = this.placed.get(p.jail);
    const before = ofJail?.get(p.ip) ?? [];
    const after = this.slotsFor(p);
    for (const s of before) if (!after.includes(s)) this.release(s, p.jail, p.ip, p.info);
    for (const s of after) if (!before.includes(s)) this.acquire(s, p.jail, p.ip, p.info, o.quiet);
    if (after.length) {
      if (ofJail === undefined) this.placed.set(p.jail, (ofJail = new Map()));
      ofJail.set(p.ip, after);
    } else ofJail?.delete(p.ip);
  }

  /** A jail's ban ended (unban or expiry). */
  remove(jail: string, ip: string, info?: BanInfo): void {
    const ofJail = this.placed.get(jail);
    for (const s of ofJail?.get(ip) ?? []) this.release(s, jail, ip, info);
    ofJail?.delete(ip);
  }

  private acquire(slot: Slot, jail: string, ip: string, info?: BanInfo, quiet = false): void {
    let m = this.owners.get(slot);
    if (!m) this.owners.set(slot, (m = new Map()));
    const holders = m.get(ip);
    if (holders === undefined) {
      m.set(ip, jail);
      if (!quiet) this.queue(slot, 'add', ip, info);
    } else if (typeof holders === 'string') {
      if (holders !== jail) m.set(ip, new Set([holders, jail]));
    } else holders.add(jail);
  }

  private release(slot: Slot, jail: string, ip: string, info?: BanInfo): void {
    const m = this.owners.get(slot);
    const holders = m?.get(ip);
    if (holders === undefined) return;
    if (typeof holders === 'string') {
      if (holders !== jail) return;
    } else {
      if (!holders.delete(jail)) return;
      if (holders.size === 1) m!.set(ip, [...holders][0]!);
      return;
    }
    m!.delete(ip);
    this.queue(slot, 'del', ip, info);
  }

  private queue(slot: Slot, op: 'add' | 'del', ip: string, info?: BanInfo): void {
    const sep = slot.indexOf('\u0000');
    const idx = Number(slot.slice(0, sep));
    let list = this.pending.get(idx);
    if (!list) this.pending.set(idx, (list = []));
    list.push({ op, target: slot.slice(sep + 1), ip, info });
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => void this.flush());
    }
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.serial.then(fn, fn);
    this.serial = run.catch(() => {});
    return run;
  }

  /** Send queued changes now; resolves when the backends answered. */
  flush(): Promise<void> {
    this.scheduled = false;
    const work: Array<Promise<void>> = [];
    for (const [idx, list] of this.pending) {
      this.pending.delete(idx);
      const changes = coalesce(list);
      if (changes.length === 0) continue;
      const backend = this.plan.backends[idx]!;
      work.push(this.exclusive(async () => {
        const r = await backend.apply(changes).catch((e: Error) => ({ ok: false, exitCode: 1, stderr: e.message }));
        if (!r.ok) this.failed(backend.name, r);
      }));
    }
    return Promise.all(work).then(() => {});
  }

  /** Resolves when every change queued so far has been applied. */
  async settled(): Promise<void> {
    await this.flush();
    await this.serial;
  }

  private failed(name: string, r: FirewallResult): void {
    this.errors++;
    this.lastError = `${name}: ${r.stderr.trim() || `exit ${r.exitCode}`}`;
    this.onError(name, r);
  }

  /** What each backend should hold, from the bans placed. */
  desired(): Map<number, FirewallState> {
    const out = new Map<number, FirewallState>();
    for (const [slot, m] of this.owners) {
      if (m.size === 0) continue;
      const sep = slot.indexOf('\u0000');
      const idx = Number(slot.slice(0, sep));
      let st = out.get(idx);
      if (!st) out.set(idx, (st = new Map()));
      st.set(slot.slice(sep + 1), new Set(m.keys()));
    }
    return out;
  }

  targetsOf(idx: number): Target[] {
    const backend = this.plan.backends[idx]!;
    const seen = new Map<string, Target>();
    for (const routes of this.plan.routes.values()) {
      for (const r of routes) if (r.backend === backend) seen.set(r.target.key, r.target);
    }
    const perm = this.plan.permanentTargets.get(backend);
    if (perm) seen.set(perm.key, perm);
    return [...seen.values()];
  }

  /**
   * Bring every backend in line with the placed bans: build the structure, read
   * what is there, add what is missing and remove what bantop owns but no longer
   * wants. Returns how many elements were added and removed.
   */
  async reconcile(): Promise<{ added: number; removed: number; results: FirewallResult[] }> {
    await this.flush();
    return this.exclusive(() => this.reconcileNow());
  }

  private async reconcileNow(): Promise<{ added: number; removed: number; results: FirewallResult[] }> {
    const desired = this.desired();
    let added = 0;
    let removed = 0;
    const results: FirewallResult[] = [];
    for (let idx = 0; idx < this.plan.backends.length; idx++) {
      const backend = this.plan.backends[idx]!;
      const setup = await backend.setup(this.targetsOf(idx));
      results.push(setup);
      if (!setup.ok) {
        this.failed(backend.name, setup);
        continue;
      }
      const want = desired.get(idx) ?? new Map<string, Set<string>>();
      const have = await backend.read();
      const changes: Change[] = [];
      if (have === null) {
        // A command action cannot be read back: replay every ban, as fail2ban does on start.
        for (const [key, ips] of want) for (const ip of ips) changes.push({ op: 'add', target: key, ip, info: this.infoLookup(key, ip) });
      } else {
        for (const [key, ips] of have) {
          if (key.startsWith('?')) continue;
          const w = want.get(key);
          for (const ip of ips) if (!w?.has(ip)) changes.push({ op: 'del', target: key, ip });
        }
        for (const [key, ips] of want) {
          const h = have.get(key);
          for (const ip of ips) if (!h?.has(ip)) changes.push({ op: 'add', target: key, ip, info: this.infoLookup(key, ip) });
        }
      }
      for (const c of changes) c.op === 'add' ? added++ : removed++;
      if (changes.length) {
        const r = await backend.apply(changes);
        results.push(r);
        if (!r.ok) this.failed(backend.name, r);
      }
    }
    return { added, removed, results };
  }

  /** Ban details for command actions replayed by `reconcile` (the engine knows them; nothing is copied here). */
  infoLookup: (jail: string, ip: string) => BanInfo | undefined = () => undefined;

  /**
   * Periodic check: rebuild any backend whose structure is gone (someone
   * flushed the ruleset). The check only reads the firewall, so it runs beside
   * the queued changes: a ban never waits for it (iptables checks with two
   * subprocesses per target and family). A repair takes the queue, and looks
   * again first, in case what seemed missing was a change still being made.
   */
  async repairIfNeeded(): Promise<boolean> {
    await this.flush();
    if (await this.healthy()) return false;
    return this.exclusive(async () => {
      if (await this.healthy()) return false;
      await this.reconcileNow();
      return true;
    });
  }

  private async healthy(): Promise<boolean> {
    for (const b of this.plan.backends) if (!(await b.healthy())) return false;
    return true;
  }

  /**
   * Stop: temporary bans are lifted (nobody would expire them), permanent ones
   * stay in the kernel so a restart never opens the door; `flush` removes all.
   */
  async stop(flush: boolean, permanent: (jail: string, ip: string) => boolean): Promise<void> {
    if (flush) {
      await this.settled();
      await this.exclusive(async () => {
        for (const b of this.plan.backends) {
          const r = await b.teardown();
          if (!r.ok) this.failed(b.name, r);
        }
      });
    } else {
      for (const [jail, ofJail] of this.placed) {
        for (const ip of [...ofJail.keys()]) if (!permanent(jail, ip)) this.remove(jail, ip);
      }
      await this.settled();
    }
    for (const b of this.plan.backends) await b.close();
  }

  /** Swap the routing (reload); call `reconcile` after placing the bans again. */
  replacePlan(plan: EnforcementPlan): void {
    this.plan = plan;
    this.owners.clear();
    this.placed.clear();
    this.slotLists.clear();
    this.pending.clear();
  }
}

/** The net effect of a run of changes: add,del cancels; del,add on an existing element is nothing to do. */
function coalesce(list: Change[]): Change[] {
  if (list.length === 1) return list;
  const first = new Map<string, Change>();
  const last = new Map<string, Change>();
  for (const c of list) {
    const k = `${c.target}\u0000${c.ip}`;
    if (!first.has(k)) first.set(k, c);
    last.set(k, c);
  }
  const out: Change[] = [];
  for (const [k, f] of first) {
    const l = last.get(k)!;
    if (f.op === l.op) out.push(l);
  }
  return out;
}
