import { describe, expect, it } from 'vitest';
import { unresolvedTag } from '../../src/filter/host-tags.js';

describe('unresolvedTag: what expansion leaves of an undefined tag', () => {
  it('names a tag no option defined, as a mode the filter lacks leaves it', () => {
    expect(unresolvedTag('<mdre-extra>')).toBe('mdre-extra');
    expect(unresolvedTag('^Failed for <F-USER>\\S+</F-USER> <failre-nosuch>$')).toBe('failre-nosuch');
  });

  it('finds none in a regex of known tags, field tags and named groups only', () => {
    expect(unresolvedTag('^<F-MLFID>x</F-MLFID> (?P<n>\\d+) from <HOST><SKIPLINES>until <ADDR> <SUBNET> <F-NOFAIL/>$')).toBeNull();
  });
});
