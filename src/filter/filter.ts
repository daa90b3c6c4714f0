import { normalizeIp } from '../util/ip.js';
import { CombinedRegex, CompiledRegex, type Groups } from './compiled-regex.js';
import { DateDetector, dateMatchToTime } from './dates.js';
import { FirstCharRouter } from './first-char-router.js';
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
  failregexIndex: number;
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

/** Groups fail2ban uses for its own bookkeeping; they are not reported as fields. */
const INTERNAL = new Set(['ip4', 'ip6', 'dns', 'fid', 'mlfid', 'nofail', 'content', 'mlfforget', 'mlfgained', 'mlfpending', 'cidr', '_sep']);

/** One `<F-MLFID>` session: the values its lines captured, and the user names tried in it. */
interface Session {
  groups: Groups;
  /** One name until a second one shows up (most sessions try one user). */
  users: string | Set<string> | undefined;
  expires: number;
}

/**
 * One filter instance: lines go through it in order, so multi-line state
 * (the `maxlines` buffer and the `<F-MLFID>` session cache) is kept.
 */
export class Filter {
  readonly stats: FilterStats = { lines: 0, matched: 0, ignored: 0, missed: 0, truncated: 0, binary: 0, invalidAddress: 0 };
  private readonly fail: CompiledRegex[];
  private readonly combined: CombinedRegex | undefined;
  private readonly router: FirstCharRouter | undefined;
  private readonly ignore: CompiledRegex[];
  private readonly pref: CompiledRegex | undefined;
  private readonly dates: DateDetector;
  private readonly multiline: boolean;
  private buffer: string[] = [];
  private readonly sessions = new SessionCache<Session>();
  /** Group names of the prefregex: a failregex group of the same name overrides it even when empty. */
  private readonly prefNames: ReadonlySet<string>;

  constructor(readonly spec: FilterSpec) {
    this.multiline = spec.maxlines > 1;
    const o = { multiline: this.multiline, useDns: spec.useDns };
    this.fail = spec.failregex.map((r) => new CompiledRegex(r, o));
    this.router = FirstCharRouter.useful(this.fail) ? new FirstCharRouter(this.fail) : undefined;
    this.combined = !this.router && CombinedRegex.canCombine(this.fail) ? new CombinedRegex(this.fail) : undefined;
    this.ignore = spec.ignoreregex.map((r) => new CompiledRegex(r, o));
    this.pref = spec.prefregex ? new CompiledRegex(spec.prefregex, o) : undefined;
    this.prefNames = new Set(this.pref?.groupNameList ?? []);
    const noDate = spec.datepattern.length === 1 && /^\{NONE\}$/i.test(spec.datepattern[0]!.trim());
    this.dates = noDate ? DateDetector.none() : new DateDetector(spec.datepattern);
  }

  /** Feed one line (without its newline). `readTime` is used when the line has no date. */
  processLine(rawLine: string, readTime: number): LineVerdict {
    const v = this.classify(rawLine, readTime);
    switch (v.kind) {
      case 'failure':
        this.stats.matched++;
        break;
      case 'ignored':
        this.stats.ignored++;
        break;
      case 'missed':
        this.stats.missed++;
        break;
      case 'skipped':
        if (v.reason === 'binary') this.stats.binary++;
        else this.stats.invalidAddress++;
        this.stats.missed++;
        break;
    }
    return v;
  }

  private classify(rawLine: string, readTime: number): LineVerdict {
    this.stats.lines++;
    let line = rawLine;
    if (line.length > this.spec.maxlinelen) {
      line = line.slice(0, this.spec.maxlinelen);
      this.stats.truncated++;
    }
    if (line.includes('\u0000')) return SKIPPED_BINARY;
    if (line.endsWith('\r')) line = line.slice(0, -1);

    const dm = this.dates.find(line);
    let text = line;
    if (dm) text = dm.start === 0 ? line.slice(dm.end) : line.slice(0, dm.start) + line.slice(dm.end);

    let subject = text;
    if (this.multiline) {
      this.buffer.push(text);
      if (this.buffer.length > this.spec.maxlines) this.buffer.shift();
      subject = this.buffer.join('\n');
    }

    // Fields of the prefregex are only gathered for lines that turn out to match.
    let pm: RegExpExecArray | null = null;
    let content = subject;
    if (this.pref) {
      pm = this.pref.exec(subject);
      if (!pm) return MISSED;
      // An empty content replaces nothing, as in fail2ban.
      content = this.pref.group(pm, 'content') || subject;
    }

    const hit = this.findFailure(content);
    if (!hit) return MISSED;
    for (const ig of this.ignore) {
      if (ig.exec(subject) !== null) {
        if (this.multiline) this.buffer = [];
        return IGNORED_BY_REGEX;
      }
    }
    if (this.multiline) this.consumeBuffer(subject, content, hit.m);
    // fail2ban's failure dict: the prefregex's groups (without the content), then the failregex's over them.
    let fail: Groups = {};
    if (pm && this.pref) {
      this.pref.assignGroups(pm, fail);
      fail['content'] = undefined;
    }
    this.fail[hit.index]!.assignGroups(hit.m, fail, this.prefNames);
    const mlfid = fail['mlfid'];
    if (mlfid !== undefined) {
      fail = this.mergeSession(mlfid, fail, readTime);
      if (fail['nofail']) return fail['mlfgained'] ? IGNORED_GAINED : IGNORED_NOFAIL;
    }
    // The failure id: an `<F-ID>` where the filter captures one, else the host as written.
    const rawHost = fail['fid'] ?? fail['ip4'] ?? fail['ip6'] ?? fail['dns'];
    if (rawHost === undefined) {
      // A failure whose host comes on a later line of the session (fail2ban's "pending").
      if (mlfid !== undefined) fail['mlfpending'] = '1';
      return IGNORED_NO_HOST;
    }
    if (fail['nofail']) return IGNORED_NOFAIL;
    // The date is only read for lines that turn out to be failures.
    const t = dm ? dateMatchToTime(dm, readTime) : null;
    return this.toVerdict(fail, rawHost, t ?? readTime, t !== null, hit.index);
  }

  /** The first failregex that matches, in order, as fail2ban tries them. */
  private findFailure(content: string): { index: number; m: RegExpExecArray } | null {
    if (this.router) {
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
    if (this.combined) return this.combined.exec(content);
    for (let i = 0; i < this.fail.length; i++) {
      const rx = this.fail[i]!;
      if (!rx.mayMatch(content)) continue;
      const m = rx.exec(content);
      if (m) return { index: i, m };
    }
    return null;
  }

  /** fail2ban drops the lines that took part in a multi-line match from its buffer. */
  private consumeBuffer(subject: string, content: string, m: RegExpExecArray): void {
    const offset = subject.indexOf(content);
    const start = (offset < 0 ? 0 : offset) + m.index;
    const end = start + m[0].length;
    const keep: string[] = [];
    let pos = 0;
    for (const l of this.buffer) {
      const ls = pos;
      const le = pos + l.length;
      if (le < start || ls > end || (m[0].length === 0)) keep.push(l);
      pos = le + 1;
    }
    this.buffer = keep;
  }

  /**
   * Merge a line into its `<F-MLFID>` session, with fail2ban's rules: the
   * session collects every value its lines captured; `nofail` and `mlfgained`
   * hold only for the latest line; a second user name in one session, or a
   * failure still waiting for its host, turns a line that is otherwise not a
   * failure into one; `mlfforget` closes the session.
   */
  private mergeSession(mlfid: string, fail: Groups, now: number): Groups {
    let nofail = false;
    const gained = !!fail['mlfgained'];
    if (gained) {
      nofail = true;
      if (!fail['nofail']) fail['nofail'] = fail['mlfgained'];
    } else if (fail['nofail']) nofail = true;
    const forget = !!fail['mlfforget'];
    fail['mlfforget'] = undefined;
    const user = fail['user'];
    let manyUsers = false;
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
      const g = session.groups;
      g['nofail'] = undefined;
      g['mlfgained'] = undefined;
      if (gained) g['mlfpending'] = undefined;
      for (const k in fail) {
        const v = fail[k];
        if (v !== undefined) g[k] = v;
      }
      fail = g;
      if (forget) this.sessions.delete(mlfid);
    } else if (!forget) {
      // The session holds this very object, so what later steps set on it (pending) stays with the session.
      this.sessions.set(mlfid, { groups: fail, users: user || undefined, expires: 0 }, now);
    }
    if (fail['mlfpending'] || manyUsers) {
      fail['mlfpending'] = undefined;
      fail['nofail'] = undefined;
      fail['mlfgained'] = undefined;
      nofail = false;
    }
    if (!nofail) fail['nofail'] = undefined;
    return fail;
  }

  private toVerdict(g: Groups, rawHost: string, time: number, dated: boolean, idx: number): LineVerdict {
    let ip: string | null = null;
    const addr = g['ip4'] ?? g['ip6'];
    if (addr !== undefined) {
      ip = normalizeIp(addr);
      // The unspecified address is never a peer: a log that names it is broken or forged.
      if (ip === null || ip === '0.0.0.0' || ip === '::') return SKIPPED_INVALID;
    } else if (g['dns'] !== undefined && NUMERIC_NAME.test(g['dns'])) {
      // "1.2.3" or "10.1.1.1.5" is a broken address, not a host name: the resolver would
      // read "1.2.3" as 1.2.0.3 and ban an address the log never named.
      return SKIPPED_INVALID;
    } else if (g['fid'] !== undefined) {
      ip = normalizeIp(g['fid']);
    }
    const fields: Record<string, string> = {};
    for (const k in g) {
      const v = g[k];
      if (v !== undefined && !INTERNAL.has(k)) fields[k] = v;
    }
    if (g['cidr'] !== undefined) fields['cidr'] = g['cidr'];
    return { kind: 'failure', failure: { host: rawHost, ip, time, dated, fields, failregexIndex: idx } };
  }
}

/** No DNS name is all digits and dots (top-level domains are not numeric, RFC 3696 2). */
const NUMERIC_NAME = /^[\d.]+$/;

// Verdicts without data are shared: most lines end in one of these.
const MISSED: LineVerdict = Object.freeze({ kind: 'missed' });
const IGNORED_BY_REGEX: LineVerdict = Object.freeze({ kind: 'ignored', reason: 'ignoreregex' });
const IGNORED_NOFAIL: LineVerdict = Object.freeze({ kind: 'ignored', reason: 'nofail' });
const IGNORED_GAINED: LineVerdict = Object.freeze({ kind: 'ignored', reason: 'gained' });
const IGNORED_NO_HOST: LineVerdict = Object.freeze({ kind: 'ignored', reason: 'nohost' });
const SKIPPED_BINARY: LineVerdict = Object.freeze({ kind: 'skipped', reason: 'binary' });
const SKIPPED_INVALID: LineVerdict = Object.freeze({ kind: 'skipped', reason: 'invalid-address' });
