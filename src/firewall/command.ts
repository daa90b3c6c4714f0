import type { ActionCommand, ResolvedAction } from '../config/action-def.js';
import type { Runner } from '../proc/run.js';
import { canonicalTarget } from '../util/ip.js';
import { mergeResults, OK, type Backend, type BanInfo, type Change, type FirewallResult, type Target } from './types.js';

const JAIL = /^[\w.\-]+$/;

/**
 * A fail2ban action.d file run as it is (actionstart, actionban, …), so custom
 * actions keep working. The templates come from the operator's config; every
 * value bantop fills in per ban is validated first (an address is an address,
 * a count is a number), so log content can never reach the shell.
 */
export class CommandBackend implements Backend {
  readonly name: string;
  private started = false;

  constructor(private readonly runner: Runner, private readonly action: ResolvedAction, private readonly jail: string) {
    this.name = `action:${action.name}`;
  }

  private async runCmd(cmd: ActionCommand, dyn: Record<string, string> = {}): Promise<FirewallResult> {
    const template = this.action.commands[cmd];
    if (!template) return OK;
    const values: Record<string, string> = { name: this.jail, ...dyn };
    const script = template.replace(/<([\w-]+)>/g, (whole, tag: string) => values[tag] ?? whole);
    const r = await this.runner.run('/bin/sh', ['-c', script], { timeoutMs: 60_000 });
    return { ok: r.ok, exitCode: r.exitCode, stderr: r.ok ? r.stderr : `${cmd}: ${r.stderr.trim() || `exit ${r.exitCode}`}` };
  }

  async setup(_targets: Target[]): Promise<FirewallResult> {
    if (this.started && (await this.runCmd('actioncheck')).ok) return OK;
    const r = await this.runCmd('actionstart');
    this.started = r.ok;
    return r;
  }

  async apply(changes: Change[]): Promise<FirewallResult> {
    const results: FirewallResult[] = [];
    for (const c of changes) {
      const tags = tagValues(c.ip, c.info, this.jail);
      if (typeof tags === 'string') {
        results.push({ ok: false, exitCode: 2, stderr: tags });
        continue;
      }
      if (c.op === 'add' && this.action.commands.actioncheck && !(await this.runCmd('actioncheck')).ok) {
        results.push(await this.runCmd('actionstart'));
      }
      results.push(await this.runCmd(c.op === 'add' ? 'actionban' : 'actionunban', tags));
    }
    return mergeResults(results);
  }

  async read(): Promise<null> {
    return null;
  }

  async healthy(): Promise<boolean> {
    return this.action.commands.actioncheck ? (await this.runCmd('actioncheck')).ok : true;
  }

  async teardown(): Promise<FirewallResult> {
    this.started = false;
    return this.runCmd('actionstop');
  }

  async close(): Promise<void> {}
}

/** The per-ban tags, or a reason to refuse: nothing unvalidated goes into a command. */
export function tagValues(ip: string, info: BanInfo | undefined, jail: string): Record<string, string> | string {
  if (canonicalTarget(ip) !== ip) return `refusing to run an action for "${ip.slice(0, 60)}": not a canonical address`;
  if (!JAIL.test(jail)) return `refusing to run an action for jail "${jail.slice(0, 60)}"`;
  const failures = info?.failures ?? 0;
  const time = info?.time ?? Date.now();
  const bantime = info?.bantime ?? 0;
  if (![failures, bantime].every(Number.isInteger) || !Number.isFinite(time)) return 'refusing to run an action with a non-numeric tag';
  return {
    ip,
    failures: String(failures),
    time: (time / 1000).toFixed(3),
    bantime: String(bantime),
    'ip-rev': ip.includes(':') || ip.includes('/') ? '' : ip.split('.').reverse().join('.') + '.',
  };
}
