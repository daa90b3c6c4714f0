import { execa, type ResultPromise } from 'execa';
import { onLines } from '../util/stream-lines.js';

/**
 * The one place bantop starts processes. Arguments are always an array and no
 * shell is involved, so an address or jail name can never become a command.
 */
export interface RunResult {
  ok: boolean;
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function run(cmd: string, args: readonly string[], opts: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<RunResult> {
  const r = await execa(cmd, args, {
    input: opts.input,
    timeout: opts.timeoutMs ?? 30_000,
    reject: false,
    stripFinalNewline: false,
    env: opts.env,
    shell: false,
  });
  const code = typeof r.exitCode === 'number' ? r.exitCode : r.failed ? 127 : 0;
  return { ok: code === 0 && !r.failed, exitCode: code, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? (r.failed ? r.shortMessage : '')) };
}

export interface LineProcess {
  /** Resolves when the process ends. */
  done: Promise<{ exitCode: number; stderr: string }>;
  stop(): void;
}

/** A long-lived process whose stdout is read line by line (journalctl -f). */
export function spawnLines(cmd: string, args: readonly string[], onLine: (line: string) => void): LineProcess {
  const child: ResultPromise = execa(cmd, args, { reject: false, buffer: { stdout: false, stderr: true }, shell: false, stdin: 'ignore' });
  onLines(child.stdout!, onLine);
  const done = child.then((r) => ({ exitCode: typeof r.exitCode === 'number' ? r.exitCode : 1, stderr: String(r.stderr ?? '') }));
  return { done, stop: () => child.kill('SIGTERM') };
}

/** A long-lived process fed on stdin and read line by line on stdout and stderr (`nft -i`). */
export interface InteractiveProcess {
  write(text: string): boolean;
  onStdout(fn: (line: string) => void): void;
  onStderr(fn: (line: string) => void): void;
  done: Promise<{ exitCode: number }>;
  stop(): void;
}

export function spawnInteractive(cmd: string, args: readonly string[]): InteractiveProcess {
  const child = execa(cmd, args, { reject: false, buffer: false, shell: false, stdin: 'pipe' });
  const outFns: Array<(l: string) => void> = [];
  const errFns: Array<(l: string) => void> = [];
  onLines(child.stdout!, (l) => { for (const f of outFns) f(l); });
  onLines(child.stderr!, (l) => { for (const f of errFns) f(l); });
  child.stdin!.on('error', () => { /* the process died; `done` reports it */ });
  const done = child.then((r) => ({ exitCode: typeof r.exitCode === 'number' ? r.exitCode : 1 }));
  return {
    write: (t) => child.stdin!.write(t),
    onStdout: (f) => outFns.push(f),
    onStderr: (f) => errFns.push(f),
    done,
    stop: () => { child.stdin!.end(); child.kill('SIGTERM'); },
  };
}

/**
 * Runs commands on this host, or inside a network namespace (`ip netns exec`),
 * which is how the tests keep every firewall change away from the machine's own.
 */
export interface Runner {
  run(cmd: string, args: readonly string[], opts?: { input?: string; timeoutMs?: number }): Promise<RunResult>;
  interactive(cmd: string, args: readonly string[]): InteractiveProcess;
}

export function hostRunner(opts: { netns?: string } = {}): Runner {
  const wrap = (cmd: string, args: readonly string[]): [string, string[]] =>
    opts.netns ? ['ip', ['netns', 'exec', opts.netns, cmd, ...args]] : [cmd, [...args]];
  return {
    run: (cmd, args, o) => run(...wrap(cmd, args), o),
    interactive: (cmd, args) => spawnInteractive(...wrap(cmd, args)),
  };
}
