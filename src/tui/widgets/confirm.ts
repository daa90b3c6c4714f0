import { isNetwork } from '../../util/ip.js';
import type { Key } from '../keys.js';
import { targetSize } from '../text.js';
import type { EngineAction } from './actions.js';

/** A question before a destructive action; `mustType` is set when only typing the target confirms it. */
export interface Confirm {
  question: string;
  action: EngineAction;
  mustType?: string;
  typed: string;
}

/** A network, or anything over 256 addresses, is confirmed by typing it: one stray `y` must not ban a /8. */
export function confirmFor(question: string, target: string, action: EngineAction): Confirm {
  const big = isNetwork(target) || targetSize(target) > 256;
  return { question, action, typed: '', ...(big ? { mustType: target } : {}) };
}

export type ConfirmResult = { kind: 'typing'; confirm: Confirm } | { kind: 'yes'; action: EngineAction } | { kind: 'no'; message: string };

export function confirmKey(c: Confirm, k: Key): ConfirmResult {
  if (c.mustType === undefined) {
    return k.ch === 'y' || k.ch === 'Y' ? { kind: 'yes', action: c.action } : { kind: 'no', message: 'cancelled' };
  }
  if (k.name === 'escape') return { kind: 'no', message: 'cancelled' };
  if (k.name === 'enter') {
    const typed = c.typed.trim();
    return typed === c.mustType ? { kind: 'yes', action: c.action } : { kind: 'no', message: `cancelled: "${typed}" is not ${c.mustType}` };
  }
  if (k.name === 'backspace') return { kind: 'typing', confirm: { ...c, typed: [...c.typed].slice(0, -1).join('') } };
  if (k.name === undefined) return { kind: 'typing', confirm: { ...c, typed: c.typed + k.ch } };
  return { kind: 'typing', confirm: c };
}

export function confirmPrompt(c: Confirm): string {
  return c.mustType !== undefined ? `${c.question} Type ${c.mustType}: ${c.typed}█` : `[y/N] ${c.question}`;
}
