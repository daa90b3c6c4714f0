import { formatDuration, parseDuration } from '../util/duration.js';
import { canonicalTarget, maskedNetwork, maskedNetworkMessage } from '../util/ip.js';
import { SORT_KEYS, type SortKey } from './data.js';
import type { Key } from './keys.js';
import type { EngineAction } from './widgets/actions.js';
import { parseCommand } from './widgets/command-line.js';
import { confirmFor, confirmKey, type Confirm } from './widgets/confirm.js';
import { moveBack, moveIndex, movement } from './widgets/cursor.js';
import { promptKey } from './widgets/prompt.js';
import { unbanDialog, unbanKey, type UnbanDialog } from './widgets/unban-dialog.js';

export type Pane = 'jails' | 'bans' | 'log';
export const PANES: Pane[] = ['jails', 'bans', 'log'];

export type Mode =
  | { kind: 'normal' }
  | { kind: 'input'; purpose: 'filter' | 'command' | 'ban'; text: string }
  | ({ kind: 'confirm' } & Confirm)
  | ({ kind: 'unban' } & UnbanDialog)
  /** `top`: the first line of the detail shown (it scrolls). */
  | { kind: 'detail'; ip: string; top: number }
  | { kind: 'help' };

/** Everything the keys change. Pure data: the reducer below is tested without Ink. */
export interface UiState {
  focus: Pane;
  jailIdx: number;
  banIdx: number;
  /** Lines scrolled back from the end of the tail; 0 follows it. */
  logBack: number;
  /** The jail whose bans are shown; null: all jails. */
  jail: string | null;
  filter: string;
  sort: SortKey;
  /** The log tail stops taking lines; the engine goes on. */
  paused: boolean;
  mode: Mode;
  message: string;
}

export const initialUi: UiState = {
  focus: 'bans', jailIdx: 0, banIdx: 0, logBack: 0, jail: null, filter: '', sort: 'since', paused: false, mode: { kind: 'normal' }, message: '',
};

/** What the reducer needs to know about the screen as drawn. */
export interface ViewInfo {
  readonly: boolean;
  jails: string[];
  banRows: number;
  logLines: number;
  /** Rows a page key moves in each pane. */
  page: Record<Pane, number>;
  /** The detail view: how many lines it has, and how many fit. */
  detail: { lines: number; visible: number };
  /** The address under the cursor of the focused pane (bans: the row; log: the newest visible line). */
  selectedIp: (s: UiState) => string | undefined;
  jailsOf: (ip: string) => string[];
}

export type Effect = { type: 'engine'; action: EngineAction } | { type: 'detail'; ip: string } | { type: 'quit' };

export interface Step {
  state: UiState;
  effects: Effect[];
}

const READONLY = 'read-only: actions are disabled (--readonly)';

/** One keystroke: the new state and what to ask of the engine. */
export function reduce(s: UiState, k: Key, v: ViewInfo): Step {
  const m = s.mode;
  switch (m.kind) {
    case 'input': return inputKey(s, m, k, v);
    case 'confirm': {
      const r = confirmKey(m, k);
      if (r.kind === 'typing') return same({ ...s, mode: { kind: 'confirm', ...r.confirm } });
      if (r.kind === 'no') return same({ ...s, mode: normal, message: r.message });
      return engine({ ...s, mode: normal }, r.action);
    }
    case 'unban': {
      const r = unbanKey(m, k);
      const next = { ...s, mode: normal, message: r.message ?? s.message };
      return r.action ? engine(next, r.action) : same(next);
    }
    case 'help':
      return same(k.name === 'escape' || k.ch === '?' || k.ch === 'q' ? { ...s, mode: normal } : s);
    case 'detail': {
      const by = movement(k, v.detail.visible);
      if (by !== null) return same({ ...s, mode: { ...m, top: moveIndex(m.top, by, v.detail.lines - v.detail.visible + 1) } });
      if (k.name === 'escape') return same({ ...s, mode: normal });
      if (k.ch === 'q') return { state: s, effects: [{ type: 'quit' }] };
      if (k.ch === 'P' || k.ch === 'u' || k.ch === 'w') return act(s, k.ch, m.ip, v);
      return same(s);
    }
    case 'normal': return normalKey(s, k, v);
  }
}

const normal: Mode = { kind: 'normal' };
const same = (state: UiState): Step => ({ state, effects: [] });
const engine = (s: UiState, action: EngineAction): Step => ({ state: { ...s, message: '…' }, effects: [{ type: 'engine', action }] });

function normalKey(s: UiState, k: Key, v: ViewInfo): Step {
  const by = movement(k, v.page[s.focus]);
  if (by !== null) {
    if (s.focus === 'jails') return same({ ...s, jailIdx: moveIndex(s.jailIdx, by, v.jails.length) });
    if (s.focus === 'bans') return same({ ...s, banIdx: moveIndex(s.banIdx, by, v.banRows) });
    return same({ ...s, logBack: moveBack(s.logBack, by, v.logLines, v.page.log) });
  }
  if (k.name === 'tab' || k.name === 'backTab') {
    return same({ ...s, focus: PANES[(PANES.indexOf(s.focus) + (k.name === 'backTab' ? 2 : 1)) % 3]! });
  }
  if (k.name === 'escape') return same({ ...s, filter: '', message: '' });
  if (k.name === 'enter') {
    if (s.focus === 'jails') {
      const j = v.jails[s.jailIdx] ?? null;
      return same({ ...s, jail: s.jail === j ? null : j, banIdx: 0 });
    }
    const ip = v.selectedIp(s);
    return ip ? { state: { ...s, mode: { kind: 'detail', ip, top: 0 } }, effects: [{ type: 'detail', ip }] } : same({ ...s, message: 'no address selected' });
  }
  switch (k.ch) {
    case 'q': return { state: s, effects: [{ type: 'quit' }] };
    case '/': return same({ ...s, mode: { kind: 'input', purpose: 'filter', text: s.filter } });
    case ':': return same({ ...s, mode: { kind: 'input', purpose: 'command', text: '' } });
    case '?': return same({ ...s, mode: { kind: 'help' } });
    case ' ': return same({ ...s, paused: !s.paused, message: s.paused ? 'tail resumed' : 'tail paused (the engine goes on)' });
    case 's': {
      const sort = SORT_KEYS[(SORT_KEYS.indexOf(s.sort) + 1) % SORT_KEYS.length]!;
      return same({ ...s, sort, message: `bans sorted by ${sort}` });
    }
    case 'b': return same(v.readonly ? { ...s, message: READONLY } : { ...s, mode: { kind: 'input', purpose: 'ban', text: '' } });
    case 'P': case 'u': case 'w': {
      const ip = v.selectedIp(s);
      if (!ip) return same({ ...s, message: 'select an address first (bans pane, or a matched line in the log pane)' });
      return act(s, k.ch, ip, v);
    }
  }
  return same(s);
}

/** P, u and w: each opens a dialog that says exactly what will happen; nothing runs without an answer. */
function act(s: UiState, what: 'P' | 'u' | 'w', ip: string, v: ViewInfo): Step {
  if (v.readonly) return same({ ...s, message: READONLY });
  if (what === 'u') return same({ ...s, mode: { kind: 'unban', ...unbanDialog(ip, v.jailsOf(ip), s.jail) } });
  return same({ ...s, mode: confirmMode(what === 'P' ? permabanConfirm(ip) : whitelistConfirm(ip)) });
}

const confirmMode = (c: Confirm): Mode => ({ kind: 'confirm', ...c });
const permabanConfirm = (ip: string) => confirmFor(`Permaban ${ip} (permanent list, all ports)?`, ip, { type: 'ban', ip, seconds: -1 });
const whitelistConfirm = (ip: string) => confirmFor(`Whitelist ${ip} and unban it everywhere?`, ip, { type: 'whitelist', ip });

function inputKey(s: UiState, m: Extract<Mode, { kind: 'input' }>, k: Key, v: ViewInfo): Step {
  const r = promptKey(m.text, k);
  if (r.kind === 'cancel') return same({ ...s, mode: normal, filter: m.purpose === 'filter' ? '' : s.filter });
  if (r.kind === 'edit') {
    // The filter applies as it is typed.
    return same({ ...s, mode: { ...m, text: r.text }, ...(m.purpose === 'filter' ? { filter: r.text.trim(), banIdx: 0 } : {}) });
  }
  const done = { ...s, mode: normal };
  if (m.purpose === 'filter') return same({ ...done, filter: r.text.trim(), banIdx: 0 });
  if (m.purpose === 'ban') {
    const [ip, dur] = r.text.trim().split(/\s+/);
    return ip ? banConfirm(done, ip, dur) : same(done);
  }
  return command(done, r.text, v);
}

function banConfirm(s: UiState, ipText: string, dur: string | undefined): Step {
  const ip = canonicalTarget(ipText);
  if (!ip) return same({ ...s, message: `error: "${ipText}" is not an IP address or CIDR` });
  const masked = maskedNetwork(ipText);
  if (masked) return same({ ...s, message: `error: ${maskedNetworkMessage(ipText, masked)}` });
  let seconds: number | undefined;
  try {
    seconds = dur ? parseDuration(dur) : undefined;
  } catch (e) {
    return same({ ...s, message: `error: ${(e as Error).message}` });
  }
  const what = seconds === undefined ? 'for the manual jail\'s bantime (1h)' : seconds < 0 ? 'permanently' : `for ${formatDuration(seconds)}`;
  return same({ ...s, mode: confirmMode(confirmFor(`Ban ${ip} on all ports ${what}?`, ip, { type: 'ban', ip, seconds })) });
}

/** `:unban all [JAIL]`: every ban, or every ban of a jail, confirmed by typing "all" (one stray `y` must not lift them). */
function unbanAllConfirm(s: UiState, jail: string | undefined, v: ViewInfo): Step {
  if (jail !== undefined && !v.jails.includes(jail)) return same({ ...s, message: `error: unknown jail "${jail}" (jails: ${v.jails.join(', ')})` });
  const question = jail === undefined ? 'Unban every ban, the permanent list included, everywhere?' : `Unban every ban of ${jail}?`;
  return same({ ...s, mode: confirmMode({ question, action: { type: 'unbanAll', ...(jail === undefined ? {} : { jail }) }, mustType: 'all', typed: '' }) });
}

function command(s: UiState, text: string, v: ViewInfo): Step {
  const c = parseCommand(text);
  if (typeof c === 'string') return same({ ...s, message: c });
  const [a, b] = c.args;
  switch (c.name) {
    case 'quit': return { state: s, effects: [{ type: 'quit' }] };
    case 'help': return same({ ...s, mode: { kind: 'help' } });
    case 'jail':
      if (!a || a === 'all') return same({ ...s, jail: null, banIdx: 0 });
      if (v.jails.includes(a)) return same({ ...s, jail: a, banIdx: 0 });
      return same({ ...s, message: `error: unknown jail "${a}" (jails: ${v.jails.join(', ')})` });
    case 'sort':
      if (SORT_KEYS.includes(a as SortKey)) return same({ ...s, sort: a as SortKey });
      return same({ ...s, message: `error: sort by ${SORT_KEYS.join(', ')}` });
  }
  if (!a) return same({ ...s, message: `error: :${c.name} needs an address` });
  if (v.readonly) return same({ ...s, message: READONLY });
  if (c.name === 'unban' && a === 'all') return unbanAllConfirm(s, b, v);
  const ip = canonicalTarget(a) ?? a;
  // A mistyped prefix would widen these (ban: banConfirm).
  const masked = c.name === 'permaban' || c.name === 'whitelist' ? maskedNetwork(a) : null;
  if (masked) return same({ ...s, message: `error: ${maskedNetworkMessage(a, masked)}` });
  switch (c.name) {
    case 'ban': return banConfirm(s, a, b);
    case 'permaban': return same({ ...s, mode: confirmMode(permabanConfirm(ip)) });
    case 'whitelist': return same({ ...s, mode: confirmMode(whitelistConfirm(ip)) });
    case 'unban': return engine(s, { type: 'unban', ip });
  }
}
