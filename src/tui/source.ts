import { BULK_TIMEOUT_MS, request, subscribe } from '../daemon/client.js';
import type { BantopService, BanView, ServiceEvent } from '../daemon/service.js';
import type { HistoryEntry, WhitelistEntry } from '../store/sqlite-store.js';
import { sshConnection } from '../util/ssh-connection.js';

export type Status = ReturnType<BantopService['status']>;
type UnbanAllResult = Awaited<ReturnType<BantopService['unbanAll']>>;

/**
 * What the TUI needs from the engine API, the same calls the CLI makes:
 * attached, over the daemon's control socket; embedded, on a BantopService in
 * this process.
 */
export interface TuiSource {
  readonly mode: 'attached' | 'embedded' | 'demo';
  readonly where: string;
  status(): Promise<Status>;
  list(): Promise<BanView[]>;
  history(ip: string): Promise<HistoryEntry[]>;
  whitelist(): Promise<WhitelistEntry[]>;
  ban(ip: string, seconds: number | undefined, jail?: string): Promise<BanView>;
  unban(ip: string, jail?: string): Promise<{ ip: string; jails: string[] }>;
  unbanAll(jail?: string): Promise<UnbanAllResult>;
  whitelistAdd(ip: string): Promise<{ entry: string; unbanned: Array<{ ip: string; jail: string }> }>;
  subscribe(fn: (e: ServiceEvent) => void, onEnd: (err?: Error) => void): () => void;
  close(): Promise<void>;
}

export function embeddedSource(service: BantopService, mode: 'embedded' | 'demo', where: string, close: () => Promise<void>): TuiSource {
  const operator = sshConnection();
  return {
    mode, where,
    status: async () => service.status(),
    list: async () => service.list(),
    history: async (ip) => service.history(ip),
    whitelist: async () => service.whitelistList(),
    ban: (ip, seconds, jail) => service.ban({ ip, seconds, jail, operator }),
    unban: (ip, jail) => service.unban({ ip, jail }),
    unbanAll: (jail) => service.unbanAll({ jail }),
    whitelistAdd: (ip) => service.whitelistAdd(ip, 'bantop TUI'),
    subscribe: (fn) => service.subscribe(fn),
    close,
  };
}

export function attachedSource(socket: string): TuiSource {
  const operator = sshConnection();
  return {
    mode: 'attached', where: socket,
    status: () => request<Status>(socket, { cmd: 'status' }),
    list: () => request<BanView[]>(socket, { cmd: 'list' }),
    history: (ip) => request<HistoryEntry[]>(socket, { cmd: 'history', ip }),
    whitelist: () => request<WhitelistEntry[]>(socket, { cmd: 'whitelist.list' }),
    ban: (ip, seconds, jail) => request<BanView>(socket, { cmd: 'ban', ip, seconds, jail, operator }),
    unban: (ip, jail) => request<{ ip: string; jails: string[] }>(socket, { cmd: 'unban', ip, jail }),
    unbanAll: (jail) => request<UnbanAllResult>(socket, { cmd: 'unban.all', jail }, BULK_TIMEOUT_MS),
    whitelistAdd: (ip) => request(socket, { cmd: 'whitelist.add', entry: ip, comment: 'bantop TUI' }),
    subscribe: (fn, onEnd) => {
      const s = subscribe(socket, (e) => fn(e as unknown as ServiceEvent), onEnd, operator);
      return () => s.close();
    },
    close: async () => {},
  };
}
