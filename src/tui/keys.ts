import type { Key as InkKey } from 'ink';

export type KeyName = 'up' | 'down' | 'pageUp' | 'pageDown' | 'home' | 'end' | 'tab' | 'backTab' | 'enter' | 'escape' | 'backspace';

/** One keystroke, independent of Ink: a named key, or the character typed. */
export interface Key {
  ch: string;
  name?: KeyName;
}

export const key = (ch: string, name?: KeyName): Key => (name ? { ch, name } : { ch });

/**
 * Ink's key event as one or more keystrokes. A terminal may deliver several
 * keys in one read (typing ahead, a paste, tmux send-keys): each character is
 * its own keystroke, so "y" typed right after "P" still confirms.
 */
export function fromInk(input: string, k: InkKey): Key[] {
  // Ink reports a lone Esc with meta set too.
  if (k.escape) return [key('', 'escape')];
  if (k.ctrl) return [];
  const keys = keysOf(input, k);
  // Esc and a key in one read arrive as Alt+key (ESC b, ESC Enter). bantop binds no Alt keys, and a busy server
  // reached over SSH reads an Esc typed just before "b" together with it: both keystrokes count, as typed.
  return k.meta && keys.length > 0 ? [key('', 'escape'), ...keys] : keys;
}

function keysOf(input: string, k: InkKey): Key[] {
  if (k.tab) return [key('', k.shift ? 'backTab' : 'tab')];
  if (k.return) return [key('', 'enter')];
  if (k.backspace || k.delete) return [key('', 'backspace')];
  if (k.upArrow) return [key('', 'up')];
  if (k.downArrow) return [key('', 'down')];
  if (k.pageUp) return [key('', 'pageUp')];
  if (k.pageDown) return [key('', 'pageDown')];
  if (k.home) return [key('', 'home')];
  if (k.end) return [key('', 'end')];
  return [...input].map((ch) => (ch === '\r' || ch === '\n' ? key('', 'enter') : ch === '\t' ? key('', 'tab') : key(ch)));
}

/** Every key, for `?` and the README. */
export const KEYS: Array<[string, string]> = [
  ['j/k ↑/↓', 'move (in the detail: scroll)'], ['g/G', 'top / bottom'], ['PgUp/PgDn', 'page'], ['Tab/S-Tab', 'next / previous pane'],
  ['Enter', 'jails: show that jail\'s bans (again: all); bans, log: detail of the address'], ['Esc', 'back, clear the filter, cancel'],
  ['/', 'filter by IP, CIDR or text'], ['s', 'sort the bans (since, expires, ip, jail, failures)'],
  ['P', 'permaban the selected address'], ['u', 'unban it: in this jail or everywhere'], ['w', 'whitelist it (also unbans)'],
  ['b', 'ban an address you type, with a duration'], [':', 'command: ban IP [DUR], unban IP, unban all [JAIL], permaban IP, whitelist IP, jail NAME|all, sort KEY, q'],
  ['Space', 'pause / resume the log tail (the engine goes on)'], ['?', 'this help'], ['q', 'quit'],
];
