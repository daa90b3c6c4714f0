import { describe, expect, it } from 'vitest';
import { expiresIn, fit, sparkline, targetSize } from '../../src/tui/text.js';

describe('TUI text', () => {
  it('sparklines scale to the busiest cell and show quiet minutes as dots', () => {
    expect(sparkline([0, 0, 1, 4], 4)).toBe('··▂█');
    expect(sparkline(new Array(60).fill(1), 10)).toBe('██████████');
  });

  it('fit pads or cuts with an ellipsis, counting characters, so a line never wraps', () => {
    expect(fit('abcdef', 4)).toBe('abc…');
    expect(fit('ab', 4)).toBe('ab  ');
    expect(fit('▸●ab', 3)).toBe('▸●…');
  });

  it('says permanent in words, and sizes targets for the typed-confirmation rule', () => {
    expect(expiresIn(null, 0)).toBe('permanent');
    expect(expiresIn(3_600_000, 0)).toBe('in 1h');
    expect(targetSize('203.0.113.9')).toBe(1);
    expect(targetSize('203.0.113.0/24')).toBe(256);
    expect(targetSize('203.0.112.0/23')).toBe(512);
  });
});
