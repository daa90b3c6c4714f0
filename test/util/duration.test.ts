import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/util/duration.js';

describe('parseDuration', () => {
  it.each([
    ['600', 600], ['10m', 600], ['1h', 3600], ['1d', 86400], ['1w', 604800], ['-1', -1],
    ['1h30m', 5400], ['1d 12h', 129600], ['30 min', 1800], ['2 hours', 7200], ['90s', 90],
  ])('reads %s as %d seconds', (text, secs) => {
    expect(parseDuration(text)).toBe(secs);
  });

  it.each(['', 'abc', '10x', '-5', '1h foo'])('refuses "%s" with a message', (text) => {
    expect(() => parseDuration(text)).toThrow(/duration|unit/);
  });

  it('formats back to a short form', () => {
    expect(formatDuration(600)).toBe('10m');
    expect(formatDuration(90061)).toBe('1d1h1m1s');
    expect(formatDuration(-1)).toBe('permanent');
  });
});
