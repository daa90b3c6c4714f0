import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENERATORS, writeLog } from '../../bench/gen-logs.mjs';
import { scanFile, tentTargets } from '../../src/cli/regex-parallel.js';
import { filterFromArgument } from '../../src/cli/filter-argument.js';
import type { RegexSummary } from '../../src/cli/regex.js';

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
/** A summary with its host counts as a sorted list, comparable whatever order the counts were added in. */
const plain = (s: RegexSummary) => ({ ...s, hosts: [...s.hosts.toMap()].sort() });
const SHIPPED = fileURLToPath(new URL('../../assets/config', import.meta.url));

describe('bantop regex with two threads gives the sequential result', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bantop-par-'));
    await writeLog(join(dir, 'sshd.log'), GENERATORS['sshd'], 60_000);
    // Sessions that cross the middle of the file: opened before it, closed after it.
    const sessions = readFileSync(fileURLToPath(new URL('../fixtures/sshd-sessions.txt', import.meta.url)), 'utf8');
    writeFileSync(join(dir, 'sessions.log'), sessions.repeat(200));
    // One session that never closes, and whose first line set a value no later line sets again:
    // the worker's fresh filter never reaches the true state, so the first thread reads it all.
    const one = Array.from({ length: 30_000 }, (_, i) => `Nov  1 10:${String(Math.floor(i / 600) % 60).padStart(2, '0')}:00 web1 sshd[42]: ${i === 0
      ? 'Failed password for invalid user bob from 10.9.9.9 port 22 ssh2'
      : i % 3 ? `Failed publickey for u${i % 7} from 10.0.${i % 250}.1 port 22 ssh2: RSA x` : 'Disconnecting: Too many authentication failures [preauth]'}`);
    writeFileSync(join(dir, 'one-session.log'), one.join('\n') + '\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['sshd.log', 'sshd', true, undefined, true],
    ['sshd.log', 'sshd[mode=aggressive]', true, undefined, true],
    ['sessions.log', 'sshd', true, undefined, true],
    ['one-session.log', 'sshd', false, undefined, false],
    // Many small chunks: every chunk boundary of the worker's half is stitched, several shorter than a checkpoint run
    // (no checkpoint to meet at: each chunk's filter reads on to the end of the file).
    ['sshd.log', 'sshd', true, 64 * 1024, true],
    ['sessions.log', 'sshd', true, 16 * 1024, true],
    ['one-session.log', 'sshd', false, 64 * 1024, false],
  ])('%s with %s: same counts, hosts and matches (the threads\' states meet: %s; chunks of %s bytes; summed by the worker: %s)', async (log, filter, meets, chunkBytes, summed) => {
    const { spec } = filterFromArgument(SHIPPED, filter);
    const path = join(dir, log);
    const seq = await scanFile(spec, path, { json: true, now: NOW, minBytes: Infinity });
    const par = await scanFile(spec, path, { json: true, now: NOW, minBytes: 0, split: 'half', chunkBytes });
    if (chunkBytes) expect(par.parallel.chunks.worker).toBeGreaterThan(10);
    expect(seq.parallel.used).toBe(false);
    expect(par.parallel.used).toBe(true);
    expect(par.parallel.metAfterLines !== null).toBe(meets);
    expect(plain(par.summary)).toEqual(plain(seq.summary));
    expect(par.matches?.texts()).toEqual(seq.matches?.texts());
    expect(seq.summary.matched).toBeGreaterThan(0);
    // Counting only (no --json): the worker sums its chain of chunks where each met the next.
    const counted = await scanFile(spec, path, { json: false, now: NOW, minBytes: 0, split: 'half', chunkBytes });
    expect(plain(counted.summary)).toEqual(plain(seq.summary));
    expect(counted.parallel.summedByWorker).toBe(summed);
  });

  it('with lines longer than the read that finds where a chunk starts (4 KB): the sequential result', async () => {
    const lines = readFileSync(join(dir, 'sshd.log'), 'utf8').split('\n').filter(Boolean).slice(0, 20_000);
    // Every 40th line is 9-15 KB long, so that most cuts fall inside one.
    const path = join(dir, 'long-lines.log');
    writeFileSync(path, lines.map((l, i) => (i % 40 === 5 ? `${l} ${'x'.repeat(9000 + (i % 7) * 1000)}` : l)).join('\n') + '\n');
    const { spec } = filterFromArgument(SHIPPED, 'sshd');
    const seq = await scanFile(spec, path, { json: true, now: NOW, minBytes: Infinity });
    const par = await scanFile(spec, path, { json: true, now: NOW, minBytes: 0, split: 'half', chunkBytes: 64 * 1024 });
    expect(par.parallel.chunks.worker).toBeGreaterThan(10);
    expect(plain(par.summary)).toEqual(plain(seq.summary));
    expect(par.matches?.texts()).toEqual(seq.matches?.texts());
    expect(seq.summary.lines).toBe(20_000);
  });

  it('--json with more matches than a block holds, in both halves: the worker\'s spilled blocks are read back in order', async () => {
    // 60,000 failures, ~8 MB of JSON: each thread's log writes full blocks to its spill file.
    const path = join(dir, 'many-failures.log');
    writeFileSync(path, Array.from({ length: 60_000 }, (_, i) => `Nov 21 10:${String(Math.floor(i / 1000) % 60).padStart(2, '0')}:00 web1 sshd[${i}]: Failed password for user${i} from 198.51.${(i >> 8) & 255}.${i & 255} port 22 ssh2`).join('\n') + '\n');
    const { spec } = filterFromArgument(SHIPPED, 'sshd');
    const seq = await scanFile(spec, path, { json: true, now: NOW, minBytes: Infinity });
    const par = await scanFile(spec, path, { json: true, now: NOW, minBytes: 0, split: 'half', chunkBytes: 1024 * 1024 });
    expect(par.parallel.used).toBe(true);
    const texts = par.matches!.texts();
    expect(texts).toHaveLength(60_000);
    expect(texts).toEqual(seq.matches!.texts());
    seq.matches!.close();
    par.matches!.close();
  });

  it('with the cut placed when the worker is ready: the sequential result, whichever thread read what', async () => {
    const { spec } = filterFromArgument(SHIPPED, 'sshd');
    const path = join(dir, 'sshd.log');
    const seq = await scanFile(spec, path, { json: true, now: NOW, minBytes: Infinity });
    for (const chunkBytes of [undefined, 32 * 1024, 128 * 1024]) {
      const par = await scanFile(spec, path, { json: true, now: NOW, minBytes: 0, chunkBytes });
      expect(plain(par.summary)).toEqual(plain(seq.summary));
      expect(par.matches?.texts()).toEqual(seq.matches?.texts());
    }
  });

  it('states that meet past the worker\'s first chunk: the first thread asks the worker for every chunk, and gets the sequential result', async () => {
    // No session opens for thousands of lines around the middle of the file: the first thread, which carries the sessions
    // of the first half, meets the worker's fresh state only once a hundred new ones have pushed them out, chunks later.
    const lines = readFileSync(join(dir, 'sshd.log'), 'utf8').split('\n').filter(Boolean).slice(0, 20_000);
    const quiet = Array.from({ length: 4000 }, (_, i) => `Nov  1 11:00:00 web1 CRON[${9000 + i}]: pam_unix(cron:session): session closed for user root`);
    const path = join(dir, 'quiet-middle.log');
    writeFileSync(path, [...lines, 'Nov  1 11:00:00 web1 sshd[42]: Failed password for invalid user bob from 10.9.9.9 port 22 ssh2', ...quiet, ...lines].join('\n') + '\n');
    const { spec } = filterFromArgument(SHIPPED, 'sshd');
    const seq = await scanFile(spec, path, { json: false, now: NOW, minBytes: Infinity });
    const par = await scanFile(spec, path, { json: false, now: NOW, minBytes: 0, split: 'half', chunkBytes: 32 * 1024 });
    expect(par.parallel.used).toBe(true);
    expect(par.parallel.metAfterLines).not.toBeNull();
    expect(par.parallel.summedByWorker).toBe(false);
    expect(par.parallel.restFetched).toBe(true);
    expect(plain(par.summary)).toEqual(plain(seq.summary));
    expect(seq.summary.matched).toBeGreaterThan(1000);
  });

  it('a file read before the worker is ready is read by one thread alone, and the worker is stopped', async () => {
    const { spec } = filterFromArgument(SHIPPED, 'sshd');
    const path = join(dir, 'small.log');
    writeFileSync(path, readFileSync(join(dir, 'sshd.log'), 'utf8').split('\n').slice(0, 200).join('\n') + '\n');
    const seq = await scanFile(spec, path, { json: true, now: NOW, minBytes: Infinity });
    const par = await scanFile(spec, path, { json: true, now: NOW, minBytes: 0 });
    expect(par.parallel.used).toBe(false);
    expect(plain(par.summary)).toEqual(plain(seq.summary));
    expect(par.matches?.texts()).toEqual(seq.matches?.texts());
    expect(seq.summary.matched).toBeGreaterThan(0);
  });
});

describe('where the rest of a large file is cut when the worker is ready', () => {
  it('cuts small chunks where the threads are likely to meet, large ones away from it, in order', () => {
    const MB = 1024 * 1024;
    for (const [from, size] of [[3 * MB, 96 * MB], [0, 40 * MB], [10 * MB, 1000 * MB]] as const) {
      const cuts = [from, ...tentTargets(from, size), size];
      expect(cuts.length - 1).toBeLessThanOrEqual(64);
      const span = size - from;
      for (let i = 1; i < cuts.length; i++) {
        const [a, b] = [cuts[i - 1]!, cuts[i]!];
        expect(b).toBeGreaterThan(a);
        const middle = (a + b) / 2 - from;
        const near = middle > span * 0.4 && middle < span * 0.76;
        // Beyond 64 chunks of these sizes, each grows to keep the count.
        expect(b - a).toBeLessThanOrEqual(Math.max((near ? 1 : 8) * MB, near ? span * 0.36 / 32 : span * 0.64 / 30) + 1);
      }
      // The worker, reading from the back, meets few chunks before the likely meeting point.
      expect(cuts.filter((c) => c > from + span * 0.76).length).toBeLessThanOrEqual(span > 200 * MB ? 12 : 4);
    }
  });
});
