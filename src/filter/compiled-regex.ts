import { RegexTranslationError } from '../util/errors.js';
import { budgetedRegExp } from '../util/regex-budget.js';
import { expandRegexTags, fieldGroupName } from './host-tags.js';
import { translatePythonRegex, type TranslatedRegex } from './pyregex.js';

/** A fail2ban regex (tags expanded, Python syntax translated), ready to run. */
export class CompiledRegex {
  readonly re: RegExp;
  private readonly names: Map<string, number[]>;
  private readonly altValues: Array<[from: string, to: string]>;
  private readonly literals: string[] | null;

  readonly flags: string;
  readonly anchored: boolean;
  readonly groupCount: number;
  /** ASCII codes a match can start with (anchored single-line patterns), else null. */
  readonly firstChars: Uint8Array | null;
  /** The first two characters a match can start with, where every match starts with a literal of two or more (pyregex.ts), else null. */
  readonly leadPairs: ReadonlyArray<readonly [number, number]> | null;
  private readonly python: string;
  private readonly multiline: boolean;
  /** Variant pruning (see pruned()): literals that only some alternatives need, and the versions built per absent set. */
  private readonly pruning: {
    literals: string[];
    variants: Array<{ source: string; needs: string[]; groups: [number, number]; refers: boolean }>;
    versions: Array<Version | null | undefined>;
  } | null;
  /**
   * Which version of the regex the last exec() ran: 0 the whole regex, else
   * the set of absent literals that pruned it. Its groups are numbered as
   * namedGroupsOf(version) says.
   */
  version = 0;

  /**
   * This regex for use inside a combined router: without capturing groups when
   * it has no back-references (fewer captures make V8 much faster), numbered
   * from `offset` otherwise.
   */
  routerSource(offset: number): { source: string; groupCount: number } {
    try {
      const t = translatePythonRegex(this.python, { multiline: this.multiline, capture: false, groupOffset: offset });
      return { source: t.source, groupCount: t.groupCount };
    } catch {
      const t = translatePythonRegex(this.python, { multiline: this.multiline, groupOffset: offset });
      return { source: t.source, groupCount: t.groupCount };
    }
  }

  constructor(readonly pattern: string, opts: RegexOptions = {}) {
    const { python, t } = translated(pattern, opts);
    this.python = python;
    this.multiline = opts.multiline ?? false;
    this.flags = t.flags;
    this.anchored = t.anchored;
    this.groupCount = t.groupCount;
    this.re = budgetedRegExp(t.source, t.flags);
    this.names = t.names;
    this.literals = t.literals;
    this.firstChars = t.firstChars;
    this.leadPairs = t.leadPairs;
    this.pruning = null;
    if (t.variants) {
      // Literals every alternative needs prune nothing; at most 4 others keep the versions few.
      const all = t.variants.map((v) => v.needs);
      const lits = [...new Set(all.flat())].filter((l) => !all.every((n) => n.includes(l))).slice(0, 4);
      if (lits.length) this.pruning = { literals: lits, variants: t.variants, versions: [] };
    }
    this.altValues = [...this.names.keys()]
      .map((n) => [n, /^alt_(.*?)(?:_\d+)?$/.exec(n)] as const)
      .filter((x): x is readonly [string, RegExpExecArray] => x[1] !== null && x[1][1] !== '')
      .map(([n, m]): [string, string] => [n, fieldGroupName(m[1]!)])
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /**
   * Translates `pattern` as the constructor does, without building a RegExp
   * (the translation is kept: see translatePythonRegex).
   */
  static pretranslate(pattern: string, opts: RegexOptions = {}): void {
    translated(pattern, opts);
  }

  /**
   * The named groups of `pattern` (tags expanded), as namedGroups gives them,
   * from its translation alone: no RegExp is built, so V8's regex flag is not
   * set yet (util/regex-budget.ts).
   */
  static groupsOf(pattern: string, opts: RegexOptions = {}): ReadonlyMap<string, number[]> {
    return translated(pattern, opts).t.names;
  }

  /** False when the text lacks every literal the regex needs: the exec can be skipped. */
  mayMatch(text: string): boolean {
    const l = this.literals;
    if (l === null) return true;
    for (let i = 0; i < l.length; i++) if (text.includes(l[i]!)) return true;
    return false;
  }


  exec(text: string): RegExpExecArray | null {
    const p = this.pruning;
    let re = this.re;
    let version = 0;
    if (p !== null) {
      let mask = 0;
      for (let i = 0; i < p.literals.length; i++) if (!text.includes(p.literals[i]!)) mask |= 1 << i;
      if (mask !== 0) {
        let v = p.versions[mask];
        if (v === undefined) v = this.pruned(mask);
        if (v === null) return null;
        re = v.re;
        version = mask;
      }
    }
    this.version = version;
    re.lastIndex = 0;
    return re.exec(text);
  }

  /**
   * A conditional expands into alternatives that V8 tries one after another,
   * and a failing one can backtrack long before it fails (sshd's "Failed …"
   * regex: 500 ns a line). An alternative that needs a text the line lacks
   * cannot match, so it is left out, with its groups: V8 builds a string or
   * an empty slot for every group of a match, and sshd's regex has 33 (580
   * against 460 ns a line with only the live alternative's). The order of
   * the alternatives left is kept, so the first that matches is the same.
   * An alternative that refers to a group by number keeps every group in
   * place: the dead ones are replaced by an instant failure instead.
   */
  private pruned(mask: number): Version | null {
    const p = this.pruning!;
    const missing = new Set(p.literals.filter((_, i) => mask & (1 << i)));
    const parts = p.variants.map((v) => ({ v, dead: v.needs.some((l) => missing.has(l)) }));
    let version: Version | null = null;
    if (parts.some((x) => !x.dead)) {
      if (parts.some((x) => x.v.refers)) {
        const re = budgetedRegExp(parts.map(({ v, dead }) => (dead ? `(?:(?!)${v.source})` : `(?:${v.source})`)).join('|'), this.flags);
        version = { re, names: this.names };
      } else {
        const live = parts.filter((x) => !x.dead).map((x) => x.v);
        // Old group number -> new, for the groups of the alternatives left.
        const renumber = new Map<number, number>();
        for (const v of live) for (let g = v.groups[0] + 1; g <= v.groups[1]; g++) renumber.set(g, renumber.size + 1);
        const names = new Map<string, number[]>();
        for (const [name, idx] of this.names) names.set(name, idx.flatMap((i) => renumber.get(i) ?? []));
        version = { re: budgetedRegExp(live.map((v) => `(?:${v.source})`).join('|'), this.flags), names };
      }
    }
    p.versions[mask] = version;
    return version;
  }

  /** Python group name -> JS group indices in a version of the regex (see `version`); a name may have none. */
  namedGroupsOf(version: number): ReadonlyMap<string, number[]> {
    if (version === 0) return this.names;
    const v = this.pruning!.versions[version];
    return (v === undefined ? this.pruned(version) : v)?.names ?? this.names;
  }

  /**
   * The value of a named group in the match the last exec() returned; with
   * repeated names the first that took part. Per-line callers pass the
   * group's indices (from namedGroups) instead of its name.
   */
  group(m: RegExpExecArray, name: string | readonly number[]): string | undefined {
    const idx = typeof name === 'string' ? this.namedGroupsOf(this.version).get(name) : name;
    if (!idx) return undefined;
    for (let k = 0; k < idx.length; k++) {
      const v = m[idx[k]!];
      if (v !== undefined) return v;
    }
    return undefined;
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  /** Python group name -> JS group indices (several where conditional variants repeat a group). */
  get namedGroups(): ReadonlyMap<string, number[]> {
    return this.names;
  }

  /** `alt_user` -> `user` style fallbacks, sorted by group name as fail2ban applies them. */
  get altPairs(): ReadonlyArray<readonly [from: string, to: string]> {
    return this.altValues;
  }
}

export interface RegexOptions {
  multiline?: boolean;
  useDns?: boolean;
}

function translated(pattern: string, opts: RegexOptions): { python: string; t: TranslatedRegex } {
  if (pattern.trim() === '') throw new RegexTranslationError(pattern, 'empty regex');
  const python = expandRegexTags(pattern, { useDns: opts.useDns });
  return { python, t: translatePythonRegex(python, { multiline: opts.multiline }) };
}

/** A pruned version of a regex, and where its named groups are. */
interface Version {
  re: RegExp;
  names: ReadonlyMap<string, number[]>;
}

/**
 * Several anchored failregexes as one RegExp: `(?:re0)()|(?:re1)()|…`. At
 * position 0 the alternatives are tried in order, exactly like trying the
 * regexes one by one, but in one native call. The empty group after each
 * alternative tells which one matched.
 */
export class CombinedRegex {
  readonly re: RegExp;
  private readonly markers: number[];

  constructor(readonly parts: CompiledRegex[]) {
    const markers: number[] = [];
    let offset = 0;
    const sources: string[] = [];
    for (const p of parts) {
      const r = p.routerSource(offset);
      offset += r.groupCount;
      sources.push(`(?:${r.source})()`);
      markers.push(++offset);
    }
    this.re = budgetedRegExp(sources.join('|'), parts[0]?.flags ?? '');
    this.markers = markers;
  }

  /** Regexes can be merged when all are anchored at ^ and share flags. */
  static canCombine(parts: CompiledRegex[]): boolean {
    return parts.length > 1 && parts.every((p) => p.anchored && p.flags === parts[0]!.flags);
  }

  /** The index of the matching regex and its own match (with its groups), or null. */
  exec(text: string): { index: number; m: RegExpExecArray } | null {
    this.re.lastIndex = 0;
    const routed = this.re.exec(text);
    if (!routed) return null;
    for (let i = 0; i < this.markers.length; i++) {
      if (routed[this.markers[i]!] !== undefined) {
        const m = this.parts[i]!.exec(text);
        return m ? { index: i, m } : null;
      }
    }
    return null;
  }
}
