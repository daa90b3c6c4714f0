import type { Runner } from '../proc/run.js';
import { formatRanges } from './ports.js';
import type { FirewallResult, Target } from './types.js';

export interface Family {
  bin: string;
  restore: string;
  v: 4 | 6;
  /**
   * A hook chain missing from this family's table is an error (Docker not
   * started yet: healthy() sees it appear, and the repair adds the jump), or
   * skipped: Docker without IPv6 makes no IPv6 chains.
   */
  missingHook: 'error' | 'skip';
}

export const FAMILIES: readonly Family[] = [
  { bin: 'iptables', restore: 'iptables-restore', v: 4, missingHook: 'error' },
  { bin: 'ip6tables', restore: 'ip6tables-restore', v: 6, missingHook: 'skip' },
];

/** The match part of a rule for a target's ports and protocol, one entry per protocol. */
export function portMatches(t: Target): string[][] {
  const protos = t.protocol === 'all' ? (t.ports.all ? [null] : ['tcp', 'udp']) : [t.protocol];
  return protos.map((p) => {
    if (p === null) return [];
    if (t.ports.all) return ['-p', p];
    return ['-p', p, '-m', 'multiport', '--dports', formatRanges(t.ports, ':')];
  });
}

export function result(r: { ok: boolean; exitCode: number; stderr: string }): FirewallResult {
  return { ok: r.ok, exitCode: r.exitCode, stderr: r.stderr };
}

/** A jump into one of our chains: the chain it is in (INPUT, or a target's hook: Target.hooks), and the rule, ending in `-j CHAIN`. */
export interface Jump {
  from: string;
  rule: string[];
}

/** The chains a target is entered from. */
export function hooksOf(t: Target): string[] {
  return t.hooks ?? ['INPUT'];
}

/**
 * Make exactly `wanted` jump into chains that are `ours`, from chains that are
 * not, in `fam`'s table: missing ones are inserted after a `-C` check, stale
 * ones deleted, in whatever chain they are (a jail that no longer hooks
 * DOCKER-USER leaves no jump there). A hook chain that does not exist is as
 * the family says (Family.missingHook).
 */
export async function syncJumps(runner: Runner, fam: Family, ours: (chain: string) => boolean, wanted: Jump[], listing?: string): Promise<FirewallResult[]> {
  const bin = fam.bin;
  const out: FirewallResult[] = [];
  // `listing`: the caller's `-S` of the whole table, when nothing it lists has changed since.
  const listed = listing !== undefined ? { ok: true, stdout: listing } : await runner.run(bin, ['-w', '-S'], { timeoutMs: 120_000 });
  const want = new Set(wanted.map((w) => `${w.from} ${w.rule.join(' ')}`));
  const chains = new Set<string>();
  for (const line of listed.stdout.split('\n')) {
    const c = /^-[NP] (\S+)/.exec(line)?.[1];
    if (c !== undefined) chains.add(c);
    const m = /^-A (\S+) (.*-j (\S+))$/.exec(line.trim());
    if (!m || ours(m[1]!) || !ours(m[3]!)) continue;
    if (!want.has(`${m[1]!} ${normalizeRule(m[2]!)}`)) out.push(result(await runner.run(bin, ['-w', '-D', m[1]!, ...m[2]!.split(' ')])));
  }
  for (const w of wanted) {
    if (listed.ok && !chains.has(w.from)) {
      if (fam.missingHook === 'error') out.push({ ok: false, exitCode: 1, stderr: `${bin}: chain ${w.from} does not exist (yet): the jump to ${w.rule.at(-1)} goes in when it does` });
      continue;
    }
    if ((await runner.run(bin, ['-w', '-C', w.from, ...w.rule])).ok) continue;
    out.push(result(await runner.run(bin, ['-w', '-I', w.from, '1', ...w.rule])));
  }
  return out;
}

/** Does `bin` have chain `name`? (healthy(): a hook chain still missing is not a repair to make.) */
export async function chainExists(runner: Runner, bin: string, name: string): Promise<boolean> {
  return (await runner.run(bin, ['-w', '-S', name])).ok;
}

// iptables -S prints `-m multiport --dports` after `-p tcp -m tcp`; compare on the parts we write.
function normalizeRule(rule: string): string {
  return rule.replace(/ -m tcp| -m udp| -m sctp/g, '');
}
