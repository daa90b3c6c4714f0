import { describe, expect, it } from 'vitest';
import type { TestCase } from 'vitest/node';
import { skipNote, skipReason } from './skip-note.js';

function skippedTest(fullName: string, note?: string): TestCase {
  return { fullName, result: () => ({ state: 'skipped', errors: undefined, note }) } as unknown as TestCase;
}

describe('why a test was skipped, in its title', () => {
  it('reads the reason from a suite title, parentheses in the reason included', () => {
    const t = skippedTest('nftables backend in a network namespace (skipped: needs root to create network namespaces (run the tests as root, as CI does)) > bans and unbans');
    expect(skipReason(t)).toBe('needs root to create network namespaces (run the tests as root, as CI does)');
  });

  it('reads it from the test\'s own title, and from ctx.skip(note) first', () => {
    expect(skipReason(skippedTest('kill -9 > survives (skipped: needs root to switch to another user)'))).toBe('needs root to switch to another user');
    expect(skipReason(skippedTest('a test (skipped: from the title)', 'from the note'))).toBe('from the note');
  });

  it('reads back what skipNote() writes, and skipNote() writes nothing for a test that runs', () => {
    const reason = 'needs root to create network namespaces (run the tests as root, as CI does)';
    expect(skipReason(skippedTest(`kill -9${skipNote(reason)} > survives`))).toBe(reason);
    expect(skipNote(null)).toBe('');
  });

  it('gives none for a test skipped without a reason', () => {
    expect(skipReason(skippedTest('work in progress > later'))).toBeNull();
  });
});
