import type { Runner } from '../proc/run.js';
import { canonicalTarget, ipFamily, isNetwork } from '../util/ip.js';
import { objectName } from './names.js';
import { NftSession } from './nft-session.js';
import { formatRanges } from './ports.js';
import { hooksIn, OK, PERMANENT, type Backend, type Change, type FirewallResult, type FirewallState, type Target } from './types.js';

const KINDS = ['4', '6', 'n4', 'n6'] as const;
type Kind = (typeof KINDS)[number];

// Above this many changes a batch goes to a fresh `nft -f -` instead of the session.
const SESSION_MAX = 256;
// Elements per `add element` statement, to keep lines of a big batch reasonable.
const CHUNK = 5000;

interface NftJsonSet {
  set?: { name: string; table: string; elem?: unknown[] };
  chain?: { name: string; table: string };
  rule?: { chain: string };
}

/**
 * nftables: one `table inet bantop`; per target a hash set per family for
 * single addresses and an interval set per family for CIDR bans only (adding to
 * a large interval set is slow), and one drop rule per set in an input chain
 * (and in a forward chain for targets hooked there: Target.hooks).
 */
export class NftablesBackend implements Backend {
  readonly name = 'nftables';
  private readonly table: string;
  private readonly session: NftSession;
  private readonly baseOf = new Map<string, string>();
  private readonly keyOfSet = new Map<string, string>();
  /** The base chains the last setup made (one per hook), and the drop rules it put in them. */
  private hooks: string[] = ['input'];
  private rulesWanted = 0;

  constructor(private readonly runner: Runner, opts: { table?: string } = {}) {
    this.table = opts.table ?? 'bantop';
    this.session = new NftSession(runner);
  }

  private base(key: string): string {
    let b = this.baseOf.get(key);
    if (!b) {
      b = key === PERMANENT ? 'perm' : objectName('j_', key, 200, false);
      this.baseOf.set(key, b);
      for (const k of KINDS) this.keyOfSet.set(`${b}_${k}`, key);
    }
    return b;
  }

  private setFor(key: string, ip: string): string {
    const fam = ipFamily(ip.split('/')[0]!);
    const kind: Kind = isNetwork(ip) ? (fam === 4 ? 'n4' : 'n6') : fam === 4 ? '4' : '6';
    return `${this.base(key)}_${kind}`;
  }

  private async file(cmds: string[]): Promise<FirewallResult> {
    const r = await this.runner.run('nft', ['-f', '-'], { input: cmds.join('\n') + '\n', timeoutMs: 120_000 });
    return { ok: r.ok, exitCode: r.exitCode, stderr: r.stderr };
  }

  private async listTerse(): Promise<NftJsonSet[] | null> {
    const r = await this.runner.run('nft', ['-t', '-j', 'list', 'table', 'inet', this.table]);
    if (!r.ok) return null;
    return (JSON.parse(r.stdout) as { nftables: NftJsonSet[] }).nftables;
  }

  async setup(targets: Target[]): Promise<FirewallResult> {
    const T = `inet ${this.table}`;
    const wanted = new Set<string>();
    // A base chain per hook a target uses (Target.hooks), named after it; input always, for the permanent list.
    const hooks = hooksIn(targets, 'input');
    const cmds = [`add table ${T}`, ...hooks.map((h) => `add chain ${T} ${h} { type filter hook ${h} priority filter - 1; policy accept; }`)];
    const ordered = [...targets].sort((a, b) => Number(b.key === PERMANENT) - Number(a.key === PERMANENT));
    for (const t of ordered) {
      const b = this.base(t.key);
      for (const k of KINDS) {
        wanted.add(`${b}_${k}`);
        const type = k.endsWith('4') ? 'ipv4_addr' : 'ipv6_addr';
        cmds.push(`add set ${T} ${b}_${k} { type ${type};${k.startsWith('n') ? ' flags interval;' : ''} }`);
      }
    }
    for (const h of hooks) cmds.push(`flush chain ${T} ${h}`);
    this.rulesWanted = 0;
    for (const t of ordered) {
      const b = this.base(t.key);
      let l4 = '';
      if (!t.ports.all) {
        const proto = t.protocol === 'all' ? '{ tcp, udp, sctp, udplite }' : t.protocol;
        l4 = `meta l4proto ${proto} th dport { ${formatRanges(t.ports, '-')} } `;
      } else if (t.protocol !== 'all') {
        l4 = `meta l4proto ${t.protocol} `;
      }
      for (const h of t.hooks ?? ['input']) {
        for (const k of KINDS) cmds.push(`add rule ${T} ${h} ${l4}${k.endsWith('4') ? 'ip' : 'ip6'} saddr @${b}_${k} drop`);
        this.rulesWanted += KINDS.length;
      }
    }
    this.hooks = hooks;
    // Chains of hooks no longer used, then sets of jails that are gone: no rule refers to them after the flushes.
    const items = (await this.listTerse()) ?? [];
    for (const item of items) {
      if (item.chain && !hooks.includes(item.chain.name)) cmds.push(`flush chain ${T} ${item.chain.name}`, `delete chain ${T} ${item.chain.name}`);
    }
    for (const item of items) {
      if (item.set && !wanted.has(item.set.name)) cmds.push(`delete set ${T} ${item.set.name}`);
    }
    return this.file(cmds);
  }

  private commands(changes: Change[]): string[] {
    const groups = new Map<string, string[]>();
    for (const c of changes) {
      const g = `${c.op === 'add' ? 'add' : 'delete'} element inet ${this.table} ${this.setFor(c.target, c.ip)}`;
      let list = groups.get(g);
      if (!list) groups.set(g, (list = []));
      list.push(c.ip);
    }
    const cmds: string[] = [];
    // Deletions first, so a target moving between sets never leaves a gap without a rule.
    const keys = [...groups.keys()].sort((a, b) => Number(a.startsWith('add')) - Number(b.startsWith('add')));
    for (const g of keys) {
      const list = groups.get(g)!;
      for (let i = 0; i < list.length; i += CHUNK) cmds.push(`${g} { ${list.slice(i, i + CHUNK).join(', ')} }`);
    }
    return cmds;
  }

  async apply(changes: Change[]): Promise<FirewallResult> {
    if (changes.length === 0) return OK;
    const cmds = this.commands(changes);
    const r = changes.length <= SESSION_MAX ? await this.session.exec(cmds) : await this.file(cmds);
    if (r.ok) return r;
    // One stale element (someone deleted it by hand) fails the whole transaction; redo it against what is there.
    const state = await this.read();
    const needed = changes.filter((c) => state.get(c.target)?.has(c.ip) !== (c.op === 'add'));
    if (needed.length === 0) return OK;
    const again = await this.file(this.commands(needed));
    return again.ok ? again : { ...again, stderr: `${r.stderr}\n${again.stderr}`.trim() };
  }

  async read(): Promise<FirewallState> {
    const state: FirewallState = new Map();
    const r = await this.runner.run('nft', ['-j', 'list', 'table', 'inet', this.table], { timeoutMs: 120_000 });
    if (!r.ok) return state;
    for (const item of (JSON.parse(r.stdout) as { nftables: NftJsonSet[] }).nftables) {
      if (!item.set) continue;
      const key = this.keyOfSet.get(item.set.name) ?? `?${item.set.name}`;
      let set = state.get(key);
      if (!set) state.set(key, (set = new Set()));
      for (const e of item.set.elem ?? []) {
        const text = elemText(e);
        if (text !== null) set.add(text);
      }
    }
    return state;
  }

  async healthy(): Promise<boolean> {
    const items = await this.listTerse();
    if (!items) return this.baseOf.size === 0;
    const sets = new Set(items.filter((i) => i.set).map((i) => i.set!.name));
    const rules = items.filter((i) => i.rule !== undefined && this.hooks.includes(i.rule.chain)).length;
    for (const b of this.baseOf.values()) for (const k of KINDS) if (!sets.has(`${b}_${k}`)) return false;
    return rules === this.rulesWanted;
  }

  async teardown(): Promise<FirewallResult> {
    const r = await this.runner.run('nft', ['delete', 'table', 'inet', this.table]);
    return r.ok || /No such file/.test(r.stderr) ? OK : { ok: false, exitCode: r.exitCode, stderr: r.stderr };
  }

  async close(): Promise<void> {
    this.session.close();
  }
}

function elemText(e: unknown): string | null {
  if (typeof e === 'string') return canonicalTarget(e);
  if (e && typeof e === 'object') {
    const o = e as { prefix?: { addr: string; len: number }; elem?: { val: unknown }; range?: [string, string] };
    if (o.prefix) return canonicalTarget(`${o.prefix.addr}/${o.prefix.len}`);
    if (o.elem) return elemText(o.elem.val);
    if (o.range) return `${o.range[0]}-${o.range[1]}`;
  }
  return null;
}
