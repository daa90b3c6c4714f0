import type { Runner } from '../proc/run.js';
import { canonicalTarget, ipFamily } from '../util/ip.js';
import { chainExists, FAMILIES, hooksOf, portMatches, result, syncJumps } from './iptables-common.js';
import { objectName } from './names.js';
import { hooksIn, mergeResults, OK, type Backend, type Change, type FirewallResult, type FirewallState, type Target } from './types.js';

const CHAIN = 'bantop_ipset';
const MAXELEM = 4_194_304;

/** The chain of the rules entered from `hook` (Target.hooks): bantop_ipset from INPUT, bantop_ipset.FORWARD … */
function chainFor(hook: string): string {
  return hook === 'INPUT' ? CHAIN : `${CHAIN}.${hook}`.slice(0, 28);
}

const ours = (c: string) => c === CHAIN || c.startsWith(`${CHAIN}.`);

/** Our chains in an `iptables -S` listing. */
function ourChains(listing: string): string[] {
  return listing.split('\n').map((l) => /^-N (\S+)$/.exec(l.trim())?.[1]).filter((c): c is string => c !== undefined && ours(c));
}

/** `iptables -S` of the whole filter table: read once, for the jumps (syncJumps) and our chains both. */
async function listTable(runner: Runner, bin: string): Promise<string | undefined> {
  const r = await runner.run(bin, ['-w', '-S'], { timeoutMs: 120_000 });
  return r.ok ? r.stdout : undefined;
}

/**
 * ipset + iptables/ip6tables: a `hash:net` set per target and family (it holds
 * single addresses and networks alike), loaded with `ipset restore`, and one
 * rule per set in a `bantop_ipset` chain that INPUT jumps to (targets hooked
 * elsewhere, fail2ban's `chain`, have a chain per hook: bantop_ipset.DOCKER-USER).
 */
export class IpsetBackend implements Backend {
  readonly name = 'ipset';
  private readonly keyOfSet = new Map<string, string>();
  private targets: Target[] = [];

  constructor(private readonly runner: Runner) {}

  private setName(key: string, v: 4 | 6): string {
    const n = objectName(`bt${v}-`, key, 31);
    this.keyOfSet.set(n, key);
    return n;
  }

  async setup(targets: Target[]): Promise<FirewallResult> {
    this.targets = targets;
    const creates = targets.flatMap((t) => ([4, 6] as const).map((v) =>
      `create ${this.setName(t.key, v)} hash:net family ${v === 4 ? 'inet' : 'inet6'} maxelem ${MAXELEM}`));
    const results: FirewallResult[] = [];
    const mk = await this.runner.run('ipset', ['restore', '-exist'], { input: creates.join('\n') + '\n' });
    results.push(result(mk));
    if (!mk.ok) return mergeResults(results);
    const hooks = hooksIn(targets, 'INPUT');
    for (const fam of FAMILIES) {
      // Declaring a chain in a --noflush restore empties and refills just that chain, atomically.
      const lines = hooks.flatMap((h) => [`:${chainFor(h)} - [0:0]`, ...targets.filter((t) => hooksOf(t).includes(h)).flatMap((t) => portMatches(t).map((m) =>
        `-A ${chainFor(h)} ${[...m, '-m', 'set', '--match-set', this.setName(t.key, fam.v), 'src', '-j', 'DROP'].join(' ')}`))]);
      results.push(result(await this.runner.run(fam.restore, ['-w', '--noflush'], { input: `*filter\n${lines.join('\n')}\nCOMMIT\n` })));
      // Listed after the restore, which made the chains of new hooks; the jumps into our chains it left as they were.
      const listing = await listTable(this.runner, fam.bin);
      results.push(...(await syncJumps(this.runner, fam, ours, hooks.map((h) => ({ from: h, rule: ['-j', chainFor(h)] })), listing)));
      // Chains of hooks no longer used: their jumps are gone, so they can go.
      const stale = ourChains(listing ?? '').filter((c) => !hooks.some((h) => chainFor(h) === c));
      if (stale.length) results.push(result(await this.runner.run(fam.restore, ['-w', '--noflush'], { input: `*filter\n${[...stale.map((c) => `-F ${c}`), ...stale.map((c) => `-X ${c}`)].join('\n')}\nCOMMIT\n` })));
    }
    const wanted = new Set(targets.flatMap((t) => [this.setName(t.key, 4), this.setName(t.key, 6)]));
    const names = await this.runner.run('ipset', ['list', '-n']);
    const stale = names.stdout.split('\n').filter((n) => /^bt[46]-/.test(n) && !wanted.has(n));
    if (stale.length) results.push(result(await this.runner.run('ipset', ['restore'], { input: stale.map((n) => `destroy ${n}`).join('\n') + '\n' })));
    return mergeResults(results);
  }

  async apply(changes: Change[]): Promise<FirewallResult> {
    if (changes.length === 0) return OK;
    const lines = changes.map((c) => `${c.op} ${this.setName(c.target, ipFamily(c.ip.split('/')[0]!))} ${c.ip}`);
    // -exist: adding a present or deleting an absent element is not an error, so a batch never fails half-way.
    return result(await this.runner.run('ipset', ['restore', '-exist'], { input: lines.join('\n') + '\n', timeoutMs: 120_000 }));
  }

  async read(): Promise<FirewallState> {
    const st: FirewallState = new Map();
    const r = await this.runner.run('ipset', ['save'], { timeoutMs: 120_000 });
    for (const line of r.stdout.split('\n')) {
      const m = /^add (\S+) (\S+)/.exec(line);
      if (!m) continue;
      const key = this.keyOfSet.get(m[1]!);
      if (key === undefined) continue;
      const ip = canonicalTarget(m[2]!);
      if (!ip) continue;
      let s = st.get(key);
      if (!s) st.set(key, (s = new Set()));
      s.add(ip);
    }
    return st;
  }

  async healthy(): Promise<boolean> {
    const names = new Set((await this.runner.run('ipset', ['list', '-n'])).stdout.split('\n'));
    for (const t of this.targets) for (const v of [4, 6] as const) if (!names.has(this.setName(t.key, v))) return false;
    const hooks = hooksIn(this.targets, 'INPUT');
    for (const fam of FAMILIES) {
      for (const h of hooks) {
        if (!(await this.runner.run(fam.bin, ['-w', '-C', h, '-j', chainFor(h)])).ok && await chainExists(this.runner, fam.bin, h)) return false;
        const rules = (await this.runner.run(fam.bin, ['-w', '-S', chainFor(h)])).stdout.split('\n').filter((l) => l.startsWith('-A ')).length;
        if (rules !== this.targets.filter((t) => hooksOf(t).includes(h)).reduce((n, t) => n + portMatches(t).length, 0)) return false;
      }
    }
    return true;
  }

  async teardown(): Promise<FirewallResult> {
    const results: FirewallResult[] = [];
    for (const fam of FAMILIES) {
      const listing = await listTable(this.runner, fam.bin);
      await syncJumps(this.runner, fam, ours, [], listing);
      for (const c of ourChains(listing ?? '')) {
        await this.runner.run(fam.bin, ['-w', '-F', c]);
        await this.runner.run(fam.bin, ['-w', '-X', c]);
      }
    }
    const names = (await this.runner.run('ipset', ['list', '-n'])).stdout.split('\n').filter((n) => /^bt[46]-/.test(n));
    if (names.length) results.push(result(await this.runner.run('ipset', ['restore'], { input: names.map((n) => `destroy ${n}`).join('\n') + '\n' })));
    return mergeResults(results);
  }

  async close(): Promise<void> {}
}
