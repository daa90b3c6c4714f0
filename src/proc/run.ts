import { execa, type ResultPromise } from 'execa';

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
  let rest = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    for (const p of parts) if (p !== '') onLine(p);
  });
  const done = child.then((r) => ({ exitCode: typeof r.exitCode === 'number' ? r.exitCode : 1, stderr: String(r.stderr ?? '') }));
  return { done, stop: () => child.kill('SIGTERM') };
}
