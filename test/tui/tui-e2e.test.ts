import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CLI, endDaemonLab, startDaemon, writeConfig, type Daemon } from '../support/daemon.js';
import { createLab, listen, listening, netnsSkipReason, pingReaches, tcpReaches, type Lab } from '../support/netns.js';
import { skipNote } from '../support/skip-note.js';
import { waitFor } from '../support/wait.js';

const haveTmux = spawnSync('sh', ['-c', 'command -v tmux']).status === 0;
const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
const screen = (s: string) => tmux('capture-pane', '-p', '-t', s);
const keys = (s: string, ...k: string[]) => tmux('send-keys', '-t', s, ...k);
const type = (s: string, text: string) => tmux('send-keys', '-t', s, '-l', text);

type ScreenTest = RegExp | string | ((screen: string) => boolean);

async function until(s: string, what: ScreenTest, ms = 8000, label = `the screen to show ${what}`): Promise<string> {
  const pass = typeof what === 'string' ? (x: string) => x.includes(what) : what instanceof RegExp ? (x: string) => what.test(x) : what;
  let last = '';
  try {
    await waitFor(() => pass((last = screen(s))), ms, label);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- screen ---\n${last}`);
  }
  return last;
}

/**
 * Waits for a whole frame that passes: the demo redraws four times a second, and a capture taken while tmux is
 * part-way through a frame lacks its lower lines, so the absence of a text alone proves nothing. Frames are drawn
 * top to bottom after the old one is erased from the bottom up: with the footer of the expected mode on screen, the
 * frame is complete. Without this the test sent the next key while Esc was still unread (CI, under load).
 */
const untilFrame = (s: string, footer: string, ok: (screen: string) => boolean, what: string) =>
  until(s, (x) => x.includes(footer) && ok(x), 3000, what);
const NORMAL = 'jk move Tab pane';
const READONLY = '(read-only) jk move';

/** The TUI in a real terminal: tmux at 80×24, keys sent with send-keys, the screen read with capture-pane. */
describe.skipIf(!haveTmux)(`bantop TUI in a real terminal (tmux)${skipNote(haveTmux ? null : 'tmux is not installed: apt-get install tmux')}`, () => {
  const sessions: string[] = [];
  const open = (name: string, cmd: string[], env: Record<string, string> = {}, size = { x: 80, y: 24 }) => {
    sessions.push(name);
    const envArgs = Object.entries({ NO_COLOR: '1', ...env }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    tmux('new-session', '-d', '-s', name, '-x', String(size.x), '-y', String(size.y), ...envArgs, cmd.map((c) => `'${c}'`).join(' '));
    tmux('set-option', '-t', name, 'remain-on-exit', 'on');
  };
  afterEach(() => {
    for (const s of sessions.splice(0)) spawnSync('tmux', ['kill-session', '-t', s]);
  });

  it('npm start\'s demo: every panel comes alive at 80×24, never taller than 23 lines, and the keys work', async () => {
    const s = `bt-demo-${process.pid}`;
    open(s, [process.execPath, CLI, '--demo']);
    let out = await until(s, /DEMO embedded \(dry-run\)/);
    out = await until(s, /^▸?\s*\d+\.\d+\.\d+\.\d+\s+\S+\s+\d\d:\d\d:\d\d/m, 15_000);
    const lines = out.split('\n');
    expect(lines.every((l) => [...l].length <= 80)).toBe(true);
    expect(out.trimEnd().split('\n').length).toBeLessThanOrEqual(23);
    for (const part of ['JAILS', 'sshd', 'closed-ports', 'BANS all jails', 'LOG ● matched', 'P perm', ' ? q', 'protected: none (not over SSH)']) expect(out).toContain(part);
    expect(out).toMatch(/●/); // matched lines are marked by a glyph, not by colour alone

    keys(s, '?');
    await until(s, 'this help');
    // After Esc, wait for its effect before the next key: Esc and a key in one read are Alt+key to a terminal.
    keys(s, 'Escape');
    await untilFrame(s, NORMAL, (x) => !x.includes('this help'), 'the help to close');

    // A ban through the command line, confirmed with y; the result shows in the status line.
    keys(s, ':');
    type(s, 'ban 203.0.113.250 1h');
    keys(s, 'Enter');
    await until(s, '[y/N] Ban 203.0.113.250 on all ports for 1h?');
    keys(s, 'y');
    await until(s, 'banned 203.0.113.250 in manual for 1h');

    // A permaban from the keyboard shows the address as permanent on screen.
    keys(s, ':');
    type(s, 'permaban 203.0.113.251');
    keys(s, 'Enter');
    await until(s, '[y/N] Permaban 203.0.113.251 (permanent list, all ports)?');
    keys(s, 'y');
    await until(s, 'banned 203.0.113.251 permanently');
    keys(s, '/');
    type(s, '203.0.113.251');
    keys(s, 'Enter');
    await until(s, /203\.0\.113\.251\s+manual\s+\d\d:\d\d:\d\d\s+permanent/);
    keys(s, 'Escape');
    await untilFrame(s, NORMAL, (x) => /BANS all jails · \d+ · by/.test(x) && !x.includes('filter 203.0.113.251'), 'the filter to clear');

    // A network is confirmed by typing it.
    keys(s, 'b');
    type(s, '198.18.0.0/16 10m');
    keys(s, 'Enter');
    await until(s, 'Type 198.18.0.0/16');
    type(s, '198.18.0.0/16');
    keys(s, 'Enter');
    await until(s, 'banned 198.18.0.0/16 in manual for 10m');

    // The engine's refusal shows; nothing fails silently.
    keys(s, ':');
    type(s, 'permaban 127.0.0.1');
    keys(s, 'Enter');
    await until(s, '[y/N] Permaban 127.0.0.1');
    keys(s, 'y');
    await until(s, /error: refusing to ban 127\.0\.0\.1: it is (?:loopback|an address of this host)/);

    // Filter by CIDR, then clear it.
    keys(s, '/');
    type(s, '198.18.0.0/16');
    keys(s, 'Enter');
    out = await until(s, 'BANS all jails · filter 198.18.0.0/16 · 1 · by since');
    expect(out).toMatch(/198\.18\.0\.0\/16\s+manual/);
    keys(s, 'Escape');
    await untilFrame(s, NORMAL, (x) => /BANS all jails · \d+ · by/.test(x) && !x.includes('filter 198.18'), 'the filter to clear');

    // Space pauses the tail, not the engine.
    keys(s, 'Space');
    await until(s, 'PAUSED');
    keys(s, 'Space');
    await untilFrame(s, NORMAL, (x) => !x.includes('PAUSED'), 'the tail to resume');

    // It adapts to a resize.
    tmux('resize-window', '-t', s, '-x', '120', '-y', '40');
    out = await until(s, /BANS all jails/);
    await waitFor(() => screen(s).split('\n').some((l) => [...l].length > 80), 3000, 'wider lines');

    keys(s, 'q');
    await waitFor(() => tmux('display-message', '-p', '-t', s, '#{pane_dead}').trim() === '1', 8000, 'the TUI to exit');
    // The alternate screen is gone: the pane shows the normal screen again, not the TUI.
    expect(screen(s)).not.toContain('JAILS');
  }, 90_000);

  const nsSkip = netnsSkipReason(['nft']);
  describe.skipIf(nsSkip !== null)(`attached to a real daemon in a network namespace${skipNote(nsSkip)}`, () => {
    let lab: Lab | undefined;
    let dir: string;
    let daemon: Daemon | undefined;
    let listener: ReturnType<typeof listen> | undefined;
    afterAll(() => endDaemonLab({ daemon, listener, lab, dir }));

    it('a permaban from the keyboard drops the peer\'s packets', async () => {
      lab = createLab();
      dir = mkdtempSync(join(tmpdir(), 'bantop-tui-ns-'));
      writeFileSync(join(dir, 'auth.log'), '');
      const cfg = writeConfig(dir, { firewall: 'nftables', jails: `[sshd]\nenabled = true\nport = 2222\nlogpath = ${join(dir, 'auth.log')}\n` });
      listener = listen(lab, [2222]);
      await listening(listener);
      daemon = await startDaemon(cfg, join(dir, 'bantop.sock'), { netns: lab.host });
      expect(tcpReaches(lab, 2222)).toBe(true);
      const s = `bt-ns-${process.pid}`;
      open(s, [process.execPath, CLI, '--config', cfg]);
      await until(s, `attached ${join(dir, 'bantop.sock')}`);
      keys(s, 'b');
      type(s, `${lab.peerIp} 1h`);
      keys(s, 'Enter');
      await until(s, `[y/N] Ban ${lab.peerIp} on all ports for 1h?`);
      keys(s, 'n');
      await until(s, 'cancelled');
      expect(tcpReaches(lab, 2222)).toBe(true);
      keys(s, ':');
      type(s, `permaban ${lab.peerIp}`);
      keys(s, 'Enter');
      await until(s, `[y/N] Permaban ${lab.peerIp}`);
      keys(s, 'y');
      await until(s, `banned ${lab.peerIp} permanently`);
      expect(tcpReaches(lab, 2222)).toBe(false);
      expect(pingReaches(lab)).toBe(false);
      keys(s, 'q');
    }, 60_000);
  });

  it('leaves cleanly when its terminal goes away before a hangup reaches it: the engine stopped, no "internal error", no abort', async () => {
    // In a session of its own, the TUI gets no SIGHUP when tmux closes the terminal: a write to it fails first (EIO),
    // as it can over a dropped SSH connection. It used to call that a bug, and Node's exit then aborted on the dead tty.
    const dir = mkdtempSync(join(tmpdir(), 'bantop-tui-gone-'));
    try {
      const s = `bt-gone-${process.pid}`;
      const err = join(dir, 'stderr');
      const code = join(dir, 'code');
      open(s, ['setsid', '-w', 'sh', '-c', `${process.execPath} ${CLI} --demo 2>${err}; echo $? >${code}`]);
      await until(s, /DEMO embedded \(dry-run\)/);
      tmux('kill-session', '-t', s);
      await waitFor(() => existsSync(code) && readFileSync(code, 'utf8').trim() !== '', 15_000, 'the TUI to end');
      expect(readFileSync(err, 'utf8')).not.toMatch(/internal error|Assertion failed|Native stack/);
      // It stopped the engine, then ended itself without the exit that resets the terminal.
      expect(readFileSync(code, 'utf8').trim()).toBe('137');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  describe('attached to a daemon', () => {
    let dir: string;
    let daemon: Daemon | undefined;
    afterAll(async () => {
      await daemon?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('says it is attached, shows the daemon\'s bans, and --readonly disables every action', async () => {
      dir = mkdtempSync(join(tmpdir(), 'bantop-tui-'));
      writeFileSync(join(dir, 'auth.log'), '');
      const cfg = writeConfig(dir, { firewall: 'dry-run', jails: `[sshd]\nenabled = true\nlogpath = ${join(dir, 'auth.log')}\n` });
      daemon = await startDaemon(cfg, join(dir, 'bantop.sock'));
      expect(spawnSync(process.execPath, [CLI, '--config', cfg, 'permaban', '203.0.113.77']).status).toBe(0);
      const s = `bt-att-${process.pid}`;
      open(s, [process.execPath, CLI, '--config', cfg, '--readonly']);
      const out = await until(s, `attached ${join(dir, 'bantop.sock')}`);
      expect(out).toContain('(read-only)');
      await until(s, /203\.0\.113\.77\s+manual\s+.*permanent/);
      keys(s, 'P');
      await until(s, 'read-only: actions are disabled');
      keys(s, 'Enter');
      await until(s, 'held by: manual (permanent, manual)');
      await until(s, /ban \[manual\] permanent/);
      keys(s, 'Escape');
      await untilFrame(s, READONLY, (x) => !x.includes('held by:'), 'the detail view to close');
      // Whoever writes a log line can put escape sequences in it: one that retitles the window and one that clears the
      // screen are shown as symbols, not obeyed by the operator's terminal.
      appendFileSync(join(dir, 'auth.log'), 'Dec  6 10:00:00 web1 sshd[9]: Invalid user \x1b]2;pwned\x07\x1b[2J from 203.0.113.50 port 22\n');
      const shown = await until(s, ']2;pwned\u2407\u241b[2J from 203.0.113.50');
      expect(shown).toMatch(/203\.0\.113\.77\s+manual/);
      expect(tmux('display-message', '-p', '-t', s, '#{pane_title}').trim()).not.toBe('pwned');
      keys(s, 'q');
      await waitFor(() => tmux('display-message', '-p', '-t', s, '#{pane_dead}').trim() === '1', 8000, 'the TUI to exit');
    }, 60_000);
  });
});
