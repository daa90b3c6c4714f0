import type { Key as InkKey } from 'ink';
import { describe, expect, it } from 'vitest';
import { fromInk } from '../../src/tui/keys.js';

const ink = (o: Partial<InkKey> = {}): InkKey => ({
  upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false,
  return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false, super: false, hyper: false,
  capsLock: false, numLock: false, ...o,
} as InkKey);

describe('key mapping', () => {
  it('maps Ink keys to named keys, and splits several characters read at once into keystrokes', () => {
    expect(fromInk('', ink({ tab: true, shift: true }))).toEqual([{ ch: '', name: 'backTab' }]);
    expect(fromInk('', ink({ pageDown: true }))).toEqual([{ ch: '', name: 'pageDown' }]);
    expect(fromInk('Py', ink())).toEqual([{ ch: 'P' }, { ch: 'y' }]);
    expect(fromInk('1.2\r', ink())).toEqual([{ ch: '1' }, { ch: '.' }, { ch: '2' }, { ch: '', name: 'enter' }]);
    expect(fromInk('c', ink({ ctrl: true }))).toEqual([]);
  });

  it('takes Esc and a key read together (Alt+key to a terminal) as Esc, then the key', () => {
    expect(fromInk('b', ink({ meta: true }))).toEqual([{ ch: '', name: 'escape' }, { ch: 'b' }]);
    expect(fromInk('P', ink({ meta: true, shift: true }))).toEqual([{ ch: '', name: 'escape' }, { ch: 'P' }]);
    expect(fromInk('', ink({ escape: true, meta: true }))).toEqual([{ ch: '', name: 'escape' }]);
    expect(fromInk('\r', ink({ meta: true, return: true }))).toEqual([{ ch: '', name: 'escape' }, { ch: '', name: 'enter' }]);
    expect(fromInk('', ink({ meta: true, upArrow: true }))).toEqual([{ ch: '', name: 'escape' }, { ch: '', name: 'up' }]);
    // Alt with a key bantop knows nothing of (F1, say) is nothing at all, not a lone Esc.
    expect(fromInk('', ink({ meta: true }))).toEqual([]);
  });
});
