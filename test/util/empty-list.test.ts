import { describe, expect, it } from 'vitest';
import { emptyListOf } from '../../src/util/empty-list.js';

describe('emptyListOf', () => {
  it('gives a new empty array each time, without the sample in it', () => {
    const a = emptyListOf({ n: 1 });
    const b = emptyListOf({ n: 1 });
    expect(a).toEqual([]);
    expect(a).not.toBe(b);
    a.push({ n: 2 });
    expect(b).toEqual([]);
    expect(emptyListOf('x')).toHaveLength(0);
  });
});
