import type { InteractiveProcess, Runner } from '../proc/run.js';
import type { FirewallResult } from './types.js';

// `describe` prints one line and needs no kernel state, so it marks the end of each request.
const ACK_CMD = 'describe ip saddr';
const ACK_PREFIX = 'payload expression';

interface Pending {
  resolve: (r: FirewallResult) => void;
  errors: string[];
}

/**
 * One long-lived `nft -i`, fed one line (one atomic transaction) per request:
 * about a tenth of a millisecond per ban instead of a process start each.
 * Requests are answered in order; stderr lines that arrive before a request's
 * acknowledgement are its errors.
 */
export class NftSession {
  private proc: InteractiveProcess | undefined;
  private readonly queue: Pending[] = [];
  /** Acknowledged, waiting one turn of the event loop for stray stderr lines. */
  private readonly settling: Pending[] = [];

  constructor(private readonly runner: Runner) {}

  private start(): InteractiveProcess {
    const p = this.runner.interactive('nft', ['-i']);
    p.onStdout((line) => {
      if (!line.startsWith(ACK_PREFIX)) return;
      const head = this.queue.shift();
      if (!head) return;
      // stderr is a separate pipe: nft wrote a request's errors before its ack, but we may read them after.
      this.settling.push(head);
      setImmediate(() => {
        this.settling.splice(this.settling.indexOf(head), 1);
        head.resolve(head.errors.length ? { ok: false, exitCode: 1, stderr: head.errors.join('\n') } : { ok: true, exitCode: 0, stderr: '' });
      });
    });
    p.onStderr((line) => {
      const head = this.settling[0] ?? this.queue[0];
      if (head && line.trim()) head.errors.push(line);
    });
    p.done.then(({ exitCode }) => {
      if (this.proc === p) this.proc = undefined;
      for (const q of this.queue.splice(0)) q.resolve({ ok: false, exitCode: exitCode || 1, stderr: `nft -i exited (${exitCode})${q.errors.length ? ': ' + q.errors.join('\n') : ''}` });
    });
    return p;
  }

  /** Run commands as one transaction. */
  exec(commands: string[]): Promise<FirewallResult> {
    if (!this.proc) this.proc = this.start();
    const proc = this.proc;
    return new Promise((resolve) => {
      this.queue.push({ resolve, errors: [] });
      proc.write(`${commands.join('; ')}\n${ACK_CMD}\n`);
    });
  }

  close(): void {
    this.proc?.stop();
    this.proc = undefined;
  }
}
