import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appendFailures, cli, CLI, writeConfig } from '../support/daemon.js';
import { skipNote } from '../support/skip-note.js';
import { waitFor } from '../support/wait.js';

const haveTmux = spawnSync('sh', ['-c', 'command -v tmux']).status === 0;

describe.skipIf(!haveTmux)(`bantop serve in a terminal that goes away${skipNote(haveTmux ? null : 'tmux is not installed: apt-get install tmux')}`, () => {
  // A tmux server of the test's own: killing it closes the terminal.
  const server = `bantop-serve-${process.pid}`;
  let dir: string | undefined;
  afterEach(() => {
    spawnSync('tmux', ['-L', server, 'kill-server']);
    const pid = dir && existsSync(join(dir, 'bantop.pid')) ? Number(readFileSync(join(dir, 'bantop.pid'), 'utf8')) : 0;
    if (pid > 0) spawnSync('kill', ['-9', String(pid)]);
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('goes on banning when its log (stderr) was a terminal that closed, and stops cleanly after', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bantop-serve-tty-'));
    const auth = join(dir, 'auth.log');
    writeFileSync(auth, '');
    const cfg = writeConfig(dir, { firewall: 'dry-run', jails: `[sshd]\nenabled = true\nlogpath = ${auth}\nmaxretry = 2\n` });
    // The log to stderr, the terminal's: as `bantop serve` run by hand over SSH.
    writeFileSync(join(cfg, 'bantop.conf'), readFileSync(join(cfg, 'bantop.conf'), 'utf8').replace(/^logtarget = .*$/m, 'logtarget = STDERR'));
    const code = join(dir, 'code');
    // In a session of its own (setsid): no hangup reaches it, so the failed writes alone tell it (a foreground daemon
    // takes the hangup of a dropped SSH connection as a reload, and then meets the same writes).
    execFileSync('tmux', ['-L', server, 'new-session', '-d', '-x', '80', '-y', '24',
      `setsid -w sh -c '${process.execPath} ${CLI} serve --config ${cfg}; echo $? >${code}'`]);
    await waitFor(() => cli(cfg, ['status']).status === 0, 15_000, 'the daemon to answer');
    execFileSync('tmux', ['-L', server, 'kill-server']);
    // Each failure and the ban are logged: to the closed terminal, which used to end the daemon.
    appendFailures(auth, '203.0.113.80', 2);
    await waitFor(() => cli(cfg, ['list']).stdout.includes('203.0.113.80'), 10_000, 'the ban');
    expect(existsSync(code)).toBe(false);
    appendFailures(auth, '203.0.113.81', 2);
    await waitFor(() => cli(cfg, ['list']).stdout.includes('203.0.113.81'), 10_000, 'a second ban');
    const pid = Number(readFileSync(join(dir, 'bantop.pid'), 'utf8'));
    process.kill(pid, 'SIGTERM');
    await waitFor(() => existsSync(code) && readFileSync(code, 'utf8').trim() !== '', 10_000, 'the daemon to stop');
    // A clean stop: exit 0, not Node's abort on the dead terminal at exit.
    expect(readFileSync(code, 'utf8').trim()).toBe('0');
  }, 60_000);
});
