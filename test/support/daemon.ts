import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import type { Lab } from './netns.js';

export const REPO = resolve(import.meta.dirname, '..', '..');
export const CLI = join(REPO, 'dist', 'cli', 'main.js');

/** A config directory: bantop.conf with paths under `dir`, our shipped filters, and the given jail.conf body. */
export function writeConfig(dir: string, o: { firewall: string; jails: string; extra?: string }): string {
  const cfg = join(dir, 'cfg');
  mkdirSync(cfg, { recursive: true });
  symlinkSync(join(REPO, 'assets', 'config', 'filter.d'), join(cfg, 'filter.d'));
  writeFileSync(join(cfg, 'bantop.conf'), `[Definition]
loglevel = DEBUG
logtarget = ${join(dir, 'daemon.log')}
socket = ${join(dir, 'bantop.sock')}
pidfile = ${join(dir, 'bantop.pid')}
dbfile = ${join(dir, 'bantop.sqlite3')}
hostsdeny = ${join(dir, 'hosts.deny')}
banlog = ${join(dir, 'bans.log')}
blocklist = ${join(dir, 'blocklist')}
firewall = ${o.firewall}
${o.extra ?? ''}`);
  writeFileSync(join(cfg, 'jail.conf'), o.jails);
  return cfg;
}

/** A syslog timestamp ("Nov 21 12:00:01") for `ms`, in local time, as syslog writes it and bantop reads it. */
export function syslogDate(ms: number): string {
  const d = new Date(ms);
  return `${d.toLocaleString('en-US', { month: 'short' })} ${String(d.getDate()).padStart(2, ' ')} ${d.toTimeString().slice(0, 8)}`;
}

export function sshdFailure(ip: string, port = 40000): string {
  return `${syslogDate(Date.now())} web1 sshd[4242]: Failed password for root from ${ip} port ${port} ssh2\n`;
}

export function appendFailures(log: string, ip: string, n: number): void {
  let s = '';
  for (let i = 0; i < n; i++) s += sshdFailure(ip, 40000 + i);
  appendFileSync(log, s);
}

export interface Daemon {
  proc: ChildProcess;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

export async function startDaemon(cfg: string, socket: string, o: { netns?: string; env?: Record<string, string>; args?: string[] } = {}): Promise<Daemon> {
  const args = [CLI, '--config', cfg, 'serve', ...(o.args ?? [])];
  const proc = o.netns
    ? spawn('ip', ['netns', 'exec', o.netns, process.execPath, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...o.env } })
    : spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...o.env } });
  let stderr = '';
  proc.stderr!.on('data', (d) => { stderr += String(d); });
  const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  const start = Date.now();
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`daemon exited ${proc.exitCode}: ${stderr}`);
    if (await answers(socket)) break;
    if (Date.now() - start > 20_000) throw new Error(`daemon did not come up: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    proc, exited,
    stop: async () => { proc.kill('SIGTERM'); return exited; },
    kill9: async () => {
      // `ip netns exec` execs node, so the pid is the daemon's own.
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

export function answers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection(socket);
    c.once('connect', () => { c.write('{"cmd":"ping"}\n'); });
    c.once('data', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
}

/** `input`: the command's standard input. */
export function cli(cfg: string, args: string[], env: Record<string, string> = {}, input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, '--config', cfg, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 28, input });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function cliJson<T = unknown>(cfg: string, args: string[]): T {
  const r = cli(cfg, ['--json', ...args]);
  if (r.status !== 0) throw new Error(`bantop ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/**
 * Ends what a daemon test in a lab set up: the daemon, the listener, the
 * namespaces and the directory, whichever of them it got to (a beforeAll that
 * failed half-way leaves the rest undefined).
 */
export async function endDaemonLab(o: { daemon?: Daemon | undefined; listener?: ChildProcess | undefined; lab?: Lab | undefined; dir?: string | undefined }): Promise<void> {
  await o.daemon?.stop();
  o.listener?.kill();
  o.lab?.cleanup();
  if (o.dir) rmSync(o.dir, { recursive: true, force: true });
}
