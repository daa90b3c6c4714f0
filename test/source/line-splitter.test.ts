import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../src/source/line-splitter.js';

/** Feeds `bytes` in pieces cut at `cuts`, returns the lines and the bytes reported used. */
function feed(bytes: Buffer, cuts: number[]): { lines: string[]; used: number; pending: number } {
  const s = new LineSplitter();
  const lines: string[] = [];
  let used = 0;
  let at = 0;
  for (const c of [...cuts, bytes.length]) {
    const r = s.push(bytes.subarray(at, c));
    lines.push(...r.lines);
    used += r.bytes;
    at = c;
  }
  return { lines, used, pending: s.pendingLength };
}

describe('LineSplitter', () => {
  const text = 'first line\nsecond: caf\u00e9 \u2603\n\nthird \u00ff\npartial';
  const bytes = Buffer.from(text, 'utf8');

  it('gives the same lines however the bytes are cut, multi-byte characters included', () => {
    const whole = feed(bytes, []);
    expect(whole.lines).toEqual(['first line', 'second: caf\u00e9 \u2603', '', 'third \u00ff']);
    expect(whole.pending).toBe('partial'.length);
    expect(whole.used).toBe(bytes.length - 'partial'.length);
    for (let a = 0; a <= bytes.length; a++) {
      for (let b = a; b <= bytes.length; b += 3) {
        const r = feed(bytes, [a, b]);
        expect(r.lines, `cut at ${a}, ${b}`).toEqual(whole.lines);
        expect(r.used).toBe(whole.used);
      }
    }
  });

  it('decodes invalid UTF-8 as U+FFFD and Latin-1-only bytes as UTF-8 would', () => {
    const r = feed(Buffer.from([0x61, 0xff, 0x62, 0x0a, 0x41, 0x0a]), [2]);
    expect(r.lines).toEqual(['a\ufffdb', 'A']);
  });
});
