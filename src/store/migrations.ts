import type Database from 'better-sqlite3';
import { UserError } from '../util/errors.js';

/**
 * Schema steps, applied in order inside one transaction each. Table names carry
 * a `bantop_` prefix so that `dbfile` may point at fail2ban's own database
 * (as an unmodified /etc/fail2ban config does) without touching its tables.
 */
export const MIGRATIONS: ReadonlyArray<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `
      CREATE TABLE bantop_bans (
        jail TEXT NOT NULL,
        ip TEXT NOT NULL,
        banned_at INTEGER NOT NULL,
        expires_at INTEGER,
        failures INTEGER NOT NULL DEFAULT 0,
        source TEXT NOT NULL,
        reason TEXT,
        ban_count INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (jail, ip)
      );
      CREATE INDEX bantop_bans_ip ON bantop_bans (ip);
      CREATE TABLE bantop_history (
        id INTEGER PRIMARY KEY,
        time INTEGER NOT NULL,
        ip TEXT NOT NULL,
        jail TEXT NOT NULL,
        event TEXT NOT NULL,
        bantime INTEGER,
        failures INTEGER,
        source TEXT,
        reason TEXT
      );
      CREATE INDEX bantop_history_ip ON bantop_history (ip, time);
      CREATE INDEX bantop_history_time ON bantop_history (time);
      CREATE TABLE bantop_whitelist (
        entry TEXT PRIMARY KEY,
        added_at INTEGER NOT NULL,
        comment TEXT
      );
      CREATE TABLE bantop_positions (
        path TEXT PRIMARY KEY,
        inode INTEGER NOT NULL,
        offset INTEGER NOT NULL,
        head TEXT NOT NULL
      );
      CREATE TABLE bantop_cursors (
        key TEXT PRIMARY KEY,
        cursor TEXT NOT NULL
      );`,
  },
  {
    // Unban watermarks get their own table: an unban everywhere marks every jail ("*"), banned there or not.
    version: 2,
    sql: `
      CREATE TABLE bantop_watermarks (
        jail TEXT NOT NULL,
        ip TEXT NOT NULL,
        time INTEGER NOT NULL,
        PRIMARY KEY (jail, ip)
      );
      INSERT INTO bantop_watermarks (jail, ip, time)
        SELECT jail, ip, MAX(time) FROM bantop_history WHERE event = 'unban' AND reason = 'manual' GROUP BY jail, ip;
      CREATE INDEX bantop_history_event_time ON bantop_history (event, time);`,
  },
  {
    // The fleet: events waiting for Redis (so a ban made while Redis is down is shared when it is back), and the
    // host each shared ban came from. The stream position lives in bantop_cursors, written with the bans it covers.
    version: 3,
    sql: `
      CREATE TABLE bantop_fleet_outbox (
        id INTEGER PRIMARY KEY,
        event TEXT NOT NULL
      );
      CREATE TABLE bantop_fleet_origins (
        ip TEXT PRIMARY KEY,
        origin TEXT NOT NULL,
        time INTEGER NOT NULL
      );`,
  },
  {
    // A ban made by a filter keeps the log lines of the failures that caused it (a JSON array), as fail2ban keeps
    // a ticket's matches: the TUI's detail view and `bantop history` show them after the log has rotated away.
    version: 4,
    sql: 'ALTER TABLE bantop_history ADD COLUMN lines TEXT;',
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export function schemaVersion(db: Database.Database): number {
  db.exec('CREATE TABLE IF NOT EXISTS bantop_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  const row = db.prepare("SELECT value FROM bantop_meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
  return row ? Number(row.value) : 0;
}

/** Bring the schema up to date. A database newer than this bantop is refused, never rewritten. */
export function migrate(db: Database.Database, steps = MIGRATIONS): { from: number; to: number } {
  const from = schemaVersion(db);
  const latest = steps.length ? steps[steps.length - 1]!.version : 0;
  if (from > latest) {
    throw new UserError(`database schema version ${from} is newer than this bantop understands (${latest})`, { hint: 'upgrade bantop, or point dbfile at another file' });
  }
  for (const step of steps) {
    if (step.version <= from) continue;
    db.transaction(() => {
      db.exec(step.sql);
      db.prepare("INSERT INTO bantop_meta (key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
        .run(String(step.version));
    })();
  }
  return { from, to: Math.max(from, latest) };
}
