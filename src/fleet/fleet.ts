import type { Clock } from '../util/clock.js';
import { decodeEvent, encodeEvent, idAfter, idTime, type FleetEvent } from './events.js';
import type { FleetStore } from './fleet-store.js';
import type { FleetTransport, Outgoing } from './redis-transport.js';
import { redactUrl, type FleetSettings } from './settings.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** What the fleet asks of the service it belongs to. */
export interface FleetHost {
  /**
   * Apply events from other hosts and move the stream position to `cursor`,
   * in one store transaction: after a crash either both are there or neither.
   */
  applyRemote(events: FleetEvent[], cursor: string): void;
  /** The addresses this host holds permanently banned because of the fleet. */
  sharedPermanent(): string[];
  log(level: 'INFO' | 'WARNING' | 'ERROR', msg: string): void;
}

/** The shared permanent list's per-address note, as kept in Redis. */
export interface PermanentMeta {
  origin: string;
  jail: string;
  reason: string;
  time: number;
}

const READ_BLOCK_MS = 1000;
const READ_COUNT = 500;
const RETRY_MS = 1000;

/**
 * Ban sharing. Local bans the fleet shares go to an outbox in SQLite and from
 * there to the Redis Stream (and the permanent set); events from other hosts
 * are read from the stream after the last applied ID and applied with that ID
 * in one transaction, so a restart or an outage neither misses one nor
 * applies one twice. Redis being down stops only the sharing.
 */
export class Fleet {
  private running = false;
  private draining = false;
  private drainAgain = false;
  private lastError = '';
  private lagMs = 0;
  private readonly stats = { published: 0, applied: 0, rejected: 0, own: 0, resyncs: 0 };
  private loop: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly settings: FleetSettings,
    private readonly transport: FleetTransport,
    private readonly store: FleetStore,
    private readonly host: FleetHost,
    private readonly clock: Clock,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.readLoop();
    this.timer = setInterval(() => void this.drain(), RETRY_MS);
    this.timer.unref();
    void this.drain();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.timer);
    await this.drain();
    await this.transport.close();
    await this.loop?.catch(() => {});
  }

  /** Queue an event for the fleet (inside the caller's store transaction when there is one). */
  publish(e: DistributiveOmit<FleetEvent, 'origin'>): void {
    this.store.enqueue(encodeEvent({ ...e, origin: this.settings.name } as FleetEvent));
    setImmediate(() => void this.drain());
  }

  /** `origins`: how many of the shared bans held here came from each host. */
  status(origins: Record<string, number> = {}) {
    return {
      name: this.settings.name,
      redis: redactUrl(this.settings.redis),
      share: [...this.settings.share],
      connected: this.transport.connected,
      /** Age of the newest applied event when it was applied; 0 when the stream has nothing newer. */
      lagMs: this.lagMs,
      cursor: this.store.cursor() ?? null,
      pending: this.store.pendingCount(),
      ...this.stats,
      origins,
      lastError: this.lastError || null,
    };
  }

  private fail(what: string, e: unknown): void {
    const msg = `fleet: ${what}: ${(e as Error).message}`;
    if (msg !== this.lastError) this.host.log('WARNING', `${msg} (bans stay enforced here; sharing resumes when Redis is back)`);
    this.lastError = msg;
  }

  private ok(): void {
    if (this.lastError) this.host.log('INFO', `fleet: Redis is back (${redactUrl(this.settings.redis)})`);
    this.lastError = '';
  }

  /** Send the outbox, oldest first, in batches; what Redis did not take stays for the next try. */
  private async drain(): Promise<void> {
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = true;
    try {
      do {
        this.drainAgain = false;
        for (;;) {
          const rows = this.store.pending(500);
          if (rows.length === 0) break;
          await this.transport.publish(rows.map((r) => outgoing(r.fields)));
          this.store.done(rows[rows.length - 1]!.id);
          this.stats.published += rows.length;
          this.ok();
        }
      } while (this.drainAgain);
    } catch (e) {
      this.fail('cannot publish', e);
    } finally {
      this.draining = false;
    }
  }

  private async readLoop(): Promise<void> {
    while (this.running) {
      try {
        let cursor = this.store.cursor();
        if (cursor === undefined || (await this.fellBehind(cursor))) cursor = await this.join(cursor);
        while (this.running) {
          const entries = await this.transport.read(cursor, READ_BLOCK_MS, READ_COUNT);
          this.ok();
          if (entries.length === 0) {
            this.lagMs = 0;
            continue;
          }
          const events: FleetEvent[] = [];
          for (const en of entries) {
            const e = decodeEvent(en.fields);
            if (typeof e === 'string') {
              this.stats.rejected++;
              this.host.log('WARNING', `fleet: stream entry ${en.id} skipped: ${e}`);
            } else if (e.origin === this.settings.name) {
              this.stats.own++;
            } else {
              events.push(e);
            }
          }
          cursor = entries[entries.length - 1]!.id;
          this.host.applyRemote(events, cursor);
          this.stats.applied += events.length;
          this.lagMs = Math.max(0, this.clock.now() - idTime(cursor));
        }
      } catch (e) {
        if (!this.running) return;
        this.fail('cannot read the stream', e);
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }

  /**
   * Was the stream trimmed past our position (or emptied by a Redis that lost
   * its data)? The entry at our cursor is gone, and maybe some after it: the
   * shared lists fill the gap.
   */
  private async fellBehind(cursor: string): Promise<boolean> {
    const first = await this.transport.first();
    return first !== null && idAfter(first, cursor);
  }

  /**
   * A host that joins (or fell too far behind) takes the whole shared list in
   * one batch: the whitelist first, then every permanent ban, and positions
   * itself at the stream's head taken before the lists, so an event that
   * lands meanwhile is read again (applying it twice changes nothing).
   */
  private async join(previous: string | undefined): Promise<string> {
    const head = await this.transport.head();
    const snap = await this.transport.snapshot();
    const now = this.clock.now();
    const events: FleetEvent[] = snap.whitelist.map((ip) => ({ type: 'whitelist', origin: '(fleet list)', ip, time: now }) as FleetEvent);
    for (const p of snap.permanent) {
      const meta = parseMeta(p.meta);
      const decoded = decodeEvent(encodeEvent({ type: 'ban', origin: meta?.origin ?? 'fleet', ip: p.ip, jail: meta?.jail ?? 'fleet', bantime: -1, source: 'fleet', reason: meta?.reason ?? '', time: meta?.time ?? now }));
      if (typeof decoded === 'string') {
        this.stats.rejected++;
        this.host.log('WARNING', `fleet: permanent list entry ${JSON.stringify(p.ip).slice(0, 80)} skipped: ${decoded}`);
      } else if (decoded.origin !== this.settings.name) {
        events.push(decoded);
      }
    }
    if (previous !== undefined) {
      // Unbans may have been among the lost entries: a shared permanent ban the list no longer has is lifted.
      const listed = new Set(snap.permanent.map((p) => p.ip));
      for (const ip of this.host.sharedPermanent()) if (!listed.has(ip)) events.push({ type: 'unban', origin: '(fleet list)', ip, everywhere: false, time: now });
    }
    this.host.applyRemote(events, head);
    this.stats.resyncs++;
    this.stats.applied += events.length;
    this.host.log('INFO', `fleet: ${previous === undefined ? 'joined' : 'fell behind the trimmed stream; resynced'} as ${this.settings.name}: ` +
      `${snap.permanent.length} permanent ban(s), ${snap.whitelist.length} whitelist entr${snap.whitelist.length === 1 ? 'y' : 'ies'}`);
    return head;
  }
}

function parseMeta(s: string | null): PermanentMeta | null {
  if (!s) return null;
  try {
    const m = JSON.parse(s) as Partial<PermanentMeta>;
    return { origin: String(m.origin ?? 'fleet'), jail: String(m.jail ?? 'fleet'), reason: String(m.reason ?? ''), time: Number(m.time) || 0 };
  } catch {
    return null;
  }
}

/** The stream entry and what it changes in the shared lists. */
function outgoing(fields: string[]): Outgoing {
  const e = decodeEvent(fields);
  const o: Outgoing = { fields };
  if (typeof e === 'string') return o;
  if (e.type === 'ban' && e.bantime === -1) {
    o.permanentAdd = { ip: e.ip, meta: JSON.stringify({ origin: e.origin, jail: e.jail, reason: e.reason, time: e.time } satisfies PermanentMeta) };
  }
  if (e.type === 'unban' || e.type === 'whitelist') o.permanentRemove = e.ip;
  if (e.type === 'whitelist') o.whitelistAdd = e.ip;
  if (e.type === 'unwhitelist') o.whitelistRemove = e.ip;
  return o;
}
