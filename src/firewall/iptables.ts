import type { Runner } from '../proc/run.js';
import { canonicalTarget, ipFamily } from '../util/ip.js';
import { chainExists, FAMILIES, hooksOf, portMatches, result, syncJumps, type Family } from './iptables-common.js';
import { parseListing, parseShardChain, SHARD_OVER, SHARDS, shardChain, shardedRestoreLines, shardOf, shardRepairLines, type Listing } from './iptables-shards.js';
import { objectName } from './names.js';
import { mergeResults, OK, type Backend, type Change, type FirewallResult, type FirewallState, type Target } from './types.js';

const PREFIX = 'bantop-';
// Past this many changes, one iptables-restore beats a -C/-I pair per address.
const RESTORE_OVER = 32;
/**
 * Deleting d of a sharded target's n rules costs about d × (n / 256) rule visits
 * (0.09 µs each, measured at a million); rewriting it costs (n - d) rules
 * restored (16 µs each): the rewrite wins when d × n > (n - d) × 256 × 16 / 0.09.
 */
const REWRITE_RATIO = 45_000;
const LONG = { timeoutMs: 600_000 };

/** What bantop knows of one target's chains in one family. */
interface Layout {
  sharded: boolean;
  count: number;
}

/**
 * iptables chains, fail2ban's `f2b-<jail>` layout: a `bantop-<jail>` chain per
 * target with one DROP rule per address, entered from INPUT for the jail's
 * ports (or from the chains it hooks: Target.hooks, fail2ban's `chain`). A target past SHARD_OVER addresses is split into shard chains (see
 * iptables-shards.ts). Every insert is checked first (`-C`), so a rule is never
 * duplicated.
 */
export class IptablesBackend implements Backend {
  readonly name = 'iptables';
  private readonly keyOfChain = new Map<string, string>();
  private readonly keyOfBase = new Map<string, string>();
  private readonly layouts = new Map<string, Layout>();
  private targets: Target[] = [];

  constructor(private readonly runner: Runner) {}

  private chain(key: string): string {
    const c = objectName(PREFIX, key, 28);
    this.keyOfChain.set(c, key);
    return c;
  }

  /** Shard names must fit iptables' 28 characters with `.xx` added. */
  private base(key: string): string {
    const b = objectName(PREFIX, key, 25);
    this.keyOfBase.set(b, key);
    return b;
  }

  /** The key a chain of ours belongs to (a top chain or a shard), if it is one of the current targets'. */
  private keyOf(chain: string): string | undefined {
    const top = this.keyOfChain.get(chain);
    if (top !== undefined) return top;
    const s = parseShardChain(chain);
    return s ? this.keyOfBase.get(s.base) : undefined;
  }

  private layout(bin: string, key: string): Layout {
    const id = `${bin}\u0000${key}`;
    let l = this.layouts.get(id);
    if (!l) this.layouts.set(id, (l = { sharded: false, count: 0 }));
    return l;
  }

  private async list(bin: string, chain?: string): Promise<Listing & { ok: boolean; text: string }> {
    const r = await this.runner.run(bin, chain ? ['-w', '-S', chain] : ['-w', '-S'], { timeoutMs: 120_000 });
    return { ...parseListing(r.stdout), ok: r.ok, text: r.stdout };
  }

  private restore(fam: Family, lines: string[]): Promise<FirewallResult> {
    return this.runner.run(fam.restore, ['-w', '--noflush'], { input: `*filter\n${lines.join('\n')}\nCOMMIT\n`, ...LONG }).then(result);
  }

  /** Remove chains in one transaction: all emptied first, so jumps between them never block a delete. */
  private drop(fam: Family, chains: string[]): Promise<FirewallResult> {
    return this.restore(fam, [...chains.map((c) => `-F ${c}`), ...chains.map((c) => `-X ${c}`)]);
  }

  async setup(targets: Target[]): Promise<FirewallResult> {
    this.targets = targets;
    const results: FirewallResult[] = [];
    for (const fam of FAMILIES) {
      const have = await this.list(fam.bin);
      const shardedBases = new Set([...have.chains].map((c) => parseShardChain(c)?.base));
      const repair: string[] = [];
      for (const t of targets) {
        const top = this.chain(t.key);
        const base = this.base(t.key);
        if (!have.chains.has(top)) repair.push(`:${top} - [0:0]`);
        const lay = this.layout(fam.bin, t.key);
        lay.sharded = shardedBases.has(base);
        lay.count = this.countIn(have, t.key);
        if (lay.sharded) repair.push(...shardRepairLines(top, base, fam.v, have));
      }
      if (repair.length) results.push(await this.restore(fam, repair));
      // The listing above serves: the repair touched only our own chains, not the jumps into them (listing a
      // million rules again took 1.7 s of a 4 s set-up at 300,000).
      results.push(...(await syncJumps(this.runner, fam, (c) => c.startsWith(PREFIX),
        targets.flatMap((t) => hooksOf(t).flatMap((from) => portMatches(t).map((m) => ({ from, rule: [...m, '-j', this.chain(t.key)] })))),
        have.ok ? have.text : undefined)));
      const wanted = new Set(targets.map((t) => t.key));
      const stale = [...have.chains].filter((c) => c.startsWith(PREFIX) && !wanted.has(this.keyOf(c) ?? '\u0000'));
      if (stale.length) results.push(await this.drop(fam, stale));
    }
    return mergeResults(results);
  }

  private countIn(have: Listing, key: string): number {
    let n = 0;
    for (const [chain, drops] of have.drops) if (this.keyOf(chain) === key) n += drops.length;
    return n;
  }

  private famFor(ip: string): Family {
    return ipFamily(ip.split('/')[0]!) === 4 ? FAMILIES[0]! : FAMILIES[1]!;
  }

  /** The chain a target's address lives in under its current layout. */
  private home(bin: string, key: string, ip: string): string {
    const k = this.layout(bin, key).sharded ? shardOf(ip) : null;
    return k === null ? this.chain(key) : shardChain(this.base(key), k);
  }

  async apply(changes: Change[]): Promise<FirewallResult> {
    if (changes.length === 0) return OK;
    const results: FirewallResult[] = [];
    for (const fam of FAMILIES) {
      const byKey = new Map<string, Change[]>();
      for (const c of changes) {
        if (this.famFor(c.ip) !== fam) continue;
        let l = byKey.get(c.target);
        if (!l) byKey.set(c.target, (l = []));
        l.push(c);
      }
      for (const [key, list] of byKey) {
        const lay = this.layout(fam.bin, key);
        const adds = list.reduce((n, c) => n + (c.op === 'add' ? 1 : 0), 0);
        const dels = list.length - adds;
        if (!lay.sharded && lay.count + adds > SHARD_OVER) results.push(await this.reshard(fam, key, list));
        // Each -D walks its shard (a million addresses: 4,000 rules a shard, 0.35 ms a delete), while a rewrite
        // restores what stays at about 16 µs a rule: past the point where the deletes cost more, the target's chains
        // are declared again holding only what stays (unban --all of a million: one restore of the empty shards).
        else if (lay.sharded && dels > RESTORE_OVER && dels * lay.count > Math.max(0, lay.count - dels) * REWRITE_RATIO) results.push(await this.reshard(fam, key, list));
        else if (list.length > RESTORE_OVER) results.push(await this.batch(fam, key, list));
        else results.push(...(await this.oneByOne(fam, key, list)));
      }
    }
    return mergeResults(results);
  }

  /** The addresses a target holds in one family, read from the kernel. */
  private async contents(fam: Family, key: string): Promise<Set<string>> {
    const have = this.layout(fam.bin, key).sharded ? await this.list(fam.bin) : await this.list(fam.bin, this.chain(key));
    return this.addresses(have).get(key) ?? new Set();
  }

  /** The addresses each current target holds in a listing, from its chains' DROP rules. */
  private addresses(have: Listing, into: FirewallState = new Map()): FirewallState {
    for (const [chain, drops] of have.drops) {
      const key = this.keyOf(chain);
      if (key === undefined) continue;
      let s = into.get(key);
      if (!s) into.set(key, (s = new Set()));
      for (const d of drops) {
        const t = canonicalTarget(d);
        if (t) s.add(t);
      }
    }
    return into;
  }

  /** Rewrite a target as shards holding its addresses with `changes` applied, in one transaction. */
  private async reshard(fam: Family, key: string, changes: Change[]): Promise<FirewallResult> {
    const want = await this.contents(fam, key);
    for (const c of changes) want[c.op === 'add' ? 'add' : 'delete'](c.ip);
    const r = await this.restore(fam, shardedRestoreLines(this.chain(key), this.base(key), fam.v, want));
    if (r.ok) Object.assign(this.layout(fam.bin, key), { sharded: true, count: want.size });
    return r;
  }

  private async batch(fam: Family, key: string, changes: Change[]): Promise<FirewallResult> {
    const have = await this.contents(fam, key);
    const lines: string[] = [];
    for (const c of changes) {
      const present = have.has(c.ip);
      const chain = this.home(fam.bin, key, c.ip);
      if (c.op === 'add' && !present) lines.push(`-I ${chain} -s ${c.ip} -j DROP`);
      if (c.op === 'del' && present) lines.push(`-D ${chain} -s ${c.ip} -j DROP`);
      have[c.op === 'add' ? 'add' : 'delete'](c.ip);
    }
    if (lines.length === 0) return OK;
    const r = await this.restore(fam, lines);
    if (r.ok) this.layout(fam.bin, key).count = have.size;
    return r;
  }

  private async oneByOne(fam: Family, key: string, changes: Change[]): Promise<FirewallResult[]> {
    const results: FirewallResult[] = [];
    const lay = this.layout(fam.bin, key);
    for (const c of changes) {
      const chain = this.home(fam.bin, key, c.ip);
      const rule = ['-s', c.ip, '-j', 'DROP'];
      const exists = (await this.runner.run(fam.bin, ['-w', '-C', chain, ...rule])).ok;
      if (c.op === 'add' && !exists) {
        const r = result(await this.runner.run(fam.bin, ['-w', '-I', chain, '1', ...rule]));
        if (r.ok) lay.count++;
        results.push(r);
      }
      if (c.op === 'del' && exists) {
        const r = result(await this.runner.run(fam.bin, ['-w', '-D', chain, ...rule]));
        if (r.ok) lay.count--;
        results.push(r);
      }
    }
    return results;
  }

  async read(): Promise<FirewallState> {
    const st: FirewallState = new Map();
    for (const fam of FAMILIES) {
      const have = await this.list(fam.bin);
      this.addresses(have, st);
      for (const t of this.targets) this.layout(fam.bin, t.key).count = this.countIn(have, t.key);
    }
    return st;
  }

  /** Each target's chain lists on its own (a sharded one with all its jumps), and INPUT (or its hooks) still enter it. */
  async healthy(): Promise<boolean> {
    for (const fam of FAMILIES) {
      for (const t of this.targets) {
        const top = this.chain(t.key);
        const have = await this.list(fam.bin, top);
        if (!have.ok) return false;
        if (this.layout(fam.bin, t.key).sharded && (have.jumps.get(top)?.size ?? 0) < SHARDS) return false;
        for (const from of hooksOf(t)) {
          for (const m of portMatches(t)) {
            if (!(await this.runner.run(fam.bin, ['-w', '-C', from, ...m, '-j', top])).ok && await chainExists(this.runner, fam.bin, from)) return false;
          }
        }
      }
    }
    return true;
  }

  async teardown(): Promise<FirewallResult> {
    const results: FirewallResult[] = [];
    for (const fam of FAMILIES) {
      results.push(...(await syncJumps(this.runner, fam, (c) => c.startsWith(PREFIX), [])));
      const ours = [...(await this.list(fam.bin)).chains].filter((c) => c.startsWith(PREFIX));
      if (ours.length) results.push(await this.drop(fam, ours));
    }
    this.layouts.clear();
    return mergeResults(results);
  }

  async close(): Promise<void> {}
}
