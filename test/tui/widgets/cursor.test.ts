import { describe, expect, it } from 'vitest';
import { key } from '../../../src/tui/keys.js';
import { moveBack, moveIndex, movement } from '../../../src/tui/widgets/cursor.js';

describe('list cursor', () => {
  it('maps the movement keys, pages by the pane height, and ignores the rest', () => {
    expect([movement(key('j'), 9), movement(key('', 'up'), 9), movement(key('', 'pageDown'), 9), movement(key('', 'pageUp'), 0)]).toEqual([1, -1, 9, -1]);
    expect([movement(key('G'), 9), movement(key('g'), 9)]).toEqual([Infinity, -Infinity]);
    expect(movement(key('x'), 9)).toBeNull();
  });

  it('clamps an index to the rows there are, an empty list included', () => {
    expect(moveIndex(3, Infinity, 10)).toBe(9);
    expect(moveIndex(3, -Infinity, 10)).toBe(0);
    expect(moveIndex(0, 1, 0)).toBe(0);
  });

  it('scrolls the tail back from its end: up goes back, never past the oldest screenful; G follows again', () => {
    expect(moveBack(0, -3, 100, 8)).toBe(3);
    expect(moveBack(0, -Infinity, 100, 8)).toBe(92);
    expect(moveBack(50, Infinity, 100, 8)).toBe(0);
    expect(moveBack(0, -5, 4, 8)).toBe(0);
  });
});
