import type { Key } from '../keys.js';
import type { EngineAction } from './actions.js';

/** `u`: unban in one jail or everywhere. `here` is the jail meant by "this jail", if there is one. */
export interface UnbanDialog {
  ip: string;
  jails: string[];
  here: string | undefined;
}

/** The jail in view, or the one jail that holds the address; with several and none in view, "this jail" is ambiguous. */
export function unbanDialog(ip: string, heldBy: string[], jailInView: string | null): UnbanDialog {
  return { ip, jails: heldBy, here: jailInView ?? (heldBy.length === 1 ? heldBy[0] : undefined) };
}

export function unbanKey(d: UnbanDialog, k: Key): { action?: EngineAction; message?: string } {
  if (k.ch === 'e') return { action: { type: 'unban', ip: d.ip } };
  if (k.ch === 'j' && d.here !== undefined) return { action: { type: 'unban', ip: d.ip, jail: d.here } };
  if (k.ch === 'j') return { message: `${d.ip} is held by ${d.jails.join(', ')}: pick a jail first (Enter on the jails pane), or e for everywhere` };
  return { message: 'cancelled' };
}

export function unbanPrompt(d: UnbanDialog): string {
  return `Unban ${d.ip} (held by ${d.jails.join(', ') || 'no jail'}): j = ${d.here ?? 'this jail'} only, e = everywhere, Esc = cancel`;
}
