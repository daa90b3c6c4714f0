import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appendFailures, cli, CLI, writeConfig } from '../support/daemon.js';
import { waitFor } from '../support/wait.js';

/**
 * Under systemd, stderr is a stream to journald, and JOURNAL_STREAM names its
 * device and inode. Here stderr is a file and JOURNAL_STREAM names that file,
 * or another one: the daemon cannot tell the first from journald's stream.
 */
describe('bantop serve logging to the journal', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  /** Runs the daemon with stderr to a file until one ban, and returns what it wrote there. */
  async function run(streamOf: (stderr: string) => string, ip: string): Promise<string> {
    dir ??= mkdtempSync(join(tmpdir(), 'bantop-journal-'));
    const auth = join(dir, 'auth.log');
    writeFileSync(auth, '');
    const cfg = writeConfig(dir, { firewall: 'dry-run', jails: `[sshd]\nenabled = true\nlogpath = ${auth}\nmaxretry = 2\n` });
    writeFileSync(join(cfg, 'bantop.conf'), readFileSync(join(cfg, 'bantop.conf'), 'utf8').replace(/^logtarget = .*$/m, 'logtarget = STDERR').replace(/^loglevel = .*$/m, 'loglevel = INFO'));
    const stderr = join(dir, `stderr-${ip}`);
    const fd = openSync(stderr, 'w');
    const proc = spawn(process.execPath, [CLI, '--config', cfg, 'serve'], { stdio: ['ignore', 'ignore', fd], env: { ...process.env, JOURNAL_STREAM: streamOf(stderr) } });
    closeSync(fd);
    const exited = new Promise((r) => proc.once('exit', r));
    try {
      await waitFor(() => cli(cfg, ['status']).status === 0, 15_000, 'the daemon to answer');
      appendFailures(auth, ip, 2);
      await waitFor(() => cli(cfg, ['list']).stdout.includes(ip), 10_000, 'the ban');
    } finally {
      proc.kill('SIGTERM');
      await exited;
    }
    return readFileSync(stderr, 'utf8');
  }

  const streamId = (path: string) => {
    const st = statSync(path, { bigint: true });
    return `${st.dev}:${st.ino}`;
  };

  it('starts each line with its syslog priority when stderr is the journal', async () => {
    const out = await run(streamId, '203.0.113.90');
    // The journal names the lines (bantop[pid]: …): they start at the level.
    expect(out).toContain('<5>NOTICE  [sshd] Ban 203.0.113.90\n<6>INFO    [sshd] 203.0.113.90 banned for 600s (filter)\n');
    expect(out).toMatch(/^<5>NOTICE  bantop started: /m);
    // Every line has one.
    expect(out.split('\n').filter((l) => l !== '' && !/^<[2-7]>(?:CRITICAL|ERROR|WARNING|NOTICE|INFO|DEBUG) /.test(l))).toEqual([]);
  }, 30_000);

  it('writes plain lines when JOURNAL_STREAM names another stream (stderr redirected under a service)', async () => {
    const other = join(tmpdir(), `bantop-journal-other-${process.pid}`);
    writeFileSync(other, '');
    try {
      const out = await run(() => streamId(other), '203.0.113.91');
      expect(out).toContain('bantop NOTICE  [sshd] Ban 203.0.113.91\n');
      expect(out).not.toContain('<');
    } finally {
      rmSync(other, { force: true });
    }
  }, 30_000);
});
