import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { prestartRegexWorker, takeEarlyRegexThread } from '../../src/cli/regex-thread.js';

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
});
