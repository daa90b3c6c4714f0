import { hostname } from 'node:os';
import { z } from 'zod';
import type { ConfigStore } from '../config/store.js';
import { ConfigError } from '../util/errors.js';

export const SHAREABLE = ['permanent', 'escalation', 'manual'] as const;
export type Shareable = (typeof SHAREABLE)[number];

/** bantop.conf's [fleet]: ban sharing through Redis. Absent: this host is on its own. */
export interface FleetSettings {
  /** redis://[user:password@]host:port/db, or rediss:// for TLS. */
  redis: string;
  /** This host's id in the fleet; events carry it as their origin. */
  name: string;
  share: ReadonlySet<Shareable>;
  /** Prefix of the Redis keys (`<key>:events`, `<key>:permanent`, `<key>:whitelist`), so fleets can share a server. */
  key: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const FleetSchema = z.object({
  redis: z.string().refine((u) => {
    try {
      const url = new URL(u);
      return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
    } catch {
      return false;
    }
  }, 'must be a redis:// or rediss:// URL with a host, e.g. redis://10.0.0.5:6379/0'),
  name: z.string().regex(NAME, 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit'),
  share: z.array(z.enum(SHAREABLE, { error: `each item must be one of ${SHAREABLE.join(', ')}` })),
  key: z.string().regex(/^[A-Za-z0-9:._-]{1,64}$/, 'must be 1-64 letters, digits, ":", ".", "_" or "-"'),
});

/** Reads [fleet] from bantop.conf's family; errors name the file, the line and the key. */
export function readFleetSettings(store: ConfigStore, file: string): FleetSettings | null {
  if (!store.hasSection('fleet')) return null;
  const at = (key: string) => {
    const e = store.entry('fleet', key);
    const origin = store.origin('fleet');
    return { file: e?.file ?? origin?.file ?? file, line: e?.line ?? origin?.line, key: `[fleet] ${key}` };
  };
  const redis = store.get('fleet', 'redis')?.trim();
  if (!redis) throw new ConfigError(at('redis'), 'the [fleet] section needs redis = redis://HOST:6379/0', 'set it, or remove [fleet] to run this host on its own');
  const raw = {
    redis,
    name: (store.get('fleet', 'name') ?? '').trim() || hostname().split('.')[0]!,
    share: (store.get('fleet', 'share') ?? SHAREABLE.join(',')).split(/[\s,]+/).filter(Boolean),
    key: (store.get('fleet', 'key') ?? 'bantop').trim(),
  };
  const r = FleetSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ConfigError(at(String(issue.path[0])), issue.message);
  }
  return { ...r.data, share: new Set(r.data.share) };
}

/** The URL without its password, for status output and logs. */
export function redactUrl(u: string): string {
  try {
    const url = new URL(u);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(invalid URL)';
  }
}
