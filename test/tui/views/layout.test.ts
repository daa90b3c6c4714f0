import { describe, expect, it } from 'vitest';
import { layout, windowStart } from '../../../src/tui/views/layout.js';

describe('layout', () => {
  it('never uses more than rows - 1 lines, from 80×24 up, and gives every pane room', () => {
    for (const [cols, rows, jails] of [[80, 24, 4], [80, 24, 40], [200, 60, 12], [100, 30, 0]] as const) {
      const l = layout(cols, rows, jails);
      expect(l.height).toBe(rows - 1);
      expect(2 + l.jailH + l.banH + l.logH + 2).toBeLessThanOrEqual(rows - 1);
      expect(Math.min(l.jailH, l.banH, l.logH)).toBeGreaterThanOrEqual(2);
    }
  });

  it('keeps the selected row in view, centred when it can be', () => {
    expect(windowStart(0, 1000, 10)).toBe(0);
    expect(windowStart(500, 1000, 10)).toBe(495);
    expect(windowStart(999, 1000, 10)).toBe(990);
    expect(windowStart(3, 4, 10)).toBe(0);
  });
});
