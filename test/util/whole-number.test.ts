import { describe, expect, it } from 'vitest';
import { wholeNumber } from '../../src/util/whole-number.js';

describe('wholeNumber', () => {
  it("reads what Python's int() reads as a decimal integer", () => {
    expect(wholeNumber('3')).toBe(3);
    expect(wholeNumber(' 3 \t')).toBe(3);
    expect(wholeNumber('+2')).toBe(2);
    expect(wholeNumber('1_000')).toBe(1000);
    expect(wholeNumber('0')).toBe(0);
    expect(wholeNumber('007')).toBe(7);
    expect(wholeNumber('-3')).toBe(-3);
    expect(Object.is(wholeNumber('-0'), 0)).toBe(true);
  });

  it('refuses what int() refuses, where Number() would guess', () => {
    for (const t of ['2.0', '1e1', '0x2', '0b1', '--1', '+-1', '', ' ', '3 lines', '1__0', '_1', '1_', 'Infinity', '٣']) {
      expect(wholeNumber(t), t).toBeNull();
    }
  });
});
