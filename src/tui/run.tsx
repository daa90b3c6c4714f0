import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import chalk from 'chalk';
import { render } from 'ink';
import { loadConfig } from '../config/load.js';
import { DaemonUnavailable, request } from '../daemon/client.js';
import { createLogger } from '../daemon/logger.js';
import { BantopService } from '../daemon/service.js';
import { hostRunner } from '../proc/run.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { systemClock } from '../util/clock.js';
import { isTerminalGone } from '../util/terminal.js';
import { UserError } from '../util/errors.js';
import { App } from './app.js';
import { AttackSimulator, writeDemoConfig } from './demo.js';
import { attachedSource, embeddedSource, type TuiSource } from './source.js';

export interface TuiOptions {
  configDir: string;
  socket: string;
  demo: boolean;
  /** A steady simulated rate, lines/s (the bench); unset: the demo's waves and bursts. */
  demoRate?: number | undefined;
  readonly: boolean;
  /** Where the shipped filters are (the demo links them). */
  filterDir: string;
}

async function daemonAnswers(socket: string): Promise<boolean> {
  try {
    await request(socket, { cmd: 'ping' }, 2000);
    return true;
  } catch (e) {
    if (e instanceof DaemonUnavailable) return false;
    throw e;
  }
}

/** An engine in this process: the demo (simulated logs, dry-run, temporary state), or the real config when no daemon runs. */
async function embedded(o: TuiOptions): Promise<TuiSource> {
  let dir: string | undefined;
  let sim: AttackSimulator | undefined;
  let configDir = o.configDir;
  if (o.demo) {
    dir = mkdtempSync(join(tmpdir(), 'bantop-demo-'));
    configDir = writeDemoConfig(dir, o.filterDir);
  }
  const config = loadConfig(configDir);
  const s = config.settings;
  // The screen is the TUI's: the engine's own log goes to a file (the demo's) or nowhere visible.
  const log = createLogger(o.demo || s.logtarget.toUpperCase().startsWith('STD') ? join(dir ?? tmpdir(), 'bantop-tui.log') : s.logtarget, s.loglevel);
  const store = new SqliteStore(s.dbfile);
  const service = await BantopService.start({ configDir, config, clock: systemClock, runner: hostRunner(), store, log });
  if (dir) {
    sim = new AttackSimulator(dir, Math.random, o.demoRate ?? 40, o.demoRate !== undefined);
    sim.start();
  }
  return embeddedSource(service, o.demo ? 'demo' : 'embedded', configDir, async () => {
    sim?.stop();
    await service.stop();
    store.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
}

/**
 * `bantop` with no command: the TUI, attached to the daemon when one answers
 * on the socket, else embedded. It owns the terminal: alternate screen, and
 * the terminal is restored on quit, on SIGTERM/SIGHUP and on a crash.
 */
export async function runTui(o: TuiOptions): Promise<number> {
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    throw new UserError('the TUI needs a terminal', { hint: 'run it in a terminal, or use "bantop status" / "bantop list" in scripts' });
  }
  // Ink colours through chalk, which does not read NO_COLOR itself (https://no-color.org).
  if (process.env['NO_COLOR'] !== undefined && process.env['NO_COLOR'] !== '') chalk.level = 0;
  const source = !o.demo && (await daemonAnswers(o.socket)) ? attachedSource(o.socket) : await embedded(o);

  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    process.stdout.write('\x1b[?25h\x1b[?1049l');
  };
  process.stdout.write('\x1b[?1049h\x1b[H\x1b[2J');
  // The App batches frames itself (events: one frame per 250 ms; keys: at once, at most one per 100 ms). Ink's own
  // cap stays above that: at maxFps 10 its throttle held a keystroke's frame back to the end of its 100 ms window,
  // 113 ms median from key to screen in bench/tui.mjs, against 23-31 ms at 30. incrementalRendering (Ink 6.8) moves
  // the cursor up one line too few for a frame shorter than the terminal: each frame lands a line low under a stale header.
  const app = render(<App source={source} readonly={o.readonly} />, { exitOnCtrlC: true, patchConsole: true, maxFps: 30 });
  let closing: Promise<void> | null = null;
  const close = () => (closing ??= source.close().catch(() => {}));
  // The terminal is gone: a hangup, or a write or read on it failing (EIO once the pty is closed, which can come
  // before the hangup, or instead of it where the terminal is not the process's own). Stop the engine cleanly,
  // then leave without touching the dead tty: Node's own exit would try to reset it and abort.
  let gone = false;
  const leave = () => {
    if (gone) return;
    gone = true;
    restored = true;
    void close().then(() => process.kill(process.pid, 'SIGKILL'));
  };
  const finish = async () => {
    app.unmount();
    restore();
    await close();
    // The terminal went away while the TUI quit: leave as leave() does.
    if (gone) process.kill(process.pid, 'SIGKILL');
  };
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => { void finish().then(() => process.exit(0)); });
  }
  process.once('SIGHUP', leave);
  for (const stream of [process.stdout, process.stderr, process.stdin]) stream.on('error', leave);
  // A write Ink makes to the dead terminal can also come here (not as the stream's 'error'): that is no bug either.
  process.on('uncaughtException', (e) => {
    if (gone || isTerminalGone(e)) {
      leave();
      return;
    }
    restore();
    process.stderr.write(`bantop TUI: internal error (a bug, please report it):\n${e.stack ?? e}\n`);
    process.exit(70);
  });
  await app.waitUntilExit();
  await finish();
  return 0;
}
