/**
 * A target's iptables rules, flat or split into shards.
 *
 * With nftables as iptables' back end, the kernel dumps a chain's rules by
 * walking the chain from its head again for every 32 KB of output, so listing,
 * checking (`-C`) or deleting (`-D`) a rule in one chain of N rules costs N².
 * Measured in a namespace: 100,000 rules took 1.5 s per `-C`, 300,000 took
 * 20 s, and a million would take minutes. Past SHARD_OVER addresses a target
 * therefore keeps its single addresses in SHARDS chains chosen by the
 * address's last byte, entered from the target's chain by a masked match
 * (`-s 0.0.0.7/0.0.0.255 -j bantop-sshd.07`). A million addresses then list in
 * about 6 s and a check or delete takes 10–40 ms. A packet also crosses at most
 * SHARDS jumps and one shard, not every rule. Networks stay in the top chain.
 */
export const SHARDS = 256;
export const SHARD_OVER = 1024;

/** The shard of a single address (its last byte); null for a network, which stays in the top chain. */
export function shardOf(target: string): number | null {
  if (target.includes('/')) return null;
  const dot = target.lastIndexOf('.');
  if (dot >= 0) return Number(target.slice(dot + 1)) & 255;
  const group = target.slice(target.lastIndexOf(':') + 1);
  return group === '' ? 0 : parseInt(group, 16) & 255;
}

/** Shard chain names: the base (a top chain name cut to 25) plus `.xx`, which no top chain name contains. */
export function shardChain(base: string, k: number): string {
  return `${base}.${k.toString(16).padStart(2, '0')}`;
}

export function parseShardChain(chain: string): { base: string; shard: number } | null {
  const m = /^(.+)\.([0-9a-f]{2})$/.exec(chain);
  return m ? { base: m[1]!, shard: parseInt(m[2]!, 16) } : null;
}

/** The masked source match that sends shard k's packets to its chain. */
export function shardMatch(v: 4 | 6, k: number): string {
  return v === 4 ? `0.0.0.${k}/0.0.0.255` : `::${k.toString(16)}/::ff`;
}

/** The rule in a target's top chain that enters shard k. */
function shardJump(top: string, base: string, v: 4 | 6, k: number): string {
  return `-A ${top} -s ${shardMatch(v, k)} -j ${shardChain(base, k)}`;
}

/** What `iptables -S` shows, per chain. */
export interface Listing {
  chains: Set<string>;
  /** chain → the source of each `-s X -j DROP` rule, as printed (`1.2.3.4/32`). */
  drops: Map<string, string[]>;
  /** chain → the chains it jumps to. */
  jumps: Map<string, Set<string>>;
}

export function parseListing(text: string): Listing {
  const out: Listing = { chains: new Set(), drops: new Map(), jumps: new Map() };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('-N ')) {
      out.chains.add(line.slice(3));
      continue;
    }
    const drop = /^-A (\S+) -s (\S+) -j DROP$/.exec(line);
    if (drop) {
      let l = out.drops.get(drop[1]!);
      if (!l) out.drops.set(drop[1]!, (l = []));
      l.push(drop[2]!);
      continue;
    }
    const jump = /^-A (\S+) .*-j (\S+)$/.exec(line);
    if (jump) {
      let s = out.jumps.get(jump[1]!);
      if (!s) out.jumps.set(jump[1]!, (s = new Set()));
      s.add(jump[2]!);
    }
  }
  return out;
}

/**
 * iptables-restore lines (inside `*filter`) that make a target's chains hold
 * exactly `targets`, sharded, in one transaction: declaring a chain under
 * `--noflush` creates or empties it, so there is no moment without the rules.
 */
export function shardedRestoreLines(top: string, base: string, v: 4 | 6, targets: Iterable<string>): string[] {
  const lines = [`:${top} - [0:0]`];
  for (let k = 0; k < SHARDS; k++) lines.push(`:${shardChain(base, k)} - [0:0]`);
  const rules: string[] = [];
  for (const t of targets) {
    const k = shardOf(t);
    if (k === null) lines.push(`-A ${top} -s ${t} -j DROP`);
    else rules.push(`-A ${shardChain(base, k)} -s ${t} -j DROP`);
  }
  for (let k = 0; k < SHARDS; k++) lines.push(shardJump(top, base, v, k));
  for (const r of rules) lines.push(r);
  return lines;
}

/** Lines that add what a sharded target lacks: missing shard chains and jumps to them. */
export function shardRepairLines(top: string, base: string, v: 4 | 6, have: Listing): string[] {
  const lines: string[] = [];
  const jumps = have.jumps.get(top) ?? new Set<string>();
  for (let k = 0; k < SHARDS; k++) {
    const c = shardChain(base, k);
    if (!have.chains.has(c)) lines.push(`:${c} - [0:0]`);
  }
  // Jumps after every declaration: a jump may only name a chain that exists.
  for (let k = 0; k < SHARDS; k++) if (!jumps.has(shardChain(base, k))) lines.push(shardJump(top, base, v, k));
  return lines;
}
