import { detach } from '../util/detach.js';
import { normalizeIp } from '../util/ip.js';
import { CombinedRegex, CompiledRegex } from './compiled-regex.js';
import { DateDetector, dateMatchToTime } from './dates.js';

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

/** What a `<F-MLFID>` session remembers between its lines (line flags dropped). */
type MlfEntry = Record<string, string>;

/**
 * One filter instance: lines go through it in order, so multi-line state
 * (the `maxlines` buffer and the `<F-MLFID>` session cache) is kept.
 */
export class Filter {
  readonly stats: FilterStats = { lines: 0, matched: 0, ignored: 0, missed: 0, truncated: 0, binary: 0, invalidAddress: 0 };
  private readonly fail: CompiledRegex[];
  private readonly combined: CombinedRegex | undefined;
  private readonly ignore: CompiledRegex[];
  private readonly pref: CompiledRegex | undefined;
  private readonly dates: DateDetector;
  private readonly multiline: boolean;
  private buffer: string[] = [];
  private readonly mlf = new Map<string, MlfEntry>();
  private static readonly MLF_MAX = 10_000;

  constructor(readonly spec: FilterSpec) {
    this.multiline = spec.maxlines > 1;
    const o = { multiline: this.multiline, useDns: spec.useDns };
    this.fail = spec.failregex.map((r) => new CompiledRegex(r, o));
    this.combined = CombinedRegex.canCombine(this.fail) ? new CombinedRegex(this.fail) : undefined;
    this.ignore = spec.ignoreregex.map((r) => new CompiledRegex(r, o));
    this.pref = spec.prefregex ? new CompiledRegex(spec.prefregex, o) : undefined;
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
    if (line.includes('\u0000')) return { kind: 'skipped', reason: 'binary' };
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
      if (!pm) return { kind: 'missed' };
      content = this.pref.group(pm, 'content') ?? subject;
    }

    const hit = this.findFailure(content);
    if (!hit) return { kind: 'missed' };
    for (const ig of this.ignore) {
      if (ig.exec(subject) !== null) {
        if (this.multiline) this.buffer = [];
        return { kind: 'ignored', reason: 'ignoreregex' };
      }
    }
    if (this.multiline) this.consumeBuffer(subject, content, hit.m);
    // The date is only read for lines that turn out to be failures.
    const t = dm ? dateMatchToTime(dm, readTime) : null;
    const fields = this.fail[hit.index]!.groups(hit.m, pm && this.pref ? this.pref.groups(pm) : {});
    return this.toVerdict(fields, t ?? readTime, t !== null, hit.index);
  }

  /** The first failregex that matches, in order, as fail2ban tries them. */
  private findFailure(content: string): { index: number; m: RegExpExecArray } | null {
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

  private trimSessions(): void {
    const keep = [...this.mlf].slice(-Math.floor(Filter.MLF_MAX / 2));
    this.mlf.clear();
    for (const [k, v] of keep) this.mlf.set(k, v);
  }

  private toVerdict(groups: Record<string, string>, time: number, dated: boolean, idx: number): LineVerdict {
    let g = groups;
    const mlfid = g['mlfid'];
    if (mlfid !== undefined) {
      const cached = this.mlf.get(mlfid);
      if (cached) g = mergeFields(cached, g);
      if (groups['mlfforget'] !== undefined) {
        if (cached) this.mlf.delete(mlfid);
      } else {
        // Kept across lines: detached so a session does not pin the chunk of log it came from.
        this.mlf.set(cached ? mlfid : detach(mlfid), detachFields(g));
        // Trim in bulk: deleting Map entries one at a time from the front degrades to O(n) per call.
        if (this.mlf.size > Filter.MLF_MAX) this.trimSessions();
      }
    }
    if (groups['nofail'] !== undefined) return { kind: 'ignored', reason: 'nofail' };
    if (groups['mlfgained'] !== undefined) return { kind: 'ignored', reason: 'gained' };
    const rawHost = g['fid'] ?? g['ip4'] ?? g['ip6'] ?? g['dns'];
    if (rawHost === undefined) return { kind: 'ignored', reason: 'nohost' };
    let ip: string | null = null;
    const addr = g['ip4'] ?? g['ip6'];
    if (addr !== undefined) {
      ip = normalizeIp(addr);
      // The unspecified address is never a peer: a log that names it is broken or forged.
      if (ip === null || ip === '0.0.0.0' || ip === '::') return { kind: 'skipped', reason: 'invalid-address' };
    } else if (g['dns'] !== undefined && NUMERIC_NAME.test(g['dns'])) {
      // "1.2.3" or "10.1.1.1.5" is a broken address, not a host name: the resolver would
      // read "1.2.3" as 1.2.0.3 and ban an address the log never named.
      return { kind: 'skipped', reason: 'invalid-address' };
    } else if (g['fid'] !== undefined) {
      ip = normalizeIp(g['fid']);
    }
    const fields: Record<string, string> = {};
    for (const k in g) if (!INTERNAL.has(k)) fields[k] = g[k]!;
    if (g['cidr'] !== undefined) fields['cidr'] = g['cidr'];
    return { kind: 'failure', failure: { host: rawHost, ip, time, dated, fields, failregexIndex: idx } };
  }
}

const HOST_GROUPS = ['ip4', 'ip6', 'dns', 'fid'];
/** No DNS name is all digits and dots (top-level domains are not numeric, RFC 3696 2). */
const NUMERIC_NAME = /^[\d.]+$/;
/** Per-line flags must not leak from one line of a session to the next. */
const LINE_FLAGS = new Set(['nofail', 'mlfforget', 'mlfgained', 'content']);

/** A session's fields without line flags, detached so they do not pin the log chunk they came from. */
function detachFields(g: Record<string, string>): MlfEntry {
  const out: MlfEntry = {};
  for (const k in g) if (!LINE_FLAGS.has(k)) out[k] = detach(g[k]!);
  return out;
}

function mergeFields(older: MlfEntry, newer: Record<string, string>): Record<string, string> {
  // A line that names its own host replaces the session's host entirely (ip4 must not shadow a new ip6).
  const ownHost = HOST_GROUPS.some((h) => newer[h] !== undefined);
  const out: Record<string, string> = {};
  for (const k in older) if (!(ownHost && HOST_GROUPS.includes(k))) out[k] = older[k]!;
  for (const k in newer) out[k] = newer[k]!;
  return out;
}


