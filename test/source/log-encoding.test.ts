import { describe, expect, it } from 'vitest';
import { lineDecoder } from '../../src/source/log-encoding.js';

const decode = (name: string, bytes: number[], env: NodeJS.ProcessEnv = {}) => lineDecoder(name, env)!(Buffer.from(bytes), 0, bytes.length);

describe('logencoding', () => {
  it("reads fail2ban's (Python's) encoding names", () => {
    expect(decode('latin-1', [0x6a, 0x6f, 0x73, 0xe9])).toBe('josé');
    // ISO-8859-1 itself, not windows-1252 (which WHATWG's "latin1" label means): 0x80 is a C1 control, not €.
    expect(decode('ISO-8859-1', [0x80])).toBe('\u0080');
    expect(decode('cp1252', [0x80])).toBe('€');
    expect(decode('cp1251', [0xc8, 0xe2, 0xe0, 0xed])).toBe('Иван');
    expect(decode('koi8_r', [0xe9, 0xd7, 0xc1, 0xce])).toBe('Иван');
  });

  it('takes UTF-8 as the fast path (null), and auto as the locale says', () => {
    expect(lineDecoder('utf-8')).toBeNull();
    expect(lineDecoder('UTF8')).toBeNull();
    expect(lineDecoder('auto', { LANG: 'C.UTF-8' })).toBeNull();
    expect(lineDecoder('auto', {})).toBeNull();
    expect(decode('auto', [0xe9, 0xd7, 0xc1, 0xce], { LANG: 'en_US.UTF-8', LC_ALL: 'ru_RU.KOI8-R' })).toBe('Иван');
  });

  it('refuses an encoding it cannot read, and UTF-16, whose characters hold newline bytes', () => {
    expect(lineDecoder('klingon')).toBeUndefined();
    expect(lineDecoder('utf-16')).toBeUndefined();
  });
});
