import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, MIGRATIONS, SCHEMA_VERSION, schemaVersion } from '../../src/store/migrations.js';
import { BY_IP, SqliteStore } from '../../src/store/sqlite-store.js';
import { REPO } from '../support/daemon.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'bantop-store-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ban = (ip: string, jail = 'sshd', expiresAt: number | null = 2_000_000) =>
  ({ ip, jail, bannedAt: 1_000_000, expiresAt, failures: 3, source: 'filter' as const, banCount: 0 });

describe('SqliteStore', () => {
  it('looks up one address\'s history through the (ip, time) index, never by walking every ban', () => {
    const s = new SqliteStore(join(dir, 'db.sqlite3'));
    s.addBans(Array.from({ length: 2000 }, (_, i) => ({ ban: ban(`10.0.${i >> 8}.${i & 255}`), bantime: 600 })));
    const params: Record<keyof typeof BY_IP, unknown[]> = { countBansAll: ['10.0.0.1'], countBansJail: ['10.0.0.1', 'sshd'], historyOf: ['10.0.0.1'], banTimes: ['10.0.0.1', 0, 'x'],
      countBansManyAll: [{ ips: '["10.0.0.1","10.0.0.2"]' }], countBansManyJail: [{ ips: '["10.0.0.1","10.0.0.2"]', jail: 'sshd' }],
      pastBans: [{ ip: '10.0.0.1', jail: null, since: 0 }] };
    for (const [name, sql] of Object.entries(BY_IP)) {
      const plan = (s.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params[name as keyof typeof BY_IP]) as Array<{ detail: string }>).map((r) => r.detail).join(' | ');
      expect(plan, name).toMatch(/USING (COVERING )?INDEX bantop_history_ip \(ip=\?/);
      // The watermark of the ban's jail and of every jail ("*"): two lookups by key, not a walk of every watermark.
      if (name === 'pastBans') expect(plan).not.toMatch(/SCAN w\b/);
    }
    expect(s.previousBans('10.0.0.1', null)).toBe(1);
    expect(s.banTimes('10.0.0.1', 0, 'x')).toEqual([1_000_000]);
    s.close();
  });

  it('creates the schema in WAL mode with bantop_ tables only, and reopens without migrating again', () => {
    const path = join(dir, 'db.sqlite3');
    const s = new SqliteStore(path);
    expect(s.db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = (s.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((t) => t.name);
    expect(tables.every((t) => t.startsWith('bantop_'))).toBe(true);
    s.addBan(ban('192.0.2.1'), 600);
    s.close();
    const again = new SqliteStore(path);
    expect(schemaVersion(again.db)).toBe(SCHEMA_VERSION);
    expect(again.bans().map((b) => b.ip)).toEqual(['192.0.2.1']);
    again.close();
  });

  it('shares a database file with fail2ban without touching its tables', () => {
    const path = join(dir, 'fail2ban.sqlite3');
    const f2b = new Database(path);
    f2b.exec("CREATE TABLE bans (jail TEXT, ip TEXT, timeofban INTEGER); INSERT INTO bans VALUES ('sshd', '198.51.100.1', 1)");
    f2b.close();
    const s = new SqliteStore(path);
    s.addBan(ban('192.0.2.1'), 600);
    expect(s.db.prepare('SELECT COUNT(*) AS n FROM bans').get()).toEqual({ n: 1 });
    s.close();
  });

  it('runs a migration in one transaction: a failing step leaves the version and the data as they were', () => {
    const db = new Database(join(dir, 'm.sqlite3'));
    migrate(db);
    db.prepare("INSERT INTO bantop_whitelist (entry, added_at) VALUES ('10.0.0.1', 1)").run();
    const broken = [...MIGRATIONS, { version: SCHEMA_VERSION + 1, sql: 'ALTER TABLE bantop_bans ADD COLUMN note TEXT; THIS IS NOT SQL' }];
    expect(() => migrate(db, broken)).toThrow();
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
    expect((db.prepare('PRAGMA table_info(bantop_bans)').all() as Array<{ name: string }>).some((c) => c.name === 'note')).toBe(false);
    const ok = [...MIGRATIONS, { version: SCHEMA_VERSION + 1, sql: 'ALTER TABLE bantop_bans ADD COLUMN note TEXT' }];
    expect(migrate(db, ok)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION + 1 });
    expect(db.prepare('SELECT entry FROM bantop_whitelist').all()).toEqual([{ entry: '10.0.0.1' }]);
    db.close();
  });

  it('refuses a database from a newer bantop instead of rewriting it', () => {
    const path = join(dir, 'new.sqlite3');
    const db = new Database(path);
    migrate(db);
    db.prepare("UPDATE bantop_meta SET value = '99' WHERE key = 'schema_version'").run();
    db.close();
    expect(() => new SqliteStore(path)).toThrow(/schema version 99 is newer/);
  });

  it('purges history by age but never a current ban, permanent ones included', () => {
    const s = new SqliteStore(join(dir, 'p.sqlite3'));
    s.addBan(ban('192.0.2.1', 'sshd', null), -1);
    s.addBan(ban('192.0.2.2'), 600);
    s.removeBan('sshd', '192.0.2.2', 1_500_000, 'expired');
    expect(s.purgeHistory(3_000_000)).toBe(3);
    expect(s.bans().map((b) => [b.ip, b.expiresAt])).toEqual([['192.0.2.1', null]]);
    expect(s.previousBans('192.0.2.1', null)).toBe(0);
    s.close();
  });

  it('counts earlier bans per jail and across jails, less those a manual unban cleared, and keeps the last manual unban as a watermark', () => {
    const s = new SqliteStore(join(dir, 'h.sqlite3'));
    s.addBan(ban('192.0.2.1', 'sshd'), 600, ['line one from 192.0.2.1', 'line two from 192.0.2.1']);
    s.addBan({ ...ban('192.0.2.2', 'sshd'), bannedAt: 900_000 }, 600);
    s.removeBan('sshd', '192.0.2.2', 1_000_000, 'expired');
    expect(s.previousBans('192.0.2.1', 'sshd')).toBe(1);
    s.removeBan('sshd', '192.0.2.1', 1_100_000, 'manual');
    s.addBan({ ...ban('192.0.2.1', 'web'), bannedAt: 1_200_000 }, 600);
    // The manual unban deleted sshd's count, as fail2ban's deletes the address's bips and bans rows of the jail;
    // the other jail's ban counts, and an expiry clears nothing.
    expect(s.previousBans('192.0.2.1', 'sshd')).toBe(0);
    expect(s.previousBans('192.0.2.1', null)).toBe(1);
    expect(s.previousBans('192.0.2.2', 'sshd')).toBe(1);
    expect(s.banTimes('192.0.2.1', 0, 'x')).toEqual([1_200_000]);
    expect(s.unbanWatermarks()).toEqual([{ jail: 'sshd', ip: '192.0.2.1', time: 1_100_000 }]);
    // The history itself keeps every entry.
    expect(s.historyOf('192.0.2.1').map((h) => `${h.event}:${h.jail}`)).toEqual(['ban:sshd', 'unban:sshd', 'ban:web']);
    // A filter's ban keeps the lines of its failures; other entries have none.
    expect(s.historyOf('192.0.2.1').map((h) => h.lines)).toEqual([['line one from 192.0.2.1', 'line two from 192.0.2.1'], null, null]);
    s.close();
  });

  it('counts earlier bans of many addresses in one query exactly as previousBans() counts each', () => {
    const s = new SqliteStore(join(dir, 'many.sqlite3'));
    const jails = ['sshd', 'web', 'manual'];
    const ip = (i: number) => (i % 7 === 0 ? `2001:db8::${i.toString(16)}` : `192.0.2.${i}`);
    let t = 1_000_000;
    // A history with every kind of entry: repeated bans in several jails, expiries, manual unbans of one jail
    // and of every jail ('*'), some before and some after the bans they clear.
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 120; i++) {
        if ((i + round) % 3 === 0) continue;
        const jail = jails[(i * (round + 1)) % 3]!;
        s.addBan({ ...ban(ip(i), jail), bannedAt: (t += 10) }, 600);
        if (i % 5 === 0) s.removeBan(jail, ip(i), (t += 10), 'manual');
        else s.removeBan(jail, ip(i), (t += 10), 'expired');
        if (i % 11 === round) s.setWatermark('*', ip(i), (t += 10));
      }
    }
    const ips = Array.from({ length: 140 }, (_, i) => ip(i));
    for (const jail of [null, ...jails]) {
      const want = new Map(ips.map((a) => [a, s.previousBans(a, jail)] as const).filter(([, n]) => n > 0));
      expect(want.size, String(jail)).toBeGreaterThan(20);
      expect(s.previousBansMany(ips, jail), String(jail)).toEqual(want);
    }
    expect(s.previousBansMany([], null)).toEqual(new Map());
    s.close();
  });

  it("gives an address's past bans as fail2ban's database holds them: since the purge age, less those a manual unban cleared", () => {
    const path = join(dir, 'db.sqlite3');
    const s = new SqliteStore(path);
    const ip = '203.0.113.7';
    const at = (jail: string, time: number, failures: number, lines: string[]) =>
      s.addBan({ ip, jail, bannedAt: time, expiresAt: time + 600_000, failures, source: 'filter', banCount: 0 }, 600, lines);
    at('sshd', 1_000, 2, ['s1', 's2']);
    at('nginx', 2_000, 3, ['n1', 'n2', 'n3']);
    s.removeBan('sshd', ip, 2_500, 'expired');
    at('sshd', 3_000, 1, ['s3']);
    s.addBan({ ip: '203.0.113.8', jail: 'sshd', bannedAt: 3_500, expiresAt: null, failures: 9, source: 'filter', banCount: 0 }, -1, ['other']);
    const lines = (b: Array<{ failures: number; lines: readonly string[] }>) => b.map((x) => `${x.failures}:${x.lines.join(',')}`);
    expect(lines(s.pastBans(ip, null, 0))).toEqual(['2:s1,s2', '3:n1,n2,n3', '1:s3']);
    expect(lines(s.pastBans(ip, 'sshd', 0))).toEqual(['2:s1,s2', '1:s3']);
    // Older than the purge age: gone, as from fail2ban's database.
    expect(lines(s.pastBans(ip, null, 1_500))).toEqual(['3:n1,n2,n3', '1:s3']);
    // A manual unban in sshd deletes sshd's bans of the address (an expiry did not); nginx's stay.
    s.removeBan('sshd', ip, 4_000, 'manual');
    expect(lines(s.pastBans(ip, null, 0))).toEqual(['3:n1,n2,n3']);
    at('sshd', 5_000, 4, ['s4']);
    expect(lines(s.pastBans(ip, 'sshd', 0))).toEqual(['4:s4']);
    // An unban everywhere clears every jail's; a manual ban (no lines) after it counts its failures.
    s.setWatermark('*', ip, 6_000);
    s.addBan({ ip, jail: 'manual', bannedAt: 7_000, expiresAt: null, failures: 0, source: 'manual', banCount: 0 }, -1);
    expect(lines(s.pastBans(ip, null, 0))).toEqual(['0:']);
    s.close();
    // It is the file that holds them.
    const again = new SqliteStore(path);
    expect(lines(again.pastBans('203.0.113.8', null, 0))).toEqual(['9:other']);
    again.close();
  });

  it("takes part in a caller's transaction (the daemon's batch) instead of opening its own: a batch that fails leaves none of its writes", () => {
    const s = new SqliteStore(join(dir, 'tx.sqlite3'));
    s.addBan(ban('192.0.2.31'), 600);
    expect(() => s.db.transaction(() => {
      s.removeBan('sshd', '192.0.2.31', 1_500_000, 'manual');
      s.addBan(ban('192.0.2.32'), 600);
      throw new Error('a later write of the batch failed');
    })()).toThrow(/later write/);
    expect(s.bans().map((b) => b.ip)).toEqual(['192.0.2.31']);
    expect(s.historyOf('192.0.2.31').map((h) => h.event)).toEqual(['ban']);
    expect(s.unbanWatermarks()).toEqual([]);
    // On its own, each write is its own transaction.
    expect(s.removeBan('sshd', '192.0.2.31', 1_500_000, 'manual')).toBe(true);
    expect(s.bans()).toEqual([]);
    s.close();
  });

  it('writes read positions behind and keeps them across a reopen', () => {
    const path = join(dir, 'pos.sqlite3');
    const s = new SqliteStore(path);
    s.setFile('/var/log/auth.log', { inode: 5, offset: 100, head: 'ab' });
    s.setCursor('journal:sshd', 's=1;i=2');
    expect(s.getFile('/var/log/auth.log')?.offset).toBe(100);
    s.close();
    const again = new SqliteStore(path);
    expect(again.getFile('/var/log/auth.log')).toEqual({ inode: 5, offset: 100, head: 'ab' });
    expect(again.getCursor('journal:sshd')).toBe('s=1;i=2');
    again.close();
  });

  it('writes the first position of a file, and of a new inode, at once: a crash before the next flush must not skip lines', () => {
    const path = join(dir, 'pos.sqlite3');
    const s = new SqliteStore(path);
    const other = () => new Database(path, { readonly: true });
    const row = () => {
      const db = other();
      try {
        return db.prepare('SELECT inode, offset FROM bantop_positions WHERE path = ?').get('/l') as { inode: number; offset: number } | undefined;
      } finally {
        db.close();
      }
    };
    s.setFile('/l', { inode: 5, offset: 100, head: 'ab' });
    expect(row()).toEqual({ inode: 5, offset: 100 });
    s.setFile('/l', { inode: 5, offset: 200, head: 'ab' });
    expect(row()).toEqual({ inode: 5, offset: 100 }); // written behind
    s.setFile('/l', { inode: 6, offset: 0, head: 'cd' });
    expect(row()).toEqual({ inode: 6, offset: 0 });
    s.close();
  });

  it('loses no committed ban when the process is killed with SIGKILL mid-stream', async () => {
    const path = join(dir, 'crash.sqlite3');
    const script = `
      import { SqliteStore } from ${JSON.stringify(join(REPO, 'dist', 'store', 'sqlite-store.js'))};
      const s = new SqliteStore(${JSON.stringify(path)});
      for (let i = 0; ; i++) {
        const ip = '10.' + ((i >> 16) & 255) + '.' + ((i >> 8) & 255) + '.' + (i & 255);
        s.addBan({ ip, jail: 'sshd', bannedAt: i, expiresAt: null, failures: 1, source: 'filter', banCount: 0 }, -1);
        process.stdout.write(ip + '\\n');
      }`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    await new Promise<void>((resolve) => {
      child.stdout!.on('data', (d) => {
        out += String(d);
        // Whole lines only: a chunk that ends inside a line left 3,000 acknowledged where the check counted 3,001.
        if ((out.match(/\n/g)?.length ?? 0) > 3000) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((r) => child.once('exit', r));
    const acknowledged = out.split('\n').slice(0, -1);
    const s = new SqliteStore(path);
    const stored = new Set(s.bans().map((b) => b.ip));
    expect(acknowledged.length).toBeGreaterThan(3000);
    expect(acknowledged.filter((ip) => !stored.has(ip))).toEqual([]);
    expect(s.db.pragma('integrity_check', { simple: true })).toBe('ok');
    s.close();
  }, 30_000);

  it('schema 2 carries the manual unbans of schema 1 over as watermarks, and keeps "*" marks of an unban everywhere', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.slice(0, 1));
    db.prepare("INSERT INTO bantop_history (time, ip, jail, event, reason) VALUES (100, '203.0.113.9', 'sshd', 'unban', 'manual'), (200, '203.0.113.9', 'sshd', 'unban', 'manual'), (300, '203.0.113.8', 'sshd', 'unban', 'expired')").run();
    expect(migrate(db)).toEqual({ from: 1, to: SCHEMA_VERSION });
    expect(db.prepare('SELECT jail, ip, time FROM bantop_watermarks').all()).toEqual([{ jail: 'sshd', ip: '203.0.113.9', time: 200 }]);
    db.close();
    const store = new SqliteStore(':memory:');
    store.setWatermark('*', '203.0.113.7', 500);
    store.setWatermark('*', '203.0.113.7', 400); // never moves back
    expect(store.unbanWatermarks()).toEqual([{ jail: '*', ip: '203.0.113.7', time: 500 }]);
    store.close();
  });
});
