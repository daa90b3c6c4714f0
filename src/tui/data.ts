import type { BanView } from '../daemon/service.js';
import { canonicalTarget, isNetwork, targetCovers } from '../util/ip.js';
import { LruMap } from '../util/lru-map.js';

/** One row of the bans pane: an address with every jail that holds it (all-jails view), or one jail's ban. */
export interface BanRow {
  ip: string;
  jails: string[];
  bannedAt: number;
  /** Null: permanent. */
  expiresAt: number | null;
  failures: number;
  banCount: number;
  source: string;
}

export type SortKey = 'since' | 'ip' | 'jail' | 'expires' | 'failures';
export const SORT_KEYS: SortKey[] = ['since', 'expires', 'ip', 'jail', 'failures'];

/**
 * The current bans, kept from the initial list plus ban/unban events, so the
 * TUI never re-fetches 100,000 bans. `rows` is recomputed only when the bans,
 * the jail, the filter or the sort changed (a version counter), and the pane
 * renders only the visible slice.
 */
export class BanTable {
  private readonly bans = new Map<string, BanView>();
  private version = 0;
  private cache: { key: string; rows: BanRow[] } | null = null;

  load(list: BanView[]): void {
    this.bans.clear();
    for (const b of list) this.bans.set(`${b.jail}\u0000${b.ip}`, b);
    this.version++;
  }

  set(b: BanView): void {
    this.bans.set(`${b.jail}\u0000${b.ip}`, b);
    this.version++;
  }

  delete(jail: string, ip: string): void {
    if (this.bans.delete(`${jail}\u0000${ip}`)) this.version++;
  }

  get size(): number {
    return this.bans.size;
  }

  jailsOf(ip: string): BanView[] {
    const out: BanView[] = [];
    for (const b of this.bans.values()) if (b.ip === ip) out.push(b);
    return out;
  }

  rows(jail: string | null, filter: string, sort: SortKey): BanRow[] {
    const key = `${this.version}\u0000${jail}\u0000${filter}\u0000${sort}`;
    if (this.cache?.key === key) return this.cache.rows;
    const match = filterMatcher(filter);
    const byIp = new Map<string, BanRow>();
    for (const b of this.bans.values()) {
      if (jail !== null && b.jail !== jail) continue;
      const row = byIp.get(b.ip);
      if (!row) {
        byIp.set(b.ip, { ip: b.ip, jails: [b.jail], bannedAt: b.bannedAt, expiresAt: b.expiresAt, failures: b.failures, banCount: b.banCount, source: sourceOf(b) });
        continue;
      }
      row.jails.push(b.jail);
      row.bannedAt = Math.min(row.bannedAt, b.bannedAt);
      row.expiresAt = row.expiresAt === null || b.expiresAt === null ? null : Math.max(row.expiresAt, b.expiresAt);
      row.failures = Math.max(row.failures, b.failures);
      row.banCount = Math.max(row.banCount, b.banCount);
      if (b.source === 'escalation' || b.expiresAt === null) row.source = sourceOf(b);
    }
    const rows = [...byIp.values()].filter((r) => match(r.ip, `${r.jails.join(',')} ${r.source}`));
    const exp = (r: BanRow) => (r.expiresAt === null ? Infinity : r.expiresAt);
    const cmp: Record<SortKey, (a: BanRow, b: BanRow) => number> = {
      since: (a, b) => b.bannedAt - a.bannedAt,
      expires: (a, b) => exp(b) - exp(a),
      ip: (a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0),
      jail: (a, b) => a.jails[0]!.localeCompare(b.jails[0]!) || b.bannedAt - a.bannedAt,
      failures: (a, b) => b.failures - a.failures,
    };
    rows.sort(cmp[sort]);
    this.cache = { key, rows };
    return rows;
  }
}

/** A shared ban names the fleet host it came from. */
const sourceOf = (b: BanView): string => (b.origin ? `${b.source}:${b.origin}` : b.source);

/**
 * `/` filter: an address or CIDR matches the addresses it covers (and a
 * network ban that covers the address); anything else is a case-insensitive
 * substring of the address or the text.
 */
export function filterMatcher(filter: string): (ip: string, text: string) => boolean {
  const f = filter.trim();
  if (f === '') return () => true;
  const target = canonicalTarget(f);
  if (target !== null && isNetwork(target)) return (ip) => targetCovers(target, ip.split('/')[0]!);
  if (target !== null) return (ip) => ip === target || (isNetwork(ip) && targetCovers(ip, target));
  const lower = f.toLowerCase();
  return (ip, text) => ip.includes(lower) || text.toLowerCase().includes(lower);
}

export type LogKind = 'missed' | 'matched' | 'ignored';

export interface LogEntry {
  time: number;
  jail: string;
  text: string;
  kind: LogKind;
  ip?: string | undefined;
  /** Why an ignored failure was ignored (whitelist, ignoreip, protected, …). */
  why?: string | undefined;
  /** The part of the line the failregex matched. */
  match?: string | undefined;
}

/** A bounded ring of the lines the sources read; when paused it stops taking lines, the engine goes on. */
export class LogRing {
  private readonly items: LogEntry[] = [];
  paused = false;
  dropped = 0;

  constructor(readonly capacity = 2000) {}

  push(e: LogEntry): void {
    if (this.paused) {
      this.dropped++;
      return;
    }
    this.items.push(e);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
  }

  /** The failure or ignore event that follows a line marks it (events arrive in that order). */
  mark(jail: string, ip: string, kind: LogKind, why?: string, match?: string): LogEntry | undefined {
    if (this.paused) return undefined;
    for (let i = this.items.length - 1; i >= Math.max(0, this.items.length - 8); i--) {
      const e = this.items[i]!;
      if (e.jail === jail && e.kind === 'missed' && e.text.includes(ip)) {
        e.kind = kind;
        e.ip = ip;
        e.why = why;
        e.match = match;
        return e;
      }
    }
    return undefined;
  }

  entries(filter = ''): LogEntry[] {
    if (filter.trim() === '') return this.items;
    const m = filterMatcher(filter);
    return this.items.filter((e) => m(e.ip ?? '', `${e.jail} ${e.text}`));
  }
}

/** Failure lines per address for the detail view: the last few per address, for a bounded number of addresses. */
export class FailureLines {
  private readonly byIp: LruMap<string, string[]>;
  constructor(
    private readonly perIp = 12,
    maxIps = 2000,
  ) {
    this.byIp = new LruMap(maxIps);
  }

  /** The address becomes the most recent: the one that failed least recently is dropped first. */
  add(ip: string, line: string): void {
    const l = this.byIp.get(ip) ?? [];
    this.byIp.set(ip, l);
    l.push(line);
    if (l.length > this.perIp) l.shift();
  }

  of(ip: string): string[] {
    return this.byIp.get(ip) ?? [];
  }
}
