import { Redis } from 'ioredis';

export interface StreamEntry {
  id: string;
  fields: string[];
}

/** What goes to Redis for one event: the stream entry, and the change to the shared lists it implies. */
export interface Outgoing {
  fields: string[];
  permanentAdd?: { ip: string; meta: string };
  permanentRemove?: string;
  whitelistAdd?: string;
  whitelistRemove?: string;
}

/** The fleet's only view of Redis. Tests of the fleet logic may put something else behind it; the daemon uses Redis. */
export interface FleetTransport {
  readonly connected: boolean;
  publish(batch: Outgoing[]): Promise<void>;
  /** Entries after `after`, waiting up to `blockMs` for the first. */
  read(after: string, blockMs: number, count: number): Promise<StreamEntry[]>;
  /** The newest entry's ID, '0-0' for an empty stream. */
  head(): Promise<string>;
  /** The oldest entry still in the stream (older ones were trimmed), null for an empty stream. */
  first(): Promise<string | null>;
  /** The shared lists, for a host that joins (or one that fell behind the trimmed stream). */
  snapshot(): Promise<{ permanent: Array<{ ip: string; meta: string | null }>; whitelist: string[] }>;
  close(): Promise<void>;
}

/** The stream keeps about this many entries; a host further behind catches up from the shared lists. */
const STREAM_MAXLEN = 1_000_000;

/**
 * ioredis behind FleetTransport: one connection for commands, one for the
 * blocking XREAD. Commands fail at once while Redis is down (no offline queue:
 * the outbox in SQLite is the queue), and ioredis reconnects by itself.
 */
export class RedisTransport implements FleetTransport {
  private readonly cmd: Redis;
  private readonly reader: Redis;
  private readonly keys;
  /** Why the last connection attempt failed (a wrong password, a certificate): a command refused meanwhile says so. */
  private connError = '';

  constructor(url: string, prefix: string) {
    const opts = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 3000,
      retryStrategy: (n: number) => Math.min(100 * n, 1000),
      lazyConnect: false,
    };
    this.cmd = new Redis(url, opts);
    this.reader = new Redis(url, opts);
    // Connection errors surface as failed commands, which the fleet logs and retries; the listener keeps the reason
    // for those, and keeps ioredis from treating them as unhandled.
    for (const c of [this.cmd, this.reader]) {
      c.on('error', (e: Error) => { this.connError = e.message; });
      c.on('ready', () => { this.connError = ''; });
    }
    this.keys = { events: `${prefix}:events`, permanent: `${prefix}:permanent`, meta: `${prefix}:permanent:meta`, whitelist: `${prefix}:whitelist` };
  }

  /** Waits a little for a connection being (re)made, so the first command after start does not fail for nothing. */
  private async up(c: Redis): Promise<void> {
    if (c.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { c.off('ready', onReady); reject(new Error(`not connected to Redis (${c.status}${this.connError ? `: ${this.connError}` : ''})`)); }, 3000);
      const onReady = () => { clearTimeout(timer); resolve(); };
      c.once('ready', onReady);
    });
  }

  get connected(): boolean {
    return this.cmd.status === 'ready' && this.reader.status === 'ready';
  }

  async publish(batch: Outgoing[]): Promise<void> {
    await this.up(this.cmd);
    const m = this.cmd.multi();
    for (const o of batch) {
      m.xadd(this.keys.events, 'MAXLEN', '~', STREAM_MAXLEN, '*', ...o.fields);
      if (o.permanentAdd) {
        m.sadd(this.keys.permanent, o.permanentAdd.ip);
        m.hset(this.keys.meta, o.permanentAdd.ip, o.permanentAdd.meta);
      }
      if (o.permanentRemove) {
        m.srem(this.keys.permanent, o.permanentRemove);
        m.hdel(this.keys.meta, o.permanentRemove);
      }
      if (o.whitelistAdd) m.sadd(this.keys.whitelist, o.whitelistAdd);
      if (o.whitelistRemove) m.srem(this.keys.whitelist, o.whitelistRemove);
    }
    const results = await m.exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw failed?.[0] ?? new Error('Redis transaction aborted');
  }

  async read(after: string, blockMs: number, count: number): Promise<StreamEntry[]> {
    await this.up(this.reader);
    const r = await this.reader.xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', this.keys.events, after);
    if (!r) return [];
    return r[0]![1].map(([id, fields]) => ({ id, fields }));
  }

  async head(): Promise<string> {
    await this.up(this.cmd);
    const r = await this.cmd.xrevrange(this.keys.events, '+', '-', 'COUNT', 1);
    return r[0]?.[0] ?? '0-0';
  }

  async first(): Promise<string | null> {
    await this.up(this.cmd);
    const r = await this.cmd.xrange(this.keys.events, '-', '+', 'COUNT', 1);
    return r[0]?.[0] ?? null;
  }

  async snapshot(): Promise<{ permanent: Array<{ ip: string; meta: string | null }>; whitelist: string[] }> {
    await this.up(this.cmd);
    const [ips, meta, whitelist] = await Promise.all([
      this.cmd.smembers(this.keys.permanent), this.cmd.hgetall(this.keys.meta), this.cmd.smembers(this.keys.whitelist),
    ]);
    return { permanent: ips.map((ip) => ({ ip, meta: meta[ip] ?? null })), whitelist };
  }

  async close(): Promise<void> {
    this.cmd.disconnect();
    this.reader.disconnect();
  }
}
