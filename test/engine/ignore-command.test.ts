import { describe, expect, it } from 'vitest';
import { ignoreCacheKey, IgnoreCommandState, unknownCacheKeyTags } from '../../src/engine/ignore-command.js';

describe('ignoreCacheKey', () => {
  it('is the address for <ip> or no key', () => {
    expect(ignoreCacheKey(undefined, '192.0.2.1', { user: 'root' })).toBe('192.0.2.1');
    expect(ignoreCacheKey('<ip>', '192.0.2.1', { user: 'root' })).toBe('192.0.2.1');
  });

  it("fills a template with the failure's tags; a capture it lacks is empty, an unknown tag stays as written", () => {
    const fields = { user: 'root', fid: 'sess-7', alt_user: 'admin' };
    expect(ignoreCacheKey('<F-USER>@<ip>', '2001:db8::1', fields)).toBe('root@2001:db8::1');
    expect(ignoreCacheKey('<fid> <family>', '192.0.2.1', fields)).toBe('sess-7 inet4');
    expect(ignoreCacheKey('<fid> <family>', '2001:db8::1', {})).toBe('2001:db8::1 inet6');
    expect(ignoreCacheKey('<F-ALT-USER>|<F-ID>|<F-PORT>|<matches>', '192.0.2.1', fields)).toBe('admin|sess-7||<matches>');
  });

  it('names the tags a failure does not have', () => {
    expect(unknownCacheKeyTags('<F-USER>@<ip> <fid> <family>')).toEqual([]);
    expect(unknownCacheKeyTags('<ip> <matches> <bantime>')).toEqual(['<matches>', '<bantime>']);
  });
});

describe('IgnoreCommandState', () => {
  it('shares an open question by key and keeps the answer for max-time, the oldest going first past max-count', () => {
    const s = new IgnoreCommandState<string>({ maxTimeMs: 1000, maxCount: 2, key: '<F-USER>' });
    expect(s.keyOf('192.0.2.1', { user: 'a' })).toBe('a');
    expect(s.wait('a', 'f1')).toBe(true);
    expect(s.wait('a', 'f2')).toBe(false);
    expect(s.wait('b', 'f3')).toBe(true);
    expect(s.settle('a', true, 0)).toEqual(['f1', 'f2']);
    expect(s.answer('a', 999)).toBe(true);
    expect(s.answer('a', 1000)).toBeUndefined();
    s.settle('b', false, 0);
    s.settle('c', true, 0);
    s.settle('d', true, 0);
    expect([s.answer('b', 1), s.answer('c', 1), s.answer('d', 1)]).toEqual([undefined, true, true]);
  });
});
