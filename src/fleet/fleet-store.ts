import type Database from 'better-sqlite3';

/**
 * The fleet's durable state, in the daemon's SQLite file: the stream
 * position, the outbox and the origin of each shared ban. Every write is
 * immediate (no write-behind), so it commits in the same transaction as the
 * bans it goes with.
 */
export class FleetStore {
  private readonly stmt;
  private readonly originCache = new Map<string, string>();

  constructor(db: Database.Database, private readonly key: string) {
    this.stmt = {
      cursor: db.prepare('SELECT cursor FROM bantop_cursors WHERE key = ?'),
      setCursor: db.prepare('INSERT INTO bantop_cursors (key, cursor) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET cursor = excluded.cursor'),
      enqueue: db.prepare('INSERT INTO bantop_fleet_outbox (event) VALUES (?)'),
      pending: db.prepare('SELECT id, event FROM bantop_fleet_outbox ORDER BY id LIMIT ?'),
      pendingCount: db.prepare('SELECT COUNT(*) AS n FROM bantop_fleet_outbox'),
      done: db.prepare('DELETE FROM bantop_fleet_outbox WHERE id <= ?'),
      setOrigin: db.prepare('INSERT INTO bantop_fleet_origins (ip, origin, time) VALUES (?, ?, ?) ON CONFLICT(ip) DO UPDATE SET origin = excluded.origin, time = excluded.time'),
      dropOrigin: db.prepare('DELETE FROM bantop_fleet_origins WHERE ip = ?'),
      origins: db.prepare('SELECT ip, origin FROM bantop_fleet_origins'),
    };
    for (const r of this.stmt.origins.all() as Array<{ ip: string; origin: string }>) this.originCache.set(r.ip, r.origin);
  }

  /** The last stream entry this host has applied; undefined: it never joined. */
  cursor(): string | undefined {
    return (this.stmt.cursor.get(`fleet:${this.key}`) as { cursor: string } | undefined)?.cursor;
  }

  setCursor(id: string): void {
    this.stmt.setCursor.run(`fleet:${this.key}`, id);
  }

  enqueue(fields: string[]): void {
    this.stmt.enqueue.run(JSON.stringify(fields));
  }

  pending(limit: number): Array<{ id: number; fields: string[] }> {
    return (this.stmt.pending.all(limit) as Array<{ id: number; event: string }>).map((r) => ({ id: r.id, fields: JSON.parse(r.event) as string[] }));
  }

  pendingCount(): number {
    return (this.stmt.pendingCount.get() as { n: number }).n;
  }

  /** Everything up to `id` reached Redis. */
  done(id: number): void {
    this.stmt.done.run(id);
  }

  setOrigin(ip: string, origin: string, time: number): void {
    this.stmt.setOrigin.run(ip, origin, time);
    this.originCache.set(ip, origin);
  }

  /** Known before the ban is made, so that its event can name the origin; setOrigin stores it with the ban. */
  noteOrigin(ip: string, origin: string): void {
    this.originCache.set(ip, origin);
  }

  dropOrigin(ip: string): void {
    this.stmt.dropOrigin.run(ip);
    this.originCache.delete(ip);
  }

  originOf(ip: string): string | undefined {
    return this.originCache.get(ip);
  }
}
