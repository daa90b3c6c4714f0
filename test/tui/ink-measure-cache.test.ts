import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/daemon.js';

/**
 * Ink's measureText, loaded the way the TUI loads it (the built module
 * registers the swap first, in a fresh process: Node's module hooks do not
 * reach modules vitest has already loaded), measures 50,000 distinct lines;
 * the heap kept after a full GC shows whether its cache let go of them.
 */
function measureMany(bounded: boolean): { retainedMb: number; dims: unknown } {
  const script = `
    ${bounded ? `(await import(${JSON.stringify(join(REPO, 'dist', 'tui', 'ink-measure-cache.js'))})).boundInkMeasureCache();` : ''}
    const { default: measureText } = await import(new URL('./measure-text.js', import.meta.resolve('ink')).href);
    const dims = measureText('abc\\nde');
    global.gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 50000; i++) measureText('Nov 22 04:42:07 demo sshd[' + i + ']: Failed password for root from 203.0.113.9 port 40000 ssh2 ' + 'x'.repeat(100));
    global.gc();
    console.log(JSON.stringify({ retainedMb: (process.memoryUsage().heapUsed - before) / 1e6, dims }));`;
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { cwd: REPO, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as { retainedMb: number; dims: unknown };
}

describe('Ink\'s text measure cache, bounded', () => {
  it('measures as Ink does, and keeps a bounded number of strings where Ink kept them all', () => {
    const leaky = measureMany(false);
    const bounded = measureMany(true);
    expect(bounded.dims).toEqual({ width: 3, height: 2 });
    expect(leaky.dims).toEqual({ width: 3, height: 2 });
    // 50,000 lines of about 190 characters: Ink alone keeps them all (over 8 MB); bounded, 4,000 at most.
    expect(leaky.retainedMb).toBeGreaterThan(8);
    expect(bounded.retainedMb).toBeLessThan(3);
  });
});
