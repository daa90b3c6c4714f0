import { afterEach, describe, expect, it } from 'vitest';
import { encodeEvent, idAfter, type FleetEvent } from '../../src/fleet/events.js';
import { Fleet } from '../../src/fleet/fleet.js';
import { FleetStore } from '../../src/fleet/fleet-store.js';
import { SHAREABLE } from '../../src/fleet/settings.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { MemoryRedis } from '../support/memory-redis.js';
import { waitFor } from '../support/wait.js';

// The fleet's own logic (outbox, cursor, join, resync) against an in-memory stand-in for Redis. Redis itself,
// with real daemons, is in fleet-e2e.

const settings = (name: string) => ({ redis: 'redis://x', name, share: new Set(SHAREABLE), key: 'bantop' });
const clock = { now: () => Date.now() };
const running: Fleet[] = [];
afterEach(async () => { for (const f of running.splice(0)) await f.stop(); });

function member(name: string, redis: MemoryRedis, db = new SqliteStore(':memory:')) {
  const applied: Array<{ events: FleetEvent[]; cursor: string }> = [];
  const held = new Set<string>();
  const store = new FleetStore(db.db, 'bantop');
  const fleet = new Fleet(settings(name), redis, store, {
    applyRemote: (events, cursor) => {
      db.db.transaction(() => {
        for (const e of events) if (e.type === 'ban') held.add(e.ip); else if (e.type === 'unban') held.delete(e.ip);
        store.setCursor(cursor);
      })();
      applied.push({ events, cursor });
    },
    sharedPermanent: () => [...held],
    log: () => {},
  }, clock);
  running.push(fleet);
  return { fleet, store, applied, held, db };
}

const ban = (origin: string, ip: string): FleetEvent => ({ type: 'ban', origin, ip, jail: 'sshd', bantime: -1, source: 'filter', reason: '', time: 1 });

describe('Fleet', () => {
  it('keeps what it could not send in the outbox and sends it, in order, once Redis answers', async () => {
    const redis = new MemoryRedis();
    redis.down = true;
    const a = member('a', redis);
    a.fleet.start();
    a.fleet.publish({ type: 'ban', ip: '203.0.113.1', jail: 'sshd', bantime: -1, source: 'filter', reason: '', time: 1 });
    a.fleet.publish({ type: 'unban', ip: '203.0.113.1', everywhere: true, time: 2 });
    await new Promise((r) => setTimeout(r, 50));
    expect(a.store.pendingCount()).toBe(2);
    redis.down = false;
    await waitFor(() => a.store.pendingCount() === 0, 3000, 'the outbox draining');
    expect(redis.entries.map((e) => e.fields[3])).toEqual(['ban', 'unban']);
    expect(redis.permanent.size).toBe(0); // added by the ban, removed by the unban
  });

  it('joins with the whole list, then follows the stream; skips its own events and forged entries', async () => {
    const redis = new MemoryRedis();
    redis.permanent.set('198.51.100.1', JSON.stringify({ origin: 'a', jail: 'sshd', reason: 'x', time: 1 }));
    redis.add(encodeEvent(ban('a', '198.51.100.1')));
    const b = member('b', redis);
    b.fleet.start();
    await waitFor(() => b.applied.length === 1, 3000, 'the join');
    expect(b.applied[0]!.events.map((e) => e.ip)).toEqual(['198.51.100.1']);
    expect(b.applied[0]!.cursor).toBe(redis.entries[0]!.id); // the head taken before the list
    redis.add(encodeEvent(ban('b', '198.51.100.2'))); // its own
    redis.add(['v', '1', 'type', 'ban', 'origin', 'a', 'ip', '1.2.3.4; rm -rf /', 'time', '1']);
    redis.add(encodeEvent(ban('a', '198.51.100.3')));
    await waitFor(() => b.held.has('198.51.100.3'), 3000, 'the next event');
    expect([...b.held].sort()).toEqual(['198.51.100.1', '198.51.100.3']);
    expect(b.fleet.status()).toMatchObject({ own: 1, rejected: 1, resyncs: 1 });
    expect(b.store.cursor()).toBe(redis.entries.at(-1)!.id);
  });

  it('resumes from its cursor after a restart, applying nothing twice; behind a trimmed stream it resyncs and lifts what the list lost', async () => {
    const redis = new MemoryRedis();
    const db = new SqliteStore(':memory:');
    const first = member('b', redis, db);
    first.fleet.start();
    redis.add(encodeEvent(ban('a', '203.0.113.1')));
    await waitFor(() => first.held.has('203.0.113.1'), 3000, 'the first event');
    await first.fleet.stop();
    running.splice(running.indexOf(first.fleet), 1);

    redis.add(encodeEvent(ban('a', '203.0.113.2')));
    const again = member('b', redis, db);
    again.fleet.start();
    await waitFor(() => again.applied.some((x) => x.events.length > 0), 3000, 'catching up');
    expect(again.applied.flatMap((x) => x.events.map((e) => e.ip))).toEqual(['203.0.113.2']);
    await again.fleet.stop();
    running.splice(running.indexOf(again.fleet), 1);

    // The stream loses everything up to now (trimmed, or a Redis that lost its data); the list no longer has .1.
    redis.permanent.set('203.0.113.2', JSON.stringify({ origin: 'a', jail: 'sshd', reason: '', time: 1 }));
    redis.entries = [];
    redis.add(encodeEvent(ban('a', '203.0.113.9')));
    const later = member('b', redis, db);
    for (const ip of ['203.0.113.1', '203.0.113.2']) later.held.add(ip);
    later.fleet.start();
    await waitFor(() => later.fleet.status().resyncs === 1, 3000, 'the resync');
    const resync = later.applied[0]!.events;
    expect(resync.filter((e) => e.type === 'unban').map((e) => e.ip)).toEqual(['203.0.113.1']);
    expect(resync.filter((e) => e.type === 'ban').map((e) => e.ip)).toEqual(['203.0.113.2']);
  });
});
