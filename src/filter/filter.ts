import { canonicalV4, isPeerAddress, normalizeIp } from '../util/ip.js';
import { CombinedRegex, CompiledRegex } from './compiled-regex.js';
import { DateDetector, dateMatchToTime, isNoDatePattern, type DateMatch } from './dates.js';
import { FirstCharRouter } from './first-char-router.js';
import { GroupLayout, type FillPlan, type Slots } from './group-layout.js';
import { SKIPLINES_GROUP } from './host-tags.js';
import { SessionCache } from './session-cache.js';

/** What a filter needs, already read from config (see config/filter-def.ts). */
export interface FilterSpec {
  name: string;
  failregex: string[];
  ignoreregex: string[];
  prefregex?: string | undefined;
  datepattern: string[];
  maxlines: number;
  maxlinelen: number;
  useDns: boolean;
  /** The jail's logtimezone in minutes east of UTC: the zone of dates that give none (absent: local time). */
  logtimezone?: number | undefined;
}

export interface Failure {
  /** The failure id: the host as written, or the `<F-ID>` value. */
  host: string;
  /** The normalised address, or null for a host name or a non-IP id. */
  ip: string | null;
  /** Epoch ms: the line's date, or the time it was read. */
  time: number;
  /** Whether `time` came from the line (false: the time it was read). */
  dated: boolean;
  /** Captured fields (user, …) without fail2ban's internal groups. */
  fields: Record<string, string>;
  /** `host` is an `<F-ID>` value, not a host name: never resolved. */
  isId: boolean;
  failregexIndex: number;
  /** The text the failregex matched: the part of the line the TUI highlights. */
  match: string;
}

export type LineVerdict =
  | { kind: 'failure'; failure: Failure }
  | { kind: 'ignored'; reason: 'ignoreregex' | 'nofail' | 'gained' | 'nohost' }
  | { kind: 'missed' }
  | { kind: 'skipped'; reason: 'binary' | 'invalid-address' };

export interface FilterStats {
  lines: number;
  matched: number;
  ignored: number;
  missed: number;
  truncated: number;
  binary: number;
  invalidAddress: number;
}

export function emptyStats(): FilterStats {
  return { lines: 0, matched: 0, ignored: 0, missed: 0, truncated: 0, binary: 0, invalidAddress: 0 };
}

/**
 * The parts of the last failure scan() found, from which failure() builds it.
 * A class whose number fields hold non-integers from the start: an address
 * above 2^30 or a time in ms is no small integer, and a field that changes
 * representation gives the object a new shape. Each new filter (the parallel
 * scan makes one per chunk) then started with the old shape, and V8 threw
 * away the optimised code of every function that relied on the field.
 */
class LastFailure {
  values: Slots | undefined = undefined;
  host = '';
  isId = false;
  /** The address group as written, if any. */
  addr: string | undefined = undefined;
  /** `addr` as a number when it is a canonical dotted quad, else -1. */
  v4 = Number.NaN;
  date: DateMatch | null = null;
  readTime = Number.NaN;
  /** The line's time was its own (Filter.stamped): `readTime` is its date. */
  stamped = false;
  index = -1;
  match = '';
}

/** One `<F-MLFID>` session: the values its lines captured, and the user names tried in it. */
interface Session {
  values: Slots;
  /** One name until a second one shows up (most sessions try one user). */
  users: string | Set<string> | undefined;
  expires: number;
}

/**
 * One filter instance: lines go through it in order, so multi-line state
 * (the `maxlines` buffer and the `<F-MLFID>` session cache) is kept.
 */
export class Filter {
  readonly stats: FilterStats = emptyStats();
  /**
   * Lines each regex took, as fail2ban-regex counts its hits: failregex i at
   * [i] (a match the ignoreregexes let through, failure or not), then
   * ignoreregex j at [failregex count + j] (the first that matched a line),
   * then, where the filter has one, the prefregex (the lines it matched),
   * then each date format (the lines it read: dateLabels).
   */
  readonly hits: number[];
  private readonly fail: CompiledRegex[];
  private readonly combined: CombinedRegex | undefined;
  /** The failregexes a line can match, in order (all of them where no first character is known). */
  private readonly router: FirstCharRouter;
  private readonly ignore: CompiledRegex[];
  /** The ignoreregexes are also tried on every line before anything else (fail2ban's rule: see ignoredFirst()). */
  private readonly ignoreFirst: boolean;
  private readonly pref: CompiledRegex | undefined;
  private readonly dates: DateDetector;
  private readonly multiline: boolean;
  private buffer: string[] = [];
  private readonly sessions = new SessionCache<Session>();
  private readonly layout: GroupLayout;
  private readonly prefPlan: FillPlan | undefined;
  /** The JS group indices of the prefregex's `<F-CONTENT>`. */
  private readonly prefContent: readonly number[];
  /** The prefregex ends in `<F-CONTENT>.+</F-CONTENT>$`: the content is the rest of the line after its match (restOfLine()). */
  private readonly prefRest: boolean;
  /** Per failregex, its plans by version (CompiledRegex.version), made when a version first matches. */
  private readonly failPlans: FillPlan[][];
  private readonly prefNames: ReadonlySet<string>;
  private readonly last = new LastFailure();
  /** The caller vouches that the next line holds no NUL (its reader checked a whole read at once). */
  nulFree = false;
  /**
   * The lines come with their own time (journal entries): no date is looked
   * for in them, the time given is theirs, and the whole line is the text the
   * regexes see, as fail2ban hands its systemd backend's lines over. A date in
   * a message (text a program, or an attacker, chose) never stands for the
   * entry's.
   */
  stamped = false;

  constructor(readonly spec: FilterSpec, compiled?: Filter) {
    if (compiled !== undefined) {
      // The same compiled regexes and templates, with state of its own.
      this.multiline = compiled.multiline;
      this.fail = compiled.fail;
      this.router = compiled.router;
      this.combined = compiled.combined;
      this.ignore = compiled.ignore;
      this.ignoreFirst = compiled.ignoreFirst;
      this.pref = compiled.pref;
      this.layout = compiled.layout;
      this.prefPlan = compiled.prefPlan;
      this.prefContent = compiled.prefContent;
      this.prefRest = compiled.prefRest;
      this.failPlans = compiled.failPlans;
      this.prefNames = compiled.prefNames;
      this.dates = compiled.dates.fresh();
      this.hits = compiled.hits.map(() => 0);
      this.dates.countInto(this.hits, this.dateHitsAt);
      return;
    }
    const { fail, ignore, pref, prefRest, opts: o } = regexesOf(spec);
    this.multiline = o.multiline;
    this.fail = fail.map((r) => new CompiledRegex(r, o));
    this.router = new FirstCharRouter(this.fail);
    // Multi-line anchored regexes have no first character to route by; one combined RegExp tries them in order.
    this.combined = !FirstCharRouter.useful(this.fail) && CombinedRegex.canCombine(this.fail) ? new CombinedRegex(this.fail) : undefined;
    this.ignore = ignore.map((r) => new CompiledRegex(r, o));
    this.ignoreFirst = ignoredFirst(ignore.length, fail.length);
    this.hits = new Array<number>(fail.length + ignore.length + (pref === undefined ? 0 : 1)).fill(0);
    this.prefRest = prefRest;
    this.pref = pref !== undefined ? new CompiledRegex(pref, o) : undefined;
    this.layout = new GroupLayout(this.pref ? [this.pref, ...this.fail] : this.fail);
    this.prefPlan = this.pref ? this.layout.plan(this.pref) : undefined;
    this.prefContent = this.pref?.namedGroups.get('content') ?? [];
    // A failregex group that shares a prefregex group's name replaces it even when empty, as dict.update() does.
    this.prefNames = new Set(this.pref?.namedGroups.keys() ?? []);
    this.failPlans = this.fail.map((rx) => [this.layout.plan(rx, this.prefNames)]);
    const noDate = spec.datepattern.length === 1 && isNoDatePattern(spec.datepattern[0]!);
    this.dates = noDate ? DateDetector.none() : new DateDetector(spec.datepattern);
    for (let i = 0; i < this.dates.size; i++) this.hits.push(0);
    this.dates.countInto(this.hits, this.dateHitsAt);
  }

  /** Where the prefregex's hits are (Filter.hits): after the failregexes' and the ignoreregexes'. */
  private get prefHitsAt(): number {
    return this.fail.length + this.ignore.length;
  }

  /** Where the date formats' hits begin (Filter.hits): after the prefregex's, where there is one. */
  private get dateHitsAt(): number {
    return this.prefHitsAt + (this.pref === undefined ? 0 : 1);
  }

  /** Whether the filter looks for dates in its lines (not with datepattern {NONE}, whose lines all take the time they are read). */
  get readsDates(): boolean {
    return this.dates.size > 0;
  }

  /** The date formats as fail2ban-regex names them, in the order of their hits (hitsByKind().dates). */
  get dateLabels(): string[] {
    return this.dates.labels;
  }

  /**
   * Translates the regexes of a filter for `spec` as building it does, without
   * building a RegExp, so that building it afterwards takes a few ms (see
   * translatePythonRegex). A regex that does not translate is left for the
   * build to report.
   */
  static pretranslate(spec: FilterSpec): void {
    const { fail, ignore, pref, opts } = regexesOf(spec);
    for (const r of pref === undefined ? [...fail, ...ignore] : [...fail, ...ignore, pref]) {
      try {
        CompiledRegex.pretranslate(r, opts);
      } catch {
        // The build reports it.
      }
    }
  }

  /**
   * A filter as this one was before its first line: the compiled regexes are
   * shared (building them costs ~20 ms), nothing of its state is.
   */
  fresh(): Filter {
    return new Filter(this.spec, this);
  }

  /** The date formats tried first are `other`'s (a filter of the same compiled regexes): see DateDetector.tryFirstLike(). */
  datesLike(other: Filter): void {
    this.dates.tryFirstLike(other.dates);
  }

  /**
   * Everything that carries from one line to the next and can change a later
   * result, as text: two filters with the same fingerprint give the same
   * results from here on (the parallel `bantop regex` relies on it).
   */
  fingerprint(): string {
    const sessions = this.sessions.list().map(([k, s]) => [k, s.values, typeof s.users === 'object' ? [...s.users].sort() : s.users ?? null, s.expires]);
    return JSON.stringify([this.dates.state, this.buffer, sessions]);
  }

  /** Feed one line (without its newline). `readTime` is used when the line has no date. */
  processLine(rawLine: string, readTime: number): LineVerdict {
    const k = this.scan(rawLine, readTime);
    return k === LineKind.Failure ? { kind: 'failure', failure: this.failure() } : VERDICTS[k]!;
  }

  /**
   * Feed one line, as processLine() does, and say only what it was. A
   * failure's details stay with the filter until the next line: failure()
   * builds them. `bantop regex` counts a million lines without building an
   * object, a date or a normalised address for each failure it only counts.
   */
  scan(rawLine: string, readTime: number): LineKind {
    // The lines before this one that are still waiting in the multi-line buffer (less the oldest, when it is full:
    // that one leaves anyway). See countTaken().
    const waiting = this.multiline ? this.buffer.slice(this.buffer.length >= this.spec.maxlines ? 1 : 0) : null;
    const k = this.classify(rawLine, readTime);
    const st = this.stats;
    if (waiting !== null && waiting.length > 0) this.countTaken(waiting);
    // A failure whose host comes on a later line of its session is a match to fail2ban-regex, which counts
    // what a failregex found, ban or not (its -o row, and the engine, act on the hosts: Failure lines only).
    const as = countedAs(k);
    if (as === 'matched') st.matched++;
    else if (as === 'ignored') st.ignored++;
    else {
      st.missed++;
      if (k === LineKind.SkippedBinary) st.binary++;
      else if (k === LineKind.SkippedInvalid) st.invalidAddress++;
    }
    return k;
  }

  /**
   * A line that was counted missed when it came and has now left the buffer
   * early took part in this line's match: it counts as matched, as
   * fail2ban-regex counts it (guacamole's two-line failures: 6 lines matched
   * of 7, not 3).
   */
  private countTaken(waiting: string[]): void {
    for (const l of waiting) {
      if (!this.buffer.includes(l)) {
        this.stats.matched++;
        this.stats.missed--;
        this.onTaken?.(this.rawOf?.get(l) ?? l);
      }
    }
  }

  /** Told of each line countTaken() moves from missed to matched, as read (`bantop regex`'s line lists). */
  onTaken: ((line: string) => void) | null = null;
  /** For onTaken: the line as read, by its text in the buffer (its date cut out); made at the first line kept. */
  private rawOf: Map<string, string> | null = null;

  private keepRaw(text: string, raw: string): void {
    const m = (this.rawOf ??= new Map());
    // The buffer holds maxlines lines: the newest entries cover them, the oldest go.
    m.delete(text);
    m.set(text, raw);
    if (m.size > 4 * this.spec.maxlines + 64) m.delete(m.keys().next().value!);
  }

  /** The failure id of the line scan() just called a failure: the host as written, or the `<F-ID>` value. */
  get failureHost(): string {
    return this.last.host;
  }

  /** The failure's address as a number when its id is a canonical dotted quad, else -1 (for counting without the text). */
  get failureV4(): number {
    return this.last.isId ? -1 : this.last.v4;
  }

  /** The line scan() just called a failure, in full. */
  failure(): Failure {
    const f = this.last;
    const L = this.layout;
    const v = f.values!;
    const ip = f.addr !== undefined ? normalizeIp(f.addr) : f.isId ? normalizeIp(f.host) : null;
    const t = f.date ? dateMatchToTime(f.date, f.readTime, this.spec.logtimezone) : null;
    return { host: f.host, ip, time: t ?? f.readTime, dated: t !== null || f.stamped, fields: L.fields(v), isId: f.isId, failregexIndex: f.index, match: f.match };
  }

  private classify(rawLine: string, readTime: number): LineKind {
    this.stats.lines++;
    let line = rawLine;
    if (line.length > this.spec.maxlinelen) {
      line = line.slice(0, this.spec.maxlinelen);
      this.stats.truncated++;
    }
    if (!this.nulFree && line.includes('\u0000')) return LineKind.SkippedBinary;
    // Not endsWith('\r'): a builtin call that cost 1% of `bantop regex` (valgrind's count, 200,000 sshd lines).
    if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);

    const dm = this.stamped ? null : this.dates.find(line);
    let text = line;
    if (dm) text = dm.start === 0 ? line.slice(dm.end) : line.slice(0, dm.start) + line.slice(dm.end);

    let subject = text;
    if (this.multiline) {
      if (this.onTaken !== null) this.keepRaw(text, rawLine);
      this.buffer.push(text);
      if (this.buffer.length > this.spec.maxlines) this.buffer.shift();
      subject = this.buffer.join('\n');
    }

    if (this.ignoreFirst && this.ignoredBy(subject)) return LineKind.IgnoredByRegex;

    // Fields of the prefregex are only gathered for lines that turn out to match.
    let pm: RegExpExecArray | null = null;
    let content = subject;
    if (this.pref) {
      pm = this.pref.exec(subject);
      if (!pm) return LineKind.Missed;
      this.hits[this.prefHitsAt]!++;
      // An empty content replaces nothing, as in fail2ban.
      content = this.prefRest ? subject.slice(pm.index + pm[0].length) : this.pref.group(pm, this.prefContent) || subject;
    }

    const hit = this.findFailure(content);
    if (!hit) return LineKind.Missed;
    // The ignoreregexes see what the failregex saw: on one line, the prefregex's content; on several, the
    // lines the match took (less the date), which leave the buffer either way.
    const split = this.multiline ? this.splitBuffer(subject, content, hit.m, hit.index) : null;
    if (split !== null) this.buffer = split.kept;
    if (this.ignore.length > 0 && this.ignoredBy(split === null ? content : split.taken.join('\n'))) return LineKind.IgnoredByRegex;
    this.hits[hit.index]!++;
    // fail2ban's failure dict: the prefregex's groups (without the content), then the failregex's over them.
    const L = this.layout;
    let v = L.blank();
    if (pm && this.prefPlan) {
      L.fill(this.prefPlan, pm, v);
      v[L.content] = undefined;
    }
    L.fill(this.planOf(hit.index), hit.m, v);
    const mlfid = v[L.mlfid];
    if (mlfid !== undefined) {
      v = this.mergeSession(mlfid, v, readTime);
      if (v[L.nofail]) return v[L.mlfgained] ? LineKind.IgnoredGained : LineKind.IgnoredNoFail;
    }
    // The failure id: an `<F-ID>` where the filter captures one, else the host as written.
    const fid = v[L.fid];
    const rawHost = fid ?? v[L.ip4] ?? v[L.ip6] ?? v[L.dns];
    if (rawHost === undefined) {
      // A failure whose host comes on a later line of the session (fail2ban's "pending").
      if (mlfid !== undefined) v[L.mlfpending] = '1';
      return LineKind.IgnoredNoHost;
    }
    if (v[L.nofail]) return LineKind.IgnoredNoFail;
    const addr = v[L.ip4] ?? v[L.ip6];
    let v4 = -1;
    if (addr !== undefined) {
      // Almost every address is a canonical dotted quad: checked as a number. Any address is normalised only when reported.
      v4 = canonicalV4(addr);
      // The unspecified address is never a peer: a log that names it is broken or forged.
      if (v4 === 0 || (v4 < 0 && !isPeerAddress(addr))) return LineKind.SkippedInvalid;
    } else {
      const dns = v[L.dns];
      // "1.2.3" or "10.1.1.1.5" is a broken address, not a host name: the resolver would
      // read "1.2.3" as 1.2.0.3 and ban an address the log never named.
      if (dns !== undefined && NUMERIC_NAME.test(dns)) return LineKind.SkippedInvalid;
    }
    const f = this.last;
    f.values = v;
    f.host = rawHost;
    f.isId = fid !== undefined;
    f.addr = addr;
    f.v4 = v4;
    // The date is only read when the failure is reported.
    f.date = dm;
    f.readTime = readTime;
    f.stamped = this.stamped;
    f.index = hit.index;
    f.match = hit.m[0];
    return LineKind.Failure;
  }

  private ignoredBy(text: string): boolean {
    const ignore = this.ignore;
    for (let j = 0; j < ignore.length; j++) {
      if (ignore[j]!.exec(text) !== null) {
        this.hits[this.fail.length + j]!++;
        return true;
      }
    }
    return false;
  }

  /** How the match failregex `i` just returned fills the slots (its groups are numbered by the version that ran). */
  private planOf(i: number): FillPlan {
    const plans = this.failPlans[i]!;
    const version = this.fail[i]!.version;
    return plans[version] ?? (plans[version] = this.layout.plan(this.fail[i]!, this.prefNames, version));
  }

  /** The first failregex that matches, in order, as fail2ban tries them. */
  private findFailure(content: string): { index: number; m: RegExpExecArray } | null {
    if (this.combined) return this.combined.exec(content);
    const list = this.router.candidates(content);
    for (let k = 0; k < list.length; k++) {
      const i = list[k]!;
      const rx = this.fail[i]!;
      if (!rx.mayMatch(content)) continue;
      const m = rx.exec(content);
      if (m) return { index: i, m };
    }
    return null;
  }

  /**
   * The buffer split by a multi-line match, as fail2ban splits it: the lines
   * it took are every line from the one the match starts in to the one it
   * ends in, less those `<SKIPLINES>` passed over (in order, by their text);
   * those stay in the buffer for later matches, after the lines before the
   * match and before the lines after it.
   */
  private splitBuffer(subject: string, content: string, m: RegExpExecArray, index: number): { taken: string[]; kept: string[] } {
    if (this.buffer.length <= 1) return { taken: this.buffer, kept: [] };
    const offset = subject.indexOf(content);
    const start = (offset < 0 ? 0 : offset) + m.index;
    const end = start + m[0].length;
    const firstChar = subject.lastIndexOf('\n', start) + 1;
    const nl = subject.indexOf('\n', end - 1);
    const lastChar = nl < 0 ? subject.length : nl + 1;
    let first = 0;
    let last = 0;
    for (let i = 0; i < lastChar; i++) {
      if (subject.charCodeAt(i) !== 10) continue;
      if (i < firstChar) first++;
      last++;
    }
    if (nl < 0) last = this.buffer.length;
    const taken = this.buffer.slice(first, last);
    const kept = this.buffer.slice(0, first);
    let from = 0;
    for (const skipped of this.skippedLines(m, index)) {
      const at = taken.indexOf(skipped, from);
      if (at < 0) continue;
      kept.push(taken.splice(at, 1)[0]!);
      from = at;
    }
    kept.push(...this.buffer.slice(last));
    return { taken, kept };
  }

  /** The lines the `<SKIPLINES>` of failregex `index` passed over in match `m`. */
  private skippedLines(m: RegExpExecArray, index: number): string[] {
    const out: string[] = [];
    for (const [name, idx] of this.fail[index]!.namedGroupsOf(this.fail[index]!.version)) {
      if (!SKIPLINES_GROUP.test(name)) continue;
      for (const i of idx) {
        const text = m[i];
        if (text) out.push(...text.split('\n').slice(0, -1));
      }
    }
    return out;
  }

  /**
   * Merge a line into its `<F-MLFID>` session, with fail2ban's rules: the
   * session collects every value its lines captured; `nofail` and `mlfgained`
   * hold only for the latest line; a second user name in one session, or a
   * failure still waiting for its host, turns a line that is otherwise not a
   * failure into one; `mlfforget` closes the session.
   */
  private mergeSession(mlfid: string, fail: Slots, now: number): Slots {
    const L = this.layout;
    let nofail = false;
    const gained = !!fail[L.mlfgained];
    if (gained) {
      nofail = true;
      if (!fail[L.nofail]) fail[L.nofail] = fail[L.mlfgained];
    } else if (fail[L.nofail]) nofail = true;
    const forget = !!fail[L.mlfforget];
    fail[L.mlfforget] = undefined;
    const user = fail[L.user];
    let manyUsers = false;
    let v = fail;
    const session = this.sessions.get(mlfid, now);
    if (session) {
      if (user) {
        const u = session.users;
        if (u === undefined) session.users = user;
        else if (typeof u === 'string') {
          if (u !== user) session.users = new Set([u, user]);
        } else u.add(user);
      }
      manyUsers = typeof session.users === 'object';
      const g = session.values;
      g[L.nofail] = undefined;
      g[L.mlfgained] = undefined;
      if (gained) g[L.mlfpending] = undefined;
      for (let i = 0; i < fail.length; i++) {
        const x = fail[i];
        if (x !== undefined) g[i] = x;
      }
      v = g;
      if (forget) this.sessions.delete(mlfid);
    } else if (!forget) {
      // The session holds this very array, so what later steps set on it (pending) stays with the session.
      this.sessions.set(mlfid, { values: fail, users: user || undefined, expires: 0 }, now);
    }
    if (v[L.mlfpending] || manyUsers) {
      v[L.mlfpending] = undefined;
      v[L.nofail] = undefined;
      v[L.mlfgained] = undefined;
      nofail = false;
    }
    if (!nofail) v[L.nofail] = undefined;
    return v;
  }
}

/** The regexes a filter for `spec` compiles, and how. */
function regexesOf(spec: FilterSpec): { fail: string[]; ignore: string[]; pref: string | undefined; prefRest: boolean; opts: { multiline: boolean; useDns: boolean } } {
  const multiline = spec.maxlines > 1;
  const rest = spec.prefregex !== undefined && !multiline ? restOfLine(spec.prefregex) : null;
  return { fail: spec.failregex, ignore: spec.ignoreregex, pref: spec.prefregex ? rest ?? spec.prefregex : undefined, prefRest: rest !== null, opts: { multiline, useDns: spec.useDns } };
}

/**
 * Most prefregexes end by taking the rest of the line as the content:
 * `…<F-CONTENT>.+</F-CONTENT>$`. On one line (no newline in it) that part
 * matches exactly when a character is left, so the same prefregex ending in
 * `(?=.)` matches the same prefix, and the content is what follows the
 * match: V8 no longer walks the rest of the line to capture it (200 of the
 * 800 instructions the prefregex took on an sshd line). Null for any other
 * prefregex.
 */
function restOfLine(prefregex: string): string | null {
  const m = /<F-CONTENT>\.\+<\/F-CONTENT>\$\s*$/.exec(prefregex);
  return m === null ? null : `${prefregex.slice(0, m.index)}(?=.)`;
}

/** Filter.hits by kind: the failregexes', the ignoreregexes', and the prefregex's (null: the filter has none). */
export function hitsByKind(hits: readonly number[], spec: Pick<FilterSpec, 'failregex' | 'ignoreregex' | 'prefregex'>): { failregex: number[]; ignoreregex: number[]; prefregex: number | null; dates: number[] } {
  const fails = spec.failregex.length;
  const ignores = fails + spec.ignoreregex.length;
  return { failregex: hits.slice(0, fails), ignoreregex: hits.slice(fails, ignores), prefregex: spec.prefregex ? hits[ignores] ?? 0 : null,
    dates: hits.slice(ignores + (spec.prefregex ? 1 : 0)) };
}

/**
 * fail2ban also tries the ignoreregexes on the whole text (every line in the
 * buffer, less their dates) before the prefregex, when there are fewer of
 * them than failregexes less two: a line they match there is ignored whether
 * a failregex would match it or not. Either way they are tried again on the
 * text a failregex matched (Filter.findFailure in fail2ban 1.0).
 */
function ignoredFirst(ignoreCount: number, failCount: number): boolean {
  return ignoreCount > 0 && ignoreCount < failCount - 2;
}

/** No DNS name is all digits and dots (top-level domains are not numeric, RFC 3696 2). */
const NUMERIC_NAME = /^[\d.]+$/;

/** What a line was, from Filter.scan(). The ignored kinds come together, before the skipped ones. */
export const LineKind = {
  Failure: 0,
  Missed: 1,
  IgnoredByRegex: 2,
  IgnoredNoFail: 3,
  IgnoredGained: 4,
  IgnoredNoHost: 5,
  SkippedBinary: 6,
  SkippedInvalid: 7,
} as const;
export type LineKind = (typeof LineKind)[keyof typeof LineKind];

/**
 * Which of fail2ban-regex's counts a line of this kind goes to: a failure, or
 * a failure whose host comes later, is matched; a skipped line (binary, an
 * invalid address) is missed, as a line no regex took. Filter.scan() counts
 * by it, and `bantop regex` lists lines by it (regex-lines.ts).
 */
export function countedAs(k: LineKind): 'matched' | 'ignored' | 'missed' {
  if (k === LineKind.Failure || k === LineKind.IgnoredNoHost) return 'matched';
  return k === LineKind.Missed || k > LineKind.IgnoredNoHost ? 'missed' : 'ignored';
}

// Verdicts without data are shared: most lines end in one of these.
const VERDICTS: ReadonlyArray<LineVerdict | undefined> = [
  undefined,
  Object.freeze({ kind: 'missed' }),
  Object.freeze({ kind: 'ignored', reason: 'ignoreregex' }),
  Object.freeze({ kind: 'ignored', reason: 'nofail' }),
  Object.freeze({ kind: 'ignored', reason: 'gained' }),
  Object.freeze({ kind: 'ignored', reason: 'nohost' }),
  Object.freeze({ kind: 'skipped', reason: 'binary' }),
  Object.freeze({ kind: 'skipped', reason: 'invalid-address' }),
];
