import { lookupService } from 'node:dns/promises';
import type { ActionCommand, ActionFamily, ResolvedAction } from '../config/action-def.js';
import type { Runner } from '../proc/run.js';
import { localHostNames } from '../util/host-addresses.js';
import { canonicalTarget } from '../util/ip.js';
import { familyOf, fillTicketTags, type HostNames, type TicketTags } from './action-tags.js';
import { mergeResults, OK, type Backend, type BanInfo, type Change, type FirewallResult, type Target } from './types.js';

const JAIL = /^[\w.\-]+$/;
const STARTED = 1;
const HAS_BANS = 2;

export interface CommandBackendOptions {
  /** Epoch ms; the time actionstart and the other operations see. */
  clock?: () => number;
  host?: HostNames;
  /** The jail's bantime in seconds, which the operations see as `<bantime>`. */
  bantime?: number;
}

/**
 * A fail2ban action.d file run as fail2ban's server runs it, so existing
 * actions keep working:
 * - an action with conditional options (`[Init?family=inet6]`) is started per
 *   family at that family's first ban, and IPv6 bans get the inet6 commands;
 * - a command that fails is retried once after actioncheck, and when the
 *   check fails, after actionrepair (or actionstop and actionstart);
 * - on teardown, actionflush (or actionunban for each ban), then actionstop for
 *   each family started; an operation whose command is the same for both
 *   families runs once;
 * - `norestored` actions get no actionban for bans restored at start;
 * - after a repair (actionrepair, or actionstop and actionstart), every ban
 *   the action held for that family is banned again at once with
 *   actionreban, or actionban where it has none: fail2ban invalidates its
 *   ban epoch there and rebans an address when it fails again, which leaves
 *   a restarted chain open until then.
 * Every value bantop fills in per ban is validated first (an address is an
 * address, a count is a number), and log lines (`<matches>`) reach the shell
 * only as positional parameters, never as script text.
 */
export class CommandBackend implements Backend {
  readonly name: string;
  /** Family → STARTED | HAS_BANS, keyed as fail2ban keys it: '' for the start of an action without conditional options. */
  private started = new Map<ActionFamily, number>();
  /** Operations that ran, per family: the same command is not run again for the other family. */
  private readonly executed = new Map<ActionCommand, Map<ActionFamily, string>>();
  /** The bans this action holds, with what its tags need (teardown without actionflush unbans each). */
  private readonly held = new Map<string, TicketTags>();
  /** Bans a repair took out of the firewall that could not be banned again yet: the next replay rebans them. */
  private readonly rebanDue = new Map<string, TicketTags>();
  private readonly clock: () => number;
  private readonly host: HostNames;
  private readonly bantime: number;

  constructor(private readonly runner: Runner, private readonly action: ResolvedAction, private readonly jail: string, o: CommandBackendOptions = {}) {
    this.name = `action:${action.name}`;
    this.clock = o.clock ?? Date.now;
    this.host = o.host ?? localHostNames();
    this.bantime = o.bantime ?? 600;
  }

  private get families(): ActionFamily[] {
    return this.action.conditional ? ['inet4', 'inet6'] : [''];
  }

  private template(cmd: ActionCommand, family: ActionFamily): string {
    return (family === '' ? this.action.commands : this.action.byFamily[family])[cmd] ?? '';
  }

  private async exec(script: string, ticket: TicketTags | null, family: ActionFamily, label: string): Promise<FirewallResult> {
    if (script === '') return OK;
    const ipHost = ticket !== null && script.includes('<ip-host>') ? await hostOf(ticket.ip) : undefined;
    const c = fillTicketTags(script, ticket, { family, now: this.clock(), bantime: this.bantime, host: this.host, ipHost });
    const r = await this.runner.run('/bin/sh', ['-c', c.script, ...c.args], { timeoutMs: this.action.timeout * 1000 });
    return { ok: r.ok, exitCode: r.exitCode, stderr: r.ok ? r.stderr : `${label}: ${r.stderr.trim() || `exit ${r.exitCode}`}` };
  }

  /** An operation (actionstart, actionstop, actionflush) for each family, as fail2ban's _executeOperation. */
  private async operation(cmd: ActionCommand, families: ActionFamily[], after?: (family: ActionFamily, ok: boolean) => void): Promise<FirewallResult> {
    const results: FirewallResult[] = [];
    for (const f of families) {
      const script = this.template(cmd, f);
      // Compared with the family filled in, as fail2ban compares them.
      const key = f === '' ? script : script.replaceAll('<family>', f);
      const done = this.executed.get(cmd);
      const again = script !== '' && [...(done ?? [])].some(([other, s]) => other !== f && s === key);
      const r = again ? OK : await this.exec(script, null, f, cmd);
      results.push(r);
      after?.(f, r.ok);
      this.markExecuted(cmd, f, r.ok && script !== '' ? key : null);
    }
    return mergeResults(results);
  }

  private markExecuted(cmd: ActionCommand, family: ActionFamily, script: string | null): void {
    let m = this.executed.get(cmd);
    if (script !== null) {
      if (!m) this.executed.set(cmd, (m = new Map()));
      m.set(family, script);
      return;
    }
    const was = m?.get(family);
    if (m === undefined || was === undefined) return;
    for (const [f, s] of [...m]) if (s === was) m.delete(f);
  }

  private start(family: ActionFamily | null, force: boolean): Promise<FirewallResult> {
    if (this.action.startOnDemand && !force) return Promise.resolve(OK);
    return this.operation('actionstart', family === null ? this.families : [family], (f, ok) => {
      if (!ok) return;
      this.markExecuted('actionstop', f, null);
      this.started.set(f, STARTED);
      // A fresh start holds none of the bans: a replay bans them again (fail2ban's ban epoch).
      for (const [ip] of this.held) if (f === '' || familyOf(ip) === f) this.held.delete(ip);
    });
  }

  private stop(family: ActionFamily | null): Promise<FirewallResult> {
    let families: ActionFamily[];
    if (family === null) {
      families = [...this.started].filter(([, v]) => v !== 0).map(([f]) => f);
      if (families.length === 0) return Promise.resolve(OK);
      this.started = new Map();
    } else {
      if (!this.started.has(family)) return Promise.resolve(OK);
      this.started.set(family, 0);
      families = [family];
    }
    return this.operation('actionstop', families, (f, ok) => {
      if (ok) this.markExecuted('actionstart', f, null);
    });
  }

  /**
   * actioncheck, and when it fails, actionrepair or a restart. 1: sane; 0: not
   * restored; -1: not tried (`mayRepair` said no).
   */
  private async invariantCheck(family: ActionFamily, mayRepair: () => boolean, forceStart: boolean): Promise<1 | 0 | -1> {
    if (!forceStart && !this.started.has(family)) return 1;
    if (await this.checks(family)) return 1;
    if (!mayRepair()) return -1;
    // fail2ban invalidates its ban epoch here: what the action held for the family may be gone from the firewall.
    for (const [ip, t] of [...this.held]) {
      if (family === '' || familyOf(ip) === family) {
        this.held.delete(ip);
        this.rebanDue.set(ip, t);
      }
    }
    const repair = this.template('actionrepair', family);
    if (repair !== '') {
      if (!(await this.exec(repair, null, family, 'actionrepair')).ok) {
        this.started.set(family, 0);
        return 0;
      }
      this.started.set(family, STARTED);
    } else {
      await this.stop(family);
      await this.start(family, forceStart || !this.action.startOnDemand);
    }
    if (this.started.get(family) && !(await this.checks(family))) return 0;
    await this.rebanAll(family);
    return 1;
  }

  /** Ban again, once each, what a repair took out; a ban that fails stays due for the next replay. */
  private async rebanAll(family: ActionFamily): Promise<void> {
    for (const [ip, t] of [...this.rebanDue]) {
      if (family !== '' && familyOf(ip) !== family) continue;
      const f = familyOf(ip);
      if ((await this.exec(this.rebanCommand(f), t, f, 'actionreban')).ok) {
        this.rebanDue.delete(ip);
        this.held.set(ip, t);
        this.started.set(f, (this.started.get(f) ?? 0) | STARTED | HAS_BANS);
      }
    }
  }

  private rebanCommand(family: ActionFamily): string {
    return this.template('actionreban', family) || this.template('actionban', family);
  }

  /** actioncheck passes (or the action has none). */
  private async checks(family: ActionFamily): Promise<boolean> {
    const check = this.template('actioncheck', family);
    return check === '' || (await this.exec(check, null, family, 'actioncheck')).ok;
  }

  /** A ban's command; when it fails, check (and repair) the action and try once more. */
  private async processCmd(cmd: 'actionban' | 'actionunban' | 'actionreban', t: TicketTags): Promise<FirewallResult> {
    const family = familyOf(t.ip);
    let last: FirewallResult = OK;
    for (let attempt = 0; attempt < 2; attempt++) {
      if (attempt > 0 && this.template('actioncheck', family) !== '') {
        // An action without conditional options was started as family '': its check and restart are that
        // family's. (fail2ban 1.0.2 looks for the ban's family here, finds no start of it, skips the restart
        // as a repeat of the '' start and gives up: a broken iptables chain stays broken until a reload.)
        const sane = await this.invariantCheck(this.action.conditional ? family : '', () => cmd !== 'actionunban' || this.action.repairOnUnban, cmd !== 'actionunban');
        if (sane !== 1) return last;
      }
      last = await this.exec(cmd === 'actionreban' ? this.rebanCommand(family) : this.template(cmd, family), t, family, cmd);
      if (last.ok) return last;
    }
    return last;
  }

  async setup(_targets: Target[]): Promise<FirewallResult> {
    if ([...this.started.values()].some((v) => v !== 0)) {
      // Called again (a repair): check each started family and restore what is broken.
      for (const [f, v] of [...this.started]) {
        if (v !== 0 && (await this.invariantCheck(f, () => true, true)) === 0) {
          this.started.set(f, 0);
          this.markExecuted('actionstart', f, null);
        }
      }
      return OK;
    }
    return this.start(null, false);
  }

  async apply(changes: Change[]): Promise<FirewallResult> {
    const results: FirewallResult[] = [];
    for (const c of changes) {
      const t = ticketOf(c.ip, c.info, this.jail);
      if (typeof t === 'string') {
        results.push({ ok: false, exitCode: 2, stderr: t });
        continue;
      }
      results.push(c.op === 'add' ? await this.ban(t) : await this.unban(t));
    }
    return mergeResults(results);
  }

  private async ban(t: TicketTags): Promise<FirewallResult> {
    // A replay of a ban this action holds since its start (reconcile cannot read a command action back).
    if (this.held.has(t.ip)) return OK;
    if (t.restored && this.action.norestored) {
      // Held all the same: fail2ban's stop unbans every ban the jail has, and runs actionunban where the family has bans.
      this.held.set(t.ip, t);
      return OK;
    }
    const family = familyOf(t.ip);
    if (this.action.startOnDemand && !this.started.get(family)) await this.start(family, true);
    const due = this.rebanDue.delete(t.ip);
    const r = await this.processCmd(due ? 'actionreban' : 'actionban', t);
    if (!r.ok) return r;
    this.started.set(family, (this.started.get(family) ?? 0) | STARTED | HAS_BANS);
    this.held.set(t.ip, t);
    return r;
  }

  private async unban(t: TicketTags): Promise<FirewallResult> {
    const family = familyOf(t.ip);
    // Taken out by a repair and not banned again: nothing of it is in the firewall to remove.
    if (this.rebanDue.delete(t.ip)) return OK;
    this.held.delete(t.ip);
    if (!((this.started.get(family) ?? 0) & HAS_BANS)) return OK;
    return this.processCmd('actionunban', t);
  }

  async read(): Promise<null> {
    return null;
  }

  async healthy(): Promise<boolean> {
    for (const [f, v] of this.started) if (v !== 0 && !(await this.checks(f))) return false;
    return true;
  }

  /** fail2ban's stop of a jail: actionflush (or actionunban for each ban), then actionstop. */
  async teardown(): Promise<FirewallResult> {
    const results: FirewallResult[] = [];
    const withBans = [...this.started].filter(([, v]) => (v & (STARTED | HAS_BANS)) === (STARTED | HAS_BANS)).map(([f]) => f);
    let flushed = false;
    if (this.action.byFamily.inet4.actionflush !== undefined || this.action.commands.actionflush !== undefined) {
      const r = await this.operation('actionflush', withBans, (f, ok) => {
        if (ok && this.started.get(f)) this.started.set(f, this.started.get(f)! & ~HAS_BANS);
      });
      flushed = r.ok;
      results.push(r);
    }
    if (flushed) this.held.clear();
    else for (const t of [...this.held.values()]) results.push(await this.unban(t));
    results.push(await this.stop(null));
    return mergeResults(results);
  }

  /**
   * The daemon stops, or a reload drops this action: it stops as fail2ban
   * stops a jail's action. Nothing can read a command action back, so a ban
   * left in place would be banned a second time at the next start (iptables
   * -I twice); the next start bans them again, as restored bans.
   */
  async close(): Promise<void> {
    if ([...this.started.values()].some((v) => v !== 0)) await this.teardown();
  }
}

/** The per-ban tags, or a reason to refuse: nothing unvalidated goes into a command's text. */
export function ticketOf(ip: string, info: BanInfo | undefined, jail: string): TicketTags | string {
  if (canonicalTarget(ip) !== ip) return `refusing to run an action for "${ip.slice(0, 60)}": not a canonical address`;
  if (!JAIL.test(jail)) return `refusing to run an action for jail "${jail.slice(0, 60)}"`;
  const failures = info?.failures ?? 0;
  const time = info?.time ?? Date.now();
  const bantime = info?.bantime ?? 0;
  const bancount = info?.bancount ?? 1;
  if (![failures, bantime, bancount].every(Number.isInteger) || !Number.isFinite(time)) return 'refusing to run an action with a non-numeric tag';
  return { ip, failures, time, bantime, bancount, matches: info?.matches ?? [], restored: info?.restored ?? false, data: info?.fields ?? {}, merged: info?.merged };
}

/** `<ip-host>`: the address's name from the system's resolver (as fail2ban's gethostbyaddr), null for none within 5 s. */
async function hostOf(ip: string): Promise<string | null> {
  if (ip === '' || ip.includes('/')) return null;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((res) => { timer = setTimeout(() => res(null), 5000); });
  try {
    return await Promise.race([lookupService(ip, 0).then((r) => r.hostname, () => null), late]);
  } finally {
    clearTimeout(timer);
  }
}
