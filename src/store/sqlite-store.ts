import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { isStorageError } from './storage-error.js';
import type { BanSource } from '../engine/events.js';
import type { ActiveBan, BanHistory } from '../engine/jail-core.js';
import type { PastBan } from '../engine/merged-bans.js';
import type { FilePosition, PositionStore } from '../source/types.js';
import { UserError } from '../util/errors.js';
import { storePath } from './db-path.js';
import { migrate } from './migrations.js';

export interface HistoryEntry {
  time: number;
  ip: string;
  jail: string;
  event: 'ban' | 'unban';
  bantime: number | null;
  failures: number | null;
  source: string | null;
  reason: string | null;
  /** A filter's ban: the log lines of the failures that caused it. */
  lines: string[] | null;
}

export interface WhitelistEntry {
  entry: string;
  addedAt: number;
  comment: string | null;
}

/**
 * A ban no manual unban has cleared since. fail2ban's manual unban deletes the
 * address's bans and ban counts from its database (that jail's, or every
 * jail's): they no longer lengthen a ban (bantime.increment) or fill
 * `<ipmatches>`. Here the unban's watermark hides the bans before it.
 */
const UNCLEARED = "h.time > COALESCE((SELECT MAX(w.time) FROM bantop_watermarks w WHERE w.ip = h.ip AND (w.jail = h.jail OR w.jail = '*')), -1)";

/** The rows of `ip`'s bans no manual unban has cleared, in the jail the condition `jail` names or in every jail (''). */
function unclearedBans(ip: string, jail: string): string {
  return `FROM bantop_history h INDEXED BY bantop_history_ip WHERE h.ip = ${ip}${jail === '' ? '' : ` AND ${jail}`} AND h.event = 'ban' AND ${UNCLEARED}`;
}

/**
 * One address's history, per ban (escalation and ban counts). Without
 * statistics SQLite prefers the (event, time) index for `event = 'ban'`, which
 * walks every ban ever made: 120 ms per query at a million bans, three queries
 * per ban. The (ip, time) index finds the few rows of one address.
 */
export const BY_IP = {
  countBansAll: `SELECT COUNT(*) AS n ${unclearedBans('?', '')}`,
  countBansJail: `SELECT COUNT(*) AS n ${unclearedBans('?', 'h.jail = ?')}`,
  // The same for a list of addresses (a JSON array): one statement, whatever the number, with the addresses
  // that have a count only (an import of 100,000 addresses asked one at a time spent 2 of its 7 seconds here).
  countBansManyAll: `SELECT ip, n FROM (SELECT j.value AS ip, (SELECT COUNT(*) ${unclearedBans('j.value', '')}) AS n FROM json_each(@ips) j) WHERE n > 0`,
  countBansManyJail: `SELECT ip, n FROM (SELECT j.value AS ip, (SELECT COUNT(*) ${unclearedBans('j.value', 'h.jail = @jail')}) AS n FROM json_each(@ips) j) WHERE n > 0`,
  historyOf: 'SELECT * FROM bantop_history INDEXED BY bantop_history_ip WHERE ip = ? ORDER BY time, id',
  banTimes: `SELECT h.time FROM bantop_history h INDEXED BY bantop_history_ip WHERE h.ip = ? AND h.event = 'ban' AND h.time > ? AND h.jail <> ? AND ${UNCLEARED} ORDER BY h.time`,
  pastBans: `SELECT h.failures, h.lines FROM bantop_history h INDEXED BY bantop_history_ip WHERE h.ip = @ip AND h.event = 'ban' AND h.time >= @since
    AND (@jail IS NULL OR h.jail = @jail) AND ${UNCLEARED} ORDER BY h.time, h.id`,
} as const;

/**
 * The daemon's durable state in one SQLite file (WAL). Each change is one
 * transaction, so a process killed at any instant keeps every ban it committed.
 * Read positions are written behind (see `flushPositions`): losing the last
 * second of them re-reads a few lines, which the unban watermark and the
 * already-banned check make harmless.
 */
export class SqliteStore implements PositionStore, BanHistory {
  readonly db: Database.Database;
  private readonly stmt;
  private readonly pendingFiles = new Map<string, FilePosition>();
  private readonly pendingCursors = new Map<string, string>();
  private readonly fileCache = new Map<string, FilePosition>();

  /** `path`: the dbfile setting; `None` (fail2ban's "no database") keeps the store in memory (db-path.ts). */
  constructor(readonly path: string) {
    const file = storePath(path);
    if (file !== ':memory:') {
      try {
        mkdirSync(dirname(file), { recursive: true });
      } catch (e) {
        throw new UserError(`cannot create the directory of dbfile ${path}: ${(e as Error).message}`, { hint: 'set dbfile in bantop.conf to a writable path' });
      }
    }
    try {
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode: a commit survives a killed process; only power loss can drop the last commits.
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('busy_timeout = 5000');
    } catch (e) {
      throw new UserError(`cannot open the ban database ${path}: ${(e as Error).message}`, { hint: 'check dbfile in bantop.conf and the file permissions' });
    }
    migrate(this.db);
    const db = this.db;
    this.stmt = {
      upsertBan: db.prepare(`INSERT INTO bantop_bans (jail, ip, banned_at, expires_at, failures, source, reason, ban_count)
        VALUES (@jail, @ip, @bannedAt, @expiresAt, @failures, @source, @reason, @banCount)
        ON CONFLICT(jail, ip) DO UPDATE SET banned_at = excluded.banned_at, expires_at = excluded.expires_at,
          failures = excluded.failures, source = excluded.source, reason = excluded.reason, ban_count = excluded.ban_count`),
      deleteBan: db.prepare('DELETE FROM bantop_bans WHERE jail = ? AND ip = ?'),
      allBans: db.prepare('SELECT jail, ip, banned_at, expires_at, failures, source, reason, ban_count FROM bantop_bans'),
      history: db.prepare(`INSERT INTO bantop_history (time, ip, jail, event, bantime, failures, source, reason, lines)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      countBansAll: db.prepare(BY_IP.countBansAll),
      countBansJail: db.prepare(BY_IP.countBansJail),
      countBansManyAll: db.prepare(BY_IP.countBansManyAll),
      countBansManyJail: db.prepare(BY_IP.countBansManyJail),
      historyOf: db.prepare(BY_IP.historyOf),
      watermarks: db.prepare('SELECT jail, ip, time FROM bantop_watermarks'),
      setWatermark: db.prepare('INSERT INTO bantop_watermarks (jail, ip, time) VALUES (?, ?, ?) ON CONFLICT(jail, ip) DO UPDATE SET time = MAX(time, excluded.time)'),
      recentBans: db.prepare("SELECT jail, ip, MAX(time) AS time FROM bantop_history WHERE event = 'ban' AND time > ? GROUP BY jail, ip"),
      banTimes: db.prepare(BY_IP.banTimes),
      pastBans: db.prepare(BY_IP.pastBans),
      purge: db.prepare('DELETE FROM bantop_history WHERE time < ?'),
      wlAdd: db.prepare('INSERT INTO bantop_whitelist (entry, added_at, comment) VALUES (?, ?, ?) ON CONFLICT(entry) DO UPDATE SET comment = COALESCE(excluded.comment, comment)'),
      wlRm: db.prepare('DELETE FROM bantop_whitelist WHERE entry = ?'),
      wlList: db.prepare('SELECT entry, added_at AS addedAt, comment FROM bantop_whitelist ORDER BY added_at, entry'),
      getFile: db.prepare('SELECT inode, offset, head FROM bantop_positions WHERE path = ?'),
      setFile: db.prepare('INSERT INTO bantop_positions (path, inode, offset, head) VALUES (?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET inode = excluded.inode, offset = excluded.offset, head = excluded.head'),
      getCursor: db.prepare('SELECT cursor FROM bantop_cursors WHERE key = ?'),
      setCursor: db.prepare('INSERT INTO bantop_cursors (key, cursor) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET cursor = excluded.cursor'),
    };
  }

  // --- bans -----------------------------------------------------------------

  /**
   * `fn` as one transaction, or as part of the caller's when one is open (the
   * daemon commits a batch of writes in one, and rolls it back whole on an
   * error): not a savepoint of its own, which made each unban of `unban
   * --all` four times as slow (44 against 10 µs in a transaction of 50,000).
   */
  private tx<T>(fn: () => T): T {
    return this.db.inTransaction ? fn() : this.db.transaction(fn)();
  }

  /** Record a ban: the current-bans row and its history entry (with the failures' log lines), one transaction. */
  readonly addBan = (b: ActiveBan, bantime: number, lines: string[] = []): void => {
    this.tx(() => {
      this.stmt.upsertBan.run({ ...b, reason: b.reason ?? null });
      this.stmt.history.run(b.bannedAt, b.ip, b.jail, 'ban', bantime, b.failures, b.source, b.reason ?? null, lines.length ? JSON.stringify(lines) : null);
    });
  };

  /** Many bans in one transaction (restore, import). */
  addBans(list: Array<{ ban: ActiveBan; bantime: number }>): void {
    this.tx(() => {
      for (const { ban, bantime } of list) {
        this.stmt.upsertBan.run({ ...ban, reason: ban.reason ?? null });
        this.stmt.history.run(ban.bannedAt, ban.ip, ban.jail, 'ban', bantime, ban.failures, ban.source, ban.reason ?? null, null);
      }
    });
  }

  /** End a ban; a manual one also records the jail's unban watermark, in the same transaction. */
  removeBan(jail: string, ip: string, time: number, reason: 'expired' | 'manual' | 'whitelisted'): boolean {
    return this.tx(() => {
      const gone = this.stmt.deleteBan.run(jail, ip).changes > 0;
      if (gone) this.stmt.history.run(time, ip, jail, 'unban', null, null, null, reason, null);
      if (gone && reason === 'manual') this.stmt.setWatermark.run(jail, ip, time);
      return gone;
    });
  }

  /** An unban watermark for one jail, or "*" for every jail (unban everywhere). */
  setWatermark(jail: string, ip: string, time: number): void {
    this.stmt.setWatermark.run(jail, ip, time);
  }

  bans(): ActiveBan[] {
    // Raw rows: a restore of 100,000 bans spends most of its store time building row objects.
    // SQLite hands out a new string per row: a jail name or source held once per
    // ban cost 70 MB at a million bans, so the few distinct values are shared.
    const shared = new Map<string, string>();
    const one = (v: string): string => {
      const have = shared.get(v);
      if (have !== undefined) return have;
      if (shared.size < 4096) shared.set(v, v);
      return v;
    };
    const out: ActiveBan[] = [];
    for (const r of this.stmt.allBans.raw(true).iterate() as Iterable<unknown[]>) {
      const [jail, ip, bannedAt, expiresAt, failures, source, reason, banCount] = r as [string, string, number, number | null, number, string, string | null, number];
      out.push({ jail: one(jail), ip, bannedAt, expiresAt, failures, source: one(source) as BanSource, banCount, reason: reason === null ? undefined : one(reason) });
    }
    return out;
  }

  historyOf(ip: string): HistoryEntry[] {
    return (this.stmt.historyOf.all(ip) as Array<Omit<HistoryEntry, 'lines'> & { lines: string | null }>)
      .map(({ lines, ...h }) => ({ ...h, lines: lines === null ? null : (JSON.parse(lines) as string[]) }));
  }

  /** The last manual unban time per (jail or "*", ip): failures logged before it never count again. */
  unbanWatermarks(): Array<{ jail: string; ip: string; time: number }> {
    return this.stmt.watermarks.all() as Array<{ jail: string; ip: string; time: number }>;
  }

  /** The last ban per (jail, ip) after `since`: the failures before it are used up, even when a log is read again. */
  recentBans(since: number): Array<{ jail: string; ip: string; time: number }> {
    return this.stmt.recentBans.all(since) as Array<{ jail: string; ip: string; time: number }>;
  }

  /** When `ip` was banned after `since`, in any jail but `exceptJail` (escalation counts others' bans, not its own). */
  banTimes(ip: string, since: number, exceptJail: string): number[] {
    return (this.stmt.banTimes.raw(true).all(ip, since, exceptJail) as Array<[number]>).map((r) => r[0]);
  }

  /**
   * The bans of `ip` since `since` (in `jail`, or in every jail), oldest
   * first, less those a manual unban has cleared since: what fail2ban's
   * database holds for the address's `<ipmatches>` and `<ipjailmatches>`.
   */
  pastBans(ip: string, jail: string | null, since: number): PastBan[] {
    return (this.stmt.pastBans.all({ ip, jail, since }) as Array<{ failures: number | null; lines: string | null }>)
      .map((r) => ({ failures: r.failures ?? 0, lines: r.lines === null ? [] : (JSON.parse(r.lines) as string[]) }));
  }

  /** Drop history older than `before` (epoch ms). Current bans, permanent ones included, are never purged. */
  purgeHistory(before: number): number {
    return this.stmt.purge.run(before).changes;
  }

  // --- BanHistory (escalation) ------------------------------------------------

  previousBans(ip: string, jail: string | null): number {
    const row = (jail === null ? this.stmt.countBansAll.get(ip) : this.stmt.countBansJail.get(ip, jail)) as { n: number };
    return row.n;
  }

  previousBansMany(ips: readonly string[], jail: string | null): Map<string, number> {
    const list = JSON.stringify(ips);
    const rows = (jail === null ? this.stmt.countBansManyAll.raw(true).all({ ips: list }) : this.stmt.countBansManyJail.raw(true).all({ ips: list, jail })) as Array<[string, number]>;
    return new Map(rows);
  }

  /** The history row is written with the ban itself (`addBan`), in the same transaction. */
  recordBan(): void {}

  // --- whitelist --------------------------------------------------------------

  whitelistAdd(entry: string, time: number, comment?: string): void {
    this.stmt.wlAdd.run(entry, time, comment ?? null);
  }

  whitelistRemove(entry: string): boolean {
    return this.stmt.wlRm.run(entry).changes > 0;
  }

  whitelist(): WhitelistEntry[] {
    return this.stmt.wlList.all() as WhitelistEntry[];
  }

  // --- PositionStore -----------------------------------------------------------

  getFile(path: string): FilePosition | undefined {
    const cached = this.fileCache.get(path);
    if (cached) return { ...cached };
    const row = this.stmt.getFile.get(path) as FilePosition | undefined;
    return row ? { inode: row.inode, offset: row.offset, head: row.head } : undefined;
  }

  setFile(path: string, pos: FilePosition): void {
    const before = this.fileCache.get(path) ?? this.getFile(path);
    this.fileCache.set(path, { ...pos });
    if (before === undefined || before.inode !== pos.inode) {
      // A first look starts at the end of the file: that choice must survive a
      // crash, or a restart would start at the end again and skip every line
      // written in between. The same for the first position in a new file.
      try {
        this.stmt.setFile.run(path, pos.inode, pos.offset, pos.head);
        this.pendingFiles.delete(path);
        return;
      } catch (e) {
        if (!isStorageError(e)) throw e;
        // No room now: written behind like the others once there is.
      }
    }
    this.pendingFiles.set(path, { ...pos });
  }

  getCursor(key: string): string | undefined {
    return this.pendingCursors.get(key) ?? (this.stmt.getCursor.get(key) as { cursor: string } | undefined)?.cursor;
  }

  setCursor(key: string, cursor: string): void {
    this.pendingCursors.set(key, cursor);
  }

  /** Write read positions behind, in one transaction; the daemon calls this every second and at stop. */
  flushPositions(): void {
    if (this.pendingFiles.size === 0 && this.pendingCursors.size === 0) return;
    this.db.transaction(() => {
      for (const [p, f] of this.pendingFiles) this.stmt.setFile.run(p, f.inode, f.offset, f.head);
      for (const [k, c] of this.pendingCursors) this.stmt.setCursor.run(k, c);
    })();
    this.pendingFiles.clear();
    this.pendingCursors.clear();
  }

  close(): void {
    this.flushPositions();
    this.db.close();
  }
}
