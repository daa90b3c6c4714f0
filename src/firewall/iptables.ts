import type { Runner } from '../proc/run.js';
import { canonicalTarget, ipFamily } from '../util/ip.js';
import { FAMILIES, portMatches, result, syncJumps } from './iptables-common.js';
import { objectName } from './names.js';
import { mergeResults, OK, type Backend, type Change, type FirewallResult, type FirewallState, type Target } from './types.js';

const PREFIX = 'bantop-';
// Past this many changes, one iptables-restore beats a -C/-I pair per address.
const RESTORE_OVER = 32;

/**
 * iptables chains, fail2ban's `f2b-<jail>` layout: a `bantop-<jail>` chain per
 * target with one DROP rule per address, entered from INPUT for the jail's
 * ports. Every insert is checked first (`-C`), so a rule is never duplicated.
 */
export class IptablesBackend implements Backend {
  readonly name = 'iptables';
  private readonly keyOfChain = new Map<string, string>();
  private targets: Target[] = [];

  constructor(private readonly runner: Runner) {}

  private chain(key: string): string {
    const c = objectName(PREFIX, key, 28);
    this.keyOfChain.set(c, key);
    return c;
  }

  async setup(targets: Target[]): Promise<FirewallResult> {
    this.targets = targets;
    const results: FirewallResult[] = [];
    for (const fam of FAMILIES) {
      const existing = await this.chains(fam.bin);
      for (const t of targets) {
        if (!existing.has(this.chain(t.key))) results.push(result(await this.runner.run(fam.bin, ['-w', '-N', this.chain(t.key)])));
      }
      results.push(...(await syncJumps(this.runner, fam.bin, (c) => c.startsWith(PREFIX), targets.flatMap((t) => portMatches(t).map((m) => [...m, '-j', this.chain(t.key)])))));
      const wanted = new Set(targets.map((t) => this.chain(t.key)));
      for (const c of existing) {
        if (wanted.has(c)) continue;
        await this.runner.run(fam.bin, ['-w', '-F', c]);
        results.push(result(await this.runner.run(fam.bin, ['-w', '-X', c])));
      }
    }
    return mergeResults(results);
  }

  private async chains(bin: string): Promise<Set<string>> {
    const r = await this.runner.run(bin, ['-w', '-S']);
    const out = new Set<string>();
    for (const line of r.stdout.split('\n')) {
      const m = /^-N (\S+)$/.exec(line.trim());
      if (m && m[1]!.startsWith(PREFIX)) out.add(m[1]!);
    }
    return out;
  }

  private binFor(ip: string): string {
    return ipFamily(ip.split('/')[0]!) === 4 ? 'iptables' : 'ip6tables';
  }

  async apply(changes: Change[]): Promise<FirewallResult> {
    if (changes.length === 0) return OK;
    const results: FirewallResult[] = [];
    if (changes.length > RESTORE_OVER) {
      const have = await this.read();
      for (const fam of FAMILIES) {
        const lines: string[] = [];
        for (const c of changes) {
          if (this.binFor(c.ip) !== fam.bin) continue;
          const present = have.get(c.target)?.has(c.ip) ?? false;
          if (c.op === 'add' && !present) lines.push(`-I ${this.chain(c.target)} -s ${c.ip} -j DROP`);
          if (c.op === 'del' && present) lines.push(`-D ${this.chain(c.target)} -s ${c.ip} -j DROP`);
          have.get(c.target)?.[c.op === 'add' ? 'add' : 'delete'](c.ip);
        }
        if (lines.length) results.push(result(await this.runner.run(fam.restore, ['-w', '--noflush'], { input: `*filter\n${lines.join('\n')}\nCOMMIT\n`, timeoutMs: 600_000 })));
      }
      return mergeResults(results);
    }
    for (const c of changes) {
      const rule = [this.chain(c.target), '-s', c.ip, '-j', 'DROP'];
      const bin = this.binFor(c.ip);
      const exists = (await this.runner.run(bin, ['-w', '-C', ...rule])).ok;
      if (c.op === 'add' && !exists) results.push(result(await this.runner.run(bin, ['-w', '-I', ...rule.slice(0, 1), '1', ...rule.slice(1)])));
      if (c.op === 'del' && exists) results.push(result(await this.runner.run(bin, ['-w', '-D', ...rule])));
    }
    return mergeResults(results);
  }

  async read(): Promise<FirewallState> {
    const st: FirewallState = new Map();
    for (const fam of FAMILIES) {
      const r = await this.runner.run(fam.bin, ['-w', '-S'], { timeoutMs: 120_000 });
      for (const line of r.stdout.split('\n')) {
        const m = /^-A (\S+) -s (\S+) -j DROP$/.exec(line.trim());
        if (!m) continue;
        const key = this.keyOfChain.get(m[1]!);
        const ip = canonicalTarget(m[2]!);
        if (key === undefined || !ip) continue;
        let s = st.get(key);
        if (!s) st.set(key, (s = new Set()));
        s.add(ip);
      }
    }
    return st;
  }

  async healthy(): Promise<boolean> {
    for (const fam of FAMILIES) {
      const chains = await this.chains(fam.bin);
      for (const t of this.targets) {
        if (!chains.has(this.chain(t.key))) return false;
        for (const m of portMatches(t)) if (!(await this.runner.run(fam.bin, ['-w', '-C', 'INPUT', ...m, '-j', this.chain(t.key)])).ok) return false;
      }
    }
    return true;
  }

  async teardown(): Promise<FirewallResult> {
    const results: FirewallResult[] = [];
    for (const fam of FAMILIES) {
      results.push(...(await syncJumps(this.runner, fam.bin, (c) => c.startsWith(PREFIX), [])));
      for (const c of await this.chains(fam.bin)) {
        await this.runner.run(fam.bin, ['-w', '-F', c]);
        results.push(result(await this.runner.run(fam.bin, ['-w', '-X', c])));
      }
    }
    return mergeResults(results);
  }

  async close(): Promise<void> {}
}
