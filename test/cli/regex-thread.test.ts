import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GENERATORS, writeLog } from '../../bench/gen-logs.mjs';
import { filterFromArgument } from '../../src/cli/filter-argument.js';
import { scanFile } from '../../src/cli/regex-parallel.js';
import { prestartRegexWorker, takeEarlyRegexThread } from '../../src/cli/regex-thread.js';

const SHIPPED = fileURLToPath(new URL('../../assets/config', import.meta.url));

describe('the regex worker started by the entry', () => {
  let dir: string;
  let log: string;
  const saved = process.env['BANTOP_PARALLEL_MIN_BYTES'];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bantop-thread-'));
    log = join(dir, 'a.log');
    writeFileSync(log, 'x\n'.repeat(1000));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => {
    if (saved === undefined) delete process.env['BANTOP_PARALLEL_MIN_BYTES'];
    else process.env['BANTOP_PARALLEL_MIN_BYTES'] = saved;
  });

  it('starts for `regex` on a file at least the parallel size, and is handed to the scan of that file', async () => {
    process.env['BANTOP_PARALLEL_MIN_BYTES'] = '1000';
    prestartRegexWorker(['--config', '/etc/x', 'regex', log, 'sshd']);
    const t = takeEarlyRegexThread(log);
    expect(t).toBeDefined();
    // Taken once: the next scan starts its own.
    expect(takeEarlyRegexThread(log)).toBeUndefined();
    // It says when Node's boot is over (the first thread sets V8's regex flag only then).
    expect(t!.ctl.awaitBoot(30_000)).toBe(true);
    await t!.worker.terminate();
  });

  it('does not start for a smaller file, another command, a missing file or bad arguments', () => {
    process.env['BANTOP_PARALLEL_MIN_BYTES'] = '1000000';
    prestartRegexWorker(['regex', log, 'sshd']);
    expect(takeEarlyRegexThread(log)).toBeUndefined();
    process.env['BANTOP_PARALLEL_MIN_BYTES'] = '0';
    for (const argv of [['status', log], ['regex', join(dir, 'none.log'), 'sshd'], ['--bogus', 'regex', log, 'sshd'], ['regex', log], ['--help', 'regex', log, 'sshd']]) {
      prestartRegexWorker(argv);
      expect(takeEarlyRegexThread(log), argv.join(' ')).toBeUndefined();
    }
  });

  it('is stopped when the scan is of another file', async () => {
    process.env['BANTOP_PARALLEL_MIN_BYTES'] = '1000';
    prestartRegexWorker(['regex', log, 'sshd']);
    expect(takeEarlyRegexThread(join(dir, 'other.log'))).toBeUndefined();
  });

  it('booted before the task came, finds and builds its filter from the command line, and keeps it when the task is the same', async () => {
    const big = join(dir, 'sshd.log');
    await writeLog(big, GENERATORS['sshd'], 40_000);
    const { spec } = filterFromArgument(SHIPPED, 'sshd');
    const seq = await scanFile(spec, big, { json: false, minBytes: Infinity, now: Date.UTC(2026, 10, 21) });
    process.env['BANTOP_PARALLEL_MIN_BYTES'] = '1000';
    for (const [argv, way] of [
      [['--config', SHIPPED, 'regex', big, 'sshd'], 'guessed'],
      // The CLI settles on another filter than the entry guessed (here: another mode): the worker builds that one.
      [['--config', SHIPPED, 'regex', big, 'sshd[mode=aggressive]'], 'built'],
    ] as const) {
      prestartRegexWorker([...argv]);
      const thread = takeEarlyRegexThread(big)!;
      // Booted: it looked for a task before it said so, found none, and guesses.
      expect(thread.ctl.awaitBoot(30_000)).toBe(true);
      // Split in halves, so that the worker takes part whenever it is ready.
      const par = await scanFile(spec, big, { json: false, minBytes: 0, split: 'half', thread });
      expect(par.parallel.used).toBe(true);
      expect(par.parallel.workerFilter, argv.join(' ')).toBe(way);
      expect(par.summary.matched).toBe(seq.summary.matched);
      expect([...par.summary.hosts.toMap()].sort()).toEqual([...seq.summary.hosts.toMap()].sort());
    }
  });

  it('takes the task that is there when it boots, with the first thread\'s translations, and gives the same results', async () => {
    const big = join(dir, 'sshd.log');
    await writeLog(big, GENERATORS['sshd'], 40_000);
    const { spec } = filterFromArgument(SHIPPED, 'sshd[mode=aggressive]');
    const now = Date.UTC(2026, 10, 21);
    const seq = await scanFile(spec, big, { json: true, minBytes: Infinity, now });
    // No worker from the entry: the scan starts one and posts the task at once, before it can have booted.
    const par = await scanFile(spec, big, { json: true, minBytes: 0, split: 'half', now });
    expect(par.parallel.used).toBe(true);
    expect(par.parallel.workerFilter).toBe('posted');
    expect(par.matches?.texts()).toEqual(seq.matches?.texts());
    expect(par.summary.matched).toBeGreaterThan(1000);
  });
});

