import type { CompiledRegex } from './compiled-regex.js';
import { SKIPLINES_GROUP } from './host-tags.js';

/**
 * A failure's values (fail2ban's failure dict) as an array with one slot per
 * group name the filter knows. Objects with names added line by line in
 * varying orders take V8 a generic, slow lookup per access; an array indexed
 * by slot numbers fixed at load is one load each.
 */
export type Slots = Array<string | undefined>;

/** Names fail2ban uses for its own bookkeeping: never reported as fields. */
const INTERNAL = new Set(['ip4', 'ip6', 'dns', 'fid', 'mlfid', 'nofail', 'content', 'mlfforget', 'mlfgained', 'mlfpending', 'cidr', '_sep']);

/** How one regex's match fills the slots. */
export interface FillPlan {
  /** Per named group: its slot, its JS group indices, and whether a non-participating group clears the slot. */
  readonly slot: Int32Array;
  readonly indices: ReadonlyArray<readonly number[]>;
  readonly clears: Uint8Array;
  /** `alt_X` slot -> `X` slot pairs, in fail2ban's order. */
  readonly alt: Int32Array;
}

export class GroupLayout {
  readonly names: string[] = [];
  private readonly slots = new Map<string, number>();
  readonly mlfid: number;
  readonly nofail: number;
  readonly mlfforget: number;
  readonly mlfgained: number;
  readonly mlfpending: number;
  readonly content: number;
  readonly ip4: number;
  readonly ip6: number;
  readonly dns: number;
  readonly fid: number;
  readonly user: number;
  readonly cidr: number;
  /** Slots reported as captured fields. */
  private readonly visible: number[];
  private readonly empty: Slots;

  constructor(regexes: CompiledRegex[]) {
    this.mlfid = this.slotOf('mlfid');
    this.nofail = this.slotOf('nofail');
    this.mlfforget = this.slotOf('mlfforget');
    this.mlfgained = this.slotOf('mlfgained');
    this.mlfpending = this.slotOf('mlfpending');
    this.content = this.slotOf('content');
    this.ip4 = this.slotOf('ip4');
    this.ip6 = this.slotOf('ip6');
    this.dns = this.slotOf('dns');
    this.fid = this.slotOf('fid');
    this.user = this.slotOf('user');
    this.cidr = this.slotOf('cidr');
    for (const rx of regexes) {
      for (const name of rx.namedGroups.keys()) this.slotOf(name);
      for (const [, to] of rx.altPairs) this.slotOf(to);
    }
    this.visible = this.names.map((n, i) => (INTERNAL.has(n) || SKIPLINES_GROUP.test(n) ? -1 : i)).filter((i) => i >= 0);
    this.empty = this.names.map(() => undefined);
  }

  private slotOf(name: string): number {
    let s = this.slots.get(name);
    if (s === undefined) {
      s = this.names.length;
      this.names.push(name);
      this.slots.set(name, s);
    }
    return s;
  }

  get size(): number {
    return this.names.length;
  }

  /**
   * `clearing`: names a non-participating group of this regex sets to None (Python's dict.update).
   * `version`: the version of the regex whose matches the plan reads (CompiledRegex.version).
   */
  plan(rx: CompiledRegex, clearing: ReadonlySet<string> = new Set(), version = 0): FillPlan {
    const entries = [...rx.namedGroupsOf(version)];
    return {
      slot: Int32Array.from(entries.map(([n]) => this.slots.get(n)!)),
      indices: entries.map(([, idx]) => idx),
      clears: Uint8Array.from(entries.map(([n]) => (clearing.has(n) ? 1 : 0))),
      alt: Int32Array.from(rx.altPairs.flatMap(([from, to]) => [this.slots.get(from)!, this.slots.get(to)!])),
    };
  }

  blank(): Slots {
    // Copying a packed template is cheaper than filling a new holey array.
    return this.empty.slice();
  }

  /** Write a match's groups into `out`. */
  fill(plan: FillPlan, m: RegExpExecArray, out: Slots): void {
    const { slot, indices, clears } = plan;
    for (let k = 0; k < slot.length; k++) {
      const idx = indices[k]!;
      // A group only the alternatives left out of a pruned version had: it took no part.
      let v: string | undefined = idx.length === 0 ? undefined : m[idx[0]!];
      for (let j = 1; v === undefined && j < idx.length; j++) v = m[idx[j]!];
      if (v !== undefined || clears[k] === 1) out[slot[k]!] = v;
    }
    const alt = plan.alt;
    for (let k = 0; k < alt.length; k += 2) {
      const v = out[alt[k]!];
      if (v && !out[alt[k + 1]!]) out[alt[k + 1]!] = v;
    }
  }

  /** The captured fields to report (user, custom `<F-…>` groups), plus the CIDR when given. */
  fields(v: Slots): Record<string, string> {
    const out: Record<string, string> = {};
    for (const i of this.visible) {
      const x = v[i];
      if (x !== undefined) out[this.names[i]!] = x;
    }
    const cidr = v[this.cidr];
    if (cidr !== undefined) out['cidr'] = cidr;
    return out;
  }
}
