import { RegexTranslationError } from '../util/errors.js';

/**
 * Python `re` syntax -> JavaScript RegExp.
 *
 * fail2ban filters are written for Python. JavaScript (Node 20) lacks
 * `(?P<n>…)`, `(?P=n)`, conditionals `(?(n)yes|no)`, atomic groups,
 * possessive quantifiers, scoped inline flags, `\A`/`\Z` and `{,n}`. We parse
 * the pattern into a small tree and emit an equivalent JS pattern. Named
 * groups become plain numbered groups with a name -> indices table, because a
 * conditional is translated by expanding the pattern into variants (one per
 * truth assignment of the referenced groups), which repeats group names that
 * JS would reject.
 */

type Node =
  | { t: 'seq'; items: Node[] }
  | { t: 'alt'; branches: Node[] }
  | { t: 'group'; kind: 'cap' | 'noncap' | 'la' | 'nla' | 'lb' | 'nlb' | 'atomic'; name?: string; py?: number; body: Node; ci?: boolean; dotall?: boolean }
  | { t: 'quant'; body: Node; min: number; max: number; lazy: boolean; possessive: boolean }
  | { t: 'atom'; text: string; ci: boolean; dotall: boolean; kind: 'char' | 'class' | 'dot' | 'esc' | 'anchor' }
  | { t: 'backref'; ref: string | number }
  | { t: 'cond'; ref: string | number; yes: Node; no: Node };

export interface TranslatedRegex {
  source: string;
  flags: string;
  /** Python group name -> JS group indices (several when a variant repeats it). */
  names: Map<string, number[]>;
  groupCount: number;
  /**
   * Literal text the pattern cannot match without: at least one of these must
   * occur in the subject (null: no useful literal). A cheap pre-filter.
   */
  literals: string[] | null;
  /** Every alternative starts with `^`: safe to merge with other anchored regexes. */
  anchored: boolean;
  /**
   * For an anchored, single-line pattern: which ASCII characters (by code) a
   * match can start with; null when it may start with anything or match
   * nothing at all. Lets a filter skip regexes that cannot match a line.
   */
  firstChars: Uint8Array | null;
  /**
   * For an anchored, single-line pattern whose every match begins with a
   * literal text of two characters or more: those texts' first two
   * characters (each as two ASCII codes); null when not every match does.
   */
  leadPairs: Array<[number, number]> | null;
  /**
   * The alternatives a conditional was expanded into (null for one), each
   * with the literal texts it cannot match without, all of them; `groups`:
   * its capturing groups are numbered first+1 .. last; `refers`: its source
   * refers to a group by number (a back-reference or an atomic group), so it
   * only works with every group before it in place.
   */
  variants: Array<{ source: string; needs: string[]; groups: [first: number, last: number]; refers: boolean }> | null;
}

interface Flags {
  i: boolean;
  s: boolean;
  m: boolean;
  x: boolean;
}

class Parser {
  private pos = 0;
  private pyGroups = 0;
  readonly global: Flags = { i: false, s: false, m: false, x: false };
  readonly groupsByName = new Map<string, Node & { t: 'group' }>();
  readonly groupsByIndex = new Map<number, Node & { t: 'group' }>();
  hasCond = false;

  constructor(private readonly src: string) {}

  fail(msg: string): never {
    throw new RegexTranslationError(this.src, `${msg} at position ${this.pos}`);
  }

  parse(): Node {
    // Global flags may only lead the pattern in Python 3.11; older filters put them anywhere.
    const lead = /^\(\?([aiLmsux]+)\)/.exec(this.src);
    if (lead) this.applyGlobal(lead[1]!);
    const node = this.parseAlt({ ...this.global });
    if (this.pos < this.src.length) this.fail('unbalanced ")"');
    return node;
  }

  private applyGlobal(letters: string): void {
    for (const c of letters) {
      if (c === 'i') this.global.i = true;
      else if (c === 's') this.global.s = true;
      else if (c === 'm') this.global.m = true;
      else if (c === 'x') this.global.x = true;
      else if (c === 'L') this.fail('the locale flag (?L) is not supported');
    }
  }

  private parseAlt(flags: Flags): Node {
    const branches: Node[] = [this.parseSeq(flags)];
    while (this.src[this.pos] === '|') {
      this.pos++;
      branches.push(this.parseSeq(flags));
    }
    return branches.length === 1 ? branches[0]! : { t: 'alt', branches };
  }

  private parseSeq(flags: Flags): Node {
    const items: Node[] = [];
    while (this.pos < this.src.length) {
      const c = this.src[this.pos]!;
      if (c === '|' || c === ')') break;
      if (flags.x) {
        if (/\s/.test(c)) {
          this.pos++;
          continue;
        }
        if (c === '#') {
          while (this.pos < this.src.length && this.src[this.pos] !== '\n') this.pos++;
          continue;
        }
      }
      const atom = this.parseAtom(flags);
      if (atom === null) continue;
      items.push(this.parseQuant(atom));
    }
    return items.length === 1 ? items[0]! : { t: 'seq', items };
  }

  private parseQuant(atom: Node): Node {
    const s = this.src;
    let min: number;
    let max: number;
    const c = s[this.pos];
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const m = /^\{(\d*)(,?)(\d*)\}/.exec(s.slice(this.pos));
      if (!m || (m[1] === '' && m[3] === '' )) return atom; // a literal "{" in Python too
      min = m[1] === '' ? 0 : Number(m[1]);
      max = m[2] === '' ? min : m[3] === '' ? Infinity : Number(m[3]);
      this.pos += m[0].length - 1;
    } else return atom;
    this.pos++;
    let lazy = false;
    let possessive = false;
    if (s[this.pos] === '?') {
      lazy = true;
      this.pos++;
    } else if (s[this.pos] === '+') {
      possessive = true;
      this.pos++;
    }
    if (atom.t === 'atom' && atom.kind === 'anchor') this.fail('nothing to repeat');
    // Python refuses a repeat of a repeat (`a+*`, `\S+{2}`): in JavaScript it would
    // compile to a nested quantifier that backtracks catastrophically.
    const next = s[this.pos];
    if (next === '*' || next === '+' || next === '?' || (next === '{' && /^\{(?:\d+,?\d*|,\d+)\}/.test(s.slice(this.pos)))) this.fail('multiple repeat');
    return { t: 'quant', body: atom, min, max, lazy, possessive };
  }

  private parseAtom(flags: Flags): Node | null {
    const s = this.src;
    const c = s[this.pos]!;
    if (c === '(') return this.parseGroup(flags);
    if (c === '[') return this.parseClass(flags);
    if (c === '\\') return this.parseEscape(flags);
    this.pos++;
    if (c === '.') return { t: 'atom', text: '.', ci: false, dotall: flags.s, kind: 'dot' };
    if (c === '^' || c === '$') return { t: 'atom', text: c, ci: false, dotall: false, kind: 'anchor' };
    if (c === '*' || c === '+' || c === '?') this.fail('nothing to repeat');
    if (c === '{' || c === '}' || c === ']') return { t: 'atom', text: '\\' + c, ci: false, dotall: false, kind: 'char' };
    return { t: 'atom', text: /[/]/.test(c) ? '\\/' : c, ci: flags.i, dotall: false, kind: 'char' };
  }

  private parseEscape(flags: Flags): Node {
    const s = this.src;
    const next = s[this.pos + 1];
    if (next === undefined) this.fail('pattern ends with a backslash');
    if (next === 'A') {
      this.pos += 2;
      return { t: 'atom', text: '(?<![\\s\\S])', ci: false, dotall: false, kind: 'anchor' };
    }
    if (next === 'Z') {
      this.pos += 2;
      return { t: 'atom', text: '(?![\\s\\S])', ci: false, dotall: false, kind: 'anchor' };
    }
    if (next === 'b' || next === 'B') {
      this.pos += 2;
      return { t: 'atom', text: '\\' + next, ci: false, dotall: false, kind: 'anchor' };
    }
    if (/[1-9]/.test(next)) {
      const m = /^\\([1-9]\d?)/.exec(s.slice(this.pos))!;
      this.pos += m[0].length;
      return { t: 'backref', ref: Number(m[1]) };
    }
    if (next === 'x') {
      const m = /^\\x[0-9a-fA-F]{2}/.exec(s.slice(this.pos));
      if (!m) this.fail('bad \\x escape');
      this.pos += m[0].length;
      return { t: 'atom', text: m[0], ci: flags.i, dotall: false, kind: 'esc' };
    }
    if (next === 'u') {
      const m = /^\\u[0-9a-fA-F]{4}/.exec(s.slice(this.pos));
      if (!m) this.fail('bad \\u escape');
      this.pos += m[0].length;
      return { t: 'atom', text: m[0], ci: flags.i, dotall: false, kind: 'esc' };
    }
    if (next === 'U' || next === 'N') this.fail(`\\${next} escapes are not supported`);
    if (next === '0') {
      const m = /^\\0[0-7]{0,2}/.exec(s.slice(this.pos))!;
      this.pos += m[0].length;
      return { t: 'atom', text: `\\x${parseInt(m[0].slice(1), 8).toString(16).padStart(2, '0')}`, ci: false, dotall: false, kind: 'esc' };
    }
    this.pos += 2;
    return { t: 'atom', text: '\\' + next, ci: flags.i && /[a-zA-Z]/.test(next) === false, dotall: false, kind: 'esc' };
  }

  private parseClass(flags: Flags): Node {
    const s = this.src;
    let i = this.pos + 1;
    let out = '[';
    if (s[i] === '^') {
      out += '^';
      i++;
    }
    // In Python a "]" right after "[" or "[^" is a literal; in JS "[]" is an empty class.
    if (s[i] === ']') {
      out += '\\]';
      i++;
    }
    for (; i < s.length && s[i] !== ']'; i++) {
      const c = s[i]!;
      if (c === '\\') {
        const n = s[i + 1];
        if (n === undefined) break;
        if (n === 'A' || n === 'Z' || n === 'b') {
          out += n === 'b' ? '\\x08' : n;
        } else out += '\\' + n;
        i++;
      } else if (c === '[') out += '\\[';
      else if (c === '/') out += '\\/';
      else out += c;
    }
    if (s[i] !== ']') this.fail('unterminated character class');
    this.pos = i + 1;
    out += ']';
    return { t: 'atom', text: flags.i ? caseFoldClass(out) : out, ci: false, dotall: false, kind: 'class' };
  }

  private parseGroup(outer: Flags): Node | null {
    const s = this.src;
    const rest = s.slice(this.pos);
    let m: RegExpExecArray | null;
    const body = (kind: Exclude<Node & { t: 'group' }, never>['kind'], skip: number, flags: Flags = outer, extra: Partial<Node & { t: 'group' }> = {}) => {
      this.pos += skip;
      const inner = this.parseAlt(flags);
      if (s[this.pos] !== ')') this.fail('missing ")"');
      this.pos++;
      return { t: 'group' as const, kind, body: inner, ...extra };
    };
    if (rest.startsWith('(?#')) {
      const end = s.indexOf(')', this.pos);
      if (end < 0) this.fail('unterminated comment');
      this.pos = end + 1;
      return null;
    }
    if ((m = /^\(\?P<([A-Za-z_]\w*)>/.exec(rest)) || (m = /^\(\?<([A-Za-z_]\w*)>/.exec(rest))) {
      const name = m[1]!;
      const py = ++this.pyGroups;
      const g = body('cap', m[0].length, outer, { name, py }) as Node & { t: 'group' };
      if (this.groupsByName.has(name)) {
        throw new RegexTranslationError(s, `group name "${name}" is used twice`);
      }
      this.groupsByName.set(name, g);
      this.groupsByIndex.set(py, g);
      return g;
    }
    if ((m = /^\(\?P=([A-Za-z_]\w*)\)/.exec(rest))) {
      this.pos += m[0].length;
      return { t: 'backref', ref: m[1]! };
    }
    if ((m = /^\(\?\(([A-Za-z_]\w*|\d+)\)/.exec(rest))) {
      this.pos += m[0].length;
      this.hasCond = true;
      const ref = /^\d+$/.test(m[1]!) ? Number(m[1]) : m[1]!;
      const yes = this.parseSeq(outer);
      let no: Node = { t: 'seq', items: [] };
      if (s[this.pos] === '|') {
        this.pos++;
        no = this.parseSeq(outer);
      }
      if (s[this.pos] === '|') this.fail('a conditional group has more than two branches');
      if (s[this.pos] !== ')') this.fail('missing ")" after conditional');
      this.pos++;
      return { t: 'cond', ref, yes, no };
    }
    if (rest.startsWith('(?:')) return body('noncap', 3);
    if (rest.startsWith('(?=')) return body('la', 3);
    if (rest.startsWith('(?!')) return body('nla', 3);
    if (rest.startsWith('(?<=')) return body('lb', 4);
    if (rest.startsWith('(?<!')) return body('nlb', 4);
    if (rest.startsWith('(?>')) return body('atomic', 3);
    if ((m = /^\(\?([aiLmsux]*)(?:-([imsx]+))?:/.exec(rest))) {
      const on = m[1]!;
      const off = m[2] ?? '';
      const flags = { ...outer };
      for (const c of on) if (c === 'i' || c === 's' || c === 'm' || c === 'x') flags[c] = true;
      for (const c of off) if (c === 'i' || c === 's' || c === 'm' || c === 'x') flags[c] = false;
      if (off.includes('i') && this.global.i) this.fail('(?-i:…) inside a case-insensitive pattern cannot be expressed');
      if (flags.m !== this.global.m) this.fail('scoped (?m:…) is not supported');
      return body('noncap', m[0].length, flags);
    }
    if ((m = /^\(\?([aiLmsux]+)\)/.exec(rest))) {
      // Global flags not at the start: Python < 3.11 applied them to the whole pattern.
      if (this.pos !== 0) this.applyGlobal(m[1]!);
      this.pos += m[0].length;
      if (m[1]!.includes('x')) outer.x = true;
      return null;
    }
    if (rest.startsWith('(?')) this.fail(`unknown group construct "${rest.slice(0, 4)}"`);
    const py = ++this.pyGroups;
    const g = body('cap', 1, outer, { py }) as Node & { t: 'group' };
    this.groupsByIndex.set(py, g);
    return g;
  }
}

function caseFoldClass(cls: string): string {
  // Add the other case of every letter and letter range, so `[a-f]` under (?i:) stays right.
  const neg = cls.startsWith('[^');
  const inner = cls.slice(neg ? 2 : 1, -1);
  let extra = '';
  const rangeRe = /([a-zA-Z])-([a-zA-Z])/g;
  let m: RegExpExecArray | null;
  while ((m = rangeRe.exec(inner))) extra += `${swapCase(m[1]!)}-${swapCase(m[2]!)}`;
  const noRanges = inner.replace(rangeRe, '').replace(/\\./g, '');
  for (const c of noRanges) if (/[a-zA-Z]/.test(c)) extra += swapCase(c);
  return `[${neg ? '^' : ''}${inner}${extra}]`;
}

function swapCase(c: string): string {
  return c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
}

// ---- conditional expansion -------------------------------------------------

type Assignment = Map<Node, boolean>;

function contains(node: Node, target: Node): boolean {
  if (node === target) return true;
  switch (node.t) {
    case 'seq':
      return node.items.some((n) => contains(n, target));
    case 'alt':
      return node.branches.some((n) => contains(n, target));
    case 'group':
    case 'quant':
      return contains(node.body, target);
    case 'cond':
      return contains(node.yes, target) || contains(node.no, target);
    default:
      return false;
  }
}

const IMPOSSIBLE = Symbol('impossible');

/** Specialise the tree for one assignment of "did group G take part". */
function restrict(node: Node, a: Assignment, resolve: (ref: string | number) => Node): Node | typeof IMPOSSIBLE {
  const required = [...a].filter(([g, on]) => on && contains(node, g)).map(([g]) => g);
  switch (node.t) {
    case 'atom':
    case 'backref':
      return node;
    case 'cond': {
      const g = resolve(node.ref);
      const on = a.get(g);
      if (on === undefined) throw new Error('unassigned conditional');
      return restrict(on ? node.yes : node.no, a, resolve);
    }
    case 'seq': {
      const items: Node[] = [];
      for (const it of node.items) {
        const r = restrict(it, a, resolve);
        if (r === IMPOSSIBLE) return IMPOSSIBLE;
        items.push(r);
      }
      return { t: 'seq', items };
    }
    case 'alt': {
      const branches: Node[] = [];
      for (const b of node.branches) {
        if (required.some((g) => !contains(b, g))) continue;
        const r = restrict(b, a, resolve);
        if (r !== IMPOSSIBLE) branches.push(r);
      }
      if (branches.length === 0) return IMPOSSIBLE;
      return branches.length === 1 ? branches[0]! : { t: 'alt', branches };
    }
    case 'group': {
      if (a.get(node) === false) return IMPOSSIBLE;
      const body = restrict(node.body, a, resolve);
      if (body === IMPOSSIBLE) return IMPOSSIBLE;
      return { ...node, body };
    }
    case 'quant': {
      const body = restrict(node.body, a, resolve);
      if (body === IMPOSSIBLE) return node.min === 0 ? { t: 'seq', items: [] } : IMPOSSIBLE;
      const min = required.length > 0 ? Math.max(1, node.min) : node.min;
      return { ...node, body, min };
    }
  }
}

/** Whether a group's participation can be forced by the tree shape alone. */
function checkControllable(root: Node, g: Node, src: string): 'set-first' | 'unset-first' {
  let pref: 'set-first' | 'unset-first' | undefined;
  const walk = (n: Node): boolean => {
    if (n === g) return true;
    switch (n.t) {
      case 'seq':
        return n.items.some(walk);
      case 'alt':
        for (let i = 0; i < n.branches.length; i++) {
          if (walk(n.branches[i]!)) {
            pref ??= i === 0 ? 'set-first' : 'unset-first';
            return true;
          }
        }
        return false;
      case 'group':
        if (n.kind !== 'cap' && n.kind !== 'noncap' && walk(n.body)) {
          throw new RegexTranslationError(src, 'a conditional refers to a group inside a lookaround or atomic group');
        }
        return walk(n.body);
      case 'quant':
        if (walk(n.body)) {
          if (n.max > 1) throw new RegexTranslationError(src, 'a conditional refers to a group inside a repetition');
          pref ??= n.lazy ? 'unset-first' : 'set-first';
          return true;
        }
        return false;
      case 'cond':
        return walk(n.yes) || walk(n.no);
      default:
        return false;
    }
  };
  walk(root);
  return pref ?? 'set-first';
}

// ---- literal pre-filter ------------------------------------------------------

const MIN_LITERAL = 3;

function literalChar(n: Node): string | null {
  if (n.t !== 'atom') return null;
  if (n.kind === 'char' && !n.ci) return n.text.length === 2 && n.text[0] === '\\' ? n.text[1]! : n.text;
  if (n.kind === 'esc' && /^\\[^A-Za-z0-9]$/.test(n.text)) return n.text[1]!;
  return null;
}

function anyOf(lists: Array<string[] | null>): string[] | null {
  if (lists.some((l) => l === null)) return null;
  return [...new Set(lists.flat() as string[])];
}

/** Every literal run (2+ characters) that a match must contain, from the parts that cannot be skipped. */
function mandatoryLiterals(n: Node): string[] {
  const out: string[] = [];
  const walk = (x: Node): void => {
    switch (x.t) {
      case 'seq': {
        let run = '';
        const flush = () => {
          if (run.length >= 2) out.push(run);
          run = '';
        };
        for (const item of x.items) {
          const c = literalChar(item);
          if (c !== null) run += c;
          else {
            flush();
            walk(item);
          }
        }
        flush();
        return;
      }
      case 'group':
        if (x.kind === 'cap' || x.kind === 'noncap' || x.kind === 'atomic') walk(x.body);
        return;
      case 'quant':
        if (x.min >= 1) walk(x.body);
        return;
      default:
        return;
    }
  };
  walk(n);
  return [...new Set(out)];
}

/** What any match must contain, as alternatives; null when nothing useful is certain. */
function requiredLiterals(n: Node): string[] | null {
  switch (n.t) {
    case 'alt':
      return anyOf(n.branches.map(requiredLiterals));
    case 'group':
      return n.kind === 'cap' || n.kind === 'noncap' || n.kind === 'atomic' ? requiredLiterals(n.body) : null;
    case 'quant':
      return n.min >= 1 ? requiredLiterals(n.body) : null;
    case 'seq': {
      let best: string[] | null = null;
      const score = (l: string[]) => Math.min(...l.map((x) => x.length)) - (l.length - 1) * 2;
      const consider = (l: string[] | null) => {
        if (l && l.length && l.every((x) => x.length >= MIN_LITERAL) && (!best || score(l) > score(best))) best = l;
      };
      let run = '';
      for (const item of n.items) {
        const c = literalChar(item);
        if (c !== null) {
          run += c;
          continue;
        }
        consider([run]);
        run = '';
        if (item.t !== 'atom') consider(requiredLiterals(item));
      }
      consider([run]);
      return best;
    }
    case 'atom': {
      const c = literalChar(n);
      return c !== null && c.length >= MIN_LITERAL ? [c] : null;
    }
    default:
      return null;
  }
}

// ---- literal start ------------------------------------------------------------

/** Texts a match of a node begins with ('' among them: nothing certain), and whether it is exactly one of them. */
interface Lead {
  texts: string[];
  complete: boolean;
}

const NO_LEAD: Lead = { texts: [''], complete: false };
/** Beyond this many texts the start is left unknown. */
const MAX_LEADS = 16;

function leadOf(n: Node): Lead {
  switch (n.t) {
    case 'atom': {
      if (n.kind === 'anchor') return n.text === '^' ? { texts: [''], complete: true } : NO_LEAD;
      const c = literalChar(n);
      return c === null ? NO_LEAD : { texts: [c], complete: true };
    }
    case 'group':
      return n.kind === 'cap' || n.kind === 'noncap' || n.kind === 'atomic' ? leadOf(n.body) : NO_LEAD;
    case 'quant': {
      if (n.min < 1) return NO_LEAD;
      const l = leadOf(n.body);
      return { texts: l.texts, complete: l.complete && n.min === 1 && n.max === 1 };
    }
    case 'seq': {
      let texts = [''];
      for (const item of n.items) {
        const l = leadOf(item);
        const next = texts.flatMap((a) => l.texts.map((b) => a + b));
        // Two characters are all the router reads: stop once every text has them.
        if (next.length > MAX_LEADS) return { texts, complete: false };
        texts = next;
        if (!l.complete || texts.every((t) => t.length >= 2)) return { texts, complete: l.complete && item === n.items[n.items.length - 1] };
      }
      return { texts, complete: true };
    }
    case 'alt': {
      const ls = n.branches.map(leadOf);
      const texts = [...new Set(ls.flatMap((l) => l.texts))];
      return texts.length > MAX_LEADS ? NO_LEAD : { texts, complete: ls.every((l) => l.complete) };
    }
    default:
      return NO_LEAD;
  }
}

function leadPairsOf(variants: Node[]): Array<[number, number]> | null {
  const texts = variants.flatMap((v) => leadOf(v).texts);
  if (texts.some((t) => t.length < 2 || t.charCodeAt(0) > 127 || t.charCodeAt(1) > 127)) return null;
  const pairs = new Map(texts.map((t) => [t.slice(0, 2), [t.charCodeAt(0), t.charCodeAt(1)] as [number, number]]));
  return [...pairs.values()];
}

// ---- first-character set ------------------------------------------------------

interface FirstSet {
  /** 1 for each ASCII code a match can start with here. */
  chars: Uint8Array;
  /** This node can match the empty string, so what follows it may come first. */
  nullable: boolean;
}

/**
 * The ASCII characters that can begin a match of an anchored pattern. Each
 * atom is tested as JavaScript would run it on every ASCII character, so
 * classes, escapes and case-insensitivity need no second interpretation here.
 * Lookarounds and anchors count as empty: ignoring a constraint only widens
 * the set, which keeps the answer safe.
 */
function firstCharsOf(variants: Node[], flags: string): Uint8Array | null {
  const em = new Emitter('', 0, false);
  const probeFlags = flags.replace('m', '');
  const atomCache = new Map<string, FirstSet>();
  const empty = (): FirstSet => ({ chars: new Uint8Array(128), nullable: true });
  const all = (): FirstSet => ({ chars: new Uint8Array(128).fill(1), nullable: true });
  const union = (into: Uint8Array, from: Uint8Array) => {
    for (let i = 0; i < 128; i++) into[i]! |= from[i]!;
  };
  const atom = (n: Node & { t: 'atom' }): FirstSet => {
    if (n.kind === 'anchor') return empty();
    const text = em.emit(n);
    const hit = atomCache.get(text);
    if (hit) return hit;
    const re = new RegExp(`^(?:${text})`, probeFlags);
    const fs: FirstSet = { chars: new Uint8Array(128), nullable: false };
    for (let c = 0; c < 128; c++) {
      const m = re.exec(String.fromCharCode(c) + 'x');
      if (!m) continue;
      if (m[0].length === 0) return all();
      fs.chars[c] = 1;
    }
    atomCache.set(text, fs);
    return fs;
  };
  const walk = (n: Node): FirstSet => {
    switch (n.t) {
      case 'atom':
        return atom(n);
      case 'backref':
        return all();
      case 'seq': {
        const acc = empty();
        for (const item of n.items) {
          const fs = walk(item);
          union(acc.chars, fs.chars);
          if (!fs.nullable) return { chars: acc.chars, nullable: false };
        }
        return acc;
      }
      case 'alt': {
        const acc: FirstSet = { chars: new Uint8Array(128), nullable: false };
        for (const b of n.branches) {
          const fs = walk(b);
          union(acc.chars, fs.chars);
          acc.nullable ||= fs.nullable;
        }
        return acc;
      }
      case 'group':
        return n.kind === 'cap' || n.kind === 'noncap' || n.kind === 'atomic' ? walk(n.body) : empty();
      case 'quant': {
        if (n.max === 0) return empty();
        const fs = walk(n.body);
        return { chars: fs.chars, nullable: fs.nullable || n.min === 0 };
      }
      case 'cond': {
        const y = walk(n.yes);
        const no = walk(n.no);
        const chars = new Uint8Array(128);
        union(chars, y.chars);
        union(chars, no.chars);
        return { chars, nullable: y.nullable || no.nullable };
      }
    }
  };
  const out = new Uint8Array(128);
  for (const v of variants) {
    const fs = walk(v);
    // A pattern that can match the empty line gives no constraint.
    if (fs.nullable) return null;
    union(out, fs.chars);
  }
  return out;
}

// ---- emission -----------------------------------------------------------------

class Emitter {
  group: number;
  /** Back-references and atomic groups emitted so far (both name a group by its number). */
  refs = 0;
  readonly names = new Map<string, number[]>();
  private pyToJs = new Map<number, number>();
  private nameToJs = new Map<string, number>();

  /**
   * `numbered`: Python group numbers that a numeric back-reference uses. Other
   * unnamed groups are emitted without capturing: fail2ban reads named groups
   * only, and every capture costs V8 time and a string per match.
   */
  constructor(private readonly src: string, offset = 0, private readonly capture = true, private readonly numbered?: ReadonlySet<number>) {
    this.group = offset;
  }

  emit(n: Node): string {
    switch (n.t) {
      case 'atom':
        if (n.kind === 'dot') return n.dotall ? '[\\s\\S]' : '[^\\n]';
        if (n.kind === 'char' && n.ci && /[a-zA-Z]/.test(n.text)) return `[${n.text}${swapCase(n.text)}]`;
        return n.text;
      case 'backref': {
        if (!this.capture) throw new RegexTranslationError(this.src, 'a back-reference needs capturing groups');
        const idx = typeof n.ref === 'number' ? this.pyToJs.get(n.ref) : this.nameToJs.get(n.ref);
        if (idx === undefined) throw new RegexTranslationError(this.src, `back-reference to unknown group ${n.ref}`);
        this.refs++;
        // A following digit would be read as part of the number, so wrap it.
        return `(?:\\${idx})`;
      }
      case 'seq':
        return n.items.map((i) => this.emit(i)).join('');
      case 'alt':
        return n.branches.map((b) => this.emit(b)).join('|');
      case 'cond':
        throw new Error('conditional left after expansion');
      case 'group': {
        switch (n.kind) {
          case 'cap': {
            if (!this.capture) return `(?:${this.emit(n.body)})`;
            if (n.name === undefined && this.numbered && !(n.py !== undefined && this.numbered.has(n.py))) return `(?:${this.emit(n.body)})`;
            const idx = ++this.group;
            if (n.py !== undefined) this.pyToJs.set(n.py, idx);
            if (n.name !== undefined) {
              this.nameToJs.set(n.name, idx);
              const list = this.names.get(n.name) ?? [];
              list.push(idx);
              this.names.set(n.name, list);
            }
            return `(${this.emit(n.body)})`;
          }
          case 'noncap':
            return `(?:${this.emit(n.body)})`;
          case 'la':
            return `(?=${this.emit(n.body)})`;
          case 'nla':
            return `(?!${this.emit(n.body)})`;
          case 'lb':
            return `(?<=${this.emit(n.body)})`;
          case 'nlb':
            return `(?<!${this.emit(n.body)})`;
          case 'atomic': {
            // JS has no atomic groups; a capturing lookahead plus a back-reference behaves the same.
            const idx = ++this.group;
            this.refs++;
            return `(?=(${this.emit(n.body)}))\\${idx}`;
          }
        }
      }
      // falls through (unreachable)
      case 'quant': {
        if (n.t !== 'quant') throw new Error('unreachable');
        const body = this.emitQuantBody(n.body);
        const q = n.min === 0 && n.max === Infinity ? '*'
          : n.min === 1 && n.max === Infinity ? '+'
          : n.min === 0 && n.max === 1 ? '?'
          : n.max === Infinity ? `{${n.min},}`
          : n.min === n.max ? `{${n.min}}`
          : `{${n.min},${n.max}}`;
        if (n.possessive) {
          const idx = ++this.group;
          return `(?=(${body}${q}))\\${idx}`;
        }
        return body + q + (n.lazy ? '?' : '');
      }
    }
  }

  private emitQuantBody(n: Node): string {
    const text = this.emit(n);
    if (n.t === 'group' || (n.t === 'atom' && (n.kind !== 'anchor' || text.length === 2))) return text;
    return `(?:${text})`;
  }
}

function startsAnchored(n: Node): boolean {
  switch (n.t) {
    case 'atom':
      return n.kind === 'anchor' && n.text === '^';
    case 'seq':
      return n.items.length > 0 && startsAnchored(n.items[0]!);
    case 'alt':
      return n.branches.every(startsAnchored);
    case 'group':
      return (n.kind === 'cap' || n.kind === 'noncap') && startsAnchored(n.body);
    default:
      return false;
  }
}

export interface TranslateOptions {
  multiline?: boolean;
  groupOffset?: number;
  capture?: boolean;
}

/**
 * `groupOffset`: number the groups from offset+1, so the pattern can be
 * embedded after others in one combined RegExp (back-references follow).
 *
 * Translations are kept (the last TRANSLATIONS_KEPT of them), and the result
 * is shared: callers only read it. The parallel `bantop regex` translates its
 * filter's regexes while its worker boots, and builds the RegExps only once
 * the worker has booted (util/regex-budget.ts); translating is most of a
 * filter's build (20 of 25-30 ms for Debian's sshd, in code V8 has not
 * compiled yet). A pattern that fails is translated, and fails, again.
 */
export function translatePythonRegex(pattern: string, opts: TranslateOptions = {}): TranslatedRegex {
  const key = `${opts.multiline ? 1 : 0}${opts.capture === false ? 0 : 1}${opts.groupOffset ?? 0}\u0000${pattern}`;
  let t = translations.get(key);
  if (t === undefined) {
    t = translate(pattern, opts);
    if (translations.size >= TRANSLATIONS_KEPT) translations.delete(translations.keys().next().value!);
    translations.set(key, t);
  }
  return t;
}

const translations = new Map<string, TranslatedRegex>();
/** Dozens of regexes make a filter; a daemon's jails share most of theirs. */
const TRANSLATIONS_KEPT = 512;

/** The translations kept, for another thread to start with (keepTranslations). */
export function translationsKept(): Array<[string, TranslatedRegex]> {
  return [...translations];
}

/** Keeps translations another thread made (translationsKept): translating a pattern gives the same in any thread. */
export function keepTranslations(list: ReadonlyArray<[string, TranslatedRegex]>): void {
  for (const [key, t] of list) if (translations.size < TRANSLATIONS_KEPT && !translations.has(key)) translations.set(key, t);
}

function translate(pattern: string, opts: TranslateOptions): TranslatedRegex {
  const p = new Parser(pattern);
  const root = p.parse();
  const flags = (p.global.i ? 'i' : '') + (opts.multiline || p.global.m ? 'm' : '');
  let variants: Node[] = [root];
  if (p.hasCond) {
    const resolve = (ref: string | number): Node => {
      const g = typeof ref === 'number' ? p.groupsByIndex.get(ref) : p.groupsByName.get(ref);
      if (!g) throw new RegexTranslationError(pattern, `conditional refers to unknown group ${ref}`);
      return g;
    };
    const refs: Node[] = [];
    const collect = (n: Node): void => {
      if (n.t === 'cond') {
        const g = resolve(n.ref);
        if (!refs.includes(g)) refs.push(g);
        collect(n.yes);
        collect(n.no);
      } else if (n.t === 'seq') n.items.forEach(collect);
      else if (n.t === 'alt') n.branches.forEach(collect);
      else if (n.t === 'group' || n.t === 'quant') collect(n.body);
    };
    collect(root);
    if (refs.length > 4) throw new RegexTranslationError(pattern, 'more than 4 groups are tested by conditionals');
    // Order groups by where they appear, so the variants come in Python's backtracking order.
    refs.sort((x, y) => pattern.indexOf(groupText(x)) - pattern.indexOf(groupText(y)));
    const prefs = refs.map((g) => checkControllable(root, g, pattern));
    variants = [];
    for (let mask = 0; mask < 1 << refs.length; mask++) {
      const a: Assignment = new Map();
      refs.forEach((g, i) => {
        const bit = (mask >> (refs.length - 1 - i)) & 1;
        a.set(g, prefs[i] === 'set-first' ? bit === 0 : bit === 1);
      });
      const r = restrict(root, a, resolve);
      if (r !== IMPOSSIBLE) variants.push(r);
    }
    if (variants.length === 0) throw new RegexTranslationError(pattern, 'no variant of the conditionals can match');
  }
  const numbered = new Set<number>();
  const findNumbered = (n: Node): void => {
    if (n.t === 'backref' && typeof n.ref === 'number') numbered.add(n.ref);
    else if (n.t === 'seq') n.items.forEach(findNumbered);
    else if (n.t === 'alt') n.branches.forEach(findNumbered);
    else if (n.t === 'group' || n.t === 'quant') findNumbered(n.body);
  };
  variants.forEach(findNumbered);
  const em = new Emitter(pattern, opts.groupOffset ?? 0, opts.capture ?? true, numbered);
  const variantGroups: Array<{ groups: [number, number]; refers: boolean }> = [];
  const variantSources = variants.map((v) => {
    const [first, refs] = [em.group, em.refs];
    const src = em.emit(v);
    variantGroups.push({ groups: [first, em.group], refers: em.refs > refs });
    return src;
  });
  const source = variants.length === 1 ? variantSources[0]! : variantSources.map((v) => `(?:${v})`).join('|');
  try {
    new RegExp(opts.groupOffset ? `${'()'.repeat(opts.groupOffset)}${source}` : source, flags);
  } catch (e) {
    throw new RegexTranslationError(pattern, `the translated pattern is not valid JavaScript: ${(e as Error).message}`);
  }
  const lits = flags.includes('i') ? null : anyOf(variants.map(requiredLiterals));
  const anchored = variants.every(startsAnchored);
  const firstChars = anchored && !flags.includes('m') ? firstCharsOf(variants, flags) : null;
  const leadPairs = firstChars !== null && !flags.includes('i') ? leadPairsOf(variants) : null;
  const variantInfo = variants.length > 1 && !flags.includes('i')
    ? variants.map((v, i) => ({ source: variantSources[i]!, needs: mandatoryLiterals(v), ...variantGroups[i]! }))
    : null;
  return { source, flags, names: em.names, groupCount: em.group - (opts.groupOffset ?? 0), literals: lits, anchored, firstChars, leadPairs, variants: variantInfo };

  function groupText(g: Node): string {
    return g.t === 'group' && g.name ? `(?P<${g.name}>` : '';
  }
}
