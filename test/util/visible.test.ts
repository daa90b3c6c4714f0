import { describe, expect, it } from 'vitest';
import { visible } from '../../src/util/visible.js';

describe('visible', () => {
  it('shows each control character as a symbol of one column, and leaves other text as it is', () => {
    expect(visible('plain text, caf\u00e9 \u2603')).toBe('plain text, caf\u00e9 \u2603');
    expect(visible('a\x1b[2Jb\tc\x07\x00\x7f\x9b')).toBe('a\u241b[2Jb\u2409c\u2407\u2400\u2421\ufffd');
    expect([...visible('\x1b]2;title\x07')].length).toBe([...'\x1b]2;title\x07'].length);
  });
});
