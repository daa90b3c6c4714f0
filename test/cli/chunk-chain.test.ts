import { describe, expect, it } from 'vitest';
import { addChunkFrom, ChunkChain } from '../../src/cli/chunk-chain.js';
import { HostCounter } from '../../src/cli/host-counter.js';
import { CHECKPOINT_COUNT, CHECKPOINT_FIRST, type ScanStats } from '../../src/cli/regex-scan.js';
import type { ChunkResult } from '../../src/cli/regex-worker.js';

/** `n` lines, all matched, by the first of two failregexes. */
const stats = (n: number): ScanStats => ({ lines: n, matched: n, ignored: 0, missed: 0, truncated: 0, binary: 0, invalidAddress: 0, hits: [n, 0] });

/**
 * A chunk whose filter found host `h`'s failures: one in each stretch between
 * checkpoints (segments) and `tail` after the last one; `meet`: where it met a
 * later chunk's fresh filter.
 */
function chunk(k: number, h: string, tail: number, meet: ChunkResult['meet']): ChunkResult {
  const segments = Array.from({ length: CHECKPOINT_COUNT }, () => {
    const c = new HostCounter(64);
    c.add(h);
    return c.export();
  });
  const counts = new HostCounter();
  counts.add(h, tail);
  return {
    chunk: k, lines: 50_000, totals: stats(CHECKPOINT_COUNT + tail), snaps: Array.from({ length: CHECKPOINT_COUNT }, (_, i) => stats(i + 1)),
    counts: counts.export(), segments, meet, matches: null,
  };
}

/** The sums as the first thread would walk them, link by link from `first`. */
function walk(byChunk: Map<number, ChunkResult>, first: number): Map<string, number> {
  const counts = new HostCounter();
  const s = stats(0);
  let at = byChunk.get(first)!.meet;
  while (at !== null) {
    const r = byChunk.get(at.chunk)!;
    addChunkFrom(counts, s, r, at.line);
    at = r.meet;
  }
  return counts.toMap();
}

describe('ChunkChain: the worker sums its chunks after the first', () => {
  it('sums a chain where each chunk met the next, as walking it link by link does', () => {
    // Read from the back, as the worker does: 9 (to the end of the file), 8 met 9 at the first checkpoint, 7 met 8 at the third.
    const rs = [chunk(9, '9.9.9.9', 5, null), chunk(8, '8.8.8.8', 3, { chunk: 9, line: CHECKPOINT_FIRST }), chunk(7, '7.7.7.7', 2, { chunk: 8, line: CHECKPOINT_FIRST * 4 })];
    const chain = new ChunkChain();
    for (const r of rs) chain.add(r);
    const t = chain.totals()!;
    expect(t.after).toBe(7);
    const got = new HostCounter();
    got.merge(t.counts);
    const want = walk(new Map(rs.map((r) => [r.chunk, r])), 7);
    expect(got.toMap()).toEqual(want);
    // 8 from its third checkpoint on: 4 segments after it and 3 after the last; 9 from its first: 6 + 5.
    expect(want).toEqual(new Map([['8.8.8.8', 7], ['9.9.9.9', 11]]));
    expect(t.stats.matched).toBe((CHECKPOINT_COUNT + 3 - 3) + (CHECKPOINT_COUNT + 5 - 1));
    expect(t.stats.hits).toEqual([t.stats.matched, 0]);
  });

  it('drops what came after a chunk whose filter read to the end of the file without meeting', () => {
    const chain = new ChunkChain();
    chain.add(chunk(9, '9.9.9.9', 5, null));
    chain.add(chunk(8, '8.8.8.8', 3, null));
    const t = chain.totals()!;
    expect(t.after).toBe(8);
    const got = new HostCounter();
    got.merge(t.counts);
    expect(got.size).toBe(0);
    expect(t.stats.matched).toBe(0);
  });

  it('gives up when a chunk met one past the next: the first thread walks the chunks', () => {
    const chain = new ChunkChain();
    chain.add(chunk(9, '9.9.9.9', 5, null));
    chain.add(chunk(8, '8.8.8.8', 3, { chunk: 9, line: CHECKPOINT_FIRST }));
    chain.add(chunk(7, '7.7.7.7', 2, { chunk: 9, line: CHECKPOINT_FIRST * 2 }));
    chain.add(chunk(6, '6.6.6.6', 2, { chunk: 7, line: CHECKPOINT_FIRST }));
    expect(chain.totals()).toBeNull();
  });
});
