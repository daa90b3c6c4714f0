import { z } from 'zod';
import { canonicalTarget } from '../util/ip.js';
import type { Shareable } from './settings.js';

/**
 * What travels on the fleet's Redis Stream. Entries come from other hosts,
 * so they are external input: every field is checked, and an entry that does
 * not pass is skipped and counted, never applied.
 */
export type FleetEvent =
  | { type: 'ban'; origin: string; ip: string; jail: string; bantime: number; source: string; reason: string; time: number }
  /** everywhere: the origin's operator unbanned it everywhere; else only the shared ban is lifted. */
  | { type: 'unban'; origin: string; ip: string; everywhere: boolean; time: number }
  | { type: 'whitelist'; origin: string; ip: string; time: number }
  | { type: 'unwhitelist'; origin: string; ip: string; time: number };

const target = z.string().max(64).transform((s, ctx) => {
  const t = canonicalTarget(s);
  if (t === null) {
    ctx.addIssue({ code: 'custom', message: `"${s.slice(0, 64)}" is not an IP address or CIDR` });
    return z.NEVER;
  }
  return t;
});
const common = { origin: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/), ip: target, time: z.coerce.number().int().nonnegative() };
const Schema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ban'), ...common, jail: z.string().max(64), bantime: z.coerce.number().int().min(-1).refine((n) => n !== 0), source: z.string().max(32), reason: z.string().max(500).default('') }),
  z.object({ type: z.literal('unban'), ...common, everywhere: z.enum(['0', '1']).transform((v) => v === '1') }),
  z.object({ type: z.literal('whitelist'), ...common }),
  z.object({ type: z.literal('unwhitelist'), ...common }),
]);

/** Stream entry fields, flat strings as XADD takes them. */
export function encodeEvent(e: FleetEvent): string[] {
  const fields: Record<string, string> = { v: '1', type: e.type, origin: e.origin, ip: e.ip, time: String(e.time) };
  if (e.type === 'ban') Object.assign(fields, { jail: e.jail, bantime: String(e.bantime), source: e.source, reason: e.reason });
  if (e.type === 'unban') fields['everywhere'] = e.everywhere ? '1' : '0';
  return Object.entries(fields).flat();
}

export function decodeEvent(fields: string[]): FleetEvent | string {
  const o: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) o[fields[i]!] = fields[i + 1]!;
  if (o['v'] !== '1') return `unknown event version ${JSON.stringify(o['v'] ?? null)}`;
  const r = Schema.safeParse(o);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    return `${issue.path.join('.') || 'event'}: ${issue.message}`;
  }
  return r.data as FleetEvent;
}

/** Is a local ban one the fleet shares? Bans that came from the fleet are never sent back. */
export function isShared(ban: { expiresAt: number | null; source: string }, share: ReadonlySet<Shareable>): boolean {
  if (ban.source === 'fleet') return false;
  return (share.has('permanent') && ban.expiresAt === null)
    || (share.has('escalation') && ban.source === 'escalation')
    || (share.has('manual') && ban.source === 'manual');
}

/** A stream ID's milliseconds part: when Redis took the entry. */
export function idTime(id: string): number {
  return Number(id.split('-')[0]);
}

/** Is stream ID a strictly after b? */
export function idAfter(a: string, b: string): boolean {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am > bm || (am === bm && as > bs);
}
