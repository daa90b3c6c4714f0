import { describe, expect, it } from 'vitest';
import { CompiledRegex } from '../../src/filter/compiled-regex.js';
import { regexRisk } from '../../src/filter/regex-risk.js';

describe('regexRisk', () => {
  it('flags nested unbounded repetition whose iterations can be split in many ways', () => {
    for (const re of [String.raw`^(a+)+$`, String.raw`^(?:\S+\s*)*x`, String.raw`((a|b)+)*`, String.raw`(a|a+)*`, String.raw`("+[^"]*)*?`]) {
      expect(regexRisk(re), re).not.toBeNull();
    }
    expect(regexRisk(String.raw`^x (?<u>a*)+ \k<u>`)).toEqual({ fragment: '(?<u>a*)+', unbounded: true });
    expect(regexRisk(String.raw`^(a+)+$`)).toEqual({ fragment: '(a+)+', unbounded: false });
  });

  it('passes delimited or bounded repetition, classes and escapes that only look like groups', () => {
    for (const re of [String.raw`^a+b+$`, String.raw`(?:\w+\s+)*`, String.raw`(?:[^|]*\|)*`, String.raw`(?:\[[^\]]+\] )*`,
      String.raw`(?:ab|cd){2,}`, String.raw`(?:\d+)?x`, String.raw`[(]+(a)*`, String.raw`\((a+)\)*`, String.raw`(?:x(?:y+)?)+`, String.raw`(?:\d+){1,3}`]) {
      expect(regexRisk(re), re).toBeNull();
    }
  });

  it('passes every expanded host tag, which V8 can also hand to its linear engine (no lookbehind)', () => {
    const src = new CompiledRegex('^Failed password for .* from <HOST>( port \\d+)?$').re.source;
    expect(regexRisk(src)).toBeNull();
    expect(src).not.toMatch(/\(\?<?[=!]/);
  });
});
