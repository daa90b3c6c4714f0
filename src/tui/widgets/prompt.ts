import type { Key } from '../keys.js';

export type PromptResult = { kind: 'edit'; text: string } | { kind: 'submit'; text: string } | { kind: 'cancel' };

/** A one-line text input: the `/` filter, the `:` command line and the `b` ban prompt. */
export function promptKey(text: string, k: Key): PromptResult {
  if (k.name === 'escape') return { kind: 'cancel' };
  if (k.name === 'enter') return { kind: 'submit', text };
  if (k.name === 'backspace') return { kind: 'edit', text: [...text].slice(0, -1).join('') };
  if (k.name === undefined && k.ch !== '') return { kind: 'edit', text: text + k.ch };
  return { kind: 'edit', text };
}
