import type { Runner } from '../proc/run.js';
import { formatRanges } from './ports.js';
import type { FirewallResult, Target } from './types.js';

export const FAMILIES = [
  { bin: 'iptables', restore: 'iptables-restore', v: 4 as const },
  { bin: 'ip6tables', restore: 'ip6tables-restore', v: 6 as const },
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

/**
 * Make INPUT jump to exactly `wanted` (rules given as argument lists ending in
 * `-j CHAIN`) among the jumps to chains that are `ours`: missing ones are
 * inserted after a `-C` check, stale ones deleted.
 */
export async function syncJumps(runner: Runner, bin: string, ours: (chain: string) => boolean, wanted: string[][]): Promise<FirewallResult[]> {
  const out: FirewallResult[] = [];
  const listed = await runner.run(bin, ['-w', '-S', 'INPUT']);
  const want = new Set(wanted.map((w) => w.join(' ')));
  for (const line of listed.stdout.split('\n')) {
    const m = /^-A INPUT (.*-j (\S+))$/.exec(line.trim());
    if (!m || !ours(m[2]!)) continue;
    if (!want.has(normalizeRule(m[1]!))) out.push(result(await runner.run(bin, ['-w', '-D', 'INPUT', ...m[1]!.split(' ')])));
  }
  for (const w of wanted) {
    if ((await runner.run(bin, ['-w', '-C', 'INPUT', ...w])).ok) continue;
    out.push(result(await runner.run(bin, ['-w', '-I', 'INPUT', '1', ...w])));
  }
  return out;
}

// iptables -S prints `-m multiport --dports` after `-p tcp -m tcp`; compare on the parts we write.
function normalizeRule(rule: string): string {
  return rule.replace(/ -m tcp| -m udp| -m sctp/g, '');
}
