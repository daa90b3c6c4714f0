import { createConnection } from 'node:net';
import { UserError } from '../util/errors.js';
import { onLines } from '../util/stream-lines.js';
import { ResponseSchema, type Request } from './protocol.js';

export class DaemonUnavailable extends UserError {}

type Req = Request extends infer R ? (R extends { id?: unknown } ? Omit<R, 'id'> : never) : never;

function unavailable(path: string, why: string): DaemonUnavailable {
  return new DaemonUnavailable(`no bantop daemon is running at ${path} (${why})`, {
    hint: 'start one with "systemctl start bantop" or "bantop serve", or point --socket at it',
    exitCode: 3,
  });
}

/**
 * How long a request over many bans may take (unban --all, import): `unban
 * --all` of a million bans takes about a minute (51-61 s in npm run bench;
 * 332 s with iptables before its shards were rewritten whole), near or past
 * the two minutes a request is given otherwise on a slower host.
 */
export const BULK_TIMEOUT_MS = 3_600_000;

/** One request to the daemon; resolves with its result, throws a UserError with its message otherwise. */
export function request<T = unknown>(path: string, req: Req, timeoutMs = 120_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const conn = createConnection(path);
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new UserError(`the daemon at ${path} did not answer within ${timeoutMs / 1000}s`, { exitCode: 1 }));
    }, timeoutMs);
    conn.once('connect', () => conn.write(JSON.stringify({ id: 1, ...req }) + '\n'));
    conn.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? unavailable(path, e.code === 'ENOENT' ? 'no socket' : 'connection refused')
        : e.code === 'EACCES' ? new UserError(`permission denied on ${path}`, { hint: 'the control socket is root-only; run with sudo', exitCode: 1 })
          : e);
    });
    let answered = false;
    onLines(conn, (line) => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      conn.end();
      let reply: unknown;
      try {
        reply = JSON.parse(line);
      } catch {
        return reject(new Error(`malformed reply from the daemon: ${line.slice(0, 200)}`));
      }
      const parsed = ResponseSchema.safeParse(reply);
      if (!parsed.success) return reject(new Error(`malformed reply from the daemon: ${line.slice(0, 200)}`));
      const r = parsed.data;
      if (r.ok) resolve(r.result as T);
      else reject(new UserError(r.error.message, { hint: r.error.hint, exitCode: r.error.kind === 'user' ? 2 : 1 }));
    });
  });
}

/** Live events from the daemon until `close`. */
export function subscribe(path: string, onEvent: (e: Record<string, unknown>) => void, onEnd: (err?: Error) => void, operator?: string): { close(): void } {
  const conn = createConnection(path);
  conn.once('connect', () => conn.write(JSON.stringify({ id: 'sub', cmd: 'subscribe', ...(operator ? { operator } : {}) }) + '\n'));
  onLines(conn, (line) => {
    try {
      const o = JSON.parse(line) as { event?: Record<string, unknown> };
      if (o.event) onEvent(o.event);
    } catch { /* a line we cannot read is skipped */ }
  });
  conn.on('error', (e: NodeJS.ErrnoException) => onEnd(e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? unavailable(path, e.code) : e));
  conn.on('close', () => onEnd());
  return { close: () => conn.destroy() };
}
