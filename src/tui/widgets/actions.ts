import { formatDuration } from '../../util/duration.js';
import type { TuiSource } from '../source.js';

/** What the TUI asks of the engine. The reducer only describes it; the app runs it through the client. */
export type EngineAction =
  | { type: 'ban'; ip: string; seconds: number | undefined }
  /** No jail: everywhere. */
  | { type: 'unban'; ip: string; jail?: string }
  /** Every ban (`unban --all`), or every ban of one jail. */
  | { type: 'unbanAll'; jail?: string }
  | { type: 'whitelist'; ip: string };

/** Runs an action and says what happened, for the status line. Errors propagate to the caller, which shows them. */
export async function runAction(source: TuiSource, a: EngineAction): Promise<string> {
  switch (a.type) {
    case 'ban': {
      const b = await source.ban(a.ip, a.seconds);
      return b.permanent || b.expiresAt === null ? `banned ${b.ip} permanently`
        : `banned ${b.ip} in ${b.jail} for ${formatDuration(Math.round((b.expiresAt - b.bannedAt) / 1000))}`;
    }
    case 'unban': {
      const r = await source.unban(a.ip, a.jail);
      if (a.jail !== undefined) return r.jails.length ? `unbanned ${r.ip} in ${a.jail}` : `${r.ip} was not banned in ${a.jail}`;
      return r.jails.length ? `unbanned ${r.ip} everywhere (${r.jails.join(', ')}); its old log lines will never count again` : `${r.ip} was not banned`;
    }
    case 'unbanAll': {
      const r = await source.unbanAll(a.jail);
      const where = a.jail === undefined ? '' : ` in ${a.jail}`;
      return r.bans === 0 ? `no bans${where}` : `unbanned ${r.addresses} address(es), ${r.bans} ban(s)${where || ` in ${r.jails.join(', ')}`}` +
        (a.jail === undefined ? '; their old log lines will never count again' : '');
    }
    case 'whitelist': {
      const r = await source.whitelistAdd(a.ip);
      return `whitelisted ${r.entry}${r.unbanned.length ? `; unbanned in ${r.unbanned.map((u) => u.jail).join(', ')}` : ''}`;
    }
  }
}

export function errorText(e: Error & { hint?: string }): string {
  return `error: ${e.message}${e.hint ? ` (${e.hint})` : ''}`;
}
