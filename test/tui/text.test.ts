import { describe, expect, it } from 'vitest';
import { expiresIn, fit, logSpans, sparkline, targetSize, type Span } from '../../src/tui/text.js';

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

  it('shows control characters from logs as symbols of one column, so a log line cannot drive the terminal', () => {
    expect(fit('x\x1b]2;t\x07', 8)).toBe('x\u241b]2;t\u2407 ');
    const show = (spans: Span[]) => spans.map((s) => (s.ip ? `[${s.text}]` : s.match ? `_${s.text}_` : s.text)).join('');
    const line = 'Invalid user \x1b[2J from 203.0.113.9';
    // The marks stay where they were: a symbol takes the column its character had.
    expect(show(logSpans(line, 40, 'Invalid user \x1b[2J from 203.0.113.9', '203.0.113.9')))
      .toBe(`_Invalid user \u241b[2J from _[203.0.113.9]${' '.repeat(6)}`);
  });

  it('says permanent in words, and sizes targets for the typed-confirmation rule', () => {
    expect(expiresIn(null, 0)).toBe('permanent');
    expect(expiresIn(3_600_000, 0)).toBe('in 1h');
    expect(targetSize('203.0.113.9')).toBe(1);
    expect(targetSize('203.0.113.0/24')).toBe(256);
    expect(targetSize('203.0.112.0/23')).toBe(512);
  });

  it('log lines: the failregex\'s match is marked, the address in it too, and the address stays in view when the line is cut', () => {
    const show = (spans: Span[]) => spans.map((s) => (s.ip ? `[${s.text}]` : s.match ? `_${s.text}_` : s.text)).join('');
    const line = 'sshd[7]: Failed password for root from 203.0.113.9 port 22 ssh2';
    const match = 'Failed password for root from 203.0.113.9 port 22 ssh2';
    expect(show(logSpans(line, 70, match, '203.0.113.9'))).toBe(`sshd[7]: _Failed password for root from _[203.0.113.9]_ port 22 ssh2_${' '.repeat(7)}`);
    // An address named twice: the one inside the match is the one marked.
    const twice = 'from 203.0.113.9: Failed for x from 203.0.113.9';
    expect(show(logSpans(twice, 50, 'Failed for x from 203.0.113.9', '203.0.113.9'))).toBe('from 203.0.113.9: _Failed for x from _[203.0.113.9]   ');
    // Too long: cut at the end, or started later so that the address is still shown.
    const cut = logSpans(line, 30, match, '203.0.113.9');
    expect(show(cut)).toBe('…_root from _[203.0.113.9]_ port 2_…');
    expect(cut.map((s) => s.text).join('')).toHaveLength(30);
    expect(show(logSpans(line, 12, match))).toBe('sshd[7]: _Fa_…');
    // A match not found in the line as shown (a multi-line failure): only the address.
    expect(show(logSpans(line, 70, 'line one\nline two', '203.0.113.9'))).toBe(`sshd[7]: Failed password for root from [203.0.113.9] port 22 ssh2${' '.repeat(7)}`);
  });
});
