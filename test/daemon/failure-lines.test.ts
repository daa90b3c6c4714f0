import { describe, expect, it } from 'vitest';
import { PendingFailureLines } from '../../src/daemon/failure-lines.js';

describe('PendingFailureLines', () => {
  it('gives a ban the lines of the failures in its window, per jail, and starts afresh after it', () => {
    const p = new PendingFailureLines();
    for (let i = 1; i <= 4; i++) p.add('sshd', '203.0.113.1', `sshd line ${i}`);
    p.add('web', '203.0.113.1', 'web line');
    // Four lines seen, but the window that earned the ban held three (the first one had expired).
    expect(p.take('sshd', '203.0.113.1', 3)).toEqual(['sshd line 2', 'sshd line 3', 'sshd line 4']);
    expect(p.take('sshd', '203.0.113.1', 3)).toEqual([]);
    expect(p.take('web', '203.0.113.1', 5)).toEqual(['web line']);
    expect(p.size).toBe(0);
    // Only a jail's maxretry lines can ever be taken: no more are kept.
    for (let i = 1; i <= 9; i++) p.add('sshd', '203.0.113.2', `line ${i}`, 3);
    expect(p.take('sshd', '203.0.113.2', 9)).toEqual(['line 7', 'line 8', 'line 9']);
  });

  it('stays bounded: lines per address, line length, and addresses (the least recently failing goes first)', () => {
    const p = new PendingFailureLines(3, 2, 10);
    p.add('j', 'a', '1');
    p.add('j', 'a', '2');
    p.add('j', 'a', '3');
    p.add('j', 'b', 'x'.repeat(50));
    p.add('j', 'c', 'c1');
    p.add('j', 'a', '4'); // a is now the most recent
    p.add('j', 'd', 'd1'); // drops b, the least recent
    expect(p.size).toBe(3);
    expect(p.take('j', 'b', 5)).toEqual([]);
    expect(p.take('j', 'a', 5)).toEqual(['3', '4']);
    const q = new PendingFailureLines(3, 2, 10);
    q.add('j', 'b', 'x'.repeat(50));
    expect(q.take('j', 'b', 1)).toEqual([`${'x'.repeat(9)}…`]);
  });
});
