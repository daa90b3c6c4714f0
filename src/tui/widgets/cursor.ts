import type { Key } from '../keys.js';

/**
 * The list panes' cursor. The jails and bans panes keep an index; the log
 * pane keeps how far it is scrolled back from the end, 0 meaning it follows
 * the tail as lines arrive.
 */

/** How far a key moves the cursor, or null when the key is not a movement. */
export function movement(k: Key, page: number): number | null {
  if (k.ch === 'j' || k.name === 'down') return 1;
  if (k.ch === 'k' || k.name === 'up') return -1;
  if (k.name === 'pageDown') return Math.max(1, page);
  if (k.name === 'pageUp') return -Math.max(1, page);
  if (k.ch === 'g' || k.name === 'home') return -Infinity;
  if (k.ch === 'G' || k.name === 'end') return Infinity;
  return null;
}

export function moveIndex(index: number, by: number, count: number): number {
  return clamp(index + by, 0, count - 1);
}

/** Moving down in the tail means towards the newest line, i.e. less far back. */
export function moveBack(back: number, by: number, count: number, visible: number): number {
  return clamp(back - by, 0, count - visible);
}

export function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(Math.max(lo, hi), n));
}
