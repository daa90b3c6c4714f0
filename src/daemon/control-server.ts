import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { isUserError, UserError } from '../util/errors.js';
import { onLines } from '../util/stream-lines.js';
import type { Logger } from './logger.js';
import { MAX_LINE, RequestSchema, type Request, type Response } from './protocol.js';
import type { BantopService, ServiceEvent } from './service.js';

/** Refuse to start when another daemon answers on the socket; clear a stale socket file. */
export async function claimSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  const alive = await new Promise<boolean>((resolve) => {
    const c = createConnection(path);
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
  if (alive) {
    throw new UserError(`another daemon is already listening on ${path}`, {
      hint: 'stop it first (systemctl stop bantop); if it is fail2ban, set socket = … in bantop.conf', exitCode: 1,
    });
  }
  unlinkSync(path);
}

/**
 * The control socket: JSON lines, every request validated. A malformed
 * request gets an error reply and the connection carries on; only a line over
 * MAX_LINE closes it, since the stream cannot be resynchronised cheaply.
 */
export async function startControlServer(path: string, service: BantopService, log: Logger): Promise<{ close(): Promise<void> }> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const server: Server = createServer((conn) => serveConnection(conn, service, log));
  // The socket file is created with the umask; make it 0600 from its first instant.
  const old = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
  } finally {
    process.umask(old);
  }
  chmodSync(path, 0o600);
  return {
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      try { unlinkSync(path); } catch { /* already gone */ }
    }),
  };
}

function serveConnection(conn: Socket, service: BantopService, log: Logger): void {
  let chain = Promise.resolve();
  let unsubscribe: (() => void) | undefined;
  let releaseOperator: (() => void) | undefined;
  let dropped = 0;
  const send = (obj: unknown) => {
    if (!conn.destroyed) conn.write(JSON.stringify(obj) + '\n');
  };
  onLines(conn, (line) => { chain = chain.then(() => handle(line)); }, {
    maxLine: MAX_LINE,
    onOverflow: () => {
      send({ id: null, ok: false, error: { kind: 'user', message: `request longer than ${MAX_LINE} bytes; closing the connection` } });
      conn.end();
    },
  });
  const hangUp = () => {
    unsubscribe?.();
    releaseOperator?.();
  };
  conn.on('close', hangUp);
  conn.on('error', hangUp);

  async function handle(line: string): Promise<void> {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (e) {
      send({ id: null, ok: false, error: { kind: 'user', message: `request is not JSON: ${(e as Error).message}`, hint: 'send one JSON object per line' } });
      return;
    }
    const rawId = raw && typeof raw === 'object' && 'id' in raw ? (raw as { id: unknown }).id : null;
    const id = typeof rawId === 'number' || typeof rawId === 'string' ? rawId : null;
    const parsed = RequestSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      send({ id, ok: false, error: { kind: 'user', message: `bad request: ${issue.path.length ? `[${issue.path.join('.')}] ` : ''}${issue.message}` } });
      return;
    }
    const req = parsed.data;
    try {
      const result = await dispatch(req);
      send({ id: req.id ?? null, ok: true, result } satisfies Response);
    } catch (e) {
      if (isUserError(e)) {
        send({ id: req.id ?? null, ok: false, error: { kind: 'user', message: e.message, hint: e.hint } });
      } else {
        log.log('ERROR', `request ${req.cmd} failed: ${(e as Error).stack ?? e}`);
        send({ id: req.id ?? null, ok: false, error: { kind: 'internal', message: (e as Error).message ?? String(e) } });
      }
    }
  }

  async function dispatch(req: Request): Promise<unknown> {
    switch (req.cmd) {
      case 'ping': return { pong: true };
      case 'status': return service.status(req.jail);
      case 'list': return service.list(req.jail);
      case 'ban': return service.ban(req);
      case 'unban': return service.unban(req);
      case 'unban.all': return service.unbanAll(req);
      case 'whitelist.add': return service.whitelistAdd(req.entry, req.comment);
      case 'whitelist.rm': return service.whitelistRemove(req.entry);
      case 'whitelist.list': return service.whitelistList();
      case 'reload': return service.reload();
      case 'import': return service.import(req.entries, req.seconds);
      case 'export': return service.export();
      case 'history': return service.history(req.ip);
      case 'subscribe': {
        unsubscribe?.();
        releaseOperator?.();
        releaseOperator = req.operator ? service.attachOperator(req.operator, 'an attached bantop TUI') : undefined;
        unsubscribe = service.subscribe((event: ServiceEvent) => {
          // A slow reader loses events rather than growing the daemon's memory without bound.
          if (conn.writableLength > 8 * 1024 * 1024) {
            dropped++;
            return;
          }
          if (dropped) {
            send({ event: { type: 'dropped', count: dropped } });
            dropped = 0;
          }
          send({ event });
        });
        return { subscribed: true };
      }
    }
  }
}
