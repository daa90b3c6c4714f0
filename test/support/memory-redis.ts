import { idAfter } from '../../src/fleet/events.js';
import type { FleetTransport, Outgoing, StreamEntry } from '../../src/fleet/redis-transport.js';

/** An in-memory stand-in for Redis: the stream, the shared permanent list and whitelist (a fake, for logic tests). */
export class MemoryRedis implements FleetTransport {
  entries: StreamEntry[] = [];
  permanent = new Map<string, string>();
  whitelist = new Set<string>();
  down = false;
  private seq = 0;
  get connected() { return !this.down; }
  private check() { if (this.down) throw new Error('connection refused'); }
  add(fields: string[]): string {
    const id = `${1_700_000_000_000 + ++this.seq}-0`;
    this.entries.push({ id, fields });
    return id;
  }
  async publish(batch: Outgoing[]) {
    this.check();
    for (const o of batch) {
      this.add(o.fields);
      if (o.permanentAdd) this.permanent.set(o.permanentAdd.ip, o.permanentAdd.meta);
      if (o.permanentRemove) this.permanent.delete(o.permanentRemove);
      if (o.whitelistAdd) this.whitelist.add(o.whitelistAdd);
    }
  }
  async read(after: string, blockMs: number, count: number) {
    this.check();
    const out = this.entries.filter((e) => idAfter(e.id, after)).slice(0, count);
    if (out.length === 0) await new Promise((r) => setTimeout(r, Math.min(blockMs, 5)));
    return out;
  }
  async head() { this.check(); return this.entries.at(-1)?.id ?? '0-0'; }
  async first() { this.check(); return this.entries[0]?.id ?? null; }
  async snapshot() {
    this.check();
    return { permanent: [...this.permanent].map(([ip, meta]) => ({ ip, meta })), whitelist: [...this.whitelist] };
  }
  async close() {}
}
