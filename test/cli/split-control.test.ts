import { describe, expect, it } from 'vitest';
import { MAIN, SplitControl, WORKER } from '../../src/cli/split-control.js';

describe('the split control shared by the two regex threads', () => {
  it('tells whether the worker has booted, waiting at most as long as asked', () => {
    const main = new SplitControl();
    expect(main.awaitBoot(1)).toBe(false);
    // The worker's view of the same memory.
    const worker = new SplitControl(main.buffer);
    worker.booted();
    expect(main.awaitBoot(60_000)).toBe(true);
  });

  it('gives each chunk to whoever claims it first', () => {
    const main = new SplitControl();
    const worker = new SplitControl(main.buffer);
    main.decide([0, 10, 20, 30]);
    expect(worker.chunkCount).toBe(3);
    expect(worker.chunk(1)).toEqual({ start: 10, end: 20 });
    expect(main.claim(0, MAIN)).toBe(true);
    expect(worker.claim(2, WORKER)).toBe(true);
    expect(worker.claim(0, WORKER)).toBe(false);
    expect(main.claim(2, MAIN)).toBe(false);
    // A claim is kept: claiming one's own chunk again still holds.
    expect(main.claim(0, MAIN)).toBe(true);
  });
});
